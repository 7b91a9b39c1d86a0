// Package headless starts the headless Chromium that the developer tools
// (tools/shots) and the browser test (tools/browsertest) drive through
// chromedp. It lives under tools/ so that the served binary never links a
// browser driver: `go list -deps .` must not name chromedp.
//
// The browser gets a fresh profile, no sandbox (it runs as root in CI
// containers), no GPU, and flags that stop it from talking to anything but
// the loopback server under test: no background networking, component
// updates, sync or QUIC, and a host resolver that resolves no name but
// localhost.
package headless

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// ErrNotFound means no Chromium was found; the message says how to get one.
var ErrNotFound = errors.New("chromium not found: apt-get install chromium (or set $CHROME)")

// candidates are tried in order after $CHROME.
var candidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Path returns the browser to run: $CHROME when set (it must exist), else
// the first of the usual Chromium names that exists.
func Path() (string, error) {
	if c := os.Getenv("CHROME"); c != "" {
		p, err := exec.LookPath(c)
		if err != nil {
			return "", fmt.Errorf("$CHROME=%s: %w", c, err)
		}
		return p, nil
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}

// Start launches the browser at path and returns a chromedp context for its
// first tab. Stop kills the browser, waits for it, and removes its profile;
// call it exactly once (it is safe to defer). Cancelling parent also ends the
// browser. Extra options are appended to the defaults, e.g.
// chromedp.Flag("hide-scrollbars", true).
func Start(parent context.Context, path string, extra ...chromedp.ExecAllocatorOption) (ctx context.Context, stop func(), err error) {
	dir, err := os.MkdirTemp("", "multistage-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		// Only loopback: every host resolves to nothing but localhost and
		// 127.0.0.1 (the rules apply to IP literals too, hence both).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		// Fonts and colours as on any other machine with the same packages.
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	stop = func() {
		cancelTab()
		cancelAlloc() // kills the browser and waits for it
		os.RemoveAll(dir)
	}
	// The first Do starts the browser; it is bound to parent, not to a
	// per-action timeout (see chromedp docs/API.md, example 21).
	if err := chromedp.Do(tabCtx); err != nil {
		stop()
		return nil, nil, fmt.Errorf("start %s: %w", path, err)
	}
	return tabCtx, stop, nil
}

// Version names the browser for provenance records: the executable's name
// and the product it reports, e.g. "chromium Chrome/156.0.8078.114".
func Version(ctx context.Context, path string) (string, error) {
	v, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return "", err
	}
	return filepath.Base(path) + " " + v.Product, nil
}
