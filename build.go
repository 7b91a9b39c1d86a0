package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"multistage/site"
)

const buildBaseHelp = "where the site is served: a `path` (/docs/) used by the 404 page, or a full URL " +
	"(https://example.com/docs/) that also adds canonical links and sitemap.xml"

// runBuild is `multistage build`: render the sources and export them as a
// static site. It refuses to write into the sources or over a folder it did
// not create, writes the new site beside the old and swaps it in, and fails
// (listing every problem with file:line) on a broken link, anchor or image.
func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("build", stderr)
	src := fset.String("src", "", "render this `folder` instead of the embedded tutorial")
	out := fset.String("o", "public", "output `folder`; replaced whole on each build")
	base := fset.String("base", "/", buildBaseHelp)
	force := fset.Bool("force", false, "replace the output folder even if it holds files that build did not write")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *out == "" {
		return &usageError{"build: -o needs a folder name"}
	}
	opt, err := baseOptions(*base)
	if err != nil {
		return &usageError{err.Error()}
	}
	if *src != "" {
		if err := checkOutside(*src, *out); err != nil {
			return err
		}
	}
	if err := checkNotHere(*out); err != nil {
		return err
	}
	start := time.Now()
	srcFS, err := sourceFS(*src)
	if err != nil {
		return err
	}
	prog := newProgress(stderr)
	// The export starts first: a refused output folder is reported before
	// any rendering, and pages are written while others render.
	x, err := site.StartExport(*out, site.ExportOptions{Force: *force, Progress: prog.fn("wrote", "files")})
	if err != nil {
		return err // names the folder (and -force when that would help)
	}
	opt.NoGzip = true // the export writes identity bodies only
	opt.Progress = prog.fn("rendered", "pages")
	opt.Export = x
	s, err := site.Build(srcFS, opt)
	prog.clear()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		x.Abort()
		return err
	}
	files, size, err := x.Commit(s)
	prog.clear()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %d pages, %d files, %s into %s in %s\n",
		len(s.Pages), files, humanBytes(size), *out, time.Since(start).Round(time.Millisecond))
	return nil
}

// baseOptions reads -base: a URL path, or a full http(s) URL whose path is
// the base. A path without its final slash gets one.
func baseOptions(base string) (site.Options, error) {
	var opt site.Options
	if strings.Contains(base, "://") {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return opt, fmt.Errorf("-base %q: want a path such as /docs/ or a URL such as https://example.com/docs/", base)
		}
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		opt.URL, opt.Base = u.String(), u.Path
		return opt, nil
	}
	if !strings.HasPrefix(base, "/") {
		return opt, fmt.Errorf("-base %q: a path must start with / (the site is served from /%s)", base, base)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	opt.Base = base
	return opt, nil
}

// checkNotHere refuses an output folder that is the current folder or holds
// it (".", "..", "~", "/"), even with -force: replacing it would delete the
// folder the user is working in, whatever it holds.
func checkNotHere(out string) error {
	o, err := canonical(out)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil // no current folder to protect
	}
	if w, err := canonical(wd); err == nil && (o == w || within(w, o)) {
		return fmt.Errorf("-o %s is the current folder or holds it: replacing it would delete your working files; choose a folder inside it, such as public", out)
	}
	return nil
}

// checkOutside refuses an output folder that would overwrite the sources:
// the source folder itself, a folder holding it, or a place inside the
// folders a build reads pages and images from. Elsewhere inside the source
// folder is fine (`build -src . -o public` is the usual way to publish a
// checkout).
func checkOutside(src, out string) error {
	s, err := canonical(src)
	if err != nil {
		return fmt.Errorf("-src %s: %w", src, err)
	}
	o, err := canonical(out)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	switch {
	case o == s:
		return fmt.Errorf("-o %s is the source folder: choose another output folder", out)
	case within(s, o):
		return fmt.Errorf("-o %s holds the source folder %s: replacing it would delete the sources", out, src)
	}
	for _, d := range []string{"content", "screenshots"} {
		if r := filepath.Join(s, d); o == r || within(o, r) {
			return fmt.Errorf("-o %s is inside the sources (%s): the build would read its own output", out, filepath.Join(src, d))
		}
	}
	return nil
}

// canonical is the absolute path with every symbolic link resolved, as far
// as the path exists.
func canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// within reports whether p is strictly inside dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// progress shows a count on a terminal ("rendered 1200/5000 pages"),
// redrawn at most ten times a second and only once a phase has taken a
// moment, so small builds and logs (stderr not a terminal) stay quiet.
type progress struct {
	w     io.Writer // nil: silent
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		p.w = stderr
	}
	return p
}

func (p *progress) fn(verb, noun string) func(done, total int) {
	if p.w == nil {
		return nil
	}
	p.start = time.Now()
	return func(done, total int) {
		now := time.Now()
		if now.Sub(p.start) < 300*time.Millisecond || (now.Sub(p.last) < 100*time.Millisecond && done < total) {
			return
		}
		p.last = now
		p.shown = true
		fmt.Fprintf(p.w, "\r\x1b[K%s %d/%d %s", verb, done, total, noun)
	}
}

// clear erases the count line, if one was drawn.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
