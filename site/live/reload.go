package live

import (
	"context"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"multistage/site"
)

// BuildFunc builds the site from src and theme (nil: the embedded theme),
// reusing what it can of prev (nil on the first build).
type BuildFunc func(src, theme fs.FS, prev *site.Site) (*site.Site, error)

// Reloader owns the served site in dev mode: it rebuilds on change, swaps the
// new site in atomically once it is complete, and only then tells the pages.
// A failed build leaves the last good site in place and sends "error".
type Reloader struct {
	// Src is the source folder as it is on disk, ThemeDir the theme folder
	// inside it (nil: the embedded theme) and ThemePrefix its path below Src.
	Src         fs.FS
	Theme       fs.FS
	ThemePrefix string
	Build       BuildFunc
	Hub         *Hub
	Log         *slog.Logger

	cur atomic.Pointer[site.Site]

	mu     sync.Mutex // one build at a time
	cache  *Cache     // Src as the last builds read it
	tcache *Cache     // Theme, likewise
	deps   *Deps      // what the last build read
	err    error      // the last build's error, nil when it succeeded
	builds int
}

// Site returns the site to serve: the last good one, nil before any build
// succeeded.
func (r *Reloader) Site() *site.Site { return r.cur.Load() }

// Err returns the last build's error, nil when the site is up to date.
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Reloader) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Rebuild builds the site if any of the changed paths can alter it (nil:
// build unconditionally), then swaps and broadcasts. It reports whether it
// built.
func (r *Reloader) Rebuild(changed []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cache == nil {
		r.cache = NewCache(r.Src, "")
		if r.Theme != nil {
			r.tcache = NewCache(r.Theme, r.ThemePrefix)
		}
	}
	batch := changed
	if changed != nil && r.deps != nil {
		changed = r.deps.Changed(r.Src, changed)
		if len(changed) == 0 {
			return false
		}
	}
	r.cache.Invalidate(batch)
	src, deps := Record(r.cache, "", nil)
	var theme fs.FS
	if r.Theme != nil {
		r.tcache.Invalidate(batch)
		theme, _ = Record(r.tcache, r.ThemePrefix, deps)
	}
	start := time.Now()
	old := r.cur.Load()
	s, err := r.Build(src, theme, old)
	took := time.Since(start)
	r.deps = deps
	r.builds++
	wasBroken := r.err != nil
	r.err = err
	if err != nil {
		ev := NewErrorEvent(err, r.Src, r.Theme)
		msg := "build failed; still serving the last good site"
		if old == nil {
			msg = "build failed; serving the error until a build succeeds"
		}
		r.log().Error(msg, "error", err.Error(), "files", changed)
		if r.Hub != nil {
			r.Hub.Error(ev)
		}
		return true
	}
	r.cur.Store(s)
	ev := Diff(old, s)
	ev.Files = changed
	ev.Ms = float64(took.Microseconds()) / 1000
	if ev.Empty() && !wasBroken {
		r.log().Info("rebuilt: nothing served changed", "files", changed, "build", took.Round(time.Microsecond))
		return true
	}
	if ev.Path == "*" && len(ev.Pages) == 0 && !ev.All && ev.CSS == "" {
		// A fix that restored the last good site: name the page it concerns.
		for _, f := range changed {
			for _, p := range s.Pages {
				if p.File == f {
					ev.Path = p.URL
				}
			}
		}
	}
	if old != nil {
		r.log().Info("rebuilt", "files", changed, "pages", ev.Pages, "all", ev.All, "css", ev.CSS != "", "build", took.Round(time.Microsecond))
	}
	if r.Hub != nil && (old != nil || wasBroken) {
		r.Hub.Reload(ev)
	}
	return true
}

// Run rebuilds for each batch until ctx ends or batches closes.
func (r *Reloader) Run(ctx context.Context, batches <-chan []string) {
	for {
		select {
		case <-ctx.Done():
			return
		case b, ok := <-batches:
			if !ok {
				return
			}
			r.Rebuild(b)
		}
	}
}
