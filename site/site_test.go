package site

import (
	"bytes"
	"compress/gzip"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"multistage/site/markdown"
)

func pngBytes(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// miniSite is a small source tree in the layout of the repository.
func miniSite() fstest.MapFS {
	return fstest.MapFS{
		"content/index.md":      {Data: []byte("---\ntitle: Home\nweight: 1\n---\n\n# Home\n\nSee [usage](usage.md#run-it) and [deep](guide/deep.md).\n\n![A red line](../screenshots/shot.png)\n")},
		"content/usage.md":      {Data: []byte("---\ntitle: Usage\nweight: 2\n---\n\n## Run it\n\n```dockerfile {file=\"Dockerfile\"}\n```\n\n[Home](index.md)\n")},
		"content/guide/deep.md": {Data: []byte("---\ntitle: \"Deep: page\"\nweight: 3\n---\n\nBack [home](../index.md) or to [usage](../usage.md#run-it).\n")},
		"content/.draft.md~":    {Data: []byte("not a page")},
		"screenshots/shot.png":  {Data: pngBytes(64, 32)},
		"Dockerfile":            {Data: []byte("FROM scratch\nCOPY app /app\n")},
	}
}

func buildMini(t *testing.T, mutate func(fstest.MapFS)) (*Site, error) {
	t.Helper()
	fsys := miniSite()
	if mutate != nil {
		mutate(fsys)
	}
	return Build(fsys, Options{})
}

func mustBuild(t *testing.T) *Site {
	t.Helper()
	s, err := buildMini(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildMini(t *testing.T) {
	s := mustBuild(t)
	var urls []string
	for _, p := range s.Pages {
		urls = append(urls, p.URL)
	}
	if got, want := strings.Join(urls, " "), "/ /usage/ /guide/deep/"; got != want {
		t.Errorf("page URLs = %q, want %q", got, want)
	}
	home := string(s.Entry("/").Body)
	for _, want := range []string{
		`href="./usage/#run-it"`, `href="./guide/deep/"`,
		`src="./screenshots/shot.png"`, `width="64" height="32"`, `alt="A red line"`,
		`<html lang="en">`, `class="skip" href="#main"`, `<main id="main"`, `aria-current="page"`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	deep := string(s.Entry("/guide/deep/").Body)
	for _, want := range []string{`href="../../"`, `href="../../usage/#run-it"`, `href="../../assets/site.`, `<h1>Deep: page</h1>`} {
		if !strings.Contains(deep, want) {
			t.Errorf("deep page lacks %s", want)
		}
	}
	if s.Entry("/screenshots/shot.png") == nil {
		t.Error("screenshot not served")
	}
	for _, p := range s.Paths() {
		if strings.Contains(p, "draft") {
			t.Errorf("editor backup file became %s", p)
		}
	}
	// The page shows the real file's lines.
	if !strings.Contains(string(s.Entry("/usage/").Body), ">scratch<") {
		t.Error("included Dockerfile not shown")
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(fstest.MapFS)
		want   []string
	}{
		{"missing page", func(m fstest.MapFS) {
			m["content/usage.md"].Data = append(m["content/usage.md"].Data, "\n[x](nope.md)\n"...)
		}, []string{`content/usage.md:13: link "nope.md": no page content/nope.md`}},
		{"missing anchor", func(m fstest.MapFS) {
			m["content/index.md"].Data = []byte("---\ntitle: Home\n---\n\n[x](usage.md#no-such)\n")
		}, []string{"content/index.md:5: link to #no-such: content/usage.md has no such anchor"}},
		{"missing image", func(m fstest.MapFS) {
			m["content/usage.md"].Data = append(m["content/usage.md"].Data, "\n![alt](../screenshots/none.png)\n"...)
		}, []string{`content/usage.md:13: image "../screenshots/none.png": no file screenshots/none.png`}},
		{"bad front matter", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: [unclosed\nweight: x\n---\nbody\n")
		}, []string{"content/usage.md:2: front matter: title: lists and maps"}},
		{"bad weight", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: U\nweight: x\n---\nbody\n")
		}, []string{`content/usage.md:3: front matter: weight "x" is not a whole number`}},
		{"no title", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\nweight: 2\n---\nbody\n")
		}, []string{"content/usage.md:1: front matter: title is required"}},
		{"unclosed front matter", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: x\n\nbody\n")
		}, []string{"content/usage.md:1: front matter is not closed"}},
		{"missing include", func(m fstest.MapFS) { delete(m, "Dockerfile") }, []string{`content/usage.md:8: include "Dockerfile": no such file`}},
		{"include escaping root", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: U\n---\n```txt {file=\"../etc/passwd\"}\n```\n")
		}, []string{"content/usage.md:4: include \"../etc/passwd\": name a file relative to the source root"}},
		{"absolute link", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: U\n---\n[x](/usage/)\n")
		}, []string{"content/usage.md:4: link \"/usage/\" is absolute"}},
		{"javascript link", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: U\n---\n[x](javascript:alert(1))\n")
		}, []string{`scheme "javascript" is not allowed`}},
		{"all listed", func(m fstest.MapFS) {
			m["content/usage.md"].Data = []byte("---\ntitle: U\n---\n[a](a.md)\n\n[b](b.md)\n")
			m["content/index.md"].Data = []byte("---\ntitle: H\n---\n[c](c.md)\n")
		}, []string{"content/index.md:4:", "content/usage.md:4:", "content/usage.md:6:"}},
		{"duplicate URL", func(m fstest.MapFS) {
			m["content/guide/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: G\n---\n")}
			m["content/guide.md"] = &fstest.MapFile{Data: []byte("---\ntitle: G2\n---\n")}
		}, []string{"page URL /guide/ is also"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := buildMini(t, tt.mutate)
			if err == nil {
				t.Fatal("build succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
			var es markdown.Errors
			if !errors.As(err, &es) {
				t.Errorf("error %T is not a markdown.Errors", err)
			}
		})
	}
}

func TestNoContent(t *testing.T) {
	_, err := Build(fstest.MapFS{"README.md": {}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "content") {
		t.Fatalf("err = %v", err)
	}
}

// TestHandler is a table of requests in the spirit of golang.org/x/website's
// webtest: method, path, headers → status, headers, body.
func TestHandler(t *testing.T) {
	s := mustBuild(t)
	home := s.Entry("/")
	css := ""
	for _, p := range s.Paths() {
		if strings.HasSuffix(p, ".css") {
			css = p
		}
	}
	tests := []struct {
		name, method, path string
		reqHdr             map[string]string
		code               int
		hdr                map[string]string
		contains           string
		emptyBody          bool
	}{
		{name: "home", path: "/", code: 200, hdr: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}, contains: "<h1"},
		{name: "page", path: "/usage/", code: 200, contains: "Run it"},
		{name: "nested page", path: "/guide/deep/", code: 200, contains: "Deep: page"},
		{name: "no slash redirects", path: "/usage", code: 301, hdr: map[string]string{"Location": "/usage/"}},
		{name: "index.html redirects", path: "/usage/index.html", code: 301, hdr: map[string]string{"Location": "/usage/"}},
		{name: "query kept on redirect", path: "/usage?x=1", code: 301, hdr: map[string]string{"Location": "/usage/?x=1"}},
		{name: "head", method: "HEAD", path: "/", code: 200, emptyBody: true},
		{name: "post", method: "POST", path: "/", code: 405, hdr: map[string]string{"Allow": "GET, HEAD"}},
		{name: "delete", method: "DELETE", path: "/usage/", code: 405},
		{name: "404 styled", path: "/no/such/page", code: 404, hdr: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, contains: "Page not found"},
		{name: "404 links absolute", path: "/a/b/c", code: 404, contains: `href="/assets/site.`},
		{name: "gzip", path: "/", reqHdr: map[string]string{"Accept-Encoding": "gzip, deflate, br"}, code: 200, hdr: map[string]string{"Content-Encoding": "gzip"}},
		{name: "gzip q=0", path: "/", reqHdr: map[string]string{"Accept-Encoding": "gzip;q=0, deflate"}, code: 200, hdr: map[string]string{"Content-Encoding": ""}},
		{name: "star", path: "/", reqHdr: map[string]string{"Accept-Encoding": "*"}, code: 200, hdr: map[string]string{"Content-Encoding": "gzip"}},
		{name: "etag 304", path: "/", reqHdr: map[string]string{"If-None-Match": home.ETag}, code: 304, emptyBody: true},
		{name: "gzip etag 304", path: "/", reqHdr: map[string]string{"If-None-Match": home.GzipETag}, code: 304, emptyBody: true},
		{name: "weak etag 304", path: "/", reqHdr: map[string]string{"If-None-Match": `"x", W/` + home.ETag}, code: 304},
		{name: "stale etag", path: "/", reqHdr: map[string]string{"If-None-Match": `"stale"`}, code: 200},
		{name: "css immutable", path: css, code: 200, hdr: map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "Content-Type": "text/css; charset=utf-8"}},
		{name: "png", path: "/screenshots/shot.png", code: 200, hdr: map[string]string{"Content-Type": "image/png", "Accept-Ranges": "bytes", "Content-Encoding": ""}},
		{name: "png range", path: "/screenshots/shot.png", reqHdr: map[string]string{"Range": "bytes=0-7"}, code: 206, contains: "\x89PNG\r\n\x1a\n"},
		{name: "png bad range", path: "/screenshots/shot.png", reqHdr: map[string]string{"Range": "bytes=99999-"}, code: 416},
		{name: "csp", path: "/", code: 200, hdr: map[string]string{"Content-Security-Policy": securityHeaders["Content-Security-Policy"], "Referrer-Policy": "no-referrer"}},
		{name: "source not served", path: "/Dockerfile", code: 404},
		{name: "markdown not served", path: "/content/index.md", code: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.method
			if m == "" {
				m = "GET"
			}
			req := httptest.NewRequest(m, tt.path, nil)
			for k, v := range tt.reqHdr {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("%s %s: status %d, want %d", m, tt.path, rec.Code, tt.code)
			}
			for k, v := range tt.hdr {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			body := rec.Body.Bytes()
			if rec.Header().Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				body, _ = io.ReadAll(zr)
			}
			if tt.contains != "" && !bytes.Contains(body, []byte(tt.contains)) {
				t.Errorf("body lacks %q", tt.contains)
			}
			if tt.emptyBody && len(body) != 0 {
				t.Errorf("body has %d bytes, want none", len(body))
			}
		})
	}
}

// TestRealSite builds the real tutorial from the repository, exports it, and
// checks that every served path is exported byte for byte, that every
// internal link and image resolves, and that the Dockerfiles are shown as
// they are on disk.
func TestRealSite(t *testing.T) {
	s, err := Build(os.DirFS(".."), Options{})
	if err != nil {
		t.Fatalf("the tutorial does not build:\n%v", err)
	}
	dir := filepath.Join(t.TempDir(), "public")
	if _, _, err := s.Export(dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range s.Paths() {
		got, err := os.ReadFile(filepath.Join(dir, FilePath(p)))
		if err != nil {
			t.Errorf("%s not exported: %v", p, err)
			continue
		}
		if !bytes.Equal(got, s.Entry(p).Body) {
			t.Errorf("%s: exported bytes differ from served bytes", p)
		}
	}
	// Every relative href/src on every page resolves to a served path.
	ref := regexp.MustCompile(`(?:href|src)="([^"#?:]*)(?:[#?][^"]*)?"`)
	for _, pg := range s.Pages {
		body := string(s.Entry(pg.URL).Body)
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			if m[1] == "" {
				continue
			}
			target := resolveRef(pg.URL, m[1])
			if s.Entry(target) == nil {
				t.Errorf("%s: %q resolves to %s, which is not served", pg.URL, m[1], target)
			}
		}
	}
}

// resolveRef resolves a relative reference against a directory URL.
func resolveRef(base, ref string) string {
	parts := strings.Split(strings.TrimSuffix(base, "/"), "/")
	for _, seg := range strings.Split(ref, "/") {
		switch seg {
		case ".", "":
		case "..":
			if len(parts) > 1 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, seg)
		}
	}
	out := strings.Join(parts, "/")
	if strings.HasSuffix(ref, "/") || ref == "." || ref == "./" {
		out += "/"
	}
	if out == "" {
		out = "/"
	}
	return out
}

// TestDockerfilesShown proves each page that includes a Dockerfile shows
// every current line of it.
func TestDockerfilesShown(t *testing.T) {
	s, err := Build(os.DirFS(".."), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tags := regexp.MustCompile(`<[^>]*>`)
	var all strings.Builder
	for _, p := range s.Pages {
		all.WriteString(htmlText(tags.ReplaceAllString(string(s.Entry(p.URL).Body), "")))
	}
	text := all.String()
	for _, f := range []string{"Dockerfile", "Dockerfile.normal"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if !strings.Contains(text, line) {
				t.Errorf("%s:%d is not shown in the tutorial: %q", f, i+1, line)
			}
		}
	}
}

func htmlText(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&")
	return r.Replace(s)
}

func TestDeterministic(t *testing.T) {
	a, b := mustBuild(t), mustBuild(t)
	if strings.Join(a.Paths(), " ") != strings.Join(b.Paths(), " ") {
		t.Fatal("paths differ")
	}
	for _, p := range a.Paths() {
		if !bytes.Equal(a.Entry(p).Body, b.Entry(p).Body) || !bytes.Equal(a.Entry(p).Gzip, b.Entry(p).Gzip) {
			t.Errorf("%s differs between two builds", p)
		}
	}
}

func TestIsIgnored(t *testing.T) {
	for _, name := range []string{".index.md.swp", "index.md~", "#index.md#", ".#index.md", "index.md___jb_tmp___", "index.md___jb_old___", "4913", "x.tmp", "a.md.bak", "x.kate-swp", ".DS_Store"} {
		if !IsIgnored(name) {
			t.Errorf("IsIgnored(%q) = false", name)
		}
	}
	for _, name := range []string{"index.md", "Dockerfile", "Dockerfile.normal", "shot.png", "sizes.json"} {
		if IsIgnored(name) {
			t.Errorf("IsIgnored(%q) = true", name)
		}
	}
}

func BenchmarkServeHTML(b *testing.B) {
	s, err := Build(miniSite(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		s.ServeHTTP(w, req)
	}
}

func BenchmarkBuildTutorial(b *testing.B) {
	src := os.DirFS("..")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// TestSizesDirective renders the measured sizes from content/sizes.json, and
// says plainly when there is none.
func TestSizesDirective(t *testing.T) {
	page := "---\ntitle: Sizes\nweight: 9\n---\n\n```sizes\n```\n"
	s, err := buildMini(t, func(m fstest.MapFS) { m["content/sizes.md"] = &fstest.MapFile{Data: []byte(page)} })
	if err != nil {
		t.Fatal(err)
	}
	if body := string(s.Entry("/sizes/").Body); !strings.Contains(body, "Not measured yet") || strings.Contains(body, " MB") {
		t.Errorf("without sizes.json the page must say so and show no figure:\n%s", body)
	}
	real, err := os.ReadFile("../content/sizes.json")
	if err != nil {
		t.Skip("no content/sizes.json: run multistage sizes")
	}
	s, err = buildMini(t, func(m fstest.MapFS) {
		m["content/sizes.md"] = &fstest.MapFile{Data: []byte(page)}
		m["content/sizes.json"] = &fstest.MapFile{Data: real}
	})
	if err != nil {
		t.Fatal(err)
	}
	body := string(s.Entry("/sizes/").Body)
	for _, want := range []string{`<svg class="sizes-chart"`, `class="bar-multistage"`, `class="bar-normal"`, "times smaller", "docker history", "Measured by <code>multistage sizes</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("sizes page lacks %q", want)
		}
	}
	_, err = buildMini(t, func(m fstest.MapFS) {
		m["content/sizes.md"] = &fstest.MapFile{Data: []byte(page)}
		m["content/sizes.json"] = &fstest.MapFile{Data: []byte(`{"measured_at": "yesterday"}`)}
	})
	if err == nil || !strings.Contains(err.Error(), "content/sizes.md:6: sizes: content/sizes.json:") {
		t.Errorf("a bad sizes.json must fail naming the file: %v", err)
	}
}

// TestErrorsListedOnce: a problem met twice on one line (an image that is
// also its link's target) is reported once.
func TestErrorsListedOnce(t *testing.T) {
	src := fstest.MapFS{
		"content/index.md": {Data: []byte("---\ntitle: Home\n---\n\n[![shot](../screenshots/x.png)](../screenshots/x.png)\n")},
	}
	_, err := Build(src, Options{})
	if err == nil {
		t.Fatal("built a page with a missing image")
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n") + 1; n != 1 || !strings.HasPrefix(msg, "content/index.md:5: ") {
		t.Errorf("want one problem at content/index.md:5, got %d:\n%s", n, msg)
	}
}

// TestSourceWithoutContent: a source folder with no content/ says what it
// needs, and, when it holds pages itself (-src content), what to pass.
func TestSourceWithoutContent(t *testing.T) {
	for _, c := range []struct {
		name string
		src  fstest.MapFS
		hint bool
	}{
		{"empty", fstest.MapFS{"README": {Data: []byte("x")}}, false},
		{"content itself", fstest.MapFS{"index.md": {Data: []byte("# Home\n")}}, true},
	} {
		_, err := Build(c.src, Options{})
		if err == nil || !strings.Contains(err.Error(), "must hold content/*.md") {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if got := strings.Contains(err.Error(), "pass the folder above it"); got != c.hint {
			t.Errorf("%s: hint %v in %q", c.name, got, err)
		}
	}
}

// TestTidyHistory: docker history's instructions as a Dockerfile writes
// them, the legacy builder's HEALTHCHECK dump included.
func TestTidyHistory(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`/bin/sh -c #(nop)  CMD ["serve"]`, `CMD ["serve"]`},
		{`/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "/multistage" "healthcheck"] "30s" "3s" "5s" '\x03'}`,
			`HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["/multistage", "healthcheck"]`},
		{`/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "/multistage" "healthcheck"] "30s" "3s" "5s" "2s" '\x03'}`,
			`HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=2s --retries=3 CMD ["/multistage", "healthcheck"]`},
		{`/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "0s" "0s" "0s" '\x00'}`,
			`HEALTHCHECK CMD curl -f http://localhost/ || exit 1`},
		{`/bin/sh -c #(nop)  HEALTHCHECK &{["NONE"] "0s" "0s" "0s" '\x00'}`, `HEALTHCHECK NONE`},
		{`/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "a"] "30s"}`, `HEALTHCHECK &{["CMD" "a"] "30s"}`}, // unknown shape: as is
		{`HEALTHCHECK --interval=5s CMD ["/x"]`, `HEALTHCHECK --interval=5s CMD ["/x"]`},            // BuildKit writes it plainly
	} {
		if got := tidyHistory(c.in); got != c.want {
			t.Errorf("tidyHistory(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzTidyHistory: any docker history line is tidied without a panic, and
// a tidied HEALTHCHECK is left as it is when tidied again.
func FuzzTidyHistory(f *testing.F) {
	f.Add(`/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "/multistage" "healthcheck"] "30s" "3s" "5s" '\x03'}`)
	f.Add(`HEALTHCHECK &{["NONE"] "0s" "0s" "0s" '\x00'}`)
	f.Add(`HEALTHCHECK &{["CMD-SHELL" "x"] "1s" "2s" "3s" "4s" 'a'}`)
	f.Fuzz(func(t *testing.T, s string) {
		once := tidyHistory(s)
		if strings.HasPrefix(once, "HEALTHCHECK ") && !strings.HasPrefix(once, "HEALTHCHECK &{") && len(once) <= 140 {
			if twice := tidyHistory(once); twice != once {
				t.Errorf("%q tidied to %q, then to %q", s, once, twice)
			}
		}
	})
}
