package test

import (
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
