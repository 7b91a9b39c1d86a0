//go:build unix && !linux

package main

import "net"

// loopSet is Linux's (evloop_linux.go); elsewhere every connection of the
// fast path has a goroutine.
type loopSet struct{}

func newLoops(*fastServer) *loopSet      { return nil }
func (*loopSet) adopt(*net.TCPConn) bool { return false }
func (*loopSet) stop()                   {}
