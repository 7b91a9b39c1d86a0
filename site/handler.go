package site

import (
	"bytes"
	"net/http"
	"sort"
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
	// The same headers as the start of an HTTP/1.1 200 response (status
	// line, then one CRLF-terminated line per header, sorted as net/http
	// sorts them), for servers that write the response bytes themselves.
	// Date and the blank line that ends the head are the caller's.
	identityHead []byte
	gzipHead     []byte
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
		var buf [256]byte // the lookup of p+"/" need not allocate
		if !strings.HasSuffix(p, "/") && s.entries[string(append(append(buf[:0], p...), '/'))] != nil {
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
		h["Cache-Control"] = noStore
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
		e.prep.identityHead = head(e.prep.identity)
		if e.Gzip != nil {
			e.prep.gzip = mk(e.Gzip, e.GzipETag, true)
			e.prep.gzipHead = head(e.prep.gzip)
		}
	})
	if gz {
		return e.prep.gzip
	}
	return e.prep.identity
}

// head renders h as the head of a 200 response, the way net/http writes it:
// keys in sorted order, one line each.
func head(h http.Header) []byte {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := []byte("HTTP/1.1 200 OK\r\n")
	for _, k := range keys {
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// Lookup returns the entry served at the URL path p (a request's raw
// target, before any decoding), or nil. It does not allocate.
func (s *Site) Lookup(p []byte) *Entry { return s.entries[string(p)] }

// Response returns what a plain GET of e answers with status 200: the
// response head without Date and without the blank line that ends it (see
// prepared), and the body. gz selects the gzip representation; it is ignored
// when the entry has none. Both slices are shared: never modify them.
func (e *Entry) Response(gz bool) (head, body []byte) {
	gz = gz && e.Gzip != nil
	e.headers(gz)
	if gz {
		return e.prep.gzipHead, e.Gzip
	}
	return e.prep.identityHead, e.Body
}

var noStore = []string{"no-store"} // shared: net/http never modifies header values

// etagMatch implements If-None-Match's weak comparison against either
// representation of the entry.
func etagMatch(header string, e *Entry) bool {
	for header != "" {
		var t string
		t, header, _ = strings.Cut(header, ",")
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

// AcceptsGzip reports whether an Accept-Encoding value admits gzip. It
// parses enough to honour "gzip;q=0" and "*" (RFC 9110 section 12.5.3), and
// does not allocate: servers call it on every request.
func AcceptsGzip(ae string) bool { return acceptsGzip(ae) }

func acceptsGzip(ae string) bool {
	star := false
	for ae != "" {
		var part string
		part, ae, _ = strings.Cut(ae, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		q := true
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				q = qPositive(strings.TrimSpace(v))
			}
		}
		switch {
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			return q
		case name == "*":
			star = q
		}
	}
	return star
}

// qPositive reports whether a qvalue ("0", "0.000", "1", "0.5") is above
// zero. A malformed one counts as 1, as before.
func qPositive(v string) bool {
	if v == "" {
		return true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f > 0
	}
	return true
}
