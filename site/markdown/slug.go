package markdown

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// Slugger hands out heading IDs the way GitHub does for README headings, so
// that hand-written links such as [..](#dockerfile-of-normal-image) keep
// working here and on GitHub:
//
//   - the heading's text content is used: link text but not link URLs, code
//     span text but not markup, no raw HTML;
//   - it is lower-cased; Unicode letters, marks, numbers, '_' and '-' are kept,
//     every other character is dropped, and each space becomes '-' (runs of
//     hyphens are not collapsed, as on GitHub);
//   - a slug seen before gets "-1", "-2", … appended, skipping any that a
//     heading already took.
type Slugger struct {
	used map[string]bool
}

// Slug returns the unique ID for a heading whose text content is text.
func (s *Slugger) Slug(text string) string {
	if s.used == nil {
		s.used = make(map[string]bool)
	}
	base := Slugify(text)
	if base == "" {
		base = "section"
	}
	id := base
	for i := 1; s.used[id]; i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	s.used[id] = true
	return id
}

// Slugify lower-cases text and keeps what GitHub keeps; see Slugger.
func Slugify(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_':
			b.WriteRune(r)
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plainText is a node's text content as a reader sees it: link URLs, raw HTML
// and image sources are left out.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			case *ast.CodeSpan:
				for t := c.FirstChild(); t != nil; t = t.NextSibling() {
					if tx, ok := t.(*ast.Text); ok {
						b.Write(tx.Segment.Value(src))
					} else if s, ok := t.(*ast.String); ok {
						b.Write(s.Value)
					}
				}
			case *ast.AutoLink:
				b.Write(c.Label(src))
			case *ast.RawHTML, *ast.Image, *east.FootnoteLink:
				// not text a reader sees in the heading
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}
