// Package test is Geomys' end-to-end suite: every test starts the real
// bin/geomys on free loopback ports and talks to it with real clients
// (go-redis, redis-cli, redis-benchmark, and the stock redis-server).
package test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/resp"

	"github.com/redis/go-redis/v9"
)

var geomysBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "geomys-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	geomysBin = filepath.Join(dir, "geomys")
	// GEOMYS_RACE=1 builds the server with the race detector, so the
	// end-to-end tests also check the server's own concurrency.
	buildArgs := []string{"build", "-o", geomysBin}
	if os.Getenv("GEOMYS_RACE") != "" {
		buildArgs = append(buildArgs, "-race")
	}
	build := exec.Command("go", append(buildArgs, "..")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building geomys:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t testing.TB) int { return testutil.FreePort(t) }

// node is one running geomys process.
type node struct {
	t        testing.TB
	port     int
	raftPort int
	dir      string
	args     []string
	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{}
	// password is the default user's, for the readiness probe of a node
	// whose ACL requires one.
	password string
}

type syncBuffer = testutil.SyncBuffer

// startNode runs geomys with a fresh data dir (or dir, if given via withDir).
func startNode(t testing.TB, extra ...string) *node {
	t.Helper()
	n := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(), args: extra}
	n.start()
	t.Cleanup(func() {
		n.kill()
		n.checkRace()
	})
	return n
}

// checkRace fails the test if a race-detector build reported a data race.
func (n *node) checkRace() {
	if n.log != nil && strings.Contains(n.log.String(), "WARNING: DATA RACE") {
		n.t.Errorf("data race in geomys on %s:\n%s", n.addr(), n.log.String())
	}
}

func (n *node) start() {
	n.t.Helper()
	first := n.cmd == nil
	n.launch()
	// A free port can still be taken (e.g. as the local port of some
	// outgoing connection) before the server binds it; a fresh node then
	// simply starts again on another one.
	for try := 0; first && try < 3 && n.bindConflict(); try++ {
		n.port, n.raftPort = freePort(n.t), freePort(n.t)
		n.launch()
	}
	n.waitReady()
}

// bindConflict waits briefly to see whether the process exits because its
// port is taken.
func (n *node) bindConflict() bool {
	for i := 0; i < 20; i++ {
		select {
		case <-n.exited:
			return strings.Contains(n.log.String(), "address already in use")
		default:
		}
		if c, err := net.DialTimeout("tcp", n.addr(), 100*time.Millisecond); err == nil {
			c.Close()
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false
}

// launch starts the process without waiting for it to serve.
func (n *node) launch() {
	n.t.Helper()
	args := []string{"--port", strconv.Itoa(n.port), "--dir", n.dir,
		"--raft-addr", "127.0.0.1:" + strconv.Itoa(n.raftPort), "--loglevel", "warning"}
	args = append(args, n.args...)
	n.cmd = exec.Command(geomysBin, args...)
	n.log = &syncBuffer{}
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.exited)
}

// waitReady polls until a write succeeds (the node elected itself and replayed).
func (n *node) waitReady() {
	n.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second, Password: n.password})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			n.t.Fatalf("geomys exited during start-up:\n%s", n.log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Set(ctx, "__geomys_test_ready", "1", 0).Err()
		cancel()
		if err != nil && strings.HasPrefix(err.Error(), "MOVED ") {
			return // a follower in redirect mode that knows its leader
		}
		if err == nil {
			c.Del(context.Background(), "__geomys_test_ready")
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("geomys on %s not ready after 30s:\n%s", n.addr(), n.log.String())
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// client returns a go-redis client on its default options (RESP3 via HELLO 3).
func (n *node) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr()})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// client2 returns a go-redis client that speaks RESP2.
func (n *node) client2() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// kill sends SIGKILL and waits for the process to go away.
func (n *node) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.exited:
	default:
		n.cmd.Process.Signal(syscall.SIGKILL)
		<-n.exited
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (n *node) stop() {
	n.t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.t.Fatalf("geomys did not exit on SIGTERM:\n%s", n.log.String())
	}
}

// restart starts the process again on the same ports and data dir.
func (n *node) restart() {
	n.t.Helper()
	n.start()
}

// raw sends RESP bytes on a new connection and returns what comes back
// within the timeout.
func (n *node) raw(t testing.TB, payload string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	var out bytes.Buffer
	buf := make([]byte, 64<<10)
	for {
		k, err := conn.Read(buf)
		out.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return out.String()
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ---------------------------------------------------------------------------
// Reference helpers shared by the command-group files: a throwaway stock
// redis-server, a raw RESP connection that reads exactly one reply at a time,
// and compareWithRedis, which runs a script of commands against both servers
// and compares every reply byte for byte in RESP2 and in RESP3.
// ---------------------------------------------------------------------------

// startRedis runs a throwaway redis-server (no persistence) and returns its address.
func startRedis(t testing.TB) string { return testutil.StartRedis(t) }

// respConn is a raw client connection that sends commands as RESP arrays and
// returns each reply's exact bytes.
type respConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRESP(t testing.TB, addr string, proto int) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &respConn{t: t, c: c, br: bufio.NewReader(c)}
	if proto == 3 {
		if r := rc.do("HELLO", "3"); !strings.HasPrefix(r, "%") {
			t.Fatalf("HELLO 3 on %s: %q", addr, r)
		}
	}
	return rc
}

// encodeCmd renders args as a RESP array of bulk strings.
func encodeCmd(args ...string) string { return string(resp.AppendCommand(nil, args...)) }

func (rc *respConn) send(args ...string) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(rc.c, encodeCmd(args...)); err != nil {
		rc.t.Fatalf("write %q: %v", args, err)
	}
}

// read returns the bytes of the next complete reply.
func (rc *respConn) read(wait time.Duration) (string, error) {
	rc.c.SetReadDeadline(time.Now().Add(wait))
	var b strings.Builder
	err := readReply(rc.br, &b)
	return b.String(), err
}

func (rc *respConn) do(args ...string) string {
	rc.t.Helper()
	rc.send(args...)
	r, err := rc.read(5 * time.Second)
	if err != nil {
		rc.t.Fatalf("%q: reading reply: %v (got %q so far)", args, err, r)
	}
	return r
}

// readReply copies one RESP2/RESP3 reply (with nested aggregates) into out.
func readReply(br *bufio.Reader, out *strings.Builder) error {
	b, err := resp.ReadReply(br, nil)
	out.Write(b)
	return err
}

// splitArgs splits a script line on spaces; "double quoted" words are Go
// string literals, so binary values can be written as "a\x00b\r\n".
func splitArgs(t testing.TB, line string) []string {
	t.Helper()
	var args []string
	for i := 0; i < len(line); {
		switch {
		case line[i] == ' ':
			i++
		case line[i] == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				t.Fatalf("unterminated quote in %q", line)
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				t.Fatalf("bad quoted word in %q: %v", line, err)
			}
			args = append(args, s)
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			args = append(args, line[i:i+j])
			i += j
		}
	}
	return args
}

// compareWithRedis runs script (one command per line, see splitArgs) on a
// Geomys node and on a fresh redis-server, in RESP2 and then RESP3, each time
// after FLUSHALL, and reports every reply that differs byte for byte.
//
// Where Geomys deliberately answers otherwise than the reference
// redis-server 7.0 (it takes a few things from later versions, such as
// their RESTORE payloads) a line ends with ` => "<raw reply>"`, the exact
// reply Geomys must give (the command still runs on the reference so both
// datasets stay identical).
func compareWithRedis(t *testing.T, n *node, script string) {
	t.Helper()
	compareServerWithRedis(t, n.addr(), true, script)
}

// compareServerWithRedis is compareWithRedis against the server at addr
// (labelled "geomys" in failures). With useOverrides false the ` => ` replies are
// ignored and addr must answer as the 7.0 reference does: with a second
// redis-server at addr this proves a script deterministic.
func compareServerWithRedis(t *testing.T, addr string, useOverrides bool, script string) {
	t.Helper()
	// DEBUG (DIGEST, PROTOCOL) is refused by a stock server unless enabled.
	ref := testutil.StartRedis(t, "--enable-debug-command", "local")
	type step struct {
		args     []string
		override string // Geomys' reply where it differs from the 7.0 reference
		has      bool
	}
	var lines []step
	for _, l := range strings.Split(script, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			var st step
			if cmd, want, ok := strings.Cut(l, " => "); ok {
				w, err := strconv.Unquote(strings.TrimSpace(want))
				if err != nil {
					t.Fatalf("bad expected reply in %q: %v", l, err)
				}
				l, st.override, st.has = cmd, w, useOverrides
			}
			st.args = splitArgs(t, l)
			lines = append(lines, st)
		}
	}
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, addr, proto), dialRESP(t, ref, proto)
		for _, c := range []*respConn{g, r} {
			if got := c.do("FLUSHALL"); got != "+OK\r\n" {
				t.Fatalf("FLUSHALL = %q", got)
			}
		}
		bad := 0
		for _, st := range lines {
			want := r.do(st.args...)
			got := g.do(st.args...)
			who := "redis"
			if st.has {
				want, who = st.override, "want"
			}
			if got != want {
				bad++
				t.Errorf("RESP%d %s\n   geomys: %q\n    %s: %q", proto, quoteArgs(st.args), got, who, want)
			}
		}
		t.Logf("RESP%d: %d commands compared, %d differ", proto, len(lines), bad)
	}

	// Once more with the whole script sent as one pipeline (RESP3): a batch
	// of commands read at once must give the same replies, in order.
	g, r := dialRESP(t, addr, 3), dialRESP(t, ref, 3)
	var batch strings.Builder
	batch.WriteString(encodeCmd("FLUSHALL"))
	for _, st := range lines {
		batch.WriteString(encodeCmd(st.args...))
	}
	replies := func(c *respConn) []string {
		go func() {
			c.c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c.c, batch.String())
		}()
		out := make([]string, 0, len(lines)+1)
		for i := 0; i <= len(lines); i++ {
			s, err := c.read(10 * time.Second)
			if err != nil {
				t.Fatalf("pipelined script: reply %d of %d: %v (got %q)", i, len(lines)+1, err, s)
			}
			out = append(out, s)
		}
		return out
	}
	want, got := replies(r), replies(g)
	bad := 0
	for i, st := range lines {
		w, who := want[i+1], "redis"
		if st.has {
			w, who = st.override, "want"
		}
		if got[i+1] != w {
			bad++
			if bad <= 20 {
				t.Errorf("pipelined RESP3 #%d %s\n   geomys: %q\n    %s: %q", i, quoteArgs(st.args), got[i+1], who, w)
			}
		}
	}
	t.Logf("pipelined RESP3: %d commands compared, %d differ", len(lines), bad)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \"\\\r\n\x00") || a == "" || strconv.Quote(a) != `"`+a+`"` {
			q[i] = strconv.Quote(a)
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

type nodeTest struct {
	name string
	fn   func(t *testing.T, n *node)
}

// runOnOneNode runs tests as subtests against one node, each after FLUSHALL:
// a node start-up (a Raft election) costs about 1.5 s.
func runOnOneNode(t *testing.T, tests ...nodeTest) {
	t.Helper()
	n := startNode(t)
	admin := n.client()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := admin.FlushAll(ctxT(t)).Err(); err != nil {
				t.Fatalf("FLUSHALL before %s: %v", tc.name, err)
			}
			tc.fn(t, n)
		})
	}
}

// wantErr fails unless err is a server error with exactly the text want.
func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s: error %v, want %q", what, err, want)
	}
}
