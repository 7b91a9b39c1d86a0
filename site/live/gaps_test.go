package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"multistage/site"
)

// TestMeasureGaps measures what the debounce window must cover: the longest
// pause between two relevant file events (names that are not temporaries,
// not attribute changes: what the batcher sees) of one save, for each
// editor's sequence, or of one burst (50 files written by a program, a git
// checkout of 50 files). Editors fsync their temporaries, but those events
// are filtered by name; what remains of a save arrives within microseconds.
// It prints a table and checks DefaultQuiet against it; run it with -v to
// see the figures.
//
// It is a measurement, not a test of behaviour: its figures depend on how
// busy the machine is (CI builds Docker images beside the tests on two
// cores, where gaps of tens of milliseconds are normal and cost only an
// extra rebuild, never a wrong site). So it runs only when asked for, on a
// machine quiet enough for the figures to mean something:
//
//	MULTISTAGE_MEASURE=1 go test -run MeasureGaps -v ./site/live
func TestMeasureGaps(t *testing.T) {
	if testing.Short() || os.Getenv("MULTISTAGE_MEASURE") == "" {
		t.Skip("measurement: set MULTISTAGE_MEASURE=1 to run it")
	}
	dir := t.TempDir()
	content := filepath.Join(dir, "content")
	if err := os.MkdirAll(content, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(content, "page.md")
	write(t, target, page("Page", 1, "text"))
	fsw, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		t.Fatal(err)
	}
	defer fsw.Close()
	if err := fsw.Add(content); err != nil {
		t.Fatal(err)
	}
	// Events are timed as they arrive, by a reader running while op runs
	// (as the watcher's does), not after it.
	arrivals := make(chan time.Time, 4096)
	go func() {
		for ev := range fsw.Events {
			// What the batcher sees: no ignored names, no attribute changes.
			if ev.Op != fsnotify.Chmod && !site.IsIgnored(filepath.Base(ev.Name)) {
				arrivals <- time.Now()
			}
		}
	}()
	// collect returns the count of events op causes and the longest gap.
	collect := func(op func() error) (n int, maxGap time.Duration) {
		if err := op(); err != nil {
			t.Fatal(err)
		}
		var last time.Time
		for {
			select {
			case now := <-arrivals:
				if !last.IsZero() && now.Sub(last) > maxGap {
					maxGap = now.Sub(last)
				}
				last = now
				n++
			case <-time.After(100 * time.Millisecond):
				return n, maxGap
			}
		}
	}
	type row struct {
		name   string
		events int
		p50    time.Duration
		max    time.Duration
	}
	var rows []row
	measure := func(name string, op func(i int) error) {
		var gaps []time.Duration
		events := 0
		for i := range 10 {
			n, g := collect(func() error { return op(i) })
			events = n
			gaps = append(gaps, g)
		}
		sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
		rows = append(rows, row{name, events, gaps[len(gaps)/2], gaps[len(gaps)-1]})
	}
	for _, ed := range editors {
		measure(ed.name, func(i int) error {
			return ed.save(target, []byte(page("Page", 1, fmt.Sprintf("edit %d", i))))
		})
	}
	measure("50 files", func(i int) error {
		for k := range 50 {
			if err := os.WriteFile(filepath.Join(content, fmt.Sprintf("gen%02d.md", k)), []byte(page("G", k, fmt.Sprint(i))), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if git, err := exec.LookPath("git"); err == nil {
		run := func(args ...string) error {
			cmd := exec.Command(git, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("git %v: %v: %s", args, err, out)
			}
			return nil
		}
		setup := func() error {
			for _, a := range [][]string{{"init", "-q", "-b", "a"}, {"add", "-A"}, {"commit", "-qm", "a"}} {
				if err := run(a...); err != nil {
					return err
				}
			}
			for k := range 50 {
				if err := os.WriteFile(filepath.Join(content, fmt.Sprintf("gen%02d.md", k)), []byte(page("G", k, "branch b")), 0o644); err != nil {
					return err
				}
			}
			for _, a := range [][]string{{"checkout", "-qb", "b"}, {"commit", "-qam", "b"}} {
				if err := run(a...); err != nil {
					return err
				}
			}
			return nil
		}
		collect(setup)
		measure("git checkout, 50 files", func(i int) error {
			return run("checkout", "-q", []string{"a", "b"}[i%2])
		})
	}
	t.Logf("%-24s %7s %10s %10s", "sequence", "events", "gap p50", "gap max")
	for _, r := range rows {
		t.Logf("%-24s %7d %10s %10s", r.name, r.events, r.p50.Round(time.Microsecond), r.max.Round(time.Microsecond))
		// The typical longest gap must fit the window with room; a rare
		// outlier on a loaded machine costs one extra rebuild, never a
		// wrong site (each batch is checked against the disk).
		window := DefaultQuiet
		if r.events >= burstEvents {
			window = BurstQuiet
		}
		if r.p50*2 > window {
			t.Errorf("%s: a median gap of %s leaves no margin under the %s window", r.name, r.p50, window)
		}
	}
}
