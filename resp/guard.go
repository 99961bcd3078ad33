package resp

// RESP framing guard.
//
// redcon v1.6.2's Reader trusts the lengths it reads: "*999999999999\r\n" makes
// it spin over the count on every read, a huge "$" length overflows
// i+size+2 and panics, and an inline command or header line without a newline
// grows its buffer forever. Its inline parser allocates quadratically in the
// number of arguments (a 64 KB line of spaces costs 1.4 s of CPU). Its buffer
// only shrinks when it happens to be empty, so a client that streams
// pipelined commands with a partial command at the end of every read grows it
// without bound, even with valid traffic.
//
// GuardConn sits between the network and redcon. It tracks the framing redcon
// uses with a small state machine (payload bytes are skipped arithmetically,
// not scanned) and enforces Redis' limits before redcon ever sees the bytes.
// It also shapes what Read returns. A Read that holds no complete request fills
// the caller's buffer, so redcon parses a big request O(log size) times rather
// than once per network read (each parse re-scans the request from its start
// and loops over its argument count). And at least every guardAlignEvery bytes
// a Read ends on a request boundary, which lets redcon's buffer drain and
// shrink.

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Default limits used for the zero fields of GuardLimits.
const (
	// GuardDefaultMaxMultibulkLen bounds the argument count of one multibulk
	// request. Redis accepts up to INT_MAX, but redcon loops over the count on
	// every read of an incomplete request, so a 1M cap keeps that loop around a
	// millisecond; no real command needs more arguments in one request.
	GuardDefaultMaxMultibulkLen = 1 << 20
	// GuardDefaultMaxBulkLen is Redis' proto-max-bulk-len default (512 MB).
	GuardDefaultMaxBulkLen = 512 << 20
	// GuardDefaultMaxInlineLen is Redis' PROTO_INLINE_MAX_SIZE (64 KB). It
	// bounds an inline request and a '*' or '$' header line.
	GuardDefaultMaxInlineLen = 64 << 10
	// GuardDefaultMaxQueryBuffer is Redis' client-query-buffer-limit default
	// (1 GB). It bounds the total size of one multibulk request. redcon holds
	// up to about three times a request (its doubling buffer and a copy), so
	// a lower value bounds per-connection memory more tightly.
	GuardDefaultMaxQueryBuffer = 1 << 30
	// GuardDefaultMaxReadAhead bounds what WatchClose buffers while the owner
	// is busy. When it is full the watch stops reading (and so cannot see a
	// close) until it ends.
	GuardDefaultMaxReadAhead = 1 << 20
	// GuardDefaultErrorWriteTimeout bounds the write of a protocol error reply.
	GuardDefaultErrorWriteTimeout = time.Second

	// guardAlignEvery is how many bytes Read may return without ending on a
	// request boundary (when it could). redcon's buffer never compacts: it
	// doubles whenever it fills with a partial request in it, and shrinks
	// back to 4 KB only when it is empty. Ending a Read on a boundary empties
	// it; doing so only every 128 KB lets it grow enough for large reads and
	// reply batches under deep pipelining, while bounding it (about 512 KB).
	guardAlignEvery = 128 << 10

	// After a protocol error, Close half-closes the connection and discards
	// up to guardLingerMax bytes of input for up to guardLingerTime before it
	// closes: closing a socket with unread input sends a TCP reset, which can
	// destroy the error reply before the client reads it.
	guardLingerTime = 500 * time.Millisecond
	guardLingerMax  = 256 << 10

	// guardInlineCostMax bounds the allocation redcon's inline parser makes
	// for one line (see guardInline); about half a millisecond of CPU. Only
	// lines longer than 1448 bytes can reach it, and only with hundreds of
	// arguments; the guard reports them as too big inline requests.
	guardInlineCostMax = 1 << 20

	// guardMaxBulkLenCap keeps redcon's i+size+2 far from overflowing whatever
	// MaxBulkLen is configured.
	guardMaxBulkLenCap = 1 << 40
)

// GuardLimits configures GuardListener. Zero (or negative) fields take the
// GuardDefault* values.
type GuardLimits struct {
	MaxMultibulkLen   int           // arguments in one multibulk request
	MaxBulkLen        int64         // proto-max-bulk-len; capped at 1 TB
	MaxInlineLen      int           // inline request and '*'/'$' header line
	MaxQueryBuffer    int64         // total bytes of one multibulk request
	MaxReadAhead      int           // bytes WatchClose buffers
	ErrorWriteTimeout time.Duration // write deadline for the error reply
	// BigBulk, when positive, is the size from which a bulk argument is
	// read into a buffer of its own instead of redcon's (see bigbulk.go).
	// Zero or negative: never.
	BigBulk int64

	// OnViolation, if set, is called (on the reading goroutine) when a
	// connection breaks the protocol, before the error reply is written.
	// The guard logs nothing itself.
	OnViolation func(c *GuardConn, err *GuardProtocolError)
}

func (l GuardLimits) normalized() GuardLimits {
	if l.MaxMultibulkLen <= 0 {
		l.MaxMultibulkLen = GuardDefaultMaxMultibulkLen
	}
	if l.MaxBulkLen <= 0 {
		l.MaxBulkLen = GuardDefaultMaxBulkLen
	}
	if l.MaxBulkLen > guardMaxBulkLenCap {
		l.MaxBulkLen = guardMaxBulkLenCap
	}
	if l.MaxInlineLen <= 0 {
		l.MaxInlineLen = GuardDefaultMaxInlineLen
	}
	if l.MaxQueryBuffer <= 0 {
		l.MaxQueryBuffer = GuardDefaultMaxQueryBuffer
	}
	if l.MaxReadAhead <= 0 {
		l.MaxReadAhead = GuardDefaultMaxReadAhead
	}
	if l.ErrorWriteTimeout <= 0 {
		l.ErrorWriteTimeout = GuardDefaultErrorWriteTimeout
	}
	return l
}

// GuardProtocolError is a protocol violation found by the guard. Msg is the
// error reply sent to the client, without the leading '-' and trailing CRLF.
type GuardProtocolError struct {
	Msg string
}

func (e *GuardProtocolError) Error() string { return e.Msg }

// The texts are Redis' (networking.c), which redcon also uses where it has one.
var (
	guardErrMultibulkLen = &GuardProtocolError{"ERR Protocol error: invalid multibulk length"}
	guardErrBulkLen      = &GuardProtocolError{"ERR Protocol error: invalid bulk length"}
	guardErrBigInline    = &GuardProtocolError{"ERR Protocol error: too big inline request"}
	guardErrBigMbulk     = &GuardProtocolError{"ERR Protocol error: too big mbulk count string"}
	guardErrBigBulk      = &GuardProtocolError{"ERR Protocol error: too big bulk count string"}
	// Redis closes such a client without a reply; we say why.
	guardErrQueryBuffer = &GuardProtocolError{"ERR Protocol error: client query buffer limit exceeded"}
)

func guardErrExpectedDollar(c byte) *GuardProtocolError {
	if c == '\r' || c == '\n' {
		c = ' ' // as Redis does: an error reply must stay on one line
	}
	return &GuardProtocolError{"ERR Protocol error: expected '$', got '" + string([]byte{c}) + "'"}
}

// GuardListener wraps ln so that every accepted connection is a *GuardConn
// enforcing limits.
func GuardListener(ln net.Listener, limits GuardLimits) net.Listener {
	l := &guardListener{Listener: ln}
	lim := limits.normalized()
	l.lim.Store(&lim)
	return l
}

// SetGuardLimits changes the limits of the connections a GuardListener
// accepts from now on (CONFIG SET); open connections keep theirs, because
// their validator may be in the middle of a request sized by the old ones.
// It reports whether ln is a GuardListener.
func SetGuardLimits(ln net.Listener, limits GuardLimits) bool {
	l, ok := ln.(*guardListener)
	if ok {
		lim := limits.normalized()
		l.lim.Store(&lim)
	}
	return ok
}

type guardListener struct {
	net.Listener
	lim atomic.Pointer[GuardLimits]
}

func (l *guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newGuardConn(c, *l.lim.Load()), nil
}

// NewGuardConn wraps an already accepted connection.
func NewGuardConn(c net.Conn, limits GuardLimits) *GuardConn {
	return newGuardConn(c, limits.normalized())
}

func newGuardConn(c net.Conn, lim GuardLimits) *GuardConn {
	g := &GuardConn{nc: c, lim: lim, closed: make(chan struct{}), st: newStamper(c)}
	g.v.init(&g.lim)
	return g
}

// GuardConn is a net.Conn whose Read validates RESP framing (see the comment
// at the top of guard.go). Read is meant for a single owner goroutine (redcon's
// connection handler); WatchClose is called by that same owner.
//
// On a violation, Read first returns the complete requests that preceded it;
// the next Read writes "-<error>\r\n" to the peer and returns the
// *GuardProtocolError, which makes redcon close the connection. Every later
// Read returns the same error.
type GuardConn struct {
	nc  net.Conn // the wrapped connection
	lim GuardLimits
	st  *stamper // reads nc with receive timestamps; nil: nc.Read
	// arrived is when the bytes of the latest read reached the machine
	// (Unix nanoseconds): see Arrived.
	arrived atomic.Int64

	// Owned by the reader (readMu).
	readMu    sync.Mutex
	v         guardValidator
	held      []byte // validated, undelivered bytes of an incomplete request
	heldBound int    // held[:heldBound] are complete requests (finishHeader)
	unaligned int    // bytes returned since a Read last ended on a boundary
	heldBuf   []byte // backing store for held
	pendErr   error  // read error to return once held bytes are delivered
	fail      *GuardProtocolError
	failSent  bool
	big       bigState // bigbulk.go

	// Shared with the watch goroutine and deadline setters (mu).
	mu         sync.Mutex
	ahead      []byte // raw bytes read ahead by a watch, not yet validated
	aheadErr   error  // read error met by a watch; sticky
	watch      *guardWatch
	rdDeadline time.Time // the owner's read deadline
	wrDeadline time.Time // the owner's write deadline
	closeOnce  sync.Once
	closed     chan struct{}
	linger     atomic.Bool // an error reply was sent: linger on Close
}

// NetConn returns the wrapped connection. Reading from it bypasses the guard.
func (g *GuardConn) NetConn() net.Conn { return g.nc }

// Write implements net.Conn.
func (g *GuardConn) Write(p []byte) (int, error) { return g.nc.Write(p) }

// LocalAddr implements net.Conn.
func (g *GuardConn) LocalAddr() net.Addr { return g.nc.LocalAddr() }

// RemoteAddr implements net.Conn.
func (g *GuardConn) RemoteAddr() net.Addr { return g.nc.RemoteAddr() }

// Read implements net.Conn. It ends any active watch first (waiting for its
// goroutine) and returns the bytes that watch read ahead before new ones.
func (g *GuardConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	g.StopWatch()
	g.readMu.Lock()
	defer g.readMu.Unlock()
	return g.read(p)
}

// read is Read under readMu.
func (g *GuardConn) read(p []byte) (int, error) {
	if g.fail != nil && len(g.held) == 0 {
		return 0, g.reportFail()
	}
	if g.v.st == gvBigData && len(g.held) == 0 {
		if err := g.fillBig(); err != nil {
			return 0, err
		}
	}
	n := copy(p, g.held)
	g.held = g.held[n:]
	bound := min(n, g.heldBound) // p[:bound] are complete requests
	g.heldBound -= bound
	if len(g.held) > 0 {
		g.unaligned += n
		return n, nil // p is full of one request's bytes
	}
	g.held = nil
	if cap(g.heldBuf) > 64<<10 {
		g.heldBuf = nil
	}
	if g.fail != nil || (n > 0 && g.v.st == gvTop) {
		return n, nil // held requests, complete (n > 0)
	}
	if g.v.st == gvBigData {
		return n, nil // what precedes a big bulk (n > 0): its payload is next
	}
	// p[:n] is the start of an incomplete request (or n == 0). Read until a
	// request completes or p is full: redcon can do nothing with less.
	for n < len(p) {
		if err := g.pendErr; err != nil {
			if n > 0 {
				return n, nil
			}
			g.pendErr = nil
			return 0, err
		}
		m, rerr := g.readRaw(p[n:])
		if m > 0 {
			end, verr := g.v.feedAt(p[:n+m], n)
			if verr == nil && g.v.st == gvBigData {
				g.startBig(p[g.v.bigAt:n+m], rerr)
				if hs := g.v.bigAt - g.v.bigHdr; hs > 0 {
					return hs, nil // the bytes before its header first
				}
				return g.read(p)
			}
			if verr == nil && (g.v.st == gvMbHeader || g.v.st == gvBulkHeader && g.lim.BigBulk > 0) {
				return g.finishHeader(p, n+m, rerr)
			}
			if verr != nil {
				g.fail = verr
				if end >= 0 {
					return n + end, nil // the requests before the bad one
				}
				if bound > 0 {
					return bound, nil // held requests (see finishHeader)
				}
				return 0, g.reportFail()
			}
			if end >= 0 {
				if rerr != nil {
					g.pendErr = rerr
				}
				n, cut := n+m, n+end
				if cut == n {
					g.unaligned = 0
					return n, nil
				}
				if g.unaligned+n <= guardAlignEvery {
					g.unaligned += n
					return n, nil
				}
				// Time to let redcon's buffer drain: stop at the boundary.
				g.hold(p[cut:n])
				g.unaligned = 0
				return cut, nil
			}
			n += m
		}
		if rerr != nil {
			g.pendErr = rerr
		}
	}
	g.unaligned += n
	return n, nil
}

// finishHeader is Read's path for p[:tot] ending inside a '*' header line.
// redcon must never see part of a header: one whose count is <= 0 is blanked
// out once complete (see feedAt), which bytes already delivered could not
// be. So the header bytes leave p, the rest of the line is read here, and
// the header (with what followed it in the last read) is held for delivery.
func (g *GuardConn) finishHeader(p []byte, tot int, rerr error) (int, error) {
	hs := int(g.v.cmdBytes) // the header so far, all undelivered in p[:tot]
	if g.v.st == gvBulkHeader {
		// A bulk's header is held back too, so that one that turns out to
		// be big can still be replaced (bigbulk.go): '$' and the line so far.
		hs = g.v.line + 1
	}
	hdr := append([]byte(nil), p[tot-hs:tot]...)
	tot -= hs
	var tmp [64]byte
	keep := 0 // hdr[:keep] ends on a request boundary
	for rerr == nil && (g.v.st == gvMbHeader || g.v.st == gvBulkHeader && g.lim.BigBulk > 0) {
		var k int
		k, rerr = g.readRaw(tmp[:])
		if k == 0 {
			continue
		}
		from := len(hdr)
		hdr = append(hdr, tmp[:k]...)
		end, verr := g.v.feedAt(hdr, from)
		if end >= 0 {
			keep = from + end
		}
		if verr != nil {
			g.fail = verr
			hdr = hdr[:keep] // the requests before the bad one
			break
		}
		if g.v.st == gvBigData {
			g.startBig(hdr[g.v.bigAt:], rerr)
			rerr = nil // startBig keeps it
			hdr = hdr[:g.v.bigAt-g.v.bigHdr]
			keep = min(keep, len(hdr))
			break
		}
	}
	if rerr != nil && g.fail == nil {
		g.pendErr = rerr
	}
	g.hold(hdr)
	g.heldBound = keep
	g.unaligned = 0
	if tot > 0 {
		return tot, nil
	}
	return g.read(p) // the header is complete (or the stream ended)
}

// hold keeps b (the incomplete request after the last boundary of a chunk)
// for the next Read.
func (g *GuardConn) hold(b []byte) {
	if len(b) == 0 {
		return
	}
	if cap(g.heldBuf) < len(b) {
		g.heldBuf = make([]byte, max(len(b), 512))
	}
	g.held = g.heldBuf[:copy(g.heldBuf[:cap(g.heldBuf)], b)]
}

// readRaw reads unvalidated bytes: first what a watch read ahead.
func (g *GuardConn) readRaw(p []byte) (int, error) {
	g.mu.Lock()
	if len(g.ahead) > 0 {
		n := copy(p, g.ahead)
		g.ahead = g.ahead[n:]
		if len(g.ahead) == 0 {
			g.ahead = nil
		}
		g.mu.Unlock()
		return n, nil
	}
	err := g.aheadErr
	g.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return g.recv(p)
}

// recv reads from the connection, noting when the bytes arrived.
func (g *GuardConn) recv(p []byte) (int, error) {
	if g.st == nil {
		n, err := g.nc.Read(p)
		if n > 0 {
			g.arrived.Store(time.Now().UnixNano())
		}
		return n, err
	}
	n, at, err := g.st.read(p)
	if n > 0 {
		g.arrived.Store(at)
	}
	return n, err
}

// Arrived tells when the bytes of the latest read from the connection
// reached this machine (the kernel's receive time, Unix nanoseconds; 0
// before any). A command being served arrived then or earlier: redcon
// serves what one read returned before it reads again.
func (g *GuardConn) Arrived() int64 { return g.arrived.Load() }

// reportFail sends the error reply once and returns the violation.
func (g *GuardConn) reportFail() error {
	if !g.failSent {
		g.failSent = true
		if cb := g.lim.OnViolation; cb != nil {
			cb(g, g.fail)
		}
		g.mu.Lock()
		wd := g.wrDeadline
		g.nc.SetWriteDeadline(time.Now().Add(g.lim.ErrorWriteTimeout))
		g.mu.Unlock()
		g.nc.Write([]byte("-" + g.fail.Msg + "\r\n"))
		g.mu.Lock()
		g.nc.SetWriteDeadline(wd)
		g.mu.Unlock()
		g.linger.Store(true)
	}
	return g.fail
}

// SetDeadline implements net.Conn; see SetReadDeadline.
func (g *GuardConn) SetDeadline(t time.Time) error {
	if err := g.SetReadDeadline(t); err != nil {
		return err
	}
	return g.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn. While a watch is reading the deadline
// is only recorded; it takes effect when the watch ends.
func (g *GuardConn) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.rdDeadline = t
	if g.watch != nil && g.watch.reading {
		return nil
	}
	return g.nc.SetReadDeadline(t)
}

// SetWriteDeadline implements net.Conn.
func (g *GuardConn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wrDeadline = t
	return g.nc.SetWriteDeadline(t)
}

// Close implements net.Conn. It also ends an active watch (closing its
// channel) and waits for the watch goroutine to exit. After a protocol error
// reply it first lingers briefly (see guardLingerTime) so that the reply is
// not lost to a TCP reset.
func (g *GuardConn) Close() error {
	g.mu.Lock()
	watching := g.watch != nil
	g.mu.Unlock()
	if g.linger.CompareAndSwap(true, false) && !watching {
		g.lingerClose()
	}
	err := g.nc.Close()
	g.closeOnce.Do(func() { close(g.closed) })
	g.mu.Lock()
	w := g.watch
	g.mu.Unlock()
	if w != nil {
		<-w.exited
	}
	return err
}

// lingerClose sends FIN after the error reply and discards input until the
// peer closes, guardLingerMax bytes were read, or guardLingerTime passed.
func (g *GuardConn) lingerClose() {
	cw, ok := g.nc.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	if g.nc.SetReadDeadline(time.Now().Add(guardLingerTime)) != nil {
		return
	}
	buf := make([]byte, 4096)
	for total := 0; total < guardLingerMax; {
		n, err := g.nc.Read(buf)
		if err != nil {
			return
		}
		total += n
	}
}

// guardWatch is one WatchClose call.
type guardWatch struct {
	gone    chan struct{} // closed when the peer (or Close) ended the connection
	stopCh  chan struct{} // closed when the watch is asked to end
	exited  chan struct{} // closed when the goroutine has exited
	stopped bool          // under GuardConn.mu
	reading bool          // under GuardConn.mu: the goroutine owns the read deadline
}

// WatchClose lets the owner notice that the peer went away while it is busy
// with something other than reading, such as a blocking command.
//
// Until the watch ends, a goroutine reads ahead from the connection into an
// internal buffer (up to MaxReadAhead bytes); the returned channel is closed
// if that read fails: the peer closed or reset the connection, or Close was
// called. Bytes read ahead are not lost: later Reads return them first, in
// order, validated as usual, followed by the read error if any. The owner's
// read deadline does not apply while watching.
//
// The watch ends when ctx is done, or when the owner calls StopWatch, Read,
// WatchClose or Close. Ending it interrupts the pending read (with a read
// deadline in the past), then restores the read deadline last set through
// the GuardConn, leaving the connection fully usable. Cancelling ctx does not
// wait for the goroutine, which exits promptly; StopWatch, Read, WatchClose
// and Close do wait for it, so bytes are never read concurrently or out of
// order, and no goroutine outlives the watch once the owner touches the
// connection again.
//
// If the connection is already known to be gone, the channel is returned
// closed.
func (g *GuardConn) WatchClose(ctx context.Context) <-chan struct{} {
	g.StopWatch()
	w := &guardWatch{
		gone:   make(chan struct{}),
		stopCh: make(chan struct{}),
		exited: make(chan struct{}),
	}
	g.mu.Lock()
	dead := g.aheadErr != nil
	g.mu.Unlock()
	if !dead && g.readMu.TryLock() {
		dead = g.fail != nil || (g.pendErr != nil && !errors.Is(g.pendErr, os.ErrDeadlineExceeded))
		g.readMu.Unlock()
	}
	select {
	case <-g.closed:
		dead = true
	default:
	}
	if dead {
		close(w.gone)
		return w.gone
	}
	g.mu.Lock()
	g.watch = w
	g.mu.Unlock()
	unhook := context.AfterFunc(ctx, func() { g.requestStop(w) })
	go g.watchLoop(w, unhook)
	return w.gone
}

// StopWatch ends the active watch, if any, and waits for its goroutine to
// exit. The connection is then exactly as usable as before the watch.
func (g *GuardConn) StopWatch() {
	g.mu.Lock()
	w := g.watch
	g.mu.Unlock()
	if w != nil {
		g.requestStop(w)
		<-w.exited
	}
}

func (g *GuardConn) requestStop(w *guardWatch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.stopped {
		return
	}
	w.stopped = true
	close(w.stopCh)
	if w.reading {
		// Interrupt the pending read; watchLoop restores the deadline.
		g.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

func (g *GuardConn) watchLoop(w *guardWatch, unhook func() bool) {
	defer close(w.exited)
	defer unhook()
	// Serialize with Read (only matters if WatchClose raced a Read).
	g.readMu.Lock()
	defer g.readMu.Unlock()
	g.mu.Lock()
	if w.stopped {
		if g.watch == w {
			g.watch = nil
		}
		g.mu.Unlock()
		return
	}
	// The owner's idle deadline does not apply while it is busy.
	g.nc.SetReadDeadline(time.Time{})
	w.reading = true
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		w.reading = false
		g.nc.SetReadDeadline(g.rdDeadline)
		if g.watch == w {
			g.watch = nil
		}
		g.mu.Unlock()
	}()

	buf := make([]byte, 4096)
	for {
		g.mu.Lock()
		room := g.lim.MaxReadAhead - len(g.ahead)
		g.mu.Unlock()
		if room <= 0 {
			select {
			case <-w.stopCh:
			case <-g.closed:
				close(w.gone)
			}
			return
		}
		n, err := g.recv(buf[:min(room, len(buf))])
		g.mu.Lock()
		g.ahead = append(g.ahead, buf[:n]...)
		stopped := w.stopped
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			g.aheadErr = err
		}
		g.mu.Unlock()
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			close(w.gone)
			return
		}
		if !stopped {
			// A deadline we did not set (someone bypassed the GuardConn):
			// do not spin on it; wait for the end of the watch.
			select {
			case <-w.stopCh:
			case <-g.closed:
				close(w.gone)
			}
		}
		return
	}
}

// guardValidator tracks redcon's framing of a RESP request stream.
//
// At a request boundary a '*' starts a multibulk request, anything else an
// inline request that ends at '\n'. A multibulk request is "*<count>\r\n"
// followed by count bulks "$<len>\r\n<len bytes>\r\n". Lengths must be
// "0" or an optional '-' and a non-zero digit followed by digits (Redis'
// string2ll, stricter than redcon, which also takes "", "-0" and "007").
// Negative bulk lengths are rejected with redcon's (and Redis') error text.
// Redis treats a count <= 0 ("*0", "*-1") as a no-op, redcon errors: feedAt
// blanks such headers out.
type guardValidator struct {
	lim      *GuardLimits
	st       uint8
	line     int // bytes of the current inline request or header line
	num      guardNum
	in       guardInline
	bulks    int   // bulks left in the current multibulk request
	skip     int64 // payload bytes left in the current bulk
	cmdBytes int64 // bytes of the current multibulk request so far
	bigAt    int   // gvBigData: where its header ends in feedAt's buf
	bigHdr   int   // gvBigData: the length of its header line
}

const (
	gvTop        = iota // at a request boundary
	gvInline            // in an inline request
	gvMbHeader          // after '*'
	gvBulkDollar        // expecting '$'
	gvBulkHeader        // after '$'
	gvBulkData          // in a bulk payload
	gvBulkCR            // expecting the '\r' after a payload
	gvBulkLF            // expecting the '\n' after a payload
	gvBigData           // in a big bulk's payload, read by GuardConn.fillBig
)

func (v *guardValidator) init(lim *GuardLimits) { *v = guardValidator{lim: lim} }

// feed validates the next bytes of the stream. It returns the offset just
// past the last request boundary in b (-1 if there is none) and the first
// violation; on a violation, end only counts boundaries before it.
func (v *guardValidator) feed(b []byte) (end int, err *GuardProtocolError) {
	end, err = v.feedAt(b, 0)
	return end, err
}

// feedAt is feed for b[from:], where b[:from] holds the undelivered bytes
// that came before in the stream (at least the current '*' header so far).
// Redis ignores a multibulk header whose count is <= 0 ("*-10\r\n") and
// keeps reading; redcon rejects it. So such a header is overwritten in b
// with newlines, empty inline requests that redcon skips, and counts as a
// request boundary. Offsets are relative to b[from:].
func (v *guardValidator) feedAt(buf []byte, from int) (end int, err *GuardProtocolError) {
	b := buf[from:]
	end = -1
	i := 0
	for i < len(b) {
		switch v.st {
		case gvTop:
			if b[i] == '*' {
				i++
				v.st, v.line, v.cmdBytes = gvMbHeader, 0, 1
				continue
			}
			v.st, v.line, v.in = gvInline, 0, guardInline{}
		case gvInline:
			start := i
			for i < len(b) && b[i] != '\n' {
				v.in.add(b[i], v.line+i-start)
				i++
			}
			v.line += i - start
			if v.line > v.lim.MaxInlineLen {
				return end, guardErrBigInline
			}
			if i == len(b) {
				return end, nil
			}
			if v.in.cost(v.line) > guardInlineCostMax {
				return end, guardErrBigInline
			}
			i++
			v.st = gvTop
			end = i
		case gvMbHeader, gvBulkHeader:
			if v.line == 0 {
				// Fast path: the whole line is in b.
				if n, k := guardFastNum(b[i:]); k > 0 {
					i += k
					v.cmdBytes += int64(k)
					if v.st == gvMbHeader && n <= 0 {
						v.ignoreHeader(buf, from+i)
						end = i
						continue
					}
					if err := v.header(n, true); err != nil {
						return end, err
					}
					if v.big(from+i, k+1) {
						return end, nil
					}
					continue
				}
				v.num = guardNum{}
			}
			start := i
			for i < len(b) && b[i] != '\n' {
				v.num.add(b[i])
				i++
			}
			v.line += i - start
			v.cmdBytes += int64(i - start)
			if v.line > v.lim.MaxInlineLen {
				if v.st == gvMbHeader {
					return end, guardErrBigMbulk
				}
				return end, guardErrBigBulk
			}
			if i == len(b) {
				return end, nil
			}
			i++ // '\n'
			v.cmdBytes++
			if n, ok := v.num.value(); ok && v.st == gvMbHeader && n <= 0 {
				v.ignoreHeader(buf, from+i)
				end = i
				continue
			}
			if err := v.header(v.num.value()); err != nil {
				return end, err
			}
			if v.big(from+i, v.line+2) {
				return end, nil
			}
		case gvBulkDollar:
			if b[i] != '$' {
				return end, guardErrExpectedDollar(b[i])
			}
			i++
			v.st, v.line = gvBulkHeader, 0
			v.cmdBytes++
		case gvBulkData:
			if rest := int64(len(b) - i); v.skip+2 <= rest {
				// Fast path: the payload and its CRLF are in b.
				j := i + int(v.skip)
				if b[j] != '\r' || b[j+1] != '\n' {
					return end, guardErrBulkLen // redcon's check and text
				}
				i = j + 2
				v.cmdBytes += v.skip + 2
				if v.bulkDone() {
					end = i
				}
				continue
			}
			k := min(v.skip, int64(len(b)-i))
			i += int(k)
			v.skip -= k
			v.cmdBytes += k
			if v.skip == 0 {
				v.st = gvBulkCR
			}
		case gvBulkCR:
			if b[i] != '\r' {
				return end, guardErrBulkLen
			}
			i++
			v.st = gvBulkLF
		case gvBulkLF:
			if b[i] != '\n' {
				return end, guardErrBulkLen
			}
			i++
			v.cmdBytes += 2
			if v.bulkDone() {
				end = i
			}
		}
	}
	return end, nil
}

// header checks a complete '*' or '$' header line whose value is n (ok false
// if it did not parse) and moves on.
func (v *guardValidator) header(n int64, ok bool) *GuardProtocolError {
	if v.st == gvMbHeader {
		if !ok || n <= 0 || n > int64(v.lim.MaxMultibulkLen) {
			return guardErrMultibulkLen
		}
		v.bulks, v.st = int(n), gvBulkDollar
		return nil
	}
	if !ok || n < 0 || n > v.lim.MaxBulkLen {
		return guardErrBulkLen
	}
	if v.cmdBytes+n+2 > v.lim.MaxQueryBuffer {
		return guardErrQueryBuffer
	}
	v.skip, v.st = n, gvBulkData
	return nil
}

// ignoreHeader blanks the complete '*' header that ends at buf[at] (as far
// as buf holds it) and returns to a request boundary.
func (v *guardValidator) ignoreHeader(buf []byte, at int) {
	for j := max(0, at-int(v.cmdBytes)); j < at; j++ {
		buf[j] = '\n'
	}
	v.st = gvTop
}

// bulkDone ends a bulk and reports whether that ended the request.
func (v *guardValidator) bulkDone() bool {
	v.bulks--
	if v.bulks > 0 {
		v.st = gvBulkDollar
		return false
	}
	v.st = gvTop
	return true
}

// guardFastNum parses a complete, well-formed "<integer>\r\n" line of at most
// 18 digits at the start of b. It returns the value and the line's length, or
// k == 0 if b does not start with one (the slow path then decides).
func guardFastNum(b []byte) (n int64, k int) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		k = 1
	}
	start := k
	for k < len(b) && k-start < 18 && b[k]-'0' <= 9 {
		n = n*10 + int64(b[k]-'0')
		k++
	}
	digits := k - start
	if digits == 0 || k+1 >= len(b) || b[k] != '\r' || b[k+1] != '\n' ||
		(digits > 1 && b[start] == '0') || (neg && n == 0) {
		return 0, 0
	}
	if neg {
		n = -n
	}
	return n, k + 2
}

// guardInline estimates what redcon's inline parser costs on a line. That
// parser allocates (and zeroes) a buffer as long as the rest of the line
// every time it splits off an argument, so a line of n spaces costs n*n/2
// bytes of allocation: 1.4 s of CPU for a 64 KB line. It splits at an
// unquoted space, at an opening quote that starts an argument, and at a
// closing quote; this mirrors that (redcon stops earlier on unbalanced
// quotes, so this is an upper bound).
type guardInline struct {
	splits int64 // number of splits
	posSum int64 // sum of their offsets in the line
	quote  byte  // the open quote character, 0 outside quotes
	escape bool  // the last byte was a backslash inside quotes
	midArg bool  // inside an unquoted argument (a quote here is an error)
	cr     bool  // the last byte was '\r' (not part of the line if '\n' follows)
}

func (q *guardInline) add(c byte, pos int) {
	q.cr = c == '\r'
	if q.quote != 0 {
		switch {
		case q.escape:
			q.escape = false
		case c == q.quote:
			q.quote = 0
			q.split(pos)
		case c == '\\':
			q.escape = true
		}
		return
	}
	switch {
	case c == ' ':
		q.split(pos)
		q.midArg = false
	case (c == '"' || c == '\'') && !q.midArg:
		q.quote = c
		q.split(pos)
	default:
		q.midArg = true
	}
}

func (q *guardInline) split(pos int) {
	q.splits++
	q.posSum += int64(pos)
}

// cost returns the bytes redcon allocates for the line of length n (with
// its '\r', if any), not counting what is linear in n.
func (q *guardInline) cost(n int) int64 {
	if q.cr {
		n--
	}
	// Each split at offset p allocates n-p-1 bytes.
	return q.splits*int64(n-1) - q.posSum
}

// guardNum parses a "<integer>\r" header line incrementally.
type guardNum struct {
	val    int64
	digits int
	neg    bool
	bad    bool
	cr     bool // the last byte was '\r' (the terminator, if '\n' follows)
}

// guardNumMax is above every limit; larger values are simply invalid.
const guardNumMax = 1 << 50

func (n *guardNum) add(c byte) {
	if n.cr {
		n.bad, n.cr = true, false // a '\r' inside the line
	}
	if c == '\r' {
		n.cr = true
		return
	}
	if n.bad {
		return
	}
	switch {
	case c >= '0' && c <= '9':
		if (n.digits > 0 && n.val == 0) || n.val > guardNumMax {
			n.bad = true // leading zero, or too big to matter
			return
		}
		n.val = n.val*10 + int64(c-'0')
		n.digits++
	case c == '-' && n.digits == 0 && !n.neg:
		n.neg = true
	default:
		n.bad = true
	}
}

func (n *guardNum) value() (int64, bool) {
	if n.bad || !n.cr || n.digits == 0 || (n.neg && n.val == 0) {
		return 0, false
	}
	if n.neg {
		return -n.val, true
	}
	return n.val, true
}
