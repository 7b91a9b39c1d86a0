package site

import (
	"fmt"
	"html/template"
	"strings"
	"testing"

	"multistage/site/markdown"
)

// The templates NavList and TOCList replaced. Their output is the
// specification: the Go code must escape exactly as html/template does.
var listTemplates = template.Must(template.New("").Parse(`
{{- define "nav"}}
  {{- range .}}{{if .Gap}}
    <li class="nav-gap" aria-hidden="true">…</li>{{else}}
    <li><a href="{{.Href}}"{{if .Current}} aria-current="page"{{end}}>{{.Title}}</a></li>{{end}}
  {{- end}}
{{- end}}
{{- define "toc"}}
  {{- range .}}
    <li class="toc-{{.Level}}"><a href="#{{.ID}}">{{.Text}}</a></li>
  {{- end}}
{{- end}}`))

// awkward are strings that exercise every rule of html/template's text,
// URL and attribute escapers.
var awkward = []string{
	"", "plain", "Lesson 1: Docker & you", `quotes "double" and 'single'`, "a+b<c>d",
	"nul\x00byte", "tab\tnew\nline", "ünïcödé → 東京", "bad utf8 \xff\xfe end", "\ufdd0\uffff",
	"percent %41 %zz %4", "reserved !#$&*+,/:;=?@[]", "unreserved -._~", "(paren) `tick` {brace} |pipe| ^caret^ \\back",
	"javascript:alert(1)", "JavaScript:x", "mailto:a@b", "HTTPS://x/y?z=1&w=2", "a/b:c", "data:text/html,x", "../x:y/",
}

func TestListsMatchTemplates(t *testing.T) {
	type navRef struct {
		Gap, Current bool
		Href, Title  string
	}
	for _, n := range []int{1, 3, navFull, navFull + 1, 200} {
		pages := make([]*Page, n)
		for i := range pages {
			s := awkward[i%len(awkward)]
			pages[i] = &Page{Slug: fmt.Sprintf("p%d-%s", i, s), Title: s + fmt.Sprint(i), index: i}
			if i == 0 {
				pages[i].Slug = ""
			}
		}
		sd := &siteData{Pages: pages}
		datas := []*pageData{{Site: sd, Root: "/base/"}} // the 404 page
		for _, i := range []int{0, 1, n / 2, n - 2, n - 1} {
			if i >= 0 && i < n {
				datas = append(datas, &pageData{Site: sd, Page: pages[i], Root: root(pages[i])})
			}
		}
		for _, d := range datas {
			// The reference: the window the templates ranged over.
			var ref []navRef
			add := func(p *Page) { ref = append(ref, navRef{Href: d.Href(p), Title: p.Title, Current: p == d.Page}) }
			lo, hi := 0, n-1
			if n > navFull {
				cur := 0
				if d.Page != nil {
					cur = d.Page.index
				}
				lo, hi = max(cur-navRadius, 0), min(cur+navRadius, n-1)
			}
			if lo > 0 {
				add(pages[0])
				if lo > 1 {
					ref = append(ref, navRef{Gap: true})
				}
			}
			for i := lo; i <= hi; i++ {
				add(pages[i])
			}
			if hi < n-1 {
				if hi < n-2 {
					ref = append(ref, navRef{Gap: true})
				}
				add(pages[n-1])
			}
			var want strings.Builder
			if err := listTemplates.ExecuteTemplate(&want, "nav", ref); err != nil {
				t.Fatal(err)
			}
			if got := string(d.NavList()); got != want.String() {
				t.Errorf("%d pages, current %v:\n got %q\nwant %q", n, d.Page != nil, got, want.String())
			}
		}
	}
	var toc []markdown.Heading
	for i, s := range awkward {
		toc = append(toc, markdown.Heading{Level: 2 + i%2, ID: s, Text: s})
	}
	var want strings.Builder
	if err := listTemplates.ExecuteTemplate(&want, "toc", toc); err != nil {
		t.Fatal(err)
	}
	if got := string(tocList(toc, "    ")); got != want.String() {
		t.Errorf("toc:\n got %q\nwant %q", got, want.String())
	}
}

// FuzzListEscaping checks the hand-written escapers against html/template's
// on any string.
func FuzzListEscaping(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		toc := []markdown.Heading{{Level: 2, ID: s, Text: s}}
		if err := listTemplates.ExecuteTemplate(&want, "toc", toc); err != nil {
			t.Fatal(err)
		}
		if got := string(tocList(toc, "    ")); got != want.String() {
			t.Errorf("toc %q:\n got %q\nwant %q", s, got, want.String())
		}
		p := &Page{Slug: "x", Title: s}
		d := &pageData{Site: &siteData{Pages: []*Page{p}}, Root: s} // the 404 page: Root is the href
		p.Slug = ""
		want.Reset()
		ref := []struct {
			Gap, Current bool
			Href, Title  string
		}{{Href: s, Title: s}}
		if err := listTemplates.ExecuteTemplate(&want, "nav", ref); err != nil {
			t.Fatal(err)
		}
		if got := string(d.NavList()); got != want.String() {
			t.Errorf("nav %q:\n got %q\nwant %q", s, got, want.String())
		}
	})
}
