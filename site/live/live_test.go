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
	"regexp"
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
	case <-time.After(waitLimit):
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
	case <-time.After(waitLimit):
		tr.t.Fatalf("no %s event within %s", kind, waitLimit)
	}
	return sse{}
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
	if err := tr.isServed(p, want)(); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) gone(p string) {
	tr.t.Helper()
	if err := tr.isGone(p)(); err != nil {
		tr.t.Fatal(err)
	}
}

// A check tells whether the served site is in some state: nil when it is.
type check func() error

func (tr *tree) isServed(p, want string) check {
	return func() error {
		code, body := tr.get(p)
		if code != 200 || !strings.Contains(body, want) {
			return fmt.Errorf("GET %s: %d, want 200 with %q", p, code, want)
		}
		return nil
	}
}

func (tr *tree) isGone(p string) check {
	return func() error {
		if code, _ := tr.get(p); code != 404 {
			return fmt.Errorf("GET %s: %d, want 404", p, code)
		}
		return nil
	}
}

// waitLimit bounds every wait. The waits return as soon as their condition
// holds; the bound only decides when a stuck loop is reported, and is large
// because CI runs these tests on two busy cores.
const waitLimit = 10 * time.Second

// settled is what settle saw on /_live while the site caught up.
type settled struct {
	reloads []ReloadEvent
	errors  []string // error events' data: a rebuild that caught a write half done
}

// last is the reload event of the build that produced the site now served.
func (s settled) last() ReloadEvent { return s.reloads[len(s.reloads)-1] }

// settle waits until the served site passes every check (the site matches
// the disk) with no build running and no build error standing, then reads
// /_live up to the reload event of that very build, so that the next step
// starts with no stale event queued. One change on disk may reach the
// watcher in more than one batch when the machine is busy (a folder rename
// is several events; a write truncates before it writes), and so cause more
// than one rebuild: settle returns every event it read, for the caller to
// bound. It fails when the site does not match within waitLimit, or when
// the changes produced more than maxReloads reloads.
func (tr *tree) settle(maxReloads int, checks ...check) settled {
	tr.t.Helper()
	var got settled
	take := func(e sse) {
		switch e.event {
		case "reload":
			var ev ReloadEvent
			if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
				tr.t.Fatal(err)
			}
			got.reloads = append(got.reloads, ev)
		case "error":
			got.errors = append(got.errors, e.data)
		default:
			tr.t.Fatalf("unexpected event %s %s", e.event, e.data)
		}
	}
	deadline := time.Now().Add(waitLimit)
	var gen uint64
	for {
		var failed error
		for _, c := range checks {
			if failed = c(); failed != nil {
				break
			}
		}
		if failed == nil {
			// Builds broadcast while holding rl.mu: once it is ours, the
			// build that made this site has sent its event.
			tr.rl.mu.Lock()
			buildErr := tr.rl.err
			tr.hub.mu.Lock()
			gen = tr.hub.gen
			tr.hub.mu.Unlock()
			tr.rl.mu.Unlock()
			if buildErr == nil {
				break
			}
			failed = fmt.Errorf("build error standing: %v", buildErr)
		}
		if time.Now().After(deadline) {
			tr.t.Fatalf("site not as on disk after %s: %v (events so far: %+v)", waitLimit, failed, got)
		}
		select {
		case e := <-tr.events:
			take(e)
		case <-time.After(20 * time.Millisecond):
		}
	}
	for len(got.reloads) == 0 || got.last().Gen < gen {
		select {
		case e := <-tr.events:
			take(e)
		case <-time.After(time.Until(deadline) + time.Second):
			tr.t.Fatalf("no reload event with gen %d (events so far: %+v)", gen, got)
		}
	}
	if got.last().Gen != gen {
		tr.t.Fatalf("reload gen %d, want %d", got.last().Gen, gen)
	}
	if len(got.reloads) > maxReloads {
		tr.t.Errorf("%d reloads for one change, want at most %d: %+v", len(got.reloads), maxReloads, got.reloads)
	}
	if len(got.reloads) > 1 || len(got.errors) > 0 {
		tr.t.Logf("the change came in several batches: %d reloads, errors %q", len(got.reloads), got.errors)
	}
	return got
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
			// A save split over two batches (a busy machine paused the
			// editor between its steps for longer than the quiet window)
			// costs one more rebuild, and its reloads then rightly name more
			// than the page: the page vanished in between. An unsplit save
			// is one reload of /usage/ only.
			got := tr.settle(3, tr.isServed("/usage/", mark))
			if ev := got.last(); len(got.reloads) == 1 && (ev.Path != "/usage/" || len(ev.Pages) != 1 || ev.All) {
				t.Errorf("reload %+v, want path /usage/ only", ev)
			}
			tr.quiet(300 * time.Millisecond)
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
	// Each step waits until the served site matches the disk: a change of
	// several file events (a folder renamed, moved, deleted) may come in
	// more than one batch on a busy machine, each its own rebuild.
	// A new folder with a page in it.
	write(t, tr.path("content/guide/first.md"), page("First", 10, "First guide page.\n"))
	if ev := tr.settle(2, tr.isServed("/guide/first/", "First guide page.")).last(); !ev.All {
		t.Errorf("new page: %+v, want all (the navigation changed)", ev)
	}
	// Nested folder created later, then a file in it.
	write(t, tr.path("content/guide/deep/er.md"), page("Deeper", 11, "Deep page.\n"))
	tr.settle(2, tr.isServed("/guide/deep/er/", "Deep page."))
	// Edit inside the new nested folder: it is watched.
	write(t, tr.path("content/guide/deep/er.md"), page("Deeper", 11, "Deep page, edited.\n"))
	if ev := tr.settle(2, tr.isServed("/guide/deep/er/", "Deep page, edited.")).last(); ev.Path != "/guide/deep/er/" {
		t.Errorf("edit in new folder: %+v", ev)
	}
	// Rename the folder.
	if err := os.Rename(tr.path("content/guide"), tr.path("content/manual")); err != nil {
		t.Fatal(err)
	}
	tr.settle(3, tr.isServed("/manual/first/", "First guide page."), tr.isServed("/manual/deep/er/", "Deep page, edited."),
		tr.isGone("/guide/first/"), tr.isGone("/guide/deep/er/"))
	// Edit inside the renamed folder: still watched under its new name.
	write(t, tr.path("content/manual/first.md"), page("First", 10, "Renamed and edited.\n"))
	if ev := tr.settle(2, tr.isServed("/manual/first/", "Renamed and edited.")).last(); ev.Path != "/manual/first/" {
		t.Errorf("edit after rename: %+v", ev)
	}
	// Move it out of the tree.
	out := t.TempDir()
	if err := os.Rename(tr.path("content/manual"), filepath.Join(out, "manual")); err != nil {
		t.Fatal(err)
	}
	tr.settle(3, tr.isGone("/manual/first/"), tr.isGone("/manual/deep/er/"))
	// Move a folder in from outside, pages already inside.
	write(t, filepath.Join(out, "incoming", "a.md"), page("Incoming A", 20, "Moved in A.\n"))
	write(t, filepath.Join(out, "incoming", "sub", "b.md"), page("Incoming B", 21, "Moved in B.\n"))
	if err := os.Rename(filepath.Join(out, "incoming"), tr.path("content/incoming")); err != nil {
		t.Fatal(err)
	}
	tr.settle(3, tr.isServed("/incoming/a/", "Moved in A."), tr.isServed("/incoming/sub/b/", "Moved in B."))
	write(t, tr.path("content/incoming/sub/b.md"), page("Incoming B", 21, "Moved in, then edited.\n"))
	tr.settle(2, tr.isServed("/incoming/sub/b/", "Moved in, then edited."))
	// Delete a folder.
	if err := os.RemoveAll(tr.path("content/incoming")); err != nil {
		t.Fatal(err)
	}
	tr.settle(3, tr.isGone("/incoming/a/"), tr.isGone("/incoming/sub/b/"))
	// A page file moved out, then back in.
	if err := os.Rename(tr.path("content/extra.md"), filepath.Join(out, "extra.md")); err != nil {
		t.Fatal(err)
	}
	tr.settle(2, tr.isGone("/extra/"))
	if err := os.Rename(filepath.Join(out, "extra.md"), tr.path("content/extra.md")); err != nil {
		t.Fatal(err)
	}
	tr.settle(2, tr.isServed("/extra/", "Extra page."))
	tr.quiet(300 * time.Millisecond)
}

func TestBurst(t *testing.T) {
	tr := newTree(t, baseFiles, false)
	// 50 new pages at once, like a git checkout or a generator. The burst
	// is batched: a handful of rebuilds at most (more batches only when the
	// machine stalls the writer for longer than the burst window or the
	// writing outlasts MaxWait), never one per file. A rebuild that reads a
	// file between its creation and its write sees it empty and fails; the
	// next batch fixes that, so error events may come between the reloads.
	const maxReloads = 6
	var all []check
	for i := range 50 {
		write(t, tr.path(fmt.Sprintf("content/gen/p%02d.md", i)), page(fmt.Sprintf("Generated %d", i), 100+i, fmt.Sprintf("Generated body %d.\n", i)))
		all = append(all, tr.isServed(fmt.Sprintf("/gen/p%02d/", i), fmt.Sprintf("Generated body %d.", i)))
	}
	tr.settle(maxReloads, all...)
	tr.quiet(300 * time.Millisecond)
	// 50 edits to existing pages at once.
	all = all[:0]
	for i := range 50 {
		write(t, tr.path(fmt.Sprintf("content/gen/p%02d.md", i)), page(fmt.Sprintf("Generated %d", i), 100+i, fmt.Sprintf("Edited body %d.\n", i)))
		all = append(all, tr.isServed(fmt.Sprintf("/gen/p%02d/", i), fmt.Sprintf("Edited body %d.", i)))
	}
	got := tr.settle(maxReloads, all...)
	// Together the reloads name each edited page, and only those.
	named := map[string]bool{}
	for _, ev := range got.reloads {
		if ev.All {
			t.Errorf("burst of 50 edits: reload %+v, want the pages named", ev)
		}
		for _, p := range ev.Pages {
			named[p] = true
		}
	}
	if len(named) != 50 {
		t.Errorf("burst of 50 edits: reloads name %d pages, want 50: %v", len(named), named)
	}
	tr.quiet(300 * time.Millisecond)
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
			// A rebuild may catch the file between its truncation and its
			// write (an empty file: no front matter); the next batch then
			// reports the real error. Only error events may come, ending in
			// the one for this file.
			var ev ErrorEvent
			var data string
			for n := 0; ; n++ {
				e := tr.next("error")
				ev, data = ErrorEvent{}, e.data
				if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.File == c.file && (c.line == 0 || ev.Line == c.line) && strings.Contains(ev.Message, c.msg) {
					break
				}
				if n == 2 {
					t.Fatalf("error event %+v, want %s:%d %q", ev, c.file, c.line, c.msg)
				}
				t.Logf("error event %+v before the one wanted (a write caught half done)", ev)
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
			if line, _ := br.ReadString('\n'); line != "data: "+data+"\n" {
				t.Errorf("standing error %q, want %q", line, data)
			}
			resp.Body.Close()
			// The fix: a reload event even though the site is as before.
			write(t, tr.path("content/usage.md"), string(good))
			if ev2 := tr.settle(2, tr.isServed("/usage/", "Run it")).last(); ev2.Path != "/usage/" {
				t.Errorf("fix: reload %+v, want path /usage/", ev2)
			}
		})
	}
}

func TestIncludeTitleAndCSS(t *testing.T) {
	tr := newTree(t, baseFiles, true)
	// Each step waits for the site to match the disk: a rebuild may catch a
	// file between its truncation and its write, and the next batch then
	// rebuilds once more. The last reload is the one compared.
	// An included file: the page showing it changes.
	write(t, tr.path("Dockerfile"), "FROM scratch\nCOPY app /app\nUSER 65532\n")
	if ev := tr.settle(2, tr.isServed("/usage/", "65532")).last(); ev.Path != "/usage/" {
		t.Errorf("include: %+v", ev)
	}
	// A retitled page: every page's navigation changes.
	write(t, tr.path("content/extra.md"), page("Appendix", 3, "Extra page.\n"))
	if ev := tr.settle(2, tr.isServed("/", "Appendix"), tr.isServed("/usage/", "Appendix"), tr.isServed("/extra/", "Appendix")).last(); !ev.All {
		t.Errorf("title: %+v, want all", ev)
	}
	// CSS only: no page reloads, the stylesheet is swapped.
	css, _ := os.ReadFile(tr.path("site/theme/assets/site.css"))
	write(t, tr.path("site/theme/assets/site.css"), string(css)+"\n.x-test { color: red; }\n")
	styled := func() error {
		_, body := tr.get("/")
		href := regexp.MustCompile(`assets/site\.[0-9a-f]+\.css`).FindString(body)
		if href == "" {
			return fmt.Errorf("GET /: no stylesheet")
		}
		return tr.isServed("/"+href, ".x-test")()
	}
	ev := tr.settle(2, styled).last()
	if ev.CSS == "" || len(ev.Pages) != 0 || ev.All {
		t.Errorf("css: %+v, want css only", ev)
	}
	tr.served("/"+ev.CSS, ".x-test")
	tr.served("/", ev.CSS)
	// A template: every page.
	base, _ := os.ReadFile(tr.path("site/theme/templates/base.html"))
	write(t, tr.path("site/theme/templates/base.html"), strings.Replace(string(base), "</footer>", "<!-- -->x-template-mark</footer>", 1))
	if ev := tr.settle(2, tr.isServed("/", "x-template-mark"), tr.isServed("/usage/", "x-template-mark"), tr.isServed("/extra/", "x-template-mark")).last(); !ev.All {
		t.Errorf("template: %+v, want all", ev)
	}
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
	if ev := tr.settle(2, tr.isServed("/", "Now it builds.")).last(); !ev.All {
		t.Errorf("first good build: %+v, want all", ev)
	}
}
