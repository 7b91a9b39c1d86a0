// Package devbrowser checks `multistage dev` in a real browser: a page open
// in headless Chromium follows edits to its source. It builds the binary,
// runs it on a temporary source folder on a loopback port, and drives
// Chromium through chromedp:
//
//   - scroll, edit the paragraph in view: the new text shows within a second
//     and the scroll position stays;
//   - edit a paragraph far below: the page scrolls to it;
//   - edit only the stylesheet: it applies without a reload;
//   - break the page: the error overlay appears (file:line, role=alert); fix
//     it: the overlay goes and the page shows the fix;
//   - restart the server: the page reconnects and reloads.
//
// It skips when no Chromium is installed, unless MULTISTAGE_REQUIRE_BROWSER=1,
// and in -short mode. It lives under tools/ so that the served binary links
// no browser driver.
package devbrowser

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"multistage/tools/internal/headless"
)

// longPage has 40 sections; the test edits the 20th and the 38th.
func longPage(edits map[int]string) string {
	var b strings.Builder
	b.WriteString("---\ntitle: Long page\nweight: 2\n---\n\n")
	for i := 1; i <= 40; i++ {
		text := fmt.Sprintf("Paragraph %d says nothing in particular, but it says it at some length so that the page is long enough to scroll: several lines of text per section.", i)
		if e, ok := edits[i]; ok {
			text = e
		}
		fmt.Fprintf(&b, "## Section %d\n\n%s\n\n", i, text)
	}
	return b.String()
}

type server struct {
	t    *testing.T
	bin  string
	src  string
	addr string
	cmd  *exec.Cmd
	done chan error
	logs *syncBuf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "dev", "-src", s.src, "-addr", s.addr)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("dev server not up:\n%s", s.logs.String())
}

func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

func (s *server) write(name, data string) {
	s.t.Helper()
	p := filepath.Join(s.src, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func TestDevReload(t *testing.T) {
	require := os.Getenv("MULTISTAGE_REQUIRE_BROWSER") == "1"
	chrome, err := headless.Path()
	if err != nil {
		if require {
			t.Fatalf("MULTISTAGE_REQUIRE_BROWSER=1: %v", err)
		}
		t.Skip("skipping the dev-mode browser test: " + err.Error())
	}
	if testing.Short() && !require {
		t.Skip("builds the binary and drives Chromium; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// The binary, and a source folder with the repository's theme (so that
	// a CSS edit is a theme edit, as when authoring this repository).
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	tmp := t.TempDir()
	s := &server{t: t, bin: filepath.Join(tmp, "multistage"), src: filepath.Join(tmp, "src"), logs: &syncBuf{}}
	build := exec.CommandContext(ctx, goTool, "build", "-o", s.bin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	theme := os.DirFS(filepath.Join("..", "..", "site", "theme"))
	err = fs.WalkDir(theme, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(theme, p)
		if err == nil {
			s.write("site/theme/"+p, string(data))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.write("content/index.md", "---\ntitle: Home\nweight: 1\n---\n\nHome page. Read the [long page](long.md).\n")
	s.write("content/long.md", longPage(nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ln.Close()
	s.start()
	defer s.stop()
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	}()

	bctx, stopBrowser, err := headless.Start(ctx, chrome)
	if err != nil {
		t.Fatal(err)
	}
	defer stopBrowser()
	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	num := func(js string) float64 {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[float64](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	truth := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// waitFor polls a JS condition; it returns how long it took (logged).
	// Limits are generous (CI runs this on two busy cores): the wait ends as
	// soon as the condition holds.
	waitFor := func(what, js string, limit time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			// A reload may be in progress: evaluation errors just mean "not yet".
			if ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return time.Since(start)
			}
			if time.Since(start) > limit {
				t.Fatalf("%s: not within %s", what, limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	run(chromedp.EmulateViewport(1200, 800), chromedp.Navigate("http://"+s.addr+"/long/"))
	// live.js connects once the page has loaded.
	time.Sleep(500 * time.Millisecond)

	// 1. Scroll to section 20, edit its paragraph: text appears, scroll stays.
	num(`document.getElementById("section-20").scrollIntoView({block: "start", behavior: "instant"}); window.scrollY`)
	y0 := num(`window.scrollY`)
	if y0 < 500 {
		t.Fatalf("page did not scroll (scrollY %v)", y0)
	}
	s.write("content/long.md", longPage(map[int]string{20: "Section twenty was edited just now."}))
	took := waitFor("edited text shown", `document.body.innerText.includes("Section twenty was edited just now.")`, 10*time.Second)
	t.Logf("edit in view: shown after %s", took.Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond) // the restore runs once more on load
	y1 := num(`window.scrollY`)
	if d := y1 - y0; d < -30 || d > 30 {
		t.Errorf("scroll moved from %v to %v on an edit in view", y0, y1)
	}
	if !truth(`!!document.querySelector(".live-changed")`) {
		t.Error("the changed paragraph is not marked")
	}

	// 2. Edit far below: the page scrolls to the change.
	s.write("content/long.md", longPage(map[int]string{20: "Section twenty was edited just now.", 38: "Section thirty-eight changed too."}))
	waitFor("far edit shown", `document.body.innerText.includes("Section thirty-eight changed too.")`, 10*time.Second)
	waitFor("scrolled to the far edit", `(function () {
		var p = Array.from(document.querySelectorAll("main p")).find(function (p) { return p.textContent.includes("thirty-eight changed"); });
		if (!p) return false;
		var r = p.getBoundingClientRect();
		return r.top >= 0 && r.bottom <= window.innerHeight;
	})()`, 10*time.Second)

	// 3. CSS only: the stylesheet is swapped, the page is not reloaded.
	truth(`window.liveMarker = 42; true`)
	css, err := os.ReadFile(filepath.Join(s.src, "site", "theme", "assets", "site.css"))
	if err != nil {
		t.Fatal(err)
	}
	s.write("site/theme/assets/site.css", string(css)+"\n.page h2 { color: rgb(1, 2, 3); }\n")
	took = waitFor("new stylesheet applied", `getComputedStyle(document.querySelector(".page h2")).color === "rgb(1, 2, 3)"`, 10*time.Second)
	t.Logf("stylesheet swapped after %s", took.Round(time.Millisecond))
	if num(`window.liveMarker || 0`) != 42 {
		t.Error("a CSS-only change reloaded the page")
	}

	// 4. Break the page: the overlay names the file and line; fix: it goes.
	s.write("content/long.md", "---\ntitle: [broken\n---\n\ntext\n")
	waitFor("error overlay", `(function () {
		var o = document.querySelector(".live-overlay[role=alert]");
		return !!o && o.textContent.includes("content/long.md:2");
	})()`, 10*time.Second)
	if !truth(`document.body.innerText.includes("Section thirty-eight changed too.")`) {
		t.Error("the last good page is gone while the source is broken")
	}
	s.write("content/long.md", longPage(map[int]string{38: "Fixed, and changed once more."}))
	waitFor("overlay gone, fix shown", `!document.querySelector(".live-overlay") && document.body.innerText.includes("Fixed, and changed once more.")`, 10*time.Second)

	// 5. Restart the server: the page reconnects, then reloads. The page
	// the fix reloaded must have heard this server first.
	waitFor("live stream connected", `document.documentElement.getAttribute("data-live") === "connected"`, 10*time.Second)
	truth(`window.liveMarker = 7; true`)
	s.stop()
	s.write("content/long.md", longPage(map[int]string{38: "Changed while the server was down."}))
	time.Sleep(300 * time.Millisecond)
	s.start()
	took = waitFor("reloaded after restart", `!window.liveMarker && document.body.innerText.includes("Changed while the server was down.")`, 10*time.Second)
	t.Logf("reconnected and reloaded %s after the restart", took.Round(time.Millisecond))
}
