package site

import (
	"os"
	"syscall"
)

// treeWriter creates folders and files below one root folder with the
// *at system calls relative to the root's descriptor: no path walk from /,
// no stat before mkdir, no fcntl or epoll registration as os.File does.
type treeWriter struct{ fd int }

func newTreeWriter(root string) (*treeWriter, error) {
	fd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root, Err: err}
	}
	return &treeWriter{fd: fd}, nil
}

func (w *treeWriter) close() { syscall.Close(w.fd) }

// mkdir makes the folder rel (slash-separated); its parent must exist.
func (w *treeWriter) mkdir(rel string) error {
	if err := syscall.Mkdirat(w.fd, rel, 0o755); err != nil {
		return &os.PathError{Op: "mkdir", Path: rel, Err: err}
	}
	return nil
}

// write creates the file rel, which must not exist, holding data.
func (w *treeWriter) write(rel string, data []byte) error {
	fd, err := syscall.Openat(w.fd, rel, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return &os.PathError{Op: "create", Path: rel, Err: err}
	}
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return &os.PathError{Op: "write", Path: rel, Err: err}
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: rel, Err: err}
	}
	return nil
}
