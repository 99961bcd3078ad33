package test

import (
	"bufio"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
)

// Client limits hit end to end: maxclients, timeout, tcp-keepalive,
// client-output-buffer-limit (normal and pubsub), client-query-buffer-limit
// and proto-max-bulk-len, with redis-server's replies where it can be driven
// the same way.

// eofWithin reads until the server closes c and returns what it sent; it
// fails the test if c is still open after wait.
func eofWithin(t *testing.T, c net.Conn, wait time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(wait))
	b, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("connection not closed within %v: %v (read %d bytes: %.80q)", wait, err, len(b), b)
	}
	return string(b)
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestMaxClientsAsRedis(t *testing.T) {
	n := startNode(t, "--maxclients", "3")
	rd := testutil.StartRedis(t, "--maxclients", "3")
	time.Sleep(200 * time.Millisecond) // the start-up probes' connections are gone
	for _, addr := range []string{n.addr(), rd} {
		held := []*respConn{dialRESP(t, addr, 2), dialRESP(t, addr, 2), dialRESP(t, addr, 2)}
		for _, c := range held {
			if r := c.do("PING"); r != "+PONG\r\n" {
				t.Fatalf("%s: PING = %q", addr, r)
			}
		}
		over := dialRaw(t, addr)
		if got := eofWithin(t, over, 5*time.Second); got != "-ERR max number of clients reached\r\n" {
			t.Fatalf("%s: the client over maxclients got %q", addr, got)
		}
		// CONFIG SET raises it at once; the held clients keep working.
		if r := held[0].do("CONFIG", "SET", "maxclients", "4"); r != "+OK\r\n" {
			t.Fatalf("%s: CONFIG SET maxclients = %q", addr, r)
		}
		if r := dialRESP(t, addr, 2).do("PING"); r != "+PONG\r\n" {
			t.Fatalf("%s: PING after raising maxclients = %q", addr, r)
		}
		if r := held[1].do("INFO", "stats"); !strings.Contains(r, "rejected_connections:1\r\n") {
			t.Fatalf("%s: INFO stats does not count the rejected connection:\n%s", addr, r)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	n := startNode(t, "--timeout", "1")
	idle := dialRESP(t, n.addr(), 2)
	idle.do("PING")
	sub := dialRESP(t, n.addr(), 2)
	sub.do("SUBSCRIBE", "ch")
	blocked := dialRESP(t, n.addr(), 2)
	blocked.send("BLPOP", "nolist", "0")
	// The idle client goes within timeout plus the once-a-second check.
	start := time.Now()
	eofWithin(t, idle.c, 4*time.Second)
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("idle client closed after only %v", d)
	}
	busy := dialRESP(t, n.addr(), 2)
	for i := 0; i < 5; i++ { // an active client stays
		busy.do("PING")
		time.Sleep(400 * time.Millisecond)
	}
	// Subscribers and blocked clients are exempt, as in Redis.
	if r := n.client2().Publish(ctxT(t), "ch", "hello").Val(); r != 1 {
		t.Fatalf("the idle subscriber was dropped: PUBLISH reached %d", r)
	}
	if r, _ := sub.read(2 * time.Second); !strings.Contains(r, "hello") {
		t.Fatalf("subscriber got %q", r)
	}
	n.client2().RPush(ctxT(t), "nolist", "x")
	if r, _ := blocked.read(2 * time.Second); !strings.Contains(r, "nolist") {
		t.Fatalf("the blocked client was dropped: %q", r)
	}
	// CONFIG SET timeout 0 turns it off.
	busy.do("CONFIG", "SET", "timeout", "0")
	quiet := dialRESP(t, n.addr(), 2)
	time.Sleep(2500 * time.Millisecond)
	if r := quiet.do("PING"); r != "+PONG\r\n" {
		t.Fatalf("with timeout 0 an idle client got %q", r)
	}
}

// keepAliveSeconds reads the server side of the connection whose local
// port is port from /proc/net/tcp: the keepalive timer's remaining seconds
// (timer kind 2), or -1 when no keepalive timer is pending.
func keepAliveSeconds(t *testing.T, serverPort, clientPort int) int {
	t.Helper()
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := ":" + strings.ToUpper(strconv.FormatInt(int64(serverPort), 16))
	peer := ":" + strings.ToUpper(strconv.FormatInt(int64(clientPort), 16))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 6 || !strings.HasSuffix(fl[1], want) || !strings.HasSuffix(fl[2], peer) {
			continue
		}
		kind, when, _ := strings.Cut(fl[5], ":")
		if kind != "02" {
			return -1
		}
		ticks, _ := strconv.ParseInt(when, 16, 64)
		return int(ticks / 100) // USER_HZ
	}
	t.Fatalf("no server socket %s<-%s in /proc/net/tcp", want, peer)
	return 0
}

func TestTCPKeepAlive(t *testing.T) {
	n := startNode(t, "--tcp-keepalive", "120")
	c := dialRESP(t, n.addr(), 2)
	c.do("PING")
	port := c.c.LocalAddr().(*net.TCPAddr).Port
	if s := keepAliveSeconds(t, n.port, port); s < 100 || s > 120 {
		t.Fatalf("keepalive timer of an accepted client: %d s, want about 120", s)
	}
	c.do("CONFIG", "SET", "tcp-keepalive", "0")
	c2 := dialRESP(t, n.addr(), 2)
	c2.do("PING")
	if s := keepAliveSeconds(t, n.port, c2.c.LocalAddr().(*net.TCPAddr).Port); s != -1 {
		t.Fatalf("tcp-keepalive 0: keepalive timer still set (%d s)", s)
	}
}

func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// A subscriber that never reads while 100 MB are published is dropped at
// the pubsub hard limit, and the server's memory stays bounded. GOGC=50 keeps
// the Go heap's garbage headroom from hiding what the server holds.
func TestPubsubOutputBufferLimit(t *testing.T) {
	t.Setenv("GOGC", "50")
	n := startNode(t, "--client-output-buffer-limit", "pubsub 8mb 4mb 60")
	sub := dialRaw(t, n.addr())
	sub.(*net.TCPConn).SetReadBuffer(64 << 10)
	io.WriteString(sub, encodeCmd("SUBSCRIBE", "news"))
	time.Sleep(100 * time.Millisecond) // the subscription is in place
	admin := dialRESP(t, n.addr(), 2)
	if r := admin.do("CLIENT", "LIST"); !strings.Contains(r, "sub=1") {
		t.Fatalf("subscriber not listed: %q", r)
	}
	before := vmRSS(t, n.cmd.Process.Pid)
	peak := before
	msg := strings.Repeat("m", 256<<10)
	pub := dialRESP(t, n.addr(), 2)
	published, droppedAt := 0, 0
	for published < 100<<20 {
		if r := pub.do("PUBLISH", "news", msg); r == ":0\r\n" && droppedAt == 0 {
			droppedAt = published
		}
		published += len(msg)
		if published%(4<<20) == 0 {
			peak = max(peak, vmRSS(t, n.cmd.Process.Pid))
		}
	}
	// Dropped at the 8 MB hard limit, give or take the socket buffers.
	if droppedAt == 0 || droppedAt > 20<<20 {
		t.Fatalf("subscriber that does not read dropped after %d MB published (0: never)", droppedAt>>20)
	}
	t.Logf("dropped after %d MB; RSS before %d MB, peak %d MB", droppedAt>>20, before>>20, peak>>20)
	// Holding what the subscriber did not read would take over 100 MB; the
	// rest of the growth is the Raft log cache and the Go heap's headroom.
	if peak-before > 90<<20 {
		t.Fatalf("server RSS grew by %d MB while a subscriber did not read", (peak-before)>>20)
	}
	got := eofWithin(t, sub, 5*time.Second)
	if !strings.HasPrefix(got, "*3\r\n$9\r\nsubscribe\r\n") || len(got) > 48<<20 {
		t.Fatalf("dropped subscriber read %d bytes starting %.40q", len(got), got)
	}
	if r := admin.do("CLIENT", "LIST"); strings.Contains(r, "sub=1") {
		t.Fatalf("the dropped subscriber is still listed: %q", r)
	}
	if !strings.Contains(n.log.String(), "output buffer limits") {
		t.Fatalf("no warning logged:\n%s", n.log.String())
	}
}

// A soft limit that stays exceeded longer than its seconds drops the
// subscriber; omem in CLIENT LIST shows its queue.
func TestPubsubSoftLimitAndOmem(t *testing.T) {
	n := startNode(t, "--client-output-buffer-limit", "pubsub 0 1mb 2")
	sub := dialRaw(t, n.addr())
	sub.(*net.TCPConn).SetReadBuffer(16 << 10)
	io.WriteString(sub, encodeCmd("SUBSCRIBE", "news"))
	time.Sleep(100 * time.Millisecond)
	pub := dialRESP(t, n.addr(), 2)
	msg := strings.Repeat("m", 64<<10)
	for i := 0; i < 128; i++ { // 8 MB at once: over the soft limit, with no hard one
		pub.send("PUBLISH", "news", msg)
	}
	for i := 0; i < 128; i++ {
		pub.read(5 * time.Second)
	}
	if r := pub.do("CLIENT", "LIST"); !strings.Contains(r, "sub=1") || strings.Contains(r, "omem=0 tot-mem=0 events=r cmd=subscribe") {
		t.Fatalf("subscriber with a queue: %q", r)
	}
	if r := pub.do("PUBLISH", "news", msg); r != ":1\r\n" {
		t.Fatalf("dropped before the soft limit's seconds: %q", r)
	}
	time.Sleep(2200 * time.Millisecond)
	pub.do("PUBLISH", "news", msg)
	eofWithin(t, sub, 5*time.Second)
	if r := pub.do("CONFIG", "GET", "client-output-buffer-limit"); !strings.Contains(r, "normal 0 0 0 slave 268435456 67108864 60 pubsub 0 1048576 2") {
		t.Fatalf("CONFIG GET client-output-buffer-limit = %q", r)
	}
}

// client-output-buffer-limit normal, client-query-buffer-limit and
// proto-max-bulk-len, set with CONFIG SET on both servers.
func TestNormalAndQueryLimitsAsRedis(t *testing.T) {
	n := startNode(t)
	rd := testutil.StartRedis(t)
	big := strings.Repeat("v", 3<<19) // 1.5 MB
	for _, addr := range []string{n.addr(), rd} {
		c := dialRESP(t, addr, 2)
		for _, kv := range [][2]string{{"client-output-buffer-limit", "normal 1mb 0 0"}, {"client-query-buffer-limit", "2mb"}} {
			if r := c.do("CONFIG", "SET", kv[0], kv[1]); r != "+OK\r\n" {
				t.Fatalf("%s: CONFIG SET %s = %q", addr, kv[0], r)
			}
		}
		for _, bad := range [][2]string{{"client-output-buffer-limit", "normal 1mb 0"},
			{"client-output-buffer-limit", "nobody 1mb 0 0"}, {"client-output-buffer-limit", "pubsub 1mb x 0"},
			{"client-query-buffer-limit", "1k"}} {
			r := c.do("CONFIG", "SET", bad[0], bad[1])
			if !strings.HasPrefix(r, "-ERR CONFIG SET failed") {
				t.Fatalf("%s: CONFIG SET %s %q = %q", addr, bad[0], bad[1], r)
			}
		}
		// A request over the query buffer limit closes the connection.
		q := dialRaw(t, addr)
		io.WriteString(q, encodeCmd("SET", "q", big+big))
		eofWithin(t, q, 5*time.Second)
		// A bulk over proto-max-bulk-len: Redis' protocol error, then closed.
		c.do("CONFIG", "SET", "proto-max-bulk-len", "1mb")
		over := dialRaw(t, addr)
		io.WriteString(over, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
		if got := eofWithin(t, over, 5*time.Second); got != "-ERR Protocol error: invalid bulk length\r\n" {
			t.Fatalf("%s: bulk over proto-max-bulk-len: %q", addr, got)
		}
		// A reply over the normal hard limit closes the client without it.
		c.do("CONFIG", "SET", "proto-max-bulk-len", "512mb")
		if r := c.do("SET", "big", big); r != "+OK\r\n" {
			t.Fatalf("%s: SET big = %q", addr, r)
		}
		g := dialRaw(t, addr)
		io.WriteString(g, encodeCmd("GET", "big"))
		if got := eofWithin(t, g, 5*time.Second); got != "" {
			t.Fatalf("%s: a reply over the normal limit was sent (%d bytes)", addr, len(got))
		}
		if r := c.do("EXISTS", "q"); r != ":0\r\n" {
			t.Fatalf("%s: the request over the query buffer limit ran: EXISTS q = %q", addr, r)
		}
		if r := c.do("STRLEN", "big"); r != ":1572864\r\n" {
			t.Fatalf("%s: STRLEN big = %q", addr, r)
		}
	}
}
