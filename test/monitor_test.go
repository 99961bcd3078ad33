package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMonitorTrackingClient covers MONITOR, CLIENT TRACKING, CLIENT REPLY,
// CLIENT PAUSE and sharded pub/sub.
func TestMonitorTrackingClient(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"MonitorLines", testMonitorLines},
		nodeTest{"MonitorSlowReaderDropped", testMonitorSlowReader},
		nodeTest{"TrackingMatchesRedis", testTrackingMatchesRedis},
		nodeTest{"TrackingRedirectRESP2", testTrackingRedirect},
		nodeTest{"TrackingNoloopMatchesRedis", testTrackingNoloopMatchesRedis},
		nodeTest{"TrackingNoloopRedirectRESP2", testTrackingNoloopRedirect},
		nodeTest{"ShardedPubSubMatchesRedis", testShardedPubSubMatchesRedis},
		nodeTest{"ClientReply", testClientReply},
		nodeTest{"ClientPause", testClientPause},
	)
}

func testMonitorLines(t *testing.T, n *node) {
	mon := dialRESP(t, n.addr(), 2)
	if r := mon.do("MONITOR"); r != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", r)
	}
	w := dialRESP(t, n.addr(), 2)
	w.do("SET", "k y", "v\"\x01\n")
	w.do("EVAL", "return redis.call('get', KEYS[1])", "1", "k y")
	w.do("SELECT", "2")
	w.do("CONFIG", "GET", "port") // admin commands are not shown
	w.do("GET", "x")
	addr := w.c.LocalAddr().String()
	want := []string{
		fmt.Sprintf(`[0 %s] "SET" "k y" "v\"\x01\n"`, addr),
		fmt.Sprintf(`[0 %s] "EVAL" "return redis.call('get', KEYS[1])" "1" "k y"`, addr),
		`[0 lua] "get" "k y"`,
		fmt.Sprintf(`[0 %s] "SELECT" "2"`, addr),
		fmt.Sprintf(`[2 %s] "GET" "x"`, addr),
	}
	stamp := regexp.MustCompile(`^\+(\d{10})\.\d{6} `)
	for i, wl := range want {
		line, err := mon.read(5 * time.Second)
		if err != nil {
			t.Fatalf("monitor line %d: %v", i, err)
		}
		m := stamp.FindStringSubmatch(line)
		if m == nil || strings.TrimSuffix(line[len(m[0]):], "\r\n") != wl {
			t.Errorf("monitor line %d = %q, want +<time> %s", i, line, wl)
		}
	}
	if r, err := mon.read(200 * time.Millisecond); err == nil {
		t.Errorf("unexpected monitor line %q", r)
	}
}

// testMonitorSlowReader: a monitor that never reads is disconnected once
// its queue passes the output limit, rather than holding the lines.
func testMonitorSlowReader(t *testing.T, n *node) {
	mon := dialRESP(t, n.addr(), 2)
	if r := mon.do("MONITOR"); r != "+OK\r\n" {
		t.Fatalf("MONITOR = %q", r)
	}
	w := n.client()
	ctx := ctxT(t)
	big := strings.Repeat("v", 1<<20)
	for i := 0; i < 80; i++ {
		if err := w.Set(ctx, "big", big, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, _ := w.ClientList(ctx).Result()
		if !strings.Contains(list, "addr="+mon.c.LocalAddr().String()+" ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the monitor that does not read is still connected:\n%s", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// trackingRun runs psRun-style steps on both servers and compares them.
func compareFrames(t *testing.T, n *node, proto int, steps []psStep) {
	t.Helper()
	ref := startRedis(t)
	got, want := psRun(t, n.addr(), proto, steps), psRun(t, ref, proto, steps)
	if len(got) != len(want) {
		t.Fatalf("RESP%d: %d results, redis %d:\n%q\n%q", proto, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("RESP%d step %d\n   geomys: %s\n    redis: %s", proto, i, got[i], want[i])
		}
	}
}

func testTrackingMatchesRedis(t *testing.T, n *node) {
	s := func(conn int, own int, other [3]int, args ...string) psStep {
		return psStep{conn: conn, args: args, own: own, other: other}
	}
	compareFrames(t, n, 3, []psStep{
		s(1, 1, [3]int{}, "FLUSHALL"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "ON"),
		s(0, 1, [3]int{}, "GET", "a"),
		s(0, 1, [3]int{}, "MGET", "b", "c"),
		s(1, 1, [3]int{1, 0, 0}, "SET", "a", "1"),
		s(1, 1, [3]int{}, "SET", "a", "2"), // invalidated once: not read again
		s(1, 1, [3]int{1, 0, 0}, "SET", "c", "1"),
		s(0, 1, [3]int{}, "GET", "b"),
		s(1, 1, [3]int{1, 0, 0}, "FLUSHALL"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKINGINFO"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "OFF"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "ON", "OPTIN"),
		s(0, 1, [3]int{}, "GET", "x"),
		s(0, 1, [3]int{}, "CLIENT", "CACHING", "YES"),
		s(0, 1, [3]int{}, "GET", "y"),
		s(1, 1, [3]int{}, "SET", "x", "1"),
		s(1, 1, [3]int{1, 0, 0}, "SET", "y", "1"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "OFF"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:"),
		s(1, 1, [3]int{}, "SET", "other", "1"),
		s(1, 1, [3]int{1, 0, 0}, "SET", "user:1", "1"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKINGINFO"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "OFF"),
		s(1, 1, [3]int{}, "SET", "user:1", "2"),
	})
}

func testTrackingRedirect(t *testing.T, n *node) {
	sub := dialRESP(t, n.addr(), 2)
	id := strings.TrimSuffix(strings.TrimPrefix(sub.do("CLIENT", "ID"), ":"), "\r\n")
	sub.do("SUBSCRIBE", "__redis__:invalidate")
	tr := dialRESP(t, n.addr(), 2)
	if r := tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id); r != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON REDIRECT = %q", r)
	}
	if r := tr.do("CLIENT", "GETREDIR"); r != ":"+id+"\r\n" {
		t.Errorf("CLIENT GETREDIR = %q", r)
	}
	tr.do("GET", "k")
	w := dialRESP(t, n.addr(), 2)
	w.do("SET", "k", "v")
	msg, err := sub.read(5 * time.Second)
	if want := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"; err != nil || msg != want {
		t.Errorf("redirected invalidation = %q, %v; want %q", msg, err, want)
	}
	w.do("FLUSHALL")
	msg, _ = sub.read(5 * time.Second)
	if want := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"; msg != want {
		t.Errorf("flush invalidation = %q, want %q", msg, want)
	}
}

func testShardedPubSubMatchesRedis(t *testing.T, n *node) {
	s := func(conn int, own int, other [3]int, args ...string) psStep {
		return psStep{conn: conn, args: args, own: own, other: other}
	}
	for _, proto := range []int{2, 3} {
		compareFrames(t, n, proto, []psStep{
			s(0, 2, [3]int{}, "SSUBSCRIBE", "a", "b"),
			s(2, 1, [3]int{}, "SUBSCRIBE", "a"),
			s(1, 1, [3]int{1, 0, 0}, "SPUBLISH", "a", "hello"),
			s(1, 1, [3]int{0, 0, 1}, "PUBLISH", "a", "hi"),
			s(1, 1, [3]int{}, "PUBSUB", "SHARDCHANNELS", "a"),
			s(1, 1, [3]int{}, "PUBSUB", "SHARDCHANNELS", "b*"),
			s(1, 1, [3]int{}, "PUBSUB", "SHARDNUMSUB", "a", "b", "c"),
			s(1, 1, [3]int{}, "PUBSUB", "NUMSUB", "a"),
			s(1, 1, [3]int{}, "PUBSUB", "CHANNELS"),
			s(0, 1, [3]int{}, "SUNSUBSCRIBE", "a"),
			s(1, 1, [3]int{}, "SPUBLISH", "a", "gone"),
			s(0, 1, [3]int{}, "SUNSUBSCRIBE"),
			s(0, 1, [3]int{}, "SUNSUBSCRIBE"),
			s(2, 1, [3]int{}, "UNSUBSCRIBE"),
		})
	}
}

func testClientReply(t *testing.T, n *node) {
	c := dialRESP(t, n.addr(), 2)
	c.send("CLIENT", "REPLY", "OFF")
	c.send("SET", "a", "1")
	c.send("GET", "a")
	c.send("CLIENT", "REPLY", "SKIP") // ignored while OFF
	c.send("CLIENT", "REPLY", "ON")
	c.send("CLIENT", "REPLY", "SKIP")
	c.send("INCR", "a")
	c.send("GET", "a")
	want := []string{"+OK\r\n", "$1\r\n2\r\n"}
	for i, w := range want {
		if r, err := c.read(5 * time.Second); r != w || err != nil {
			t.Errorf("reply %d = %q, %v; want %q", i, r, err, w)
		}
	}
	if r, err := c.read(200 * time.Millisecond); err == nil {
		t.Errorf("unexpected reply %q", r)
	}
}

func testClientPause(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin, c := n.client(), n.client2()
	if err := admin.Do(ctx, "client", "pause", "400", "write").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.Get(ctx, "a")
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("GET under a WRITE pause took %v", d)
	}
	c.Set(ctx, "a", "1", 0)
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Errorf("SET under a 400ms WRITE pause returned after %v", d)
	}
	// UNPAUSE releases waiting clients at once.
	admin.Do(ctx, "client", "pause", "5000", "write")
	done := make(chan time.Duration)
	go func() {
		s := time.Now()
		c.Incr(ctx, "a")
		done <- time.Since(s)
	}()
	time.Sleep(150 * time.Millisecond)
	if err := admin.Do(ctx, "client", "unpause").Err(); err != nil {
		t.Fatal(err)
	}
	if d := <-done; d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("INCR waited %v across CLIENT UNPAUSE", d)
	}
	// ALL pauses reads too.
	admin.Do(ctx, "client", "pause", "300", "all")
	start = time.Now()
	c.Get(ctx, "a")
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("GET under an ALL pause returned after %v", d)
	}
}
