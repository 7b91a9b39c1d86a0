package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// buildCmd runs `multistage build args...` and returns the exit status and
// what went to stdout and stderr.
func buildCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"build"}, args...), &stdout, &stderr)
	return exitCode(err, &stderr), stdout.String(), stderr.String()
}

// treeDigest maps every file under dir to a hash of its bytes.
func treeDigest(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, a, b string) {
	t.Helper()
	da, db := treeDigest(t, a), treeDigest(t, b)
	var diff []string
	for p, h := range da {
		if db[p] != h {
			diff = append(diff, p)
		}
	}
	for p := range db {
		if _, ok := da[p]; !ok {
			diff = append(diff, p)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("%s and %s differ in %d files: %v", a, b, len(diff), diff)
	}
}

// TestBuildEmbeddedEqualsDisk: the embedded tutorial and the same files on
// disk give the same export, byte for byte, and so do two builds.
func TestBuildEmbeddedEqualsDisk(t *testing.T) {
	tmp := t.TempDir()
	a, b, c := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "c")
	if code, out, errs := buildCmd(t, "-o", a); code != 0 {
		t.Fatalf("embedded build: %d %s", code, errs)
	} else if !strings.HasPrefix(out, "built ") || !strings.Contains(out, " pages, ") {
		t.Errorf("summary line: %q", out)
	}
	if code, _, errs := buildCmd(t, "-src", ".", "-o", b); code != 0 {
		t.Fatalf("build from disk: %d %s", code, errs)
	}
	if code, _, errs := buildCmd(t, "-o", c); code != 0 {
		t.Fatalf("second build: %d %s", code, errs)
	}
	sameTree(t, a, b)
	sameTree(t, a, c)
	index, err := os.ReadFile(filepath.Join(a, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(index, []byte("_live")) {
		t.Error("the export carries dev-mode code")
	}
	if !bytes.Contains(index, []byte("data-about")) {
		t.Error("the demo panel is missing from the index page")
	}
}

// copyEmbedded copies the repository's sources (as embedded) to a new folder.
func copyEmbedded(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := fs.WalkDir(sources, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sources, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(out), 0o755)
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func appendFile(t *testing.T, file, text string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func countLines(t *testing.T, file string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestBuildBrokenLinks: every broken link, anchor and image fails the build
// (exit 1), each reported as file:line, and the previous output survives.
func TestBuildBrokenLinks(t *testing.T) {
	src := copyEmbedded(t)
	out := filepath.Join(t.TempDir(), "public")
	if code, _, errs := buildCmd(t, "-src", src, "-o", out); code != 0 {
		t.Fatalf("clean build: %s", errs)
	}
	before := treeDigest(t, out)

	usage := filepath.Join(src, "content", "usage.md")
	n := countLines(t, usage)
	appendFile(t, usage, "\nA [missing page](no-such-page.md).\n\nA [missing anchor](index.md#no-such-heading).\n\n![A missing image](../screenshots/none.png)\n\nA [missing folder link](../nowhere/).\n")
	code, _, errs := buildCmd(t, "-src", src, "-o", out)
	if code != 1 {
		t.Fatalf("exit status %d for broken links, want 1\n%s", code, errs)
	}
	for _, want := range []string{
		"content/usage.md:" + strconv.Itoa(n+2) + ": link \"no-such-page.md\"",
		"content/usage.md:" + strconv.Itoa(n+4) + ": link to #no-such-heading",
		"content/usage.md:" + strconv.Itoa(n+6) + ": image \"../screenshots/none.png\"",
		"content/usage.md:" + strconv.Itoa(n+8) + ": link \"../nowhere/\"",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	sameDigest(t, before, treeDigest(t, out))
	besideOnly(t, out)
}

// sameDigest fails when a previous output was changed.
func sameDigest(t *testing.T, before, after map[string][32]byte) {
	t.Helper()
	if len(after) != len(before) {
		t.Error("the failed build changed the previous output")
	}
	for p, h := range before {
		if after[p] != h {
			t.Errorf("the failed build changed %s", p)
		}
	}
}

// besideOnly fails when anything but out is left in out's folder (such as
// the temporary folder of a failed export).
func besideOnly(t *testing.T, out string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != filepath.Base(out) {
			t.Errorf("left beside the output: %s", e.Name())
		}
	}
}

// TestBuildFailsWhileWriting: pages are written while others render, so a
// build can fail after writing some; the previous output must survive that
// too, with nothing left beside it. Here a page's folder takes the name of
// the 404 page's file, which only the last writes discover.
func TestBuildFailsWhileWriting(t *testing.T) {
	src := copyEmbedded(t)
	out := filepath.Join(t.TempDir(), "public")
	if code, _, errs := buildCmd(t, "-src", src, "-o", out); code != 0 {
		t.Fatalf("clean build: %s", errs)
	}
	before := treeDigest(t, out)
	if err := os.WriteFile(filepath.Join(src, "content", "404.html.md"), []byte("---\ntitle: Clash\nweight: 99\n---\n\nA page whose folder is the 404 page's name.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := buildCmd(t, "-src", src, "-o", out)
	if code != 1 || !strings.Contains(errs, "404.html") {
		t.Fatalf("exit status %d, want 1 and an error naming 404.html:\n%s", code, errs)
	}
	sameDigest(t, before, treeDigest(t, out))
	besideOnly(t, out)
}

// TestBuildRefuses: the output may not be or hold the sources, lie in the
// folders the build reads, or replace a folder of someone else's files.
func TestBuildRefuses(t *testing.T) {
	src := copyEmbedded(t)
	user := t.TempDir()
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("mine"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-src", src, "-o", src}, "is the source folder"},
		{[]string{"-src", src, "-o", filepath.Dir(src)}, "holds the source folder"},
		{[]string{"-src", src, "-o", filepath.Join(src, "content", "out")}, "inside the sources"},
		{[]string{"-src", src, "-o", filepath.Join(src, "screenshots")}, "inside the sources"},
		{[]string{"-src", src, "-o", user}, "-force"},
	} {
		code, _, errs := buildCmd(t, c.args...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("build %v: exit %d, stderr %q; want 1 and %q", c.args, code, errs, c.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(user, "notes.txt")); string(b) != "mine" {
		t.Fatal("the user's file was touched")
	}
	// Inside the source folder but outside what it reads is the usual case.
	if code, _, errs := buildCmd(t, "-src", src, "-o", filepath.Join(src, "public")); code != 0 {
		t.Errorf("-o inside -src: %s", errs)
	}
	if code, _, errs := buildCmd(t, "-src", src, "-o", user, "-force"); code != 0 {
		t.Errorf("-force: %s", errs)
	}
	for _, bad := range []string{"sub/", "ftp://x/", "https://"} {
		if code, _, _ := buildCmd(t, "-o", filepath.Join(t.TempDir(), "o"), "-base", bad); code != 2 {
			t.Errorf("-base %q: exit %d, want 2", bad, code)
		}
	}
}

// TestBuildBase: -base as a path sets the 404 page's links; as a URL it also
// adds canonical links and sitemap.xml.
func TestBuildBase(t *testing.T) {
	out := filepath.Join(t.TempDir(), "o")
	if code, _, errs := buildCmd(t, "-o", out, "-base", "/sub"); code != 0 {
		t.Fatal(errs)
	}
	nf, _ := os.ReadFile(filepath.Join(out, "404.html"))
	if !bytes.Contains(nf, []byte(`href="/sub/"`)) {
		t.Error("404.html does not link to /sub/")
	}
	if _, err := os.Stat(filepath.Join(out, "sitemap.xml")); err == nil {
		t.Error("sitemap.xml without a site URL")
	}
	if code, _, errs := buildCmd(t, "-o", out, "-base", "https://example.com/sub/"); code != 0 {
		t.Fatal(errs)
	}
	sm, err := os.ReadFile(filepath.Join(out, "sitemap.xml"))
	if err != nil || !bytes.Contains(sm, []byte("<loc>https://example.com/sub/usage/</loc>")) {
		t.Errorf("sitemap.xml: %v\n%s", err, sm)
	}
	nf, _ = os.ReadFile(filepath.Join(out, "404.html"))
	if !bytes.Contains(nf, []byte(`href="/sub/"`)) {
		t.Error("404.html does not link to the URL's path")
	}
}

// TestBuildRefusesCurrentFolder: -o naming the current folder or one that
// holds it is refused even with -force, which would delete the user's work.
func TestBuildRefusesCurrentFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, out := range []string{".", "..", dir, filepath.Dir(dir)} {
		code, _, errs := buildCmd(t, "-o", out, "-force")
		if code != 1 || !strings.Contains(errs, "current folder") {
			t.Errorf("build -o %s -force: exit %d, stderr %q; want 1 and a refusal", out, code, errs)
		}
	}
	if b, _ := os.ReadFile(notes); string(b) != "mine" {
		t.Fatal("the user's file was touched")
	}
	if code, _, errs := buildCmd(t, "-o", "public"); code != 0 {
		t.Errorf("-o public inside the current folder: %s", errs)
	}
}
