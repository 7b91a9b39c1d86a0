package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"multistage/site"
)

// Event loops: the fast path's connections on Linux. A goroutine per
// connection puts the Go scheduler between every request and its answer:
// each request wakes a parked goroutine through the netpoller and queues it
// behind the others, and under load on a small machine that queueing was
// the slowest 1% of answers (p99 5 to 6 ms against nginx's 4 to 5, on the
// same machine, in the same run). So, as nginx's workers do, a few loops
// (one per P) each own a set of connections and an epoll instance, and
// answer every readable connection in turn with plain system calls: a read,
// a parse, one write of precomputed bytes.
//
// The loops do only the common case. The moment a connection needs anything
// else it leaves its loop for good, with the bytes already read: a request
// that is not the simple case (or not complete) goes to net/http as before,
// and a response the socket cannot take at once (a client that does not
// read) goes to the goroutine fast path, whose deadlines then bound it. At
// shutdown every connection leaves the same way, to close without losing a
// response in flight (lingerClose).

type loopSet struct {
	s     *fastServer
	loops []*evLoop
	next  atomic.Uint32
	wg    sync.WaitGroup // running loops
	procs int            // GOMAXPROCS before the loops added theirs
	files bodyFiles
}

// evLoop is one thread's connections.
type evLoop struct {
	s      *fastServer
	files  *bodyFiles
	ep     int // epoll instance
	wakeR  int // pipe the accept loop and shutdown write to
	wakeW  int //
	spare  int // a descriptor kept in reserve for detach; -1 if none
	events []syscall.EpollEvent
	buf    []byte // the read buffer, shared by the loop's connections
	out    []byte // response head (and small body)
	line   []byte // request log line

	mu       sync.Mutex
	incoming []*evConn // adopted, not yet taken by the loop
	failed   bool      // the loop has stopped: adopt must not use it

	conns map[int32]*evConn // loop-owned
}

// evConn is a connection in a loop.
type evConn struct {
	fd     int
	remote string
	last   time.Time // last activity, for the idle timeout
	spoke  bool      // it has sent something: idle, not silent
}

// silentTimeout closes a connection that has sent nothing at all, as
// net/http's ReadHeaderTimeout does for a new connection; between requests
// the longer idle timeout applies.
const silentTimeout = 5 * time.Second

// newLoops starts one loop per P. It returns nil when the system refuses
// epoll (then every connection takes the goroutine path).
func newLoops(s *fastServer) *loopSet {
	ls := &loopSet{s: s, procs: runtime.GOMAXPROCS(0)}
	for range ls.procs {
		l, err := newEvLoop(s, &ls.files)
		if err != nil {
			s.log.Warn("event loops unavailable; serving a goroutine per connection", "err", err)
			for _, l := range ls.loops { // none running yet
				syscall.Close(l.ep)
				syscall.Close(l.wakeR)
				syscall.Close(l.wakeW)
				syscall.Close(l.spare)
			}
			return nil
		}
		ls.loops = append(ls.loops, l)
	}
	// One P more per loop (see run). Restored by stop.
	runtime.GOMAXPROCS(2 * ls.procs)
	for _, l := range ls.loops {
		ls.wg.Add(1)
		go func() {
			defer ls.wg.Done()
			l.run()
		}()
	}
	return ls
}

func newEvLoop(s *fastServer, files *bodyFiles) (*evLoop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}

	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(ep)
		return nil, os.NewSyscallError("pipe2", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
		syscall.Close(ep)
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	spare, _ := dupCloexec(p[0]) // -1 on failure: only a reserve
	return &evLoop{
		s: s, files: files, ep: ep, wakeR: p[0], wakeW: p[1], spare: spare,
		events: make([]syscall.EpollEvent, 256),
		buf:    make([]byte, fastBufSize),
		conns:  map[int32]*evConn{},
	}, nil
}

// adopt moves an accepted connection into a loop: the loop gets its own
// descriptor for the socket, and the *net.TCPConn is closed (which leaves
// the socket open, and its non-blocking flag set). The caller holds s.mu,
// has checked s.closing and counted the connection in s.active; false means
// the connection is still the caller's, open.
func (ls *loopSet) adopt(tc *net.TCPConn) bool {
	l := ls.loops[ls.next.Add(1)%uint32(len(ls.loops))]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	cerr := raw.Control(func(f uintptr) {
		fd, err = dupCloexec(int(f))
	})
	if cerr != nil || err != nil {
		return false
	}
	c := &evConn{fd: fd, remote: tc.RemoteAddr().String(), last: time.Now()}
	_ = tc.Close()
	l.incoming = append(l.incoming, c)
	l.wake()
	return true
}

func dupCloexec(fd int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// wakeAll makes every loop look at s.closing.
func (ls *loopSet) wakeAll() {
	for _, l := range ls.loops {
		l.wake()
	}
}

// stop waits for the loops to end (they end once s.closing is set and they
// have let go of their connections) and frees them.
func (ls *loopSet) stop() {
	ls.wakeAll()
	ls.wg.Wait()
	for _, l := range ls.loops {
		syscall.Close(l.wakeR) // run closed l.ep
		syscall.Close(l.wakeW)
		if l.spare >= 0 {
			syscall.Close(l.spare)
		}
	}
	runtime.GOMAXPROCS(ls.procs)
	ls.files.close()
}

func (l *evLoop) wake() {
	_, _ = syscall.Write(l.wakeW, []byte{1}) // EAGAIN: a wake-up is pending anyway
}

func (l *evLoop) run() {
	// The loop blocks in epoll_wait on a thread of its own, as nginx's
	// workers do. newLoops gave the process one P more per loop, so a loop
	// waiting in the kernel keeps its P without starving the rest of the
	// process, and finds it again at once when it wakes. (Waiting in Go's
	// netpoller instead gave back the scheduler's queueing, and the tail
	// latency with it.)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer syscall.Close(l.ep)
	lastSweep := time.Now()
	for {
		n, err := syscall.EpollWait(l.ep, l.events, 1000)
		if err != nil && err != syscall.EINTR {
			l.fail(err)
			return
		}
		now := time.Now()
		for i := range max(n, 0) {
			fd := l.events[i].Fd
			if int(fd) == l.wakeR {
				var b [64]byte
				for {
					if m, _ := syscall.Read(l.wakeR, b[:]); m <= 0 {
						break
					}
				}
				l.take(now)
				continue
			}
			if c := l.conns[fd]; c != nil {
				l.serve(c, now)
			}
		}
		if l.s.closing.Load() {
			l.take(now)
			l.releaseAll()
			return
		}
		if now.Sub(lastSweep) >= time.Second {
			lastSweep = now
			l.sweep(now)
		}
	}
}

// fail gives up the loop: its connections go to goroutines.
func (l *evLoop) fail(err error) {
	l.s.log.Error("event loop failed; its connections go to goroutines", "err", err)
	l.mu.Lock()
	l.failed = true
	l.mu.Unlock()
	l.take(time.Now())
	l.releaseAll()
}

// take registers the connections the accept loop has handed over.
func (l *evLoop) take(now time.Time) {
	l.mu.Lock()
	in := l.incoming
	l.incoming = nil
	l.mu.Unlock()
	for _, c := range in {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(c.fd)}
		if err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			// Not watchable here: serve it from a goroutine.
			l.toGoroutine(c, nil, nil)
			continue
		}
		c.last = now
		l.conns[int32(c.fd)] = c
	}
}

// sweep closes connections idle for longer than the server's idle timeout.
func (l *evLoop) sweep(now time.Time) {
	for fd, c := range l.conns {
		if now.Sub(c.last) > l.s.idle || !c.spoke && now.Sub(c.last) > silentTimeout {
			delete(l.conns, fd)
			l.close(c)
		}
	}
}

func (l *evLoop) close(c *evConn) {
	_ = syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
	syscall.Close(c.fd)
	l.s.active.Done()
}

// releaseAll lets every connection go at shutdown (or when the loop fails):
// each is closed by lingerClose, or served by a goroutine, which sees the
// shutdown itself.
func (l *evLoop) releaseAll() {
	for fd, c := range l.conns {
		delete(l.conns, fd)
		l.toGoroutine(c, nil, nil)
	}
}

// serve reads what the connection sent and answers every complete simple
// request in it.
func (l *evLoop) serve(c *evConn, now time.Time) {
	n, err := readFd(c.fd, l.buf)
	if err == syscall.EAGAIN {
		return
	}
	if err != nil || n == 0 {
		delete(l.conns, int32(c.fd))
		l.close(c)
		return
	}
	c.last, c.spoke = now, true
	b := l.buf[:n]
	for len(b) > 0 {
		end := bytes.Index(b, crlfcrlf)
		if end < 0 {
			// An incomplete request (or one whose request line alone fills
			// the buffer, which the goroutine path answers with 414). A line
			// ends at LF: net/http also accepts a bare one.
			if n == len(l.buf) && bytes.IndexByte(b, '\n') < 0 && requestLineStart(b) {
				l.toGoroutine(c, b, nil)
			} else {
				l.toHTTP(c, b)
			}
			return
		}
		end += len(crlfcrlf)
		start := time.Now()
		req, ok := parseSimple(b[:end])
		var e *site.Entry
		if ok {
			e = l.s.site(req.path)
		}
		if e == nil {
			l.toHTTP(c, b)
			return
		}
		head, body := e.Response(req.gzip)
		if req.head {
			body = nil
		}
		left := l.write(c.fd, head, body, start)
		if l.s.reqOut != nil {
			method := "GET"
			if req.head {
				method = "HEAD"
			}
			l.line = logLine(l.line[:0], method, e.Path, len(body), start, c.remote)
			_, _ = l.s.reqOut.Write(l.line)
		}
		b = b[end:]
		switch {
		case left == nil: // written
		case len(left) == 0: // the connection failed
			delete(l.conns, int32(c.fd))
			l.close(c)
			return
		default: // the client is not reading: a goroutine waits for it
			l.toGoroutine(c, b, left)
			return
		}
		if l.s.closing.Load() {
			// Shutting down: this response was in flight, the next
			// pipelined one is not.
			l.toGoroutine(c, nil, nil)
			return
		}
	}
}

// write sends head, the Date header and body. It returns nil when all was
// written, an empty non-nil slice when the connection failed, and otherwise
// the bytes the socket would not take yet.
func (l *evLoop) write(fd int, head, body []byte, now time.Time) [][]byte {
	out := append(l.out[:0], head...)
	out = append(out, "Date: "...)
	out = appendDate(out, now)
	out = append(out, "\r\n\r\n"...)
	if len(body) <= fastInline {
		out = append(out, body...)
		body = nil
	}
	l.out = out[:0]
	total := len(out) + len(body)
	var n int
	var err error
	switch mfd := l.files.get(body); {
	case body == nil:
		n, err = writeFd(fd, out)
	case mfd >= 0:
		// The head with MSG_MORE, so that it leaves with the body's first
		// bytes; then the body from its memfd without copying it.
		if n, err = sendMore(fd, out); err == nil && n == len(out) {
			var off int64
			var m int
			m, err = sendfileFd(fd, mfd, &off, len(body))
			n += m
		}
	default:
		n, err = writevFd(fd, out, body)
	}
	// n counts what was sent, also when a call then met EAGAIN.
	switch {
	case err != nil && err != syscall.EAGAIN:
		return [][]byte{}
	case n == total:
		return nil
	}
	// What is left: copy the head's part (l.out is reused); the body is
	// the site's, immutable.
	if n < len(out) {
		return [][]byte{bytes.Clone(out[n:]), body}
	}
	return [][]byte{body[n-len(out):]}
}

// toHTTP gives the connection to net/http with the bytes read from it.
func (l *evLoop) toHTTP(c *evConn, pending []byte) {
	nc := l.detach(c)
	if nc == nil {
		return
	}
	l.s.toHTTP(nc, pending) // counts s.active down
}

// toGoroutine gives the connection to the goroutine fast path, with the
// request bytes read from it and the response bytes not yet written.
func (l *evLoop) toGoroutine(c *evConn, pending []byte, unwritten [][]byte) {
	nc := l.detach(c)
	if nc == nil {
		return
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		l.s.toHTTP(nc, pending)
		return
	}
	fc := &fastConn{s: l.s, c: tc, remote: c.remote}
	var err error
	if fc.raw, err = tc.SyscallConn(); err != nil {
		l.s.toHTTP(nc, pending)
		return
	}
	fc.read = fc.readCallback
	if len(pending) > 0 {
		fc.buf = bufPool.Get().(*[]byte)
		fc.n = copy(*fc.buf, pending)
	}
	l.s.mu.Lock()
	l.s.conns[fc] = struct{}{}
	l.s.mu.Unlock()
	go fc.resume(unwritten)
}

// detach takes the connection out of the loop as a net.Conn (a new
// descriptor in Go's netpoller; the loop's is closed). On failure the
// connection is closed and nil returned.
//
// The new descriptor is a copy, made before the loop's is closed: a process
// out of descriptors (RLIMIT_NOFILE) cannot make it, and the connection
// would be dropped, its request unanswered or its response cut short,
// where net/http would have served it. So the copy may take the loop's
// spare descriptor; the one closed here then becomes the new spare.
func (l *evLoop) detach(c *evConn) net.Conn {
	delete(l.conns, int32(c.fd))
	_ = syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, c.fd, nil)
	f := os.NewFile(uintptr(c.fd), "")
	nc, err := net.FileConn(f)
	if err != nil && l.spare >= 0 && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) {
		syscall.Close(l.spare)
		l.spare = -1
		nc, err = net.FileConn(f)
	}
	_ = f.Close()
	if l.spare < 0 {
		l.spare, _ = dupCloexec(l.wakeR)
	}
	if err != nil {
		l.s.active.Done()
		return nil
	}
	return nc
}

func readFd(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func writeFd(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}

func writevFd(fd int, a, b []byte) (int, error) {
	iov := [2]syscall.Iovec{{Base: &a[0]}, {Base: &b[0]}}
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	for {
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), 2)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(n), nil
	}
}

// Large bodies (the screenshots) are sent with sendfile(2) from a memfd
// holding a copy, made on first use: the kernel then passes the pages to
// the socket instead of copying the bytes from the process's memory on
// every response, which cost a large image a third more CPU than nginx's
// sendfile from the page cache. Bodies are immutable, so a copy made once
// stays right.
const sendfileMin = 64 << 10

type bodyFiles struct {
	fds sync.Map // *byte (a body's first byte) → int descriptor, or -1
	mu  sync.Mutex
}

// memfdCreate is memfd_create(2)'s number on the architectures the image is
// built for; elsewhere large bodies are written as before.
var memfdCreate = map[string]uintptr{"amd64": 319, "arm64": 279, "riscv64": 279, "loong64": 279}[runtime.GOARCH]

// get returns a descriptor holding body, or -1 to write it instead.
func (f *bodyFiles) get(body []byte) int {
	if len(body) < sendfileMin || memfdCreate == 0 {
		return -1
	}
	key := unsafe.SliceData(body)
	if v, ok := f.fds.Load(key); ok {
		return v.(int)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.fds.Load(key); ok {
		return v.(int)
	}
	fd := newMemfd(body)
	f.fds.Store(key, fd)
	return fd
}

func newMemfd(body []byte) int {
	name := []byte("multistage-body\x00")
	r, _, e := syscall.Syscall(memfdCreate, uintptr(unsafe.Pointer(&name[0])), 1 /* MFD_CLOEXEC */, 0)
	if e != 0 {
		return -1
	}
	fd := int(r)
	for off := 0; off < len(body); {
		n, err := syscall.Pwrite(fd, body[off:], int64(off))
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			syscall.Close(fd)
			return -1
		}
		off += n
	}
	return fd
}

func (f *bodyFiles) close() {
	f.fds.Range(func(k, v any) bool {
		if fd := v.(int); fd >= 0 {
			syscall.Close(fd)
		}
		f.fds.Delete(k)
		return true
	})
}

// sendMore is send(2) with MSG_MORE: more data follows at once.
func sendMore(fd int, b []byte) (int, error) {
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), syscall.MSG_MORE, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(n), nil
	}
}

func sendfileFd(out, in int, off *int64, n int) (int, error) {
	for {
		m, err := syscall.Sendfile(out, in, off, n)
		if err == syscall.EINTR {
			continue
		}
		return max(m, 0), err
	}
}
