package markdown

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/render")

// testContext resolves links as written, includes from a fixed set of files,
// and renders directives as a marker.
func testContext(name string) Context {
	files := map[string]string{
		"Dockerfile": "FROM golang:1.26 AS build\nRUN go build -o /out/app .\n\nFROM scratch\nCOPY --from=build /out/app /app\nENTRYPOINT [\"/app\"]\n",
		"hello.go":   "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n",
	}
	return Context{
		File: name,
		Link: func(dest string, image bool, line int) (Target, error) {
			if strings.Contains(dest, "missing") {
				return Target{}, fmt.Errorf("no page %s", dest)
			}
			if image {
				return Target{Href: dest, Width: 640, Height: 480}, nil
			}
			return Target{Href: strings.Replace(dest, ".md", "/", 1)}, nil
		},
		Include: func(n string) ([]byte, error) {
			if b, ok := files[n]; ok {
				return []byte(b), nil
			}
			return nil, fmt.Errorf("include %q: no such file", n)
		},
		Directive: func(n string, body []byte, line int) ([]byte, error) {
			return []byte(fmt.Sprintf("<div class=\"directive-%s\"></div>\n", n)), nil
		},
	}
}

// TestGolden renders each testdata/render/NAME.md and compares the HTML with
// NAME.html (run with -update to rewrite them after a deliberate change).
func TestGolden(t *testing.T) {
	mds, _ := filepath.Glob("testdata/render/*.md")
	if len(mds) == 0 {
		t.Fatal("no golden cases in testdata/render")
	}
	r := New()
	for _, md := range mds {
		name := strings.TrimSuffix(filepath.Base(md), ".md")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(md)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Render(src, testContext(md))
			var got []byte
			if err != nil {
				got = []byte("ERROR\n" + err.Error() + "\n")
			} else {
				var b bytes.Buffer
				b.WriteString(string(res.Head))
				b.WriteString(string(res.HTML))
				fmt.Fprintf(&b, "<!-- h1: %q -->\n", res.H1)
				for _, h := range res.TOC {
					fmt.Fprintf(&b, "<!-- toc: h%d #%s %q -->\n", h.Level, h.ID, h.Text)
				}
				got = b.Bytes()
			}
			golden := strings.TrimSuffix(md, ".md") + ".html"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./site/markdown -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file:\n%s", md, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			if shown++; shown == 5 {
				break
			}
		}
	}
	return b.String()
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Dockerfile of normal image", "dockerfile-of-normal-image"},
		{"Size difference!", "size-difference"},
		{"  Trim me  ", "trim-me"},
		{"Übersicht über Größen", "übersicht-über-größen"},
		{"日本語の見出し", "日本語の見出し"},
		{"C++ & Go: a comparison", "c--go-a-comparison"},
		{"snake_case and kebab-case", "snake_case-and-kebab-case"},
		{"Version 1.26", "version-126"},
		{"A -- B", "a----b"},
		{"Emoji 🚀 rocket", "emoji--rocket"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Slugify(tt.in); got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSluggerDuplicates(t *testing.T) {
	var s Slugger
	got := []string{s.Slug("Usage"), s.Slug("Usage"), s.Slug("Usage-1"), s.Slug("Usage"), s.Slug("!!!"), s.Slug("")}
	want := []string{"usage", "usage-1", "usage-1-1", "usage-2", "section", "section-1"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("slug %d = %q, want %q (all: %q)", i, got[i], want[i], got)
		}
	}
}

// TestHeadingIDs checks IDs of headings with markup: link URLs, emphasis
// markers and code backticks stay out of the slug; setext headings count.
func TestHeadingIDs(t *testing.T) {
	tests := []struct{ md, want string }{
		{"## Dockerfile of normal image", `id="dockerfile-of-normal-image"`},
		{"## Using [Docker](https://docker.com) today", `id="using-docker-today"`},
		{"## The `COPY --from` instruction", `id="the-copy---from-instruction"`},
		{"## *Emphasis* and **strong**", `id="emphasis-and-strong"`},
		{"Setext heading\n--------------", `id="setext-heading"`},
		{"Setext title\n===", `id="setext-title"`},
		{"## Straße und Maß", `id="straße-und-maß"`},
		{"## Auto <https://example.com/x> link", `id="auto-httpsexamplecomx-link"`},
		{"## Same\n\n## Same", `id="same-1"`},
		{"## ![logo](x.png) Images", `id="images"`},
	}
	r := New()
	for _, tt := range tests {
		res, err := r.Render([]byte(tt.md), testContext("t.md"))
		if err != nil {
			t.Errorf("%q: %v", tt.md, err)
			continue
		}
		if h := string(res.Head + res.HTML); !strings.Contains(h, tt.want) {
			t.Errorf("%q: want %s in\n%s", tt.md, tt.want, h)
		}
	}
}

func TestParseFence(t *testing.T) {
	tests := []struct {
		info    string
		want    Fence
		wantErr string
	}{
		{"go", Fence{Lang: "go"}, ""},
		{"Dockerfile", Fence{Lang: "dockerfile"}, ""},
		{"", Fence{}, ""},
		{`dockerfile {file="Dockerfile" linenos=true}`, Fence{Lang: "dockerfile", File: "Dockerfile", LineNos: true}, ""},
		{`go {file=main.go, lines="3-9", hl="2,5-7", title='Main'}`, Fence{Lang: "go", File: "main.go", Lines: [2]int{3, 9}, HL: [][2]int{{2, 2}, {5, 7}}, Title: "Main"}, ""},
		{`go {hl_lines=[1,3-4] linenos}`, Fence{Lang: "go", LineNos: true, HL: [][2]int{{1, 1}, {3, 4}}}, ""},
		{`{file="Dockerfile"}`, Fence{File: "Dockerfile"}, ""},
		{`go extra words`, Fence{Lang: "go"}, ""},
		{`go {linenos=maybe}`, Fence{}, "linenos"},
		{`go {colour=red}`, Fence{}, "unknown fence attribute"},
		{`go {file="x"`, Fence{}, "missing closing"},
		{`go {title="unterminated}`, Fence{}, "unterminated"},
		{`go {hl="5-2"}`, Fence{}, "bad line range"},
		{`go {lines="1-2"}`, Fence{}, "lines needs file"},
		{`go {file=""}`, Fence{}, "empty"},
	}
	for _, tt := range tests {
		got, err := ParseFence(tt.info)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseFence(%q) error = %v, want %q", tt.info, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFence(%q): %v", tt.info, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("ParseFence(%q) = %+v, want %+v", tt.info, got, tt.want)
		}
	}
}

// TestErrors checks that problems are reported with the file and the line,
// all of them in one pass.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, md string
		want     []string
	}{
		{"raw html block", "# T\n\n<div>x</div>\n", []string{"p.md:3: raw HTML is not allowed"}},
		{"raw inline html", "# T\n\ntext <b>bold</b>\n", []string{"p.md:3: raw HTML is not allowed"}},
		{"broken link", "para\n\nsee [x](missing.md)\n", []string{"p.md:3: no page missing.md"}},
		{"image without alt", "\n![](a.png)\n", []string{"p.md:2: image a.png has no alt text"}},
		{"unknown include", "```dockerfile {file=\"Dockerfile.x\"}\n```\n", []string{`p.md:1: include "Dockerfile.x": no such file`}},
		{"include not empty", "text\n\n```go {file=\"hello.go\"}\npackage pasted\n```\n", []string{"p.md:3: a block with file=\"hello.go\" must be empty"}},
		{"include range", "```go {file=\"hello.go\" lines=\"2-99\"}\n```\n", []string{"p.md:1: include \"hello.go\" lines=2-99: the file has 5 lines"}},
		{"bad fence", "```go {nope}\nx\n```\n", []string{`p.md:1: unknown fence attribute "nope"`}},
		{"several", "[a](missing-a.md)\n\n[b](missing-b.md)\n", []string{"p.md:1:", "p.md:3:"}},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Render([]byte(tt.md), testContext("p.md"))
			if err == nil {
				t.Fatal("no error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T is not Errors", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLineOffset(t *testing.T) {
	c := testContext("content/x.md")
	c.LineOffset = 4
	_, err := New().Render([]byte("a\n\n[b](missing.md)\n"), c)
	if err == nil || !strings.HasPrefix(err.Error(), "content/x.md:7:") {
		t.Fatalf("error = %v, want it at content/x.md:7", err)
	}
}

func TestUnknownLanguageIsPlain(t *testing.T) {
	res, err := New().Render([]byte("```nosuchlang\n<b>&x</b>\n```\n\n```\nno lang\n```\n"), testContext("t.md"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(res.HTML)
	if !strings.Contains(h, "&lt;b&gt;&amp;x&lt;/b&gt;") {
		t.Errorf("code not escaped: %s", h)
	}
	if strings.Contains(h, `class="err"`) {
		t.Errorf("error tokens in plain text: %s", h)
	}
}

func TestHTMLCommentsDropped(t *testing.T) {
	res, err := New().Render([]byte("<!-- a note for authors -->\n\ntext <!-- inline --> more\n"), testContext("t.md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.HTML), "note") || strings.Contains(string(res.HTML), "inline") {
		t.Errorf("comment leaked: %s", res.HTML)
	}
}

// FuzzRender renders arbitrary markdown: no panic, and the output is valid
// UTF-8 whenever the input is.
func FuzzRender(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/render/*.md")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		f.Add(b)
	}
	f.Add([]byte("# h\n\n```dockerfile {file=\"Dockerfile\" hl=\"1-2\" linenos=true}\n```\n"))
	f.Add([]byte("| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] task\n\n~~s~~ <https://x.y> [^1]\n\n[^1]: n\n"))
	r := New()
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := r.Render(src, testContext("fuzz.md"))
		if err != nil {
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if utf8.Valid(src) && !utf8.ValidString(string(res.HTML)) {
			t.Fatalf("invalid UTF-8 out of valid input")
		}
	})
}

func BenchmarkRenderPage(b *testing.B) {
	src, err := os.ReadFile("../../content/dockerfile-multistage.md")
	if err != nil {
		b.Skip(err)
	}
	r := New()
	ctx := testContext("content/dockerfile-multistage.md")
	ctx.Include = func(string) ([]byte, error) { return os.ReadFile("../../Dockerfile") }
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(src, ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderPageCold renders with a fresh Renderer each time, so the
// code is highlighted every time (what a first build does).
func BenchmarkRenderPageCold(b *testing.B) {
	src, err := os.ReadFile("../../content/dockerfile-multistage.md")
	if err != nil {
		b.Skip(err)
	}
	ctx := testContext("content/dockerfile-multistage.md")
	ctx.Include = func(string) ([]byte, error) { return os.ReadFile("../../Dockerfile") }
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Render(src, ctx); err != nil {
			b.Fatal(err)
		}
	}
}
