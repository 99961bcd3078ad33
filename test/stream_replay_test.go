package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// streamOps is a random run of stream and consumer-group commands with
// explicit ids (replies compare byte for byte) over two keys.
func streamOps(seed uint64, n int) [][]string {
	r := rand.New(rand.NewPCG(seed, 1))
	keys := []string{"s1", "s2"}
	next := map[string]int{}
	var ops [][]string
	for i := 0; i < n; i++ {
		k := keys[r.IntN(2)]
		g := "g" + strconv.Itoa(r.IntN(2))
		cn := "c" + strconv.Itoa(r.IntN(3))
		id := func() string { return strconv.Itoa(1+r.IntN(next[k]+1)) + "-0" }
		switch r.IntN(12) {
		case 0, 1, 2:
			next[k]++
			op := []string{"XADD", k}
			if r.IntN(5) == 0 {
				op = append(op, "MAXLEN", "=", strconv.Itoa(5+r.IntN(20)))
			}
			ops = append(ops, append(op, strconv.Itoa(next[k])+"-0", "f", strconv.Itoa(i)))
		case 3:
			ops = append(ops, []string{"XDEL", k, id()})
		case 4:
			ops = append(ops, []string{"XGROUP", "CREATE", k, g, "0", "MKSTREAM"})
		case 5, 6:
			ops = append(ops, []string{"XREADGROUP", "GROUP", g, cn, "COUNT", strconv.Itoa(1 + r.IntN(3)), "STREAMS", k, ">"})
		case 7:
			ops = append(ops, []string{"XACK", k, g, id(), id()})
		case 8:
			ops = append(ops, []string{"XCLAIM", k, g, cn, "0", id(), "TIME", strconv.Itoa(1000 + i), "JUSTID"})
		case 9:
			ops = append(ops, []string{"XAUTOCLAIM", k, g, cn, "0", "0", "COUNT", "2", "JUSTID"})
		case 10:
			ops = append(ops, []string{"XREADGROUP", "GROUP", g, cn, "STREAMS", k, "0"})
		case 11:
			if r.IntN(3) == 0 {
				ops = append(ops, []string{"XGROUP", "DELCONSUMER", k, g, cn})
			} else {
				ops = append(ops, []string{"XGROUP", "CREATECONSUMER", k, g, cn})
			}
		}
	}
	return ops
}

// streamState is what must survive a replay: entries, stream metadata,
// groups and pending entries (idle times left out).
func streamState(t *testing.T, addr string, full bool) string {
	rc := dialRESP(t, addr, 2)
	var b strings.Builder
	for _, k := range []string{"s1", "s2"} {
		b.WriteString(rc.do("XRANGE", k, "-", "+"))
		b.WriteString(rc.do("XINFO", "STREAM", k))
		b.WriteString(rc.do("XINFO", "GROUPS", k))
		for _, g := range []string{"g0", "g1"} {
			b.WriteString(rc.do("XPENDING", k, g))
		}
		if full {
			// Delivery and seen times are replicated data in Geomys.
			b.WriteString(rc.do("XINFO", "STREAM", k, "FULL", "COUNT", "0"))
		}
	}
	return b.String()
}

func TestStreamRandomOpsMatchRedisAndReplay(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, ref, 2)
	bad := 0
	for _, op := range streamOps(7, 1500) {
		got, want := g.do(op...), r.do(op...)
		if got != want {
			if bad++; bad <= 10 {
				t.Errorf("%s\n   geomys: %q\n    redis: %q", quoteArgs(op), got, want)
			}
		}
	}
	if got, want := streamState(t, n.addr(), false), streamState(t, ref, false); got != want {
		t.Fatalf("state differs from redis-server:\n geomys: %q\n  redis: %q", got, want)
	}
	before := streamState(t, n.addr(), true)
	n.stop()
	n.restart()
	if got := streamState(t, n.addr(), true); got != before {
		t.Fatalf("after restart (AOF replay): %s", firstDiff(got, before))
	}
	c := n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	n.kill()
	n.restart()
	if got := streamState(t, n.addr(), true); got != before {
		t.Fatalf("after rewrite and restart: %s", firstDiff(got, before))
	}
	n.stop()
	addr := startRedisOnDir(t, freePort(t), n.dir)
	// Redis' own rewrite drops pending entries whose stream entry is gone
	// (its XCLAIM skips them), so those are left out of this comparison.
	if got, want := loadableState(t, addr), loadableState(t, ref); got != want {
		t.Fatalf("redis-server loading our AOF: %s", firstDiff(got, want))
	}
}

func TestStreamCluster(t *testing.T) {
	cl := startCluster(t, 3)
	cl.waitMembers(3)
	for _, f := range cl.followers() {
		rc := dialRESP(t, f.addr(), 2)
		rc.do("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
		for i := 0; i < 50; i++ {
			if got := rc.do("XADD", "q", "*", "n", strconv.Itoa(i)); !strings.HasPrefix(got, "$") {
				t.Fatalf("XADD * through a follower = %q", got)
			}
		}
		if got := rc.do("XREADGROUP", "GROUP", "g", "c-"+f.name(), "COUNT", "10", "STREAMS", "q", ">"); !strings.HasPrefix(got, "*1\r\n") {
			t.Fatalf("XREADGROUP through a follower = %q", got)
		}
		rc.do("XAUTOCLAIM", "q", "g", "other", "0", "0", "COUNT", "3")
	}
	d := cl.waitConverged()
	t.Logf("converged, digest %s", d)
}

// firstDiff shows where two long replies part.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(i-300, 0)
	return fmt.Sprintf("at byte %d\n got: %q\nwant: %q", i, got[from:min(i+200, len(got))], want[from:min(i+200, len(want))])
}

// loadableState is what a stock redis-server must get from our AOF:
// entries, stream metadata, groups' positions and the pending entries
// whose stream entry still exists, with their owners and delivery counts.
func loadableState(t *testing.T, addr string) string {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx := context.Background()
	var b strings.Builder
	for _, k := range []string{"s1", "s2"} {
		entries := c.XRange(ctx, k, "-", "+").Val()
		exists := map[string]bool{}
		for _, e := range entries {
			exists[e.ID] = true
		}
		fmt.Fprintf(&b, "%s %v\n", k, entries)
		info := c.XInfoStream(ctx, k).Val()
		fmt.Fprintf(&b, "%d %s %s %d %s\n", info.Length, info.LastGeneratedID, info.MaxDeletedEntryID, info.EntriesAdded, info.RecordedFirstEntryID)
		for _, g := range c.XInfoGroups(ctx, k).Val() {
			fmt.Fprintf(&b, "group %s %s %d %d\n", g.Name, g.LastDeliveredID, g.EntriesRead, g.Lag)
			for _, p := range c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k, Group: g.Name, Start: "-", End: "+", Count: 10000}).Val() {
				if exists[p.ID] {
					fmt.Fprintf(&b, "  %s %s %d\n", p.ID, p.Consumer, p.RetryCount)
				}
			}
		}
	}
	return b.String()
}

// TestStreamNodeLayoutSurvivesRewrite checks that a stream loaded from a
// rewritten AOF keeps Redis' node layout where the rewrite cannot show it:
// a node whose first entry (its master entry, whose field names the later
// entries are sized against) was deleted keeps sizing new entries against
// those names, so approximate trimming goes on removing what Redis removes.
func TestStreamNodeLayoutSurvivesRewrite(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, ref, 2)
	both := func(op ...string) {
		t.Helper()
		if got, want := g.do(op...), r.do(op...); got != want {
			t.Errorf("%s\n   geomys: %q\n    redis: %q", quoteArgs(op), got, want)
		}
	}
	const fill = `for i=tonumber(ARGV[1]),tonumber(ARGV[2]) do
	  redis.call('XADD', KEYS[1], i..'-0', 'event', 'completed', 'jobId', tostring(i), 'returnvalue', '{"sum":'..(i*11)..'}', 'prev', 'active')
	end return redis.call('XLEN', KEYS[1])`
	// Two nodes of 100 small entries, then one whose master entry has other
	// names than the entries after it.
	both("EVAL", "for i=1,200 do redis.call('XADD', KEYS[1], i..'-0', 'f', i) end return 1", "1", "q")
	both("XADD", "q", "201-0", "master", "x")
	both("EVAL", fill, "1", "q", "202", "240")
	both("XDEL", "q", "201-0", "202-0")
	c := n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	n.kill()
	n.restart()
	g = dialRESP(t, n.addr(), 2)
	both("EVAL", fill, "1", "q", "241", "600")
	both("XINFO", "STREAM", "q")
	for _, maxlen := range []string{"500", "350", "200", "100", "10"} {
		both("XTRIM", "q", "MAXLEN", "~", maxlen)
		both("XLEN", "q")
	}
}
