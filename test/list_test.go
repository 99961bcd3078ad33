package test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

const listScript = `
# pushes
LPUSH l a
LPUSH l b c
RPUSH l d e
LRANGE l 0 -1
LLEN l
LPUSHX nosuch a
RPUSHX nosuch a
EXISTS nosuch
LPUSHX l x y
RPUSHX l z
LRANGE l 0 -1
LPUSH l
RPUSH
LPUSHX l
SET s v
LPUSH s a
RPUSH s a
LPUSHX s a
RPUSHX s a
LLEN s
LLEN nosuch
TYPE l
# every list is a quicklist in Redis 7.0
OBJECT ENCODING l
# pops with and without count
DEL l
RPUSH l 1 2 3 4 5 6 7 8 9
LPOP l
RPOP l
LPOP l 2
RPOP l 2
LPOP l 0
RPOP l 0
LPOP l -1
RPOP l -1
LPOP l x
LPOP l 1 2
LRANGE l 0 -1
LPOP l 10
EXISTS l
LPOP l
RPOP l
LPOP l 2
RPOP l 2
LPOP l 0
LPOP s
RPOP s 2
RPUSH l a
RPOP l 5
EXISTS l
# LRANGE LINDEX
RPUSH r a b c d e f
LRANGE r 0 0
LRANGE r -3 2
LRANGE r -100 100
LRANGE r 5 10
LRANGE r 6 10
LRANGE r 2 1
LRANGE r -1 -2
LRANGE r -2 -1
LRANGE r 0 -7
LRANGE r x 1
LRANGE r 0
LRANGE nosuch 0 -1
LRANGE s 0 -1
LINDEX r 0
LINDEX r -1
LINDEX r 5
LINDEX r 6
LINDEX r -7
LINDEX r x
LINDEX nosuch 0
LINDEX s 0
# LSET
LSET r 0 A
LSET r -1 F
LSET r 6 x
LSET r -7 x
LSET nosuch 0 x
LSET r x y
LSET s 0 x
LRANGE r 0 -1
# LREM
DEL r
RPUSH r a b a c a b a
LREM r 2 a
LRANGE r 0 -1
LREM r -1 a
LRANGE r 0 -1
LREM r 0 b
LRANGE r 0 -1
LREM r 0 zz
LREM r x a
LREM nosuch 0 a
LREM s 0 a
LREM r 0 a
LREM r 0 c
EXISTS r
# LTRIM
RPUSH t 0 1 2 3 4 5 6 7 8 9
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t -3 -1
LRANGE t 0 -1
LTRIM t 0 100
LRANGE t 0 -1
LTRIM t 5 2
EXISTS t
LTRIM nosuch 0 1
LTRIM s 0 1
RPUSH t a b c
LTRIM t x 1
LTRIM t 0 -100
EXISTS t
# LINSERT
RPUSH i a c e
LINSERT i BEFORE c b
LINSERT i AFTER c d
LINSERT i after e f
LINSERT i before a _
LRANGE i 0 -1
LINSERT i BEFORE zz x
LINSERT nosuch BEFORE a x
EXISTS nosuch
LINSERT i MIDDLE a x
LINSERT s BEFORE a x
LINSERT i BEFORE a
# LPOS
RPUSH p a b c 1 2 3 c c
LPOS p c
LPOS p c RANK 2
LPOS p c RANK -1
LPOS p c RANK -2
LPOS p c RANK 4
LPOS p c COUNT 2
LPOS p c COUNT 0
LPOS p c COUNT 0 RANK -1
LPOS p c RANK -1 COUNT 2
LPOS p c MAXLEN 2
LPOS p c MAXLEN 3
LPOS p c COUNT 0 MAXLEN 7
LPOS p c RANK -1 MAXLEN 1
LPOS p zz
LPOS p zz COUNT 0
LPOS nosuch a
LPOS nosuch a COUNT 0
LPOS p c RANK 0
# 7.2 rejects LLONG_MIN as a rank (7.0 accepted it)
LPOS p c RANK -9223372036854775808 => "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
LPOS p c COUNT -1
LPOS p c MAXLEN -1
LPOS p c RANK x
LPOS p c BOGUS
LPOS p c RANK
LPOS s a
# LMOVE RPOPLPUSH
DEL m1 m2
RPUSH m1 a b c
LMOVE m1 m2 LEFT RIGHT
LMOVE m1 m2 RIGHT LEFT
LMOVE m1 m2 LEFT LEFT
LMOVE m1 m2 LEFT LEFT
EXISTS m1
LRANGE m2 0 -1
LMOVE m2 m2 LEFT RIGHT
LRANGE m2 0 -1
LMOVE m2 m2 RIGHT LEFT
LRANGE m2 0 -1
LMOVE nosuch m2 LEFT RIGHT
LMOVE m2 m1 UP DOWN
LMOVE m2 s LEFT RIGHT
LMOVE s m2 LEFT RIGHT
LRANGE m2 0 -1
RPOPLPUSH m2 m1
RPOPLPUSH m2 m1
RPOPLPUSH m2 m1
RPOPLPUSH m2 m1
EXISTS m2
LRANGE m1 0 -1
RPOPLPUSH m1 m1
LRANGE m1 0 -1
RPOPLPUSH nosuch m1
RPOPLPUSH m1 s
# LMPOP
DEL a1 a2
RPUSH a2 x y z
LMPOP 2 a1 a2 LEFT
LMPOP 2 a1 a2 RIGHT COUNT 5
EXISTS a2
LMPOP 2 a1 a2 LEFT
RPUSH a1 1 2 3
LMPOP 1 a1 RIGHT COUNT 2
LMPOP 1 a1 LEFT COUNT 1
LMPOP 0 a1 LEFT
LMPOP -1 a1 LEFT
LMPOP 3 a1 LEFT
LMPOP 1 a1 MIDDLE
LMPOP 1 a1 LEFT COUNT 0
LMPOP 1 a1 LEFT COUNT -1
LMPOP 1 a1 LEFT COUNT 1 COUNT 2
LMPOP 1 a1 LEFT BOGUS
LMPOP 1 s LEFT
LMPOP x a1 LEFT
LMPOP 1
# binary elements
RPUSH b "\x00" "a\r\nb" "" "\xff"
LRANGE b 0 -1
LPOS b ""
LREM b 0 "\x00"
LINDEX b 0
# integer-looking elements
RPUSH n 1 01 1.0 -1 9223372036854775808
LREM n 0 1
LRANGE n 0 -1
LPOS n 01
# wrong arity
LLEN
LINDEX l
LSET l 0
LREM l 0
LTRIM l 0
LINSERT l BEFORE a
LMOVE a b LEFT
RPOPLPUSH a
`

// TestList runs the list tests as subtests on one node (FLUSHALL between them).
func TestList(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testListCommandsMatchRedis},
		nodeTest{"BigMatchesRedis", testListBigMatchesRedis},
		nodeTest{"Semantics", testListSemantics},
		nodeTest{"Large", testListLarge},
	)
}

func testListCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, listScript)
}

// testListBigMatchesRedis runs a long random-but-seeded sequence of list
// commands on big lists (so any internal node/encoding change is crossed)
// against redis-server and compares every reply.
func testListBigMatchesRedis(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(12345)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	val := func() string {
		switch rnd(4) {
		case 0:
			return strconv.Itoa(rnd(50))
		case 1:
			return "v" + strconv.Itoa(rnd(30))
		case 2:
			return strings.Repeat("x", 60+rnd(40)) // crosses the 64-byte element limit
		default:
			return "e" + strconv.Itoa(rnd(1000))
		}
	}
	for i := 0; i < 600; i++ {
		key := "big" + strconv.Itoa(rnd(2))
		switch op := rnd(14); op {
		case 0, 1:
			fmt.Fprintf(&b, "RPUSH %s %s %s %s\n", key, val(), val(), val())
		case 2, 3:
			fmt.Fprintf(&b, "LPUSH %s %s %s\n", key, val(), val())
		case 4:
			fmt.Fprintf(&b, "LPOP %s %d\n", key, rnd(3))
		case 5:
			fmt.Fprintf(&b, "RPOP %s\n", key)
		case 6:
			fmt.Fprintf(&b, "LINSERT %s %s %s %s\n", key, []string{"BEFORE", "AFTER"}[rnd(2)], val(), val())
		case 7:
			fmt.Fprintf(&b, "LREM %s %d %s\n", key, rnd(5)-2, val())
		case 8:
			fmt.Fprintf(&b, "LSET %s %d %s\n", key, rnd(300)-150, val())
		case 9:
			fmt.Fprintf(&b, "LRANGE %s %d %d\n", key, rnd(200)-100, rnd(200)-100)
		case 10:
			fmt.Fprintf(&b, "LPOS %s %s RANK %d COUNT %d\n", key, val(), []int{1, -1, 2, -2}[rnd(4)], rnd(3))
		case 11:
			fmt.Fprintf(&b, "LMOVE big0 big1 %s %s\n", []string{"LEFT", "RIGHT"}[rnd(2)], []string{"LEFT", "RIGHT"}[rnd(2)])
		case 12:
			fmt.Fprintf(&b, "LINDEX %s %d\n", key, rnd(300)-150)
		case 13:
			if rnd(10) == 0 {
				fmt.Fprintf(&b, "LTRIM %s %d %d\n", key, rnd(20), -1-rnd(20))
			} else {
				fmt.Fprintf(&b, "LLEN %s\n", key)
			}
		}
	}
	b.WriteString("LRANGE big0 0 -1\nLRANGE big1 0 -1\n")
	compareWithRedis(t, n, b.String())
}

func testListSemantics(t *testing.T, n *node) {
	ctx := ctxT(t)
	for _, c := range []*redis.Client{n.client(), n.client2()} {
		c.FlushDB(ctx)
		if l := c.RPush(ctx, "q", "a", "b", "c").Val(); l != 3 {
			t.Errorf("RPUSH = %d", l)
		}
		if l := c.LPush(ctx, "q", "z", "y").Val(); l != 5 {
			t.Errorf("LPUSH = %d", l)
		}
		if got := c.LRange(ctx, "q", 0, -1).Val(); strings.Join(got, ",") != "y,z,a,b,c" {
			t.Errorf("LRANGE = %v (LPUSH pushes its arguments one after the other)", got)
		}
		if v := c.LPop(ctx, "q").Val(); v != "y" {
			t.Errorf("LPOP = %q", v)
		}
		if v := c.RPopCount(ctx, "q", 2).Val(); strings.Join(v, ",") != "c,b" {
			t.Errorf("RPOP 2 = %v", v)
		}
		if v := c.LPopCount(ctx, "q", 10).Val(); strings.Join(v, ",") != "z,a" {
			t.Errorf("LPOP 10 = %v", v)
		}
		// The key disappears with its last element.
		if c.Exists(ctx, "q").Val() != 0 || c.Type(ctx, "q").Val() != "none" {
			t.Error("empty list still exists")
		}
		if _, err := c.LPop(ctx, "q").Result(); err != redis.Nil {
			t.Errorf("LPOP on missing key: %v", err)
		}
		if _, err := c.LPopCount(ctx, "q", 2).Result(); err != redis.Nil {
			t.Errorf("LPOP count on missing key: %v", err)
		}
		if c.LPushX(ctx, "q", "a").Val() != 0 || c.Exists(ctx, "q").Val() != 0 {
			t.Error("LPUSHX created a list")
		}
		// A TTL on the list is removed with the list.
		c.RPush(ctx, "t", "1")
		c.Expire(ctx, "t", 1000000000)
		c.RPop(ctx, "t")
		c.RPush(ctx, "t", "2")
		if ttl := c.TTL(ctx, "t").Val(); ttl != -1 {
			t.Errorf("new list under the name of an emptied one inherited TTL %v", ttl)
		}
		for name, fn := range map[string]func(){
			"LREM":     func() { c.RPush(ctx, "e", "x", "x"); c.LRem(ctx, "e", 0, "x") },
			"LTRIM":    func() { c.RPush(ctx, "e", "x", "y"); c.LTrim(ctx, "e", 2, 1) },
			"LMOVE":    func() { c.RPush(ctx, "e", "x"); c.LMove(ctx, "e", "e-dst", "LEFT", "RIGHT") },
			"RPOPLP":   func() { c.RPush(ctx, "e", "x"); c.RPopLPush(ctx, "e", "e-dst") },
			"LMPOP":    func() { c.RPush(ctx, "e", "x", "y"); c.LMPop(ctx, "left", 5, "e") },
			"RPOP cnt": func() { c.RPush(ctx, "e", "x", "y"); c.RPopCount(ctx, "e", 2) },
		} {
			fn()
			if c.Exists(ctx, "e").Val() != 0 {
				t.Errorf("%s: list emptied but key still exists (%v)", name, c.LRange(ctx, "e", 0, -1).Val())
				c.Del(ctx, "e")
			}
			if sz := c.DBSize(ctx).Val(); sz != 1+c.Exists(ctx, "e-dst").Val() {
				t.Errorf("%s: DBSIZE %d counts an emptied list", name, sz)
			}
			c.Del(ctx, "e-dst")
		}

		// LMPOP returns the key name and the popped elements.
		c.RPush(ctx, "m2", "a", "b", "c")
		key, vals, err := c.LMPop(ctx, "right", 2, "m1", "m2").Result()
		if err != nil || key != "m2" || strings.Join(vals, ",") != "c,b" {
			t.Errorf("LMPOP = %q %v %v", key, vals, err)
		}
		// LPOS
		c.RPush(ctx, "p", "a", "b", "c", "b", "a", "b")
		if pos := c.LPos(ctx, "p", "b", redis.LPosArgs{Rank: -1}).Val(); pos != 5 {
			t.Errorf("LPOS RANK -1 = %d", pos)
		}
		if pos := c.LPosCount(ctx, "p", "b", 0, redis.LPosArgs{}).Val(); fmt.Sprint(pos) != "[1 3 5]" {
			t.Errorf("LPOS COUNT 0 = %v", pos)
		}
		if pos := c.LPosCount(ctx, "p", "b", 2, redis.LPosArgs{Rank: -1}).Val(); fmt.Sprint(pos) != "[5 3]" {
			t.Errorf("LPOS RANK -1 COUNT 2 = %v", pos)
		}
		if _, err := c.LPos(ctx, "p", "zz", redis.LPosArgs{}).Result(); err != redis.Nil {
			t.Errorf("LPOS no match: %v", err)
		}
		wantErr(t, "LPOS RANK 0", c.Do(ctx, "lpos", "p", "a", "rank", "0").Err(),
			"ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
		// LSET / LINDEX errors
		wantErr(t, "LSET out of range", c.LSet(ctx, "p", 100, "x").Err(), "ERR index out of range")
		wantErr(t, "LSET missing key", c.LSet(ctx, "nosuch", 0, "x").Err(), "ERR no such key")
		if _, err := c.LIndex(ctx, "p", 100).Result(); err != redis.Nil {
			t.Errorf("LINDEX out of range: %v", err)
		}
		if v := c.LInsertBefore(ctx, "p", "zz", "x").Val(); v != -1 {
			t.Errorf("LINSERT with missing pivot = %d", v)
		}
		if v := c.LInsertAfter(ctx, "nosuch", "a", "x").Val(); v != 0 {
			t.Errorf("LINSERT on missing key = %d", v)
		}
		c.Set(ctx, "str", "v", 0)
		wantErr(t, "LPUSH on a string", c.LPush(ctx, "str", "a").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
		wantErr(t, "LMOVE to a string", c.LMove(ctx, "p", "str", "LEFT", "LEFT").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
		if c.LLen(ctx, "p").Val() != 6 {
			t.Error("LMOVE to a string-typed destination still popped the source")
		}
	}
}

func testListLarge(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	const N = 20000
	args := make([]interface{}, 0, 1000)
	for i := 0; i < N; i += 1000 {
		args = args[:0]
		for j := i; j < i+1000; j++ {
			args = append(args, strconv.Itoa(j))
		}
		if err := c.RPush(ctx, "big", args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if l := c.LLen(ctx, "big").Val(); l != N {
		t.Fatalf("LLEN = %d", l)
	}
	all := c.LRange(ctx, "big", 0, -1).Val()
	if len(all) != N {
		t.Fatalf("LRANGE 0 -1 returned %d elements", len(all))
	}
	for i, v := range all {
		if v != strconv.Itoa(i) {
			t.Fatalf("element %d = %q", i, v)
		}
	}
	if v := c.LIndex(ctx, "big", N/2).Val(); v != strconv.Itoa(N/2) {
		t.Errorf("LINDEX middle = %q", v)
	}
	if v := c.LIndex(ctx, "big", -N).Val(); v != "0" {
		t.Errorf("LINDEX -N = %q", v)
	}
	if p := c.LPos(ctx, "big", strconv.Itoa(N-1), redis.LPosArgs{}).Val(); p != N-1 {
		t.Errorf("LPOS last = %d", p)
	}
	c.LTrim(ctx, "big", 100, -101)
	if l := c.LLen(ctx, "big").Val(); l != N-200 {
		t.Errorf("after LTRIM: LLEN %d", l)
	}
	if v := c.LRange(ctx, "big", 0, 0).Val(); len(v) != 1 || v[0] != "100" {
		t.Errorf("after LTRIM first = %v", v)
	}
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "quicklist" {
		t.Errorf("OBJECT ENCODING of a big list = %q, want quicklist", enc)
	}
}
