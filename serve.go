package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"multistage/app"
	"multistage/site"
)

// defaultAddr is serve's address: -addr, else PORT from the environment (as
// platforms such as Cloud Run and Heroku set it), else :5000.
func defaultAddr(flagAddr string, flagSet bool) string {
	if flagSet {
		return flagAddr
	}
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return ":5000"
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	fset := newFlags("serve", stderr)
	addr := fset.String("addr", "", "listen `address` (default :5000, or :$PORT when PORT is set)")
	src := fset.String("src", "", "render this `folder` instead of the embedded tutorial")
	quiet := fset.Bool("quiet", false, "do not log each request")
	if err := parse(fset, args); err != nil {
		return err
	}
	addrSet := false
	fset.Visit(func(f *flag.Flag) { addrSet = addrSet || f.Name == "addr" })
	listen := defaultAddr(*addr, addrSet)
	from := "-addr"
	if !addrSet && os.Getenv("PORT") != "" {
		from = "PORT"
	}
	if err := checkAddr(listen, from); err != nil {
		return err
	}

	start := time.Now()
	srcFS, err := sourceFS(*src)
	if err != nil {
		return err
	}
	s, err := site.Build(srcFS, site.Options{})
	if err != nil {
		return err
	}
	built := time.Since(start)

	log := slog.New(slog.NewTextHandler(stderr, nil))
	raiseFileLimit(log)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return listenError(listen, err)
	}
	v, rev := buildVersion()
	h := newHandler(s, app.New(app.Config{Revision: rev}), nil)
	// Request lines are buffered and written a few times a second, not one
	// write(2) each: at tens of thousands of requests a second the writes
	// alone would cost more than the answers.
	var reqOut io.Writer
	if !*quiet {
		lb := newLogBuffer(stderr, 200*time.Millisecond)
		defer lb.Close()
		reqOut = lb
	}
	// What the build left behind (its garbage, the code pages only it ran)
	// need not stay resident while serving (see tuneMemory). It runs beside
	// the first requests rather than before them: a forced GC is a few
	// milliseconds that start-up need not wait for.
	go tuneMemory()
	log.Info("serving", "url", displayURL(ln.Addr()), "pages", len(s.Pages), "build", built.Round(time.Microsecond), "version", v)
	return serveFast(ctx, ln, h, reqOut, log)
}

// listenError turns a bind failure into one line that says what to do.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen %s: address already in use: stop the other server or pass -addr (or PORT) with a free port", addr)
	}
	return fmt.Errorf("listen %s: %v", addr, errors.Unwrap(err))
}

func displayURL(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	host := ta.IP.String()
	if ta.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, fmt.Sprint(ta.Port)))
}

// newServer sets the limits a public server needs: slow or idle clients
// cannot hold connections forever, and headers are bounded.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves on ln until ctx is cancelled (SIGINT or SIGTERM),
// then stops accepting and lets in-flight requests finish.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := newServer(h, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %v", err)
	}
	return nil
}

// handler routes the fixed endpoints and hands the rest to the site. A
// plain switch on the path: no pattern matching on the hot path.
type handler struct {
	site *site.Site
	app  http.Handler
	live http.Handler // nil outside dev mode: /_live is then a 404
	// current returns the site to serve; dev mode swaps it atomically.
	current func() *site.Site
}

func newHandler(s *site.Site, a http.Handler, live http.Handler) *handler {
	return &handler{site: s, app: a, live: live, current: func() *site.Site { return s }}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(r.RequestURI) > maxTarget {
		site.SecurityHeaders(w.Header())
		http.Error(w, "414 URI too long", http.StatusRequestURITooLong)
		return
	}
	if bad := badPath(r); bad != "" {
		site.SecurityHeaders(w.Header())
		http.Error(w, "400 bad request: "+bad, http.StatusBadRequest)
		return
	}
	switch {
	case p == "/healthz":
		hd := w.Header()
		for k, v := range healthzHeader {
			hd[k] = v
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			hd.Set("Allow", "GET, HEAD")
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	case p == "/app":
		http.Redirect(w, r, "/app/", http.StatusMovedPermanently)
	case p == "/app/" || p == "/app/about":
		// Only the app's two endpoints: any other /app/ path gets the
		// site's styled 404 like every unknown path.
		site.SecurityHeaders(w.Header())
		h.app.ServeHTTP(w, r)
	case p == "/_live" && h.live != nil:
		h.live.ServeHTTP(w, r)
	default:
		h.current().ServeHTTP(w, r)
	}
}

// maxTarget bounds a request target: no page or file of the site comes
// near it, and a longer one is an attack or a broken client (414). The fast
// path (fast.go) enforces the same bound on the request line.
const maxTarget = 4 << 10

// healthzHeader is /healthz's header, built once: probes come every few
// seconds from every replica's kubelet or load balancer.
var healthzHeader = func() http.Header {
	h := http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Cache-Control": {"no-store"}}
	site.SecurityHeaders(h)
	return h
}()

// badPath rejects request targets that only an attack produces: NUL bytes,
// backslashes, dot-dot segments, encoded separators and bytes that are not
// UTF-8 (such as the overlong encodings of "." and "/"). Nothing is read from
// disk per request anyway; this keeps such requests out of the site's 404s
// and logs them for what they are.
func badPath(r *http.Request) string {
	p := r.URL.Path
	if p == "" || p[0] != '/' {
		return "path must start with /"
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "NUL or backslash in path"
	}
	if !utf8.ValidString(p) {
		return "path is not UTF-8"
	}
	raw := strings.ToLower(r.URL.RawPath)
	if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || strings.Contains(raw, "%00") {
		return "encoded separator in path"
	}
	for rest := p; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == ".." || seg == "." {
			return "dot segment in path"
		}
	}
	return ""
}

// statusWriter records what a handler answered, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets the dev server's event stream through the logger.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one log line per request.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("dur", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// dirFS is the -src folder as an fs.FS that refuses symbolic links leading
// outside the folder, so -src never serves a file the author did not put in
// it. It opens files through an os.Root (openat below the folder's
// descriptor, links checked as they are followed), which costs a few system
// calls a file where resolving every path from / cost a dozen; a refusal is
// then explained by check.
type dirFS struct {
	root string // absolute, symlinks resolved
	fsys fs.FS  // the os.Root's, or os.DirFS when the folder cannot be opened
	safe bool   // fsys refuses links out of the folder itself
}

func newDirFS(dir string) fs.FS {
	abs, err := filepath.Abs(dir)
	if err == nil {
		if r, err2 := filepath.EvalSymlinks(abs); err2 == nil {
			abs = r
		}
	}
	if r, err := os.OpenRoot(abs); err == nil {
		return &dirFS{root: abs, fsys: r.FS(), safe: true}
	}
	return &dirFS{root: abs, fsys: os.DirFS(abs)} // reports the missing folder later
}

// check explains why name cannot be opened: not there, or a link out.
func (d *dirFS) check(name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	full := filepath.Join(d.root, filepath.FromSlash(name))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if real != d.root && !strings.HasPrefix(real, d.root+string(filepath.Separator)) {
		return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("symbolic link leads outside the source folder: %w", fs.ErrPermission)}
	}
	return nil
}

// do runs op on the folder: directly when the folder is an os.Root (and
// through check on failure, for the reason), else after check.
func do[T any](d *dirFS, name string, op func() (T, error)) (T, error) {
	if !d.safe {
		if err := d.check(name); err != nil {
			var zero T
			return zero, err
		}
		return op()
	}
	v, err := op()
	if err != nil {
		if cerr := d.check(name); cerr != nil {
			return v, cerr
		}
	}
	return v, err
}

func (d *dirFS) Open(name string) (fs.File, error) {
	return do(d, name, func() (fs.File, error) { return d.fsys.Open(name) })
}

func (d *dirFS) ReadFile(name string) ([]byte, error) {
	return do(d, name, func() ([]byte, error) { return fs.ReadFile(d.fsys, name) })
}

func (d *dirFS) Stat(name string) (fs.FileInfo, error) {
	return do(d, name, func() (fs.FileInfo, error) { return fs.Stat(d.fsys, name) })
}
