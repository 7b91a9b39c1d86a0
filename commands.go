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
)

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
