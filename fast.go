//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"multistage/site"
)

// The fast path. Almost every request a public tutorial gets is a plain
// keep-alive GET of one of the site's files, and for those net/http's
// general machinery (a Request, a header map, a bufio pair and a response
// writer per request) costs more CPU than the answer itself: it made the
// server half as fast as nginx on the same bytes. fastServer owns the
// listener, reads each request into a pooled buffer, and when the request is
// the simple case it writes the entry's precomputed response (see
// site.Entry.Response) in one system call. Anything else, at the first byte
// that is not the simple case, goes to net/http together with the bytes
// already read, and net/http keeps that connection for good: malformed,
// oversized, slow, conditional, ranged, bodied, HTTP/1.0 or unknown-path
// requests, and every endpoint that is not a site file, get exactly the
// behaviour and limits of the ordinary server.
//
// Idle connections hold no buffer: the read happens inside a
// syscall.RawConn callback, so a buffer is taken from the pool only once the
// socket is readable, and given back when the request has been answered.

// fastServer serves a listener's connections; see above.
type fastServer struct {
	h      *handler
	reqOut io.Writer // one line per request (see logLine); nil when quiet
	log    *slog.Logger
	// idle bounds the wait for a keep-alive connection's next request, and
	// the writing of a response to a client that does not read.
	idle time.Duration

	handoff *handoffListener
	loops   *loopSet // Linux's event loops; nil elsewhere

	mu      sync.Mutex
	conns   map[*fastConn]struct{}
	closing atomic.Bool
	active  sync.WaitGroup // connections not yet closed or handed off
}

// fastConn is one connection in the fast path.
type fastConn struct {
	s      *fastServer
	c      *net.TCPConn
	raw    syscall.RawConn
	remote string

	buf  *[]byte // pending request bytes; nil while idle
	n    int     // bytes of buf holding data
	rerr error   // from the last read callback
	read func(fd uintptr) bool

	out      []byte      // response head (and small bodies), reused
	line     []byte      // the request log line, reused
	iov      net.Buffers // head and large body, for one writev
	iovs     [2][]byte
	deadline time.Time // when the deadline last set runs out
}

const (
	fastBufSize = maxTarget + 64 // a browser's request fits; larger ones go to net/http
	// Inline bodies up to this size are copied behind the head so the
	// response leaves in one write(2); larger ones go by writev(2).
	fastInline = 16 << 10
	// Deadlines are pushed forward at most once per this period, not per
	// request: setting one costs as much as answering.
	deadlineSlack = time.Second
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, fastBufSize); return &b }}

func newFastServer(h *handler, reqOut io.Writer, log *slog.Logger, addr net.Addr) *fastServer {
	s := &fastServer{
		h: h, reqOut: reqOut, log: log,
		idle:    90 * time.Second,
		handoff: newHandoffListener(addr),
		conns:   make(map[*fastConn]struct{}),
	}
	s.loops = newLoops(s)
	return s
}

// serve accepts connections on ln until it is closed. Running out of file
// descriptors (or memory for sockets) is survived: the loop backs off and
// says so, once a second at most, as net/http does.
func (s *fastServer) serve(ln net.Listener) error {
	var backoff time.Duration
	var lastWarn time.Time
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if !temporaryAccept(err) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if time.Since(lastWarn) > time.Second {
				lastWarn = time.Now()
				s.log.Warn("accept failed; retrying", "err", err, "retry", backoff)
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		tc, ok := c.(*net.TCPConn)
		if !ok {
			s.active.Add(1)
			s.toHTTP(c, nil)
			continue
		}
		if s.loops != nil {
			// Under s.mu, so that shutdown, which sets closing under it,
			// finds every adopted connection in a loop.
			s.mu.Lock()
			if s.closing.Load() {
				s.mu.Unlock()
				_ = c.Close()
				return nil
			}
			s.active.Add(1)
			adopted := s.loops.adopt(tc)
			if !adopted {
				s.active.Done() // the goroutine path counts it again
			}
			s.mu.Unlock()
			if adopted {
				continue
			}
		}
		fc := &fastConn{s: s, c: tc}
		if fc.raw, err = tc.SyscallConn(); err != nil {
			s.active.Add(1)
			s.toHTTP(c, nil)
			continue
		}
		fc.read = fc.readCallback
		s.mu.Lock()
		if s.closing.Load() {
			s.mu.Unlock()
			_ = c.Close()
			return nil
		}
		s.conns[fc] = struct{}{}
		s.active.Add(1)
		s.mu.Unlock()
		go fc.serve()
	}
}

// temporaryAccept: errors after which accepting again can succeed.
func temporaryAccept(err error) bool {
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EAGAIN} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// shutdown stops the fast path: idle connections close now, busy ones
// after their response. It returns when all are closed or ctx ends, and
// then closes what is left.
func (s *fastServer) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for fc := range s.conns {
		// A read in progress returns at once; a busy connection checks
		// closing before it reads again.
		_ = fc.c.SetReadDeadline(aLongTimeAgo)
	}
	s.mu.Unlock()
	if s.loops != nil {
		// The loops hand every connection to a goroutine, which closes it
		// (lingerClose) or finishes its response first.
		s.loops.stop()
	}
	done := make(chan struct{})
	go func() { s.active.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for fc := range s.conns {
			_ = fc.c.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

var aLongTimeAgo = time.Unix(1, 0)

func (s *fastServer) forget(fc *fastConn) {
	s.mu.Lock()
	delete(s.conns, fc)
	s.mu.Unlock()
}

// toHTTP gives c to net/http, with the bytes already read from it. The
// caller has counted c in s.active.
func (s *fastServer) toHTTP(c net.Conn, pending []byte) {
	defer s.active.Done()
	// net/http sets its own deadlines per request but not all of them:
	// leave none of ours behind.
	_ = c.SetDeadline(time.Time{})
	var pc net.Conn = c
	if len(pending) > 0 {
		pc = &prefixConn{Conn: c, pre: bytes.Clone(pending)}
	}
	if !s.handoff.give(pc) {
		_ = c.Close()
	}
}

func (fc *fastConn) serve() {
	fc.remote = fc.c.RemoteAddr().String()
	fc.resume(nil)
}

// resume serves the connection from where an event loop left it: first the
// response bytes it could not write, then the requests already read, then
// whatever comes. A connection registered in s.conns.
func (fc *fastConn) resume(unwritten [][]byte) {
	s := fc.s
	ok := true
	if len(unwritten) > 0 {
		if fc.extend(time.Now(), false) != nil {
			ok = false
		} else {
			bufs := net.Buffers(unwritten)
			_, err := bufs.WriteTo(fc.c)
			ok = err == nil
		}
	}
	if ok && fc.n > 0 {
		simple, err := fc.answer()
		if err != nil {
			ok = false
		} else if !simple {
			s.forget(fc)
			s.toHTTP(fc.c, (*fc.buf)[:fc.n])
			fc.release()
			return
		}
	}
	for ok && !s.closing.Load() {
		if err := fc.fill(); err != nil {
			break
		}
		simple, err := fc.answer()
		if err != nil {
			break
		}
		if !simple {
			// Not the simple case: net/http takes over.
			s.forget(fc)
			s.toHTTP(fc.c, (*fc.buf)[:fc.n])
			fc.release()
			return
		}
	}
	s.forget(fc)
	if s.closing.Load() {
		lingerClose(fc.c)
	} else {
		_ = fc.c.Close()
	}
	fc.release()
	s.active.Done()
}

// lingerClose closes a connection at shutdown without losing the response
// just written: closing a socket that still holds unread request bytes (a
// client that pipelined more requests) sends a reset, and a reset makes the
// client's kernel drop response bytes it has not yet read. So the write side
// is closed first, what the client still sends is read and dropped for a
// short, bounded while, and only then is the socket closed (net/http does
// the same in closeWriteAndWait).
func lingerClose(c *net.TCPConn) {
	_ = c.CloseWrite()
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, c, 1<<20)
	_ = c.Close()
}

func (fc *fastConn) release() {
	if fc.buf != nil {
		bufPool.Put(fc.buf)
		fc.buf, fc.n = nil, 0
	}
}

// fill reads once into the pending buffer, waiting for the socket to be
// readable without holding a buffer while it waits.
func (fc *fastConn) fill() error {
	if err := fc.extend(time.Now(), true); err != nil {
		return err
	}
	fc.rerr = nil
	if err := fc.raw.Read(fc.read); err != nil {
		return err
	}
	return fc.rerr
}

// readCallback is the syscall.RawConn read function: false means "wait until
// readable and call again".
func (fc *fastConn) readCallback(fd uintptr) bool {
	if fc.buf == nil {
		fc.buf = bufPool.Get().(*[]byte)
	}
	for {
		n, err := syscall.Read(int(fd), (*fc.buf)[fc.n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if fc.n == 0 {
				bufPool.Put(fc.buf)
				fc.buf = nil
			}
			return false
		case err != nil:
			fc.rerr = err
		case n == 0:
			fc.rerr = errEOF
		default:
			fc.n += n
		}
		return true
	}
}

var errEOF = errors.New("EOF")

// extend pushes the connection's deadline to now+idle, at most once per
// deadlineSlack. A shutdown that starts meanwhile sets a deadline in the
// past; closing is checked after ours is set, so that one always wins.
// A response being written is finished first: serve checks closing before
// it reads again.
func (fc *fastConn) extend(now time.Time, reading bool) error {
	if fc.deadline.Sub(now) >= fc.s.idle-deadlineSlack {
		return nil
	}
	fc.deadline = now.Add(fc.s.idle)
	if err := fc.c.SetDeadline(fc.deadline); err != nil {
		return err
	}
	if reading && fc.s.closing.Load() {
		return net.ErrClosed
	}
	return nil
}

// answer serves every complete simple request in the buffer. simple is
// false when the next request is not one (or not complete): the pending
// bytes then start with it. An error ends the connection.
func (fc *fastConn) answer() (simple bool, err error) {
	for fc.n > 0 {
		b := (*fc.buf)[:fc.n]
		end := bytes.Index(b, crlfcrlf)
		if end < 0 {
			if fc.n == len(*fc.buf) && bytes.IndexByte(b, '\n') < 0 && requestLineStart(b) {
				// The request line alone fills the buffer: longer than
				// maxTarget allows, and not worth reading on. (A line ends
				// at LF: net/http also accepts a bare one, so a long head
				// with bare LFs is net/http's to answer.)
				fc.refuse(b)
				return true, net.ErrClosed
			}
			return false, nil
		}
		end += len(crlfcrlf)
		start := time.Now()
		req, ok := parseSimple(b[:end])
		if !ok {
			return false, nil
		}
		e := fc.s.site(req.path)
		if e == nil {
			return false, nil
		}
		head, body := e.Response(req.gzip)
		if req.head {
			body = nil
		}
		if err := fc.write(head, body, start); err != nil {
			return true, err
		}
		if fc.s.reqOut != nil {
			method := "GET"
			if req.head {
				method = "HEAD"
			}
			fc.line = logLine(fc.line[:0], method, e.Path, len(body), start, fc.remote)
			_, _ = fc.s.reqOut.Write(fc.line)
		}
		// Keep whatever follows (a pipelined request) at the front.
		fc.n = copy(*fc.buf, b[end:])
		if fc.s.closing.Load() {
			// Shutting down: this response was in flight, the next
			// pipelined one is not.
			return true, net.ErrClosed
		}
	}
	fc.release()
	return true, nil
}

var crlfcrlf = []byte("\r\n\r\n")

// requestLineStart: b starts like a request line, a method and a space.
func requestLineStart(b []byte) bool {
	i := bytes.IndexByte(b, ' ')
	if i <= 0 {
		return false
	}
	for _, c := range b[:i] {
		if !isTokenByte(c) {
			return false
		}
	}
	return true
}

var uriTooLong = []byte("HTTP/1.1 414 Request URI Too Long\r\nConnection: close\r\nContent-Length: 17\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n\r\n414 URI too long\n")

// refuse answers 414 to the request starting in b and ends the connection
// the way net/http does after an error: half-close, then drain what the
// client is still sending (bounded), so the answer is not lost to a reset.
func (fc *fastConn) refuse(b []byte) {
	start := time.Now()
	_ = fc.c.SetDeadline(start.Add(time.Second))
	if _, err := fc.c.Write(uriTooLong); err != nil {
		return
	}
	if fc.s.reqOut != nil {
		method, _, _ := bytes.Cut(b, []byte(" "))
		slog.New(slog.NewTextHandler(fc.s.reqOut, nil)).LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", string(method)), slog.String("path", "(longer than 4 KiB)"),
			slog.Int("status", http.StatusRequestURITooLong), slog.Int("bytes", 17),
			slog.Duration("dur", time.Since(start)), slog.String("remote", fc.remote))
	}
	_ = fc.c.CloseWrite()
	_ = fc.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, _ = io.CopyN(io.Discard, fc.c, 256<<10)
}

// logLine appends the request's log line exactly as logRequests writes it
// through slog.TextHandler, at a fraction of the cost: path and remote never
// need quoting here (parseSimple admits no such bytes in a path).
func logLine(b []byte, method, path string, n int, start time.Time, remote string) []byte {
	now := time.Now()
	b = append(b, "time="...)
	b = appendLogTime(b, now)
	b = append(b, " level=INFO msg=request method="...)
	b = append(b, method...)
	b = append(b, " path="...)
	b = append(b, path...)
	b = append(b, " status=200 bytes="...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, " dur="...)
	b = append(b, now.Sub(start).String()...)
	b = append(b, " remote="...)
	b = append(b, remote...)
	return append(b, '\n')
}

// site returns the entry the fast path may serve for the raw target p:
// exactly a site path, and none that the router sends elsewhere.
func (s *fastServer) site(p []byte) *site.Entry {
	if bytes.HasPrefix(p, []byte("/app")) || bytes.HasPrefix(p, []byte("/healthz")) || bytes.HasPrefix(p, []byte("/_live")) {
		return nil
	}
	cur := s.h.current()
	if cur == nil {
		return nil
	}
	return cur.Lookup(p)
}

func (fc *fastConn) write(head, body []byte, now time.Time) error {
	if err := fc.extend(now, false); err != nil {
		return err
	}
	out := append(fc.out[:0], head...)
	out = append(out, "Date: "...)
	out = appendDate(out, now)
	out = append(out, "\r\n\r\n"...)
	var err error
	if len(body) <= fastInline {
		out = append(out, body...)
		_, err = fc.c.Write(out)
	} else {
		// WriteTo consumes fc.iov; its backing array is fc.iovs, reused.
		fc.iovs = [2][]byte{out, body}
		fc.iov = fc.iovs[:]
		_, err = fc.iov.WriteTo(fc.c)
		fc.iovs = [2][]byte{}
	}
	fc.out = out[:0]
	return err
}

// logStamp caches the log time's layout for one second: the text up to the
// milliseconds, and the zone after them.
type logStamp struct {
	sec          int64
	prefix, zone []byte
}

var logTime atomic.Pointer[logStamp]

// appendLogTime appends now as slog.TextHandler does
// ("2006-01-02T15:04:05.000Z07:00"), formatting the date once a second.
func appendLogTime(b []byte, now time.Time) []byte {
	st := logTime.Load()
	if st == nil || st.sec != now.Unix() {
		full := now.Truncate(time.Second).AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		n := len("2006-01-02T15:04:05.")
		st = &logStamp{sec: now.Unix(), prefix: full[:n], zone: full[n+3:]}
		logTime.Store(st)
	}
	ms := now.Nanosecond() / 1e6
	b = append(b, st.prefix...)
	b = append(b, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// dateStamp caches the Date header's value for one second.
type dateStamp struct {
	sec int64
	b   []byte
}

var date atomic.Pointer[dateStamp]

func appendDate(b []byte, now time.Time) []byte {
	d := date.Load()
	if d == nil || d.sec != now.Unix() {
		d = &dateStamp{sec: now.Unix(), b: now.UTC().AppendFormat(nil, http.TimeFormat)}
		date.Store(d)
	}
	return append(b, d.b...)
}

// simpleRequest is what the fast path needs from a request.
type simpleRequest struct {
	path []byte
	head bool // HEAD rather than GET
	gzip bool
}

// parseSimple parses a complete request head (ending in CRLF CRLF) if it is
// the simple case: GET or HEAD of an origin-form target without query or
// escapes, HTTP/1.1, a Host, and no header that asks for more than the
// plain answer. Anything unusual, including anything net/http would reject,
// is not simple: net/http then answers it, so the rules of HTTP (and the
// error statuses) are net/http's alone.
func parseSimple(b []byte) (r simpleRequest, ok bool) {
	line, rest, _ := bytes.Cut(b, crlf)
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		line = line[4:]
	case bytes.HasPrefix(line, []byte("HEAD ")):
		line, r.head = line[5:], true
	default:
		return r, false
	}
	target, proto, _ := bytes.Cut(line, []byte(" "))
	if string(proto) != "HTTP/1.1" || len(target) == 0 || target[0] != '/' {
		return r, false
	}
	for _, c := range target {
		// Exactly the characters site paths use; no '%', '?', '\\' or
		// control bytes, so the raw target is the path.
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '-' || c == '_' || c == '.') {
			return r, false
		}
	}
	r.path = target
	host, ae := false, false
	for len(rest) > 2 { // the head ends with the empty line's CRLF
		line, rest, _ = bytes.Cut(rest, crlf)
		name, value, found := bytes.Cut(line, []byte(":"))
		if !found || len(name) == 0 || !validValue(value) {
			return r, false
		}
		for _, c := range name {
			if !isTokenByte(c) {
				return r, false
			}
		}
		value = bytes.Trim(value, " \t")
		switch len(name) {
		case 4:
			if equalFold(name, "host") {
				if host || len(value) == 0 || !validHost(value) {
					return r, false
				}
				host = true
			}
		case 5:
			if equalFold(name, "range") {
				return r, false
			}
		case 6:
			if equalFold(name, "expect") {
				return r, false
			}
		case 7:
			if equalFold(name, "upgrade") || equalFold(name, "trailer") {
				return r, false
			}
		case 8:
			if equalFold(name, "if-range") {
				return r, false
			}
		case 10:
			if equalFold(name, "connection") && !equalFold(value, "keep-alive") {
				return r, false
			}
		case 13:
			if equalFold(name, "if-none-match") {
				return r, false
			}
		case 14:
			if equalFold(name, "content-length") {
				return r, false
			}
		case 15:
			if equalFold(name, "accept-encoding") && !ae {
				// The first one counts, as with net/http's Header.Get. No
				// copy: AcceptsGzip only reads its argument during the call.
				ae = true
				r.gzip = len(value) > 0 && site.AcceptsGzip(unsafe.String(&value[0], len(value)))
			}
		case 17:
			if equalFold(name, "transfer-encoding") {
				return r, false
			}
		}
	}
	return r, host
}

var crlf = []byte("\r\n")

func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isTokenByte: RFC 9110 tchar.
func isTokenByte(c byte) bool { return tchar[c] }

var tchar = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

// validValue: no control bytes but tab (this also refuses a bare CR or LF,
// and obsolete line folding never reaches here as a name).
func validValue(v []byte) bool {
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost is stricter than net/http: names, IPv4 and bracketed IPv6, with
// a port. Anything else goes to net/http, which decides.
func validHost(h []byte) bool {
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

// handoffListener is the net.Listener net/http serves: it yields the
// connections the fast path gives up.
type handoffListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// prefixConn replays the bytes the fast path read before the connection's
// own.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite lets net/http half-close after an error response, as it does
// on a plain *net.TCPConn.
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// serveFast serves h on ln through the fast path, with net/http behind it,
// until ctx is cancelled; then it refuses new connections, lets requests in
// flight finish (10 s at most) and returns. reqOut, when not nil, gets one
// log line per request from both paths.
func serveFast(ctx context.Context, ln net.Listener, h *handler, reqOut io.Writer, log *slog.Logger) error {
	fs := newFastServer(h, reqOut, log, ln.Addr())
	var hh http.Handler = h
	if reqOut != nil {
		hh = logRequests(slog.New(slog.NewTextHandler(reqOut, nil)), h)
	}
	srv := newServer(hh, log)
	// Production serves no event streams, so every response can be bounded.
	srv.WriteTimeout = 30 * time.Second
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(fs.handoff) }()
	go func() { errc <- fs.serve(ln) }()
	var err error
	select {
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	case <-ctx.Done():
		log.Info("shutting down: finishing requests in flight")
	}
	_ = ln.Close() // new connections are refused from here on
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fastErr := make(chan error, 1)
	go func() { fastErr <- fs.shutdown(sctx) }()
	herr := srv.Shutdown(sctx)
	if ferr := <-fastErr; herr == nil {
		herr = ferr
	}
	if herr != nil {
		_ = srv.Close()
		if err == nil {
			err = fmt.Errorf("shutdown: %v", herr)
		}
	}
	return err
}

// raiseFileLimit lifts the soft limit on open files to the hard limit (Go
// does so itself since 1.19; this says what the limit is), so that a few
// thousand idle keep-alive connections do not run the process out of file
// descriptors; and it says clearly when the limit stays low.
func raiseFileLimit(log *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open files limit", "err", err)
		return
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			log.Warn("cannot raise the open files limit: connections beyond it are refused until others close",
				"soft", lim.Cur, "hard", lim.Max, "err", err)
			return
		}
		lim = want
	}
	if lim.Cur < 4096 {
		log.Warn("the open files limit is low: connections beyond it wait until others close (raise it with ulimit -n or the container runtime)",
			"limit", lim.Cur)
	}
}
