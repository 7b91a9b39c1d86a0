//go:build !linux

package main

func releaseBuildPages() {}
