package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"multistage/site"
)

// Default timings. Quiet is the debounce window: a batch is handed on once no
// relevant event arrived for that long. It was chosen by measurement
// (TestMeasureGaps; `go test -run MeasureGaps -v ./site/live` prints the
// table). Counting only the events the batcher sees (temporaries and
// attribute changes filtered out), the pauses inside one save of any of the
// editors tested (vim, neovim, JetBrains, VS Code, Emacs, Kate, Helix, gedit,
// Sublime) were under 1 ms typically and 3 ms at most on a loaded two-core
// machine; the pause that matters most, between a file being renamed away
// and its new version appearing (vim, JetBrains), stayed under 0.4 ms. 5 ms
// covers a save and keeps its reload well under 20 ms. A split save costs an
// extra rebuild, never a wrong site: each batch is checked against the disk.
// Bursts pause longer between files (a git checkout or a program writing 50
// files: up to 8 ms under load, 2-3 ms typically), so once a batch has seen
// burstEvents events the window grows to BurstQuiet: a burst is one rebuild,
// and a single save still pays only Quiet.
const (
	DefaultQuiet = 5 * time.Millisecond
	BurstQuiet   = 40 * time.Millisecond
	burstEvents  = 6
	// DefaultMaxWait bounds the delay under a continuous stream of events
	// (a generator writing for seconds still shows progress).
	DefaultMaxWait = 400 * time.Millisecond
	// DefaultScan is the interval of the cheap stat scan that runs beside
	// fsnotify and catches what it misses (and detects that it misses).
	DefaultScan = 2 * time.Second
	// DefaultPoll is the scan interval once events turned out not to
	// arrive, or on a file system known not to deliver them.
	DefaultPoll = 300 * time.Millisecond
)

// WatchConfig configures Watch.
type WatchConfig struct {
	Root  string        // the folder to watch, recursively
	Poll  time.Duration // >0: never use fsnotify, scan at this interval
	Quiet time.Duration // debounce window (DefaultQuiet when 0)
	// BurstQuiet is the window once a batch holds many paths (BurstQuiet
	// when 0).
	BurstQuiet time.Duration
	MaxWait    time.Duration // longest delay of a batch (DefaultMaxWait when 0)
	Scan       time.Duration // safety scan interval beside fsnotify (DefaultScan when 0)
	Log        *slog.Logger
}

// Watcher reports batches of changed paths under a folder. Paths are slash
// separated and relative to the root. Names that are never sources (hidden
// files, editor temporaries and backups: site.IsIgnored) are left out, and so
// are attribute-only changes; whether a change matters at all is decided by
// Deps.Changed afterwards.
type Watcher struct {
	cfg  WatchConfig
	root string
	out  chan []string
	raw  chan string
	scan chan struct{} // asks for a scan now (event queue overflow)
	log  *slog.Logger

	mu        sync.Mutex
	fsw       *fsnotify.Watcher
	dirs      map[string]bool      // watched folders (absolute)
	lastEvent map[string]time.Time // rel path -> when fsnotify last reported it
	polling   bool
	interval  time.Duration
	done      chan struct{}
}

// Watch starts watching cfg.Root until ctx ends.
func Watch(ctx context.Context, cfg WatchConfig) (*Watcher, error) {
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultQuiet
	}
	if cfg.BurstQuiet <= 0 {
		cfg.BurstQuiet = BurstQuiet
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.Scan <= 0 {
		cfg.Scan = DefaultScan
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	w := &Watcher{
		cfg: cfg, root: root, log: cfg.Log,
		out: make(chan []string), raw: make(chan string, 256), scan: make(chan struct{}, 1),
		dirs: map[string]bool{}, lastEvent: map[string]time.Time{},
		interval: cfg.Scan, done: make(chan struct{}),
	}
	switch {
	case cfg.Poll > 0:
		w.polling, w.interval = true, cfg.Poll
		w.log.Info("watching by polling", "every", cfg.Poll)
	default:
		if kind := remoteFS(root); kind != "" {
			w.polling, w.interval = true, DefaultPoll
			w.log.Warn(fmt.Sprintf("%s is on a %s file system, where changes made by another machine or OS raise no events: polling every %s as well (-poll sets the interval)", cfg.Root, kind, DefaultPoll))
		}
		if err := w.startNotify(); err != nil {
			w.log.Warn(err.Error())
			w.setPolling("file events unavailable")
		}
	}
	snap := w.snapshot()
	go w.batch(ctx)
	go w.scanLoop(ctx, snap)
	go func() {
		<-ctx.Done()
		w.mu.Lock()
		if w.fsw != nil {
			_ = w.fsw.Close()
		}
		w.mu.Unlock()
		close(w.done)
	}()
	return w, nil
}

// Batches delivers the batches. Each is handed over once the tree has been
// quiet for the debounce window; while the receiver is busy (rebuilding),
// new events keep collecting into the next batch.
func (w *Watcher) Batches() <-chan []string { return w.out }

// Polling reports whether the watcher relies on its scan (no events, or
// events that were found to be missing).
func (w *Watcher) Polling() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polling
}

func (w *Watcher) setPolling(why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.polling && w.interval <= DefaultPoll {
		return
	}
	w.polling = true
	if w.interval > DefaultPoll {
		w.interval = DefaultPoll
	}
	w.log.Warn(fmt.Sprintf("%s: polling %s every %s (pass -poll DURATION to choose the interval)", why, w.cfg.Root, w.interval))
}

// startNotify adds an inotify (or kqueue, ...) watch on every folder.
func (w *Watcher) startNotify() error {
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		if errors.Is(err, syscall.EMFILE) {
			return fmt.Errorf("file events: too many inotify instances: raise the limit with `sudo sysctl fs.inotify.max_user_instances=1024`, or pass -poll 500ms")
		}
		return fmt.Errorf("file events: %v", err)
	}
	w.mu.Lock()
	w.fsw = fsw
	w.mu.Unlock()
	if err := w.addTree(w.root, nil); err != nil {
		_ = fsw.Close()
		w.mu.Lock()
		w.fsw = nil
		w.mu.Unlock()
		return err
	}
	go w.readEvents(fsw)
	return nil
}

// addTree watches dir and every folder below it that is not ignored. Files
// already inside (a folder moved or copied in whole) are sent to found.
func (w *Watcher) addTree(dir string, found func(string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // gone already, or unreadable: nothing to watch
		}
		if p != w.root && site.IsIgnored(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			if found != nil {
				found(p)
			}
			return nil
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.fsw == nil || w.dirs[p] {
			return nil
		}
		if err := w.fsw.Add(p); err != nil {
			return watchError(p, err)
		}
		w.dirs[p] = true
		return nil
	})
}

// watchError explains the one error that needs the user: the inotify
// watch limit.
func watchError(dir string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		limit := "?"
		if b, e := os.ReadFile("/proc/sys/fs/inotify/max_user_watches"); e == nil {
			limit = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("watch %s: the inotify watch limit (fs.inotify.max_user_watches = %s) is used up: raise it with `sudo sysctl fs.inotify.max_user_watches=524288`, or pass -poll 500ms", dir, limit)
	}
	return fmt.Errorf("watch %s: %v", dir, err)
}

// rel turns an absolute path into a slash path relative to the root, or ""
// when it is outside or ignored.
func (w *Watcher) rel(p string) string {
	r, err := filepath.Rel(w.root, p)
	if err != nil || r == "." || strings.HasPrefix(r, "..") {
		return ""
	}
	r = filepath.ToSlash(r)
	for _, part := range strings.Split(r, "/") {
		if site.IsIgnored(part) {
			return ""
		}
	}
	return r
}

func (w *Watcher) readEvents(fsw *fsnotify.Watcher) {
	for {
		select {
		case ev, ok := <-fsw.Events:
			if !ok {
				return
			}
			w.handle(ev)
		case err, ok := <-fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: a scan finds what changed.
				w.log.Warn("file event queue overflowed: rescanning")
				select {
				case w.scan <- struct{}{}:
				default:
				}
				continue
			}
			w.log.Warn("file events: " + err.Error())
		}
	}
}

func (w *Watcher) handle(ev fsnotify.Event) {
	// Attribute changes (touch, chmod, an indexer) change no byte.
	if ev.Op == fsnotify.Chmod || ev.Op == 0 {
		return
	}
	r := w.rel(ev.Name)
	if r == "" {
		return
	}
	w.mu.Lock()
	w.lastEvent[r] = time.Now()
	watched := w.dirs[ev.Name]
	w.mu.Unlock()
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if watched {
			w.forget(ev.Name)
		}
	}
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
			// A new folder: watch it and everything below. Files may have been
			// written into it before the watch existed; report them too.
			if err := w.addTree(ev.Name, func(p string) { w.send(w.rel(p)) }); err != nil {
				w.log.Warn(err.Error())
				w.setPolling("some folders cannot be watched")
			}
		}
	}
	w.send(r)
}

// forget drops the watches of a folder that was removed or moved away, and
// of every folder below it.
func (w *Watcher) forget(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for d := range w.dirs {
		if d == dir || strings.HasPrefix(d, dir+string(filepath.Separator)) {
			delete(w.dirs, d)
			if w.fsw != nil {
				_ = w.fsw.Remove(d) // may be gone already
			}
		}
	}
}

func (w *Watcher) send(r string) {
	if r == "" {
		return
	}
	select {
	case w.raw <- r:
	case <-w.done:
	}
}

// batch collects paths until the quiet window passes, then hands the set to
// whoever reads Batches, collecting more meanwhile.
func (w *Watcher) batch(ctx context.Context) {
	pending := map[string]bool{}
	events := 0
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	ready := false
	for {
		var out chan []string
		var list []string
		if ready && len(pending) > 0 {
			out = w.out
			list = make([]string, 0, len(pending))
			for p := range pending {
				list = append(list, p)
			}
			sort.Strings(list)
		}
		select {
		case <-ctx.Done():
			return
		case p := <-w.raw:
			if len(pending) == 0 {
				first = time.Now()
			}
			pending[p] = true
			events++
			if time.Since(first) >= w.cfg.MaxWait {
				ready = true
			} else {
				ready = false
				quiet := w.cfg.Quiet
				if events >= burstEvents {
					quiet = max(quiet, w.cfg.BurstQuiet)
				}
				timer.Reset(quiet)
			}
		case <-timer.C:
			ready = true
		case out <- list:
			pending = map[string]bool{}
			events = 0
			ready = false
		}
	}
}

// entry is what the scan remembers of a file.
type entry struct {
	size  int64
	mtime time.Time
	mode  fs.FileMode
	ino   uint64
}

// snapshot stats every file and folder under the root that is not ignored.
func (w *Watcher) snapshot() map[string]entry {
	snap := map[string]entry{}
	_ = filepath.WalkDir(w.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p == w.root {
			return nil
		}
		if site.IsIgnored(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		r, _ := filepath.Rel(w.root, p)
		e := entry{mode: fi.Mode().Type()}
		if !d.IsDir() {
			// A folder's own times change with its entries, which report
			// themselves; only its existence matters here.
			e.size, e.mtime, e.ino = fi.Size(), fi.ModTime(), inode(fi)
		}
		snap[filepath.ToSlash(r)] = e
		return nil
	})
	return snap
}

// scanLoop compares a cheap stat scan with the previous one. Its changes go
// into the batch like events do (a change fsnotify reported too is then
// found unchanged by Deps.Changed and costs nothing); a change that fsnotify
// should have reported and did not switches the scan to the polling interval.
func (w *Watcher) scanLoop(ctx context.Context, prev map[string]entry) {
	prevAt := time.Now()
	for {
		w.mu.Lock()
		iv := w.interval
		w.mu.Unlock()
		t := time.NewTimer(iv)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-w.scan:
			t.Stop()
		}
		at := time.Now()
		cur := w.snapshot()
		var diff []string
		for p, e := range cur {
			if o, ok := prev[p]; !ok || o != e {
				diff = append(diff, p)
			}
		}
		for p := range prev {
			if _, ok := cur[p]; !ok {
				diff = append(diff, p)
			}
		}
		if len(diff) > 0 {
			w.mu.Lock()
			checkMissing := w.fsw != nil && !w.polling
			w.mu.Unlock()
			if checkMissing {
				w.checkMissing(ctx, diff, prevAt)
			}
			for _, p := range diff {
				w.send(p)
			}
		}
		prev, prevAt = cur, at
	}
}

// checkMissing switches to polling when changes the scan saw got no event.
// Events may trail the scan by a little: wait briefly before judging.
func (w *Watcher) checkMissing(ctx context.Context, diff []string, since time.Time) {
	missing := func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		var m []string
		for _, p := range diff {
			if t, ok := w.lastEvent[p]; !ok || t.Before(since.Add(-time.Second)) {
				m = append(m, p)
			}
		}
		return m
	}
	if len(missing()) == 0 {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(300 * time.Millisecond):
	}
	if m := missing(); len(m) > 0 {
		w.setPolling(fmt.Sprintf("%s changed but no file event came (a bind mount from another OS, or a network file system?)", m[0]))
	}
}
