package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"multistage/internal/shotmeta"
	"multistage/site"
	"multistage/tools/internal/headless"
)

// Capture settings: fixed, so that the same sources give the same pixels.
const (
	viewportW   = 1000
	viewportH   = 800
	scaleFactor = 2
)

// target says how to find a shot's element in a page.
type target struct {
	name string // shotmeta.Shot.Name
	// kind "code": the figure.code captioned caption, preferably the one
	// showing the whole file; kind "selector": the first match of selector.
	kind     string
	caption  string
	selector string
	// clear makes the page transparent around the element, so that the
	// corners outside a rounded border are not white on a dark page.
	clear bool
	// pad adds page background around an element that has no border of
	// its own, in CSS pixels.
	pad float64
}

var targets = []target{
	{name: "dockerfile-normal.png", kind: "code", caption: "Dockerfile.normal", clear: true},
	{name: "dockerfile-multistage.png", kind: "code", caption: "Dockerfile", clear: true},
	{name: "size-difference.png", kind: "selector", selector: ".sizes", pad: 16},
}

type capturer struct {
	src    fs.FS
	outDir string
	chrome string
	log    io.Writer
}

// job is a target whose sources exist, with what the PNG will record.
type job struct {
	target
	shot   shotmeta.Shot
	source string // shotmeta.SourceHash of shot.Sources
	text   string // the whole file, for kind "code"

	page  string // URL path of the best page found
	score int    // how well that page's element matched (see findJS)
}

func capture(ctx context.Context, c capturer) error {
	jobs, err := c.jobs()
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return errors.New("nothing to capture")
	}
	src, err := withPlaceholders(c.src)
	if err != nil {
		return err
	}
	s, err := site.Build(src, site.Options{})
	if err != nil {
		return fmt.Errorf("build the site: %w", err)
	}
	theme, err := themeHash(site.Theme())
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	bctx, stop, err := headless.Start(ctx, c.chrome)
	if err != nil {
		return err
	}
	defer stop()
	browser, err := headless.Version(bctx, c.chrome)
	if err != nil {
		return err
	}
	if err := chromedp.Do(bctx, setup()); err != nil {
		return fmt.Errorf("set up the page: %w", err)
	}

	// Pass 1: find the best page for each shot. A code figure that shows
	// the whole file under its name beats one that shows some lines of it.
	var urls []string
	for _, p := range s.Pages {
		urls = append(urls, p.URL)
	}
	for _, u := range urls {
		if err := load(bctx, base+u); err != nil {
			return err
		}
		done := true
		for _, j := range jobs {
			n, err := chromedp.Run(bctx, chromedp.Evaluate[int](findJS(j, false)))
			if err != nil {
				return fmt.Errorf("%s: find %s: %w", u, j.name, err)
			}
			if n > j.score {
				j.page, j.score = u, n
			}
			done = done && j.score == best
		}
		if done {
			break
		}
	}

	// Pass 2: capture, one page load per page.
	var missing []string
	for _, u := range urls {
		loaded := false
		for _, j := range jobs {
			if j.page != u {
				continue
			}
			if !loaded {
				if err := load(bctx, base+u); err != nil {
					return err
				}
				loaded = true
			}
			img, err := shoot(bctx, j)
			if err != nil {
				return fmt.Errorf("%s: capture %s: %w", u, j.name, err)
			}
			if err := c.save(j, img, map[string]string{
				shotmeta.KeySource:  j.source,
				shotmeta.KeyFiles:   strings.Join(j.shot.Sources, " "),
				shotmeta.KeyTheme:   theme,
				shotmeta.KeyBrowser: browser,
			}, u); err != nil {
				return err
			}
		}
	}
	for _, j := range jobs {
		if j.page == "" {
			missing = append(missing, fmt.Sprintf("%s: no page shows %s", j.name, j.what()))
		}
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "; "))
	}
	return nil
}

// jobs pairs each target with its shot and reads its sources; a shot whose
// sources are missing is skipped with a message.
func (c capturer) jobs() ([]*job, error) {
	byName := map[string]shotmeta.Shot{}
	for _, s := range shotmeta.Shots {
		byName[s.Name] = s
	}
	var jobs []*job
	for _, t := range targets {
		shot, ok := byName[t.name]
		if !ok {
			return nil, fmt.Errorf("internal error: %s is not in shotmeta.Shots", t.name)
		}
		delete(byName, t.name)
		h, err := shotmeta.Sources(c.src, shot)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(c.log, "skip %s: %v (nothing to capture yet)\n", t.name, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		j := &job{target: t, shot: shot, source: h}
		if t.kind == "code" {
			b, err := fs.ReadFile(c.src, shot.Sources[0])
			if err != nil {
				return nil, err
			}
			j.text = string(b)
		}
		jobs = append(jobs, j)
	}
	for name := range byName {
		return nil, fmt.Errorf("internal error: no target for shot %s", name)
	}
	return jobs, nil
}

func (t target) what() string {
	if t.kind == "code" {
		return fmt.Sprintf("a code figure captioned %q", t.caption)
	}
	return fmt.Sprintf("an element %s", t.selector)
}

// setup fixes everything about the tab that could change the pixels.
func setup() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: viewportW, Height: viewportH, DeviceScaleFactor: scaleFactor,
		}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: "light"},
				{Name: "prefers-reduced-motion", Value: "reduce"},
			},
		}); err != nil {
			return err
		}
		// The site's CSP forbids inline style; the capture style sheet
		// below is ours, not the page's, so let it in.
		if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
			return err
		}
		// A transparent base colour, for the "clear" targets. The typed
		// cdp.RGBA drops a zero alpha (omitzero), which Chromium reads as
		// opaque, so send the colour by hand.
		return t.Call(ctx, "Emulation.setDefaultBackgroundColorOverride",
			map[string]any{"color": map[string]any{"r": 0, "g": 0, "b": 0, "a": 0}}, nil)
	})
}

// captureCSS stops motion and hides what only works in a live page.
const captureCSS = `
*, *::before, *::after { animation: none !important; transition: none !important;
  caret-color: transparent !important; scroll-behavior: auto !important; }
[data-shot] .copy { display: none !important; }
html.shot-clear, html.shot-clear body { background: transparent !important; }
html.shot-clear [data-shot] { background: var(--bg, #fff) !important; }
`

// load navigates and waits until the page is still: fonts and images
// loaded, capture style applied, two frames painted.
func load(ctx context.Context, url string) error {
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("load %s: %w", url, err)
	}
	css, _ := json.Marshal(captureCSS)
	js := `(async () => {
  const st = document.createElement("style");
  st.textContent = ` + string(css) + `;
  document.head.append(st);
  await document.fonts.ready;
  // Lazy images below the fold would never load: load them all now, and
  // give up on any that takes more than five seconds.
  await Promise.all(Array.from(document.images, i => {
    i.loading = "eager";
    return Promise.race([i.decode().catch(() => {}), new Promise(r => setTimeout(r, 5000))]);
  }));
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return true;
})()`
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err != nil {
		return fmt.Errorf("load %s: wait until ready: %w", url, err)
	}
	return nil
}

// best is the score of a perfect match in findJS.
const best = 3

// findJS returns a script that scores how well the page shows j's element
// (0 none, 1 the file's text without its caption, 2 the caption over part
// of the file, 3 both) and, if mark, marks it with data-shot.
func findJS(j *job, mark bool) string {
	arg, _ := json.Marshal(map[string]any{
		"kind": j.kind, "caption": j.caption, "selector": j.selector, "text": j.text, "mark": mark,
	})
	return `(() => {
  const w = ` + string(arg) + `;
  const norm = s => s.replace(/[ \t]+$/gm, "").trim();
  let el = null, score = 0;
  if (w.kind === "code") {
    for (const f of document.querySelectorAll("figure.code")) {
      const c = f.querySelector(":scope > figcaption"), p = f.querySelector("pre");
      const s = (c && c.textContent.trim() === w.caption ? 2 : 0) + (p && norm(p.textContent) === norm(w.text) ? 1 : 0);
      if (s > score) { el = f; score = s; }
    }
  } else {
    el = document.querySelector(w.selector);
    if (el) score = 3;
  }
  if (w.mark) {
    document.querySelectorAll("[data-shot]").forEach(e => e.removeAttribute("data-shot"));
    if (el) el.setAttribute("data-shot", "");
  }
  return score;
})()`
}

type rect struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// shoot marks j's element, lets a code figure grow to its longest line (so
// no line is cut off behind a scroll bar), and captures it.
func shoot(ctx context.Context, j *job) ([]byte, error) {
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := chromedp.Run(tctx, chromedp.Evaluate[int](findJS(j, true)))
	if err != nil {
		return nil, err
	}
	if n != j.score {
		return nil, fmt.Errorf("the element changed between loads (score %d, was %d)", n, j.score)
	}
	js := fmt.Sprintf(`(async () => {
  const el = document.querySelector("[data-shot]");
  document.documentElement.classList.toggle("shot-clear", %t);
  const pre = el.querySelector("pre");
  if (pre) {
    // How far the longest line reaches past the code box, keeping the
    // box's own right padding (scrollWidth leaves it out).
    const text = document.createRange();
    text.selectNodeContents(pre);
    const need = text.getBoundingClientRect().right + parseFloat(getComputedStyle(pre).paddingRight) -
      pre.getBoundingClientRect().right;
    if (need > 0.5) {
      el.style.width = (el.getBoundingClientRect().width + need) + "px";
      el.style.maxWidth = "none";
    }
  }
  window.scrollTo(0, 0);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const r = el.getBoundingClientRect();
  return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
})()`, j.clear)
	r, err := chromedp.Run(tctx, chromedp.Evaluate[rect](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, err
	}
	if r.Width < 1 || r.Height < 1 {
		return nil, fmt.Errorf("the element is not visible (%gx%g)", r.Width, r.Height)
	}
	// Snap the clip outwards to whole device pixels, so that no border
	// is cut and no edge is resampled.
	snap := func(v float64, up bool) float64 {
		if up {
			return math.Ceil(v*scaleFactor) / scaleFactor
		}
		return math.Floor(v*scaleFactor) / scaleFactor
	}
	x0, y0 := snap(r.X-j.pad, false), snap(r.Y-j.pad, false)
	x1, y1 := snap(r.X+r.Width+j.pad, true), snap(r.Y+r.Height+j.pad, true)
	res, err := chromedp.Call(tctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		Clip:                  &page.Viewport{X: math.Max(x0, 0), Y: math.Max(y0, 0), Width: x1 - math.Max(x0, 0), Height: y1 - math.Max(y0, 0), Scale: 1},
		FromSurface:           new(true),
		CaptureBeyondViewport: new(true),
	})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// save re-encodes the capture (see encode; Chromium favours speed over
// size), records its provenance, and writes it if anything changed.
func (c capturer) save(j *job, capture []byte, meta map[string]string, pageURL string) error {
	img, err := png.Decode(bytes.NewReader(capture))
	if err != nil {
		return fmt.Errorf("%s: decode the capture: %w", j.name, err)
	}
	data, err := encode(img)
	if err != nil {
		return err
	}
	if len(capture) < len(data) {
		data = capture
	}
	data, err = shotmeta.WithText(data, meta)
	if err != nil {
		return err
	}
	name := filepath.Join(c.outDir, j.name)
	b := img.Bounds()
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		fmt.Fprintf(c.log, "%s: unchanged (%dx%d, %d bytes, from %s)\n", name, b.Dx(), b.Dy(), len(data), pageURL)
		return nil
	}
	if err := writeFile(name, data); err != nil {
		return err
	}
	fmt.Fprintf(c.log, "%s: wrote %dx%d, %d bytes, from %s\n", name, b.Dx(), b.Dy(), len(data), pageURL)
	return nil
}
