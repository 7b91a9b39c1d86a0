package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// updateGolden rewrites testdata/export.golden: go test ./site -run TestExportGolden -update
var updateGolden = func() *bool {
	if f := flag.Lookup("update"); f != nil {
		b := f.Value.(flag.Getter).Get().(bool)
		return &b
	}
	return flag.Bool("update", false, "rewrite golden files")
}()

// exportSmall builds testdata/export and exports it into a new folder.
func exportSmall(t *testing.T, opt Options) string {
	t.Helper()
	s, err := Build(os.DirFS("testdata/export"), opt)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "public")
	if _, _, err := s.Export(dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tree lists every file under dir as "path size sha256[:16]", sorted.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		lines = append(lines, fmt.Sprintf("%s %d %s", filepath.ToSlash(rel), len(b), hex.EncodeToString(sum[:8])))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestExportGolden pins the whole output tree of a small site: its file
// names (pretty URLs, 404.html, hashed assets, the marker) and their bytes.
// A deliberate change to the theme or the renderer changes the hashes:
// review the export, then run with -update.
func TestExportGolden(t *testing.T) {
	dir := exportSmall(t, Options{URL: "https://example.com/docs/"})
	got := tree(t, dir)
	golden := "testdata/export.golden"
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("export tree differs from %s (run with -update after reviewing):\n--- want\n%s--- got\n%s", golden, want, got)
	}
}

func TestExportDeterministic(t *testing.T) {
	a, b := exportSmall(t, Options{}), exportSmall(t, Options{})
	if ta, tb := tree(t, a), tree(t, b); ta != tb {
		t.Fatalf("two exports differ:\n%s\n%s", ta, tb)
	}
}

// TestExportCrawl serves the export with a plain static file server at the
// root and under a sub-path, follows every link, image, stylesheet and
// script from the root, and checks each answers 200 and each #anchor exists.
func TestExportCrawl(t *testing.T) {
	for _, base := range []string{"/", "/any/sub/path/"} {
		t.Run(base, func(t *testing.T) {
			dir := exportSmall(t, Options{Base: base})
			mux := http.NewServeMux()
			mux.Handle(base, http.StripPrefix(strings.TrimSuffix(base, "/"), http.FileServer(http.Dir(dir))))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			pages := crawl(t, srv.URL, base)
			if len(pages) < 3 {
				t.Errorf("crawled %d pages, want the 3 of the site", len(pages))
			}
			// The 404 page is the one place with absolute links: to the base.
			nf, err := os.ReadFile(filepath.Join(dir, "404.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(nf, []byte(`href="`+base+`"`)) {
				t.Errorf("404.html does not link to the base %s", base)
			}
		})
	}
}

var (
	reRef = regexp.MustCompile(`\s(?:href|src)="([^"]*)"`)
	reID  = regexp.MustCompile(`\sid="([^"]*)"`)
)

// crawl fetches root and everything reachable from it on the same server.
// Every reference in a page must be relative; it returns the pages' ids.
func crawl(t *testing.T, server, prefix string) map[string]map[string]bool {
	t.Helper()
	type ref struct{ from, to string }
	ids := map[string]map[string]bool{}
	fetched := map[string]bool{}
	queue := []string{server + prefix}
	var anchors []ref
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if fetched[u] {
			continue
		}
		fetched[u] = true
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %s, %d bytes", u, resp.Status, len(body))
			continue
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		ids[u] = map[string]bool{}
		for _, m := range reID.FindAllSubmatch(body, -1) {
			ids[u][string(m[1])] = true
		}
		base, _ := url.Parse(u)
		for _, m := range reRef.FindAllSubmatch(body, -1) {
			h := strings.ReplaceAll(string(m[1]), "&amp;", "&")
			if strings.HasPrefix(h, "/") {
				t.Errorf("%s: absolute reference %q: the export would break under a sub-path", u, h)
				continue
			}
			r, err := url.Parse(h)
			if err != nil {
				t.Errorf("%s: bad reference %q", u, h)
				continue
			}
			abs := base.ResolveReference(r)
			if abs.Host != base.Host {
				continue // external
			}
			if !strings.HasPrefix(abs.Path, prefix) {
				t.Errorf("%s: %q leaves the site", u, h)
			}
			frag := abs.Fragment
			abs.Fragment = ""
			if frag != "" {
				anchors = append(anchors, ref{u + " " + h, abs.String() + "#" + frag})
			}
			queue = append(queue, abs.String())
		}
	}
	for _, a := range anchors {
		page, frag, _ := strings.Cut(a.to, "#")
		if ids[page] == nil {
			t.Errorf("%s: anchor on a page that is not HTML or was not fetched", a.from)
		} else if !ids[page][frag] {
			t.Errorf("%s: no id %q on %s", a.from, frag, page)
		}
	}
	return ids
}

// TestExportSitemap: a full site URL gives /sitemap.xml with absolute URLs
// and canonical links; a base path alone gives neither.
func TestExportSitemap(t *testing.T) {
	dir := exportSmall(t, Options{URL: "https://example.com/docs/"})
	sm, err := os.ReadFile(filepath.Join(dir, "sitemap.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range []string{"https://example.com/docs/", "https://example.com/docs/guide/setup/", "https://example.com/docs/usage/"} {
		if !bytes.Contains(sm, []byte("<loc>"+loc+"</loc>")) {
			t.Errorf("sitemap.xml lacks %s:\n%s", loc, sm)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "usage", "index.html"))
	if !bytes.Contains(page, []byte(`<link rel="canonical" href="https://example.com/docs/usage/">`)) {
		t.Error("usage/index.html has no canonical link")
	}
	nf, _ := os.ReadFile(filepath.Join(dir, "404.html"))
	if !bytes.Contains(nf, []byte(`href="/docs/"`)) || bytes.Contains(nf, []byte("canonical")) {
		t.Error("404.html should link to the URL's path /docs/ and have no canonical link")
	}

	dir = exportSmall(t, Options{Base: "/docs/"})
	if _, err := os.Stat(filepath.Join(dir, "sitemap.xml")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("sitemap.xml written without a site URL")
	}
	page, _ = os.ReadFile(filepath.Join(dir, "usage", "index.html"))
	if bytes.Contains(page, []byte("canonical")) {
		t.Error("canonical link written without a site URL")
	}

	for _, bad := range []string{"example.com/docs/", "ftp://example.com/", "https:///x/", "https://example.com/?q=1"} {
		if _, err := Build(os.DirFS("testdata/export"), Options{URL: bad}); err == nil {
			t.Errorf("URL %q accepted", bad)
		}
	}
	if _, err := Build(os.DirFS("testdata/export"), Options{URL: "https://example.com/a/", Base: "/b/"}); err == nil {
		t.Error("a Base that is not the URL's path was accepted")
	}
}

// TestExportRefuses: Export replaces only a missing or empty folder, or one
// holding its marker, unless forced.
func TestExportRefuses(t *testing.T) {
	s, err := Build(os.DirFS("testdata/export"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()

	user := filepath.Join(tmp, "user")
	os.MkdirAll(user, 0o755)
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("mine"), 0o644)
	_, _, err = s.Export(user, ExportOptions{})
	if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), user) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("export over a user folder: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(user, "notes.txt")); string(b) != "mine" {
		t.Fatal("the user's file was touched")
	}
	if _, _, err := s.Export(user, ExportOptions{Force: true}); err != nil {
		t.Fatalf("-force: %v", err)
	}
	if _, err := os.Stat(filepath.Join(user, "notes.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("-force kept the old contents")
	}

	file := filepath.Join(tmp, "file")
	os.WriteFile(file, nil, 0o644)
	if _, _, err := s.Export(file, ExportOptions{Force: true}); err == nil {
		t.Error("export over a file succeeded")
	}

	empty := filepath.Join(tmp, "empty")
	os.MkdirAll(empty, 0o755)
	if _, _, err := s.Export(empty, ExportOptions{}); err != nil {
		t.Errorf("export into an empty folder: %v", err)
	}
	// Ours now: a second export replaces it, and nothing is left beside it.
	if _, _, err := s.Export(empty, ExportOptions{}); err != nil {
		t.Errorf("second export: %v", err)
	}
	ents, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "empty file user" {
		t.Errorf("left beside the output: %v", names)
	}
}

// TestExportFailureKeepsOld: an export that fails while writing leaves the
// previous output as it was, and no temporary folder behind.
// TestExportKeepsAddedFiles: an export replaces its own earlier output only
// as that export wrote it. A file added since (a CNAME for GitHub Pages) or
// one of its files edited stops it, named; -force replaces all.
func TestExportKeepsAddedFiles(t *testing.T) {
	s, err := Build(os.DirFS("testdata/export"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file string
		change     func(dir string) error
	}{
		{"added", "CNAME", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "CNAME"), []byte("docs.example.com\n"), 0o644)
		}},
		{"added deep", "guide/notes.md", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "guide", "notes.md"), []byte("mine"), 0o644)
		}},
		{"edited", "index.html", func(dir string) error {
			f, err := os.OpenFile(filepath.Join(dir, "index.html"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("<!-- hand edit -->")
			return err
		}},
		{"link", "latest", func(dir string) error {
			return os.Symlink("index.html", filepath.Join(dir, "latest"))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "public")
			if _, _, err := s.Export(out, ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Export(out, ExportOptions{}); err != nil {
				t.Fatalf("replacing its own output: %v", err)
			}
			if err := c.change(out); err != nil {
				t.Fatal(err)
			}
			before := tree(t, out)
			_, _, err := s.Export(out, ExportOptions{})
			if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), "-force") {
				t.Fatalf("export over an output with %s %s: %v", c.name, c.file, err)
			}
			if after := tree(t, out); after != before {
				t.Error("the refused export changed the folder")
			}
			if _, _, err := s.Export(out, ExportOptions{Force: true}); err != nil {
				t.Fatalf("-force: %v", err)
			}
			if _, _, err := s.Export(out, ExportOptions{}); err != nil {
				t.Errorf("after -force, the output is ours again: %v", err)
			}
		})
	}
}

func TestExportFailureKeepsOld(t *testing.T) {
	dir := exportSmall(t, Options{})
	before := tree(t, dir)
	s, err := Build(os.DirFS("testdata/export"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A file and a folder of the same name cannot both be written.
	e := &Entry{Path: "/usage", Type: "text/plain", Body: []byte("clash")}
	s.entries[e.Path] = e
	s.paths = append(s.paths, e.Path, "/usage/x/")
	s.entries["/usage/x/"] = e
	sort.Strings(s.paths)
	if _, _, err := s.Export(dir, ExportOptions{}); err == nil {
		t.Fatal("export with clashing paths succeeded")
	}
	if after := tree(t, dir); after != before {
		t.Errorf("a failed export changed the output:\n%s", after)
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("left beside the output: %v", ents)
	}
}

// TestExportStale: a temporary folder left by an interrupted export is
// removed by the next one; a look-alike without the marker is not.
func TestExportStale(t *testing.T) {
	dir := exportSmall(t, Options{})
	parent := filepath.Dir(dir)
	stale := filepath.Join(parent, ".public.tmp-123")
	os.MkdirAll(stale, 0o755)
	os.WriteFile(filepath.Join(stale, Marker), nil, 0o644)
	other := filepath.Join(parent, ".public.tmp-mine")
	os.MkdirAll(other, 0o755)
	s, _ := Build(os.DirFS("testdata/export"), Options{})
	if _, _, err := s.Export(dir, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Error("stale export folder kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a folder without the marker was removed")
	}
}

// TestExportLinkedOutput: when the output is a symbolic link to a folder,
// the folder is replaced and the link kept.
func TestExportLinkedOutput(t *testing.T) {
	tmp := t.TempDir()
	real := filepath.Join(tmp, "www")
	link := filepath.Join(tmp, "public")
	os.MkdirAll(real, 0o755)
	if err := os.Symlink(real, link); err != nil {
		t.Skip(err)
	}
	s, _ := Build(os.DirFS("testdata/export"), Options{})
	if _, _, err := s.Export(link, ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if _, err := os.Stat(filepath.Join(real, "index.html")); err != nil {
		t.Error(err)
	}
}
