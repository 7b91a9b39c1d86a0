package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Marker is the file every export writes at the top of its folder. Its
// presence is what lets the next export replace the folder: an export never
// deletes a folder that holds files it did not write, unless told to.
const Marker = ".multistage-build"

const markerText = "This folder is written by `multistage build` and replaced whole on each build.\nDo not keep other files in it.\n"

// manifestHead starts the list of files (size and slash-separated path, one
// a line, sorted) that Commit appends to Marker: a file that is not listed
// there, or whose size changed, is one the next export will not delete
// unless forced.
const manifestHead = "\nWritten by the last build (a file not listed here, or of another size, stops the next\nbuild from replacing this folder unless it is given -force):\n"

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
//
// Export is StartExport followed by Commit. `multistage build` calls those
// itself, around Build, so that pages are written as they are rendered.
func (s *Site) Export(dir string, opt ExportOptions) (files int, bytes int64, err error) {
	x, err := StartExport(dir, opt)
	if err != nil {
		return 0, 0, err
	}
	return x.Commit(s)
}

// An Exporter is an export in progress: a temporary folder beside its
// destination. A build given one in Options.Export makes the page folders
// while pages render and writes each page as soon as its HTML exists, so
// that on a slow file system the writing overlaps the rendering instead of
// following it. Commit writes the rest and swaps the folder in; Abort
// deletes it. The folder holds Marker from the start, so one left by a
// killed build is recognised and removed by the next.
type Exporter struct {
	dir, tmp string
	opt      ExportOptions
	w        *treeWriter

	made    sync.Map // folders known to exist (slash-separated, relative)
	mkdirs  sync.WaitGroup
	mu      sync.Mutex
	written map[string]bool  // URL paths written
	sizes   map[string]int64 // files written (slash-separated, relative): their sizes
	files   int
	bytes   int64
	total   int // expected files, for Progress
	err     error
	closed  bool
}

// StartExport checks that dir may be replaced and makes the temporary
// folder beside it.
func StartExport(dir string, opt ExportOptions) (*Exporter, error) {
	dir, err := realPath(dir)
	if err != nil {
		return nil, err
	}
	if err := checkReplaceable(dir, opt.Force); err != nil {
		return nil, err
	}
	parent, name := filepath.Split(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	removeStale(parent, name)
	tmp, err := os.MkdirTemp(parent, tmpPrefix(name))
	if err != nil {
		return nil, err
	}
	x := &Exporter{dir: dir, tmp: tmp, opt: opt, written: map[string]bool{}, sizes: map[string]int64{}}
	// The marker goes first: an interrupted export leaves a folder that
	// removeStale recognises as its own.
	if err = os.WriteFile(filepath.Join(tmp, Marker), []byte(markerText), 0o644); err == nil {
		x.w, err = newTreeWriter(tmp)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return x, nil
}

// makeDirs starts making the folders of the given URL paths (shallow
// first), in the background.
func (x *Exporter) makeDirs(urlPaths []string) {
	dirs := map[string]bool{}
	for _, p := range urlPaths {
		for d := path.Dir(filepath.ToSlash(FilePath(p))); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	sorted := make([]string, 0, len(dirs))
	for d := range dirs {
		sorted = append(sorted, d)
	}
	sort.Slice(sorted, func(i, j int) bool {
		di, dj := strings.Count(sorted[i], "/"), strings.Count(sorted[j], "/")
		return di < dj || di == dj && sorted[i] < sorted[j]
	})
	x.mu.Lock()
	x.total = len(urlPaths)
	x.mu.Unlock()
	x.mkdirs.Add(1)
	go func() {
		defer x.mkdirs.Done()
		for _, d := range sorted {
			if x.ensureDir(d) != nil {
				return // write reports it, naming the file
			}
		}
	}()
}

// ensureDir makes the folder d and its parents unless they exist. A folder
// made meanwhile by another goroutine is fine; a file in its place is
// reported by the write into it.
func (x *Exporter) ensureDir(d string) error {
	if d == "." {
		return nil
	}
	if _, ok := x.made.Load(d); ok {
		return nil
	}
	if err := x.ensureDir(path.Dir(d)); err != nil {
		return err
	}
	if err := x.w.mkdir(d); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	x.made.Store(d, true)
	return nil
}

// write writes one entry; safe for concurrent use. The first error is kept
// for Commit.
func (x *Exporter) write(e *Entry) error {
	rel := filepath.ToSlash(FilePath(e.Path))
	err := x.ensureDir(path.Dir(rel))
	if err == nil {
		err = x.w.write(rel, e.Body)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		if x.err == nil {
			x.err = err
		}
		return err
	}
	x.written[e.Path] = true
	x.sizes[rel] = int64(len(e.Body))
	x.files++
	x.bytes += int64(len(e.Body))
	if x.opt.Progress != nil && x.err == nil {
		x.opt.Progress(x.files, max(x.total, x.files))
	}
	return nil
}

// Commit writes every entry of s not yet written, on all cores, and puts
// the folder in the destination's place. On error the destination is left
// as it was.
func (x *Exporter) Commit(s *Site) (files int, bytes int64, err error) {
	x.mkdirs.Wait()
	defer func() {
		if err != nil {
			x.Abort()
		}
	}()
	if x.closed {
		return 0, 0, errors.New("export already committed or aborted")
	}
	var rest []*Entry
	x.mu.Lock()
	x.total = len(s.paths)
	for _, p := range s.paths {
		if !x.written[p] {
			rest = append(rest, s.entries[p])
		}
	}
	x.mu.Unlock()
	var paths []string
	for _, e := range rest {
		paths = append(paths, e.Path)
	}
	x.makeDirs(paths)
	x.mkdirs.Wait()
	parallel(len(rest), func(i int) {
		if x.failed() {
			return
		}
		x.write(rest[i])
	})
	x.w.close()
	x.closed = true
	if x.err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", x.dir, x.err)
	}
	marker := x.manifest()
	if err := os.WriteFile(filepath.Join(x.tmp, Marker), marker, 0o644); err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", x.dir, err)
	}
	if err := os.Chmod(x.tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return 0, 0, err
	}
	if err := swap(x.tmp, x.dir); err != nil {
		return 0, 0, fmt.Errorf("export %s: %w", x.dir, err)
	}
	return x.files + 1, x.bytes + int64(len(marker)), nil
}

// manifest is Marker's text with the list of the files written.
func (x *Exporter) manifest() []byte {
	paths := make([]string, 0, len(x.sizes))
	for p := range x.sizes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	b := []byte(markerText + manifestHead)
	for _, p := range paths {
		b = fmt.Appendf(b, "%d %s\n", x.sizes[p], p)
	}
	return b
}

// readManifest returns the files an earlier export listed in its Marker,
// or nil when it has no list (an export older than the list).
func readManifest(marker []byte) map[string]int64 {
	_, list, ok := strings.Cut(string(marker), manifestHead)
	if !ok {
		return nil
	}
	files := map[string]int64{}
	for _, line := range strings.Split(list, "\n") {
		size, p, ok := strings.Cut(line, " ")
		var n int64
		if _, err := fmt.Sscan(size, &n); ok && err == nil {
			files[p] = n
		}
	}
	return files
}

// foreignFiles lists (sorted, slash-separated) the files in dir that the
// export whose Marker listed files did not write, or that changed size
// since: what replacing dir would delete of someone else's.
func foreignFiles(dir string, files map[string]int64) ([]string, error) {
	var foreign []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == Marker {
			return nil
		}
		size, ok := files[rel]
		if ok && d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			ok = fi.Size() == size
		}
		if !ok {
			foreign = append(foreign, rel)
		}
		return nil
	})
	return foreign, err
}

func (x *Exporter) failed() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err != nil
}

// Abort deletes the temporary folder; the destination is left as it was.
func (x *Exporter) Abort() {
	x.mkdirs.Wait()
	if !x.closed {
		x.w.close()
		x.closed = true
	}
	os.RemoveAll(x.tmp)
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
	if force {
		return nil
	}
	if marker, err := os.ReadFile(filepath.Join(dir, Marker)); err == nil {
		// Ours: replaceable, unless someone has since put files in it (a
		// CNAME for GitHub Pages, say) or edited ours.
		files := readManifest(marker)
		if files == nil {
			return nil
		}
		foreign, err := foreignFiles(dir, files)
		if err != nil {
			return err
		}
		if len(foreign) == 0 {
			return nil
		}
		list := strings.Join(foreign[:min(len(foreign), 5)], ", ")
		if len(foreign) > 5 {
			list += fmt.Sprintf(" and %d more", len(foreign)-5)
		}
		return fmt.Errorf("will not replace %s: %w: %s (added or changed since the last build); move them out, or pass -force to replace the folder and delete them", dir, ErrNotOurs, list)
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
