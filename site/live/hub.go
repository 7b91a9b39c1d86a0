package live

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Hub broadcasts events to every open page over Server-Sent Events. It is a
// value, not a global: tests make as many as they like.
//
// A broadcast never waits for a client: each client has a small buffered
// channel, and a client whose buffer is full (it stopped reading) is dropped;
// its page reconnects by itself if it is still alive. Each stream's writes
// have a deadline, so a client that never reads cannot hold a goroutine.
type Hub struct {
	// Heartbeat is the interval of comment lines that keep proxies from
	// closing an idle stream (DefaultHeartbeat when 0).
	Heartbeat time.Duration
	// WriteTimeout bounds each write to a client (DefaultWriteTimeout when 0).
	WriteTimeout time.Duration
	// Retry is the reconnection delay the browser is told to use.
	Retry time.Duration

	boot string // changes with every process: a page that sees it change reloads

	mu      sync.Mutex
	clients map[*client]struct{}
	gen     uint64 // rebuilds so far
	lastErr []byte // the error event while the site is broken, for new clients
	closed  bool
	once    sync.Once
}

// Defaults for Hub.
const (
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 5 * time.Second
	DefaultRetry        = 500 * time.Millisecond
	clientBuffer        = 16
)

type client struct {
	ch   chan []byte
	once sync.Once
}

func (c *client) close() { c.once.Do(func() { close(c.ch) }) }

// NewHub returns an empty hub.
func NewHub() *Hub {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Hub{boot: hex.EncodeToString(b[:]), clients: map[*client]struct{}{}}
}

// Clients reports how many streams are open.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// frame formats one SSE event. data is JSON: one line, no newline inside.
func frame(event string, data []byte) []byte {
	return []byte(fmt.Sprintf("event: %s\ndata: %s\n\n", event, data))
}

// Reload broadcasts a reload event and forgets any standing error.
func (h *Hub) Reload(ev *ReloadEvent) {
	h.mu.Lock()
	h.gen++
	ev.Gen = h.gen
	h.lastErr = nil
	h.mu.Unlock()
	data, _ := json.Marshal(ev)
	h.broadcast(frame("reload", data))
}

// Error broadcasts an error event; it is also sent to every page that
// connects until the next Reload.
func (h *Hub) Error(ev *ErrorEvent) {
	data, _ := json.Marshal(ev)
	f := frame("error", data)
	h.mu.Lock()
	h.lastErr = f
	h.mu.Unlock()
	h.broadcast(f)
}

func (h *Hub) broadcast(f []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- f:
		default:
			// Full: this client stopped reading. Drop it rather than wait.
			delete(h.clients, c)
			c.close()
		}
	}
}

func (h *Hub) subscribe() (*client, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	c := &client{ch: make(chan []byte, clientBuffer)}
	h.clients[c] = struct{}{}
	hello, _ := json.Marshal(struct {
		Boot string `json:"boot"`
		Gen  uint64 `json:"gen"`
	}{h.boot, h.gen})
	first := frame("hello", hello)
	if h.lastErr != nil {
		first = append(first, h.lastErr...)
	}
	return c, first, true
}

func (h *Hub) unsubscribe(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
	c.close()
}

// Close ends every stream; later requests get 503. Call it before the HTTP
// server's Shutdown, which otherwise waits for streams that never end.
func (h *Hub) Close() {
	h.once.Do(func() {
		h.mu.Lock()
		h.closed = true
		for c := range h.clients {
			delete(h.clients, c)
			c.close()
		}
		h.mu.Unlock()
	})
}

// ServeHTTP serves the event stream. The first event, "hello", carries the
// server's boot id and rebuild count, so a page that reconnects can tell a
// restarted server or a missed rebuild and reload.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rc := http.NewResponseController(w)
	c, first, ok := h.subscribe()
	if !ok {
		http.Error(w, "503 shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(c)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Tell nginx and friends not to buffer the stream.
	hd.Set("X-Accel-Buffering", "no")
	if r.Method == http.MethodHead {
		return
	}
	timeout := h.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	retry := h.Retry
	if retry <= 0 {
		retry = DefaultRetry
	}
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(append([]byte(fmt.Sprintf("retry: %d\n\n", retry.Milliseconds())), first...)) {
		return
	}
	beat := h.Heartbeat
	if beat <= 0 {
		beat = DefaultHeartbeat
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case f, ok := <-c.ch:
			if !ok {
				return // dropped, or the hub closed
			}
			if !write(f) {
				return
			}
		case <-t.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		}
	}
}
