package live

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// Cache keeps the files and folder listings a build read, so that the next
// build reads from disk only what the watcher reported as changed. On a
// 1000-page site that is one file instead of a thousand opens and reads
// (with the source folder's symlink checks, about ten syscalls each): the
// largest cost of a one-page rebuild once rendering is incremental.
//
// It is only as fresh as the events that invalidate it; the watcher's stat
// scan reports what events miss, and Invalidate(nil) drops everything.
type Cache struct {
	fsys   fs.FS
	prefix string // where fsys sits below the watched root ("" or "site/theme")

	mu    sync.Mutex
	files map[string]cached
	dirs  map[string][]fs.DirEntry
}

type cached struct {
	data []byte
	err  error // only fs.ErrNotExist errors are cached
}

// NewCache caches fsys, which sits at prefix below the watched root.
func NewCache(fsys fs.FS, prefix string) *Cache {
	return &Cache{fsys: fsys, prefix: prefix, files: map[string]cached{}, dirs: map[string][]fs.DirEntry{}}
}

// Invalidate forgets what changed: each path of the batch (relative to the
// watched root), everything below it, and its folder's listing. nil forgets
// everything.
func (c *Cache) Invalidate(paths []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if paths == nil {
		c.files = map[string]cached{}
		c.dirs = map[string][]fs.DirEntry{}
		return
	}
	for _, p := range paths {
		if c.prefix != "" {
			if p == c.prefix {
				c.files = map[string]cached{}
				c.dirs = map[string][]fs.DirEntry{}
				return
			}
			if !strings.HasPrefix(p, c.prefix+"/") {
				continue
			}
			p = strings.TrimPrefix(p, c.prefix+"/")
		}
		delete(c.files, p)
		delete(c.dirs, path.Dir(p))
		// p may be a folder that was renamed, removed or replaced.
		for k := range c.files {
			if strings.HasPrefix(k, p+"/") {
				delete(c.files, k)
			}
		}
		for k := range c.dirs {
			if k == p || strings.HasPrefix(k, p+"/") {
				delete(c.dirs, k)
			}
		}
	}
}

// Open is not cached: the build reads through ReadFile and ReadDir.
func (c *Cache) Open(name string) (fs.File, error) { return c.fsys.Open(name) }

// Stat is not cached (cheap, and rare in a build).
func (c *Cache) Stat(name string) (fs.FileInfo, error) { return fs.Stat(c.fsys, name) }

// ReadFile returns the cached bytes, reading them once.
func (c *Cache) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	e, ok := c.files[name]
	c.mu.Unlock()
	if ok {
		if e.err != nil {
			return nil, e.err
		}
		return append([]byte(nil), e.data...), nil
	}
	data, err := fs.ReadFile(c.fsys, name)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		c.mu.Lock()
		c.files[name] = cached{data: data, err: err}
		c.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), data...), nil
}

// ReadDir returns the cached listing, reading it once.
func (c *Cache) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	es, ok := c.dirs[name]
	c.mu.Unlock()
	if ok {
		return append([]fs.DirEntry(nil), es...), nil
	}
	es, err := fs.ReadDir(c.fsys, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.dirs[name] = es
	c.mu.Unlock()
	return append([]fs.DirEntry(nil), es...), nil
}
