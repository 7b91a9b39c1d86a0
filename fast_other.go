//go:build !unix

package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
)

// serveFast is net/http alone where the fast path (fast.go) is not built.
func serveFast(ctx context.Context, ln net.Listener, h *handler, reqOut io.Writer, log *slog.Logger) error {
	var hh http.Handler = h
	if reqOut != nil {
		hh = logRequests(slog.New(slog.NewTextHandler(reqOut, nil)), h)
	}
	return serveUntilDone(ctx, ln, hh, log)
}

func raiseFileLimit(*slog.Logger) {}
