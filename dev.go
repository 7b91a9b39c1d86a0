package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"multistage/app"
	"multistage/site"
	"multistage/site/live"
	"multistage/site/markdown"
)

// themeDir is where a source folder may carry its own theme (this
// repository does): edits to its templates and CSS then reload too.
const themeDir = "site/theme"

// runDev is `multistage dev`: render -src, watch it, and reload open pages
// on every change. It never writes into -src.
func runDev(ctx context.Context, args []string, stderr io.Writer) error {
	fset := newFlags("dev", stderr)
	addr := fset.String("addr", "127.0.0.1:5000", "listen `address`; loopback by default, since drafts are private")
	src := fset.String("src", ".", "the source `folder` to render and watch")
	poll := fset.Duration("poll", 0, "scan for changes every `interval` instead of using file events (0: events, with polling chosen automatically where they do not arrive)")
	allow := fset.String("allow-host", "", "extra comma-separated host `names` to answer to (e.g. a reverse proxy's); IP addresses and localhost always work")
	verbose := fset.Bool("v", false, "log every request")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *poll < 0 {
		return &usageError{"dev: -poll must not be negative"}
	}
	if err := checkAddr(*addr, "-addr"); err != nil {
		return err
	}
	srcFS, err := sourceFS(*src)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	// The theme on disk when the source has one, else the embedded one.
	var themeFS fs.FS
	if fi, err := os.Stat(filepath.Join(*src, filepath.FromSlash(themeDir), "templates")); err == nil && fi.IsDir() {
		themeFS = newDirFS(filepath.Join(*src, filepath.FromSlash(themeDir)))
	}

	// Listen first: a taken port fails now, before any work.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return listenError(*addr, err)
	}

	renderer := markdown.New()
	hub := live.NewHub()
	rl := &live.Reloader{
		Src: srcFS, Theme: themeFS, ThemePrefix: themeDir, Hub: hub, Log: log,
		Build: func(src, theme fs.FS, prev *site.Site) (*site.Site, error) {
			// No precompression: on loopback it saves nothing and costs
			// most of a rebuild (see bench/dev-latency.sh).
			return site.Build(src, site.Options{Theme: theme, Dev: true, NoGzip: true, Renderer: renderer, Previous: prev})
		},
	}
	// Watch before the first build, so no change made during it is lost.
	w, err := live.Watch(ctx, live.WatchConfig{Root: *src, Poll: *poll, Log: log})
	if err != nil {
		_ = ln.Close()
		return err
	}
	start := time.Now()
	rl.Rebuild(nil)
	go rl.Run(ctx, w.Batches())
	go func() {
		// Streams never end by themselves; end them so Shutdown can finish.
		<-ctx.Done()
		hub.Close()
	}()

	v, rev := buildVersion()
	// The demo app's self-report walks the whole root file system once when
	// it runs in a container: seconds of a core that the first rebuilds need
	// more. In dev mode the walk is cut short (the report says so).
	demo := app.New(app.Config{Revision: rev, MaxTime: 500 * time.Millisecond, MaxFiles: 20_000})
	h := newDevHandler(rl, demo, hub, themeFS)
	if *verbose {
		h = logRequests(log, h)
	}
	var allowed []string
	if *allow != "" {
		allowed = strings.Split(*allow, ",")
	}
	guarded := live.NewGuard(ln.Addr().String(), allowed, h)
	if host, _, _ := net.SplitHostPort(*addr); host != "" {
		guarded.Allow = append(guarded.Allow, host)
	}
	mode := "file events"
	if w.Polling() {
		mode = "polling"
	}
	pages := 0
	if s := rl.Site(); s != nil {
		pages = len(s.Pages)
	}
	theme := "embedded"
	if themeFS != nil {
		theme = filepath.Join(*src, filepath.FromSlash(themeDir))
	}
	log.Info("dev server: edit and save, open pages reload", "url", displayURL(ln.Addr()), "src", *src, "theme", theme,
		"pages", pages, "build", time.Since(start).Round(time.Microsecond), "watch", mode, "version", v)
	if err := rl.Err(); err != nil {
		log.Warn("the sources do not build yet: pages show the problems until they do")
	}
	return serveUntilDone(ctx, ln, guarded, log)
}

// newDevHandler serves the site the Reloader holds, the event stream, and
// the live script's stylesheet; while no build has succeeded, every page is
// an error page that turns into the site once the sources build.
func newDevHandler(rl *live.Reloader, a http.Handler, hub *live.Hub, theme fs.FS) http.Handler {
	inner := &handler{app: a, live: hub, current: rl.Site}
	if theme == nil {
		theme = site.Theme()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/_live.css", "/_live.js":
			serveThemeAsset(w, r, theme, "assets/"+strings.TrimPrefix(r.URL.Path, "/_"))
			return
		}
		if rl.Site() == nil && r.URL.Path != "/_live" && r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, "/app") {
			live.ServeBroken(w, r, rl.Err())
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// serveThemeAsset serves a dev-only file of the theme, read on each request
// so that edits show at once.
func serveThemeAsset(w http.ResponseWriter, r *http.Request, theme fs.FS, name string) {
	site.SecurityHeaders(w.Header())
	data, err := fs.ReadFile(theme, name)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = fs.ReadFile(site.Theme(), name)
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("500 %s: %v", name, err), http.StatusInternalServerError)
		return
	}
	typ := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		typ = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}
