package site

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Marker is the file every export writes at the top of its folder. Its
// presence is what lets the next export replace the folder: an export never
// deletes a folder that holds files it did not write, unless told to.
const Marker = ".multistage-build"

const markerText = "This folder is written by `multistage build` and replaced whole on each build.\nDo not keep other files in it.\n"

// ExportOptions tune Export.
type ExportOptions struct {
	// Force replaces dir even when it is a non-empty folder without Marker,
	// deleting whatever it held.
	Force bool
	// Progress, when set, is called as files are written, from one goroutine
	// at a time.
	Progress func(done, total int)
}

// ErrNotOurs is returned (wrapped, naming the folder) when Export refuses to
// replace a folder that it did not create.
var ErrNotOurs = errors.New("it holds files that multistage build did not write")

// FilePath maps a served URL path to the file the export writes:
// "/" → "index.html", "/usage/" → "usage/index.html".
func FilePath(urlPath string) string {
	p := strings.TrimPrefix(urlPath, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return filepath.FromSlash(p)
}

// Export writes every served path into dir: the same bytes the handler
// serves (the identity body; never the gzip copy), pages as
// folder/index.html, the 404 page as 404.html, plus Marker. File contents
// depend only on the Site, so two exports of the same sources are
// byte-identical; modification times are those of the write (a fixed time
// would make rsync's size-and-time check skip changed files).
//
// The files are written into a new folder beside dir, which then takes
// dir's place in one step (an atomic exchange where the system has one), so
// readers of dir never see a half-written site and a failed export leaves
// the previous one as it was. dir is replaced only when it is missing, empty,
// or holds Marker (or with opt.Force).
func (s *Site) Export(dir string, opt ExportOptions) (files int, bytes int64, err error) {
	dir, err = realPath(dir)
	if err != nil {
		return 0, 0, err
	}
	if err := checkReplaceable(dir, opt.Force); err != nil {
		return 0, 0, err
	}
	parent, name := filepath.Split(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return 0, 0, err
	}
	removeStale(parent, name)
	tmp, err := os.MkdirTemp(parent, tmpPrefix(name))
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	// The marker goes first: an interrupted export leaves a folder that
	// removeStale recognises as its own.
	if err := os.WriteFile(filepath.Join(tmp, Marker), []byte(markerText), 0o644); err != nil {
		return 0, 0, err
	}
	if files, bytes, err = s.writeAll(tmp, opt.Progress); err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return 0, 0, err
	}
	if err := swap(tmp, dir); err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", dir, err)
	}
	return files + 1, bytes + int64(len(markerText)), nil
}

// writeAll writes the entries into root: folders first, then the files on
// all cores. A large export is thousands of small files, and on some
// systems (virtual disks, sandboxed kernels) each system call is dear, so
// the files go through a treeWriter that makes as few as the platform
// allows (openat/write/close relative to root on Linux: 3 a file, against
// about 15 for os.MkdirAll plus os.WriteFile).
func (s *Site) writeAll(root string, progress func(done, total int)) (int, int64, error) {
	dirs := map[string]bool{}
	for _, p := range s.paths {
		for d := path.Dir(strings.TrimPrefix(filepath.ToSlash(FilePath(p)), "/")); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Slice(sorted, func(i, j int) bool { // shallow first
		di, dj := strings.Count(sorted[i], "/"), strings.Count(sorted[j], "/")
		return di < dj || di == dj && sorted[i] < sorted[j]
	})
	w, err := newTreeWriter(root)
	if err != nil {
		return 0, 0, err
	}
	defer w.close()
	for _, d := range sorted {
		if err := w.mkdir(d); err != nil {
			return 0, 0, err
		}
	}
	var (
		next, done atomic.Int64
		total      atomic.Int64
		mu         sync.Mutex
		firstErr   error
		wg         sync.WaitGroup
	)
	n := min(runtime.GOMAXPROCS(0)*2, len(s.paths))
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(s.paths) {
					return
				}
				e := s.entries[s.paths[i]]
				err := w.write(filepath.ToSlash(FilePath(e.Path)), e.Body)
				d := int(done.Add(1))
				if err != nil || progress != nil {
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					if progress != nil && firstErr == nil {
						progress(d, len(s.paths))
					}
					mu.Unlock()
				}
				if err != nil {
					return
				}
				total.Add(int64(len(e.Body)))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	return len(s.paths), total.Load(), nil
}

// realPath makes dir absolute and resolves symbolic links, so that a link
// to the output folder keeps pointing at it (the swap replaces the folder
// it names, not the link).
func realPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil // does not exist yet
}

// checkReplaceable refuses to replace anything but a missing or empty
// folder, or one holding Marker.
func checkReplaceable(dir string, force bool) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("output %s is a file, not a folder", dir)
	}
	if _, err := os.Lstat(filepath.Join(dir, Marker)); err == nil || force {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if names, _ := f.Readdirnames(1); len(names) == 0 {
		return nil
	}
	return fmt.Errorf("will not replace %s: %w (it has no %s file); choose an empty or new folder, or pass -force to replace it and delete its files", dir, ErrNotOurs, Marker)
}

func tmpPrefix(name string) string { return "." + name + ".tmp-" }

// removeStale deletes folders that an interrupted export of name left
// beside it: only those with our prefix that hold Marker.
func removeStale(parent, name string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), tmpPrefix(name)) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if _, err := os.Lstat(filepath.Join(p, Marker)); err == nil {
			os.RemoveAll(p)
		}
	}
}

// swap puts the folder tmp in dir's place and deletes what was there.
func swap(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	if exchange(tmp, dir) == nil {
		return os.RemoveAll(tmp) // now the old output
	}
	// No atomic exchange: two renames, with the old output kept aside until
	// the new one is in place.
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if e := os.Rename(old, dir); e != nil {
			return fmt.Errorf("%v; the previous output is in %s", err, old)
		}
		return err
	}
	return os.RemoveAll(old)
}
