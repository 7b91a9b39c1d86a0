package app

import (
	"encoding/json"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAboutSlowWalk: while a slow walk of the root file system runs, /app/
// answers at once, /app/about answers within its wait bound (saying the walk
// is pending), no request starts a second walk, and once the walk is done
// every report carries its figures.
func TestAboutSlowWalk(t *testing.T) {
	yes := true
	h := New(Config{Container: &yes, Root: t.TempDir(), Wait: 100 * time.Millisecond})
	<-h.done // the real walk of an empty folder; now swap in a slow one
	var walks atomic.Int32
	release := make(chan struct{})
	h.done = make(chan struct{})
	h.walk = sync.OnceValue(func() Walk {
		defer close(h.done)
		walks.Add(1)
		<-release
		return Walk{Files: 7, Bytes: 700, Elapsed: 3 * time.Second}
	})
	go h.walk()

	get := func(path string) (*httptest.ResponseRecorder, time.Duration) {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec, time.Since(start)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if rec, d := get("/app/"); rec.Code != 200 || d > 50*time.Millisecond {
				t.Errorf("/app/ during the walk: %d in %v", rec.Code, d)
			}
		}()
		go func() {
			defer wg.Done()
			rec, d := get("/app/about")
			var a About
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || rec.Code != 200 {
				t.Errorf("/app/about during the walk: %d %v", rec.Code, err)
			}
			if !a.RootFSPending || a.RootFSFiles != 0 {
				t.Errorf("/app/about during the walk: %+v", a)
			}
			if d > time.Second {
				t.Errorf("/app/about waited %v for the walk (bound 100 ms)", d)
			}
		}()
	}
	wg.Wait()
	close(release)
	<-h.done
	for range 5 {
		rec, _ := get("/app/about")
		var a About
		_ = json.Unmarshal(rec.Body.Bytes(), &a)
		if a.RootFSPending || a.RootFSFiles != 7 || a.RootFSBytes != 700 {
			t.Errorf("after the walk: %+v", a)
		}
	}
	if n := walks.Load(); n != 1 {
		t.Errorf("%d walks, want 1", n)
	}
}

// TestWalkTimeBound: the walk stops at its time limit and says so.
func TestWalkTimeBound(t *testing.T) {
	start := time.Now()
	w := WalkRoot("/", Limits{MaxTime: 50 * time.Millisecond})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("walk took %v with a 50 ms bound", d)
	}
	if w.Files > 1000 && !w.Truncated {
		t.Errorf("walked %d files in %v without hitting the 50 ms bound?", w.Files, w.Elapsed)
	}
}

func BenchmarkAbout(b *testing.B) {
	no := false
	h := New(Config{Container: &no})
	req := httptest.NewRequest("GET", "/app/about", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
