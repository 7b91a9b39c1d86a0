package site

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"

	"multistage/site/markdown"
)

// TestIncrementalMatchesFull applies a series of edits and checks, after
// each, that a build reusing the previous site serves exactly the bytes a
// fresh build serves, and fails exactly when a fresh build fails.
func TestIncrementalMatchesFull(t *testing.T) {
	png := func() string {
		var b bytes.Buffer
		// A 1x1 PNG.
		b.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
		return b.String()
	}()
	src := fstest.MapFS{
		"content/index.md":  {Data: []byte("---\ntitle: Home\nweight: 1\n---\n\n# Home\n\nSee [part two](b.md#details) and ![pic](../screenshots/x.png).\n")},
		"content/b.md":      {Data: []byte("---\ntitle: Part two\nweight: 2\n---\n\n## Details\n\nText.\n\n```dockerfile {file=\"Dockerfile\"}\n```\n")},
		"content/c.md":      {Data: []byte("---\ntitle: Part three\nweight: 3\n---\n\nMore.\n")},
		"screenshots/x.png": {Data: []byte(png)},
		"Dockerfile":        {Data: []byte("FROM scratch\n")},
	}
	r := markdown.New()
	opt := func(prev *Site) Options { return Options{Dev: true, NoGzip: true, Renderer: r, Previous: prev} }
	prev, err := Build(src, opt(nil))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		edit    func()
		wantErr string
		reused  []string // entries that must be the previous build's
	}{
		{"body", func() { src["content/c.md"].Data = []byte("---\ntitle: Part three\nweight: 3\n---\n\nMore, edited.\n") }, "", []string{"/", "/b/", "/screenshots/x.png"}},
		{"title", func() { src["content/c.md"].Data = []byte("---\ntitle: Appendix\nweight: 3\n---\n\nMore, edited.\n") }, "", nil},
		{"reorder", func() { src["content/c.md"].Data = []byte("---\ntitle: Appendix\nweight: 0\n---\n\nMore, edited.\n") }, "", nil},
		{"include", func() { src["Dockerfile"].Data = []byte("FROM scratch\nUSER 65532\n") }, "", []string{"/", "/c/"}},
		{"heading renamed breaks an anchor elsewhere", func() {
			src["content/b.md"].Data = []byte("---\ntitle: Part two\nweight: 2\n---\n\n## Particulars\n\nText.\n")
		}, "no such anchor", nil},
		{"anchor fixed", func() {
			src["content/b.md"].Data = []byte("---\ntitle: Part two\nweight: 2\n---\n\n## Details\n\nText.\n")
		}, "", nil},
		{"image removed", func() { delete(src, "screenshots/x.png") }, "x.png", nil},
		{"image back", func() { src["screenshots/x.png"] = &fstest.MapFile{Data: []byte(png)} }, "", nil},
		{"new page", func() {
			src["content/d.md"] = &fstest.MapFile{Data: []byte("---\ntitle: Four\nweight: 4\n---\n\nFour.\n")}
		}, "", nil},
		{"page removed", func() { delete(src, "content/d.md") }, "", nil},
		{"nothing", func() {}, "", []string{"/", "/b/", "/c/", "/404.html"}},
	}
	for _, st := range steps {
		st.edit()
		full, ferr := Build(src, Options{Dev: true, NoGzip: true})
		inc, ierr := Build(src, opt(prev))
		if (ferr == nil) != (ierr == nil) {
			t.Fatalf("%s: full build error %v, incremental %v", st.name, ferr, ierr)
		}
		if st.wantErr != "" {
			if ierr == nil || !strings.Contains(ierr.Error(), st.wantErr) {
				t.Fatalf("%s: error %v, want %q", st.name, ierr, st.wantErr)
			}
			if ferr.Error() != ierr.Error() {
				t.Errorf("%s: errors differ:\nfull: %v\ninc:  %v", st.name, ferr, ierr)
			}
			continue // the dev loop keeps the last good site as Previous
		}
		if ierr != nil {
			t.Fatalf("%s: %v", st.name, ierr)
		}
		if strings.Join(full.Paths(), " ") != strings.Join(inc.Paths(), " ") {
			t.Fatalf("%s: paths differ:\nfull: %v\ninc:  %v", st.name, full.Paths(), inc.Paths())
		}
		for _, p := range full.Paths() {
			fe, ie := full.Entry(p), inc.Entry(p)
			if !bytes.Equal(fe.Body, ie.Body) || fe.ETag != ie.ETag || fe.Type != ie.Type {
				t.Errorf("%s: %s differs from a full build", st.name, p)
			}
		}
		for _, p := range st.reused {
			if inc.Entry(p) != prev.Entry(p) {
				t.Errorf("%s: %s was built again, not reused", st.name, p)
			}
		}
		prev = inc
	}
}
