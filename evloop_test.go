//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoopsHoldConnections: on Linux, keep-alive connections of the fast
// path live in the event loops, not one goroutine each. (Were the loops to
// fall back to goroutines, every connection would add one.)
func TestLoopsHoldConnections(t *testing.T) {
	addr, stop := startFast(t, testHandler(t), nil)
	before := runtime.NumGoroutine()
	const n = 200
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	req := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
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
	if grew := runtime.NumGoroutine() - before; grew > n/4 {
		t.Errorf("%d keep-alive connections added %d goroutines: the event loops are not serving them", n, grew)
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// TestLoopWriteBlocked: a client that pipelines many requests for a large
// image and reads nothing for a while fills its socket; the loop then hands
// the connection, with the rest of the response and of the requests, to a
// goroutine. Every response must still arrive whole and in order.
func TestLoopWriteBlocked(t *testing.T) {
	h := testHandler(t)
	var png string
	for _, p := range h.site.Paths() {
		if strings.HasSuffix(p, ".png") && len(h.site.Entry(p).Body) > fastInline {
			png = p
			break
		}
	}
	if png == "" {
		t.Fatal("no image larger than fastInline in the tutorial")
	}
	want := h.site.Entry(png).Body
	addr, stop := startFast(t, h, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The receive buffer is left as it is: shrinking it on an open loopback
	// connection stalled the transfer in the kernel, loops or not.
	const n = 40 // several megabytes: far more than both socket buffers
	req := "GET " + png + " HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := c.Write([]byte(strings.Repeat(req, n))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the server's writes block meanwhile
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	readResponses(t, br, n, want)
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// TestLoopSilentConnection: a connection that sends nothing is closed after
// silentTimeout, as net/http closes one that sends no request header; one
// that has made a request keeps the longer keep-alive timeout.
func TestLoopSilentConnection(t *testing.T) {
	addr, stop := startFast(t, testHandler(t), nil)
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	kept, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	// A site file, which the loop itself answers (/healthz would go to
	// net/http, whose own timeouts then apply).
	get := func() error {
		_ = kept.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := kept.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(kept), nil)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = silent.SetReadDeadline(start.Add(10 * time.Second))
	n, err := silent.Read(make([]byte, 1))
	waited := time.Since(start)
	if n != 0 || err != io.EOF || waited < silentTimeout-time.Second || waited > silentTimeout+3*time.Second {
		t.Errorf("silent connection: read %d bytes, %v after %v; want EOF after about %v", n, err, waited, silentTimeout)
	}
	if err := get(); err != nil {
		t.Errorf("the connection that made a request was closed too: %v", err)
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// TestLongHeadBareLF: a request whose lines end in a bare LF (which
// net/http accepts, as RFC 9112 allows) and whose head is longer than the
// fast path's buffer is net/http's to answer, not a "414 URI too long": its
// request line is short, it merely has no CRLF. Both the loop and the
// goroutine path (a connection the loop handed over because its client
// did not read) once took the full buffer without a CRLF for an endless
// request line.
func TestLongHeadBareLF(t *testing.T) {
	h := testHandler(t)
	addr, stop := startFast(t, h, nil)
	req := "GET /usage/ HTTP/1.1\nHost: x\nCookie: " + strings.Repeat("a", fastBufSize) + "\n\n"
	if resp, body := exchange(t, addr, req, "GET"); resp.StatusCode != 200 || !strings.Contains(string(body), "<h1") {
		t.Errorf("from the loop: status %d, want 200 as net/http answers", resp.StatusCode)
	}

	// The goroutine path: big responses the client does not read first.
	png := "/screenshots/dockerfile-multistage.png"
	want := h.site.Entry(png).Body
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	const n = 40 // more than both socket buffers hold
	if _, err := c.Write([]byte(strings.Repeat("GET "+png+" HTTP/1.1\r\nHost: x\r\n\r\n", n))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the loop hands the connection over
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	readResponses(t, br, n, want)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("from the goroutine path: status %d, want 200 as net/http answers", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// TestLoopOutOfDescriptors: a connection leaves its loop with a copy of its
// descriptor, made before the loop's is closed. A process that has run out
// of descriptors once could not make that copy, and the loop dropped the
// connection: here a client that pipelines large images and reads late got
// a few megabytes of them and then EOF, where net/http would have sent them
// whole. The loop's spare descriptor now makes the copy possible.
func TestLoopOutOfDescriptors(t *testing.T) {
	h := testHandler(t)
	png := "/screenshots/dockerfile-multistage.png"
	want := h.site.Entry(png).Body
	addr, stop := startFast(t, h, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	req := "GET " + png + " HTTP/1.1\r\nHost: x\r\n\r\n"
	get := func(n int) {
		t.Helper()
		readResponses(t, br, n, want)
	}
	if _, err := c.Write([]byte(req)); err != nil { // the loop has it now
		t.Fatal(err)
	}
	get(1)

	// Use up every descriptor the process may open: a limit just above
	// the number open, and /dev/null opened until it is refused.
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	open, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	lim := old
	lim.Cur = uint64(len(open) + 16)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	var fill []int
	defer func() {
		for _, fd := range fill {
			syscall.Close(fd)
		}
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	}()
	for len(fill) < 64 {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fill = append(fill, fd)
	}
	if _, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0); err != syscall.EMFILE {
		t.Fatalf("descriptors not used up: %v", err)
	}

	// More than the socket buffers hold: the loop hands the rest over.
	const n = 40
	if _, err := c.Write([]byte(strings.Repeat(req, n))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	get(n)
	if err := stop(); err != nil {
		t.Errorf("serveFast = %v", err)
	}
}

// readResponses reads n responses from br, each a 200 whose body is want.
func readResponses(t *testing.T, br *bufio.Reader, n int, want []byte) {
	t.Helper()
	for i := range n {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, want) {
			t.Fatalf("response %d: status %d, %d bytes (want %d), %v", i, resp.StatusCode, len(body), len(want), err)
		}
	}
}
