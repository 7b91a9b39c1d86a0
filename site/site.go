// Package site is the generator: it loads the tutorial's pages from an fs.FS,
// renders them once into an immutable in-memory Site (path → bytes, gzip
// bytes, ETag, type), and serves or exports that Site. Requests never render,
// and the export writes the very bytes the handler serves.
//
// Source layout (the repository root, embedded or a -src folder):
//
//	content/**/*.md       pages, with front matter (title, weight, description)
//	content/sizes.json    measured image sizes, rendered by the "sizes" directive
//	screenshots/*.png     images the pages show
//	any other file        may be included into a code block with file=NAME
//
// URLs: content/index.md is "/", content/a/b.md is "/a/b/". When there is no
// index.md, the first page by weight is "/". Links between pages are written
// as relative .md links (so the sources read right on GitHub) and become
// relative URLs, so the same bytes work at "/", under any sub-path, and from
// the file system.
package site

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"multistage/internal/sizes"
	"multistage/site/markdown"
)

//go:embed theme
var embedded embed.FS

// Theme returns the embedded templates and assets (templates/, assets/).
func Theme() fs.FS {
	sub, err := fs.Sub(embedded, "theme")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	return sub
}

// Options configure a build.
type Options struct {
	// Theme holds templates/*.html and assets/*; nil means the embedded one.
	// Dev mode passes the theme folder on disk so that edits reload.
	Theme fs.FS
	// Dev adds the live-reload script. Never set for serve or export.
	Dev bool
	// Base is the absolute URL path the site is served under ("/" when empty).
	// Only what must be absolute uses it: the 404 page, which is served at
	// any depth, and the sitemap.
	Base string
	// URL is the site's full address ("https://example.com/docs/"). When
	// set, pages carry a canonical link and the site a /sitemap.xml, and its
	// path is the Base. Without it neither exists (see sitemap.go).
	URL string
	// Progress, when set, is called as pages are rendered (from one
	// goroutine at a time), for a count on a terminal.
	Progress func(done, total int)
	// NoGzip skips the precompressed copies (Entry.Gzip stays nil): the
	// static export writes Body only, and compressing thousands of pages at
	// the best level would be most of its time.
	NoGzip bool
	// Renderer is reused between builds (it caches highlighted code); nil
	// makes a new one.
	Renderer *markdown.Renderer
	// Export, when set, receives each page as soon as its HTML exists (see
	// Exporter); the caller commits or aborts it after Build. The Site is
	// then for that export only: its entries get no ETag or gzip copy, and
	// pages already written keep no body.
	Export *Exporter
	// Previous is the last site built with the same options, whose unchanged
	// pages and entries a dev build reuses (see incremental.go).
	Previous *Site
}

// Entry is one served file.
type Entry struct {
	Path         string // URL path, e.g. "/usage/"
	Type         string // Content-Type
	Body         []byte
	Gzip         []byte // nil when compression does not pay
	ETag         string // strong ETag of Body
	GzipETag     string
	CacheControl string

	once sync.Once
	prep prepared
}

// Page is a rendered tutorial page.
type Page struct {
	File        string // source path, e.g. "content/usage.md"
	Slug        string // URL path below the root without slashes around, "" for the index
	URL         string // "/" or "/usage/"
	Title       string
	Description string
	Weight      int
	Body        template.HTML
	Head        template.HTML // the page's own <h1>, when its markdown opens with one
	H1          string
	TOC         []markdown.Heading
	Prev, Next  *Page

	ids   []string
	index int // position in Site.Pages
}

// Site is a built site. It never changes after Build returns.
type Site struct {
	Pages    []*Page
	entries  map[string]*Entry
	paths    []string
	notFound *Entry
	inc      *incState // dev builds: what the next build may reuse
}

// Entry returns the entry served at a URL path, or nil.
func (s *Site) Entry(p string) *Entry { return s.entries[p] }

// Paths lists every served path in sorted order.
func (s *Site) Paths() []string { return s.paths }

// NotFound is the styled 404 page.
func (s *Site) NotFound() *Entry { return s.notFound }

// Build loads and renders everything under src. Every problem found is
// returned at once, each naming its file and line (a markdown.Errors).
func Build(src fs.FS, opt Options) (*Site, error) {
	b := &builder{src: src, opt: opt}
	if b.opt.Theme == nil {
		b.opt.Theme = Theme()
	}
	if err := checkURL(&b.opt); err != nil {
		return nil, err
	}
	if b.opt.Base == "" {
		b.opt.Base = "/"
	}
	if !strings.HasPrefix(b.opt.Base, "/") || !strings.HasSuffix(b.opt.Base, "/") {
		return nil, fmt.Errorf("base %q must start and end with /", b.opt.Base)
	}
	if b.opt.Renderer == nil {
		b.opt.Renderer = markdown.New()
	}
	b.inc = newIncBuild(b.opt)
	return b.build()
}

type builder struct {
	src    fs.FS
	opt    Options
	pages  []*Page
	byFile map[string]*Page
	bySlug map[string]*Page // URL slug (and file-derived slug) → page, for URL-style links

	mu       sync.Mutex
	rendered int // pages done, for Options.Progress
	errs     markdown.Errors
	anchors  []anchorRef

	bodies map[*Page]pageSource
	static map[string]*staticFile
	assets []*Entry

	sizesOnce   sync.Once
	sizesReport *sizes.Report
	sizesErr    error

	tmpl                     *template.Template   // shared definitions (directives)
	top                      []*template.Template // page.html, 404.html
	css, js, liveJS, favicon string

	inc *incBuild // dev builds: incremental bookkeeping (nil otherwise)
}

type anchorRef struct {
	file   string
	line   int
	target *Page
	frag   string
}

func (b *builder) errorf(file string, line int, format string, args ...any) {
	b.mu.Lock()
	b.errs = append(b.errs, &markdown.Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
	b.mu.Unlock()
}

func (b *builder) build() (*Site, error) {
	if err := b.loadPages(); err != nil {
		return nil, err
	}
	if x := b.opt.Export; x != nil {
		urls := make([]string, len(b.pages))
		for i, p := range b.pages {
			urls[i] = p.URL
		}
		x.makeDirs(urls) // while the pages render
	}
	if err := b.loadTheme(); err != nil {
		return nil, err
	}
	if err := b.loadScreenshots(); err != nil {
		return nil, err
	}
	b.renderPages()
	b.checkAnchors()
	if len(b.errs) > 0 {
		b.errs = sortErrors(b.errs)
		return nil, b.errs
	}
	return b.assemble()
}

// loadPages reads every page's front matter and assigns URLs and order.
func (b *builder) loadPages() error {
	var files []string
	err := fs.WalkDir(b.src, "content", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "content" && IsIgnored(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if IsIgnored(d.Name()) || path.Ext(p) != ".md" {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			msg := "content: no such folder: the source folder (-src) must hold content/*.md pages"
			if m, _ := fs.Glob(b.src, "*.md"); len(m) > 0 {
				// The likeliest slip: -src naming content/ itself.
				msg += "; this one holds " + m[0] + " itself: if it is content/, pass the folder above it"
			}
			return errors.New(msg)
		}
		return fmt.Errorf("content: %w", err)
	}
	if len(files) == 0 {
		return fmt.Errorf("content: no pages (*.md) found")
	}
	b.byFile = map[string]*Page{}
	type loaded struct {
		p    *Page
		body []byte
		line int
	}
	var bodies = map[*Page]loaded{}
	// Files are read and their front matter parsed on all cores (a large
	// site is thousands of small reads), then taken in order.
	type read struct {
		fm      FrontMatter
		body    []byte
		line    int
		err     error
		errLine int
	}
	reads := make([]read, len(files))
	parallel(len(files), func(i int) {
		r := &reads[i]
		src, err := fs.ReadFile(b.src, files[i])
		if err != nil {
			r.err = err
			return
		}
		var fmRaw []byte
		fmRaw, r.body, r.line, err = splitFrontMatter(src)
		if err == nil {
			r.fm, err = parseFrontMatter(fmRaw)
		}
		var fe *fmError
		if errors.As(err, &fe) {
			r.err, r.errLine = errors.New(fe.msg), fe.line
		} else {
			r.err = err
		}
	})
	for i, f := range files {
		r := reads[i]
		if r.err != nil {
			b.errorf(f, r.errLine, "%v", r.err)
			continue
		}
		fm := r.fm
		slug := strings.TrimSuffix(strings.TrimPrefix(f, "content/"), ".md")
		if path.Base(slug) == "index" || path.Base(slug) == "_index" || path.Base(slug) == "README" {
			slug = strings.TrimSuffix(path.Dir(slug), ".")
			slug = strings.TrimSuffix(slug, "/")
		}
		p := &Page{File: f, Slug: slug, Title: fm.Title, Description: fm.Description, Weight: fm.Weight}
		b.pages = append(b.pages, p)
		b.byFile[f] = p
		bodies[p] = loaded{p, r.body, r.line}
	}
	if len(b.errs) > 0 {
		b.errs = sortErrors(b.errs)
		return b.errs
	}
	sort.SliceStable(b.pages, func(i, j int) bool {
		pi, pj := b.pages[i], b.pages[j]
		if pi.Weight != pj.Weight {
			return pi.Weight < pj.Weight
		}
		return pi.File < pj.File
	})
	// Without an index page, the first page by weight is the root.
	hasIndex := false
	for _, p := range b.pages {
		if p.Slug == "" {
			hasIndex = true
		}
	}
	if !hasIndex {
		b.pages[0].Slug = ""
	}
	urls := map[string]*Page{}
	for i, p := range b.pages {
		p.URL = "/"
		if p.Slug != "" {
			p.URL = "/" + p.Slug + "/"
		}
		if q, dup := urls[p.URL]; dup {
			b.errorf(p.File, 0, "page URL %s is also %s's", p.URL, q.File)
		}
		urls[p.URL] = p
		p.index = i
		if i > 0 {
			p.Prev = b.pages[i-1]
			b.pages[i-1].Next = p
		}
	}
	b.indexSlugs()
	b.bodies = map[*Page]pageSource{}
	for p, l := range bodies {
		b.bodies[p] = pageSource{body: l.body, line: l.line}
	}
	if len(b.errs) > 0 {
		return b.errs
	}
	return nil
}
