// Package browsertest checks the served tutorial in a real browser: it
// builds the multistage binary, serves it on a loopback port, and walks
// every page in headless Chromium (chromedp), looking for what only a
// browser shows: console errors and CSP violations, broken images, code
// without colours, a dark scheme that does not apply, a demo panel that
// never fills in, horizontal overflow on a phone, and keyboard access.
//
// It skips when no Chromium is installed (apt-get install chromium, or set
// $CHROME), unless MULTISTAGE_REQUIRE_BROWSER=1, and in -short mode.
// It lives under tools/ so that the served binary links no browser driver.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"multistage/tools/internal/headless"
)

// Desktop and phone viewports.
const (
	desktopW, desktopH = 1280, 800
	phoneW, phoneH     = 375, 740
)

func TestPages(t *testing.T) {
	require := os.Getenv("MULTISTAGE_REQUIRE_BROWSER") == "1"
	chrome, err := headless.Path()
	if err != nil {
		if require {
			t.Fatalf("MULTISTAGE_REQUIRE_BROWSER=1: %v", err)
		}
		t.Skip(err.Error())
	}
	if testing.Short() && !require {
		t.Skip("builds the binary and drives Chromium; skipped in -short mode")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	base := serve(t, ctx)

	bctx, stop, err := headless.Start(ctx, chrome)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	console := collect(bctx)
	if err := chromedp.Do(bctx, desktop()); err != nil {
		t.Fatal(err)
	}

	// Crawl the navigation from "/": every page the reader can reach.
	seen := map[string]bool{"/": true}
	queue := []string{"/"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		var links []string
		name := strings.Trim(p, "/")
		if name == "" {
			name = "index"
		}
		t.Run(name, func(t *testing.T) {
			links = checkPage(t, bctx, console, base, p)
		})
		for _, l := range links {
			if !seen[l] {
				seen[l] = true
				queue = append(queue, l)
			}
		}
	}
	if len(seen) < 2 {
		t.Errorf("the navigation of / links to no other page (found %v)", seen)
	}
}

// serve builds the binary from the repository root and runs `serve` on a
// free loopback port until the test ends. It returns the base URL.
func serve(t *testing.T, ctx context.Context) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	bin := filepath.Join(t.TempDir(), "multistage")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a small window for another process to take it; acceptable in a test

	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "-addr", addr)
	cmd.Env = withoutEnv(os.Environ(), "PORT")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		// Ask for a graceful shutdown first; kill it if it does not go.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			t.Logf("server log (last %d lines):\n%s", min(len(lines), 20), strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
	})

	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				warmUp(t, base)
				return base
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the server exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not answer /healthz within 15s: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// warmUp asks /app/about once before any page does. When the test itself
// runs in a container, the app walks the whole root file system on its
// first report (seconds on a developer machine, nothing in the scratch
// image); the demo panel's 3s budget is for the page script, not that walk.
func warmUp(t *testing.T, base string) {
	t.Helper()
	c := &http.Client{Timeout: 60 * time.Second}
	start := time.Now()
	resp, err := c.Get(base + "/app/about")
	if err != nil {
		t.Fatalf("warm up /app/about: %v", err)
	}
	resp.Body.Close()
	if d := time.Since(start); d > time.Second {
		t.Logf("the first /app/about took %v (the app's root file system walk)", d.Round(time.Millisecond))
	}
}

func withoutEnv(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// consoleLog keeps every console message, exception and browser log entry
// of the tab (CSP violations arrive as browser log errors).
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func collect(ctx context.Context) *consoleLog {
	c := &consoleLog{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// mark returns a position; since returns the messages after it.
func (c *consoleLog) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *consoleLog) since(i int) []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs[i:]...)
}

func desktop() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.EmulateViewport(desktopW, desktopH),
		media("light"),
	)
}

// media emulates a colour scheme preference.
func media(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// eval runs a script (awaiting a promise it returns) and decodes its value.
func eval[T any](ctx context.Context, js string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// checkPage runs every check on one page and returns the same-origin page
// links of its navigation.
func checkPage(t *testing.T, bctx context.Context, console *consoleLog, base, path string) []string {
	ctx, cancel := context.WithTimeout(bctx, 45*time.Second)
	defer cancel()
	start := console.mark()
	defer func() {
		// Messages can trail the action that caused them.
		time.Sleep(150 * time.Millisecond)
		for _, m := range console.since(start) {
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException:
				where := m.URL
				if where != "" {
					where = fmt.Sprintf(" (%s:%d)", where, m.Line+1)
				}
				t.Errorf("console %s%s", m, where)
			case chromedp.ConsoleWarning:
				t.Logf("console %s", m)
			}
		}
	}()

	if err := chromedp.Do(ctx, desktop(), chromedp.Navigate(base+path)); err != nil {
		t.Fatalf("load: %v", err)
	}

	// Structure: a language, one main landmark, a title.
	type structure struct {
		Lang  string `json:"lang"`
		Mains int    `json:"mains"`
		Title string `json:"title"`
		H1    int    `json:"h1"`
	}
	st, err := eval[structure](ctx, `({
		lang: document.documentElement.lang,
		mains: document.querySelectorAll("main, [role=main]").length,
		title: document.title,
		h1: document.querySelectorAll("main h1").length,
	})`)
	if err != nil {
		t.Fatal(err)
	}
	if st.Lang == "" {
		t.Error(`<html> has no lang`)
	}
	if st.Mains != 1 {
		t.Errorf("%d main landmarks, want 1", st.Mains)
	}
	if strings.TrimSpace(st.Title) == "" {
		t.Error("empty <title>")
	}
	if st.H1 != 1 {
		t.Errorf("%d h1 in main, want 1", st.H1)
	}

	// Images: load the lazy ones too, then every one must have decoded.
	broken, err := eval[[]string](ctx, `(async () => {
		const imgs = Array.from(document.images);
		await Promise.all(imgs.map(i => {
			i.loading = "eager";
			return Promise.race([i.decode().catch(() => {}), new Promise(r => setTimeout(r, 5000))]);
		}));
		return imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src);
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range broken {
		t.Errorf("image does not decode: %s", src)
	}

	// Code: a Dockerfile figure has coloured keywords, and its copy
	// button is revealed by the page script.
	type code struct {
		Figures     int      `json:"figures"`
		Dockerfiles int      `json:"dockerfiles"`
		Uncoloured  []string `json:"uncoloured"`
		HiddenCopy  int      `json:"hiddenCopy"`
	}
	cd, err := eval[code](ctx, `(() => {
		const body = getComputedStyle(document.body).color;
		const figs = Array.from(document.querySelectorAll("figure.code"));
		const docker = figs.filter(f => f.dataset.lang === "dockerfile");
		const uncoloured = docker.filter(f => {
			const kw = f.querySelector(".chroma .k, .chroma .nb, .chroma .kd, .chroma .kr");
			return !kw || getComputedStyle(kw).color === body;
		}).map(f => (f.querySelector("figcaption") || {}).textContent || "(no caption)");
		const hidden = figs.filter(f => {
			const b = f.querySelector("button.copy");
			if (!b) return true;
			const r = b.getBoundingClientRect();
			return b.hidden || getComputedStyle(b).display === "none" || getComputedStyle(b).visibility === "hidden" || r.width === 0;
		}).length;
		return {figures: figs.length, dockerfiles: docker.length, uncoloured, hiddenCopy: hidden};
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d code figures (%d Dockerfiles)", cd.Figures, cd.Dockerfiles)
	for _, c := range cd.Uncoloured {
		t.Errorf("Dockerfile figure %q: no keyword with a colour other than the body text's", c)
	}
	if cd.HiddenCopy > 0 {
		t.Errorf("%d of %d code figures have no visible copy button", cd.HiddenCopy, cd.Figures)
	}

	// The demo panel fills in from /app/about.
	hasDemo, err := eval[bool](ctx, `!!document.querySelector(".demo[data-about]")`)
	if err != nil {
		t.Fatal(err)
	}
	if hasDemo {
		t.Log("demo panel")
		variant, err := eval[string](ctx, `new Promise(resolve => {
			const el = document.querySelector(".demo [data-field=variant]");
			const t0 = Date.now();
			(function poll() {
				const v = el ? el.textContent.trim() : "";
				if (v === "local" || Date.now() - t0 > 3000) return resolve(v);
				setTimeout(poll, 50);
			})();
		})`)
		if err != nil {
			t.Fatal(err)
		}
		if variant != "local" {
			t.Errorf(`demo panel variant = %q after 3s, want "local"`, variant)
		}
	}

	// Keyboard: the first Tab lands on a skip link to the main content.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)`),
		chromedp.KeyEvent(kb.Tab),
	); err != nil {
		t.Fatal(err)
	}
	type focus struct {
		Tag     string `json:"tag"`
		Text    string `json:"text"`
		Href    string `json:"href"`
		ToMain  bool   `json:"toMain"`
		Visible bool   `json:"visible"`
	}
	fc, err := eval[focus](ctx, `(() => {
		const a = document.activeElement;
		const href = (a && a.getAttribute("href")) || "";
		const target = href.startsWith("#") ? document.getElementById(decodeURIComponent(href.slice(1))) : null;
		const r = a ? a.getBoundingClientRect() : {width: 0, height: 0, bottom: 0, right: 0};
		return {
			tag: a ? a.tagName.toLowerCase() : "",
			text: a ? a.textContent.trim() : "",
			href,
			toMain: !!target && (target.matches("main, [role=main]") || !!target.querySelector("main, [role=main]")),
			visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
		};
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Tag != "a" || !fc.ToMain {
		t.Errorf("first focusable element is <%s href=%q>%s, want a skip link to the main landmark", fc.Tag, fc.Href, fc.Text)
	} else if !fc.Visible {
		t.Errorf("the skip link %q is not visible when focused", fc.Text)
	}

	// Colour schemes: text must be readable in both, and the dark one must
	// be dark.
	for _, scheme := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx, media(scheme)); err != nil {
			t.Fatal(err)
		}
		type colours struct {
			BgLum    float64 `json:"bgLum"`
			Contrast float64 `json:"contrast"`
			Bg       string  `json:"bg"`
			Fg       string  `json:"fg"`
		}
		c, err := eval[colours](ctx, colourJS)
		if err != nil {
			t.Fatal(err)
		}
		if c.BgLum < 0 {
			t.Errorf("%s scheme: neither body nor html sets a background colour", scheme)
			continue
		}
		if scheme == "dark" && c.BgLum > 0.1 {
			t.Errorf("dark scheme: body background %s is not dark (luminance %.2f)", c.Bg, c.BgLum)
		}
		if scheme == "light" && c.BgLum < 0.5 {
			t.Errorf("light scheme: body background %s is not light (luminance %.2f)", c.Bg, c.BgLum)
		}
		if c.Contrast < 4.5 {
			t.Errorf("%s scheme: body text %s on %s has contrast %.1f, want >= 4.5", scheme, c.Fg, c.Bg, c.Contrast)
		}
		type token struct {
			Class    string  `json:"class"`
			Text     string  `json:"text"`
			Fg       string  `json:"fg"`
			Bg       string  `json:"bg"`
			Contrast float64 `json:"contrast"`
		}
		low, err := eval[[]token](ctx, strings.Replace(tokenContrastJS, "MIN_CONTRAST", fmt.Sprint(minTokenContrast), 1))
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range low {
			t.Errorf("%s scheme: code token .%s %q is %s on %s, contrast %.1f, want >= %g",
				scheme, tk.Class, tk.Text, tk.Fg, tk.Bg, tk.Contrast, minTokenContrast)
		}
	}
	if err := chromedp.Do(ctx, media("light")); err != nil {
		t.Fatal(err)
	}

	// Navigation links, for the crawl.
	hrefs, err := eval[[]string](ctx, `Array.from(document.querySelectorAll("nav a[href]"), a => a.href)`)
	if err != nil {
		t.Fatal(err)
	}
	links := samePages(base, hrefs)

	// Phone: no horizontal scrolling; name the elements that stick out.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)),
		chromedp.Reload(),
	); err != nil {
		t.Fatal(err)
	}
	type overflow struct {
		ScrollWidth float64  `json:"scrollWidth"`
		InnerWidth  float64  `json:"innerWidth"`
		Culprits    []string `json:"culprits"`
	}
	ov, err := eval[overflow](ctx, overflowJS)
	if err != nil {
		t.Fatal(err)
	}
	if ov.ScrollWidth > ov.InnerWidth {
		t.Errorf("phone %dx%d: page is %gpx wide in a %gpx viewport; too wide: %s",
			phoneW, phoneH, ov.ScrollWidth, ov.InnerWidth, strings.Join(ov.Culprits, ", "))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktopW, desktopH)); err != nil {
		t.Fatal(err)
	}
	return links
}

// colourJS measures the body's background luminance and its text contrast
// (WCAG 2 formulas).
const colourJS = `(() => {
	const rgb = s => (s.match(/[\d.]+/g) || [0, 0, 0]).slice(0, 3).map(Number);
	const lum = c => {
		const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const cs = getComputedStyle(document.body);
	let bg = cs.backgroundColor;
	const clear = c => c === "transparent" || /^rgba\(.*, 0\)$/.test(c);
	if (clear(bg)) bg = getComputedStyle(document.documentElement).backgroundColor;
	if (clear(bg)) return {bgLum: -1, contrast: 0, bg: "none", fg: cs.color};
	const lb = lum(rgb(bg)), lf = lum(rgb(cs.color));
	return {bgLum: lb, contrast: (Math.max(lb, lf) + 0.05) / (Math.min(lb, lf) + 0.05), bg, fg: cs.color};
})()`

// minTokenContrast is the least contrast a highlighted code token may have
// against its background: WCAG AA for normal text.
const minTokenContrast = 4.5

// tokenContrastJS lists the highlighted code tokens (one per class and
// colour pair) whose colour is too close to their background. Line numbers
// are left out: they are not selectable and repeat what the eye can count.
const tokenContrastJS = `(() => {
	const rgba = s => (s.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
	const clear = c => c === "transparent" || /^rgba\(.*, 0\)$/.test(c);
	const lum = c => {
		const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const bgOf = el => {
		for (let e = el; e; e = e.parentElement) {
			const c = getComputedStyle(e).backgroundColor;
			if (!clear(c)) return c;
		}
		return "rgb(255, 255, 255)";
	};
	const out = [], seen = new Set();
	for (const s of document.querySelectorAll("figure.code pre span[class]")) {
		if (!s.textContent.trim() || s.closest(".ln, .lnt, .lntd:first-child")) continue;
		if (s.querySelector("span[class]")) continue; // only the innermost token
		const fg = getComputedStyle(s).color, bg = bgOf(s);
		const key = s.className + "|" + fg + "|" + bg;
		if (seen.has(key)) continue;
		seen.add(key);
		const lf = lum(rgba(fg)), lb = lum(rgba(bg));
		const contrast = (Math.max(lf, lb) + 0.05) / (Math.min(lf, lb) + 0.05);
		if (contrast < MIN_CONTRAST) out.push({class: s.className, text: s.textContent.trim().slice(0, 24), fg, bg, contrast});
	}
	return out;
})()`

// overflowJS measures horizontal overflow against the device width and lists
// the outermost elements that reach past it (content inside a scrolling box
// is fine).
const overflowJS = `(() => {
	// A mobile browser widens the layout viewport (zooms out) to fit wide
	// content, and innerWidth grows with it; the device width does not.
	const w = Math.min(window.innerWidth, screen.width);
	const culprits = [];
	const scrolls = el => { const o = getComputedStyle(el).overflowX; return o === "auto" || o === "scroll" || o === "hidden" || o === "clip"; };
	const walk = el => {
		for (const c of el.children) {
			const r = c.getBoundingClientRect();
			if (r.right > w + 0.5 && r.width > 0) {
				let d = c.tagName.toLowerCase();
				if (c.id) d += "#" + c.id;
				if (c.classList.length) d += "." + Array.from(c.classList).join(".");
				culprits.push(d + " (right " + Math.round(r.right) + ")");
				if (culprits.length >= 8) return;
			}
			if (!scrolls(c)) walk(c);
			if (culprits.length >= 8) return;
		}
	};
	walk(document.body);
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, culprits};
})()`

// samePages keeps the links to pages of the site: same origin, not the
// demo app or a file, without fragment or query.
func samePages(base string, hrefs []string) []string {
	b, err := url.Parse(base)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range hrefs {
		u, err := url.Parse(h)
		if err != nil || u.Host != b.Host || u.Scheme != b.Scheme {
			continue
		}
		p := u.Path
		if strings.HasPrefix(p, "/app/") || p == "/app" || p == "/healthz" || !strings.HasSuffix(p, "/") {
			continue
		}
		out = append(out, p)
	}
	return out
}
