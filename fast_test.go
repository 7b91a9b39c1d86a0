//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"multistage/app"
	"multistage/site"
)

// tutorial is the embedded site, built once for all tests here.
var tutorial = sync.OnceValues(func() (*site.Site, error) { return site.Build(sources, site.Options{}) })

func testHandler(t testing.TB) *handler {
	t.Helper()
	s, err := tutorial()
	if err != nil {
		t.Fatal(err)
	}
	no := false
	return &handler{site: s, app: app.New(app.Config{Container: &no}), current: func() *site.Site { return s }}
}

// startFast serves h through serveFast on a loopback port; the returned
// stop shuts it down and returns serveFast's error.
func startFast(t testing.TB, h *handler, reqOut io.Writer) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveFast(ctx, ln, h, reqOut, discardLogger()) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(15 * time.Second):
				serr = fmt.Errorf("serveFast did not return")
			}
		})
		return serr
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

// exchange writes raw request bytes on a new connection and reads one
// response to method (bounded in time).
func exchange(t testing.TB, addr, raw, method string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", trim(raw), err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", trim(raw), err)
	}
	return resp, body
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// TestFastSameAsHTTP: for every file of the site, the fast path answers
// what the net/http handler answers: status, headers (but Date), body, with
// and without gzip, for GET and HEAD.
func TestFastSameAsHTTP(t *testing.T) {
	h := testHandler(t)
	addr, _ := startFast(t, h, nil)
	s, _ := tutorial()
	for _, p := range s.Paths() {
		for _, method := range []string{"GET", "HEAD"} {
			for _, ae := range []string{"", "Accept-Encoding: gzip, deflate, br, zstd\r\n"} {
				resp, body := exchange(t, addr, method+" "+p+" HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n"+ae+"\r\n", method)
				req := httptest.NewRequest(method, p, nil)
				if ae != "" {
					req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				want := rec.Result()
				if resp.StatusCode != want.StatusCode || !bytes.Equal(body, rec.Body.Bytes()) {
					t.Errorf("%s %s %q: %d, %d bytes; net/http: %d, %d bytes", method, p, ae, resp.StatusCode, len(body), want.StatusCode, rec.Body.Len())
				}
				resp.Header.Del("Date")
				want.Header.Del("Date")
				if len(resp.Header) != len(want.Header) {
					t.Errorf("%s %s: headers %v, net/http %v", method, p, resp.Header, want.Header)
				}
				for k, v := range want.Header {
					if got := resp.Header.Values(k); strings.Join(got, ",") != strings.Join(v, ",") {
						t.Errorf("%s %s: %s = %q, net/http %q", method, p, k, got, v)
					}
				}
			}
		}
	}
}

func TestParseSimple(t *testing.T) {
	tests := []struct {
		req    string
		simple bool
		path   string
		gzip   bool
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, "/", false},
		{"HEAD /usage/ HTTP/1.1\r\nhost: a:5000\r\nAccept-Encoding: gzip\r\n\r\n", true, "/usage/", true},
		{"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\n\r\n", true, "/", false},
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true, "/", false},
		{"GET / HTTP/1.1\r\n\r\n", false, "", false},                                    // no Host: net/http says 400
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false, "", false},              // two Hosts
		{"GET / HTTP/1.0\r\nHost: a\r\n\r\n", false, "", false},                         // HTTP/1.0
		{"POST / HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                        // not GET/HEAD
		{"get / HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                         // methods are case-sensitive
		{"GET /?x HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                       // query
		{"GET /a%2f HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                     // escape
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                 // absolute form
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},                        // two spaces
		{"GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n", false, "", false},     // range
		{"GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n\r\n", false, "", false}, // conditional
		{"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, "", false},
		{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", false, "", false},
		{"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", false, "", false},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", false, "", false}, // folded
		{"GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n", false, "", false},      // space before colon
		{"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", false, "", false},  // NUL in a value
		{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", false, "", false},
		{"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},
		{"GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n", false, "", false},
		{"GET / HTTP/1.1\nHost: a\r\n\r\n", false, "", false}, // bare LF
	}
	for _, tt := range tests {
		r, ok := parseSimple([]byte(tt.req))
		if ok != tt.simple || ok && (string(r.path) != tt.path || r.gzip != tt.gzip) {
			t.Errorf("parseSimple(%q) = %q gzip %v, %v; want %q gzip %v, %v", tt.req, r.path, r.gzip, ok, tt.path, tt.gzip, tt.simple)
		}
	}
}

// TestHostileRequests: each bad or unusual request gets the right status
// from the real server (fast path and net/http behind it), no panic, no
// file from outside the site.
func TestHostileRequests(t *testing.T) {
	logs := &syncBuffer{}
	addr, stop := startFast(t, testHandler(t), logs)
	png := "/screenshots/dockerfile-normal.png"
	tests := []struct {
		name, raw, method string
		code              int
		contains          string
	}{
		{"plain", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 200, "<h1"},
		{"oversized headers", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 40<<10) + "\r\n\r\n", "GET", 431, ""},
		{"many headers", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 6000) + "\r\n", "GET", 431, ""},
		{"very long URL", "GET /" + strings.Repeat("a", 10<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 414, ""},
		{"long URL below the limit", "GET /" + strings.Repeat("a", 3<<10) + " HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 404, "Page not found"},
		{"URL over the target limit", "GET /" + strings.Repeat("a", 4100) + " HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 414, ""},
		{"POST", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST", 405, ""},
		{"DELETE", "DELETE /usage/ HTTP/1.1\r\nHost: x\r\n\r\n", "DELETE", 405, ""},
		{"invalid method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", "GET", 400, ""},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET", 400, ""},
		{"bad header name", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", "GET", 400, ""},
		{"absolute form", "GET http://127.0.0.1/usage/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "GET", 200, "<h1"},
		{"absolute form, other host", "GET http://example.com/etc/passwd HTTP/1.1\r\nHost: example.com\r\n\r\n", "GET", 404, ""},
		{"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "CONNECT", 400, ""},
		{"OPTIONS *: net/http answers it", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS", 200, ""},
		{"NUL escaped", "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"NUL raw", "GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"dot dot", "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"dot dot escaped", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"encoded slash", "GET /screenshots/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"encoded backslash", "GET /screenshots/%5c..%5cetc HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"backslash", "GET /screenshots\\..\\etc HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"overlong UTF-8 dots", "GET /%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"overlong UTF-8 slash", "GET /..%c0%af..%c0%afetc HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 400, ""},
		{"HTTP/1.0", "GET /usage/ HTTP/1.0\r\n\r\n", "GET", 200, "<h1"},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET", 400, ""},
		{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: x\r\n\r\n", "GET", 505, ""},
		{"query", "GET /usage/?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 200, "<h1"},
		{"range", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-7\r\n\r\n", "GET", 206, "\x89PNG\r\n\x1a\n"},
		{"range suffix", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=-4\r\n\r\n", "GET", 206, ""},
		{"ranges overlapping", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-10,5-20\r\n\r\n", "GET", 206, "multipart/byteranges"},
		{"ranges many", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=" + strings.TrimSuffix(strings.Repeat("0-,", 200), ",") + "\r\n\r\n", "GET", 200, "\x89PNG"},
		{"range unsatisfiable", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=99999999-\r\n\r\n", "GET", 416, ""},
		{"range malformed", "GET " + png + " HTTP/1.1\r\nHost: x\r\nRange: bytes=z-y\r\n\r\n", "GET", 416, ""},
		{"range on a page is ignored", "GET /usage/ HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n", "GET", 200, "<h1"},
		{"not a source file", "GET /Dockerfile HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 404, ""},
		{"not the embedded app source", "GET /app/app.go HTTP/1.1\r\nHost: x\r\n\r\n", "GET", 404, ""},
		{"chunked GET", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET", 200, "<h1"},
		// RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length.
		{"both lengths", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET", 200, ""},
		{"two lengths", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", "GET", 400, ""},
		{"bad chunked", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "GET", 501, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := exchange(t, addr, tt.raw, tt.method)
			if resp.StatusCode != tt.code {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tt.code, trim(string(body)))
			}
			whole := resp.Header.Get("Content-Type") + string(body)
			if tt.contains != "" && !strings.Contains(whole, tt.contains) {
				t.Errorf("response lacks %q", tt.contains)
			}
			if strings.Contains(string(body), "root:") {
				t.Error("a system file leaked")
			}
		})
	}
	// The server is still up and well.
	if resp, _ := exchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "GET"); resp.StatusCode != 200 {
		t.Errorf("healthz after the hostile requests: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("a handler panicked:\n%s", logs)
	}
}

// TestPipelined: requests sent together are answered in order, the fast
// path's and net/http's alike, including a hand-over in the middle.
func TestPipelined(t *testing.T) {
	addr, _ := startFast(t, testHandler(t), nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	paths := []string{"/", "/usage/", "/", "/nope", "/", "/app/"}
	var b strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", p)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i, p := range paths {
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			t.Fatalf("response %d (%s): %v", i, p, err)
		}
		body, _ := io.ReadAll(resp.Body)
		want := 200
		if p == "/nope" {
			want = 404
		}
		if resp.StatusCode != want || len(body) == 0 {
			t.Errorf("response %d (%s): %d, %d bytes", i, p, resp.StatusCode, len(body))
		}
	}
}

// TestRequestLog: both paths write the same line format, one per request,
// and all of it is out once the server has stopped.
func TestRequestLog(t *testing.T) {
	logs := &syncBuffer{}
	lb := newLogBuffer(logs, time.Hour) // only Close flushes
	addr, stop := startFast(t, testHandler(t), lb)
	for _, p := range []string{"/", "/nope", "/app/", "/usage/"} {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_ = lb.Close()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), logs)
	}
	for i, l := range lines {
		f := strings.Fields(l)
		keys := []string{}
		for _, kv := range f {
			k, _, _ := strings.Cut(kv, "=")
			keys = append(keys, k)
		}
		if strings.Join(keys, " ") != "time level msg method path status bytes dur remote" {
			t.Errorf("line %d: %s", i, l)
		}
	}
	if !strings.Contains(lines[0], "msg=request method=GET path=/ status=200") || !strings.Contains(lines[1], "path=/nope status=404") {
		t.Errorf("log:\n%s", logs)
	}
}

// measure makes n requests for path over conns keep-alive connections and
// returns the rate.
func measure(t *testing.T, addr, path string, conns, n int) float64 {
	t.Helper()
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				failed.Add(1)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for range n / conns {
				if _, err := c.Write(req); err != nil {
					failed.Add(1)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					failed.Add(1)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		t.Fatalf("%d clients failed", f)
	}
	return float64(n) / time.Since(start).Seconds()
}

// TestSlowClients: hundreds of connections that send their headers a byte
// at a time, and clients that never read what they asked for, do not slow
// the answers to everyone else by more than 20%.
// TestSlowClients: hundreds of connections that send their headers a byte
// at a time, and clients that never read what they asked for, do not slow
// the answers to everyone else by more than 20%. Throughput on a shared
// machine is noisy: each figure is the best of several runs, and the whole
// comparison is tried up to three times.
func TestSlowClients(t *testing.T) {
	addr, stop := startFast(t, testHandler(t), nil)
	const conns, n = 8, 8000
	best := func() float64 {
		b := 0.0
		for range 5 {
			b = max(b, measure(t, addr, "/", conns, n))
		}
		return b
	}
	measure(t, addr, "/", conns, n/4) // warm up
	ratio := 0.0
	for attempt := 1; attempt <= 3 && ratio < 0.8; attempt++ {
		idle := best()
		attacked, slow, noRead := underAttack(t, addr, best)
		t.Logf("attempt %d: normal clients get %.0f req/s idle, %.0f req/s beside %d slow-header and %d non-reading clients (%.0f%%)",
			attempt, idle, attacked, slow, noRead, 100*attacked/idle)
		ratio = max(ratio, attacked/idle)
	}
	if ratio < 0.8 {
		t.Errorf("throughput beside slow clients is %.0f%% of idle, want at least 80%%", 100*ratio)
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// underAttack runs f while 300 connections send a request a byte every 100
// ms and 50 ask for the largest file 200 times, pipelined, without reading.
func underAttack(t *testing.T, addr string, f func() float64) (r float64, slow, noRead int64) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var slowConns, noReadConns atomic.Int64
	for range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			slowConns.Add(1)
			req := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 1000) + "\r\n\r\n"
			for i := 0; i < len(req); i++ {
				if _, err := c.Write([]byte{req[i]}); err != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
	}
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			noReadConns.Add(1)
			req := []byte("GET /screenshots/dockerfile-multistage.png HTTP/1.1\r\nHost: x\r\n\r\n")
			_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			for range 200 {
				if _, err := c.Write(req); err != nil {
					break
				}
			}
			<-ctx.Done()
		}()
	}
	time.Sleep(500 * time.Millisecond)
	r = f()
	cancel()
	wg.Wait()
	return r, slowConns.Load(), noReadConns.Load()
}

// liveBytes is the live heap after a full collection (exact, unlike
// HeapInuse, which counts whole spans and moves with fragmentation) plus
// the goroutine stacks in use.
func liveBytes() int64 {
	runtime.GC()
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(m[0].Value.Uint64()) + int64(ms.StackInuse)
}

// TestManyIdleConnections: a few thousand idle keep-alive connections cost
// little memory each and leave the server answering.
func TestManyIdleConnections(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	n := 3000
	if lim.Cur < uint64(2*n+200) { // both ends live in this process
		n = int(lim.Cur-200) / 2
		t.Logf("open files limit %d: testing %d connections", lim.Cur, n)
	}
	addr, stop := startFast(t, testHandler(t), nil)
	conns := make([]net.Conn, 0, n)
	// Warm up first, and collect twice (sync.Pool keeps its victims one
	// collection more), so that only the connections differ.
	measure(t, addr, "/", 4, 400)
	liveBytes()
	before := liveBytes()
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	// Both ends are in this process: the client side's share (its
	// net.Conn) is counted too, so this bounds the server's.
	liveBytes()
	per := (liveBytes() - before) / int64(n)
	t.Logf("%d idle keep-alive connections: %d bytes of live heap and stack each (client and server sides)", n, per)
	if per > 24<<10 {
		t.Errorf("%d bytes per idle connection", per)
	}
	if r := measure(t, addr, "/", 4, 400); r <= 0 {
		t.Error("no answers beside the idle connections")
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// TestFastShutdown: a response being written when shutdown starts is
// finished, idle connections are closed, and no new connection is accepted.
func TestFastShutdown(t *testing.T) {
	addr, stop := startFast(t, testHandler(t), nil)
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	// A client that reads slowly keeps one large response in flight.
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_ = busy.(*net.TCPConn).SetReadBuffer(4 << 10)
	_ = busy.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(busy, "GET /screenshots/dockerfile-multistage.png HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(busy, 1024)
	if _, err := br.Peek(100); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted during shutdown")
	}
	_ = idle.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: read %d, %v; want EOF", n, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || int64(len(body)) != resp.ContentLength {
		t.Errorf("in-flight response: %d of %d bytes, %v", len(body), resp.ContentLength, err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

func TestAppendLogTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 12, 3, 17, 25, 18, 556_999_999, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.FixedZone("X", 5*3600+1800)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("Y", -3600)),
		time.Now(),
	} {
		logTime.Store(nil)
		want := tm.AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		if got := appendLogTime(nil, tm); string(got) != string(want) {
			t.Errorf("appendLogTime(%v) = %s, want %s", tm, got, want)
		}
		if got := appendLogTime(nil, tm); string(got) != string(want) { // cached
			t.Errorf("cached: %s, want %s", got, want)
		}
	}
}
