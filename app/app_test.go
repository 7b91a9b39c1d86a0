package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	no := false
	h := New(Config{Container: &no, Revision: "abc123"})
	tests := []struct {
		method, path string
		code         int
		ctype        string
		prefix       string
	}{
		{"GET", "/app/", 200, "text/plain; charset=utf-8", "Hello, World!"},
		{"HEAD", "/app/", 200, "text/plain; charset=utf-8", ""},
		{"GET", "/app/about", 200, "application/json", "{"},
		{"POST", "/app/", 405, "", ""},
		{"PUT", "/app/about", 405, "", ""},
		{"GET", "/app/nope", 404, "", ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.code {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.code)
		}
		if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.path, rec.Header().Get("Content-Type"))
		}
		if !strings.HasPrefix(rec.Body.String(), tt.prefix) {
			t.Errorf("%s %s: body %q", tt.method, tt.path, rec.Body.String())
		}
		if tt.code == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("405 without Allow")
		}
	}
}

func TestAboutOutsideContainer(t *testing.T) {
	no := false
	h := New(Config{Container: &no, Revision: "abc123"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app/about", nil))
	var raw map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["variant"] != Variant || raw["go"] != runtime.Version() || raw["revision"] != "abc123" || raw["container"] != false {
		t.Errorf("about = %v", raw)
	}
	if b, _ := raw["binary_bytes"].(float64); b <= 0 {
		t.Errorf("binary_bytes = %v", raw["binary_bytes"])
	}
	if _, ok := raw["rootfs_files"]; ok {
		t.Error("rootfs figures outside a container")
	}
}

func TestAboutInContainer(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "multistage"), make([]byte, 1000), 0o755))
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc", "hostname"), []byte("abc\n"), 0o644))
	must(os.Link(filepath.Join(root, "multistage"), filepath.Join(root, "hardlink"))) // counted once
	must(os.Symlink("multistage", filepath.Join(root, "link")))                       // 10 bytes
	must(os.MkdirAll(filepath.Join(root, "proc", "1"), 0o755))                        // skipped
	must(os.WriteFile(filepath.Join(root, "proc", "1", "status"), make([]byte, 500), 0o644))
	yes := true
	h := New(Config{Container: &yes, Root: root})
	a := h.Report()
	if !a.Container || a.RootFSFiles != 3 || a.RootFSBytes != 1000+4+10 {
		t.Errorf("report = %+v, want 3 files and 1014 bytes", a)
	}
	if b := h.Report(); b.RootFSMillis != a.RootFSMillis {
		t.Error("the file system was walked twice")
	}
}

func TestWalkLimits(t *testing.T) {
	root := t.TempDir()
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(root, "f"+string(rune('a'+i%26))+string(rune('a'+i/26))), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := WalkRoot(root, Limits{MaxFiles: 10, MaxTime: time.Minute})
	if !w.Truncated || w.Files != 10 {
		t.Errorf("walk = %+v, want truncated at 10 files", w)
	}
}

func TestWalkUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every folder: run as a normal user to test unreadable folders")
	}
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	if err := os.MkdirAll(locked, 0o700); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(locked, "x"), []byte("x"), 0o644)
	_ = os.Chmod(locked, 0)
	defer os.Chmod(locked, 0o700)
	w := WalkRoot(root, Limits{})
	if len(w.Unreadable) != 1 || !strings.HasSuffix(w.Unreadable[0], "/locked") {
		t.Errorf("unreadable = %q", w.Unreadable)
	}
}

func BenchmarkHello(b *testing.B) {
	no := false
	h := New(Config{Container: &no})
	req := httptest.NewRequest("GET", "/app/", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

var _ http.Handler = (*Handler)(nil)
