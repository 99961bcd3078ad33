package test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// hllScript covers the HyperLogLog commands and errors; GET after each
// change compares the representation byte for byte (header, cached
// cardinality and its stale bit, sparse opcodes or dense registers).
const hllScript = `
PFADD h a b c
GET h
OBJECT ENCODING h
PFADD h a b c
GET h
PFCOUNT h
GET h
PFCOUNT h
PFADD h d
GET h
PFCOUNT h
GET h
PFADD empty
GET empty
PFCOUNT empty
GET empty
PFADD empty
PFCOUNT nokey
EXISTS nokey
PFADD h "" "\x00" "bin\r\nary"
PFCOUNT h
GET h
PFDEBUG ENCODING h
PFDEBUG DECODE h
PFDEBUG encoding empty
PFDEBUG decode empty
# several keys: a merged count, nothing cached
PFADD h2 c d e f
PFCOUNT h h2
GET h2
PFCOUNT h nokey h2 h
PFCOUNT nokey nokey2
# PFMERGE
PFMERGE m h h2
GET m
PFCOUNT m
GET m
PFMERGE m
GET m
PFMERGE m2
GET m2
PFMERGE m3 nokey
GET m3
PFMERGE h2 h
GET h2
PFMERGE m4 m4
GET m4
SET t x EX 100
DEL t
PFADD t a
EXPIRE t 100
PFADD t b
PFMERGE t h
TTL t
# errors
SET str foo
PFADD str a
PFCOUNT str
PFCOUNT h str
PFMERGE m str
PFMERGE str h
GET m
RPUSH list a
PFADD list a
PFCOUNT list
PFCOUNT h list
PFMERGE list h
PFMERGE m list
PFDEBUG ENCODING list
PFDEBUG ENCODING str
SET short HYLL
PFCOUNT short
SET badenc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFADD badenc a
PFCOUNT badenc
SET baddense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
PFCOUNT baddense
PFADD baddense a
PFMERGE m baddense
# corrupted sparse values: too few registers, or too many
SET short16383 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"
PFCOUNT short16383
PFCOUNT short16383 h
PFMERGE m short16383
PFADD short16383 a b c
GET short16383
PFDEBUG GETREG short16383
PFDEBUG TODENSE short16383
SET over "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x84"
PFCOUNT over
PFCOUNT over h
PFMERGE m over
PFADD over a
SET validcache "HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT validcache
OBJECT ENCODING validcache
PFADD validcache x
GET validcache
PFADD
PFCOUNT
PFMERGE
PFDEBUG
PFDEBUG GETREG
PFDEBUG GETREG nokey
PFDEBUG FOO nokey
PFDEBUG FOO h
PFDEBUG DECODE nokey
# PFDEBUG TODENSE / GETREG turn a sparse value dense
PFADD d1 1 2 3 4 5
PFDEBUG TODENSE d1
PFDEBUG TODENSE d1
PFDEBUG ENCODING d1
PFDEBUG DECODE d1
STRLEN d1
PFCOUNT d1
GET d1
PFADD d2 x y
PFDEBUG GETREG d2
PFDEBUG ENCODING d2
GET d2
PFADD d2 z
GET d2
PFMERGE sp h
PFMERGE sp d2
PFDEBUG ENCODING sp
GET sp
PFSELFTEST
# in scripts
EVAL "redis.call('pfadd', KEYS[1], 'a', 'b'); return redis.call('pfcount', KEYS[1])" 1 ev
GET ev
EVAL "redis.call('pfadd', KEYS[1], 'c'); redis.call('pfmerge', KEYS[2], KEYS[1], KEYS[3]); return redis.call('get', KEYS[2])" 3 ev ev2 h
EVAL "return redis.call('pfcount', KEYS[1], KEYS[2])" 2 ev ev2
EVAL_RO "return redis.call('pfadd', KEYS[1], 'q')" 1 ev
EVAL_RO "return redis.call('pfcount', KEYS[1], KEYS[2])" 2 ev ev2
EVAL "return redis.call('pfadd', KEYS[1], 'q')" 1 list
`

// hllScriptBig adds enough elements for the sparse representation to pass
// hll-sparse-max-bytes and turn dense, merges sparse with dense, and counts
// at several sizes.
func hllScriptBig() string {
	var b strings.Builder
	add := func(key string, from, to int) {
		fmt.Fprintf(&b, "PFADD %s", key)
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, " e%d", i)
		}
		b.WriteString("\n")
	}
	for _, n := range []int{10, 100, 300, 700, 1000, 1500} {
		key := "s" + strconv.Itoa(n)
		add(key, 0, n)
		fmt.Fprintf(&b, "GET %s\nSTRLEN %s\nPFDEBUG ENCODING %s\nPFCOUNT %s\nGET %s\n", key, key, key, key, key)
	}
	// Grow one key in small steps across the promotion.
	for i := 0; i < 3000; i += 50 {
		add("grow", i, i+50)
		fmt.Fprintf(&b, "STRLEN grow\nPFDEBUG ENCODING grow\n")
	}
	fmt.Fprintf(&b, "GET grow\nPFCOUNT grow\nGET grow\n")
	add("big", 0, 20000)
	add("big", 20000, 60000)
	fmt.Fprintf(&b, "PFCOUNT big\nGET big\n")
	fmt.Fprintf(&b, "PFMERGE ms s10 s100\nGET ms\nPFCOUNT ms\n")
	fmt.Fprintf(&b, "PFMERGE ms s700 s1000\nGET ms\nPFDEBUG ENCODING ms\n")
	fmt.Fprintf(&b, "PFMERGE md s10 big\nGET md\nPFCOUNT md\nGET md\n")
	fmt.Fprintf(&b, "PFMERGE s100 grow\nGET s100\n")
	fmt.Fprintf(&b, "PFCOUNT s10 s100 s300 big\nPFCOUNT s1500 s700\n")
	return b.String()
}

func TestHLL(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, hllScript) }},
		nodeTest{"BigMatchesRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, hllScriptBig()) }},
		nodeTest{"RandomMatchesRedis", testHLLRandom},
	)
}

// testHLLRandom runs a seeded random sequence of PFADD, PFMERGE and PFCOUNT
// over a few keys, comparing every reply and, now and then and at the end,
// every key's bytes with redis-server.
func testHLLRandom(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(31337)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	keys := []string{"p0", "p1", "p2", "p3", "p4"}
	key := func() string { return keys[rnd(len(keys))] }
	for i := 0; i < 1200; i++ {
		switch rnd(10) {
		case 0, 1, 2, 3, 4:
			fmt.Fprintf(&b, "PFADD %s", key())
			// Mostly small batches; now and then a big one that turns a
			// key dense.
			count := rnd(8)
			if rnd(40) == 0 {
				count = 400 + rnd(800)
			}
			for j := 0; j < count; j++ {
				fmt.Fprintf(&b, " x%d", rnd(100000))
			}
			b.WriteString("\n")
		case 5:
			fmt.Fprintf(&b, "PFMERGE %s %s %s\n", key(), key(), key())
		case 6:
			fmt.Fprintf(&b, "PFMERGE %s %s\n", key(), key())
		case 7:
			fmt.Fprintf(&b, "PFCOUNT %s\n", key())
		case 8:
			fmt.Fprintf(&b, "PFCOUNT %s %s\n", key(), key())
		case 9:
			k := key()
			fmt.Fprintf(&b, "GET %s\nPFDEBUG ENCODING %s\n", k, k)
		}
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "GET %s\nPFCOUNT %s\nGET %s\n", k, k, k)
	}
	compareWithRedis(t, n, b.String())
}

// TestHLLPersistence: HyperLogLogs and bitmaps, including the cardinality
// cache that PFCOUNT writes, survive a restart, a rewrite and kill -9, and a
// stock redis-server loading the AOF holds the same bytes.
func TestHLLPersistence(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	c := n.client()
	fill := func(prefix string) {
		for _, cmd := range [][]any{
			{"pfadd", prefix + "h1", "a", "b", "c"},
			{"pfcount", prefix + "h1"}, // caches: propagated as PFCOUNT
			{"pfadd", prefix + "h2", "c", "d"},
			{"pfmerge", prefix + "h3", prefix + "h1", prefix + "h2"},
			{"pfcount", prefix + "h3"},
			{"pfadd", prefix + "h2", "e"},
			{"setbit", prefix + "b1", 77, 1},
			{"bitfield", prefix + "b2", "set", "i12", "#3", -100, "incrby", "u7", 1, 200},
			{"bitfield", prefix + "b3", "overflow", "fail", "incrby", "u2", 40, 9},
			{"bitop", "xor", prefix + "b4", prefix + "b1", prefix + "b2"},
		} {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				t.Fatalf("%v: %v", cmd, err)
			}
		}
		big := []any{"pfadd", prefix + "dense"}
		for i := 0; i < 3000; i++ {
			big = append(big, i)
		}
		if err := c.Do(ctx, big...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "pfcount", prefix+"dense").Err(); err != nil {
			t.Fatal(err)
		}
	}
	fill("")
	before := dump(t, n.addr())
	if len(before) != 8 {
		t.Fatalf("%d keys written: %v", len(before), before)
	}
	if v := before["0/h1"]; !strings.HasPrefix(v, "string:HYLL\x01\x00\x00\x00\x03\x00") {
		t.Fatalf("h1 = %q: want a sparse HLL with 3 cached", v)
	}
	n.stop()
	n.restart()
	sameDump(t, "after restart", before, dump(t, n.addr()))

	c = n.client()
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	fill("after:")
	before = dump(t, n.addr())
	n.kill()
	n.restart()
	sameDump(t, "after rewrite + kill -9", before, dump(t, n.addr()))
	n.stop()

	rs := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading the Geomys AOF", before, dump(t, rs))
}

// TestHLLCluster: PFCOUNT sent to a follower caches the same bytes on every
// node, and they are the bytes redis-server holds for the same commands.
func TestHLLCluster(t *testing.T) {
	cl := startCluster(t, 3)
	ref := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2})
	ctx := context.Background()
	follower := cl.followers()[0].client()
	leader := cl.leader().client()
	cmds := [][]any{
		{"pfadd", "h", "a", "b", "c", "d"},
		{"pfcount", "h"},
		{"pfadd", "h", "e"},
		{"pfmerge", "m", "h"},
		{"pfcount", "m"},
		{"setbit", "b", 9, 1},
	}
	for _, cmd := range cmds {
		want, werr := ref.Do(ctx, cmd...).Result()
		got, gerr := follower.Do(ctx, cmd...).Result()
		if fmt.Sprint(want, werr) != fmt.Sprint(got, gerr) {
			t.Fatalf("%v through a follower: %v %v, redis-server: %v %v", cmd, got, gerr, want, werr)
		}
	}
	if err := leader.Do(ctx, "pfcount", "h").Err(); err != nil {
		t.Fatal(err)
	}
	if err := ref.Do(ctx, "pfcount", "h").Err(); err != nil {
		t.Fatal(err)
	}
	cl.waitConverged()
	for _, key := range []string{"h", "m", "b"} {
		want := ref.Get(ctx, key).Val()
		for _, nd := range cl.nodes {
			got := dialRESP(t, nd.addr(), 2).do("GET", key)
			if got != "$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n" {
				t.Fatalf("GET %s on %s = %q, redis-server holds %q", key, nd.name(), got, want)
			}
		}
	}
}

// TestBitmapHLLCommandInfo: COMMAND INFO describes the bitmap and HLL
// commands as redis-server does (arity, flags, key positions, categories).
func TestBitmapHLLCommandInfo(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	ref := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2})
	names := []string{"setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro",
		"pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"}
	want, err := ref.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.client().Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		w, g := want[name], got[name]
		if g == nil {
			t.Errorf("COMMAND INFO %s: missing", name)
			continue
		}
		ws := fmt.Sprint(w.Arity, w.Flags, w.FirstKeyPos, w.LastKeyPos, w.StepCount, w.ACLFlags)
		gs := fmt.Sprint(g.Arity, g.Flags, g.FirstKeyPos, g.LastKeyPos, g.StepCount, g.ACLFlags)
		if ws != gs {
			t.Errorf("COMMAND INFO %s:\n   geomys: %s\n    redis: %s", name, gs, ws)
		}
	}
}
