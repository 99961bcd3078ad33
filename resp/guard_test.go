package resp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/redcon"
)

// ---- helpers ---------------------------------------------------------------

// guardChunkConn is an in-memory net.Conn whose Read hands out data in chunks
// of the sizes next returns, then io.EOF. Writes are recorded.
type guardChunkConn struct {
	data []byte
	next func() int
	mu   sync.Mutex
	out  bytes.Buffer
}

func (c *guardChunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(max(c.next(), 1), len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

func (c *guardChunkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

func (c *guardChunkConn) written() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.String()
}

func (c *guardChunkConn) Close() error                     { return nil }
func (c *guardChunkConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *guardChunkConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *guardChunkConn) SetDeadline(time.Time) error      { return nil }
func (c *guardChunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *guardChunkConn) SetWriteDeadline(time.Time) error { return nil }

// guardDrain reads g to the end with buffers of the sizes psize returns. It
// returns the bytes delivered and the final error. If bounds is set, it
// checks that every Read filled p, ended on a boundary or completed a request
// (or that the stream ended right after).
func guardDrain(t testing.TB, g *GuardConn, psize func() int, bounds map[int]bool) ([]byte, error) {
	var got []byte
	short := ""
	for {
		p := make([]byte, max(psize(), 1))
		n, err := g.Read(p)
		if short != "" && (n > 0 || err == nil) {
			// Allowed only when the stream ends right after.
			t.Fatal(short)
		}
		got = append(got, p[:n]...)
		if n > 0 && bounds != nil && n < len(p) && !bounds[len(got)] {
			// A short read must complete a request, at least.
			complete := false
			for off := len(got) - n + 1; off < len(got) && !complete; off++ {
				complete = bounds[off]
			}
			if !complete {
				short = fmt.Sprintf("short read of %d/%d bytes completed no request (ends at %d)", n, len(p), len(got))
			}
		}
		if err != nil {
			return got, err
		}
		if n == 0 {
			t.Fatalf("Read returned 0, nil")
		}
	}
}

// guardBoundaries runs a validator byte by byte over data: it returns every
// request boundary (offsets just past a request), the offset of the first
// violation (-1 if none) and the violation.
func guardBoundaries(data []byte, lim GuardLimits) (map[int]bool, []int, int, *GuardProtocolError) {
	m, list, bad, err, _ := guardBoundariesOut(data, lim)
	return m, list, bad, err
}

// guardBoundariesOut is guardBoundaries that also returns the bytes the
// guard delivers for data: data with ignored '*' headers blanked.
func guardBoundariesOut(data []byte, lim GuardLimits) (map[int]bool, []int, int, *GuardProtocolError, []byte) {
	lim = lim.normalized()
	var v guardValidator
	v.init(&lim)
	m := map[int]bool{0: true}
	list := []int{0}
	out := bytes.Clone(data)
	for i := range data {
		end, err := v.feedAt(out[:i+1], i)
		if err != nil {
			return m, list, i, err, out
		}
		if end == 1 {
			m[i+1] = true
			list = append(list, i+1)
		}
	}
	return m, list, -1, nil, out
}

func guardConst(n int) func() int { return func() int { return n } }

func guardRand(rng *rand.Rand, n int) func() int { return func() int { return 1 + rng.Intn(n) } }

// guardEcho is a trivial redcon handler: PING, LEN (total argument bytes),
// QUIT, and echo of the arguments for anything else.
func guardEcho(c redcon.Conn, cmd redcon.Command) {
	switch strings.ToUpper(string(cmd.Args[0])) {
	case "PING":
		c.WriteString("PONG")
	case "QUIT":
		c.WriteString("OK")
		c.Close()
	case "LEN":
		n := 0
		for _, a := range cmd.Args[1:] {
			n += len(a)
		}
		c.WriteInt(n)
	default:
		c.WriteArray(len(cmd.Args))
		for _, a := range cmd.Args {
			c.WriteBulk(a)
		}
	}
}

// guardServer starts redcon behind the guard on 127.0.0.1:0.
func guardServer(t testing.TB, lim GuardLimits, handler func(redcon.Conn, redcon.Command)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := redcon.NewServer("", handler, nil, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(GuardListener(ln, lim))
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// guardExchange sends in on a new connection, half-closes, and returns
// everything the server sent until it closed the connection.
func guardExchange(t testing.TB, addr string, in []byte) []byte {
	t.Helper()
	c, err := guardDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(in)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("server did not close the connection: %v (got %q)", err, guardClip(out))
	}
	<-werr // write errors are fine: the server may close first
	return out
}

var guardDialSeq atomic.Uint32

// guardDial connects from a rotating loopback source address, so that the
// fuzzer's many short connections do not run out of ephemeral ports (each
// closed connection holds one in TIME_WAIT for a minute).
func guardDial(addr string) (net.Conn, error) {
	n := guardDialSeq.Add(1)
	src := net.IPv4(127, 1, byte(n>>8), byte(n))
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return net.Dial("tcp", addr)
	}
	return c, nil
}

func guardPing(t testing.TB, addr string) {
	t.Helper()
	c, err := guardDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("PING on a fresh connection: %q, %v", line, err)
	}
}

func guardClip(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func guardTCPPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-ch
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func guardMB(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// ---- limits ------------------------------------------------------------------

type guardCase struct {
	name   string
	in     string
	msg    string // "" when the input is valid
	prefix string // bytes delivered before the violation
	reply  string // what redcon+guardEcho answers to prefix
	lim    GuardLimits
}

func guardCases() []guardCase {
	big := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	const (
		mbLen   = "ERR Protocol error: invalid multibulk length"
		bulkLen = "ERR Protocol error: invalid bulk length"
	)
	ping := "*1\r\n$4\r\nPING\r\n"
	return []guardCase{
		{name: "huge count", in: "*999999999999\r\n", msg: mbLen},
		{name: "count over limit", in: "*1048577\r\n", msg: mbLen},
		{name: "count at limit partial", in: "*1048576\r\n$1\r\na\r\n"},
		{name: "count overflow", in: "*99999999999999999999999999\r\n", msg: mbLen},
		{name: "count wraps in redcon", in: "*18446744073709551617\r\n$1\r\na\r\n", msg: mbLen},
		{name: "count empty", in: "*\r\n", msg: mbLen},
		{name: "count minus zero", in: "*-0\r\n", msg: mbLen},
		{name: "count leading zero", in: "*01\r\n$1\r\na\r\n", msg: mbLen},
		{name: "count plus", in: "*+1\r\n", msg: mbLen},
		{name: "count junk", in: "*1x\r\n", msg: mbLen},
		{name: "count no CR", in: "*1\n", msg: mbLen},
		{name: "count CR inside", in: "*1\r2\r\n", msg: mbLen},
		{name: "count double CR", in: "*1\r\r\n", msg: mbLen},
		{name: "count line too long", in: "*" + big('1', 64<<10+1), msg: "ERR Protocol error: too big mbulk count string"},
		{name: "count line too long junk", in: "*" + big('x', 70000) + "\r\n", msg: "ERR Protocol error: too big mbulk count string"},
		{name: "bulk negative", in: "*1\r\n$-5\r\n", msg: bulkLen},
		{name: "bulk minus one", in: "*1\r\n$-1\r\n", msg: bulkLen},
		{name: "bulk overflow", in: "*1\r\n$99999999999999999999\r\n", msg: bulkLen},
		{name: "bulk max int64", in: "*1\r\n$9223372036854775807\r\nx", msg: bulkLen},
		{name: "bulk wraps in redcon", in: "*1\r\n$18446744073709551619\r\nabc\r\n", msg: bulkLen},
		{name: "bulk over proto-max-bulk-len", in: "*1\r\n$536870913\r\n", msg: bulkLen},
		{name: "bulk at proto-max-bulk-len partial", in: "*1\r\n$536870912\r\nabc"},
		{name: "bulk empty length", in: "*1\r\n$\r\n\r\n", msg: bulkLen},
		{name: "bulk minus zero", in: "*1\r\n$-0\r\n\r\n", msg: bulkLen},
		{name: "bulk leading zero", in: "*1\r\n$03\r\nabc\r\n", msg: bulkLen},
		{name: "bulk no CR", in: "*1\r\n$3\nabc\r\n", msg: bulkLen},
		{name: "bulk junk", in: "*1\r\n$3a\r\nabc\r\n", msg: bulkLen},
		{name: "bulk bad trailer", in: "*1\r\n$3\r\nabcXY", msg: bulkLen},
		{name: "bulk bad LF", in: "*1\r\n$3\r\nabc\rX", msg: bulkLen},
		{name: "bulk line too long", in: "*1\r\n$" + big('9', 64<<10+1), msg: "ERR Protocol error: too big bulk count string"},
		{name: "expected dollar", in: "*2\r\n$1\r\na\r\nx", msg: "ERR Protocol error: expected '$', got 'x'"},
		{name: "expected dollar CR", in: "*1\r\n\r\n", msg: "ERR Protocol error: expected '$', got ' '"},
		{name: "expected dollar star", in: "*1\r\n*1\r\n", msg: "ERR Protocol error: expected '$', got '*'"},
		{name: "inline too big", in: big('a', 64<<10+1), msg: "ERR Protocol error: too big inline request"},
		{name: "inline too big with newline", in: big('a', 64<<10+1) + "\n", msg: "ERR Protocol error: too big inline request"},
		{name: "inline at limit", in: "ECHO " + big('a', 64<<10-5) + "\n", reply: "*2\r\n$4\r\nECHO\r\n$65531\r\n" + big('a', 64<<10-5) + "\r\n"},
		{name: "inline at limit CRLF", in: "PING " + big('a', 64<<10-6) + "\r\n", reply: "+PONG\r\n"},
		{
			name: "query buffer", in: "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n",
			msg: "ERR Protocol error: client query buffer limit exceeded", lim: GuardLimits{MaxQueryBuffer: 100},
		},
		{name: "inline spaces at cost limit", in: big(' ', 1448) + "\r\n"},
		{name: "inline spaces over cost limit", in: big(' ', 1449) + "\r\n", msg: "ERR Protocol error: too big inline request"},
		{name: "inline many args over cost limit", in: "MSET" + strings.Repeat(" k v", 1000) + "\n", msg: "ERR Protocol error: too big inline request"},
		{name: "inline many args", in: "MSET" + strings.Repeat(" k v", 300) + "\n", reply: guardMB(append([]string{"MSET"}, strings.Split(strings.Repeat("k v ", 300), " ")[:600]...)...)},
		{name: "inline quoted spaces", in: "SET k \"" + strings.Repeat("a b ", 15000) + "\"\r\n", reply: guardMB("SET", "k", strings.Repeat("a b ", 15000))},
		{name: "inline escaped quote", in: "SET k \"" + strings.Repeat("\\\" ", 6000) + "\"\r\n", reply: guardMB("SET", "k", strings.Repeat("\" ", 6000))},
		{name: "error then flood", in: "*x\r\n" + big('a', 200000), msg: mbLen},
		{name: "custom count", in: "*3\r\n", msg: mbLen, lim: GuardLimits{MaxMultibulkLen: 2}},
		{name: "custom bulk", in: "*1\r\n$11\r\n", msg: bulkLen, lim: GuardLimits{MaxBulkLen: 10}},
		{name: "custom inline", in: "PING PING\r\n", msg: "ERR Protocol error: too big inline request", lim: GuardLimits{MaxInlineLen: 8}},
		{
			name: "prefix delivered", in: "PING\r\n" + ping + "\r\n*x\r\n",
			msg: mbLen, prefix: "PING\r\n" + ping + "\r\n", reply: "+PONG\r\n+PONG\r\n",
		},
		{
			name: "prefix then bad bulk", in: ping + "*2\r\n$3\r\nGET\r\n$-5\r\n" + ping,
			msg: bulkLen, prefix: ping, reply: "+PONG\r\n",
		},
		{name: "valid pipeline", in: ping + "PING\n" + guardMB("SET", "k", "a\r\nb*$"), reply: "+PONG\r\n+PONG\r\n" + guardMB("SET", "k", "a\r\nb*$")},
	}
}

func TestGuardLimits(t *testing.T) {
	for _, tc := range guardCases() {
		for _, chunk := range []int{1, 3, 4096, 1 << 20} {
			t.Run(fmt.Sprintf("%s/chunk%d", tc.name, chunk), func(t *testing.T) {
				var cbErr *GuardProtocolError
				lim := tc.lim
				lim.OnViolation = func(c *GuardConn, err *GuardProtocolError) { cbErr = err }
				cc := &guardChunkConn{data: []byte(tc.in), next: guardConst(chunk)}
				g := NewGuardConn(cc, lim)
				got, err := guardDrain(t, g, guardConst(4096), nil)
				if tc.msg == "" {
					if err != io.EOF || string(got) != tc.in || cc.written() != "" {
						t.Fatalf("valid input: got %q, %v, wrote %q", guardClip(got), err, cc.written())
					}
					return
				}
				var pe *GuardProtocolError
				if !errors.As(err, &pe) || pe.Msg != tc.msg {
					t.Fatalf("error %v, want %q", err, tc.msg)
				}
				if cbErr != pe {
					t.Fatalf("OnViolation got %v", cbErr)
				}
				if w := cc.written(); w != "-"+tc.msg+"\r\n" {
					t.Fatalf("wrote %q", w)
				}
				// Only whole requests before the bad one reach redcon (plus,
				// for a long bad request, full buffers of its start).
				if !strings.HasPrefix(tc.in, string(got)) || !strings.HasPrefix(string(got), tc.prefix) {
					t.Fatalf("delivered %q, want prefix %q", guardClip(got), tc.prefix)
				}
				// Sticky, and the reply is written once.
				if _, err2 := g.Read(make([]byte, 10)); err2 != err {
					t.Fatalf("second Read: %v", err2)
				}
				if w := cc.written(); w != "-"+tc.msg+"\r\n" {
					t.Fatalf("wrote %q", w)
				}
			})
		}
	}
}

// TestGuardEndToEnd puts the guard in front of a real redcon server.
func TestGuardEndToEnd(t *testing.T) {
	for _, tc := range guardCases() {
		t.Run(tc.name, func(t *testing.T) {
			addr := guardServer(t, tc.lim, guardEcho)
			out := string(guardExchange(t, addr, []byte(tc.in)))
			want := tc.reply
			if tc.msg != "" {
				want += "-" + tc.msg + "\r\n"
			}
			if out != want {
				t.Fatalf("got %q\nwant %q", guardClip([]byte(out)), guardClip([]byte(want)))
			}
			guardPing(t, addr)
		})
	}
}

// TestGuardRedconRejectsNonPositive checks the claim that redcon itself fails
// cleanly, with the same texts, on what the guard rejects for it.
func TestGuardRedconRejectsNonPositive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := redcon.NewServer("", guardEcho, nil, nil)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	defer func() { srv.Close(); <-done }()
	for in, want := range map[string]string{
		"*0\r\n":           "-ERR Protocol error: invalid multibulk length\r\n",
		"*-1\r\n":          "-ERR Protocol error: invalid multibulk length\r\n",
		"*1\r\n$-5\r\n":    "-ERR Protocol error: invalid bulk length\r\n",
		"*1\r\nx":          "-ERR Protocol error: expected '$', got 'x'\r\n",
		"*1\r\n$1\r\nabc":  "-ERR Protocol error: invalid bulk length\r\n",
		"\"unbalanced\r\n": "-ERR Protocol error: unbalanced quotes in request\r\n",
	} {
		if out := string(guardExchange(t, ln.Addr().String(), []byte(in))); out != want {
			t.Errorf("redcon on %q: %q, want %q", in, out, want)
		}
	}
}

// ---- stream identity -------------------------------------------------------

// guardPipeline builds a valid request stream mixing multibulk requests (with
// binary payloads that look like RESP) and inline requests.
func guardPipeline(rng *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for range n {
		switch rng.Intn(8) {
		case 0:
			b.WriteString("PING\r\n")
		case 1:
			b.WriteString("set foo \"bar baz\"\n")
		case 2:
			b.WriteString("\r\n") // empty inline line
		case 3:
			b.WriteString("   \n")
		default:
			args := []string{"SET"}
			for range rng.Intn(4) {
				v := make([]byte, rng.Intn(40))
				for i := range v {
					v[i] = "*$\r\n0123abc"[rng.Intn(11)]
				}
				args = append(args, string(v))
			}
			if rng.Intn(50) == 0 {
				args = append(args, strings.Repeat("x", rng.Intn(200000)))
			}
			b.WriteString(guardMB(args...))
		}
	}
	return b.Bytes()
}

func TestGuardStreamIdentical(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	data := guardPipeline(rng, 3000)
	bounds, _, bad, _ := guardBoundaries(data, GuardLimits{})
	if bad >= 0 {
		t.Fatalf("pipeline invalid at %d", bad)
	}
	type sched struct {
		name         string
		chunk, psize func() int
	}
	scheds := []sched{
		{"byte-by-byte/p4096", guardConst(1), guardConst(4096)},
		{"byte-by-byte/p1", guardConst(1), guardConst(1)},
		{"chunk4096/p4096", guardConst(4096), guardConst(4096)},
		{"random/p4096", guardRand(rng, 5000), guardConst(4096)},
		{"random/prandom", guardRand(rng, 5000), guardRand(rng, 9000)},
		{"random-small/p7", guardRand(rng, 10), guardConst(7)},
		{"big/pbig", guardConst(1 << 20), guardConst(1 << 20)},
	}
	for _, s := range scheds {
		t.Run(s.name, func(t *testing.T) {
			cc := &guardChunkConn{data: data, next: s.chunk}
			g := NewGuardConn(cc, GuardLimits{})
			got, err := guardDrain(t, g, s.psize, bounds)
			if err != io.EOF || !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes (want %d), err %v", len(got), len(data), err)
			}
			if w := cc.written(); w != "" {
				t.Fatalf("guard wrote %q", w)
			}
		})
	}
}

// TestGuardPipelineThroughRedcon checks that redcon answers a pipeline sent in
// random chunks through the guard exactly as it does without the guard.
func TestGuardPipelineThroughRedcon(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	data := guardPipeline(rng, 2000)
	run := func(addr string) []byte {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		go func() {
			rng := rand.New(rand.NewSource(3))
			for off := 0; off < len(data); {
				k := min(1+rng.Intn(3000), len(data)-off)
				if _, err := c.Write(data[off : off+k]); err != nil {
					return
				}
				off += k
				if rng.Intn(20) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			c.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	guarded := run(guardServer(t, GuardLimits{}, guardEcho))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := redcon.NewServer("", guardEcho, nil, nil)
	go srv.Serve(ln)
	defer srv.Close()
	plain := run(ln.Addr().String())
	if !bytes.Equal(guarded, plain) || len(plain) == 0 {
		t.Fatalf("guarded output (%d bytes) differs from plain redcon (%d bytes)", len(guarded), len(plain))
	}
}

// TestGuardInline covers redis-benchmark's PING_INLINE and telnet-style use.
func TestGuardInline(t *testing.T) {
	addr := guardServer(t, GuardLimits{}, guardEcho)
	var in, want strings.Builder
	for range 1000 {
		in.WriteString("PING\r\n")
		want.WriteString("+PONG\r\n")
	}
	in.WriteString("echo hello 'a b'\n\n\r\nping\n")
	want.WriteString(guardMB("echo", "hello", "a b") + "+PONG\r\n")
	if out := string(guardExchange(t, addr, []byte(in.String()))); out != want.String() {
		t.Fatalf("got %q", guardClip([]byte(out)))
	}
	// Typed one byte at a time, the way a telnet in character mode sends.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for _, ch := range []byte("ping\r\n") {
		if _, err := c.Write([]byte{ch}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if line, err := br.ReadString('\n'); line != "+PONG\r\n" {
		t.Fatalf("got %q, %v", line, err)
	}
}

// TestGuardBigValue sends requests near the interesting sizes through redcon.
func TestGuardBigValue(t *testing.T) {
	addr := guardServer(t, GuardLimits{}, guardEcho)
	var in, want strings.Builder
	for _, n := range []int{0, 1, 4093, 4094, 4095, 4096, 4097, 65536, 1 << 20, 8<<20 + 3} {
		in.WriteString(guardMB("LEN", strings.Repeat("v", n)))
		in.WriteString("PING\r\n")
		fmt.Fprintf(&want, ":%d\r\n+PONG\r\n", n)
	}
	if out := string(guardExchange(t, addr, []byte(in.String()))); out != want.String() {
		t.Fatalf("got %q want %q", guardClip([]byte(out)), want.String())
	}
}

// TestGuardHugeCountSlowFeed streams a request with a large argument count
// in small, spaced writes. redcon re-parses an incomplete request from its
// start, looping over the whole count, on every read that returns data:
// without the guard that is once per network read (7 s of CPU for a
// 1M-argument request sent 1 KB at a time). The guard fills redcon's buffer
// instead, so it reads O(log size) times.
func TestGuardHugeCountSlowFeed(t *testing.T) {
	var reads atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := redcon.NewServer("", guardEcho, nil, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(&guardCountingListener{GuardListener(ln, GuardLimits{}), &reads})
	}()
	defer func() { srv.Close(); <-done }()

	var b strings.Builder
	n := 1 << 16
	fmt.Fprintf(&b, "*%d\r\n$3\r\nLEN\r\n", n)
	for range n - 1 {
		b.WriteString("$1\r\nx\r\n")
	}
	data := []byte(b.String())
	c, err := guardDial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	writes := (len(data) + 1023) / 1024
	go func() {
		for off := 0; off < len(data); off += 1024 {
			c.Write(data[off:min(off+1024, len(data))])
			time.Sleep(50 * time.Microsecond) // keep network reads small
		}
	}()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != fmt.Sprintf(":%d\r\n", n-1) {
		t.Fatalf("got %q, %v", line, err)
	}
	t.Logf("%d-argument request in %d writes: redcon got %d reads", n, writes, reads.Load())
	if reads.Load() > 40 {
		t.Errorf("redcon got %d reads for one %d-byte request", reads.Load(), len(data))
	}
}

// guardCountingListener counts the reads that return data.
type guardCountingListener struct {
	net.Listener
	reads *atomic.Int64
}

func (l *guardCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardCountingConn{c, l.reads}, nil
}

type guardCountingConn struct {
	net.Conn
	reads *atomic.Int64
}

func (c *guardCountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	return n, err
}

// guardRedconBufCap reads the capacity of redcon's read buffer (an unexported
// field) for the test below; -1 if redcon's layout changed.
func guardRedconBufCap(c redcon.Conn) (n int) {
	defer func() {
		if recover() != nil {
			n = -1
		}
	}()
	v := reflect.ValueOf(c).Elem().FieldByName("rd").Elem().FieldByName("buf")
	if v.Kind() != reflect.Slice {
		return -1
	}
	return v.Cap()
}

// TestGuardBoundsRedconBuffer streams valid pipelined requests in odd-sized
// writes. Without the guard redcon's buffer only shrinks when a read happens
// to end on a request boundary, so it grows with the traffic (to hundreds of
// MB); with the guard every read ends on a boundary or fills the buffer.
func TestGuardBoundsRedconBuffer(t *testing.T) {
	var maxCap atomic.Int64
	var cmds atomic.Int64
	addr := guardServer(t, GuardLimits{}, func(c redcon.Conn, cmd redcon.Command) {
		n := int64(guardRedconBufCap(c))
		for {
			old := maxCap.Load()
			if n <= old || maxCap.CompareAndSwap(old, n) {
				break
			}
		}
		cmds.Add(1)
		c.WriteString("OK")
	})
	unit := []byte(guardMB("SET", "key", "value"))
	data := bytes.Repeat(unit, (32<<20)/len(unit))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go io.Copy(io.Discard, c)
	rng := rand.New(rand.NewSource(4))
	for off := 0; off < len(data); {
		k := min(1+rng.Intn(3000), len(data)-off)
		if _, err := c.Write(data[off : off+k]); err != nil {
			t.Fatal(err)
		}
		off += k
	}
	deadline := time.Now().Add(20 * time.Second)
	for cmds.Load() < int64(len(data)/len(unit)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := maxCap.Load(); got < 0 {
		t.Skip("redcon internals changed")
	} else if got > 1<<20 {
		t.Fatalf("redcon buffer grew to %d bytes on 32 MB of small requests", got)
	} else {
		t.Logf("max redcon buffer: %d bytes, %d requests", got, cmds.Load())
	}
}

// ---- WatchClose --------------------------------------------------------------

func guardAheadLen(g *GuardConn) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.ahead)
}

func guardWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func guardClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestGuardWatchDetectsPeerClose(t *testing.T) {
	client, sc := guardTCPPair(t)
	g := NewGuardConn(sc, GuardLimits{})
	gone := g.WatchClose(context.Background())
	defer g.StopWatch()
	in := "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\nfo"
	client.Write([]byte(in))
	client.Close()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("peer close not detected")
	}
	g.StopWatch()
	// Everything read ahead comes back, in order, then the read error.
	got, err := guardDrain(t, g, guardConst(4096), nil)
	if string(got) != in || err != io.EOF {
		t.Fatalf("got %q, %v", got, err)
	}
	// A new watch on a dead connection reports it at once.
	if !guardClosed(g.WatchClose(context.Background())) {
		t.Fatal("watch on a dead connection not closed")
	}
}

func TestGuardWatchStopKeepsBytes(t *testing.T) {
	for _, how := range []string{"cancel", "stop", "read"} {
		t.Run(how, func(t *testing.T) {
			client, sc := guardTCPPair(t)
			g := NewGuardConn(sc, GuardLimits{})
			// An owner deadline set before the watch comes back after it.
			g.SetReadDeadline(time.Now().Add(time.Hour))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			gone := g.WatchClose(ctx)
			defer g.StopWatch()
			a := "*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk"
			client.Write([]byte(a))
			guardWaitFor(t, "read-ahead", func() bool { return guardAheadLen(g) == len(a) })
			switch how {
			case "cancel":
				cancel()
				guardWaitFor(t, "watch end", func() bool {
					g.mu.Lock()
					defer g.mu.Unlock()
					return g.watch == nil
				})
			case "stop":
				g.StopWatch()
			case "read": // Read ends the watch by itself
			}
			if guardClosed(gone) {
				t.Fatal("gone closed without a peer close")
			}
			b := "\r\n$1\r\nv\r\nPING\r\n"
			client.Write([]byte(b))
			buf := make([]byte, 4096)
			var got []byte
			for len(got) < len(a)+len(b) {
				n, err := g.Read(buf)
				if err != nil {
					t.Fatalf("Read after watch: %v (got %q)", err, got)
				}
				got = append(got, buf[:n]...)
			}
			if string(got) != a+b {
				t.Fatalf("got %q", got)
			}
			// The connection is usable: a blocked read is not cut short by a
			// leftover past deadline, and writes work.
			go func() {
				time.Sleep(50 * time.Millisecond)
				client.Write([]byte("PING\r\n"))
			}()
			if n, err := g.Read(buf); err != nil || string(buf[:n]) != "PING\r\n" {
				t.Fatalf("Read: %q, %v", buf[:n], err)
			}
			if _, err := g.Write([]byte("+PONG\r\n")); err != nil {
				t.Fatal(err)
			}
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if line, err := bufio.NewReader(client).ReadString('\n'); line != "+PONG\r\n" {
				t.Fatalf("client got %q, %v", line, err)
			}
		})
	}
}

// TestGuardWatchDeadlines: the owner's idle deadline does not end a watch,
// a deadline set during a watch applies after it, and a cancelled context
// ends the watch at once.
func TestGuardWatchDeadlines(t *testing.T) {
	client, sc := guardTCPPair(t)
	g := NewGuardConn(sc, GuardLimits{})
	g.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	gone := g.WatchClose(context.Background())
	time.Sleep(100 * time.Millisecond)
	if guardClosed(gone) {
		t.Fatal("idle deadline ended the watch as if the peer had gone")
	}
	client.Write([]byte("PING\r\n"))
	guardWaitFor(t, "read-ahead", func() bool { return guardAheadLen(g) == 6 })
	g.SetReadDeadline(time.Now().Add(time.Hour)) // recorded, applied at the end
	g.StopWatch()
	buf := make([]byte, 64)
	if n, err := g.Read(buf); err != nil || string(buf[:n]) != "PING\r\n" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
	// A deadline in the past set during a watch makes the next Read time out.
	g.WatchClose(context.Background())
	guardWaitFor(t, "watch to read", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.watch != nil && g.watch.reading
	})
	g.SetReadDeadline(time.Unix(1, 0))
	g.StopWatch()
	if _, err := g.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read after past deadline: %v", err)
	}
	// The timeout is not sticky.
	g.SetReadDeadline(time.Time{})
	client.Write([]byte("PING\r\n"))
	if n, err := g.Read(buf); err != nil || string(buf[:n]) != "PING\r\n" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
	// Cancelled context: the watch ends by itself.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone = g.WatchClose(ctx)
	guardWaitFor(t, "watch end", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.watch == nil
	})
	if guardClosed(gone) {
		t.Fatal("gone closed")
	}
	client.Write([]byte("PING\r\n"))
	if n, err := g.Read(buf); err != nil || string(buf[:n]) != "PING\r\n" {
		t.Fatalf("Read: %q, %v", buf[:n], err)
	}
}

// TestGuardIdleClose runs the guard under redcon's idle timeout.
func TestGuardIdleClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := redcon.NewServer("", guardEcho, nil, nil)
	srv.SetIdleClose(100 * time.Millisecond)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(GuardListener(ln, GuardLimits{})) }()
	defer func() { srv.Close(); <-done }()
	c, err := guardDial(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("PING\r\n*1\r\n$4\r\nPI"))
	start := time.Now()
	out, err := io.ReadAll(c)
	if err != nil || string(out) != "+PONG\r\n" {
		t.Fatalf("got %q, %v", out, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("idle close took %v", d)
	}
}

func TestGuardWatchCloseLocal(t *testing.T) {
	_, sc := guardTCPPair(t)
	g := NewGuardConn(sc, GuardLimits{})
	gone := g.WatchClose(context.Background())
	g.Close()
	if !guardClosed(gone) {
		t.Fatal("Close did not close gone")
	}
}

func TestGuardWatchReadAheadLimit(t *testing.T) {
	client, sc := guardTCPPair(t)
	g := NewGuardConn(sc, GuardLimits{MaxReadAhead: 10})
	gone := g.WatchClose(context.Background())
	in := strings.Repeat("PING\r\n", 100)
	client.Write([]byte(in))
	guardWaitFor(t, "read-ahead", func() bool { return guardAheadLen(g) >= 10 })
	time.Sleep(20 * time.Millisecond)
	if n := guardAheadLen(g); n != 10 {
		t.Fatalf("read ahead %d bytes, limit 10", n)
	}
	client.Close()
	time.Sleep(20 * time.Millisecond)
	if guardClosed(gone) {
		t.Fatal("full read-ahead should not see the close")
	}
	g.StopWatch()
	got, err := guardDrain(t, g, guardConst(4096), nil)
	if string(got) != in || err != io.EOF {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
}

func TestGuardWatchNoLeak(t *testing.T) {
	client, sc := guardTCPPair(t)
	g := NewGuardConn(sc, GuardLimits{})
	buf := make([]byte, 64)
	for i := range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		g.WatchClose(ctx)
		msg := "PING " + strconv.Itoa(i) + "\r\n"
		client.Write([]byte(msg))
		switch i % 3 {
		case 0:
			g.StopWatch()
		case 1:
			cancel()
		}
		n, err := g.Read(buf) // ends the watch in every case
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("round %d: %q, %v", i, buf[:n], err)
		}
		cancel()
	}
	guardWaitFor(t, "goroutines to exit", func() bool { return watchGoroutines() == 0 })
	// Cancelling alone ends the goroutine, without anyone waiting for it.
	ctx, cancel := context.WithCancel(context.Background())
	g.WatchClose(ctx)
	if n := watchGoroutines(); n != 1 {
		t.Fatalf("%d watch goroutines, want 1", n)
	}
	cancel()
	guardWaitFor(t, "goroutine to exit after cancel", func() bool { return watchGoroutines() == 0 })
}

// watchGoroutines counts live watch goroutines by their stacks: the total
// goroutine count also moves with other tests' goroutines exiting.
func watchGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	// "created by" names the spawner on a goroutine that has not run yet too.
	return strings.Count(string(buf), "created by github.com/geomys/geomys/resp.(*GuardConn).WatchClose")
}

// TestGuardBlockedClientE2E is the use case: a handler blocked in a command
// notices the client went away.
func TestGuardBlockedClientE2E(t *testing.T) {
	noticed := make(chan struct{})
	addr := guardServer(t, GuardLimits{}, func(c redcon.Conn, cmd redcon.Command) {
		if strings.ToUpper(string(cmd.Args[0])) != "BLOCK" {
			guardEcho(c, cmd)
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		gone := c.NetConn().(*GuardConn).WatchClose(ctx)
		timeout := 10 * time.Second // BLOCK: until the client goes
		if len(cmd.Args) > 1 {
			timeout = 100 * time.Millisecond // BLOCK 1: a short block
		}
		select {
		case <-gone:
			close(noticed)
		case <-time.After(timeout):
			c.WriteString("DONE")
		}
	})
	// A block that ends normally: the PING sent meanwhile was read ahead and
	// is answered afterwards.
	c0, err := guardDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c0.Close()
	c0.SetDeadline(time.Now().Add(10 * time.Second))
	c0.Write([]byte("BLOCK 1\r\n"))
	time.Sleep(30 * time.Millisecond)
	c0.Write([]byte("PING\r\n"))
	br := bufio.NewReader(c0)
	for _, want := range []string{"+DONE\r\n", "+PONG\r\n"} {
		if line, err := br.ReadString('\n'); line != want {
			t.Fatalf("got %q, %v; want %q", line, err, want)
		}
	}
	// A block whose client goes away.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("BLOCK\r\nPING\r\n"))
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case <-noticed:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked handler did not notice the disconnect")
	}
	guardPing(t, addr)
}

// ---- fuzzing ---------------------------------------------------------------

func guardSeeds() [][]byte {
	seeds := [][]byte{
		[]byte("*999999999999\r\n"),
		[]byte("*1\r\n$9223372036854775807\r\n"),
		[]byte("*1\r\n$18446744073709551619\r\nabc\r\n"),
		[]byte("*18446744073709551617\r\n$1\r\na\r\n"),
		[]byte("*1\r\n$-5\r\n"),
		[]byte("*0\r\n*-1\r\n"),
		[]byte("*1\r\n$\r\n\r\n"),
		[]byte("*1\r\n$4\r\nPING\r\nPING\r\n"),
		[]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI"),
		[]byte("\"unbalanced\r\nPING\r\n"),
		[]byte("set a 'b'c\r\n"),
		[]byte("\r\n\n   \nPING\n"),
		[]byte("*1\r\nx"),
		[]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n"),
		[]byte("*1048576\r\n$0\r\n\r\n$0\r\n\r\n"),
		[]byte("$5\r\nhello\r\n"),
		[]byte("*1\r\n$1\r\na\rX"),
		append([]byte("*"), bytes.Repeat([]byte("9"), 70000)...),
		bytes.Repeat([]byte("a"), 70000),
	}
	for _, tc := range guardCases() {
		if len(tc.in) < 1024 {
			seeds = append(seeds, []byte(tc.in))
		}
	}
	return seeds
}

var (
	guardFuzzOnce sync.Once
	guardFuzzAddr string
)

// FuzzGuard feeds arbitrary bytes through guard+redcon over TCP and checks
// that the server closes the connection in time, does not panic (a panic in
// redcon kills the process), and still answers PING on a new connection.
func FuzzGuard(f *testing.F) {
	for _, s := range guardSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		guardFuzzOnce.Do(func() {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			srv := redcon.NewServer("", guardEcho, nil, nil)
			go srv.Serve(GuardListener(ln, GuardLimits{})) // lives for the process
			guardFuzzAddr = ln.Addr().String()
		})
		guardExchange(t, guardFuzzAddr, in)
		guardPing(t, guardFuzzAddr)
	})
}

// FuzzGuardFraming is an in-process differential check (much faster than
// FuzzGuard): every request the validator accepts is framed the same way by
// redcon, any chunking of the input through GuardConn gives the same bytes and
// the same verdict, and redcon never sees a prefix it mishandles.
func FuzzGuardFraming(f *testing.F) {
	for i, s := range guardSeeds() {
		f.Add(s, int64(i))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed int64) {
		lim := GuardLimits{MaxInlineLen: 64, MaxMultibulkLen: 16, MaxBulkLen: 1 << 16, MaxQueryBuffer: 1 << 20}
		bounds, list, bad, verr, want := guardBoundariesOut(in, lim)
		orig := in
		in = want // what redcon is given: ignored headers blanked

		// 1. Each accepted request parses in redcon to exactly its bytes.
		for k := 1; k < len(list); k++ {
			seg := in[list[k-1]:list[k]]
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("redcon panicked on accepted request %q: %v", seg, r)
					}
				}()
				cmd, err := redcon.Parse(seg)
				if seg[0] == '*' {
					if err != nil || !bytes.Equal(cmd.Raw, seg) {
						t.Fatalf("redcon frames accepted request %q differently: %q, %v", seg, cmd.Raw, err)
					}
					if _, err := redcon.Parse(seg[:len(seg)-1]); err == nil || err.Error() != "incomplete command" {
						t.Fatalf("redcon accepts truncated request %q: %v", seg[:len(seg)-1], err)
					}
				} else if err != nil && err.Error() != "incomplete command" && !strings.Contains(err.Error(), "unbalanced quotes") {
					t.Fatalf("redcon on inline %q: %v", seg, err)
				}
			}()
		}
		// 2. The accepted start of the last (incomplete or bad) request does
		// not make redcon panic, and it is incomplete for redcon too.
		tailEnd := len(in)
		if bad >= 0 {
			tailEnd = bad
		}
		if tail := in[list[len(list)-1]:tailEnd]; len(tail) > 0 {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("redcon panicked on accepted prefix %q: %v", tail, r)
					}
				}()
				_, err := redcon.Parse(tail)
				if tail[0] == '*' && (err == nil || err.Error() != "incomplete command") {
					t.Fatalf("redcon on accepted incomplete prefix %q: %v", tail, err)
				}
			}()
		}
		// 3. Any chunking gives the same bytes and verdict.
		rng := rand.New(rand.NewSource(seed))
		for range 3 {
			cc := &guardChunkConn{data: orig, next: guardRand(rng, 1+rng.Intn(64))}
			g := NewGuardConn(cc, lim)
			got, err := guardDrain(t, g, guardRand(rng, 1+rng.Intn(128)), bounds)
			if !bytes.HasPrefix(in, got) {
				t.Fatalf("delivered bytes are not a prefix of the input")
			}
			if verr == nil {
				if err != io.EOF || len(got) != len(in) {
					t.Fatalf("valid input: delivered %d/%d bytes, %v", len(got), len(in), err)
				}
				continue
			}
			var pe *GuardProtocolError
			if !errors.As(err, &pe) || pe.Msg != verr.Msg {
				t.Fatalf("chunked verdict %v, byte-wise %v", err, verr)
			}
			if len(got) < list[len(list)-1] || len(got) > bad {
				t.Fatalf("delivered %d bytes; requests end at %d, violation at %d", len(got), list[len(list)-1], bad)
			}
			if cc.written() != "-"+verr.Msg+"\r\n" {
				t.Fatalf("wrote %q", cc.written())
			}
		}
	})
}

// ---- benchmarks ----------------------------------------------------------------

func BenchmarkGuardRead(b *testing.B) {
	unit := []byte(guardMB("SET", "key:000123", strings.Repeat("v", 64)))
	data := bytes.Repeat(unit, (1<<20)/len(unit))
	buf := make([]byte, 4096)
	for _, guarded := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guarded), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				cc := &guardChunkConn{data: data, next: guardConst(4096)}
				var r io.Reader = cc
				if guarded {
					r = NewGuardConn(cc, GuardLimits{})
				}
				for {
					if _, err := r.Read(buf); err != nil {
						break
					}
				}
			}
		})
	}
}

func BenchmarkGuardRedconReader(b *testing.B) {
	unit := []byte(guardMB("SET", "key:000123", strings.Repeat("v", 64)))
	data := bytes.Repeat(unit, (1<<20)/len(unit))
	for _, guarded := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guarded), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				cc := &guardChunkConn{data: data, next: guardConst(1 << 16)}
				var r io.Reader = cc
				if guarded {
					r = NewGuardConn(cc, GuardLimits{})
				}
				rd := redcon.NewReader(r)
				for {
					if _, err := rd.ReadCommands(); err != nil {
						break
					}
				}
			}
		})
	}
}

// BenchmarkGuardTCPPipeline measures redcon over loopback TCP with and
// without the guard: pipelined SETs (b.N requests), and PING round trips.
func BenchmarkGuardTCPPipeline(b *testing.B) {
	unit := []byte(guardMB("SET", "key:000123", strings.Repeat("v", 64)))
	h := func(c redcon.Conn, cmd redcon.Command) { c.WriteString("OK") }
	for _, guarded := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guarded), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := redcon.NewServer("", h, nil, nil)
			var l net.Listener = ln
			if guarded {
				l = GuardListener(ln, GuardLimits{})
			}
			go srv.Serve(l)
			defer srv.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			batch := bytes.Repeat(unit, 500)
			b.SetBytes(int64(len(unit)))
			b.ResetTimer()
			done := make(chan struct{})
			go func() {
				defer close(done)
				need := b.N * len("+OK\r\n")
				buf := make([]byte, 1<<16)
				for need > 0 {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					need -= n
				}
			}()
			for sent := 0; sent < b.N; {
				k := min(500, b.N-sent)
				if _, err := c.Write(batch[:k*len(unit)]); err != nil {
					b.Fatal(err)
				}
				sent += k
			}
			<-done
		})
	}
}

func BenchmarkGuardTCPPing(b *testing.B) {
	h := func(c redcon.Conn, cmd redcon.Command) { c.WriteString("PONG") }
	for _, guarded := range []bool{false, true} {
		b.Run(fmt.Sprintf("guard=%v", guarded), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := redcon.NewServer("", h, nil, nil)
			var l net.Listener = ln
			if guarded {
				l = GuardListener(ln, GuardLimits{})
			}
			go srv.Serve(l)
			defer srv.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 64)
			req := []byte("*1\r\n$4\r\nPING\r\n")
			for b.Loop() {
				c.Write(req)
				if _, err := io.ReadFull(c, buf[:7]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGuardIgnoresNonPositiveCount: Redis skips a multibulk header whose
// count is <= 0 and keeps the connection; redcon would fail, so the guard
// blanks the header out, even when it arrives split across reads.
func TestGuardIgnoresNonPositiveCount(t *testing.T) {
	ping := "*1\r\n$4\r\nPING\r\n"
	for _, in := range []string{
		"*-10\r\n" + ping,
		"*0\r\n*-1\r\n" + ping + "*-999999\r\n" + ping,
		ping + "*-3\r\n*1\r\n$4\r\nPING\r\n",
	} {
		want := []byte(in)
		for _, h := range []string{"*-10\r\n", "*0\r\n", "*-1\r\n", "*-999999\r\n", "*-3\r\n"} {
			want = bytes.ReplaceAll(want, []byte(h), bytes.Repeat([]byte("\n"), len(h)))
		}
		for _, chunk := range []int{1, 2, 3, 5, 4096} {
			for _, psize := range []int{16, 17, 23, 4096} {
				cc := &guardChunkConn{data: []byte(in), next: guardConst(chunk)}
				g := NewGuardConn(cc, GuardLimits{})
				got, err := guardDrain(t, g, guardConst(psize), nil)
				if err != io.EOF || !bytes.Equal(got, want) || cc.written() != "" {
					t.Fatalf("%q chunk %d read %d: got %q, %v, wrote %q", in, chunk, psize, got, err, cc.written())
				}
			}
		}
		addr := guardServer(t, GuardLimits{}, guardEcho)
		out := string(guardExchange(t, addr, []byte(in)))
		if wantOut := strings.Repeat("+PONG\r\n", strings.Count(in, "PING")); out != wantOut {
			t.Fatalf("redcon behind the guard answered %q to %q, want %q", out, in, wantOut)
		}
	}
}
