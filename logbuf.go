package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"
)

// logBuffer batches request log lines into a few writes a second. A
// stalled stderr (a full pipe nobody reads) must not stall serving: past
// logBufferMax, lines are dropped and the number dropped is logged when
// writing works again.
type logBuffer struct {
	w     io.Writer
	every time.Duration

	mu      sync.Mutex
	buf     []byte
	dropped int

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const (
	logFlushAt   = 32 << 10
	logBufferMax = 1 << 20
)

func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	b := &logBuffer{w: w, every: every, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// Write queues p, one log line (slog handlers write a whole record at once).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if len(b.buf)+len(p) > logBufferMax {
		b.dropped++
		b.mu.Unlock()
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= logFlushAt
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (b *logBuffer) run() {
	defer close(b.done)
	t := time.NewTicker(b.every)
	defer t.Stop()
	var spare []byte
	for {
		select {
		case <-t.C:
		case <-b.kick:
		case <-b.stop:
			b.flush(spare)
			return
		}
		spare = b.flush(spare)
	}
}

// flush writes what is queued, outside the lock, and returns the emptied
// buffer for reuse.
func (b *logBuffer) flush(spare []byte) []byte {
	b.mu.Lock()
	out, dropped := b.buf, b.dropped
	b.buf, b.dropped = spare[:0], 0
	b.mu.Unlock()
	if len(out) > 0 {
		_, _ = b.w.Write(out)
	}
	if dropped > 0 {
		fmt.Fprintf(b.w, "time=%s level=WARN msg=\"request log lines dropped: the log output did not keep up\" dropped=%d\n",
			time.Now().Format(time.RFC3339Nano), dropped)
	}
	if cap(out) > 4*logFlushAt {
		return nil // a burst made it big: let it go
	}
	return out
}

// Close writes what is queued and stops the flusher.
func (b *logBuffer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	return nil
}

// tuneMemory returns the garbage the build left to the operating system,
// and the binary's pages that only the build ran. Serving allocates almost
// nothing after that (the fast path, fast.go), so the process stays small.
func tuneMemory() {
	debug.FreeOSMemory()
	releaseBuildPages()
}
