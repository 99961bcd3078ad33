package test

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const zsetScript = `
# ZADD and its options
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z CH 5 a 2 b
ZADD z NX 10 a 11 d
ZADD z XX 20 a 21 e
ZADD z XX CH 30 a 21 e
ZADD z GT 10 a
ZADD z GT CH 40 a
ZADD z LT CH 50 a 1 b
ZADD z XX NX 1 a
ZADD z GT LT 1 a
ZADD z NX GT 1 a
ZADD z NX LT 1 a
ZADD z INCR 1 a 2 b
ZADD z INCR 5 a
ZADD z INCR NX 5 a
ZADD z INCR XX 5 nosuchmember
ZADD z INCR GT -1 a
ZADD z x a
ZADD z 1
ZADD z 1 a 2
ZADD z nan a
ZADD z inf inf -inf ninf +inf pinf
ZADD z 1e400 a
ZADD z 0x10 hex
ZADD z " 1" sp
ZADD z "" empty
ZADD z 1.5 f 0.1 g -0 negzero 1e-300 tiny 1e17 big 123456789012345678 huge
ZRANGE z 0 -1 WITHSCORES
ZADD z INCR +inf inf
ZADD z INCR -inf inf
ZSCORE z inf
ZADD nokey XX 1 a
ZADD nokey XX INCR 1 a
EXISTS nokey
ZADD nokey2 GT 5 a
ZRANGE nokey2 0 -1 WITHSCORES
SET s v
ZADD s 1 a
ZADD s x a
ZADD
ZADD z
ZADD z 1
# ZINCRBY
ZINCRBY zi 1 a
ZINCRBY zi 2.5 a
ZINCRBY zi -1e3 b
ZINCRBY zi x a
ZINCRBY zi nx a
ZINCRBY zi inf c
ZINCRBY zi -inf c
ZINCRBY s 1 a
ZRANGE zi 0 -1 WITHSCORES
# ZREM, ZCARD, ZSCORE, ZMSCORE
ZCARD z
ZCARD nosuch
ZCARD s
ZREM z a b nosuch
ZREM z nosuch
ZREM nosuch a
ZREM s a
ZSCORE z c
ZSCORE z nosuch
ZSCORE nosuch a
ZSCORE s a
ZMSCORE z c nosuch d
ZMSCORE nosuch a b
ZMSCORE s a
ZADD hx 0x1p3 a 0X10 b 1e-320 c -0x.8p1 d 1E2 e .5 f 5. g
ZRANGE hx 0 -1 WITHSCORES
ZADD hx 0x1p99999 a
ZADD hx 1e-400 a
ZADD hx "1 " a
ZADD hx infinity i -Infinity j +INF k
ZRANGE hx 0 -1 WITHSCORES
ZCOUNT hx (-inf +inf
ZCOUNT hx 0x1p3 1e999
ZCOUNT hx 1e-999 (0x10
ZCOUNT hx "\t5" 100
ZCOUNT hx "5 " 100
ZCOUNT hx ((5 100
ZCOUNT hx -nan 100
ZCOUNT hx (nan 100
ZRANGEBYSCORE hx "(" "(0x10"
ZRANGEBYSCORE hx "5\x00junk" 100
ZLEXCOUNT l "-\x00x" +
ZLEXCOUNT l "[" "("
ZRANGEBYLEX l "[" "[\xff"
ZRANGEBYLEX l "(a" "[c\x00"
DEL zr
ZADD zr 1 x
ZREM zr x
EXISTS zr
# ZCOUNT, ZLEXCOUNT
DEL z
ZADD z 1 a 2 b 3 c 4 d 5 e
ZCOUNT z 2 4
ZCOUNT z (2 4
ZCOUNT z (2 (4
ZCOUNT z -inf +inf
ZCOUNT z 4 2
ZCOUNT z "" 10
ZCOUNT z ( 10
ZCOUNT z " 2" 10
ZCOUNT z x 10
ZCOUNT z 1 nan
ZCOUNT z 1 ((2
ZCOUNT z 1e500 inf
ZCOUNT nosuch 0 1
ZCOUNT s 0 1
DEL l
ZADD l 0 a 0 b 0 c 0 d 0 e 0 f
ZLEXCOUNT l - +
ZLEXCOUNT l [b [d
ZLEXCOUNT l (b (d
ZLEXCOUNT l [b (d
ZLEXCOUNT l + -
ZLEXCOUNT l [d [b
ZLEXCOUNT l b d
ZLEXCOUNT l -- +
ZLEXCOUNT l - ++
ZLEXCOUNT l "" +
ZLEXCOUNT l [ (
ZLEXCOUNT nosuch - +
ZLEXCOUNT s - +
# ZRANK, ZREVRANK
ZRANK z a
ZRANK z e
ZREVRANK z a
ZRANK z nosuch
ZRANK nosuch a
ZRANK s a
ZRANK z c foo
ZRANK z c withscore x
# ZRANGE family
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 1 2 withscores
ZRANGE z -2 -1
ZRANGE z 3 1
ZRANGE z 10 20
ZRANGE z -100 100
ZRANGE z 0 -1 REV
ZRANGE z 0 1 REV WITHSCORES
ZRANGE z x 1
ZRANGE z 0 1 LIMIT 0 1
ZRANGE z 0 1 FOO
ZRANGE z 2 4 BYSCORE
ZRANGE z (2 4 BYSCORE WITHSCORES
ZRANGE z 4 2 BYSCORE REV
ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2
ZRANGE z -inf +inf BYSCORE LIMIT 1 2
ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
ZRANGE z -inf +inf BYSCORE LIMIT -1 2
ZRANGE z -inf +inf BYSCORE LIMIT 10 2
ZRANGE z -inf +inf BYSCORE LIMIT 0 0
ZRANGE z -inf +inf BYSCORE LIMIT x 0
ZRANGE z -inf +inf BYSCORE LIMIT 0
ZRANGE z x 1 BYSCORE
ZRANGE l - + BYLEX
ZRANGE l [b (e BYLEX
ZRANGE l + - BYLEX REV
ZRANGE l (e [b BYLEX REV LIMIT 1 1
ZRANGE l - + BYLEX WITHSCORES
ZRANGE l x + BYLEX
ZRANGE z 0 -1 BYSCORE BYLEX
ZRANGE z 0 -1 REV REV
ZRANGE nosuch 0 -1
ZRANGE s 0 -1
ZRANGEBYSCORE z 2 4
ZRANGEBYSCORE z -inf inf WITHSCORES LIMIT 1 3
ZRANGEBYSCORE z 2 4 REV
ZRANGEBYSCORE z 2 4 BYLEX
ZREVRANGEBYSCORE z 4 2
ZREVRANGEBYSCORE z 4 2 WITHSCORES
ZREVRANGEBYSCORE z +inf -inf LIMIT 0 2
ZREVRANGEBYSCORE z 2 4
ZRANGEBYLEX l - +
ZRANGEBYLEX l [c + LIMIT 1 10
ZRANGEBYLEX l - + WITHSCORES
ZREVRANGEBYLEX l + -
ZREVRANGEBYLEX l [d [b
ZREVRANGEBYLEX l + - LIMIT 2 2
ZREVRANGE z 0 -1
ZREVRANGE z 0 1 WITHSCORES
ZREVRANGE z 0 1 LIMIT 0 1
ZREVRANGE z 0 1 BYSCORE
ZRANGESTORE dst z 0 -1
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst z 1 3 BYSCORE
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst z 3 1 BYSCORE REV LIMIT 0 2
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst l [b [d BYLEX
ZRANGE dst 0 -1
ZRANGESTORE dst z 5 1
EXISTS dst
ZRANGESTORE dst nosuch 0 -1
ZRANGESTORE dst z 0 -1 WITHSCORES
ZRANGESTORE s z 0 0
TYPE s
SET s v
ZRANGESTORE dst s 0 -1
# pops
DEL p
ZADD p 1 a 2 b 3 c 4 d 5 e
ZPOPMIN p
ZPOPMAX p
ZPOPMIN p 2
ZPOPMAX p 0
ZPOPMAX p -1
ZPOPMAX p x
ZPOPMIN p 1 2
ZPOPMAX p 10
EXISTS p
ZPOPMIN p
ZPOPMIN p 2
ZPOPMIN s
ZADD p 1 a 2 b 3 c 4 d 5 e
ZMPOP 1 p MIN
ZMPOP 2 nosuch p MAX COUNT 2
ZMPOP 1 nosuch MIN
ZMPOP 0 p MIN
ZMPOP -1 p MIN
ZMPOP x p MIN
ZMPOP 3 p MIN
ZMPOP 1 p LEFT
ZMPOP 1 p MIN COUNT 0
ZMPOP 1 p MIN COUNT x
ZMPOP 1 p MIN COUNT 1 COUNT 1
ZMPOP 1 p MIN FOO
ZMPOP 1 s MIN
ZMPOP 2 nosuch s MIN
ZMPOP 1 p MAX COUNT 10
EXISTS p
ZADD p 1 a 2 b
BZPOPMIN p 0
BZPOPMAX nosuch p 0
BZPOPMIN p 0.01
BZPOPMIN p -1
BZPOPMIN p x
BZPOPMIN s 0
ZADD p 1 a 2 b 3 c
BZMPOP 0 1 p MIN
BZMPOP 0 2 nosuch p MAX COUNT 5
BZMPOP 0.01 1 p MIN
BZMPOP 0 0 p MIN
BZMPOP 0 1 p FOO
BZMPOP -1 1 p MIN
BZMPOP 0 1 s MIN
# removals by range
DEL r
ZADD r 1 a 2 b 3 c 4 d 5 e 6 f
ZREMRANGEBYSCORE r 2 3
ZREMRANGEBYSCORE r (4 5
ZREMRANGEBYSCORE r x 5
ZREMRANGEBYSCORE r 10 20
ZRANGE r 0 -1
ZREMRANGEBYRANK r 0 0
ZREMRANGEBYRANK r -1 -1
ZREMRANGEBYRANK r 5 1
ZREMRANGEBYRANK r x 1
ZRANGE r 0 -1
ZREMRANGEBYRANK r 0 -1
EXISTS r
ZREMRANGEBYRANK nosuch 0 -1
ZREMRANGEBYRANK s 0 -1
ZADD r 0 a 0 b 0 c 0 d
ZREMRANGEBYLEX r [b (d
ZREMRANGEBYLEX r x +
ZRANGE r 0 -1
ZREMRANGEBYLEX r - +
EXISTS r
ZREMRANGEBYSCORE s 0 1
ZREMRANGEBYLEX s - +
# set operations
DEL a b c
ZADD a 1 x 2 y 3 z
ZADD b 10 y 20 z 30 w
ZADD c 100 z
ZUNION 2 a b
ZUNION 2 a b WITHSCORES
ZUNION 3 a b c WITHSCORES WEIGHTS 1 2 3
ZUNION 2 a b AGGREGATE MIN WITHSCORES
ZUNION 2 a b AGGREGATE MAX WITHSCORES
ZUNION 2 a b AGGREGATE foo
ZUNION 2 a b WEIGHTS 1
ZUNION 2 a b WEIGHTS 1 x
ZUNION 2 a nosuch WITHSCORES
ZUNION 0 a
ZUNION -1 a
ZUNION x a
ZUNION 3 a b
ZUNION 2 a s
ZINTER 2 a b WITHSCORES
ZINTER 3 a b c WITHSCORES
ZINTER 2 a b WEIGHTS 2 3 AGGREGATE MAX WITHSCORES
ZINTER 2 a nosuch
ZINTER 2 a a WITHSCORES
ZDIFF 2 a b
ZDIFF 2 a b WITHSCORES
ZDIFF 1 a WITHSCORES
ZDIFF 2 nosuch a
ZDIFF 2 a b WEIGHTS 1 1
ZDIFF 2 a b AGGREGATE SUM
ZUNIONSTORE d 2 a b
ZRANGE d 0 -1 WITHSCORES
ZUNIONSTORE d 2 a b WEIGHTS 1 -1 AGGREGATE SUM
ZRANGE d 0 -1 WITHSCORES
ZUNIONSTORE d 2 a b WITHSCORES
ZINTERSTORE d 2 a b
ZRANGE d 0 -1 WITHSCORES
ZINTERSTORE d 2 a nosuch
EXISTS d
ZDIFFSTORE d 2 a b
ZRANGE d 0 -1 WITHSCORES
ZDIFFSTORE d 2 a a
EXISTS d
ZUNIONSTORE d 0 a
ZDIFFSTORE d 0 a
ZINTERCARD 2 a b
ZINTERCARD 2 a b LIMIT 1
ZINTERCARD 2 a b LIMIT 0
ZINTERCARD 2 a b LIMIT -1
ZINTERCARD 2 a b LIMIT x
ZINTERCARD 0 a
ZINTERCARD 2 a b WITHSCORES
ZINTERCARD 2 a s
ZADD inf 1 a
ZADD ninf 1 a
ZUNION 2 inf ninf WEIGHTS inf -inf WITHSCORES
ZINTER 2 inf ninf WEIGHTS inf -inf WITHSCORES
ZUNION 2 a b WEIGHTS 0 0 WITHSCORES
ZADD infs inf a -inf b 1 c
ZUNION 2 infs a WEIGHTS 0 1 WITHSCORES
ZUNION 2 infs infs WITHSCORES
ZINTER 2 infs infs AGGREGATE MIN WITHSCORES
ZUNIONSTORE d 1 infs WEIGHTS -1
ZRANGE d 0 -1 WITHSCORES
ZCOUNT infs (-inf (inf
ZCOUNT infs -inf (inf
ZRANGEBYSCORE infs (inf +inf
ZADD z2 GT XX CH 1 a
ZADD z2 1 a 2 b
ZADD z2 GT XX CH 5 a 1 b 7 c
ZADD z2 LT CH 0 a 3 b 9 d
ZRANGE z2 0 -1 WITHSCORES
ZMSCORE s a
ZADD hx 0x1p3 a 0X10 b 1e-320 c -0x.8p1 d 1E2 e .5 f 5. g
ZRANGE hx 0 -1 WITHSCORES
ZADD hx 0x1p99999 a
ZADD hx 1e-400 a
ZADD hx "1 " a
ZADD hx infinity i -Infinity j +INF k
ZRANGE hx 0 -1 WITHSCORES
ZCOUNT hx (-inf +inf
ZCOUNT hx 0x1p3 1e999
ZCOUNT hx 1e-999 (0x10
ZCOUNT hx "\t5" 100
ZCOUNT hx "5 " 100
ZCOUNT hx ((5 100
ZCOUNT hx -nan 100
ZCOUNT hx (nan 100
ZRANGEBYSCORE hx "(" "(0x10"
ZRANGEBYSCORE hx "5\x00junk" 100
ZLEXCOUNT l "-\x00x" +
ZLEXCOUNT l "[" "("
ZRANGEBYLEX l "[" "[\xff"
ZRANGEBYLEX l "(a" "[c\x00"
# plain sets are inputs with score 1
SADD st x w 7 q
SADD ints 1 2 3
ZUNION 2 a st WITHSCORES
ZUNION 3 a st ints WEIGHTS 2 3 4 WITHSCORES
ZINTER 2 a st WITHSCORES
ZINTER 2 st a WEIGHTS 5 1 AGGREGATE MAX WITHSCORES
ZDIFF 2 st a WITHSCORES
ZDIFF 2 a st WITHSCORES
ZINTERCARD 2 st a
ZUNIONSTORE d 2 st ints
ZRANGE d 0 -1 WITHSCORES
ZDIFFSTORE d 1 st
ZRANGE d 0 -1 WITHSCORES
OBJECT ENCODING d
# ZRANDMEMBER (only deterministic forms)
ZRANDMEMBER nosuch
ZRANDMEMBER nosuch 5
ZRANDMEMBER a 0
ZRANDMEMBER a 3
ZRANDMEMBER a 10 WITHSCORES
ZRANDMEMBER a 1 foo
ZRANDMEMBER a 1 WITHSCORES x
ZRANDMEMBER a x
ZRANDMEMBER a -9223372036854775808
ZRANDMEMBER a 9223372036854775807 WITHSCORES
ZRANDMEMBER s
ZRANDMEMBER s 1
ZADD one 5 only
ZRANDMEMBER one
ZRANDMEMBER one -3 WITHSCORES
ZRANDMEMBER one 1 WITHSCORES
# ZSCAN of a small set
ZSCAN a 0
ZSCAN a 0 MATCH y*
ZSCAN a 0 COUNT 1
ZSCAN a 0 COUNT 0
ZSCAN a 0 COUNT x
ZSCAN a x
ZSCAN a 0 FOO bar
ZSCAN nosuch 0
ZSCAN s 0
ZADD fl 0.1 a 1e17 b -0 c 3.14159 d
ZSCAN fl 0
# types and encodings
TYPE a
OBJECT ENCODING a
`

// TestZSet runs the sorted set tests as subtests on one node.
func TestZSet(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, zsetScript) }},
		nodeTest{"BigMatchesRedis", testZSetBigMatchesRedis},
		nodeTest{"BlockingWokenByZADD", testZSetBlockingWoken},
	)
}

// testZSetBigMatchesRedis runs a seeded random sequence of sorted set
// commands on sets big enough to use the skiplist encoding, comparing every
// reply with redis-server.
func testZSetBigMatchesRedis(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(4242)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	score := func() string {
		switch rnd(6) {
		case 0:
			return fmt.Sprint(rnd(20))
		case 1:
			return fmt.Sprintf("%d.%d", rnd(100)-50, rnd(1000))
		case 2:
			return fmt.Sprintf("(%d", rnd(40))
		default:
			return fmt.Sprint(rnd(300) - 100)
		}
	}
	member := func() string {
		if rnd(50) == 0 {
			return strings.Repeat("long", 20) + fmt.Sprint(rnd(10))
		}
		return fmt.Sprintf("m%d", rnd(400))
	}
	plain := func(s string) string { return strings.TrimPrefix(s, "(") }
	for i := 0; i < 1500; i++ {
		k := fmt.Sprintf("k%d", rnd(3))
		switch rnd(20) {
		case 0, 1, 2, 3:
			var args []string
			for j := rnd(8) + 1; j > 0; j-- {
				args = append(args, plain(score()), member())
			}
			opt := []string{"", "NX", "XX", "GT", "LT CH", "CH"}[rnd(6)]
			fmt.Fprintf(&b, "ZADD %s %s %s\n", k, opt, strings.Join(args, " "))
		case 4:
			fmt.Fprintf(&b, "ZINCRBY %s %s %s\n", k, plain(score()), member())
		case 5:
			fmt.Fprintf(&b, "ZREM %s %s %s\n", k, member(), member())
		case 6:
			fmt.Fprintf(&b, "ZRANK %s %s\nZREVRANK %s %s\nZSCORE %s %s\n", k, member(), k, member(), k, member())
		case 7:
			fmt.Fprintf(&b, "ZRANGE %s %d %d WITHSCORES\n", k, rnd(300)-150, rnd(300)-150)
		case 8:
			fmt.Fprintf(&b, "ZRANGEBYSCORE %s %s %s WITHSCORES LIMIT %d %d\n", k, score(), score(), rnd(5), rnd(20)-2)
		case 9:
			fmt.Fprintf(&b, "ZREVRANGEBYSCORE %s %s %s\n", k, score(), score())
		case 10:
			fmt.Fprintf(&b, "ZCOUNT %s %s %s\nZCARD %s\n", k, score(), score(), k)
		case 11:
			fmt.Fprintf(&b, "ZPOPMIN %s %d\n", k, rnd(4))
		case 12:
			fmt.Fprintf(&b, "ZPOPMAX %s\n", k)
		case 13:
			fmt.Fprintf(&b, "ZREMRANGEBYRANK %s %d %d\n", k, rnd(20)-10, rnd(20)-10)
		case 14:
			fmt.Fprintf(&b, "ZREMRANGEBYSCORE %s %s %s\n", k, score(), score())
		case 15:
			fmt.Fprintf(&b, "ZUNIONSTORE u 3 k0 k1 k2 WEIGHTS 1 2 -1 AGGREGATE %s\nZRANGE u 0 -1 WITHSCORES\n", []string{"SUM", "MIN", "MAX"}[rnd(3)])
		case 16:
			fmt.Fprintf(&b, "ZINTER 2 k0 k1 WITHSCORES\nZDIFF 2 k1 k2 WITHSCORES\nZINTERCARD 3 k0 k1 k2\n")
		case 17:
			fmt.Fprintf(&b, "ZRANGE %s %d %d REV WITHSCORES\nOBJECT ENCODING %s\n", k, rnd(50), rnd(50), k)
		case 18:
			fmt.Fprintf(&b, "ZRANGESTORE st %s %s %s BYSCORE LIMIT 0 %d\nZRANGE st 0 -1 WITHSCORES\n", k, score(), score(), rnd(200))
		case 19:
			fmt.Fprintf(&b, "ZMPOP 2 %s k2 %s COUNT %d\n", k, []string{"MIN", "MAX"}[rnd(2)], rnd(5)+1)
		}
	}
	for _, k := range []string{"k0", "k1", "k2"} {
		fmt.Fprintf(&b, "ZRANGE %s 0 -1 WITHSCORES\nOBJECT ENCODING %s\nZRANDMEMBER %s 100000 WITHSCORES\n", k, k, k)
	}
	// Lex ranges on big same-score sets.
	word := func() string {
		w := make([]byte, rnd(3)+1)
		for i := range w {
			w[i] = byte('a' + rnd(6))
		}
		return string(w)
	}
	bound := func() string {
		switch rnd(8) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2, 3, 4:
			return "[" + word()
		default:
			return "(" + word()
		}
	}
	for i := 0; i < 400; i++ {
		k := fmt.Sprintf("lex%d", rnd(2))
		switch rnd(8) {
		case 0, 1, 2:
			fmt.Fprintf(&b, "ZADD %s 0 %s 0 %s 0 %s\n", k, word(), word(), word())
		case 3:
			fmt.Fprintf(&b, "ZRANGEBYLEX %s %s %s LIMIT %d %d\n", k, bound(), bound(), rnd(4), rnd(30)-1)
		case 4:
			fmt.Fprintf(&b, "ZREVRANGEBYLEX %s %s %s\n", k, bound(), bound())
		case 5:
			fmt.Fprintf(&b, "ZLEXCOUNT %s %s %s\n", k, bound(), bound())
		case 6:
			if rnd(4) == 0 {
				fmt.Fprintf(&b, "ZREMRANGEBYLEX %s %s %s\n", k, bound(), bound())
			}
		case 7:
			fmt.Fprintf(&b, "ZRANGE %s %s %s BYLEX REV LIMIT 1 5\nZRANK %s %s\n", k, bound(), bound(), k, word())
		}
	}
	fmt.Fprintf(&b, "ZRANGE lex0 0 -1\nOBJECT ENCODING lex0\nZRANGE lex1 0 -1\n")
	compareWithRedis(t, n, b.String())
}

// testZSetBlockingWoken parks BZPOPMIN/BZPOPMAX/BZMPOP clients and wakes
// them with ZADD from another connection, in RESP2 and RESP3.
func testZSetBlockingWoken(t *testing.T, n *node) {
	admin := n.client()
	for _, proto := range []int{2, 3} {
		for _, tc := range []struct {
			cmd          []string
			add          []string
			want2, want3 string
			left         string
		}{
			{[]string{"BZPOPMIN", "nosuch", "q", "0"}, []string{"ZADD", "q", "2", "b", "1", "a"},
				"*3\r\n$1\r\nq\r\n$1\r\na\r\n$1\r\n1\r\n", "*3\r\n$1\r\nq\r\n$1\r\na\r\n,1\r\n", "b"},
			{[]string{"BZPOPMAX", "q", "5"}, []string{"ZADD", "q", "2", "b", "1.5", "a"},
				"*3\r\n$1\r\nq\r\n$1\r\nb\r\n$1\r\n2\r\n", "*3\r\n$1\r\nq\r\n$1\r\nb\r\n,2\r\n", "a"},
			{[]string{"BZMPOP", "0", "2", "x", "q", "MIN", "COUNT", "5"}, []string{"ZADD", "q", "3", "c"},
				"*2\r\n$1\r\nq\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n", "*2\r\n$1\r\nq\r\n*1\r\n*2\r\n$1\r\nc\r\n,3\r\n", ""},
		} {
			what := fmt.Sprintf("RESP%d %v", proto, tc.cmd)
			admin.Del(ctxT(t), "q")
			rc := dialRESP(t, n.addr(), proto)
			rc.send(tc.cmd...)
			ch := readAsync(rc, 10*time.Second)
			waitBlocked(t, admin, 1)
			expectNoReply(t, what, ch, 50*time.Millisecond)
			if err := admin.Do(ctxT(t), toAny(tc.add)...).Err(); err != nil {
				t.Fatal(err)
			}
			want := tc.want2
			if proto == 3 {
				want = tc.want3
			}
			expectReply(t, what, ch, want)
			if got := strings.Join(admin.ZRange(ctxT(t), "q", 0, -1).Val(), ","); got != tc.left {
				t.Errorf("%s: left %q, want %q", what, got, tc.left)
			}
			waitBlocked(t, admin, 0)
		}
	}
	// Two waiters on one key, one ZADD of two members: both are served, the
	// one that waited longest first.
	admin.Del(ctxT(t), "q")
	c1, c2 := dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 2)
	c1.send("BZPOPMIN", "q", "0")
	ch1 := readAsync(c1, 10*time.Second)
	waitBlocked(t, admin, 1)
	c2.send("BZPOPMIN", "q", "0")
	ch2 := readAsync(c2, 10*time.Second)
	waitBlocked(t, admin, 2)
	if err := admin.ZAdd(ctxT(t), "q", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Err(); err != nil {
		t.Fatal(err)
	}
	expectReply(t, "first waiter", ch1, "*3\r\n$1\r\nq\r\n$1\r\na\r\n$1\r\n1\r\n")
	expectReply(t, "second waiter", ch2, "*3\r\n$1\r\nq\r\n$1\r\nb\r\n$1\r\n2\r\n")
	waitBlocked(t, admin, 0)
	if admin.Exists(ctxT(t), "q").Val() != 0 {
		t.Error("q still exists")
	}

	// A timeout replies a null array.
	rc := dialRESP(t, n.addr(), 2)
	start := time.Now()
	if got := rc.do("BZPOPMIN", "nosuch", "0.2"); got != "*-1\r\n" {
		t.Fatalf("timeout reply %q", got)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
}

func toAny(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}

// zsetFill writes sorted sets of both encodings with scores that must
// survive a log replay and an AOF rewrite exactly.
func zsetFill(t *testing.T, n *node, prefix string) {
	t.Helper()
	rc := dialRESP(t, n.addr(), 2)
	run := func(args ...string) {
		if r := rc.do(args...); strings.HasPrefix(r, "-") {
			t.Fatalf("%v: %s", args, r)
		}
	}
	run("ZADD", prefix+"small", "0.1", "a", "inf", "b", "-inf", "c", "1e-300", "d", "-2.5", "e", "123456789012345678", "f")
	big := []string{"ZADD", prefix + "big"}
	for i := 0; i < 300; i++ {
		big = append(big, fmt.Sprintf("%d.%d", i%17, i), fmt.Sprintf("member:%d", i))
	}
	run(big...)
	run("ZADD", prefix+"big", "-0", "negzero", "0.30000000000000004", "third")
	run("ZINCRBY", prefix+"big", "0.7", "member:3")
	run("ZREM", prefix+"big", "member:4", "member:5")
	run("ZPOPMIN", prefix+"big", "3")
	run("BZPOPMAX", prefix+"big", "0")
	run("ZMPOP", "1", prefix+"big", "MIN", "COUNT", "2")
	run("ZREMRANGEBYRANK", prefix+"big", "100", "120")
	run("ZUNIONSTORE", prefix+"union", "2", prefix+"small", prefix+"big", "WEIGHTS", "2", "0.5")
	run("ZRANGESTORE", prefix+"store", prefix+"big", "(3", "+inf", "BYSCORE", "LIMIT", "5", "10")
	run("ZADD", prefix+"ttl", "1", "x")
	run("PEXPIRE", prefix+"ttl", "3600000")
}

// zsetDump returns every sorted set's members and scores, raw.
func zsetDump(t *testing.T, addr string) map[string]string {
	t.Helper()
	rc := dialRESP(t, addr, 2)
	out := map[string]string{}
	keys := rc.do("KEYS", "*")
	for _, line := range strings.Split(keys, "\r\n") {
		if line == "" || line[0] == '*' || line[0] == '$' {
			continue
		}
		if rc.do("TYPE", line) != "+zset\r\n" {
			continue
		}
		v := rc.do("ZRANGE", line, "0", "-1", "WITHSCORES")
		if ttl := rc.do("TTL", line); ttl != ":-1\r\n" {
			v += " ttl"
		}
		out[line] = v
	}
	return out
}

// TestZSetPersistence: sorted sets survive a restart, a rewrite plus kill -9,
// and a stock redis-server loads the rewritten AOF to the same sets.
func TestZSetPersistence(t *testing.T) {
	n := startNode(t)
	zsetFill(t, n, "")
	before := zsetDump(t, n.addr())
	if len(before) != 5 {
		keys := []string{}
		for k := range before {
			keys = append(keys, k)
		}
		t.Fatalf("%d sorted sets written: %v", len(before), keys)
	}
	n.stop()
	n.restart()
	sameDump(t, "after restart", before, zsetDump(t, n.addr()))

	c := n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	zsetFill(t, n, "after:")
	before = zsetDump(t, n.addr())
	n.kill()
	n.restart()
	sameDump(t, "after rewrite + kill -9", before, zsetDump(t, n.addr()))

	c = n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	n.stop()
	port := freePort(t)
	rs := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", n.dir,
		"--appendonly", "yes", "--save", "", "--daemonize", "no")
	var log syncBuffer
	rs.Stdout, rs.Stderr = &log, &log
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // loading
	sameDump(t, "redis-server loading the rewritten AOF", before, zsetDump(t, addr))
}
