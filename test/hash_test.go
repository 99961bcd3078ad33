package test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const hashScript = `
# HSET, HMSET, HSETNX
HSET h f1 v1
HSET h f2 v2 f3 v3
HSET h f1 new f4 v4
HSET h f1
HSET h f1 v1 f2
HSET h
HMSET h a 1 b 2
HMSET h a
HMSET h a 1 b
HSETNX h a 9
HSETNX h c 3
HSETNX nosuch f v
HSETNX h
HGETALL h
HLEN h
TYPE h
OBJECT ENCODING h
HSET h "" empty
HGET h ""
HSET h "bin\x00ary" "v\r\nx"
HGET h "bin\x00ary"
HGETALL h
# reads
HGET h f1
HGET h nosuch
HGET nosuch f
HMGET h f1 nosuch f2
HMGET nosuch a b
HMGET h
HGETALL nosuch
HKEYS h
HVALS h
HKEYS nosuch
HVALS nosuch
HLEN nosuch
HEXISTS h f1
HEXISTS h nosuch
HEXISTS nosuch f1
HSTRLEN h f1
HSTRLEN h nosuch
HSTRLEN nosuch f
HSET h num 12345
HSTRLEN h num
HGET h
HLEN
HKEYS h extra
# HDEL, empty hash deletes the key
HDEL h f1 f1 nosuch f2
HDEL h nosuch
HDEL nosuch f
HDEL h
HGETALL h
DEL h
HSET h x 1 y 2
HDEL h x y z
EXISTS h
HSET h x 1
HDEL h x
EXISTS h
HDEL h x
# order is kept through deletes in a listpack
HSET o a 1 b 2 c 3 d 4 e 5
HDEL o b d
HSET o b 22 a 11
HGETALL o
HKEYS o
HVALS o
# wrong type
SET s v
HSET s f v
HMSET s f v
HSETNX s f v
HGET s f
HMGET s f
HGETALL s
HDEL s f
HLEN s
HEXISTS s f
HKEYS s
HVALS s
HINCRBY s f 1
HINCRBYFLOAT s f 1
HSTRLEN s f
HRANDFIELD s
HRANDFIELD s 2
HRANDFIELD s -2 WITHVALUES
HSCAN s 0
LPUSH l a
HGET l a
GET h
# HINCRBY
HINCRBY c n 5
HINCRBY c n -7
HINCRBY c n 0
HGET c n
HINCRBY c n abc
HINCRBY c n 1.5
HINCRBY c n " 1"
HINCRBY c n ""
HINCRBY c n 99999999999999999999
HSET c s hello
HINCRBY c s 1
HSET c big 9223372036854775806
HINCRBY c big 1
HINCRBY c big 1
HINCRBY c big -1
HSET c small -9223372036854775807
HINCRBY c small -1
HINCRBY c small -1
HSET c sp " 5"
HINCRBY c sp 1
HSET c lead 007
HINCRBY c lead 1
HSET c plus +5
HINCRBY c plus 1
HSET c fl 1.0
HINCRBY c fl 1
HINCRBY s f 1 2
HINCRBY nosuch f abc
HINCRBY newkey f -3
HGETALL newkey
# HINCRBYFLOAT
HINCRBYFLOAT f x 10.5
HINCRBYFLOAT f x 0.1
HINCRBYFLOAT f x -5
HINCRBYFLOAT f x 3.0e3
HINCRBYFLOAT f x 1e-5
HGET f x
HINCRBYFLOAT f y 5
HINCRBYFLOAT f y 5.0
HINCRBYFLOAT f x abc
HINCRBYFLOAT f x ""
HINCRBYFLOAT f x inf
HINCRBYFLOAT f x -inf
HINCRBYFLOAT f x nan
HINCRBYFLOAT f x 1e5000
HSET f s hello
HINCRBYFLOAT f s 1
HSET f i inf
HINCRBYFLOAT f i 1
HSET f n 10
HINCRBYFLOAT f n 0.5
HINCRBYFLOAT f n 1.7976931348623157e308
HINCRBYFLOAT f h 0x10
HINCRBYFLOAT f t 1.5e
HINCRBYFLOAT f t " 1"
HINCRBYFLOAT f z -0.0
HGET f z
HINCRBYFLOAT nosuch f x
HLEN f
OBJECT ENCODING f
# HRANDFIELD with deterministic results
HRANDFIELD nosuch
HRANDFIELD nosuch 5
HRANDFIELD nosuch -5 WITHVALUES
HRANDFIELD nosuch 0
HSET r a 1 b 2 c 3
HRANDFIELD r 0
HRANDFIELD r 3
HRANDFIELD r 10
HRANDFIELD r 10 WITHVALUES
HRANDFIELD r 3 withvalues
HRANDFIELD r 1 WITHVALUE
HRANDFIELD r 1 WITHVALUES extra
HRANDFIELD r abc
HRANDFIELD r 1.5
HRANDFIELD nosuch abc
HRANDFIELD r 5000000000000000000 WITHVALUES
HRANDFIELD r -5000000000000000000 WITHVALUES
HSET one only v
HRANDFIELD one
HRANDFIELD one 1
HRANDFIELD one -3
HRANDFIELD one -3 WITHVALUES
HRANDFIELD one 1 WITHVALUES
HRANDFIELD one 2 WITHVALUES
# HSCAN on a listpack returns everything with cursor 0
HSET sc a 1 b 2 c 3 ab 4 abc 5
HSCAN sc 0
HSCAN sc 0 COUNT 1
HSCAN sc 17 COUNT 2
HSCAN sc 0 MATCH a*
HSCAN sc 0 MATCH a* COUNT 100
HSCAN sc 0 match *b* count 3
HSCAN sc 0 MATCH zz*
HSCAN sc 0 MATCH *
HSCAN sc 0 COUNT 0
HSCAN sc 0 COUNT -1
HSCAN sc 0 COUNT abc
HSCAN sc 0 COUNT
HSCAN sc 0 MATCH
HSCAN sc 0 TYPE string
HSCAN sc 0 foo bar
HSCAN sc abc
HSCAN sc -1
HSCAN sc " 1"
HSCAN sc 99999999999999999999
HSCAN nosuch 0
HSCAN nosuch 0 COUNT 0
HSCAN nosuch abc
HSCAN sc 0 NOVALUES => "*2\r\n$1\r\n0\r\n*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\nab\r\n$3\r\nabc\r\n"
HSCAN sc 0 MATCH ab* NOVALUES => "*2\r\n$1\r\n0\r\n*2\r\n$2\r\nab\r\n$3\r\nabc\r\n"
# encodings: listpack up to 128 fields and 64-byte fields/values
HSET e1 f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e1
HSET e2 f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e2
HSET e3 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx v
OBJECT ENCODING e3
HMSET e4 a 1 b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e4
HSET e5 a 1
HSETNX e5 b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e5
HDEL e2 f
EXISTS e2
HSET e6 a 1
HINCRBYFLOAT e6 a 1e60
HGET e6 a
HINCRBY e6 i 5
OBJECT ENCODING e6
# HINCRBYFLOAT is propagated as HSET (checked with OBJECT FREQ-free reads)
HGETALL e6
# COPY, RENAME, DEL of hashes; a copy is independent
HSET cp a 1 b 2
COPY cp cp2
HSET cp2 c 3
HDEL cp2 a
HGETALL cp
HGETALL cp2
RENAME cp2 cp3
HGETALL cp3
EXISTS cp2
EXPIRE cp3 100
HSET cp3 d 4
TTL cp3
HINCRBYFLOAT cp3 d 0.5
TTL cp3
# arity
HGETALL
HDEL h
HEXISTS h
HSTRLEN h
HINCRBY h f
HINCRBYFLOAT h f
HRANDFIELD
HSCAN h
`

// TestHash runs the hash tests as subtests on one node (FLUSHALL between them).
func TestHash(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testHashCommandsMatchRedis},
		nodeTest{"BigMatchesRedis", testHashBigMatchesRedis},
		nodeTest{"Large", testHashLarge},
		nodeTest{"RandField", testHashRandField},
		nodeTest{"Scan", testHashScan},
	)
}

// hashState reads every hash key as sorted field=value lines plus encoding.
func hashState(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	ctx := ctxT(t)
	out := map[string]string{}
	for _, k := range c.Keys(ctx, "*").Val() {
		m := c.HGetAll(ctx, k).Val()
		lines := make([]string, 0, len(m))
		for f, v := range m {
			lines = append(lines, f+"="+v)
		}
		sort.Strings(lines)
		out[k] = c.ObjectEncoding(ctx, k).Val() + ":" + strings.Join(lines, ",")
	}
	return out
}

// TestHashPersistence: hashes, including big ones changed in place while an
// AOF rewrite (snapshot) runs, survive a restart and a kill -9.
func TestHashPersistence(t *testing.T) {
	n := startNode(t, "--auto-aof-rewrite-min-size", "65536", "--auto-aof-rewrite-percentage", "100")
	c := n.client()
	ctx := ctxT(t)
	for round := 0; round < 3; round++ {
		pipe := c.Pipeline()
		for i := 0; i < 3000; i++ {
			key := "h" + strconv.Itoa(i%7)
			f := "f" + strconv.Itoa((i*31+round)%(50+i%7*60))
			switch i % 5 {
			case 0, 1:
				pipe.HSet(ctx, key, f, strings.Repeat("v", i%90))
			case 2:
				pipe.HIncrBy(ctx, key, "n"+f, int64(i))
			case 3:
				pipe.HIncrByFloat(ctx, key, "x"+f, 0.1)
			case 4:
				pipe.HDel(ctx, key, f)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		info := c.Info(ctx, "persistence").Val()
		if !strings.Contains(info, "aof_base_size:0\r") && strings.Contains(info, "aof_rewrite_in_progress:0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no automatic rewrite happened:\n%s", info)
		}
	}
	c.HIncrByFloat(ctx, "h1", "after-rewrite", 1.5)
	want := hashState(t, c)
	if len(want) != 7 {
		t.Fatalf("%d hashes", len(want))
	}
	n.stop()
	n.restart()
	c = n.client()
	got := hashState(t, c)
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("after restart %s differs:\n got %.200s\nwant %.200s", k, got[k], v)
		}
	}
	c.HSet(ctx, "h0", "after", "kill")
	want = hashState(t, c)
	n.kill()
	n.restart()
	c = n.client()
	got = hashState(t, c)
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("after kill -9 %s differs:\n got %.200s\nwant %.200s", k, got[k], v)
		}
	}
}

func testHashCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, hashScript)
}

// testHashBigMatchesRedis runs a long seeded sequence of hash commands on
// hashes that stay small enough to keep Redis' listpack order (so even
// HGETALL and HSCAN must match byte for byte) and on hashes that cross the
// encoding limits (compared through order-independent commands).
func testHashBigMatchesRedis(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(4242)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	val := func() string {
		switch rnd(4) {
		case 0:
			return strconv.Itoa(rnd(50) - 10)
		case 1:
			return "v" + strconv.Itoa(rnd(30))
		case 2:
			return strings.Repeat("x", 55+rnd(20)) // crosses the 64-byte limit
		default:
			return strconv.Itoa(rnd(100)) + ".5"
		}
	}
	for i := 0; i < 800; i++ {
		big := rnd(2) == 0
		key, nf := "small", 20
		if big {
			key, nf = "big", 400
		}
		field := func() string { return "f" + strconv.Itoa(rnd(nf)) }
		switch op := rnd(12); op {
		case 0, 1, 2:
			v := val()
			if !big && len(v) > 64 {
				v = "short"
			}
			fmt.Fprintf(&b, "HSET %s %s %s %s %s\n", key, field(), v, field(), strconv.Itoa(rnd(9)))
		case 3:
			fmt.Fprintf(&b, "HDEL %s %s %s\n", key, field(), field())
		case 4:
			fmt.Fprintf(&b, "HINCRBY %s %s %d\n", key, field(), rnd(100)-50)
		case 5:
			fmt.Fprintf(&b, "HINCRBYFLOAT %s %s %d.25\n", key, field(), rnd(100)-50)
		case 6:
			fmt.Fprintf(&b, "HSETNX %s %s n%d\n", key, field(), rnd(10))
		case 7:
			fmt.Fprintf(&b, "HMGET %s %s %s %s\n", key, field(), field(), field())
		case 8:
			fmt.Fprintf(&b, "HLEN %s\nHEXISTS %s %s\nHSTRLEN %s %s\n", key, key, field(), key, field())
		case 9:
			fmt.Fprintf(&b, "HGET %s %s\n", key, field())
		case 10:
			if !big {
				fmt.Fprintf(&b, "HGETALL %s\nHSCAN %s 0 MATCH f1*\n", key, key)
			}
		case 11:
			fmt.Fprintf(&b, "OBJECT ENCODING %s\n", key)
		}
	}
	b.WriteString("HGETALL small\nHLEN big\nOBJECT ENCODING big\n")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "HGET big f%d\n", i)
	}
	compareWithRedis(t, n, b.String())
}

// testHashLarge checks a hashtable-encoded hash through go-redis: HGETALL,
// HKEYS and HVALS agree with each other, HDEL empties and deletes.
func testHashLarge(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	want := map[string]string{}
	args := []any{}
	for i := 0; i < 1000; i++ {
		f, v := "field:"+strconv.Itoa(i), "value:"+strconv.Itoa(i*7)
		want[f] = v
		args = append(args, f, v)
	}
	if got := c.HSet(ctx, "big", args...).Val(); got != 1000 {
		t.Fatalf("HSET = %d", got)
	}
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "hashtable" {
		t.Errorf("encoding = %q", enc)
	}
	all := c.HGetAll(ctx, "big").Val()
	if len(all) != 1000 {
		t.Fatalf("HGETALL has %d fields", len(all))
	}
	for f, v := range want {
		if all[f] != v {
			t.Fatalf("HGETALL[%s] = %q, want %q", f, all[f], v)
		}
	}
	keys, vals := c.HKeys(ctx, "big").Val(), c.HVals(ctx, "big").Val()
	if len(keys) != 1000 || len(vals) != 1000 {
		t.Fatalf("HKEYS %d, HVALS %d", len(keys), len(vals))
	}
	for i := range keys {
		if want[keys[i]] != vals[i] {
			t.Fatalf("HKEYS/HVALS disagree at %d: %s -> %s", i, keys[i], vals[i])
		}
	}
	for i := 0; i < 1000; i += 2 {
		c.HDel(ctx, "big", "field:"+strconv.Itoa(i))
	}
	if l := c.HLen(ctx, "big").Val(); l != 500 {
		t.Fatalf("HLEN = %d", l)
	}
	for i := 0; i < 1000; i++ {
		v, err := c.HGet(ctx, "big", "field:"+strconv.Itoa(i)).Result()
		if i%2 == 0 && err != redis.Nil || i%2 == 1 && v != want["field:"+strconv.Itoa(i)] {
			t.Fatalf("HGET field:%d = %q, %v", i, v, err)
		}
	}
	for i := 1; i < 1000; i += 2 {
		c.HDel(ctx, "big", "field:"+strconv.Itoa(i))
	}
	if e := c.Exists(ctx, "big").Val(); e != 0 {
		t.Fatalf("emptied hash still exists")
	}
	if v := c.HIncrByFloat(ctx, "fl", "x", 0.1).Val(); v != 0.1 {
		t.Errorf("HINCRBYFLOAT = %v", v)
	}
}

// testHashRandField checks HRANDFIELD's shapes and distinctness on both
// encodings in RESP2 and RESP3.
func testHashRandField(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	for _, size := range []int{5, 300} {
		key := "r" + strconv.Itoa(size)
		args := []any{}
		for i := 0; i < size; i++ {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		c.HSet(ctx, key, args...)
		for _, count := range []int{1, 2, 3, size - 1, size, size + 10} {
			got := c.HRandFieldWithValues(ctx, key, count).Val()
			if len(got) != min(count, size) {
				t.Fatalf("HRANDFIELD %s %d WITHVALUES: %d pairs", key, count, len(got))
			}
			seen := map[string]bool{}
			for _, kv := range got {
				if seen[kv.Key] {
					t.Fatalf("HRANDFIELD %s %d returned %s twice", key, count, kv.Key)
				}
				seen[kv.Key] = true
				if "v"+kv.Key[1:] != kv.Value {
					t.Fatalf("pair %s=%s", kv.Key, kv.Value)
				}
			}
		}
		got := c.HRandField(ctx, key, -50).Val()
		if len(got) != 50 {
			t.Fatalf("HRANDFIELD %s -50: %d", key, len(got))
		}
		for _, proto := range []int{2, 3} {
			rc := dialRESP(t, n.addr(), proto)
			r := rc.do("HRANDFIELD", key, "-4", "WITHVALUES")
			prefix := "*8\r\n$"
			if proto == 3 {
				prefix = "*4\r\n*2\r\n$"
			}
			if !strings.HasPrefix(r, prefix) {
				t.Fatalf("RESP%d HRANDFIELD -4 WITHVALUES = %q", proto, r)
			}
		}
	}
}

// testHashScan walks a hashtable-encoded hash with HSCAN while fields are
// added and deleted: every field present for the whole walk is returned
// exactly once.
func testHashScan(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	args := []any{}
	for i := 0; i < 2000; i++ {
		args = append(args, "k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	c.HSet(ctx, "h", args...)
	for _, count := range []int64{1, 10, 333} {
		seen := map[string]int{}
		cursor := uint64(0)
		step := 0
		for {
			fields, next, err := c.HScan(ctx, "h", cursor, "", count).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(fields)%2 != 0 {
				t.Fatalf("odd HSCAN reply")
			}
			for i := 0; i < len(fields); i += 2 {
				seen[fields[i]]++
				if fields[i][1:] != fields[i+1] {
					t.Fatalf("HSCAN pair %s=%s", fields[i], fields[i+1])
				}
			}
			// Churn: delete fields >= 1900 and add new ones during the walk.
			if step < 100 {
				c.HDel(ctx, "h", "k"+strconv.Itoa(1900+step))
				c.HSet(ctx, "h", "new"+strconv.Itoa(step), "ew"+strconv.Itoa(step))
			}
			step++
			cursor = next
			if cursor == 0 {
				break
			}
		}
		for i := 0; i < 1900; i++ {
			if k := "k" + strconv.Itoa(i); seen[k] != 1 {
				t.Fatalf("COUNT %d: %s returned %d times", count, k, seen[k])
			}
		}
		// Restore for the next round.
		c.Del(ctx, "h")
		c.HSet(ctx, "h", args...)
	}
	keys, _, err := c.HScanNoValues(ctx, "h", 0, "k1*", 5000).Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	if len(keys) != 1111 || keys[0] != "k1" {
		t.Fatalf("HSCAN MATCH k1* NOVALUES: %d keys, first %q", len(keys), keys[0])
	}
}
