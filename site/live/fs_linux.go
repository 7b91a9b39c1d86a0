package live

import (
	"io/fs"
	"syscall"
)

// remoteFS names the file system under dir when it is one where changes made
// elsewhere (the host of a VM or container, another machine) raise no inotify
// events: 9p (WSL2 drives, some VMs), virtiofs and other FUSE mounts (Docker
// Desktop bind mounts), NFS, SMB/CIFS. "" otherwise.
func remoteFS(dir string) string {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return ""
	}
	switch uint32(st.Type) {
	case 0x01021997:
		return "9p"
	case 0x65735546:
		return "FUSE (virtiofs, Docker Desktop, sshfs)"
	case 0x6969:
		return "NFS"
	case 0xFF534D42, 0xFE534D42, 0x517B:
		return "SMB/CIFS"
	case 0x786f4256:
		return "VirtualBox shared folder"
	}
	return ""
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
