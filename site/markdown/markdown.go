// Package markdown turns one page's markdown into HTML for the site: goldmark
// with GitHub Flavored Markdown and footnotes, chroma-highlighted code blocks,
// GitHub-compatible heading IDs and a table of contents.
//
// It knows nothing of files, templates or HTTP. The caller hands it the bytes
// of a page and a Context of callbacks that resolve links, images, includes and
// directives; it hands back HTML, the headings and every problem found, each
// with the file and line at fault.
//
// Raw HTML in markdown is refused: HTML comments are dropped (they are notes
// to authors), any other tag is an error naming the line. Pages then never
// carry markup that the Content-Security-Policy would break or that escapes
// the site's styles, and nothing the author wrote disappears silently.
package markdown

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"html/template"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Target is where a link or image in the page points after resolution.
type Target struct {
	Href          string // URL to write into the page
	Width, Height int    // an image's size in pixels, when known
}

// Context connects a page to the rest of the site. Every callback may be nil,
// in which case the feature it serves is reported as unavailable.
type Context struct {
	// File names the page in error messages, e.g. "content/usage.md".
	File string
	// LineOffset is added to line numbers (the lines of front matter that
	// precede the markdown body).
	LineOffset int
	// Link resolves a link (image=false) or image (image=true) destination as
	// written in the page. Errors are reported at the link's line.
	Link func(dest string, image bool, line int) (Target, error)
	// Include reads a file named by a code block's file= attribute, relative
	// to the source root.
	Include func(name string) ([]byte, error)
	// Directive renders a fenced block whose language is a directive name
	// (see Directives) to HTML produced by the caller's own templates.
	Directive func(name string, body []byte, line int) ([]byte, error)
}

// Heading is an entry of a page's table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Result is a rendered page.
type Result struct {
	HTML template.HTML
	// Head is the <h1> element the page opens with, if it opens with one; it
	// is not part of HTML. H1 is its text.
	Head template.HTML
	H1   string
	TOC  []Heading // the h2 and h3 headings, in order
	IDs  []string  // every id attribute in HTML, sorted, for anchor checks
}

// Directives are fence languages rendered by Context.Directive instead of as
// code.
var Directives = map[string]bool{"sizes": true, "demo": true}

// Renderer renders pages. It is safe for concurrent use, and it remembers
// highlighted code across calls, so keep one per site (or per dev session).
type Renderer struct {
	md goldmark.Markdown
	hl *highlighter
}

var pageKey = parser.NewContextKey()

// New returns a Renderer.
func New() *Renderer {
	r := &Renderer{hl: &highlighter{}}
	r.md = goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Footnote),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(&transformer{hl: r.hl}, 100)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(&codeRenderer{}, 100)),
		),
	)
	return r
}

// pageState is what the transformer learns about a page while it rewrites the
// tree; the caller reads it after rendering.
type pageState struct {
	ctx    *Context
	lines  []int // byte offset of each line start in the body
	errs   Errors
	h1     string
	toc    []Heading
	hl     *highlighter
	source []byte
}

func (p *pageState) lineAt(off int) int {
	i := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off })
	return i + p.ctx.LineOffset
}

func (p *pageState) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.ctx.File, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Render renders one page body (markdown without front matter).
func (r *Renderer) Render(src []byte, c Context) (*Result, error) {
	st := &pageState{ctx: &c, hl: r.hl, source: src}
	st.lines = append(st.lines, 0)
	for i, b := range src {
		if b == '\n' {
			st.lines = append(st.lines, i+1)
		}
	}
	pc := parser.NewContext()
	pc.Set(pageKey, st)
	doc := r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var buf bytes.Buffer
	buf.Grow(len(src) * 2)
	if err := r.md.Renderer().Render(&buf, src, doc); err != nil {
		st.errorf(0, "render: %v", err)
	}
	if err := st.errs.Err(); err != nil {
		return nil, err
	}
	out := buf.String()
	head := ""
	if st.h1 != "" {
		if i := strings.Index(out, "</h1>\n"); i >= 0 {
			head, out = out[:i+6], out[i+6:]
		}
	}
	res := &Result{
		// The one place where rendered markdown becomes trusted HTML: goldmark
		// escapes text and refuses raw HTML (see the package doc), chroma
		// escapes code, and directives come from the caller's html/template.
		HTML: template.HTML(out),
		Head: template.HTML(head),
		H1:   st.h1,
		TOC:  st.toc,
		IDs:  collectIDs(buf.Bytes()),
	}
	return res, nil
}

// collectIDs lists the id attributes in rendered HTML: headings, footnotes
// and anything a directive emits.
func collectIDs(b []byte) []string {
	var ids []string
	for {
		i := bytes.Index(b, []byte(` id="`))
		if i < 0 {
			break
		}
		b = b[i+5:]
		j := bytes.IndexByte(b, '"')
		if j < 0 {
			break
		}
		ids = append(ids, stdhtml.UnescapeString(string(b[:j])))
		b = b[j:]
	}
	sort.Strings(ids)
	return ids
}
