package site

import (
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"multistage/site/markdown"
)

// Site navigation for large sites. Every page lists the whole tutorial in its
// side navigation, which is right for a tutorial of a few dozen pages and
// quadratic for a generated site of thousands (5000 pages would carry 5000
// links each, about 1.7 GB of HTML in all). Past navFull pages the list
// becomes a window: the first page, the pages around the current one, and
// the last, with gaps marked; the pager still walks every page in order.
const (
	navFull   = 60 // sites up to this many pages list every page
	navRadius = 8  // pages shown on each side of the current one
)

// The side navigation and the tables of contents are written here rather
// than by a {{range}} in the templates: html/template runs every action of
// a range through its escapers by reflective calls, which was a quarter of
// an export's CPU time. The escaping below is html/template's own, rule for
// rule (TestListsMatchTemplates checks the bytes against the template this
// replaced), so the seam stays as safe as the templates.

// NavList is the <li> items of the side navigation of the page being
// rendered, each on its own line indented by four spaces.
func (d *pageData) NavList() template.HTML {
	pages := d.Site.Pages
	lo, hi := 0, len(pages)-1
	if len(pages) > navFull {
		cur := 0
		if d.Page != nil {
			cur = d.Page.index
		}
		lo, hi = max(cur-navRadius, 0), min(cur+navRadius, len(pages)-1)
	}
	b := make([]byte, 0, (hi-lo+5)*96)
	if lo > 0 {
		b = d.navItem(b, pages[0])
		if lo > 1 {
			b = append(b, "\n    <li class=\"nav-gap\" aria-hidden=\"true\">…</li>"...)
		}
	}
	for i := lo; i <= hi; i++ {
		b = d.navItem(b, pages[i])
	}
	if hi < len(pages)-1 {
		if hi < len(pages)-2 {
			b = append(b, "\n    <li class=\"nav-gap\" aria-hidden=\"true\">…</li>"...)
		}
		b = d.navItem(b, pages[len(pages)-1])
	}
	return template.HTML(b)
}

func (d *pageData) navItem(b []byte, p *Page) []byte {
	b = append(b, "\n    <li><a href=\""...)
	b = appendURLAttr(b, d.Href(p))
	b = append(b, '"')
	if p == d.Page {
		b = append(b, " aria-current=\"page\""...)
	}
	b = append(b, '>')
	b = appendHTMLText(b, p.Title)
	return append(b, "</a></li>"...)
}

// TOCList is the <li> items of the page's table of contents, each on its
// own line after indent.
func (d *pageData) TOCList(indent string) template.HTML { return tocList(d.Page.TOC, indent) }

func tocList(toc []markdown.Heading, indent string) template.HTML {
	b := make([]byte, 0, len(toc)*80)
	for _, h := range toc {
		b = append(b, '\n')
		b = append(b, indent...)
		b = append(b, "<li class=\"toc-"...)
		b = strconv.AppendInt(b, int64(h.Level), 10)
		b = append(b, "\"><a href=\"#"...)
		b = appendURLPart(b, h.ID)
		b = append(b, "\">"...)
		b = appendHTMLText(b, h.Text)
		b = append(b, "</a></li>"...)
	}
	return template.HTML(b)
}

// appendHTMLText escapes s for HTML text or a quoted attribute value, as
// html/template's htmlEscaper and attrEscaper do for a plain string.
func appendHTMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf { // no multi-byte rune is replaced
			i++
			continue
		}
		var repl string
		switch c {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			i++
			continue
		}
		b = append(b, s[:i]...)
		b = append(b, repl...)
		s, i = s[i+1:], 0
	}
	return append(b, s...)
}

// appendURLAttr writes a whole URL into a quoted attribute, as
// html/template's urlFilter, urlNormalizer and attrEscaper do: a scheme
// other than http, https or mailto becomes "#ZgotmplZ", bytes outside a
// URL's character set are percent-encoded, and the rest HTML-escaped.
func appendURLAttr(b []byte, s string) []byte {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		if !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
			return append(b, "#ZgotmplZ"...)
		}
	}
	return appendURL(b, s, true)
}

// appendURLPart writes a part of a URL after its '?' or '#' into a quoted
// attribute, as html/template's urlEscaper does: everything but unreserved
// characters is percent-encoded.
func appendURLPart(b []byte, s string) []byte { return appendURL(b, s, false) }

// appendURL is html/template's processURLOnto (norm selects the
// normalizer, which keeps reserved characters and valid escapes) followed
// by its attribute escaper, which of what remains changes only '&' and '+'.
func appendURL(b []byte, s string, norm bool) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
			continue
		case norm && c == '&':
			b = append(b, "&amp;"...)
			continue
		case norm && c == '+':
			b = append(b, "&#43;"...)
			continue
		case norm && strings.IndexByte("!#$*,/:;=?@[]", c) >= 0:
			b = append(b, c)
			continue
		case norm && c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return b
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
