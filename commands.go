package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"multistage/internal/sizes"
	"multistage/site"
)

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("build", stderr)
	src := fset.String("src", "", "render this `folder` instead of the embedded tutorial")
	out := fset.String("o", "public", "output `folder`")
	base := fset.String("base", "/", "absolute URL `path` the site is served under (for the 404 page and sitemap)")
	if err := parse(fset, args); err != nil {
		return err
	}
	start := time.Now()
	srcFS, err := sourceFS(*src)
	if err != nil {
		return err
	}
	s, err := site.Build(srcFS, site.Options{Base: *base})
	if err != nil {
		return err
	}
	n, bytes, err := s.Export(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %d pages, %d files, %d bytes into %s in %s\n", len(s.Pages), n, bytes, *out, time.Since(start).Round(time.Millisecond))
	return nil
}

func runSizes(ctx context.Context, args []string, stderr io.Writer) error {
	fset := newFlags("sizes", stderr)
	out := fset.String("o", "content/sizes.json", "write the report to this `file`")
	if err := parse(fset, args); err != nil {
		return err
	}
	return sizes.Run(ctx, sizes.Options{Dir: ".", Out: *out, Stderr: stderr})
}

func runHealthcheck(ctx context.Context, args []string, stderr io.Writer) error {
	fset := newFlags("healthcheck", stderr)
	addr := fset.String("addr", "", "the server's `address` (default 127.0.0.1:$PORT, or 127.0.0.1:5000)")
	if err := parse(fset, args); err != nil {
		return err
	}
	// HEALTHCHECK does not get the ENTRYPOINT's arguments, so the probe finds
	// the port the way the server does: from PORT.
	a := *addr
	if a == "" {
		a = defaultAddr("", false)
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return &usageError{fmt.Sprintf("healthcheck: bad -addr %q: %v", a, err)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s", url, resp.Status)
	}
	return nil
}

var _ = os.Getenv
