package test

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// testTrackingNoloopMatchesRedis: with NOLOOP a client is not told about
// keys it changed itself — by a command, a script, a transaction, in
// default and in BCAST mode — while another client's change is still told;
// the key is forgotten all the same (it must be read again to be tracked).
func testTrackingNoloopMatchesRedis(t *testing.T, n *node) {
	s := func(conn int, own int, other [3]int, args ...string) psStep {
		return psStep{conn: conn, args: args, own: own, other: other}
	}
	push := [3]int{1, 0, 0}
	compareFrames(t, n, 3, []psStep{
		s(1, 1, [3]int{}, "FLUSHALL"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "ON", "NOLOOP"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKINGINFO"),
		s(0, 1, [3]int{}, "MGET", "a", "b"),
		s(0, 1, [3]int{}, "SET", "a", "1"),
		s(1, 1, push, "SET", "b", "1"),
		s(1, 1, [3]int{}, "SET", "a", "2"), // forgotten by the self-write
		s(0, 1, [3]int{}, "GET", "a"),
		s(0, 1, [3]int{}, "EVAL", "return redis.call('incr', KEYS[1])", "1", "a"),
		s(0, 1, [3]int{}, "GET", "a"),
		s(0, 1, [3]int{}, "MULTI"),
		s(0, 1, [3]int{}, "DEL", "a"),
		s(0, 1, [3]int{}, "EXEC"),
		s(0, 1, [3]int{}, "GET", "a"),
		s(1, 1, push, "LPUSH", "a", "x"),
		s(0, 1, [3]int{}, "GET", "c"),
		s(2, 1, [3]int{}, "CLIENT", "TRACKING", "ON"),
		s(2, 1, [3]int{}, "GET", "c"),
		s(0, 1, [3]int{0, 0, 1}, "SET", "c", "1"), // the other tracker is told
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "OFF"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "u:"),
		s(0, 1, [3]int{}, "SET", "u:1", "x"),
		s(1, 1, push, "SET", "u:2", "y"),
		s(0, 1, [3]int{}, "SET", "other", "1"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKINGINFO"),
		s(0, 1, [3]int{}, "CLIENT", "TRACKING", "OFF"),
	})
}

// testTrackingNoloopRedirect: RESP2 tracking with REDIRECT and NOLOOP, the
// same frames on Geomys and redis-server. Another client's write fences
// each step: its message is the next one the redirect target reads, so a
// message for the tracking client's own write would show before it.
func testTrackingNoloopRedirect(t *testing.T, n *node) {
	run := func(addr string) []string {
		sub := dialRESP(t, addr, 2)
		id := strings.TrimSuffix(strings.TrimPrefix(sub.do("CLIENT", "ID"), ":"), "\r\n")
		sub.do("SUBSCRIBE", "__redis__:invalidate")
		tr := dialRESP(t, addr, 2)
		w := dialRESP(t, addr, 2)
		var out []string
		note := func(s string) { out = append(out, s) }
		next := func() {
			msg, err := sub.read(5 * time.Second)
			if err != nil {
				t.Fatalf("%s: no invalidation message: %v", addr, err)
			}
			note(msg)
		}
		w.do("FLUSHALL")
		note(tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id, "NOLOOP"))
		note(tr.do("MGET", "k", "f1", "f2"))
		note(tr.do("SET", "k", "v")) // its own: no message
		note(w.do("SET", "f1", "v"))
		next()
		note(tr.do("GET", "k"))
		note(w.do("SET", "k", "w")) // another client's: a message
		next()
		note(tr.do("GET", "k"))
		note(tr.do("EVAL", "return redis.call('append', KEYS[1], 'x')", "1", "k"))
		note(w.do("SET", "f2", "v"))
		next()
		// The redirect id is each server's own.
		note(strings.Replace(tr.do("CLIENT", "TRACKINGINFO"), ":"+id+"\r\n", ":<id>\r\n", 1))
		return out
	}
	got, want := run(n.addr()), run(startRedis(t))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("RESP2 redirect with NOLOOP\n geomys: %q\n  redis: %q", got, want)
	}
}

// TestTrackingNoloopCluster: a NOLOOP client on a follower writes through
// it (commands, a script, a transaction: all relayed to the leader and
// applied from the log on every node) and is not told about its own writes,
// while a tracking client on the same follower and a NOLOOP client on the
// leader with the same client id are; BCAST with NOLOOP too.
func TestTrackingNoloopCluster(t *testing.T) {
	c := startCluster(t, 3)
	l, fs := c.leader(), c.followers()
	f, f2 := fs[0], fs[1]
	idOf := func(rc *respConn) int {
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rc.do("CLIENT", "ID"), ":"), "\r\n"))
		return id
	}
	// The same client id on two nodes: only the run id tells them apart.
	tr, v := dialRESP(t, f.addr(), 3), dialRESP(t, l.addr(), 3)
	for i := 0; idOf(tr) != idOf(v); i++ {
		if i > 500 {
			t.Fatal("could not get connections with the same client id on the follower and the leader")
		}
		if idOf(tr) < idOf(v) {
			tr.c.Close()
			tr = dialRESP(t, f.addr(), 3)
		} else {
			v.c.Close()
			v = dialRESP(t, l.addr(), 3)
		}
	}
	u := dialRESP(t, f.addr(), 3)  // tracking without NOLOOP, same node
	w := dialRESP(t, f2.addr(), 2) // the other writer
	for _, rc := range []*respConn{tr, v} {
		if r := rc.do("CLIENT", "TRACKING", "ON", "NOLOOP"); r != "+OK\r\n" {
			t.Fatalf("CLIENT TRACKING ON NOLOOP = %q", r)
		}
	}
	if r := u.do("CLIENT", "TRACKING", "ON"); r != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON = %q", r)
	}
	expect := func(who string, rc *respConn, want string) {
		t.Helper()
		if got, err := rc.read(5 * time.Second); got != want {
			t.Fatalf("%s: got %q (%v), want %q", who, got, err, want)
		}
	}
	inval := func(key string) string {
		return ">2\r\n$10\r\ninvalidate\r\n*1\r\n$" + strconv.Itoa(len(key)) + "\r\n" + key + "\r\n"
	}
	rounds := []struct {
		name  string
		write [][]string
		reply []string
	}{
		{"SET", [][]string{{"SET", "a", "1"}}, []string{"+OK\r\n"}},
		{"EVAL", [][]string{{"EVAL", "return redis.call('incr', KEYS[1])", "1", "a"}}, []string{":2\r\n"}},
		{"MULTI", [][]string{{"MULTI"}, {"INCR", "a"}, {"EXEC"}}, []string{"+OK\r\n", "+QUEUED\r\n", "*1\r\n:3\r\n"}},
	}
	for _, rd := range rounds {
		tr.do("MGET", "a", "fence")
		u.do("GET", "a")
		v.do("GET", "a")
		for i, args := range rd.write {
			if got := tr.do(args...); got != rd.reply[i] {
				t.Fatalf("%s: %q = %q, want %q", rd.name, args, got, rd.reply[i])
			}
		}
		expect(rd.name+": the follower's other tracking client", u, inval("a"))
		expect(rd.name+": the leader's NOLOOP client with the same id", v, inval("a"))
		// Log order: the writer's next push is the fence, not its own key.
		if r := w.do("SET", "fence", rd.name); r != "+OK\r\n" {
			t.Fatalf("fence write = %q", r)
		}
		expect(rd.name+": the NOLOOP writer", tr, inval("fence"))
	}

	b := dialRESP(t, f.addr(), 3)
	if r := b.do("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP", "PREFIX", "u:"); r != "+OK\r\n" {
		t.Fatalf("CLIENT TRACKING ON BCAST NOLOOP = %q", r)
	}
	b.do("SET", "u:1", "x")
	w.do("SET", "u:2", "y")
	expect("BCAST NOLOOP", b, inval("u:2"))
	c.waitConverged()
}

// The order of a tracking client's replies and invalidations, as Redis
// 7.0 writes them: a key the client's own read finds expired is told after
// that read's reply, a key evicted to make room for a command before it.
func TestTrackingInvalidationOrder(t *testing.T) {
	n := startNode(t)
	rc := dialRESP(t, n.addr(), 3)
	want := func(what, got, exp string) {
		t.Helper()
		if got != exp {
			t.Fatalf("%s: %q, want %q", what, got, exp)
		}
	}
	next := func() string {
		t.Helper()
		r, err := rc.read(5 * time.Second)
		if err != nil {
			t.Fatalf("reading: %v (got %q)", err, r)
		}
		return r
	}
	for _, step := range []struct{ cmd, reply string }{{"CLIENT TRACKING ON", "+OK\r\n"},
		{"DEBUG SET-ACTIVE-EXPIRE 0", "+OK\r\n"}, {"MSET x 1 y 2", "+OK\r\n"}, {"PEXPIRE y 100", ":1\r\n"}} {
		want(step.cmd, rc.do(strings.Fields(step.cmd)...), step.reply)
	}
	want("GET y", rc.do("GET", "y"), "$1\r\n2\r\n")
	time.Sleep(150 * time.Millisecond)
	want("MGET of an expired key", rc.do("MGET", "x", "y"), "*2\r\n$1\r\n1\r\n_\r\n")
	want("then its invalidation", next(), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\ny\r\n")
	rc.do("DEBUG", "SET-ACTIVE-EXPIRE", "1")

	// Eviction for a command happens before it runs: the push comes first.
	used := infoInt(t, n.client(), "memory", "used_memory")
	for _, cmd := range [][]string{{"CONFIG", "SET", "maxmemory", strconv.FormatInt(used+100*1024, 10)},
		{"CONFIG", "SET", "maxmemory-policy", "volatile-random"}, {"SETEX", "volatile-key", "10000", "x"}} {
		want(strings.Join(cmd, " "), rc.do(cmd...), "+OK\r\n")
	}
	want("GET volatile-key", rc.do("GET", "volatile-key"), "$1\r\nx\r\n")
	want("SETBIT of 200kb", rc.do("SETBIT", "big-key", "1600000", "0"), ":0\r\n")
	want("GETBIT over the limit", rc.do("GETBIT", "big-key", "0"), ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n")
	want("then its reply", next(), ":0\r\n")
}
