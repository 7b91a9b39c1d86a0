// Package app is the demo web application that the tutorial packages: the Go
// equivalent of the classic Flask "hello" app, plus a self-report that tells a
// reader which image is serving them.
//
// It stands alone: it imports nothing from the site generator, so it reads the
// way the tutorial's Flask app does. The handler answers
//
//	GET /app/       text/plain, "Hello, World!" and a newline
//	GET /app/about  application/json, an About report
//
// and 405 for methods other than GET and HEAD.
package app

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Variant names the image the binary was built for. It is set at build time:
//
//	go build -ldflags "-X multistage/app.Variant=multistage"
//
// The Dockerfiles set "multistage" and "normal"; a plain `go run .` is "local".
var Variant = "local"

// About is the JSON self-report served at /app/about.
type About struct {
	Variant     string `json:"variant"`
	Go          string `json:"go"`
	Revision    string `json:"revision"`
	BinaryBytes int64  `json:"binary_bytes"`
	Container   bool   `json:"container"`
	// The root file system figures are only reported inside a container, where
	// "the whole file system" is the image the reader is being served from.
	RootFSFiles      int64    `json:"rootfs_files,omitempty"`
	RootFSBytes      int64    `json:"rootfs_bytes,omitempty"`
	RootFSUnreadable []string `json:"rootfs_unreadable,omitempty"`
	RootFSTruncated  bool     `json:"rootfs_truncated,omitempty"`
	RootFSMillis     float64  `json:"rootfs_walk_ms,omitempty"`
	// RootFSPending is set while the one walk is still running (a large
	// host file system); the figures follow on a later request.
	RootFSPending bool `json:"rootfs_pending,omitempty"`
}

// Config tunes a Handler. The zero value reports on the running process.
type Config struct {
	// Root is the file system root to walk in a container; "/" when empty.
	Root string
	// Container overrides container detection when non-nil (tests).
	Container *bool
	// Revision is the VCS revision; read from the build info when empty.
	Revision string
	// WalkLimits bound the one walk of the root file system.
	MaxFiles int
	MaxTime  time.Duration
	// Wait bounds how long one /app/about request waits for the walk.
	Wait time.Duration
}

// Handler serves /app/ and /app/about. Create it with New.
type Handler struct {
	mux   *http.ServeMux
	base  About
	root  string
	walk  func() Walk
	done  chan struct{} // closed when the walk has finished
	wait  time.Duration
	limit Limits
}

// New returns the demo app's handler. In a container it starts the one walk of
// the root file system in the background, so the first /app/about need not
// wait for it and no request ever walks twice.
func New(cfg Config) *Handler {
	h := &Handler{root: cfg.Root}
	if h.root == "" {
		h.root = "/"
	}
	h.limit = Limits{MaxFiles: cfg.MaxFiles, MaxTime: cfg.MaxTime}
	if h.limit.MaxFiles == 0 {
		h.limit.MaxFiles = 2_000_000
	}
	if h.limit.MaxTime == 0 {
		h.limit.MaxTime = 10 * time.Second
	}
	inContainer := InContainer()
	if cfg.Container != nil {
		inContainer = *cfg.Container
	}
	rev := cfg.Revision
	if rev == "" {
		rev = buildRevision()
	}
	h.base = About{
		Variant:     Variant,
		Go:          runtime.Version(),
		Revision:    rev,
		BinaryBytes: binaryBytes(),
		Container:   inContainer,
	}
	h.wait = cfg.Wait
	if h.wait == 0 {
		h.wait = 2 * time.Second
	}
	if inContainer {
		h.done = make(chan struct{})
		h.walk = sync.OnceValue(func() Walk {
			defer close(h.done)
			return WalkRoot(h.root, h.limit)
		})
		go h.walk()
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("/app/{$}", h.hello)
	h.mux.HandleFunc("/app/about", h.about)
	h.mux.HandleFunc("/app/", http.NotFound)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("Hello, World!\n"))
}

func (h *Handler) about(w http.ResponseWriter, r *http.Request) {
	a := h.Report()
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil { // cannot happen for this struct; keep the status honest anyway
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// Report returns the self-report. In a container it waits a little for the
// root file system walk (bounded, run once per process); a request never
// waits longer than Config.Wait, and reports rootfs_pending instead.
func (h *Handler) Report() About {
	a := h.base
	if h.walk != nil {
		select {
		case <-h.done:
		case <-time.After(h.wait):
			a.RootFSPending = true
			return a
		}
		wk := h.walk()
		a.RootFSFiles = wk.Files
		a.RootFSBytes = wk.Bytes
		a.RootFSUnreadable = wk.Unreadable
		a.RootFSTruncated = wk.Truncated
		a.RootFSMillis = float64(wk.Elapsed.Microseconds()) / 1000
	}
	return a
}

// buildRevision reads the VCS revision that `go build` stamps into the binary.
// Builds without VCS information (a Docker context without .git) report
// "unknown" unless main sets one through ldflags.
func buildRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func binaryBytes() int64 {
	exe, err := os.Executable()
	if err != nil {
		return 0
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return 0
	}
	return fi.Size()
}
