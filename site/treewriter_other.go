//go:build !linux

package site

import (
	"os"
	"path/filepath"
)

// treeWriter creates folders and files below one root folder.
type treeWriter struct{ root string }

func newTreeWriter(root string) (*treeWriter, error) { return &treeWriter{root: root}, nil }

func (w *treeWriter) close() {}

// mkdir makes the folder rel (slash-separated); its parent must exist.
func (w *treeWriter) mkdir(rel string) error {
	return os.Mkdir(filepath.Join(w.root, filepath.FromSlash(rel)), 0o755)
}

// write creates the file rel, which must not exist, holding data.
func (w *treeWriter) write(rel string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(w.root, filepath.FromSlash(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err1 := f.Close(); err == nil {
		err = err1
	}
	return err
}
