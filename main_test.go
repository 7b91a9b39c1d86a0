package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"multistage/app"
	"multistage/site"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `multistage serve` in-process on a free loopback port and
// returns its base URL and a function that stops it and returns run's error.
func startServe(t *testing.T, args ...string) (string, func() error, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), io.Discard, stderr)
	}()
	urlRe := regexp.MustCompile(`url=(http://\S+/)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := urlRe.FindStringSubmatch(stderr.String()); m != nil {
			var once sync.Once
			var stopErr error
			stop := func() error {
				once.Do(func() {
					cancel()
					select {
					case stopErr = <-done:
					case <-time.After(15 * time.Second):
						stopErr = errors.New("server did not stop")
					}
				})
				return stopErr
			}
			t.Cleanup(func() { _ = stop() })
			return strings.TrimSuffix(m[1], "/"), stop, stderr
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start:\n%s", stderr)
	return "", nil, nil
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestServeEmbedded(t *testing.T) {
	base, stop, logs := startServe(t)
	checks := []struct {
		path     string
		code     int
		ctype    string
		contains string
	}{
		{"/", 200, "text/html; charset=utf-8", "Multistage Docker Build with a Go Web Application"},
		{"/dockerfile-multistage/", 200, "text/html; charset=utf-8", "FROM</span>"},
		{"/app/", 200, "text/plain; charset=utf-8", "Hello, World!"},
		{"/app/about", 200, "application/json", `"variant": "local"`},
		{"/healthz", 200, "text/plain; charset=utf-8", "ok"},
		{"/screenshots/dockerfile-normal.png", 200, "image/png", "PNG"},
		{"/_live", 404, "text/html; charset=utf-8", "Page not found"},
		{"/nope", 404, "text/html; charset=utf-8", "Page not found"},
	}
	for _, c := range checks {
		resp, body := get(t, base+c.path)
		if resp.StatusCode != c.code || resp.Header.Get("Content-Type") != c.ctype || !strings.Contains(body, c.contains) {
			t.Errorf("GET %s: %d %q, want %d %q containing %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), c.code, c.ctype, c.contains)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
	// One log line per request, via slog.
	if n := strings.Count(logs.String(), "msg=request"); n != len(checks) {
		t.Errorf("%d request log lines for %d requests:\n%s", n, len(checks), logs)
	}
}

func TestServeSrc(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "content"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "content", "index.md"), []byte("---\ntitle: Other site\n---\n\nzq-other-content\n"), 0o644))
	base, stop, _ := startServe(t, "-src", dir)
	defer stop()
	if _, body := get(t, base+"/"); !strings.Contains(body, "zq-other-content") {
		t.Errorf("-src content not served: %s", body)
	}
}

func TestServeSrcBroken(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "content"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "content", "index.md"), []byte("---\ntitle: T\n---\n\n[x](gone.md)\n"), 0o644))
	err := run(context.Background(), []string{"serve", "-addr", "127.0.0.1:0", "-src", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "content/index.md:5: link \"gone.md\"") {
		t.Fatalf("err = %v", err)
	}
	var buf bytes.Buffer
	if code := exitCode(err, &buf); code != 1 || !strings.HasPrefix(buf.String(), "multistage: content/index.md:5:") {
		t.Errorf("exit %d, stderr %q", code, buf.String())
	}
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = run(context.Background(), []string{"serve", "-addr", ln.Addr().String()}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("err = %v", err)
	}
	var buf bytes.Buffer
	if code := exitCode(err, &buf); code != 1 || strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want 1 and one line", code, buf.String())
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve", "-nope"}, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"version", "x"}, 2, "version takes no arguments"},
		{[]string{"serve", "-src", "/no/such/dir"}, 1, "-src /no/such/dir"},
		{[]string{"healthcheck", "-addr", "nonsense"}, 2, "bad -addr"},
		{[]string{"serve", "-addr", "127.0.0.1:99999"}, 2, "port must be a number"},
		{[]string{"dev", "-addr", "nohost"}, 2, "is not host:port"},
		{[]string{"build", "-o", ""}, 2, "-o needs a folder"},
	}
	for _, tt := range tests {
		err := run(context.Background(), tt.args, io.Discard, io.Discard)
		var buf bytes.Buffer
		code := exitCode(err, &buf)
		if code != tt.code || !strings.Contains(buf.String(), tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, buf.String(), tt.code, tt.want)
		}
	}
}

// TestBadPORT: a PORT that is not a port is a usage error naming PORT.
func TestBadPORT(t *testing.T) {
	t.Setenv("PORT", "abc")
	err := run(context.Background(), []string{"serve"}, io.Discard, io.Discard)
	var buf bytes.Buffer
	if code := exitCode(err, &buf); code != 2 || !strings.Contains(buf.String(), `PORT ":abc"`) {
		t.Errorf("exit %d, stderr %q", code, buf.String())
	}
}

// TestFlagErrorOnce: a bad flag is reported once, not by the flag package
// and then again.
func TestFlagErrorOnce(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "-nope"}, io.Discard, &stderr)
	exitCode(err, &stderr)
	if n := strings.Count(stderr.String(), "-nope"); n != 1 {
		t.Errorf("the bad flag is named %d times:\n%s", n, stderr.String())
	}
}

// TestHelpOnce: -h prints each command's flags once, and exits 0.
func TestHelpOnce(t *testing.T) {
	for _, cmd := range []string{"serve", "dev", "build", "sizes", "healthcheck"} {
		var stderr bytes.Buffer
		err := run(context.Background(), []string{cmd, "-h"}, io.Discard, &stderr)
		if code := exitCode(err, io.Discard); code != 0 {
			t.Errorf("%s -h: exit %d", cmd, code)
		}
		if n := strings.Count(stderr.String(), "Usage of multistage "+cmd); n != 1 {
			t.Errorf("%s -h printed its usage %d times:\n%s", cmd, n, stderr.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^multistage \S+ \(revision \S+, go1\.\d+`).MatchString(out.String()) {
		t.Errorf("version output %q", out.String())
	}
}

func TestDefaultAddr(t *testing.T) {
	tests := []struct {
		flag    string
		flagSet bool
		port    string
		want    string
	}{
		{":5000", false, "", ":5000"},
		{":5000", false, "8080", ":8080"},
		{"127.0.0.1:9", true, "8080", "127.0.0.1:9"},
	}
	for _, tt := range tests {
		t.Setenv("PORT", tt.port)
		if got := defaultAddr(tt.flag, tt.flagSet); got != tt.want {
			t.Errorf("defaultAddr(%q, %v) with PORT=%q = %q, want %q", tt.flag, tt.flagSet, tt.port, got, tt.want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	base, stop, _ := startServe(t)
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	if err := run(context.Background(), []string{"healthcheck", "-addr", addr}, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck against a live server: %v", err)
	}
	// PORT is how the image's HEALTHCHECK finds the server.
	_, port, _ := net.SplitHostPort(addr)
	t.Setenv("PORT", port)
	if err := run(context.Background(), []string{"healthcheck"}, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck via PORT: %v", err)
	}
	stop()
	if err := run(context.Background(), []string{"healthcheck", "-addr", addr}, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck succeeded with the server stopped")
	}
}

// TestGracefulShutdown: a request in flight when the signal comes completes,
// and new connections are refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, ln, slow, discardLogger()) }()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel()
	if body := <-got; body != "finished" {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-done; err != nil {
		t.Errorf("serveUntilDone = %v", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("new connection accepted after shutdown")
	}
}

func TestBadPaths(t *testing.T) {
	s, err := site.Build(sources, site.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(s, app.New(app.Config{}), nil)
	tests := []struct {
		target string
		code   int
	}{
		{"/", 200},
		{"/../../../../etc/passwd", 400},
		{"/screenshots/..%2f..%2f..%2fetc%2fpasswd", 400},
		{"/%2e%2e/%2e%2e/etc/passwd", 400},
		{"/screenshots/%5c..%5cetc", 400},
		{"/a%00b", 400},
		{"/./usage/", 400},
		{"/usage", 301},
		{"/app", 301},
		{"/app/", 200},
		{"/app/nope", 404},
		{"/app/about/", 404},
		{"/healthz", 200},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "http://x"+tt.target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Errorf("GET %s = %d, want %d", tt.target, rec.Code, tt.code)
		}
		if strings.Contains(rec.Body.String(), "root:") {
			t.Errorf("GET %s leaked a system file", tt.target)
		}
	}
}

// TestSymlinkOutsideSrc: with -src, a link that leads out of the folder is
// refused, not followed.
func TestSymlinkOutsideSrc(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.png")
	must(t, os.WriteFile(outside, []byte("secret"), 0o644))
	must(t, os.MkdirAll(filepath.Join(dir, "content"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "screenshots"), 0o755))
	must(t, os.Symlink(outside, filepath.Join(dir, "screenshots", "leak.png")))
	must(t, os.WriteFile(filepath.Join(dir, "content", "index.md"), []byte("---\ntitle: T\n---\n"), 0o644))
	_, err := site.Build(newDirFS(dir), site.Options{})
	if err == nil || !strings.Contains(err.Error(), "outside the source folder") {
		t.Fatalf("err = %v, want a refusal", err)
	}
}

// TestProjectStructure keeps the tree shown in content/project-structure.md
// true: every path it lists exists in the repository.
func TestProjectStructure(t *testing.T) {
	b, err := os.ReadFile("content/project-structure.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "```text\n")
	end := strings.Index(text[start+8:], "```")
	tree := text[start+8 : start+8+end]
	var stack []string
	sc := bufio.NewScanner(strings.NewReader(tree))
	n := 0
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexAny(line, "├└")
		if i < 0 {
			continue
		}
		depth := len([]rune(line[:i])) / 4
		name := strings.Fields(strings.TrimLeft(line[i:], "├└─ "))[0]
		stack = append(stack[:depth], strings.TrimSuffix(name, "/"))
		names := []string{strings.Join(stack, "/")}
		if strings.HasSuffix(name, ",") { // "go.mod, go.sum"
			words := strings.Fields(strings.TrimLeft(line[i:], "├└─ "))
			names = []string{strings.TrimSuffix(words[0], ","), words[1]}
		}
		for _, p := range names {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("project-structure.md lists %s, which does not exist", p)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("found only %d paths in the tree", n)
	}
}

// TestDockerfileExplanations keeps the pages that explain the Dockerfiles
// true: every instruction their bullet points quote in code spans is in the
// file ("..." stands for an elided part).
func TestDockerfileExplanations(t *testing.T) {
	instr := regexp.MustCompile("`((?:FROM|RUN|COPY|USER|EXPOSE|ENV|ENTRYPOINT|CMD|WORKDIR|HEALTHCHECK|ARG|LABEL) [^`]*)`")
	for page, file := range map[string]string{"content/dockerfile-normal.md": "Dockerfile.normal", "content/dockerfile-multistage.md": "Dockerfile"} {
		md, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		df, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		flat := strings.Join(strings.Fields(strings.ReplaceAll(string(df), "\\\n", " ")), " ")
		var bullets strings.Builder
		for _, line := range strings.Split(string(md), "\n") {
			if t := strings.TrimSpace(line); strings.HasPrefix(t, "- ") {
				bullets.WriteString(t + "\n")
			}
		}
		for _, m := range instr.FindAllStringSubmatch(bullets.String(), -1) {
			q := m[1]
			for _, part := range strings.Split(q, "...") {
				part = strings.TrimSpace(part)
				if part != "" && !strings.Contains(flat, part) {
					t.Errorf("%s quotes `%s`, but %s has no %q", page, q, file, part)
				}
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
