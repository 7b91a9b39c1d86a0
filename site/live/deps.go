package live

import (
	"bytes"
	"errors"
	"hash/maphash"
	"io"
	"io/fs"
	"path"
	"sort"
	"sync"
)

// A build is a pure function of the files it reads. Recording what it read
// (every file's content hash, every folder's listing, every name it looked
// for and did not find) tells, for any later file event, whether the next
// build could differ at all. That one rule drops ghost events, saves with
// identical bytes, editor temporaries that came and went, and edits to files
// the site never reads (an export folder, the binary), without a list of
// special cases.

// seed is fixed for the process: hashes are only compared within it.
var seed = maphash.MakeSeed()

// state of a file or folder as one build saw it.
type fileState struct {
	exists bool
	dir    bool
	sum    uint64 // content hash of a file that was read
	read   bool   // sum is meaningful
	clash  bool   // read twice with different bytes during one build
}

// dirState is a folder listing: entry name -> is a folder.
type dirState map[string]bool

// Deps is what one build read, keyed by slash paths relative to the source
// root. It is immutable once the build that recorded it returns.
type Deps struct {
	mu    *sync.Mutex
	files map[string]fileState
	dirs  map[string]dirState // folders listed; nil listing: folder absent
}

// recorder wraps an fs.FS and records every read into deps. Safe for
// concurrent use: the site renders pages in parallel.
type recorder struct {
	fsys   fs.FS
	prefix string // where fsys sits below the source root ("" or "site/theme")
	mu     *sync.Mutex
	deps   *Deps
}

// Record returns an fs.FS that reads through fsys and a Deps that fills up as
// it is read. For several file systems that share one source root (the source
// and the theme folder inside it), pass the Deps of the first as into and
// the theme's path below the root as prefix.
func Record(fsys fs.FS, prefix string, into *Deps) (fs.FS, *Deps) {
	if into == nil {
		into = &Deps{files: map[string]fileState{}, dirs: map[string]dirState{}}
	}
	if into.mu == nil {
		into.mu = &sync.Mutex{}
	}
	return &recorder{fsys: fsys, prefix: prefix, mu: into.mu, deps: into}, into
}

func (r *recorder) full(name string) string {
	if r.prefix == "" {
		return name
	}
	if name == "." {
		return r.prefix
	}
	return r.prefix + "/" + name
}

func (r *recorder) noteFile(name string, data []byte, err error) {
	st := fileState{}
	if err == nil {
		st = fileState{exists: true, read: true, sum: maphash.Bytes(seed, data)}
	} else if !errors.Is(err, fs.ErrNotExist) {
		// Unreadable (permissions, a symlink leading outside): any change
		// may fix it, so remember it as a clash that always compares unequal.
		st = fileState{exists: true, clash: true}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.full(name)
	if old, ok := r.deps.files[n]; ok && old.read && (old.sum != st.sum || !st.read) {
		st.clash = true
	}
	r.deps.files[n] = st
}

func (r *recorder) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		r.noteFile(name, nil, err)
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return f, nil
	}
	if fi.IsDir() {
		return &recDir{File: f, r: r, name: name}, nil
	}
	// Read the whole file now so that its hash is what the caller reads.
	data, err := io.ReadAll(f)
	_ = f.Close()
	r.noteFile(name, data, err)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: bytes.NewReader(data), fi: fi}, nil
}

func (r *recorder) ReadFile(name string) ([]byte, error) {
	data, err := fs.ReadFile(r.fsys, name)
	r.noteFile(name, data, err)
	return data, err
}

func (r *recorder) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(r.fsys, name)
	r.noteDir(name, es, err)
	return es, err
}

func (r *recorder) noteDir(name string, es []fs.DirEntry, err error) {
	var ds dirState
	if err == nil {
		ds = dirState{}
		for _, e := range es {
			ds[e.Name()] = e.IsDir()
		}
	}
	r.mu.Lock()
	r.deps.dirs[r.full(name)] = ds
	r.mu.Unlock()
}

func (r *recorder) Stat(name string) (fs.FileInfo, error) {
	fi, err := fs.Stat(r.fsys, name)
	r.mu.Lock()
	n := r.full(name)
	if _, ok := r.deps.files[n]; !ok {
		st := fileState{exists: err == nil, dir: err == nil && fi.IsDir()}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			st.clash = true
		}
		r.deps.files[n] = st
	}
	r.mu.Unlock()
	return fi, err
}

// Sub keeps recording below a sub-folder.
func (r *recorder) Sub(dir string) (fs.FS, error) {
	sub, err := fs.Sub(r.fsys, dir)
	if err != nil {
		return nil, err
	}
	return &recorder{fsys: sub, prefix: r.full(dir), mu: r.mu, deps: r.deps}, nil
}

// recDir records a folder listing read through an open folder.
type recDir struct {
	fs.File
	r    *recorder
	name string
}

func (d *recDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rd, ok := d.File.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: d.name, Err: errors.ErrUnsupported}
	}
	es, err := rd.ReadDir(n)
	if n <= 0 {
		d.r.noteDir(d.name, es, err)
	}
	return es, err
}

type memFile struct {
	*bytes.Reader
	fi fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.fi, nil }
func (f *memFile) Close() error               { return nil }

// Len reports how many files and folders the build read.
func (d *Deps) Len() int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.files) + len(d.dirs)
}

// Changed returns the paths among names whose change can alter the next
// build: a file the build read whose bytes differ now (or that appeared or
// went), or a new or vanished entry in a folder the build listed. Everything
// else is dropped. current reads the tree as it is now, rooted like the
// recorded one. A nil Deps (no build yet) keeps every name.
func (d *Deps) Changed(current fs.FS, names []string) []string {
	if d == nil {
		return names
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		if d.changed(current, n, seen) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func (d *Deps) changed(current fs.FS, name string, seen map[string]bool) bool {
	if st, ok := d.files[name]; ok {
		if st.clash {
			return true
		}
		fi, err := fs.Stat(current, name)
		exists := err == nil
		if exists != st.exists {
			return true
		}
		if exists && fi.IsDir() != st.dir && !st.read {
			return true
		}
		if exists && st.read {
			data, err := fs.ReadFile(current, name)
			if err != nil || maphash.Bytes(seed, data) != st.sum {
				return true
			}
		}
	}
	// A folder the build listed: did this entry (or the ancestor on the way
	// to it) appear, vanish, or change between file and folder?
	for p := name; p != "." && p != ""; p = path.Dir(p) {
		parent := path.Dir(p)
		ds, ok := d.dirs[parent]
		if !ok {
			continue
		}
		key := parent + "\x00" + path.Base(p)
		if v, done := seen[key]; done {
			if v {
				return true
			}
			continue
		}
		was, existed := ds[path.Base(p)]
		fi, err := fs.Stat(current, p)
		differs := (err == nil) != existed || (err == nil && fi.IsDir() != was)
		seen[key] = differs
		if differs {
			return true
		}
	}
	// A listed folder that itself went away or came back.
	if ds, ok := d.dirs[name]; ok {
		fi, err := fs.Stat(current, name)
		if (err == nil && fi.IsDir()) != (ds != nil) {
			return true
		}
	}
	return false
}

// Touches reports whether name is at or below a path the build read, i.e.
// whether a change there is worth a look at all (before any file is read).
func (d *Deps) Touches(name string) bool {
	if d == nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.files[name]; ok {
		return true
	}
	for p := name; p != "." && p != ""; p = path.Dir(p) {
		if _, ok := d.dirs[path.Dir(p)]; ok {
			return true
		}
		if _, ok := d.dirs[p]; ok {
			return true
		}
	}
	return false
}
