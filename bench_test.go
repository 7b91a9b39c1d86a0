//go:build unix

package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchWriter is a reusable http.ResponseWriter: header map cleared per
// request, as net/http gives each request a fresh one.
type benchWriter struct{ h http.Header }

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(int)             {}

// BenchmarkHandlerChain: the net/http path in full (badPath, the router,
// the site), quiet and with the request log (to io.Discard).
func BenchmarkHandlerChain(b *testing.B) {
	h := testHandler(b)
	logged := logRequests(slog.New(slog.NewTextHandler(io.Discard, nil)), h)
	for _, c := range []struct {
		name string
		h    http.Handler
		path string
	}{
		{"page-gzip", h, "/"},
		{"png", h, "/screenshots/dockerfile-multistage.png"},
		{"healthz", h, "/healthz"},
		{"404", h, "/no/such/page"},
		{"page-gzip-logged", logged, "/"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkParseSimple: the fast path's request parser on a browser's
// request. No allocations.
func BenchmarkParseSimple(b *testing.B) {
	req := []byte("GET /usage/ HTTP/1.1\r\nHost: localhost:5000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Accept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n\r\n")
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseSimple(req); !ok {
			b.Fatal("not simple")
		}
	}
}

// BenchmarkLogLine: the fast path's request log line.
func BenchmarkLogLine(b *testing.B) {
	var line []byte
	start := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		line = logLine(line[:0], "GET", "/usage/", 2486, start, "127.0.0.1:54321")
	}
}

// BenchmarkFastPath: whole requests over one loopback keep-alive
// connection through serveFast (client and server in this process), quiet
// and logged (to a logBuffer over io.Discard). allocs/op counts both sides.
func BenchmarkFastPath(b *testing.B) {
	for _, c := range []struct {
		name string
		out  io.Writer
	}{{"quiet", nil}, {"logged", newLogBuffer(io.Discard, 100*time.Millisecond)}} {
		b.Run(c.name, func(b *testing.B) {
			addr, stop := startFast(b, testHandler(b), c.out)
			defer stop()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			req := []byte("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
			br := bufio.NewReaderSize(conn, 64<<10)
			buf := make([]byte, 64<<10)
			// The response size, from one request read the slow way.
			_, _ = conn.Write(req)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			var head int
			{
				_, _ = conn.Write(req)
				n := 0
				for {
					m, err := br.Read(buf[n:])
					if err != nil {
						b.Fatal(err)
					}
					n += m
					if n >= len(body) && br.Buffered() == 0 {
						head = n - len(body)
						break
					}
				}
			}
			size := head + len(body)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := conn.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(br, buf[:size]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
