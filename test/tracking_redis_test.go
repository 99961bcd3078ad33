package test

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTrackingSuiteCases covers what Redis' own unit/tracking checks:
// BCAST batches, re-enabling tracking, the order of a client's own
// invalidations and its replies, scripts, MULTI, redirections and the
// tracking table's limit and counters.
func TestTrackingSuiteCases(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"FramesMatchRedis", testTrackingSuiteFrames},
		nodeTest{"RedirectionsMatchRedis", testTrackingSuiteRedirects},
		nodeTest{"TableLimit", testTrackingTableLimit},
	)
}

// testTrackingSuiteFrames compares every reply and push, byte for byte and
// in order, with redis-server (RESP3).
func testTrackingSuiteFrames(t *testing.T, n *node) {
	s := func(conn int, own int, other [3]int, args ...string) psStep {
		return psStep{conn: conn, args: args, own: own, other: other}
	}
	none, push := [3]int{}, [3]int{1, 0, 0}
	compareFrames(t, n, 3, []psStep{
		s(1, 1, none, "FLUSHALL"),
		// BCAST: one message for all the keys a command changed.
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST"),
		s(0, 1, none, "CLIENT", "TRACKINGINFO"),
		s(1, 1, push, "MSET", "a", "1", "b", "2", "c", "3"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x"),
		s(0, 1, none, "CLIENT", "TRACKING", "OFF"),
		// One message per prefix, in prefix order.
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b:", "PREFIX", "a:"),
		s(1, 1, none, "MULTI"),
		s(1, 1, none, "INCR", "b:1"),
		s(1, 1, none, "INCR", "a:2"),
		s(1, 1, none, "INCR", "a:1"),
		s(1, 1, none, "INCR", "c:1"),
		s(1, 1, [3]int{2, 0, 0}, "EXEC"),
		// ON again adds prefixes; overlapping ones are refused.
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c:"),
		s(0, 1, none, "CLIENT", "TRACKINGINFO"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "d", "PREFIX", "dd"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", "99999"),
		s(0, 1, none, "CLIENT", "TRACKING", "ON", "PREFIX", "a"),
		s(1, 1, push, "INCR", "c:9"),
		// A BCAST client's own write: the push follows the reply.
		s(0, 2, none, "SET", "a:own", "1"),
		s(0, 1, none, "CLIENT", "TRACKING", "OFF"),
		// Default mode: a client's own write is told after its reply.
		s(0, 1, none, "CLIENT", "TRACKING", "ON"),
		s(0, 1, none, "GET", "k"),
		s(0, 2, none, "SET", "k", "1"),
		s(0, 1, none, "HSET", "h", "f", "1"),
		s(0, 1, none, "HGET", "h", "f"),
		s(0, 2, none, "HDEL", "h", "f"),
		// With replies off, the push of its own write still comes.
		s(0, 1, none, "GET", "r"),
		s(0, 0, none, "CLIENT", "REPLY", "OFF"),
		s(0, 1, none, "SET", "r", "1"),
		s(0, 1, none, "CLIENT", "REPLY", "ON"),
		// A read queued in MULTI is tracked when EXEC runs it, after the
		// transaction's earlier writes.
		s(0, 1, none, "MULTI"),
		s(0, 1, none, "MSET", "x", "1", "y", "2"),
		s(0, 1, none, "GET", "y"),
		s(0, 1, none, "EXEC"),
		s(1, 1, push, "SET", "y", "3"),
		s(0, 1, none, "GET", "a"),
		s(0, 1, none, "MULTI"),
		s(0, 1, none, "INCR", "a"),
		s(0, 2, none, "EXEC"),
		// A script tracks its declared keys once it calls a read command.
		s(0, 1, none, "EVAL", "redis.call('set', 'k3', 'bar')", "2", "k1", "k2"),
		s(1, 1, none, "MSET", "k2", "2", "k1", "2"),
		s(0, 1, none, "EVAL", "redis.call('get', 'k3')", "2", "k1", "k2"),
		s(1, 1, [3]int{2, 0, 0}, "MSET", "k2", "2", "k1", "2"),
		s(0, 1, none, "EVAL_RO", "redis.call('ping')", "2", "k1", "k2"),
		s(1, 1, none, "MSET", "k2", "2", "k1", "2"),
		s(0, 1, none, "EVAL_RO", "redis.call('get', 'k1')", "2", "k1", "k2"),
		s(1, 1, [3]int{2, 0, 0}, "MSET", "k2", "3", "k1", "3"),
		s(0, 2, none, "FLUSHALL"),
		s(0, 1, none, "CLIENT", "TRACKING", "OFF"),
	})
}

// testTrackingSuiteRedirects: redirections to a RESP3 client that neither
// tracks nor subscribes, and to one that is gone, on Geomys and
// redis-server (client ids are each server's own).
func testTrackingSuiteRedirects(t *testing.T, n *node) {
	run := func(addr string) []string {
		target := dialRESP(t, addr, 3)
		id := strings.TrimSuffix(strings.TrimPrefix(target.do("CLIENT", "ID"), ":"), "\r\n")
		tr := dialRESP(t, addr, 3)
		w := dialRESP(t, addr, 3)
		var out []string
		note := func(s string) { out = append(out, strings.ReplaceAll(s, ":"+id+"\r\n", ":<id>\r\n")) }
		next := func(c *respConn) {
			msg, err := c.read(5 * time.Second)
			if err != nil {
				t.Fatalf("%s: no push: %v", addr, err)
			}
			note(msg)
		}
		w.do("FLUSHALL")
		note(tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id, "REDIRECT", id))
		note(tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id))
		note(tr.do("GET", "k"))
		note(w.do("SET", "k", "1"))
		next(target)
		// ON again without REDIRECT ends the redirection.
		note(tr.do("CLIENT", "TRACKING", "ON"))
		note(tr.do("CLIENT", "GETREDIR"))
		note(tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id))
		note(tr.do("GET", "k"))
		target.c.Close()
		time.Sleep(100 * time.Millisecond)
		note(w.do("SET", "k", "2"))
		next(tr)
		note(tr.do("CLIENT", "TRACKINGINFO"))
		return out
	}
	got, want := run(n.addr()), run(startRedis(t))
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("redirections\n geomys: %q\n  redis: %q", got, want)
	}
}

// testTrackingTableLimit: lowering tracking-table-max-keys forgets keys
// until the table is within it, telling their clients; INFO counts keys,
// items and prefixes as Redis does.
func testTrackingTableLimit(t *testing.T, n *node) {
	sub := dialRESP(t, n.addr(), 2)
	id := strings.TrimSuffix(strings.TrimPrefix(sub.do("CLIENT", "ID"), ":"), "\r\n")
	sub.do("SUBSCRIBE", "__redis__:invalidate")
	tr := dialRESP(t, n.addr(), 2)
	other := dialRESP(t, n.addr(), 2)
	admin := dialRESP(t, n.addr(), 2)
	defer admin.do("CONFIG", "SET", "tracking-table-max-keys", "1000000")
	tr.do("CLIENT", "TRACKING", "ON", "REDIRECT", id)
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		tr.do("GET", k)
	}
	other.do("CLIENT", "TRACKING", "ON")
	other.do("GET", "k1")
	bc := dialRESP(t, n.addr(), 2)
	bc.do("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p:", "PREFIX", "q:")
	field := func(name string) string {
		m := regexp.MustCompile(name + `:(\d+)`).FindStringSubmatch(admin.do("INFO", "stats"))
		if m == nil {
			t.Fatalf("INFO has no %s", name)
		}
		return m[1]
	}
	if k, i, p := field("tracking_total_keys"), field("tracking_total_items"), field("tracking_total_prefixes"); k != "4" || i != "5" || p != "2" {
		t.Errorf("tracking_total_keys/items/prefixes = %s/%s/%s, want 4/5/2", k, i, p)
	}
	if r := admin.do("CONFIG", "SET", "tracking-table-max-keys", "1"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET = %q", r)
	}
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		msg, err := sub.read(5 * time.Second)
		if err != nil {
			t.Fatalf("invalidation %d: %v", i, err)
		}
		seen[msg] = true
	}
	if len(seen) != 3 {
		t.Errorf("3 different keys expected to be forgotten, got %v", seen)
	}
	if msg, err := sub.read(200 * time.Millisecond); err == nil {
		t.Errorf("a fourth invalidation: %q", msg)
	}
	if k := field("tracking_total_keys"); k != "1" {
		t.Errorf("tracking_total_keys = %s after the limit, want 1", k)
	}
}
