package site

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// BenchmarkHandler measures Site.ServeHTTP, the net/http path, per kind of
// answer, with allocation counts. The writer is reused and its header map
// cleared, as net/http gives each request a fresh one.
func BenchmarkHandler(b *testing.B) {
	s, err := Build(os.DirFS(".."), Options{})
	if err != nil {
		b.Fatal(err)
	}
	png := ""
	for _, p := range s.Paths() {
		if s.Entry(p).Type == "image/png" {
			png = p
			break
		}
	}
	home := s.Entry("/")
	cases := []struct {
		name, path string
		hdr        map[string]string
	}{
		{"page-gzip", "/", map[string]string{"Accept-Encoding": "gzip, deflate, br, zstd"}},
		{"page", "/", nil},
		{"png", png, nil},
		{"304", "/", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": home.GzipETag}},
		{"404", "/no/such/page", nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", c.path, nil)
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				s.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkLookup measures what the fast path (package main) asks of the
// site per request: the entry for the raw path, and its precomputed
// response. It must not allocate.
func BenchmarkLookup(b *testing.B) {
	s, err := Build(os.DirFS(".."), Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := []byte("/")
	b.ReportAllocs()
	for b.Loop() {
		e := s.Lookup(p)
		head, body := e.Response(AcceptsGzip("gzip, deflate, br, zstd"))
		if len(head) == 0 || len(body) == 0 {
			b.Fatal("empty response")
		}
	}
}

func TestLookupAllocs(t *testing.T) {
	s := mustBuild(t)
	p := []byte("/usage/")
	if n := testing.AllocsPerRun(100, func() {
		e := s.Lookup(p)
		e.Response(AcceptsGzip("gzip;q=0.5, br"))
	}); n != 0 {
		t.Errorf("Lookup and Response: %v allocations, want 0", n)
	}
}
