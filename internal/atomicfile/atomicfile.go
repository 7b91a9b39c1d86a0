// Package atomicfile replaces a file in one step: readers (go:embed, a
// running server, the next command) see the old file or the new one, never
// half of either.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to a temporary file beside name (named after pattern,
// as os.CreateTemp takes it), makes it mode 0644, and renames it over name.
// It creates name's folder if needed. On failure name is untouched.
func Write(name string, data []byte, pattern string) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}
