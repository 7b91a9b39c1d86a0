package site

// Incremental rebuilds for dev mode: a one-page edit in a 1000-page site must
// not re-render 1000 pages.
//
// A build with Options.Previous reuses two things from the previous site:
//
//   - A page's rendered markdown, when its source bytes are the same and every
//     question the renderer asked the site while rendering it gets the same
//     answer again: each link and image resolves to the same target (an
//     image's pixel size included), each included file has the same bytes,
//     each directive renders the same HTML. The questions are asked again
//     (that is cheap, and re-notes the anchors to check and the images to
//     serve); only goldmark and chroma are skipped.
//   - A page's finished HTML entry, when the page's own rendered content is
//     the same and so is everything every page shows of the others: the
//     templates, asset names, and each page's title, description, weight,
//     URL and H1 (the navigation and pager). Retitling one page therefore
//     still rebuilds every page's navigation. The entry is the previous
//     pointer, with its ETag and gzip body already computed; so is any other
//     entry (an image, an asset) whose bytes did not change.
//
// The rule this relies on: a page's template sees its own page in full, and
// of other pages only the fields named above. The theme's templates keep to
// it; a template that showed another page's Body would need that field added
// to siteKey.
//
// Memos are kept only when Options.Dev is set, so serve and export builds
// carry nothing extra.

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"html/template"
	"io/fs"
	"sync"

	"multistage/site/markdown"
)

// incSeed is fixed for the process; keys are compared only within it.
var incSeed = maphash.MakeSeed()

// incState is what a Site keeps for the next build.
type incState struct {
	pages   map[string]*pageMemo // by source file
	entries map[string]*Entry
}

// pageMemo is one page's render and its inputs.
type pageMemo struct {
	src   []byte // markdown body
	line  int
	calls []renderCall
	body  template.HTML
	head  template.HTML
	h1    string
	toc   []markdown.Heading
	ids   []string
	key   uint64 // hash of everything the page's HTML depends on
	entry *Entry
}

// renderCall is one callback the renderer made, with its answer.
type renderCall struct {
	kind   byte // 'l' link, 'i' include, 'd' directive
	dest   string
	image  bool
	line   int
	target markdown.Target
	data   []byte // include: the file; directive: the block body
	out    []byte // directive: the HTML
}

// incBuild is the incremental bookkeeping of one build; nil methods are
// no-ops, so the hooks cost nothing outside dev mode.
type incBuild struct {
	prev    *incState
	mu      sync.Mutex
	next    *incState
	siteKey uint64
}

func newIncBuild(opt Options) *incBuild {
	if !opt.Dev {
		return nil
	}
	ib := &incBuild{next: &incState{pages: map[string]*pageMemo{}}}
	if opt.Previous != nil {
		ib.prev = opt.Previous.inc
	}
	return ib
}

// reuse replays the previous render of p; it reports whether the previous
// result holds, and then has set p's rendered fields.
func (ib *incBuild) reuse(b *builder, p *Page, src pageSource) bool {
	if ib == nil || ib.prev == nil {
		return false
	}
	m := ib.prev.pages[p.File]
	if m == nil || m.line != src.line || !bytes.Equal(m.src, src.body) {
		return false
	}
	ok := true
	for _, c := range m.calls {
		switch c.kind {
		case 'l':
			t, err := b.resolve(p, c.dest, c.image, c.line)
			ok = err == nil && t == c.target
		case 'i':
			data, err := b.include(c.dest)
			ok = err == nil && bytes.Equal(data, c.data)
		case 'd':
			out, err := b.directive(p, c.dest, c.data)
			ok = err == nil && bytes.Equal(out, c.out)
		}
		if !ok {
			break
		}
	}
	if !ok {
		// The replay may have noted anchors; the real render notes them again.
		b.mu.Lock()
		kept := b.anchors[:0]
		for _, a := range b.anchors {
			if a.file != p.File {
				kept = append(kept, a)
			}
		}
		b.anchors = kept
		b.mu.Unlock()
		return false
	}
	p.Body, p.Head, p.H1, p.TOC, p.ids = m.body, m.head, m.h1, m.toc, m.ids
	ib.mu.Lock()
	ib.next.pages[p.File] = &pageMemo{src: m.src, line: m.line, calls: m.calls, body: m.body, head: m.head, h1: m.h1, toc: m.toc, ids: m.ids}
	ib.mu.Unlock()
	return true
}

// pageRecorder notes the callbacks of one page's render.
type pageRecorder struct {
	ib    *incBuild
	p     *Page
	src   pageSource
	mu    sync.Mutex
	calls []renderCall
}

// record wraps the render context's callbacks so their answers are kept.
func (ib *incBuild) record(p *Page, src pageSource, ctx markdown.Context) (*pageRecorder, markdown.Context) {
	if ib == nil {
		return nil, ctx
	}
	r := &pageRecorder{ib: ib, p: p, src: src}
	link, include, directive := ctx.Link, ctx.Include, ctx.Directive
	if link != nil {
		ctx.Link = func(dest string, image bool, line int) (markdown.Target, error) {
			t, err := link(dest, image, line)
			r.add(renderCall{kind: 'l', dest: dest, image: image, line: line, target: t})
			return t, err
		}
	}
	if include != nil {
		ctx.Include = func(name string) ([]byte, error) {
			data, err := include(name)
			r.add(renderCall{kind: 'i', dest: name, data: data})
			return data, err
		}
	}
	if directive != nil {
		ctx.Directive = func(name string, body []byte, line int) ([]byte, error) {
			out, err := directive(name, body, line)
			r.add(renderCall{kind: 'd', dest: name, data: body, line: line, out: out})
			return out, err
		}
	}
	return r, ctx
}

func (r *pageRecorder) add(c renderCall) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// done keeps a successful render for the next build.
func (r *pageRecorder) done(res *markdown.Result) {
	if r == nil || res == nil {
		return
	}
	m := &pageMemo{src: r.src.body, line: r.src.line, calls: r.calls, body: res.HTML, head: res.Head, h1: res.H1, toc: res.TOC, ids: res.IDs}
	r.ib.mu.Lock()
	r.ib.next.pages[r.p.File] = m
	r.ib.mu.Unlock()
}

// computeSiteKey hashes what every page shows of the whole site.
func (ib *incBuild) computeSiteKey(b *builder) {
	if ib == nil {
		return
	}
	var h maphash.Hash
	h.SetSeed(incSeed)
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.WriteString(s)
	}
	str(b.opt.Base)
	str(b.css)
	str(b.js)
	str(b.liveJS)
	str(b.favicon)
	if names, err := fs.Glob(b.opt.Theme, "templates/*.html"); err == nil {
		for _, n := range names {
			data, _ := fs.ReadFile(b.opt.Theme, n)
			str(n)
			str(string(data))
		}
	}
	for _, p := range b.pages {
		str(p.File)
		str(p.Slug)
		str(p.URL)
		str(p.Title)
		str(p.Description)
		str(p.H1)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(int64(p.Weight)))
		h.Write(n[:])
	}
	ib.siteKey = h.Sum64()
}

// pageKey hashes the site key and the page's own rendered content.
func (ib *incBuild) pageKey(p *Page) uint64 {
	var h maphash.Hash
	h.SetSeed(incSeed)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], ib.siteKey)
	h.Write(n[:])
	h.WriteString(p.File)
	h.WriteByte(0)
	h.WriteString(string(p.Body))
	h.WriteByte(0)
	h.WriteString(string(p.Head))
	h.WriteByte(0)
	for _, t := range p.TOC {
		binary.LittleEndian.PutUint64(n[:], uint64(t.Level))
		h.Write(n[:])
		h.WriteString(t.ID)
		h.WriteByte(0)
		h.WriteString(t.Text)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// pageEntry returns the previous HTML entry of p when nothing it shows
// changed, or nil.
func (ib *incBuild) pageEntry(p *Page) *Entry {
	if ib == nil {
		return nil
	}
	key := ib.pageKey(p)
	ib.mu.Lock()
	defer ib.mu.Unlock()
	m := ib.next.pages[p.File]
	if m != nil {
		m.key = key
	}
	if ib.prev == nil {
		return nil
	}
	old := ib.prev.pages[p.File]
	if old == nil || old.entry == nil || old.key != key || old.entry.Path != p.URL {
		return nil
	}
	if m != nil {
		m.entry = old.entry
	}
	return old.entry
}

// keepPage remembers the entry built for p.
func (ib *incBuild) keepPage(p *Page, e *Entry) {
	if ib == nil {
		return
	}
	ib.mu.Lock()
	if m := ib.next.pages[p.File]; m != nil {
		m.entry = e
	}
	ib.mu.Unlock()
}

// reuseEntries swaps in the previous entry for every path whose bytes and
// headers did not change, so finish skips its ETag and gzip, and keeps the
// state for the next build.
func (ib *incBuild) reuseEntries(s *Site) {
	if ib == nil {
		return
	}
	if ib.prev != nil {
		for p, e := range s.entries {
			old := ib.prev.entries[p]
			if old == nil || old == e || old.Type != e.Type || old.CacheControl != e.CacheControl || !bytes.Equal(old.Body, e.Body) {
				continue
			}
			s.entries[p] = old
			if s.notFound == e {
				s.notFound = old
			}
		}
	}
	ib.next.entries = s.entries
	s.inc = ib.next
}

// finished reports entries that already carry their ETag (reused ones).
func (e *Entry) finished() bool { return e.ETag != "" }
