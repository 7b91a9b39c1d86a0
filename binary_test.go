//go:build unix

package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary as a subprocess: signals, exit statuses
// and resource limits belong to a process, not to a function.

// buildBinary builds the command into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "multistage")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	addr   string
	done   chan error // receives Wait's error once
	exited chan struct{}
}

// startBinary runs name with args (the binary, or a shell that execs it)
// and waits for the server's url line.
func startBinary(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...), stderr: &syncBuffer{}, done: make(chan error, 1), exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	re := regexp.MustCompile(`url=http://(\S+)/`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr = m[1]
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server did not start:\n%s", p.stderr)
	return nil
}

// slowReader connects with a small receive buffer and asks for the largest
// file many times, pipelined: the server is then writing to it for as long
// as it does not read.
func slowReader(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	// 300 pipelined requests for a ~190 kB PNG: ~57 MB, more than any
	// socket buffers on the way can hold, so a response stays in flight
	// however the kernel sizes them (30 was not always enough).
	req := strings.Repeat("GET /screenshots/dockerfile-multistage.png HTTP/1.1\r\nHost: x\r\n\r\n", 300)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 1024)
	if _, err := br.Peek(512); err != nil { // the first response has begun
		t.Fatal(err)
	}
	return c, br
}

// TestSIGTERM: with a response in flight, SIGTERM makes the server refuse
// new connections at once, finish the response, and exit 0 soon after.
func TestSIGTERM(t *testing.T) {
	p := startBinary(t, buildBinary(t), "serve", "-addr", "127.0.0.1:0")
	_, br := slowReader(t, p.addr)
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused (the listener is closed) while the
	// response is still being written.
	refused := false
	for time.Since(start) < 2*time.Second {
		c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
	if !refused {
		t.Error("new connections still accepted 2 s after SIGTERM")
	}
	// Now read: every response that was begun arrives whole.
	complete := 0
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil || int64(len(body)) != resp.ContentLength {
			t.Fatalf("response %d cut short: %d of %d bytes (%v)", complete+1, len(body), resp.ContentLength, err)
		}
		complete++
	}
	if complete == 0 {
		t.Error("the response in flight was not finished")
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, p.stderr)
		}
		t.Logf("%d responses finished; exit 0 %v after SIGTERM", complete, time.Since(start).Round(time.Millisecond))
	case <-time.After(12 * time.Second):
		t.Fatal("no exit 12 s after SIGTERM")
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("stderr:\n%s", p.stderr)
	}
}

// TestSecondSignal: while shutdown waits for a client that does not read, a
// second signal ends the process at once.
func TestSecondSignal(t *testing.T) {
	p := startBinary(t, buildBinary(t), "serve", "-quiet", "-addr", "127.0.0.1:0")
	slowReader(t, p.addr) // and never read on
	// Let the server fill the socket buffers first. Signalled while they
	// still had room, it could finish the response it was writing at once,
	// drop the pipelined rest, as it should, and exit 0 by itself some
	// 500 ms later (lingerClose), just as the second signal came.
	time.Sleep(300 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		t.Fatalf("exited (%v) with a response in flight", err)
	case <-time.After(500 * time.Millisecond):
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("exit after the second signal: %v", err)
		}
		t.Logf("second SIGTERM: gone in %v (%v)", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(2 * time.Second):
		t.Fatal("still running 2 s after the second signal")
	}
}

// TestLowFileLimit: when the hard limit on open files is low, the server
// says so at start, and still serves.
func TestLowFileLimit(t *testing.T) {
	bin := buildBinary(t)
	p := startBinary(t, "/bin/sh", "-c", `ulimit -n 256 && exec "$0" serve -quiet -addr 127.0.0.1:0`, bin)
	if !strings.Contains(p.stderr.String(), "open files limit is low") || !strings.Contains(p.stderr.String(), "limit=256") {
		t.Errorf("no warning about the limit:\n%s", p.stderr)
	}
	resp, err := http.Get("http://" + p.addr + "/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /: %v", err)
	}
	resp.Body.Close()
	_ = p.cmd.Process.Signal(os.Interrupt)
	if err := <-p.done; err != nil {
		t.Errorf("exit: %v", err)
	}
}
