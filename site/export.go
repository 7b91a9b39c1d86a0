package site

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FilePath maps a served URL path to the file the export writes:
// "/" → "index.html", "/usage/" → "usage/index.html".
func FilePath(urlPath string) string {
	p := strings.TrimPrefix(urlPath, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return filepath.FromSlash(p)
}

// Export writes every served path into dir, the same bytes the handler
// serves. It builds into a new folder beside dir and swaps it in at the end,
// so a failure leaves the previous output as it was.
func (s *Site) Export(dir string) (files int, bytes int64, err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return 0, 0, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	for _, p := range s.paths {
		e := s.entries[p]
		name := filepath.Join(tmp, FilePath(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return 0, 0, err
		}
		if err := os.WriteFile(name, e.Body, 0o644); err != nil {
			return 0, 0, err
		}
		files++
		bytes += int64(len(e.Body))
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return 0, 0, err
	}
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = dir + ".old"
		_ = os.RemoveAll(old)
		if err := os.Rename(dir, old); err != nil {
			return 0, 0, fmt.Errorf("export: %v", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return 0, 0, fmt.Errorf("export: %v", err)
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return files, bytes, nil
}
