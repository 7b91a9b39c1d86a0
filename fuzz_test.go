//go:build unix

package main

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"multistage/site"
)

// FuzzRequestPath: whatever the request target, the handler (badPath, the
// router, the site) never panics, answers 200 only for a path the site, the
// demo app or /healthz serves, and never answers with a file from outside
// the site.
func FuzzRequestPath(f *testing.F) {
	for _, s := range []string{
		"/", "/usage/", "/usage", "/usage/index.html", "/screenshots/dockerfile-normal.png", "/app/", "/app/about",
		"/healthz", "/_live", "/../etc/passwd", "/%2e%2e/etc/passwd", "/a%2fb", "/a%5cb", "/a%00", "/a\\b",
		"/%c0%ae%c0%ae/", "/./", "//", "/usage/?x=1", "*", "http://x/usage/", "/\xff", "/%ff", "/app/../etc",
	} {
		f.Add(s)
	}
	h := testHandler(f)
	s, _ := tutorial()
	f.Fuzz(func(t *testing.T, target string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // net/http answers 400 before any handler runs
		}
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		p := req.URL.Path
		if rec.Code == http.StatusOK {
			ok := s.Entry(p) != nil || p == "/healthz" || p == "/app/" || p == "/app/about"
			if !ok {
				t.Fatalf("GET %q: 200 for %q, which nothing serves", target, p)
			}
		}
		if bytes.Contains(rec.Body.Bytes(), []byte("root:x:")) {
			t.Fatalf("GET %q leaked a system file", target)
		}
		if badPath(req) == "" {
			for _, seg := range strings.Split(p, "/") {
				if seg == ".." {
					t.Fatalf("badPath let %q through", p)
				}
			}
		}
	})
}

// FuzzParseSimple: the fast path's parser never panics, and whenever it
// calls a request simple, net/http reads the same request the same way: a
// valid HTTP/1.1 GET or HEAD with one Host, of exactly that path, with no
// header that would change the answer, and the same gzip choice.
func FuzzParseSimple(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /usage/ HTTP/1.1\r\nHost: a:5000\r\nAccept-Encoding: gzip, br\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nUser-Agent: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
		"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := bytes.Index(b, crlfcrlf)
		if end < 0 {
			return
		}
		head := b[:end+4]
		r, ok := parseSimple(head)
		if !ok {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("simple, but net/http says %v: %q", err, head)
		}
		want := "GET"
		if r.head {
			want = "HEAD"
		}
		switch {
		case req.Method != want, req.URL.Path != string(r.path), req.URL.RawQuery != "", req.RequestURI != string(r.path):
			t.Fatalf("simple %s %q; net/http %s %q (%q): %q", want, r.path, req.Method, req.URL.Path, req.RequestURI, head)
		case req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.Close:
			t.Fatalf("simple, but net/http reads %s close=%v: %q", req.Proto, req.Close, head)
		case hostCount(head) != 1 || req.Host == "" || req.ContentLength != 0 || len(req.TransferEncoding) > 0:
			t.Fatalf("simple, but %d Host (%q), length %d, TE %q: %q", hostCount(head), req.Host, req.ContentLength, req.TransferEncoding, head)
		case req.Header.Get("Range") != "" || req.Header.Get("If-None-Match") != "" || req.Header.Get("Expect") != "":
			t.Fatalf("simple, but conditional or ranged: %q", head)
		case r.gzip != site.AcceptsGzip(req.Header.Get("Accept-Encoding")):
			t.Fatalf("gzip %v, net/http's header says %v: %q", r.gzip, !r.gzip, head)
		}
	})
}

// hostCount counts the Host fields, which net/http's server requires to be
// exactly one (http.ReadRequest moves it out of Header).
func hostCount(head []byte) int {
	_, rest, _ := bytes.Cut(head, []byte("\r\n"))
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(rest))).ReadMIMEHeader()
	if err != nil {
		return -1
	}
	return len(h["Host"])
}
