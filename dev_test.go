package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDevServer runs `multistage dev` on a temporary source folder: the page
// carries the live script, the stream and its stylesheet answer, foreign
// Host headers are refused, an edit reaches an open stream, and the server
// stops promptly on cancel although a stream is open.
func TestDevServer(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(src, "content", "index.md")
	if err := os.WriteFile(page, []byte("---\ntitle: Home\n---\n\nHello from dev.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"dev", "-src", src, "-addr", "127.0.0.1:0"}, io.Discard, logs) }()
	urlRE := regexp.MustCompile(`url=(http://\S+/)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(logs.String()); m != nil {
			base = strings.TrimSuffix(m[1], "/")
		}
	}
	if base == "" {
		t.Fatalf("dev server did not start:\n%s", logs.String())
	}
	get := func(path, host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/", ""); code != 200 || !strings.Contains(body, "Hello from dev.") || !strings.Contains(body, `data-live="./_live"`) {
		t.Errorf("GET /: %d\n%s", code, body)
	}
	if code, body := get("/_live.css", ""); code != 200 || !strings.Contains(body, ".live-overlay") {
		t.Errorf("GET /_live.css: %d", code)
	}
	if code, _ := get("/", "evil.example"); code != 403 {
		t.Errorf("GET / with a foreign Host: %d, want 403", code)
	}
	if code, _ := get("/", "localhost"); code != 200 {
		t.Errorf("GET / with Host localhost: %d, want 200", code)
	}

	resp, err := http.Get(base + "/_live")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				events <- strings.TrimPrefix(sc.Text(), "event: ")
			}
		}
		close(events)
	}()
	if ev := <-events; ev != "hello" {
		t.Fatalf("first event %q, want hello", ev)
	}
	if err := os.WriteFile(page, []byte("---\ntitle: Home\n---\n\nEdited.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev != "reload" {
			t.Errorf("after an edit: %q, want reload", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reload after an edit")
	}
	if _, body := get("/", ""); !strings.Contains(body, "Edited.") {
		t.Error("edit not served")
	}

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("dev returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dev did not stop within 5 s with a stream open")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %s with a stream open", d)
	}
}

func TestDevFlags(t *testing.T) {
	for _, args := range [][]string{
		{"dev", "-poll", "-1s"},
		{"dev", "-nope"},
		{"dev", "extra"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		var ue *usageError
		if err == nil || !asUsage(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(context.Background(), []string{"dev", "-src", filepath.Join(t.TempDir(), "missing")}, io.Discard, io.Discard); err == nil {
		t.Error("dev with a missing -src succeeded")
	}
}

func asUsage(err error, ue **usageError) bool {
	u, ok := err.(*usageError)
	*ue = u
	return ok
}
