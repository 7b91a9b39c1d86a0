//go:build !linux

package live

import "io/fs"

// remoteFS is only known on Linux; elsewhere the scan finds out whether
// events arrive.
func remoteFS(dir string) string { return "" }

func inode(fi fs.FileInfo) uint64 { return 0 }
