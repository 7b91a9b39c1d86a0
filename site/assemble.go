package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"multistage/site/markdown"
)

// Cache policies: content-hashed assets never change under their name;
// everything else is revalidated with its ETag on each use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// pageData is what the page templates see.
type pageData struct {
	Site *siteData
	Page *Page
	Root string // relative (or, on the 404 page, absolute) path to the site root
}

type siteData struct {
	Title   string
	Pages   []*Page
	CSS, JS string // root-relative asset paths
	LiveJS  string // set in dev mode only
	Favicon string
	URL     string // the site's absolute URL, or "" (see sitemap.go)
}

// Href is the link from the page being rendered to another page.
func (d *pageData) Href(to *Page) string {
	if d.Page == nil { // the 404 page links from the absolute root
		if to.Slug == "" {
			return d.Root
		}
		return d.Root + to.Slug + "/"
	}
	return href(d.Page, to)
}

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	// shortID shortens "sha256:abcdef..." to Docker's 12-character form.
	"shortID": func(id string) string {
		id = strings.TrimPrefix(id, "sha256:")
		if len(id) > 12 {
			id = id[:12]
		}
		return id
	},
}

// loadTheme parses the templates and hashes the assets.
func (b *builder) loadTheme() error {
	// base.html and directives.html are shared; each top-level template
	// (page, 404) gets its own clone, since both define "content".
	common, err := template.New("").Funcs(funcs).ParseFS(b.opt.Theme, "templates/base.html", "templates/directives.html")
	if err != nil {
		return fmt.Errorf("theme templates: %w", err)
	}
	b.tmpl = common
	for _, name := range []string{"page.html", "404.html"} {
		c, err := common.Clone()
		if err == nil {
			c, err = c.ParseFS(b.opt.Theme, "templates/"+name)
		}
		if err != nil {
			return fmt.Errorf("theme templates: %w", err)
		}
		b.top = append(b.top, c)
	}
	css, err := fs.ReadFile(b.opt.Theme, "assets/site.css")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	chromaCSS, err := markdown.CSS()
	if err != nil {
		return fmt.Errorf("code styles: %w", err)
	}
	css = append(append(css, "\n/* code: generated from chroma's "+markdown.LightStyle+" and "+markdown.DarkStyle+" styles */\n"...), chromaCSS...)
	b.css = b.addAsset("site", ".css", "text/css; charset=utf-8", css)
	js, err := fs.ReadFile(b.opt.Theme, "assets/site.js")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	b.js = b.addAsset("site", ".js", "text/javascript; charset=utf-8", js)
	ico, err := fs.ReadFile(b.opt.Theme, "assets/favicon.svg")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	b.favicon = b.addAsset("favicon", ".svg", "image/svg+xml", ico)
	if b.opt.Dev {
		live, err := fs.ReadFile(b.opt.Theme, "assets/live.js")
		if err != nil {
			return fmt.Errorf("theme: %w", err)
		}
		b.liveJS = b.addAsset("live", ".js", "text/javascript; charset=utf-8", live)
	}
	return nil
}

// addAsset stores a content-hashed asset and returns its root-relative path.
func (b *builder) addAsset(name, ext, typ string, data []byte) string {
	sum := sha256.Sum256(data)
	p := "assets/" + name + "." + hex.EncodeToString(sum[:])[:12] + ext
	b.assets = append(b.assets, &Entry{Path: "/" + p, Type: typ, Body: data, CacheControl: cacheImmutable})
	return p
}

// assemble executes the templates and finishes every entry.
func (b *builder) assemble() (*Site, error) {
	sd := &siteData{Title: b.pages[0].Title, Pages: b.pages, CSS: b.css, JS: b.js, LiveJS: b.liveJS, Favicon: b.favicon, URL: b.opt.URL}
	s := &Site{Pages: b.pages, entries: map[string]*Entry{}}
	add := func(e *Entry) { s.entries[e.Path] = e }
	for _, e := range b.assets {
		add(e)
	}
	for _, sf := range b.static {
		sf.entry.CacheControl = cacheRevalidate
		add(sf.entry)
	}
	var errs markdown.Errors
	b.inc.computeSiteKey(b)
	// Pages are executed on all cores (html/template is safe for parallel
	// use) into slots, and added in order.
	done := make([]*Entry, len(b.pages))
	failed := make([]*markdown.Error, len(b.pages))
	parallel(len(b.pages), func(i int) {
		p := b.pages[i]
		if e := b.inc.pageEntry(p); e != nil {
			done[i] = e
			return
		}
		var buf bytes.Buffer
		if err := b.top[0].ExecuteTemplate(&buf, "page.html", &pageData{Site: sd, Page: p, Root: root(p)}); err != nil {
			failed[i] = &markdown.Error{File: p.File, Msg: "template: " + err.Error()}
			return
		}
		e := &Entry{Path: p.URL, Type: "text/html; charset=utf-8", Body: buf.Bytes(), CacheControl: cacheRevalidate}
		done[i] = e
		b.inc.keepPage(p, e)
	})
	for i := range b.pages {
		if failed[i] != nil {
			errs = append(errs, failed[i])
		} else {
			add(done[i])
		}
	}
	var buf bytes.Buffer
	if err := b.top[1].ExecuteTemplate(&buf, "404.html", &pageData{Site: sd, Root: b.opt.Base}); err != nil {
		errs = append(errs, &markdown.Error{File: "templates/404.html", Msg: err.Error()})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if b.opt.URL != "" {
		add(b.sitemap())
	}
	s.notFound = &Entry{Path: "/404.html", Type: "text/html; charset=utf-8", Body: buf.Bytes(), CacheControl: cacheRevalidate}
	add(s.notFound)
	for p := range s.entries {
		s.paths = append(s.paths, p)
	}
	sort.Strings(s.paths)
	b.inc.reuseEntries(s)
	finish(s, !b.opt.NoGzip)
	return s, nil
}

// finish computes ETags and (unless !gz) gzip bodies in parallel.
func finish(s *Site, gz bool) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, e := range s.entries {
		if e.finished() {
			continue // reused from the previous build
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(e *Entry) {
			defer func() { <-sem; wg.Done() }()
			sum := sha256.Sum256(e.Body)
			tag := hex.EncodeToString(sum[:])[:20]
			e.ETag = `"` + tag + `"`
			if gz && compressible(e.Type) {
				var z bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
				_, _ = zw.Write(e.Body)
				_ = zw.Close()
				if z.Len() < len(e.Body)*9/10 {
					e.Gzip = z.Bytes()
					e.GzipETag = `"` + tag + `-gz"`
				}
			}
		}(e)
	}
	wg.Wait()
}

func compressible(typ string) bool {
	return strings.HasPrefix(typ, "text/") || strings.Contains(typ, "json") || strings.Contains(typ, "svg") || strings.Contains(typ, "xml")
}

// IsIgnored reports names that are never sources: hidden files, and the
// temporary and backup files of common editors (vim, Emacs, JetBrains, VS
// Code, Kate, gedit, Sublime, Helix).
func IsIgnored(name string) bool {
	switch {
	case name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasPrefix(name, "~"):
		return true
	case strings.HasSuffix(name, "~") || strings.HasSuffix(name, "#"):
		return true
	case strings.Contains(name, "___jb_tmp___") || strings.Contains(name, "___jb_old___"):
		return true
	case name == "4913": // vim's probe for a writable folder
		return true
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".swp", ".swo", ".swx", ".swpx", ".tmp", ".temp", ".bak", ".orig", ".kate-swp", ".part", ".crdownload":
		return true
	}
	return false
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
