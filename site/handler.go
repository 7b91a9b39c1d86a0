package site

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Security headers sent with every site response. The policy allows only the
// site's own scripts, styles and images: no inline script or style anywhere.
var securityHeaders = map[string]string{
	"Content-Security-Policy":      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":       "nosniff",
	"Referrer-Policy":              "no-referrer",
	"X-Frame-Options":              "DENY",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

// SecurityHeaders sets the site's security headers on h (for handlers that
// share the origin, such as the demo app).
func SecurityHeaders(h http.Header) {
	for k, v := range securityHeaders {
		h[k] = []string{v}
	}
}

// prepared headers: each entry's header values are computed once, so that
// serving is a map lookup and a write (header slices are never mutated by
// net/http, so sharing them between requests is safe).
type prepared struct {
	identity http.Header
	gzip     http.Header
}

// ServeHTTP serves the site: GET and HEAD only, ETag revalidation, gzip when
// the client accepts it, Range for images, a styled 404.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h := w.Header()
		h.Set("Allow", "GET, HEAD")
		SecurityHeaders(h)
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	e := s.entries[p]
	if e == nil {
		s.serveMissing(w, r, p)
		return
	}
	s.serveEntry(w, r, e, http.StatusOK)
}

func (s *Site) serveMissing(w http.ResponseWriter, r *http.Request, p string) {
	// "/usage" and "/usage/index.html" name the page "/usage/": redirect, so
	// relative links on it resolve.
	if !strings.ContainsAny(p, "\\\x00") {
		target := ""
		if !strings.HasSuffix(p, "/") && s.entries[p+"/"] != nil {
			target = p + "/"
		} else if strings.HasSuffix(p, "/index.html") && s.entries[strings.TrimSuffix(p, "index.html")] != nil {
			target = strings.TrimSuffix(p, "index.html")
		}
		if target != "" {
			if q := r.URL.RawQuery; q != "" {
				target += "?" + q
			}
			SecurityHeaders(w.Header())
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
	}
	s.serveEntry(w, r, s.notFound, http.StatusNotFound)
}

func (s *Site) serveEntry(w http.ResponseWriter, r *http.Request, e *Entry, status int) {
	h := w.Header()
	gz := e.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding"))
	pre := e.headers(gz)
	for k, v := range pre {
		h[k] = v
	}
	if status == http.StatusOK {
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, e) {
			// Content-Length and Content-Type do not go with a 304.
			delete(h, "Content-Length")
			delete(h, "Content-Type")
			delete(h, "Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if !gz && r.Header.Get("Range") != "" && strings.HasPrefix(e.Type, "image/") {
			delete(h, "Content-Length")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(e.Body))
			return
		}
	} else {
		// An error page is not the resource; never let it be cached as one.
		delete(h, "ETag")
		h["Cache-Control"] = []string{"no-store"}
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if gz {
		_, _ = w.Write(e.Gzip)
	} else {
		_, _ = w.Write(e.Body)
	}
}

// headers returns the entry's precomputed response headers.
func (e *Entry) headers(gz bool) http.Header {
	e.once.Do(func() {
		mk := func(body []byte, etag string, enc bool) http.Header {
			h := http.Header{}
			for k, v := range securityHeaders {
				h[k] = []string{v}
			}
			h["Content-Type"] = []string{e.Type}
			h["Content-Length"] = []string{strconv.Itoa(len(body))}
			h["Etag"] = []string{etag}
			h["Cache-Control"] = []string{e.CacheControl}
			if e.Gzip != nil {
				h["Vary"] = []string{"Accept-Encoding"}
			}
			if enc {
				h["Content-Encoding"] = []string{"gzip"}
			}
			if strings.HasPrefix(e.Type, "image/") {
				h["Accept-Ranges"] = []string{"bytes"}
			}
			return h
		}
		e.prep.identity = mk(e.Body, e.ETag, false)
		if e.Gzip != nil {
			e.prep.gzip = mk(e.Gzip, e.GzipETag, true)
		}
	})
	if gz {
		return e.prep.gzip
	}
	return e.prep.identity
}

// etagMatch implements If-None-Match's weak comparison against either
// representation of the entry.
func etagMatch(header string, e *Entry) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == e.ETag || (e.GzipETag != "" && t == e.GzipETag) {
			return true
		}
	}
	return false
}

// acceptsGzip parses Accept-Encoding enough to honour "gzip;q=0" and
// "*" (RFC 9110 section 12.5.3).
func acceptsGzip(ae string) bool {
	if ae == "" {
		return false
	}
	star := false
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(strings.ToLower(k)) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		switch name {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
