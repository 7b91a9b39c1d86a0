//go:build !linux

package site

import "errors"

// exchange has no portable atomic form; Export falls back to two renames.
func exchange(a, b string) error { return errors.New("no atomic exchange") }
