package live

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Guard protects a dev server from other web sites the author visits.
//
// DNS rebinding: a page on evil.example can make its own name resolve to
// 127.0.0.1 and then read the dev server as same-origin. Its requests still
// carry Host: evil.example, so only host names the author meant are served:
// IP literals (a rebinding attack needs a name), localhost and *.localhost,
// the host of the bound address, and Allow. The port is not compared, so the
// site works behind `docker run -p 8080:5000` and port forwarding.
//
// The event stream also refuses cross-origin requests (an Origin header for
// another host, or Sec-Fetch-Site: cross-site).
type Guard struct {
	Allow []string // extra host names (a reverse proxy's public name)
	Next  http.Handler
	// Stream is the path of the event stream, e.g. "/_live".
	Stream string
}

// NewGuard allows the host of the bound address addr besides the defaults.
func NewGuard(addr string, allow []string, next http.Handler) *Guard {
	g := &Guard{Next: next, Stream: "/_live"}
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" {
		g.Allow = append(g.Allow, h)
	}
	for _, a := range allow {
		if a = strings.TrimSpace(a); a != "" {
			g.Allow = append(g.Allow, a)
		}
	}
	return g
}

// Allowed reports whether a Host header names this server.
func (g *Guard) Allowed(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil || h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	for _, a := range g.Allow {
		if strings.EqualFold(strings.Trim(a, "[]"), h) {
			return true
		}
	}
	return false
}

func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.Allowed(r.Host) {
		http.Error(w, "403 forbidden: host "+r.Host+" is not this dev server's (DNS rebinding protection); pass -allow-host NAME to allow it", http.StatusForbidden)
		return
	}
	if r.URL.Path == g.Stream {
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || !strings.EqualFold(u.Host, r.Host) || !g.Allowed(u.Host) {
				http.Error(w, "403 forbidden: cross-origin event stream", http.StatusForbidden)
				return
			}
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			http.Error(w, "403 forbidden: cross-site event stream", http.StatusForbidden)
			return
		}
	}
	g.Next.ServeHTTP(w, r)
}
