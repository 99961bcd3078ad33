package test

import (
	"strconv"
	"testing"
)

// streamNodeOps fills and trims a stream while stream-node-max-entries and
// stream-node-max-bytes change between the XADDs, through every path an
// XADD reaches the log by: a plain write, a script's effects and a
// transaction. With ~ only whole nodes go, so every XLEN after a trim
// shows where the nodes were cut.
func streamNodeOps(do func(op ...string), from int) int {
	id := from
	add := func(n int, field string) {
		for i := 0; i < n; i++ {
			do("XADD", "q", strconv.Itoa(id)+"-0", field, strconv.Itoa(id))
			id++
		}
	}
	do("CONFIG", "SET", "stream-node-max-entries", "10")
	add(35, "f")
	do("XADD", "q", "MAXLEN", "~", "12", strconv.Itoa(id)+"-0", "f", "x")
	id++
	do("XLEN", "q")
	do("CONFIG", "SET", "stream-node-max-entries", "7")
	do("EVAL", "for i=1,30 do redis.call('XADD', KEYS[1], (ARGV[1]+i)..'-0', 'g', i) end return 1", "1", "q", strconv.Itoa(id))
	id += 31
	do("MULTI")
	do("XADD", "q", strconv.Itoa(id)+"-0", "h", "1")
	do("XADD", "q", strconv.Itoa(id+1)+"-0", "h", "2")
	do("EXEC")
	id += 2
	do("CONFIG", "SET", "stream-node-max-bytes", "120")
	add(20, "a-longer-field-name")
	do("CONFIG", "SET", "stream-node-max-entries", "0")
	add(15, "b")
	do("CONFIG", "SET", "stream-node-max-bytes", "4096")
	do("CONFIG", "SET", "stream-node-max-entries", "100")
	add(5, "c")
	do("XTRIM", "q", "MAXLEN", "~", "60", "LIMIT", "10")
	do("XLEN", "q")
	do("XTRIM", "q", "MINID", "~", strconv.Itoa(from+50)+"-0")
	do("XLEN", "q")
	return id
}

// TestStreamNodeLimitsMatchRedis: with the node limits changed at runtime,
// approximate trims remove what redis-server removes, also after the AOF is
// replayed (the annotations that give each XADD its limits) and after a
// rewrite (the layout annotations).
func TestStreamNodeLimitsMatchRedis(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, ref, 2)
	both := func(op ...string) {
		t.Helper()
		if got, want := g.do(op...), r.do(op...); got != want {
			t.Errorf("%s\n   geomys: %q\n    redis: %q", quoteArgs(op), got, want)
		}
	}
	// The layout each step leaves is checked by trims at the end, on a copy.
	probe := func(stage string) {
		t.Helper()
		both("CONFIG", "SET", "stream-node-max-entries", "100")
		both("CONFIG", "SET", "stream-node-max-bytes", "4096")
		both("DEL", "p")
		both("COPY", "q", "p")
		for _, maxlen := range []string{"150", "90", "40", "3"} {
			both("XTRIM", "p", "MAXLEN", "~", maxlen, "LIMIT", "0")
			both("XLEN", "p")
		}
		if t.Failed() {
			t.Fatalf("layouts part %s", stage)
		}
	}
	id := streamNodeOps(both, 1)
	probe("at first")
	// Replay of the AOF: the XADDs with their limits' annotations.
	n.kill()
	n.restart()
	g = dialRESP(t, n.addr(), 2)
	probe("after the AOF was replayed")
	id = streamNodeOps(both, id)
	c := n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	n.kill()
	n.restart()
	g = dialRESP(t, n.addr(), 2)
	probe("after a rewrite")
	streamNodeOps(both, id)
	probe("at the end")
	both("CONFIG", "GET", "stream-node-max-entries")
}

// TestStreamNodeLimitsCluster: the leader's setting reaches every node
// through the log, so the three nodes cut blocks alike and hold the same
// data after approximate trims; the stream is the one redis-server builds.
func TestStreamNodeLimitsCluster(t *testing.T) {
	cl := startCluster(t, 3)
	ref := dialRESP(t, startRedis(t), 2)
	g := dialRESP(t, cl.leader().addr(), 2)
	var fs []*respConn
	for _, f := range cl.followers() {
		fs = append(fs, dialRESP(t, f.addr(), 2))
	}
	both := func(op ...string) {
		t.Helper()
		if op[0] == "CONFIG" {
			// Only the leader's setting counts; the followers' differ on
			// purpose to show that theirs does not.
			for _, f := range fs {
				f.do("CONFIG", "SET", op[2], "3")
			}
		}
		if got, want := g.do(op...), ref.do(op...); got != want {
			t.Errorf("%s\n   geomys: %q\n    redis: %q", quoteArgs(op), got, want)
		}
	}
	streamNodeOps(both, 1)
	d := cl.waitConverged()
	want := ref.do("XRANGE", "q", "-", "+")
	for _, f := range fs {
		if got := f.do("XRANGE", "q", "-", "+"); got != want {
			t.Errorf("a follower's stream differs from redis-server's:\n%s", firstDiff(got, want))
		}
	}
	t.Logf("converged, digest %s", d)
}
