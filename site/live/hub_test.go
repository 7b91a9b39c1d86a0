package live

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestHubLeak opens hundreds of streams, a third of which never read a byte,
// broadcasts until the silent ones are dropped, and checks that broadcasts
// never block, the readers get every event, and once all clients are gone
// the goroutine count is back where it started.
func TestHubLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	hub := NewHub()
	hub.WriteTimeout = 300 * time.Millisecond
	hub.Heartbeat = 50 * time.Millisecond
	srv := httptest.NewUnstartedServer(hub)
	// Small kernel send buffers, so that a client that never reads blocks
	// the server's writes after a few events instead of a few megabytes.
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && st == http.StateNew {
			_ = tc.SetWriteBuffer(8 << 10)
		}
	}
	srv.Start()
	addr := srv.Listener.Addr().String()

	const readers, silent, events = 200, 100, 40
	var wg sync.WaitGroup
	got := make([]atomic.Int64, readers)
	ctx, cancel := context.WithCancel(context.Background())
	for i := range readers {
		wg.Add(1)
		ready := make(chan struct{})
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				close(ready)
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			once := sync.Once{}
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "event: hello") {
					once.Do(func() { close(ready) })
				}
				if strings.HasPrefix(line, "event: reload") {
					got[i].Add(1)
				}
			}
		}()
		<-ready
	}
	// Silent clients: a raw connection that sends a request and never reads,
	// with the smallest receive buffer, so the server's writes soon block.
	var conns []net.Conn
	for range silent {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).SetReadBuffer(1024)
		fmt.Fprintf(c, "GET /_live HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		conns = append(conns, c)
	}
	deadline := time.Now().Add(5 * time.Second)
	for hub.Clients() < readers+silent && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := hub.Clients(); n != readers+silent {
		t.Fatalf("%d clients connected, want %d", n, readers+silent)
	}
	// Broadcast big events: the silent clients' buffers fill and they are
	// dropped; no broadcast may wait for them.
	pad := strings.Repeat("x", 32<<10)
	var slowest time.Duration
	for range events {
		start := time.Now()
		hub.Reload(&ReloadEvent{Path: "/p/", Pages: []string{"/p/"}, Files: []string{pad}})
		slowest = max(slowest, time.Since(start))
		time.Sleep(10 * time.Millisecond) // rebuilds come far apart; readers keep up
	}
	if slowest > time.Second { // a blocked send would wait for ever
		t.Errorf("a broadcast took %s: it waited for a client", slowest)
	}
	deadline = time.Now().Add(5 * time.Second)
	for hub.Clients() > readers && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := hub.Clients(); n > readers {
		t.Errorf("%d clients after broadcasting, want the %d readers (silent ones dropped)", n, readers)
	}
	// Readers that kept up got events (a reader that fell 16 behind is
	// dropped too, which is right; most must have stayed).
	time.Sleep(200 * time.Millisecond)
	full := 0
	for i := range got {
		if got[i].Load() == events {
			full++
		}
	}
	t.Logf("%d of %d readers got all %d events (a reader that falls %d behind is dropped and reconnects)", full, readers, events, clientBuffer)
	if full == 0 {
		t.Errorf("no reader got all %d events", events)
	}
	// Everyone leaves: silent clients close, readers cancel, the hub closes.
	for _, c := range conns {
		c.Close()
	}
	cancel()
	wg.Wait()
	hub.Close()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline = time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines, %d before: leaked\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

func TestHubClosedAndMethods(t *testing.T) {
	hub := NewHub()
	srv := httptest.NewServer(hub)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d, want 405", resp.StatusCode)
	}
	// A stream open when the hub closes ends.
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				close(done)
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	hub.Close()
	hub.Close() // twice is fine
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("stream still open after Close")
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("after Close: %d, want 503", resp.StatusCode)
	}
}

func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	g := NewGuard("127.0.0.1:5000", []string{"docs.example.test"}, ok)
	cases := []struct {
		host, path, origin, site string
		want                     int
	}{
		{"127.0.0.1:5000", "/", "", "", 200},
		{"localhost:8080", "/", "", "", 200}, // docker run -p 8080:5000
		{"[::1]:5000", "/", "", "", 200},
		{"192.168.1.20:5000", "/", "", "", 200}, // an IP: no rebinding possible
		{"app.localhost:5000", "/", "", "", 200},
		{"docs.example.test", "/", "", "", 200}, // -allow-host
		{"evil.example:5000", "/", "", "", 403}, // DNS rebinding
		{"evil.example", "/_live", "", "", 403},
		{"127.0.0.1:5000", "/_live", "", "same-origin", 200},
		{"127.0.0.1:5000", "/_live", "http://127.0.0.1:5000", "", 200},
		{"127.0.0.1:5000", "/_live", "http://evil.example", "cross-site", 403},
		{"127.0.0.1:5000", "/_live", "null", "", 403},
		{"127.0.0.1:5000", "/_live", "", "cross-site", 403},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "http://"+c.host+c.path, nil)
		r.Host = c.host
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("Host %s %s Origin %q: %d, want %d", c.host, c.path, c.origin, w.Code, c.want)
		}
	}
}

// TestPolling covers -poll (no fsnotify at all) and the automatic switch to
// polling when events stop arriving for part of the tree.
func TestPolling(t *testing.T) {
	t.Run("forced", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "content", "a.md"), "a")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w, err := Watch(ctx, WatchConfig{Root: dir, Poll: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if !w.Polling() || w.fsw != nil {
			t.Fatal("-poll: not polling, or fsnotify in use")
		}
		write(t, filepath.Join(dir, "content", "new", "b.md"), "b")
		expectBatch(t, w, "content/new/b.md")
		if err := os.Remove(filepath.Join(dir, "content", "a.md")); err != nil {
			t.Fatal(err)
		}
		expectBatch(t, w, "content/a.md")
	})
	t.Run("detected", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "content", "a.md"), "a")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w, err := Watch(ctx, WatchConfig{Root: dir, Scan: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if w.Polling() {
			t.Skip("the temporary folder is on a file system polled from the start")
		}
		// Make the kernel stop reporting content/, as a bind mount from
		// another OS does: the scan must notice and deliver anyway.
		if err := w.fsw.Remove(filepath.Join(w.root, "content")); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "content", "a.md"), "changed")
		expectBatch(t, w, "content/a.md")
		deadline := time.Now().Add(3 * time.Second)
		for !w.Polling() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !w.Polling() {
			t.Error("missing events not detected")
		}
	})
}

func expectBatch(t *testing.T, w *Watcher, want string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case b := <-w.Batches():
			for _, p := range b {
				if p == want {
					return
				}
			}
		case <-timeout:
			t.Fatalf("no batch with %s", want)
		}
	}
}

func TestWatchLimitMessage(t *testing.T) {
	err := watchError("/src/content", &os.SyscallError{Syscall: "inotify_add_watch", Err: syscall.ENOSPC})
	msg := err.Error()
	if !strings.Contains(msg, "fs.inotify.max_user_watches") || !strings.Contains(msg, "sysctl") || strings.Contains(msg, "\n") {
		t.Errorf("watch limit error is not one line with the fix: %q", msg)
	}
}
