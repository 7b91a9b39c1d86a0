// Command shots makes the tutorial's screenshots from real browser captures.
//
//	go run ./tools/shots [-root DIR] [-check]
//
// It builds the site in-process from DIR (default ".", the repository root)
// with site.Build, serves it on a loopback port, opens it in headless
// Chromium and captures, each from the first page that shows it:
//
//	screenshots/dockerfile-normal.png      the code figure captioned "Dockerfile.normal"
//	screenshots/dockerfile-multistage.png  the code figure captioned "Dockerfile"
//	screenshots/size-difference.png        the element of the sizes directive (.sizes),
//	                                       skipped while content/sizes.json is missing
//
// Captures use a fixed 1000x800 viewport at device scale factor 2, the light
// colour scheme, reduced motion and no transitions, after fonts and images
// have loaded. Each PNG records the hash of the source file it depicts
// (package internal/shotmeta), so that `-check` and the test suite can tell
// a stale screenshot without a browser. `-check` exits 1 listing them.
//
// This is a developer tool: it lives under tools/ so that the multistage
// binary links no browser driver.
package main

import (
	"multistage/internal/atomicfile"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"multistage/internal/shotmeta"
	"multistage/tools/internal/headless"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, errStale):
		os.Exit(1) // the list is printed already
	default:
		fmt.Fprintln(os.Stderr, "shots:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// errStale is returned by -check; the list is already printed.
var errStale = errors.New("screenshots are stale")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("shots", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("root", ".", "source `dir`, laid out like the repository root")
	check := fl.Bool("check", false, "only report stale screenshots (no browser); exit 1 if any")
	timeout := fl.Duration("timeout", 2*time.Minute, "give up after this long")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: go run ./tools/shots [-root DIR] [-check]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return errUsage
	}
	src := os.DirFS(*root)
	if *check {
		probs, err := shotmeta.Check(src)
		if err != nil {
			return err
		}
		for _, p := range probs {
			fmt.Fprintln(stdout, filepath.Join(*root, p.Shot)+":", p.Reason)
		}
		if len(probs) > 0 {
			fmt.Fprintf(stdout, "refresh with: %s\n", shotmeta.RefreshCommand)
			return errStale
		}
		fmt.Fprintln(stdout, "screenshots are up to date")
		return nil
	}
	chrome, err := headless.Path()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return capture(ctx, capturer{
		src:    src,
		outDir: filepath.Join(*root, filepath.FromSlash(shotmeta.Dir)),
		chrome: chrome,
		log:    stdout,
	})
}

// writeFile replaces name atomically (see internal/atomicfile).
func writeFile(name string, data []byte) error {
	return atomicfile.Write(name, data, ".shot-*.png")
}

// themeHash identifies the embedded theme the captures were rendered with.
func themeHash(theme fs.FS) (string, error) {
	var files [][]byte
	err := fs.WalkDir(theme, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(theme, p)
		if err != nil {
			return err
		}
		files = append(files, []byte(p), b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return shotmeta.SourceHash(files...), nil
}
