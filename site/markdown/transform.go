package markdown

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"path"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// transformer rewrites a parsed page before rendering: heading IDs and the
// table of contents, link and image resolution, code blocks highlighted into
// codeNodes, and the raw-HTML policy.
type transformer struct{ hl *highlighter }

func (t *transformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(pageKey).(*pageState)
	if st == nil {
		return
	}
	src := reader.Source()
	// Collect first, change after: replacing nodes during ast.Walk would
	// confuse the walk.
	var nodes []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Heading, *ast.HTMLBlock, *ast.RawHTML, *ast.FencedCodeBlock, *ast.CodeBlock, *ast.Link, *ast.Image:
			nodes = append(nodes, n)
		}
		return ast.WalkContinue, nil
	})
	var slugs Slugger
	first := true
	for _, n := range nodes {
		switch n := n.(type) {
		case *ast.Heading:
			txt := strings.TrimSpace(plainText(n, src))
			id := slugs.Slug(txt)
			n.SetAttributeString("id", []byte(id))
			if first && n.Level == 1 && n == doc.FirstChild() {
				// The page opens with its title: Render hands it back apart
				// (Result.Head), so the template can put things after it.
				st.h1 = txt
			}
			if n.Level == 2 || n.Level == 3 {
				st.toc = append(st.toc, Heading{Level: n.Level, ID: id, Text: txt})
			}
			first = false
		case *ast.HTMLBlock:
			if n.HTMLBlockType == ast.HTMLBlockType2 { // <!-- comment -->
				n.Parent().RemoveChild(n.Parent(), n)
				continue
			}
			st.errorf(st.lineOfBlock(n), "raw HTML is not allowed in pages (%s); write markdown instead", firstLine(n.Lines().Value(src)))
		case *ast.RawHTML:
			var raw []byte
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				raw = append(raw, seg.Value(src)...)
			}
			if bytes.HasPrefix(raw, []byte("<!--")) {
				n.Parent().RemoveChild(n.Parent(), n)
				continue
			}
			line := 0
			if n.Segments.Len() > 0 {
				line = st.lineAt(n.Segments.At(0).Start)
			}
			st.errorf(line, "raw HTML is not allowed in pages (%s); write markdown instead", firstLine(raw))
		case *ast.FencedCodeBlock:
			st.code(n, n.Info, src)
		case *ast.CodeBlock:
			st.code(n, nil, src)
		case *ast.Link:
			line := st.lineOfInline(n)
			tg, ok := st.resolve(string(n.Destination), false, line)
			if ok {
				n.Destination = []byte(tg.Href)
			}
		case *ast.Image:
			line := st.lineOfInline(n)
			if strings.TrimSpace(plainText(n, src)) == "" {
				st.errorf(line, "image %s has no alt text: say what it shows, for readers who cannot see it", n.Destination)
			}
			tg, ok := st.resolve(string(n.Destination), true, line)
			if ok {
				n.Destination = []byte(tg.Href)
				if tg.Width > 0 && tg.Height > 0 {
					n.SetAttributeString("width", []byte(strconv.Itoa(tg.Width)))
					n.SetAttributeString("height", []byte(strconv.Itoa(tg.Height)))
				}
				n.SetAttributeString("loading", []byte("lazy"))
				n.SetAttributeString("decoding", []byte("async"))
			}
		}
	}
}

func (st *pageState) resolve(dest string, image bool, line int) (Target, bool) {
	if st.ctx.Link == nil {
		return Target{Href: dest}, true
	}
	tg, err := st.ctx.Link(dest, image, line)
	if err != nil {
		st.errorf(line, "%v", err)
		return tg, false
	}
	return tg, true
}

// code replaces a code block with a codeNode holding its finished HTML.
func (st *pageState) code(n ast.Node, info *ast.Text, src []byte) {
	line := st.lineOfBlock(n)
	var f Fence
	if info != nil {
		line = st.lineAt(info.Segment.Start)
		var err error
		if f, err = ParseFence(string(info.Segment.Value(src))); err != nil {
			st.errorf(line, "%v", err)
			return
		}
	} else if n.Lines().Len() > 0 {
		line = st.lineAt(n.Lines().At(0).Start)
	}
	var body []byte
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		body = append(body, seg.Value(src)...)
	}
	out := &codeNode{}
	switch {
	case Directives[f.Lang]:
		if st.ctx.Directive == nil {
			st.errorf(line, "directive %q is not available here", f.Lang)
			return
		}
		b, err := st.ctx.Directive(f.Lang, body, line)
		if err != nil {
			st.errorf(line, "%s: %v", f.Lang, err)
			return
		}
		out.html = b
	default:
		if f.File != "" {
			if len(bytes.TrimSpace(body)) > 0 {
				st.errorf(line, "a block with file=%q must be empty: the file is shown as it is on disk, never pasted", f.File)
				return
			}
			b, err := st.include(f)
			if err != nil {
				st.errorf(line, "%v", err)
				return
			}
			body = b
			if f.Lang == "" {
				f.Lang = langOfFile(f.File)
			}
			if f.Title == "" {
				f.Title = f.File
			}
		}
		h, err := st.hl.render(f.Lang, body, f)
		if err != nil {
			st.errorf(line, "highlight: %v", err)
			return
		}
		out.html = codeFigure(f, h)
	}
	n.Parent().ReplaceChild(n.Parent(), n, out)
}

func (st *pageState) include(f Fence) ([]byte, error) {
	if st.ctx.Include == nil {
		return nil, fmt.Errorf("includes are not available here")
	}
	b, err := st.ctx.Include(f.File)
	if err != nil {
		return nil, err
	}
	if f.Lines == [2]int{} {
		return b, nil
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if f.Lines[1] > len(lines) {
		return nil, fmt.Errorf("include %q lines=%d-%d: the file has %d lines", f.File, f.Lines[0], f.Lines[1], len(lines))
	}
	return bytes.Join(lines[f.Lines[0]-1:f.Lines[1]], nil), nil
}

// codeFigure wraps highlighted code: a figure with an optional caption and a
// copy button that the page script reveals (without JavaScript the code is
// still there to select).
func codeFigure(f Fence, highlighted []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<figure class="code"`)
	if f.Lang != "" {
		fmt.Fprintf(&b, ` data-lang="%s"`, stdhtml.EscapeString(f.Lang))
	}
	b.WriteString(">\n")
	if f.Title != "" {
		fmt.Fprintf(&b, "<figcaption>%s</figcaption>\n", stdhtml.EscapeString(f.Title))
	}
	b.WriteString(`<button type="button" class="copy" hidden>Copy</button>` + "\n")
	b.Write(highlighted)
	b.WriteString("</figure>\n")
	return b.Bytes()
}

// langOfFile guesses a language for an included file from its name.
func langOfFile(name string) string {
	base := path.Base(name)
	switch {
	case base == "Dockerfile" || strings.HasPrefix(base, "Dockerfile.") || strings.HasSuffix(base, ".Dockerfile") || base == "Containerfile":
		return "dockerfile"
	case base == "Makefile":
		return "make"
	}
	switch path.Ext(base) {
	case ".go":
		return "go"
	case ".sh":
		return "bash"
	case ".yaml", ".yml":
		return "yaml"
	case ".json":
		return "json"
	case ".md":
		return "markdown"
	case ".mod":
		return "go-module"
	}
	return ""
}

func (st *pageState) lineOfBlock(n ast.Node) int {
	if n.Lines().Len() > 0 {
		return st.lineAt(n.Lines().At(0).Start)
	}
	for c := n.FirstChild(); c != nil; c = c.FirstChild() {
		if t, ok := c.(*ast.Text); ok {
			return st.lineAt(t.Segment.Start)
		}
	}
	return 0
}

// lineOfInline finds the line of an inline node through its first text
// descendant, or else through the block that holds it.
func (st *pageState) lineOfInline(n ast.Node) int {
	var found = -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			found = t.Segment.Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	if found >= 0 {
		return st.lineAt(found)
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock {
			return st.lineOfBlock(p)
		}
	}
	return 0
}

func firstLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 60 {
		b = append(b[:57:57], "..."...)
	}
	return string(b)
}

// KindCode is the node kind of a finished code block or directive.
var KindCode = ast.NewNodeKind("MultistageCode")

// codeNode is a code block or directive whose HTML is already made.
type codeNode struct {
	ast.BaseBlock
	html []byte
}

func (n *codeNode) Kind() ast.NodeKind { return KindCode }
func (n *codeNode) IsRaw() bool        { return true }
func (n *codeNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"html": string(n.html)}, nil)
}

type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(KindCode, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.Write(n.(*codeNode).html)
		}
		return ast.WalkSkipChildren, nil
	})
}
