package live

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"multistage/site"
	"multistage/site/markdown"
)

// The tests below run the whole dev loop on a temporary tree: real files,
// real fsnotify, the real Hub over HTTP. They assert the events a page would
// receive on /_live and the bytes the server then serves.

// page returns a page source with front matter.
func page(title string, weight int, body string) string {
	return fmt.Sprintf("---\ntitle: %s\nweight: %d\n---\n\n%s\n", title, weight, body)
}

// tree is a running dev loop over a temporary source folder.
type tree struct {
	t      *testing.T
	root   string
	rl     *Reloader
	hub    *Hub
	srv    *httptest.Server
	events chan sse
	cancel context.CancelFunc
}

type sse struct {
	event string
	data  string
}

// newTree writes files under a new temporary folder and starts the loop.
// With theme set, the embedded theme is copied to site/theme and used from
// there, as dev mode does for this repository.
func newTree(t *testing.T, files map[string]string, theme bool) *tree {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		write(t, filepath.Join(root, name), data)
	}
	var themeFS fs.FS
	if theme {
		err := fs.WalkDir(site.Theme(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(site.Theme(), p)
			if err != nil {
				return err
			}
			write(t, filepath.Join(root, "site", "theme", p), string(data))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		themeFS = os.DirFS(filepath.Join(root, "site", "theme"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := markdown.New()
	hub := NewHub()
	rl := &Reloader{
		Src: os.DirFS(root), Theme: themeFS, ThemePrefix: "site/theme", Hub: hub,
		Build: func(src, theme fs.FS, prev *site.Site) (*site.Site, error) {
			return site.Build(src, site.Options{Theme: theme, Dev: true, NoGzip: true, Renderer: r, Previous: prev})
		},
	}
	w, err := Watch(ctx, WatchConfig{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	rl.Rebuild(nil)
	go rl.Run(ctx, w.Batches())
	mux := http.NewServeMux()
	mux.Handle("/_live", hub)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s := rl.Site(); s != nil {
			s.ServeHTTP(w, r)
			return
		}
		ServeBroken(w, r, rl.Err())
	})
	srv := httptest.NewServer(mux)
	tr := &tree{t: t, root: root, rl: rl, hub: hub, srv: srv, events: make(chan sse, 64), cancel: cancel}
	t.Cleanup(func() {
		hub.Close()
		cancel()
		srv.Close()
	})
	tr.listen()
	return tr
}

func write(t *testing.T, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listen opens /_live and feeds its events into tr.events.
func (tr *tree) listen() {
	resp, err := http.Get(tr.srv.URL + "/_live")
	if err != nil {
		tr.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		tr.t.Fatalf("/_live Content-Type %q", ct)
	}
	tr.t.Cleanup(func() { resp.Body.Close() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(resp.Body)
		ev := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = line[7:]
			case strings.HasPrefix(line, "data: "):
				if ev == "hello" {
					close(ready)
					continue
				}
				tr.events <- sse{ev, line[6:]}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		tr.t.Fatal("no hello on /_live")
	}
}

func (tr *tree) path(name string) string { return filepath.Join(tr.root, filepath.FromSlash(name)) }

// next waits for the next event.
func (tr *tree) next(kind string) sse {
	tr.t.Helper()
	select {
	case e := <-tr.events:
		if e.event != kind {
			tr.t.Fatalf("got event %s %s, want %s", e.event, e.data, kind)
		}
		return e
	case <-time.After(5 * time.Second):
		tr.t.Fatalf("no %s event within 5 s", kind)
	}
	return sse{}
}

func (tr *tree) reload() ReloadEvent {
	tr.t.Helper()
	var ev ReloadEvent
	e := tr.next("reload")
	if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
		tr.t.Fatal(err)
	}
	return ev
}

// quiet asserts that no event arrives for a while (a burst's stragglers
// included).
func (tr *tree) quiet(d time.Duration) {
	tr.t.Helper()
	select {
	case e := <-tr.events:
		tr.t.Fatalf("unexpected event %s %s", e.event, e.data)
	case <-time.After(d):
	}
}

func (tr *tree) get(p string) (int, string) {
	tr.t.Helper()
	resp, err := http.Get(tr.srv.URL + p)
	if err != nil {
		tr.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (tr *tree) served(p, want string) {
	tr.t.Helper()
	code, body := tr.get(p)
	if code != 200 || !strings.Contains(body, want) {
		tr.t.Fatalf("GET %s: %d, want 200 with %q", p, code, want)
	}
}

func (tr *tree) gone(p string) {
	tr.t.Helper()
	if code, _ := tr.get(p); code != 404 {
		tr.t.Fatalf("GET %s: %d, want 404", p, code)
	}
}

var baseFiles = map[string]string{
	"content/index.md":   page("Home", 1, "# Home\n\nWelcome. See [usage](usage.md).\n"),
	"content/usage.md":   page("Usage", 2, "## Run it\n\nRun it.\n\n```dockerfile {file=\"Dockerfile\"}\n```\n\n## Later\n\nMore text.\n"),
	"content/extra.md":   page("Extra", 3, "Extra page.\n"),
	"Dockerfile":         "FROM scratch\nCOPY app /app\n",
	"public/index.html":  "an export: never read by the site\n",
	"notes/unrelated.go": "package notes\n",
}

func TestEditorSaves(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	tr.served("/usage/", "Run it")
	for i, ed := range editors {
		t.Run(ed.name, func(t *testing.T) {
			tr.t = t
			mark := fmt.Sprintf("saved by %s %d", ed.name, i)
			if err := ed.save(tr.path("content/usage.md"), []byte(page("Usage", 2, "## Run it\n\n"+mark+"\n"))); err != nil {
				t.Fatal(err)
			}
			ev := tr.reload()
			if ev.Path != "/usage/" || len(ev.Pages) != 1 || ev.All {
				t.Errorf("reload %+v, want path /usage/ only", ev)
			}
			tr.served("/usage/", mark)
			tr.quiet(150 * time.Millisecond)
			// No temporary or backup became a page or a served file.
			for _, p := range tr.rl.Site().Paths() {
				if strings.Contains(p, "~") || strings.Contains(p, "jb_") || strings.Contains(p, "4913") || strings.Contains(p, "tmp") {
					t.Errorf("served %s", p)
				}
			}
		})
	}
}

func TestIdenticalSaveAndIrrelevantFiles(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	before := tr.rl.builds
	data, _ := os.ReadFile(tr.path("content/usage.md"))
	for _, ed := range editors {
		if err := ed.save(tr.path("content/usage.md"), data); err != nil {
			t.Fatal(err)
		}
	}
	write(t, tr.path("public/index.html"), "a new export\n")
	write(t, tr.path("notes/more.go"), "package notes\n")
	if err := os.Chmod(tr.path("content/extra.md"), 0o600); err != nil {
		t.Fatal(err)
	}
	tr.quiet(300 * time.Millisecond)
	tr.rl.mu.Lock()
	builds := tr.rl.builds
	tr.rl.mu.Unlock()
	if builds != before {
		t.Errorf("%d rebuilds for saves that changed nothing", builds-before)
	}
}

func TestFolders(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	// A new folder with a page in it.
	write(t, tr.path("content/guide/first.md"), page("First", 10, "First guide page.\n"))
	ev := tr.reload()
	if !ev.All {
		t.Errorf("new page: %+v, want all (the navigation changed)", ev)
	}
	tr.served("/guide/first/", "First guide page.")
	// Nested folder created later, then a file in it.
	write(t, tr.path("content/guide/deep/er.md"), page("Deeper", 11, "Deep page.\n"))
	tr.reload()
	tr.served("/guide/deep/er/", "Deep page.")
	// Edit inside the new nested folder: it is watched.
	write(t, tr.path("content/guide/deep/er.md"), page("Deeper", 11, "Deep page, edited.\n"))
	if ev := tr.reload(); ev.Path != "/guide/deep/er/" {
		t.Errorf("edit in new folder: %+v", ev)
	}
	// Rename the folder.
	if err := os.Rename(tr.path("content/guide"), tr.path("content/manual")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.served("/manual/first/", "First guide page.")
	tr.gone("/guide/first/")
	// Edit inside the renamed folder: still watched under its new name.
	write(t, tr.path("content/manual/first.md"), page("First", 10, "Renamed and edited.\n"))
	if ev := tr.reload(); ev.Path != "/manual/first/" {
		t.Errorf("edit after rename: %+v", ev)
	}
	tr.served("/manual/first/", "Renamed and edited.")
	// Move it out of the tree.
	out := t.TempDir()
	if err := os.Rename(tr.path("content/manual"), filepath.Join(out, "manual")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.gone("/manual/first/")
	// Move a folder in from outside, pages already inside.
	write(t, filepath.Join(out, "incoming", "a.md"), page("Incoming A", 20, "Moved in A.\n"))
	write(t, filepath.Join(out, "incoming", "sub", "b.md"), page("Incoming B", 21, "Moved in B.\n"))
	if err := os.Rename(filepath.Join(out, "incoming"), tr.path("content/incoming")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.served("/incoming/a/", "Moved in A.")
	tr.served("/incoming/sub/b/", "Moved in B.")
	write(t, tr.path("content/incoming/sub/b.md"), page("Incoming B", 21, "Moved in, then edited.\n"))
	tr.reload()
	tr.served("/incoming/sub/b/", "Moved in, then edited.")
	// Delete a folder.
	if err := os.RemoveAll(tr.path("content/incoming")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.gone("/incoming/a/")
	// A page file moved out, then back in.
	if err := os.Rename(tr.path("content/extra.md"), filepath.Join(out, "extra.md")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.gone("/extra/")
	if err := os.Rename(filepath.Join(out, "extra.md"), tr.path("content/extra.md")); err != nil {
		t.Fatal(err)
	}
	tr.reload()
	tr.served("/extra/", "Extra page.")
}

func TestBurst(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	// 50 new pages at once, like a git checkout or a generator.
	for i := range 50 {
		write(t, tr.path(fmt.Sprintf("content/gen/p%02d.md", i)), page(fmt.Sprintf("Generated %d", i), 100+i, fmt.Sprintf("Generated body %d.\n", i)))
	}
	tr.reload()
	tr.quiet(300 * time.Millisecond)
	for i := range 50 {
		tr.served(fmt.Sprintf("/gen/p%02d/", i), fmt.Sprintf("Generated body %d.", i))
	}
	// 50 edits to existing pages at once.
	for i := range 50 {
		write(t, tr.path(fmt.Sprintf("content/gen/p%02d.md", i)), page(fmt.Sprintf("Generated %d", i), 100+i, fmt.Sprintf("Edited body %d.\n", i)))
	}
	ev := tr.reload()
	if len(ev.Pages) != 50 {
		t.Errorf("burst of 50 edits: reload names %d pages", len(ev.Pages))
	}
	tr.quiet(300 * time.Millisecond)
	tr.served("/gen/p49/", "Edited body 49.")
}

func TestErrorsThenFix(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	good, _ := os.ReadFile(tr.path("content/usage.md"))
	cases := []struct {
		name, data, file string
		line             int
		msg              string
	}{
		{"front matter", "---\ntitle: [unclosed\n---\n\nbody\n", "content/usage.md", 2, ""},
		{"missing include", page("Usage", 2, "Text.\n\n```dockerfile {file=\"Dockerfile.missing\"}\n```\n"), "content/usage.md", 8, "Dockerfile.missing"},
		{"broken link", page("Usage", 2, "Text.\n\nSee [nowhere](nowhere.md).\n"), "content/usage.md", 8, "nowhere"},
		{"broken anchor", page("Usage", 2, "Text.\n\nSee [home](index.md#no-such-heading).\n"), "content/usage.md", 8, "no-such-heading"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr.t = t
			write(t, tr.path("content/usage.md"), c.data)
			e := tr.next("error")
			var ev ErrorEvent
			if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.File != c.file || (c.line != 0 && ev.Line != c.line) || !strings.Contains(ev.Message, c.msg) {
				t.Errorf("error event %+v, want %s:%d %q", ev, c.file, c.line, c.msg)
			}
			if ev.Line > 0 && len(ev.Context) == 0 {
				t.Errorf("no context lines: %+v", ev)
			}
			// The last good site is still served.
			tr.served("/usage/", "Run it")
			// A page loaded now gets the error at once.
			resp, err := http.Get(tr.srv.URL + "/_live")
			if err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(resp.Body)
			got := ""
			for !strings.Contains(got, "event: error") {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("stream ended before the standing error: %q", got)
				}
				got += line
			}
			resp.Body.Close()
			// The fix: a reload event even though the site is as before.
			write(t, tr.path("content/usage.md"), string(good))
			ev2 := tr.reload()
			if ev2.Path != "/usage/" {
				t.Errorf("fix: reload %+v, want path /usage/", ev2)
			}
			tr.served("/usage/", "Run it")
		})
	}
}

func TestIncludeTitleAndCSS(t *testing.T) {
	tr := newTree(t, baseFiles, true)
	// An included file: the page showing it changes.
	write(t, tr.path("Dockerfile"), "FROM scratch\nCOPY app /app\nUSER 65532\n")
	if ev := tr.reload(); ev.Path != "/usage/" {
		t.Errorf("include: %+v", ev)
	}
	tr.served("/usage/", "65532")
	// A retitled page: every page's navigation changes.
	write(t, tr.path("content/extra.md"), page("Appendix", 3, "Extra page.\n"))
	if ev := tr.reload(); !ev.All {
		t.Errorf("title: %+v, want all", ev)
	}
	for _, p := range []string{"/", "/usage/", "/extra/"} {
		tr.served(p, "Appendix")
	}
	// CSS only: no page reloads, the stylesheet is swapped.
	css, _ := os.ReadFile(tr.path("site/theme/assets/site.css"))
	write(t, tr.path("site/theme/assets/site.css"), string(css)+"\n.x-test { color: red; }\n")
	ev := tr.reload()
	if ev.CSS == "" || len(ev.Pages) != 0 || ev.All {
		t.Errorf("css: %+v, want css only", ev)
	}
	tr.served("/"+ev.CSS, ".x-test")
	tr.served("/", ev.CSS)
	// A template: every page.
	base, _ := os.ReadFile(tr.path("site/theme/templates/base.html"))
	write(t, tr.path("site/theme/templates/base.html"), strings.Replace(string(base), "</footer>", "<!-- -->x-template-mark</footer>", 1))
	if ev := tr.reload(); !ev.All {
		t.Errorf("template: %+v, want all", ev)
	}
	tr.served("/extra/", "x-template-mark")
}

func TestNoGoodBuildYet(t *testing.T) {
	files := map[string]string{"content/index.md": "---\ntitle: [\n---\n"}
	tr := newTree(t, files, false)
	tr.next("error") // standing error, sent as the stream opens
	code, body := tr.get("/")
	if code != 503 || !strings.Contains(body, "_live.js") || !strings.Contains(body, "content/index.md") {
		t.Fatalf("GET / with no good build: %d %s", code, body)
	}
	write(t, tr.path("content/index.md"), page("Home", 1, "Now it builds.\n"))
	if ev := tr.reload(); !ev.All {
		t.Errorf("first good build: %+v, want all", ev)
	}
	tr.served("/", "Now it builds.")
}
