//go:build unix

package app

import (
	"io/fs"
	"syscall"
)

// inode returns a file's device, inode and link count, so hard links are
// counted once (as Docker's layer sizes count them).
func inode(fi fs.FileInfo) (dev, ino, links uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino, uint64(st.Nlink)
	}
	return 0, 0, 1
}
