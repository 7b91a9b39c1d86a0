package app

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Limits bound the root file system walk, so a huge image cannot keep
// /app/about busy for long.
type Limits struct {
	MaxFiles int
	MaxTime  time.Duration
}

// Walk is what one walk of a file system found.
type Walk struct {
	Files      int64    // regular files and symlinks, each inode once
	Bytes      int64    // their sizes (a symlink counts its target's length)
	Unreadable []string // folders the walk could not list (e.g. 0700 as non-root)
	Truncated  bool     // a limit stopped the walk early
	Elapsed    time.Duration
}

// skipDirs are kernel and runtime file systems that Docker mounts into every
// container; they are not part of the image.
var skipDirs = map[string]bool{"/proc": true, "/sys": true, "/dev": true}

// WalkRoot walks root the way `docker image inspect .Size` counts an image:
// regular files and symlinks, hard links once, devices and the kernel's
// virtual file systems skipped. It never fails: what it cannot read is listed.
func WalkRoot(root string, lim Limits) Walk {
	start := time.Now()
	var w Walk
	type ino struct{ dev, ino uint64 }
	seen := make(map[ino]bool)
	errStop := errors.New("stop")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel := p
		if root != "/" {
			rel = "/" + filepath.ToSlash(mustRel(root, p))
		}
		if err != nil {
			if d == nil || d.IsDir() {
				w.Unreadable = append(w.Unreadable, rel)
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if skipDirs[filepath.Clean(rel)] {
				return fs.SkipDir
			}
			return nil
		}
		if lim.MaxFiles > 0 && w.Files >= int64(lim.MaxFiles) || lim.MaxTime > 0 && time.Since(start) > lim.MaxTime {
			w.Truncated = true
			return errStop
		}
		t := d.Type()
		if t&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice) != 0 {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // vanished while walking
		}
		if dev, n, links := inode(fi); links > 1 {
			k := ino{dev, n}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		w.Files++
		w.Bytes += fi.Size()
		return nil
	})
	if err != nil && err != errStop {
		w.Unreadable = append(w.Unreadable, root)
	}
	sort.Strings(w.Unreadable)
	w.Elapsed = time.Since(start)
	return w
}

func mustRel(base, p string) string {
	r, err := filepath.Rel(base, p)
	if err != nil || r == "." {
		return ""
	}
	return r
}

// InContainer reports whether this process runs in a container. Docker creates
// /.dockerenv (even in a FROM scratch image), Podman /run/.containerenv, and
// Kubernetes and other runtimes show up in PID 1's cgroup path.
func InContainer() bool {
	for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	if b, err := os.ReadFile("/proc/1/cgroup"); err == nil {
		for _, k := range [][]byte{[]byte("docker"), []byte("kubepods"), []byte("containerd"), []byte("libpod")} {
			if bytes.Contains(b, k) {
				return true
			}
		}
	}
	return false
}
