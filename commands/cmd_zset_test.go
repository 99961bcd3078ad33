package commands

import (
	"fmt"
	"strings"
	"testing"
)

func TestZSetCommandsBasics(t *testing.T) {
	h := newHarness(t)
	h.expect(":3\r\n", "ZADD", "z", "1", "a", "2", "b", "3", "c")
	h.expect("$1\r\n2\r\n", "ZSCORE", "z", "b")
	h.expect("$1\r\n5\r\n", "ZINCRBY", "z", "3", "b")
	h.expect("*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n5\r\n", "ZRANGE", "z", "0", "-1", "WITHSCORES")
	h.expect(":1\r\n", "ZREM", "z", "a", "nosuch")
	h.expect(":2\r\n", "ZCARD", "z")
	h.expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "LPUSH", "z", "x")
	h.do("SET", "s", "v")
	h.expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "ZADD", "s", "1", "a")
	h.expect("+zset\r\n", "TYPE", "z")
}

// ZRANK/ZREVRANK take exactly key and member, as in Redis 7.0 (no WITHSCORE).
func TestZSetRank(t *testing.T) {
	h := newHarness(t)
	h.do("ZADD", "z", "1", "a", "2.5", "b", "3", "c")
	h.expect(":1\r\n", "ZRANK", "z", "b")
	h.expect(":0\r\n", "ZREVRANK", "z", "c")
	h.expect("$-1\r\n", "ZRANK", "z", "nosuch")
	h.expect("$-1\r\n", "ZRANK", "nokey", "a")
	h.expect("-ERR wrong number of arguments for 'zrank' command\r\n", "ZRANK", "z", "a", "WITHSCORE")
	h.expect("-ERR wrong number of arguments for 'zrevrank' command\r\n", "ZREVRANK", "z", "a", "WITHSCORE")
	h.proto = 3
	h.expect("_\r\n", "ZREVRANK", "z", "nosuch")
}

func TestZSetPropagation(t *testing.T) {
	h := newHarness(t)
	h.do("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
	h.aof()
	h.do("ZADD", "z", "NX", "5", "a") // no change: nothing propagated
	h.do("ZREM", "z", "nosuch")
	h.do("ZPOPMIN", "nosuch")
	if got := h.aof(); got != "" {
		t.Fatalf("no-op writes propagated %q", got)
	}
	h.do("ZINCRBY", "z", "1.5", "a")
	if got := h.aof(); got != "*4\r\n$7\r\nZINCRBY\r\n$1\r\nz\r\n$3\r\n1.5\r\n$1\r\na\r\n" {
		t.Fatalf("ZINCRBY propagated %q", got)
	}
	h.expect("*3\r\n$1\r\nz\r\n$1\r\nb\r\n$1\r\n2\r\n", "BZPOPMIN", "z", "0")
	if got := h.aof(); got != "*2\r\n$7\r\nZPOPMIN\r\n$1\r\nz\r\n" {
		t.Fatalf("BZPOPMIN propagated %q", got)
	}
	h.expect("*3\r\n$1\r\nz\r\n$1\r\nd\r\n$1\r\n4\r\n", "BZPOPMAX", "nosuch", "z", "1")
	if got := h.aof(); got != "*2\r\n$7\r\nZPOPMAX\r\n$1\r\nz\r\n" {
		t.Fatalf("BZPOPMAX propagated %q", got)
	}
	h.expect("*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\na\r\n$3\r\n2.5\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "ZMPOP", "1", "z", "MIN", "COUNT", "5")
	// Redis propagates the count popped (2 of the 5 asked for).
	if got := h.aof(); got != "*3\r\n$7\r\nZPOPMIN\r\n$1\r\nz\r\n$1\r\n2\r\n" {
		t.Fatalf("ZMPOP propagated %q", got)
	}
	h.expect(":0\r\n", "EXISTS", "z")
}

func TestZSetBlocking(t *testing.T) {
	h := newHarness(t)
	reply, c := h.run(nil, "BZPOPMIN", "a", "b", "1.5")
	if reply != "" || c.Blocked() == nil {
		t.Fatalf("BZPOPMIN on nothing: reply %q, block %v", reply, c.Blocked())
	}
	if b := c.Blocked(); strings.Join(b.Keys, ",") != "a,b" || b.Timeout != 1500 {
		t.Fatalf("block request %+v", *b)
	}
	_, c = h.run(nil, "ZADD", "b", "1", "x")
	if r := c.TakeReady(); len(r) != 1 || r[0].Key != "b" {
		t.Fatalf("ZADD signalled %v", r)
	}
	_, c = h.run(nil, "ZADD", "b", "XX", "2", "x") // an update adds nothing to wait for
	if r := c.TakeReady(); len(r) != 0 {
		t.Fatalf("ZADD XX signalled %v", r)
	}
	h.expect("*3\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n2\r\n", "BZPOPMIN", "a", "b", "0")
	reply, c = h.run(nil, "BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2")
	if reply != "" || c.Blocked() == nil || c.Blocked().Timeout != 0 {
		t.Fatalf("BZMPOP on nothing: %q %v", reply, c.Blocked())
	}
	h.do("SET", "s", "v")
	h.expect("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "BZPOPMIN", "a", "s", "0")
	h.expect("-ERR timeout is negative\r\n", "BZPOPMAX", "a", "-1")

	for _, tc := range []struct {
		args []string
		ms   int64
		err  string
	}{
		{[]string{"bzpopmin", "k", "2"}, 2000, ""},
		{[]string{"bzpopmax", "k", "x"}, 0, errTimeoutFloat},
		{[]string{"bzmpop", "0.5", "1", "k", "MIN"}, 500, ""},
		{[]string{"bzmpop", "0.5", "1", "k", "LEFT"}, 0, ErrSyntax},
		{[]string{"bzmpop", "0.5", "0", "k", "MIN"}, 0, errNumkeys},
		{[]string{"bzmpop", "x", "1", "k", "MIN"}, 0, errTimeoutFloat},
	} {
		argv := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			argv[i] = []byte(a)
		}
		ms, err := BlockTimeout(Lookup(argv[0]), argv)
		if ms != tc.ms || err != tc.err {
			t.Errorf("BlockTimeout %v = %d %q, want %d %q", tc.args, ms, err, tc.ms, tc.err)
		}
	}

	// A sorted set landing on a key by RENAME wakes BZPOPMIN waiters.
	h.do("ZADD", "src", "1", "a")
	_, c = h.run(nil, "RENAME", "src", "dst")
	if r := c.TakeReady(); len(r) != 1 || r[0].Key != "dst" {
		t.Fatalf("RENAME of a zset signalled %v", r)
	}
}

// A skiplist keeps -0, a listpack stores it as 0, as Redis does.
func TestZSetNegativeZero(t *testing.T) {
	h := newHarness(t)
	h.do("ZADD", "small", "-0", "a")
	h.expect("$1\r\n0\r\n", "ZSCORE", "small", "a")
	args := []string{"ZADD", "big"}
	for i := 0; i < 200; i++ {
		args = append(args, fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	h.do(args...)
	h.do("ZADD", "big", "-0", "neg")
	h.expect("$2\r\n-0\r\n", "ZSCORE", "big", "neg")
	h.expect("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "big")
}

// ZSCAN over a skiplist-encoded set returns every member present for the
// whole walk exactly once, even while members are added and removed.
func TestZSetScanWalk(t *testing.T) {
	h := newHarness(t)
	args := []string{"ZADD", "z"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	h.do(args...)
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 2000 {
			t.Fatal("walk does not end")
		}
		reply := h.do("ZSCAN", "z", cursor, "COUNT", "7")
		parts := strings.Split(reply, "\r\n")
		cursor = parts[2]
		for i := 5; i+2 < len(parts); i += 4 {
			seen[parts[i]]++
		}
		// Churn: members outside m0..m999 come and go.
		h.do("ZADD", "z", "5", fmt.Sprintf("extra%d", calls))
		h.do("ZREM", "z", fmt.Sprintf("extra%d", calls-3))
		if cursor == "0" {
			break
		}
	}
	for i := 0; i < 1000; i++ {
		if n := seen[fmt.Sprintf("m%d", i)]; n != 1 {
			t.Fatalf("m%d returned %d times", i, n)
		}
	}
	h.expect("*2\r\n$1\r\n0\r\n*0\r\n", "ZSCAN", "nosuch", "0")
}

func TestZSetRandMember(t *testing.T) {
	h := newHarness(t)
	args := []string{"ZADD", "z"}
	for i := 0; i < 300; i++ {
		args = append(args, fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	h.do(args...)
	reply := h.do("ZRANDMEMBER", "z", "50")
	parts := strings.Split(reply, "\r\n")
	if parts[0] != "*50" {
		t.Fatalf("reply header %q", parts[0])
	}
	distinct := map[string]bool{}
	for i := 2; i < len(parts); i += 2 {
		distinct[parts[i]] = true
	}
	if len(distinct) != 50 {
		t.Fatalf("%d distinct of 50", len(distinct))
	}
	if r := h.do("ZRANDMEMBER", "z", "-500", "WITHSCORES"); !strings.HasPrefix(r, "*1000\r\n") {
		t.Fatalf("negative count: %q", r[:20])
	}
	if r := h.do("ZRANDMEMBER", "z"); !strings.HasPrefix(r, "$") {
		t.Fatalf("single: %q", r)
	}
}

func TestZSetStoreEncodingAndTTL(t *testing.T) {
	h := newHarness(t)
	args := []string{"ZADD", "big"}
	for i := 0; i < 200; i++ {
		args = append(args, fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	h.do(args...)
	h.do("SET", "dst", "x", "EX", "100")
	h.expect(":10\r\n", "ZRANGESTORE", "dst", "big", "0", "9")
	h.expect("$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "dst")
	h.expect(":-1\r\n", "TTL", "dst")
	h.expect(":200\r\n", "ZUNIONSTORE", "dst", "2", "big", "dst")
	h.expect("$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "dst")
	h.expect(":0\r\n", "ZINTERSTORE", "dst", "2", "big", "dst2nosuch", "AGGREGATE", "MAX")
	h.expect(":0\r\n", "EXISTS", "dst")
}

// zstate renders every sorted set of db 0, for comparison.
func zstate(s *Store) string {
	var lines []string
	s.DBs[0].Range(func(k string, v any, at int64) bool {
		if z, ok := v.(*ZSet); ok {
			var b strings.Builder
			z.Range(0, z.Len(), false, func(e zEntry) { fmt.Fprintf(&b, "%s=%v,", e.member, e.score) })
			lines = append(lines, k+":"+b.String())
		}
		return true
	})
	sortStrings(lines)
	return strings.Join(lines, "\n")
}

// A snapshot taken while sorted sets change in place (both encodings) dumps
// them as they were when it began.
func TestZSetSnapshotIsPointInTime(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("z%d", i)
		args := []string{"ZADD", k}
		for j := 0; j < 10+i*15; j++ {
			args = append(args, fmt.Sprintf("%d.5", j%7), fmt.Sprintf("m%d", j))
		}
		h.do(args...)
	}
	want := zstate(h.store)
	sn := h.store.BeginSnapshot()
	var dump []byte
	step := 0
	for more := true; more; {
		dump, more = sn.Next(dump, 3)
		for j := 0; j < 4; j++ {
			k := fmt.Sprintf("z%d", (step*7+j)%20)
			switch step % 6 {
			case 0:
				h.do("ZADD", k, "100", "new", "-5", "m1")
			case 1:
				h.do("ZPOPMIN", k, "3")
			case 2:
				h.do("ZREMRANGEBYRANK", k, "0", "5")
			case 3:
				h.do("ZINCRBY", k, "7", "m2")
			case 4:
				h.do("ZUNIONSTORE", k, "2", k, "z0")
			case 5:
				h.do("ZREM", k, "m3", "m4")
			}
			step++
		}
	}
	sn.End()
	if got := zstate(replay(t, dump).store); got != want {
		t.Fatalf("dump differs from the state at BeginSnapshot\nwant:\n%s\n\ngot:\n%s", want, got)
	}
}
