package site

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"multistage/site/markdown"
)

type pageSource struct {
	body []byte
	line int // lines before the body (front matter)
}

// imageExts are the files served as images, with their types.
var imageExts = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".svg": "image/svg+xml", ".avif": "image/avif",
}

// loadScreenshots ships every image under screenshots/, referenced or not:
// /screenshots/NAME.png is part of the contract.
func (b *builder) loadScreenshots() error {
	err := fs.WalkDir(b.src, "screenshots", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "screenshots" && IsIgnored(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if IsIgnored(d.Name()) || imageExts[strings.ToLower(path.Ext(p))] == "" {
			return nil
		}
		_, err = b.addFile(p)
		return err
	})
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("screenshots: %w", err)
	}
	return nil
}

// staticFile is a source file the site serves as it is.
type staticFile struct {
	entry         *Entry
	width, height int
}

// addFile adds a source file (an image) to the site once.
func (b *builder) addFile(name string) (*staticFile, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if sf, ok := b.static[name]; ok {
		return sf, nil
	}
	data, err := fs.ReadFile(b.src, name)
	if err != nil {
		return nil, err
	}
	sf := &staticFile{entry: &Entry{Path: "/" + name, Type: imageExts[strings.ToLower(path.Ext(name))], Body: data}}
	if w, h, err := imageSize(data); err == nil {
		sf.width, sf.height = w, h
	} else if sf.entry.Type != "image/svg+xml" && sf.entry.Type != "image/avif" {
		return nil, fmt.Errorf("%s: not a valid image: %v", name, err)
	}
	if b.static == nil {
		b.static = map[string]*staticFile{}
	}
	b.static[name] = sf
	return sf, nil
}

// root is the relative path from a page's URL to the site root: "./" for
// the index, "../" for /usage/, "../../" for /a/b/.
func root(p *Page) string {
	if p.Slug == "" {
		return "./"
	}
	return strings.Repeat("../", strings.Count(p.Slug, "/")+1)
}

// href is the relative URL from page from to page to.
func href(from, to *Page) string {
	if to.Slug == "" {
		return root(from)
	}
	return root(from) + to.Slug + "/"
}

// renderPages renders every page's markdown in parallel.
func (b *builder) renderPages() {
	work := make(chan *Page)
	var wg sync.WaitGroup
	n := runtime.GOMAXPROCS(0)
	if n > len(b.pages) {
		n = len(b.pages)
	}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				b.renderPage(p)
				b.progress()
			}
		}()
	}
	for _, p := range b.pages {
		work <- p
	}
	close(work)
	wg.Wait()
}

func (b *builder) renderPage(p *Page) {
	src := b.bodies[p]
	if b.inc.reuse(b, p, src) {
		return
	}
	ctx := markdown.Context{
		File:       p.File,
		LineOffset: src.line,
		Link: func(dest string, image bool, line int) (markdown.Target, error) {
			return b.resolve(p, dest, image, line)
		},
		Include:   b.include,
		Directive: func(name string, body []byte, line int) ([]byte, error) { return b.directive(p, name, body) },
	}
	rec, ctx := b.inc.record(p, src, ctx)
	res, err := b.opt.Renderer.Render(src.body, ctx)
	if err != nil {
		b.mu.Lock()
		if es, ok := err.(markdown.Errors); ok {
			b.errs = append(b.errs, es...)
		} else {
			b.errs = append(b.errs, &markdown.Error{File: p.File, Msg: err.Error()})
		}
		b.mu.Unlock()
		return
	}
	p.Body, p.Head, p.H1, p.TOC, p.ids = res.HTML, res.Head, res.H1, res.TOC, res.IDs
	rec.done(res)
}

// resolve turns a link or image destination written in page p into a
// relative URL, and notes anchors to check once every page is rendered.
func (b *builder) resolve(p *Page, dest string, image bool, line int) (markdown.Target, error) {
	if dest == "" {
		return markdown.Target{}, fmt.Errorf("empty link destination")
	}
	u, err := url.Parse(dest)
	if err != nil {
		return markdown.Target{}, fmt.Errorf("bad link %q: %v", dest, err)
	}
	if u.Scheme != "" || strings.HasPrefix(dest, "//") {
		switch strings.ToLower(u.Scheme) {
		case "http", "https", "mailto", "":
			if image {
				return markdown.Target{}, fmt.Errorf("image %s is not in the sources: pages work offline, so images are served by the site", dest)
			}
			return markdown.Target{Href: dest}, nil
		}
		return markdown.Target{}, fmt.Errorf("link %q: scheme %q is not allowed", dest, u.Scheme)
	}
	if strings.HasPrefix(u.Path, "/") {
		return markdown.Target{}, fmt.Errorf("link %q is absolute: write it relative to %s so the site works under any sub-path", dest, p.File)
	}
	frag := u.Fragment
	if u.Path == "" { // "#anchor" on this page
		if frag != "" {
			b.noteAnchor(p.File, line, p, frag)
		}
		return markdown.Target{Href: "#" + u.EscapedFragment()}, nil
	}
	target := path.Join(path.Dir(p.File), u.Path)
	if target == ".." || strings.HasPrefix(target, "../") {
		return markdown.Target{}, fmt.Errorf("link %q points outside the source folder", dest)
	}
	suffix := ""
	if u.RawQuery != "" {
		suffix = "?" + u.RawQuery
	}
	if frag != "" {
		suffix += "#" + u.EscapedFragment()
	}
	if path.Ext(target) == ".md" && !image {
		tp := b.byFile[target]
		if tp == nil {
			return markdown.Target{}, fmt.Errorf("link %q: no page %s", dest, target)
		}
		if frag != "" {
			b.noteAnchor(p.File, line, tp, frag)
		}
		return markdown.Target{Href: href(p, tp) + suffix}, nil
	}
	if !image && (strings.HasSuffix(u.Path, "/") || path.Ext(u.Path) == "") {
		return b.resolveURL(p, dest, u.Path, frag, suffix, line)
	}
	if imageExts[strings.ToLower(path.Ext(target))] == "" {
		what := "link"
		if image {
			what = "image"
		}
		return markdown.Target{}, fmt.Errorf("%s %q: the site serves pages (.md) and images only", what, dest)
	}
	sf, err := b.addFile(target)
	if err != nil {
		if isNotExist(err) {
			return markdown.Target{}, fmt.Errorf("image %q: no file %s", dest, target)
		}
		return markdown.Target{}, fmt.Errorf("image %q: %v", dest, err)
	}
	return markdown.Target{Href: root(p) + escapePath(target) + suffix, Width: sf.width, Height: sf.height}, nil
}

func escapePath(p string) string { return (&url.URL{Path: p}).EscapedPath() }

func (b *builder) noteAnchor(file string, line int, target *Page, frag string) {
	b.mu.Lock()
	b.anchors = append(b.anchors, anchorRef{file: file, line: line, target: target, frag: frag})
	b.mu.Unlock()
}

// checkAnchors reports every #fragment that names no id on its target page.
func (b *builder) checkAnchors() {
	for _, a := range b.anchors {
		if a.target.ids == nil && a.target.Body == "" {
			continue // the target failed to render; that error is reported
		}
		i := sort.SearchStrings(a.target.ids, a.frag)
		if i < len(a.target.ids) && a.target.ids[i] == a.frag {
			continue
		}
		b.errorf(a.file, a.line, "link to #%s: %s has no such anchor", a.frag, a.target.File)
	}
}

// include reads a file for a code block's file= attribute.
func (b *builder) include(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, fmt.Errorf("include %q: name a file relative to the source root, without .. or a leading /", name)
	}
	data, err := fs.ReadFile(b.src, name)
	if err != nil {
		if isNotExist(err) {
			return nil, fmt.Errorf("include %q: no such file in the source root", name)
		}
		return nil, fmt.Errorf("include %q: %v", name, err)
	}
	return data, nil
}

// sortErrors orders problems by file and line, so output is stable however
// the parallel renderers finished.
func sortErrors(es markdown.Errors) markdown.Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		return es[i].Line < es[j].Line
	})
	// One problem found twice (an image that is also a link's target,
	// [![a](x.png)](x.png)) is listed once.
	seen := make(map[markdown.Error]bool, len(es))
	return slices.DeleteFunc(es, func(e *markdown.Error) bool {
		dup := seen[*e]
		seen[*e] = true
		return dup
	})
}
