// Command devbench measures save-to-reload latency of a live-reload dev
// server: it appends a line to a source file, starts a clock, and stops it
// when the server's reload message arrives. It drives two servers:
//
//	ours: `multistage dev`, reload events read from its /_live event stream
//	hugo: `hugo server`, reload commands read from its /livereload websocket
//	      (its own "Total in N ms" rebuild times are read from its log too)
//
// Usage (bench/dev-latency.sh runs it):
//
//	devbench -kind ours -bin ./multistage -src DIR -file content/x.md -n 30
//	devbench -kind hugo -src HUGOSITE -file content/tut/page-00001.md -n 30
//
// It prints one line: kind, runs, median, p95, min, max in milliseconds, and
// for Hugo the median of its self-reported rebuild time. Everything it starts
// binds to 127.0.0.1 and is stopped before it exits. It restores the edited
// file at the end.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	kind := flag.String("kind", "ours", "ours or hugo")
	bin := flag.String("bin", "multistage", "our binary (kind ours)")
	hugo := flag.String("hugo", "hugo", "hugo binary (kind hugo)")
	src := flag.String("src", "", "source folder (ours) or Hugo site (hugo)")
	file := flag.String("file", "", "file to edit, relative to -src")
	n := flag.Int("n", 30, "measured saves")
	warm := flag.Int("warm", 3, "unmeasured saves first")
	gap := flag.Duration("gap", 250*time.Millisecond, "pause between saves")
	timeout := flag.Duration("timeout", 5*time.Second, "longest wait for one reload")
	flag.Parse()
	if *src == "" || *file == "" {
		fmt.Fprintln(os.Stderr, "devbench: -src and -file are required")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var r result
	var err error
	switch *kind {
	case "ours":
		r, err = runOurs(ctx, *bin, *src, *file, *warm, *n, *gap, *timeout)
	case "hugo":
		r, err = runHugo(ctx, *hugo, *src, *file, *warm, *n, *gap, *timeout)
	default:
		err = fmt.Errorf("unknown -kind %q", *kind)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "devbench:", err)
		os.Exit(1)
	}
	fmt.Println(r)
}

type result struct {
	kind    string
	lat     []float64 // ms
	rebuild []float64 // ms, as the server reports it
	missed  int
}

func (r result) String() string {
	med, p95, lo, hi := stats(r.lat)
	rb := "-"
	if len(r.rebuild) > 0 {
		m, _, _, _ := stats(r.rebuild)
		rb = fmt.Sprintf("%.1f", m)
	}
	return fmt.Sprintf("%s runs=%d missed=%d median=%.1f p95=%.1f min=%.1f max=%.1f rebuild_median=%s", r.kind, len(r.lat), r.missed, med, p95, lo, hi, rb)
}

func stats(xs []float64) (med, p95, lo, hi float64) {
	if len(xs) == 0 {
		return
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(p*float64(len(s)-1)+0.5)] }
	return q(0.5), q(0.95), s[0], s[len(s)-1]
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuf collects a child's output for error messages and log parsing.
type lockedBuf struct {
	mu    sync.Mutex
	b     strings.Builder
	lines chan string
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b.Write(p)
	l.mu.Unlock()
	if l.lines != nil {
		for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
			select {
			case l.lines <- line:
			default:
			}
		}
	}
	return len(p), nil
}

func (l *lockedBuf) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > 600 {
		s = s[len(s)-600:]
	}
	return s
}

func start(ctx context.Context, out *lockedBuf, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = os.TempDir()
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func waitUp(ctx context.Context, url string, d time.Duration) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s not up after %s", url, d)
}

// edit appends a unique line to the file, as an editor's save does.
func edit(path string, i int) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "\nbenchmark edit %d %d\n", i, time.Now().UnixNano())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// measure runs the saves; next waits for one reload message after the save.
func measure(kind, path string, warm, n int, gap, timeout time.Duration, msgs <-chan time.Time) (result, error) {
	orig, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	defer os.WriteFile(path, orig, 0o644)
	r := result{kind: kind}
	for i := 0; i < warm+n; i++ {
		drain(msgs)
		t0 := time.Now()
		if err := edit(path, i); err != nil {
			return r, err
		}
		select {
		case t := <-msgs:
			if i >= warm {
				r.lat = append(r.lat, float64(t.Sub(t0).Microseconds())/1000)
			}
		case <-time.After(timeout):
			if i >= warm {
				r.missed++
			}
		}
		time.Sleep(gap)
	}
	return r, nil
}

func drain(c <-chan time.Time) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func runOurs(ctx context.Context, bin, src, file string, warm, n int, gap, timeout time.Duration) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	out := &lockedBuf{}
	cmd, err := start(ctx, out, bin, "dev", "-src", src, "-addr", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitUp(ctx, base+"/healthz", 60*time.Second); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, out.tail())
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/_live", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	msgs := make(chan time.Time, 16)
	rebuild := make(chan float64, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = line[7:]
			case strings.HasPrefix(line, "data: ") && event == "reload":
				msgs <- time.Now()
				if m := msField.FindStringSubmatch(line); m != nil {
					f, _ := strconv.ParseFloat(m[1], 64)
					select {
					case rebuild <- f:
					default:
					}
				}
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	r, err := measure("ours", filepath.Join(src, file), warm, n, gap, timeout, msgs)
	for len(rebuild) > 0 {
		f := <-rebuild
		r.rebuild = append(r.rebuild, f)
	}
	return r, err
}

var msField = regexp.MustCompile(`"ms":([0-9.]+)`)

// hugoTotal is the line `hugo server` logs after each rebuild.
var hugoTotal = regexp.MustCompile(`Total in (\d+) ms`)

func runHugo(ctx context.Context, hugo, site, file string, warm, n int, gap, timeout time.Duration) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	out := &lockedBuf{lines: make(chan string, 256)}
	cmd, err := start(ctx, out, hugo, "server", "-s", site, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--baseURL", fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return result{}, err
	}
	defer stop(cmd)
	base := fmt.Sprintf("127.0.0.1:%d", port)
	if err := waitUp(ctx, "http://"+base+"/", 120*time.Second); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, out.tail())
	}
	ws, err := dialWS(base, "/livereload")
	if err != nil {
		return result{}, fmt.Errorf("livereload: %v", err)
	}
	defer ws.Close()
	_ = ws.writeText(`{"command":"hello","protocols":["http://livereload.com/protocols/official-7"]}`)
	msgs := make(chan time.Time, 16)
	go func() {
		for {
			msg, err := ws.readText()
			if err != nil {
				return
			}
			if strings.Contains(msg, `"reload"`) {
				msgs <- time.Now()
			}
		}
	}()
	// Hugo's self-reported rebuild times.
	var mu sync.Mutex
	var totals []float64
	go func() {
		for line := range out.lines {
			if m := hugoTotal.FindStringSubmatch(line); m != nil {
				f, _ := strconv.ParseFloat(m[1], 64)
				mu.Lock()
				totals = append(totals, f)
				mu.Unlock()
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	r, err := measure("hugo", filepath.Join(site, file), warm, n, gap, timeout, msgs)
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	// The first line is the initial build; then warm-ups.
	if len(totals) > 1+warm {
		r.rebuild = append(r.rebuild, totals[1+warm:]...)
	}
	mu.Unlock()
	return r, err
}

// wsConn is the least of a websocket client (RFC 6455) that Hugo's
// livereload endpoint needs: one handshake, text frames, no extensions.
type wsConn struct {
	net.Conn
	br *bufio.Reader
}

func dialWS(host, path string) (*wsConn, error) {
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n\r\n", path, host, key, host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("handshake: %s", resp.Status)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, errors.New("handshake: bad Sec-WebSocket-Accept")
	}
	return &wsConn{Conn: c, br: br}, nil
}

func (w *wsConn) writeText(s string) error {
	p := []byte(s)
	hdr := []byte{0x81}
	switch {
	case len(p) < 126:
		hdr = append(hdr, 0x80|byte(len(p)))
	case len(p) < 1<<16:
		hdr = append(hdr, 0x80|126, byte(len(p)>>8), byte(len(p)))
	default:
		return errors.New("frame too long")
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	for i := range p {
		p[i] ^= mask[i%4]
	}
	_, err := w.Write(append(hdr, p...))
	return err
}

func (w *wsConn) readText() (string, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return "", err
		}
		op := h[0] & 0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return "", err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return "", err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask [4]byte
		if h[1]&0x80 != 0 {
			if _, err := io.ReadFull(w.br, mask[:]); err != nil {
				return "", err
			}
		}
		if n > 1<<20 {
			return "", errors.New("frame too long")
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(w.br, p); err != nil {
			return "", err
		}
		if h[1]&0x80 != 0 {
			for i := range p {
				p[i] ^= mask[i%4]
			}
		}
		switch op {
		case 0x1:
			return string(p), nil
		case 0x8:
			return "", io.EOF
		case 0x9: // ping: answer pong (masked, as a client must)
			hdr := []byte{0x8a, 0x80 | byte(len(p))}
			var m [4]byte
			_, _ = rand.Read(m[:])
			for i := range p {
				p[i] ^= m[i%4]
			}
			_, _ = w.Write(append(append(hdr, m[:]...), p...))
		}
	}
}
