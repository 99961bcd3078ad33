package test

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/resp"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ---------------------------------------------------------------------------
// Reference helpers shared by the command-group files: a throwaway stock
// redis-server, a raw RESP connection that reads exactly one reply at a time,
// and compareWithRedis, which runs a script of commands against both servers
// and compares every reply byte for byte in RESP2 and in RESP3.
// ---------------------------------------------------------------------------

// startRedis runs a throwaway redis-server (no persistence) and returns its address.
func startRedis(t testing.TB) string { return testutil.StartRedis(t) }

// respConn is a raw client connection that sends commands as RESP arrays and
// returns each reply's exact bytes.
type respConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRESP(t testing.TB, addr string, proto int) *respConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &respConn{t: t, c: c, br: bufio.NewReader(c)}
	if proto == 3 {
		if r := rc.do("HELLO", "3"); !strings.HasPrefix(r, "%") {
			t.Fatalf("HELLO 3 on %s: %q", addr, r)
		}
	}
	return rc
}

// encodeCmd renders args as a RESP array of bulk strings.
func encodeCmd(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

func (rc *respConn) send(args ...string) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(rc.c, encodeCmd(args...)); err != nil {
		rc.t.Fatalf("write %q: %v", args, err)
	}
}

// read returns the bytes of the next complete reply.
func (rc *respConn) read(wait time.Duration) (string, error) {
	rc.c.SetReadDeadline(time.Now().Add(wait))
	var b strings.Builder
	err := readReply(rc.br, &b)
	return b.String(), err
}

func (rc *respConn) do(args ...string) string {
	rc.t.Helper()
	rc.send(args...)
	r, err := rc.read(5 * time.Second)
	if err != nil {
		rc.t.Fatalf("%q: reading reply: %v (got %q so far)", args, err, r)
	}
	return r
}

// readReply copies one RESP2/RESP3 reply (with nested aggregates) into out.
func readReply(br *bufio.Reader, out *strings.Builder) error {
	b, err := resp.ReadReply(br, nil)
	out.Write(b)
	return err
}

// splitArgs splits a script line on spaces; "double quoted" words are Go
// string literals, so binary values can be written as "a\x00b\r\n".
func splitArgs(t testing.TB, line string) []string {
	t.Helper()
	var args []string
	for i := 0; i < len(line); {
		switch {
		case line[i] == ' ':
			i++
		case line[i] == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				t.Fatalf("unterminated quote in %q", line)
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				t.Fatalf("bad quoted word in %q: %v", line, err)
			}
			args = append(args, s)
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			args = append(args, line[i:i+j])
			i += j
		}
	}
	return args
}

// compareWithRedis runs script (one command per line, see splitArgs) on a
// Geomys node and on a fresh redis-server, in RESP2 and then RESP3, each time
// after FLUSHALL, and reports every reply that differs byte for byte.
//
// Geomys answers as Redis 7.2 while the installed reference is redis-server
// 7.0; where the two versions differ a line ends with ` => "<raw reply>"`, the
// exact Redis 7.2 reply Geomys must give (the command still runs on the
// reference so both datasets stay identical).
func compareWithRedis(t *testing.T, n *node, script string) {
	t.Helper()
	compareServerWithRedis(t, n.addr(), true, script)
}

// compareServerWithRedis is compareWithRedis against the server at addr
// (labelled "geomys" in failures). With use72 false the ` => ` replies are
// ignored and addr must answer as the 7.0 reference does: with a second
// redis-server at addr this proves a script deterministic.
func compareServerWithRedis(t *testing.T, addr string, use72 bool, script string) {
	t.Helper()
	ref := startRedis(t)
	type step struct {
		args     []string
		override string // Redis 7.2 reply where the 7.0 reference differs
		has      bool
	}
	var lines []step
	for _, l := range strings.Split(script, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			var st step
			if cmd, want, ok := strings.Cut(l, " => "); ok {
				w, err := strconv.Unquote(strings.TrimSpace(want))
				if err != nil {
					t.Fatalf("bad expected reply in %q: %v", l, err)
				}
				l, st.override, st.has = cmd, w, use72
			}
			st.args = splitArgs(t, l)
			lines = append(lines, st)
		}
	}
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, addr, proto), dialRESP(t, ref, proto)
		for _, c := range []*respConn{g, r} {
			if got := c.do("FLUSHALL"); got != "+OK\r\n" {
				t.Fatalf("FLUSHALL = %q", got)
			}
		}
		bad := 0
		for _, st := range lines {
			want := r.do(st.args...)
			got := g.do(st.args...)
			who := "redis"
			if st.has {
				want, who = st.override, "  7.2"
			}
			if got != want {
				bad++
				t.Errorf("RESP%d %s\n   geomys: %q\n    %s: %q", proto, quoteArgs(st.args), got, who, want)
			}
		}
		t.Logf("RESP%d: %d commands compared, %d differ", proto, len(lines), bad)
	}

	// Once more with the whole script sent as one pipeline (RESP3): a batch
	// of commands read at once must give the same replies, in order.
	g, r := dialRESP(t, addr, 3), dialRESP(t, ref, 3)
	var batch strings.Builder
	batch.WriteString(encodeCmd("FLUSHALL"))
	for _, st := range lines {
		batch.WriteString(encodeCmd(st.args...))
	}
	replies := func(c *respConn) []string {
		go func() {
			c.c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(c.c, batch.String())
		}()
		out := make([]string, 0, len(lines)+1)
		for i := 0; i <= len(lines); i++ {
			s, err := c.read(10 * time.Second)
			if err != nil {
				t.Fatalf("pipelined script: reply %d of %d: %v (got %q)", i, len(lines)+1, err, s)
			}
			out = append(out, s)
		}
		return out
	}
	want, got := replies(r), replies(g)
	bad := 0
	for i, st := range lines {
		w, who := want[i+1], "redis"
		if st.has {
			w, who = st.override, "  7.2"
		}
		if got[i+1] != w {
			bad++
			if bad <= 20 {
				t.Errorf("pipelined RESP3 #%d %s\n   geomys: %q\n    %s: %q", i, quoteArgs(st.args), got[i+1], who, w)
			}
		}
	}
	t.Logf("pipelined RESP3: %d commands compared, %d differ", len(lines), bad)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \"\\\r\n\x00") || a == "" || strconv.Quote(a) != `"`+a+`"` {
			q[i] = strconv.Quote(a)
		} else {
			q[i] = a
		}
	}
	return strings.Join(q, " ")
}

type nodeTest struct {
	name string
	fn   func(t *testing.T, n *node)
}

// runOnOneNode runs tests as subtests against one node, each after FLUSHALL:
// a node start-up (a Raft election) costs about 1.5 s.
func runOnOneNode(t *testing.T, tests ...nodeTest) {
	t.Helper()
	n := startNode(t)
	admin := n.client()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := admin.FlushAll(ctxT(t)).Err(); err != nil {
				t.Fatalf("FLUSHALL before %s: %v", tc.name, err)
			}
			tc.fn(t, n)
		})
	}
}

// wantErr fails unless err is a server error with exactly the text want.
func wantErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("%s: error %v, want %q", what, err, want)
	}
}

// ---------------------------------------------------------------------------
// String commands.
// ---------------------------------------------------------------------------

const stringScript = `
# SET and its options
SET k v
GET k
SET k v2 XX
GET k
SET k v3 NX
SET nx1 v NX
SET xx1 v XX
EXISTS xx1
SET k old GET
SET k new2 GET XX
GET k
SET absent v GET
SET absent2 v NX GET
SET k v NX XX
SET k v EX 10 PX 100
SET k v EX 10 KEEPTTL
SET k v PX 10 EXAT 99999999999
SET k v EX 0
SET k v EX -5
SET k v PX 0
SET k v EX abc
SET k v EX 1.5
SET k v EX
SET k v PXAT 0
SET k v EXAT -1
SET k v EX 9223372036854775807
SET k v PX 9223372036854775807
SET k v BOGUS
SET k v GETX
SET k
SET k v ex 100
TTL k
SET k v2 KEEPTTL
TTL k
SET k v3
TTL k
SET k v PX 100000
TTL k
SET k v EXAT 33177600000
EXPIRETIME k
SET k v PXAT 33177600000123
PEXPIRETIME k
EXPIRETIME k
SET k v NX GET
SET k v XX GET EX 100
TTL k
# empty and binary-safe values
SET empty ""
GET empty
STRLEN empty
SET bin "a\x00b\r\nc\xff"
GET bin
STRLEN bin
APPEND bin "\r\n\x00"
GET bin
SET "key with spaces\r\n" v
GET "key with spaces\r\n"
# GET on missing / wrong type
GET nosuch
RPUSH alist a b
GET alist
SET alist x GET
SET alist x
TYPE alist
RPUSH alist2 a
GETSET alist2 x
GETDEL alist2
GETEX alist2
APPEND alist2 x
STRLEN alist2
GETRANGE alist2 0 1
SETRANGE alist2 0 x
INCR alist2
INCRBYFLOAT alist2 1
MGET k alist2 nosuch
SETNX alist2 x
# GETSET GETDEL
GETSET gs 1
GETSET gs 2
GET gs
GETDEL gs
GETDEL gs
EXISTS gs
# GETEX
SET ge v
GETEX ge
GETEX ge EX 100
TTL ge
GETEX ge PX 200000
TTL ge
GETEX ge EXAT 33177600000
EXPIRETIME ge
GETEX ge PXAT 33177600000000
PEXPIRETIME ge
GETEX ge PERSIST
TTL ge
GETEX ge EX 0
GETEX ge EX -1
GETEX ge EX 10 PX 10
GETEX ge PERSIST EX 10
GETEX ge KEEPTTL
GETEX ge NX
GETEX ge BOGUS
GETEX nosuch EX 10
GETEX nosuch
# SETNX SETEX PSETEX
SETNX sn 1
SETNX sn 2
GET sn
SETEX se 100 v
TTL se
GET se
SETEX se 0 v
SETEX se -1 v
SETEX se x v
SETEX se 10
PSETEX pse 100000 v
TTL pse
PSETEX pse 0 v
PSETEX pse -100 v
# MSET MSETNX MGET
MSET a 1 b 2 c 3
MGET a b c d
MSET a 1 b
MSET
MSETNX a 9 z 9
MGET a z
MSETNX y 1 z 2
MGET y z
MSETNX y
MSET a 1 a 2
GET a
# APPEND STRLEN
APPEND ap hello
APPEND ap " world"
GET ap
STRLEN ap
STRLEN nosuch
SET num 42
APPEND num 1
GET num
STRLEN num
# GETRANGE
SET gr "This is a string"
GETRANGE gr 0 3
GETRANGE gr -3 -1
GETRANGE gr 0 -1
GETRANGE gr 10 100
GETRANGE gr 100 200
GETRANGE gr 5 3
GETRANGE gr -100 -50
GETRANGE gr -100 2
GETRANGE gr 0 -100
GETRANGE gr -1 -5
GETRANGE gr x 1
GETRANGE nosuch 0 -1
GETRANGE gr 0
SET grn 12345
GETRANGE grn 1 2
# SETRANGE
SET sr "Hello World"
SETRANGE sr 6 Redis
GET sr
SETRANGE sr 20 x
GET sr
SETRANGE newsr 3 abc
GET newsr
SETRANGE newsr2 0 ""
EXISTS newsr2
SETRANGE newsr2 5 ""
EXISTS newsr2
SETRANGE sr -1 x
SETRANGE sr x y
SETRANGE sr 536870912 x
SETRANGE sr 0 ""
SET srn 100
SETRANGE srn 1 9
GET srn
# INCR family
INCR cnt
INCR cnt
INCRBY cnt 10
DECR cnt
DECRBY cnt 5
GET cnt
INCRBY cnt -100
DECRBY cnt -3
INCRBY cnt x
INCRBY cnt 1.5
INCRBY cnt ""
SET big 9223372036854775807
INCR big
INCRBY big 1
GET big
SET small -9223372036854775808
DECR small
DECRBY small 1
DECRBY small -9223372036854775808
INCRBY small 9223372036854775807
SET zz 0
DECRBY zz -9223372036854775808
DECRBY zz 9223372036854775807
SET notnum abc
INCR notnum
DECR notnum
SET spaced " 1"
INCR spaced
SET plus +1
INCR plus
SET lead 01
INCR lead
SET flt 1.5
INCR flt
SET huge 92233720368547758070
INCR huge
SET ws "1 "
INCR ws
SET nl "1\r\n"
INCR nl
SET neg0 -0
INCR neg0
INCR
INCRBY cnt
DECRBY cnt 1 2
SET intenc 123
APPEND intenc 4
INCR intenc
# INCRBYFLOAT
SET f 10.50
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
INCRBYFLOAT f 5.0e3
INCRBYFLOAT f 2.0e-1
GET f
SET f 5.0e3
INCRBYFLOAT f 2.0e2
INCRBYFLOAT newf 3
INCRBYFLOAT newf 1.25
SET f3 3
INCRBYFLOAT f3 0
INCRBYFLOAT f3 -3
INCRBYFLOAT f3 abc
INCRBYFLOAT f3 inf
INCRBYFLOAT f3 -inf
INCRBYFLOAT f3 nan
INCRBYFLOAT f3 ""
INCRBYFLOAT f3 " 1"
SET fbad abc
INCRBYFLOAT fbad 1
SET fmax 1.7e308
INCRBYFLOAT fmax 1.7e308
SET fhuge 1e4932
INCRBYFLOAT fhuge 1e4932
GET fhuge
INCRBYFLOAT fx 0.1
INCRBYFLOAT fx 0.2
INCRBYFLOAT fy 1e20
INCRBYFLOAT fz 123456789012345678
INCRBYFLOAT fw -0.0001
INCRBYFLOAT fw 0.0001
# arity
GET
GET a b
SET
SETNX a
GETSET a
MGET
APPEND a
STRLEN
SETRANGE a 1
`

// TestString runs the string tests as subtests on one node (FLUSHALL between them).
func TestString(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testStringCommandsMatchRedis},
		nodeTest{"SetOptions", testStringSetOptions},
		nodeTest{"GetFamily", testStringGetFamily},
		nodeTest{"BinarySafe", testStringBinarySafe},
		nodeTest{"Counters", testStringCounters},
		nodeTest{"Ranges", testStringRanges},
		nodeTest{"WrongType", testStringWrongType},
	)
}

func testStringCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, stringScript)
}

func testStringSetOptions(t *testing.T, n *node) {
	ctx := ctxT(t)
	for _, c := range []*redis.Client{n.client(), n.client2()} {
		c.FlushDB(ctx)
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if got, _ := c.Get(ctx, "k").Result(); got != "v" {
			t.Fatalf("GET = %q", got)
		}
		if _, err := c.Get(ctx, "nosuch").Result(); err != redis.Nil {
			t.Fatalf("GET missing: err %v, want redis.Nil", err)
		}
		// EX / PX / EXAT / PXAT set a TTL in the right unit.
		c.SetArgs(ctx, "ex", "v", redis.SetArgs{TTL: 100 * time.Second})
		c.Do(ctx, "set", "px", "v", "px", "100000")
		c.Do(ctx, "set", "exat", "v", "exat", strconv.FormatInt(time.Now().Add(100*time.Second).Unix(), 10))
		c.Do(ctx, "set", "pxat", "v", "pxat", strconv.FormatInt(time.Now().Add(100*time.Second).UnixMilli(), 10))
		for _, k := range []string{"ex", "px", "exat", "pxat"} {
			if ttl := c.PTTL(ctx, k).Val(); ttl < 98*time.Second || ttl > 100*time.Second {
				t.Errorf("SET %s 100s: PTTL = %v", k, ttl)
			}
		}
		// A plain SET clears the TTL, KEEPTTL keeps it.
		c.Do(ctx, "set", "ex", "v2", "keepttl")
		if ttl := c.TTL(ctx, "ex").Val(); ttl < 98*time.Second {
			t.Errorf("SET KEEPTTL: TTL = %v", ttl)
		}
		c.Set(ctx, "ex", "v3", 0)
		if ttl := c.TTL(ctx, "ex").Val(); ttl != -1 {
			t.Errorf("SET without options: TTL = %v, want -1 (no TTL)", ttl)
		}
		// NX / XX
		if ok := c.SetNX(ctx, "k", "x", 0).Val(); ok {
			t.Error("SET NX on an existing key succeeded")
		}
		if ok := c.SetXX(ctx, "nosuch", "x", 0).Val(); ok {
			t.Error("SET XX on a missing key succeeded")
		}
		if _, err := c.SetXX(ctx, "nosuch", "x", 0).Result(); err != nil {
			t.Errorf("SET XX miss: %v, want a nil reply (not an error)", err)
		}
		// GET option
		old, err := c.SetArgs(ctx, "k", "v2", redis.SetArgs{Get: true}).Result()
		if err != nil || old != "v" {
			t.Errorf("SET GET = %q, %v; want old value v", old, err)
		}
		if _, err := c.SetArgs(ctx, "fresh", "v", redis.SetArgs{Get: true}).Result(); err != redis.Nil {
			t.Errorf("SET GET on missing key: %v, want nil", err)
		}
		if c.Get(ctx, "fresh").Val() != "v" {
			t.Error("SET GET on missing key did not set it")
		}
		// Errors
		wantErr(t, "SET NX XX", c.Do(ctx, "set", "k", "v", "nx", "xx").Err(), "ERR syntax error")
		wantErr(t, "SET EX 0", c.Do(ctx, "set", "k", "v", "ex", "0").Err(), "ERR invalid expire time in 'set' command")
		wantErr(t, "SET PX -1", c.Do(ctx, "set", "k", "v", "px", "-1").Err(), "ERR invalid expire time in 'set' command")
		wantErr(t, "SET EX x", c.Do(ctx, "set", "k", "v", "ex", "x").Err(), "ERR value is not an integer or out of range")
		wantErr(t, "SET EX PX", c.Do(ctx, "set", "k", "v", "ex", "1", "px", "1").Err(), "ERR syntax error")
		wantErr(t, "SET KEEPTTL EX", c.Do(ctx, "set", "k", "v", "keepttl", "ex", "1").Err(), "ERR syntax error")
		wantErr(t, "SET k", c.Do(ctx, "set", "k").Err(), "ERR wrong number of arguments for 'set' command")
		c.RPush(ctx, "list", "a")
		wantErr(t, "SET GET on list", c.Do(ctx, "set", "list", "v", "get").Err(),
			"WRONGTYPE Operation against a key holding the wrong kind of value")
		if c.Type(ctx, "list").Val() != "list" {
			t.Error("a failed SET ... GET overwrote the list")
		}
		// Plain SET overwrites a key of another type.
		if err := c.Set(ctx, "list", "s", 0).Err(); err != nil || c.Type(ctx, "list").Val() != "string" {
			t.Errorf("SET over a list: %v, type %s", err, c.Type(ctx, "list").Val())
		}
	}
}

func testStringGetFamily(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "k", "v1", time.Hour)
	if old := c.GetSet(ctx, "k", "v2").Val(); old != "v1" {
		t.Errorf("GETSET = %q", old)
	}
	if ttl := c.TTL(ctx, "k").Val(); ttl != -1 {
		t.Errorf("GETSET kept the TTL: %v", ttl)
	}
	if v, err := c.GetDel(ctx, "k").Result(); v != "v2" || err != nil {
		t.Errorf("GETDEL = %q %v", v, err)
	}
	if c.Exists(ctx, "k").Val() != 0 {
		t.Error("GETDEL left the key")
	}
	if _, err := c.GetDel(ctx, "k").Result(); err != redis.Nil {
		t.Errorf("GETDEL missing: %v", err)
	}
	c.Set(ctx, "g", "v", 0)
	if v := c.GetEx(ctx, "g", 50*time.Second).Val(); v != "v" {
		t.Errorf("GETEX EX = %q", v)
	}
	if ttl := c.TTL(ctx, "g").Val(); ttl < 49*time.Second || ttl > 50*time.Second {
		t.Errorf("after GETEX EX 50: TTL %v", ttl)
	}
	if v := c.Do(ctx, "getex", "g", "persist").Val(); v != "v" {
		t.Errorf("GETEX PERSIST = %v", v)
	}
	if ttl := c.TTL(ctx, "g").Val(); ttl != -1 {
		t.Errorf("after GETEX PERSIST: TTL %v", ttl)
	}
	wantErr(t, "GETEX EX 0", c.Do(ctx, "getex", "g", "ex", "0").Err(), "ERR invalid expire time in 'getex' command")
	// SETNX / SETEX / PSETEX
	if !c.SetNX(ctx, "nx", "1", 0).Val() || c.SetNX(ctx, "nx", "2", 0).Val() || c.Get(ctx, "nx").Val() != "1" {
		t.Error("SETNX")
	}
	if err := c.Do(ctx, "setex", "se", "30", "v").Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := c.TTL(ctx, "se").Val(); ttl < 29*time.Second || ttl > 30*time.Second {
		t.Errorf("SETEX 30: TTL %v", ttl)
	}
	if err := c.Do(ctx, "psetex", "pse", "30000", "v").Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, "pse").Val(); ttl < 29*time.Second || ttl > 30*time.Second {
		t.Errorf("PSETEX 30000: PTTL %v", ttl)
	}
	wantErr(t, "SETEX 0", c.Do(ctx, "setex", "se", "0", "v").Err(), "ERR invalid expire time in 'setex' command")
	wantErr(t, "PSETEX -1", c.Do(ctx, "psetex", "se", "-1", "v").Err(), "ERR invalid expire time in 'psetex' command")
	// MSET / MSETNX / MGET
	if err := c.MSet(ctx, "a", "1", "b", "2").Err(); err != nil {
		t.Fatal(err)
	}
	got := c.MGet(ctx, "a", "nosuch", "b").Val()
	if len(got) != 3 || got[0] != "1" || got[1] != nil || got[2] != "2" {
		t.Errorf("MGET = %#v", got)
	}
	if c.MSetNX(ctx, "b", "x", "c", "x").Val() || c.Exists(ctx, "c").Val() != 0 {
		t.Error("MSETNX with one existing key set something")
	}
	if !c.MSetNX(ctx, "c", "x", "d", "y").Val() || c.Get(ctx, "d").Val() != "y" {
		t.Error("MSETNX with new keys failed")
	}
	wantErr(t, "MSET odd", c.Do(ctx, "mset", "a", "1", "b").Err(), "ERR wrong number of arguments for 'mset' command")
}

func testStringBinarySafe(t *testing.T, n *node) {
	ctx := ctxT(t)
	for _, c := range []*redis.Client{n.client(), n.client2()} {
		vals := []string{"", "\x00", "a\x00b", "\r\n", "line1\r\nline2\r\n", "\xff\xfe\x00\x01", "$5\r\nhello\r\n", "*1\r\n"}
		for i, v := range vals {
			k := fmt.Sprintf("bin\x00key\r\n%d", i)
			if err := c.Set(ctx, k, v, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if got, err := c.Get(ctx, k).Result(); err != nil || got != v {
				t.Errorf("GET %q = %q, %v; want %q", k, got, err, v)
			}
			if l := c.StrLen(ctx, k).Val(); l != int64(len(v)) {
				t.Errorf("STRLEN %q = %d", k, l)
			}
		}
		// A value bigger than one network read.
		big := strings.Repeat("0123456789\r\n\x00", 100000)
		c.Set(ctx, "big", big, 0)
		if got := c.Get(ctx, "big").Val(); got != big {
			t.Errorf("big value round trip: got %d bytes, want %d", len(got), len(big))
		}
		c.Append(ctx, "big", "\x00tail")
		if got := c.GetRange(ctx, "big", -6, -1).Val(); got != "\x00\x00tail" {
			t.Errorf("GETRANGE tail of big = %q", got)
		}
		c.SetRange(ctx, "sr", 2, "\x00\r\n")
		if got := c.Get(ctx, "sr").Val(); got != "\x00\x00\x00\r\n" {
			t.Errorf("SETRANGE padded = %q", got)
		}
	}
}

func testStringCounters(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	if v := c.Incr(ctx, "n").Val(); v != 1 {
		t.Errorf("INCR new = %d", v)
	}
	if v := c.IncrBy(ctx, "n", 41).Val(); v != 42 {
		t.Errorf("INCRBY = %d", v)
	}
	if v := c.DecrBy(ctx, "n", 50).Val(); v != -8 {
		t.Errorf("DECRBY = %d", v)
	}
	if v := c.Decr(ctx, "n").Val(); v != -9 {
		t.Errorf("DECR = %d", v)
	}
	c.Set(ctx, "max", strconv.FormatInt(math.MaxInt64, 10), 0)
	wantErr(t, "INCR at max", c.Incr(ctx, "max").Err(), "ERR increment or decrement would overflow")
	c.Set(ctx, "min", strconv.FormatInt(math.MinInt64, 10), 0)
	wantErr(t, "DECR at min", c.Decr(ctx, "min").Err(), "ERR increment or decrement would overflow")
	wantErr(t, "DECRBY min int", c.Do(ctx, "decrby", "n", "-9223372036854775808").Err(), "ERR decrement would overflow")
	if c.Get(ctx, "max").Val() != "9223372036854775807" {
		t.Error("failed INCR changed the value")
	}
	c.Set(ctx, "s", "abc", 0)
	wantErr(t, "INCR abc", c.Incr(ctx, "s").Err(), "ERR value is not an integer or out of range")
	wantErr(t, "INCRBY x", c.Do(ctx, "incrby", "n", "x").Err(), "ERR value is not an integer or out of range")
	wantErr(t, "INCRBY overflow arg", c.Do(ctx, "incrby", "n", "9223372036854775808").Err(), "ERR value is not an integer or out of range")
	c.Set(ctx, "f", "1.5", 0)
	wantErr(t, "INCR float", c.Incr(ctx, "f").Err(), "ERR value is not an integer or out of range")
	c.RPush(ctx, "l", "1")
	wantErr(t, "INCR list", c.Incr(ctx, "l").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
	// A counter keeps its TTL.
	c.Set(ctx, "t", "5", time.Hour)
	c.Incr(ctx, "t")
	if ttl := c.TTL(ctx, "t").Val(); ttl < 59*time.Minute {
		t.Errorf("INCR dropped the TTL: %v", ttl)
	}
	// INCRBYFLOAT
	c.Set(ctx, "fl", "10.50", 0)
	if v := c.IncrByFloat(ctx, "fl", 0.1).Val(); v != 10.6 {
		t.Errorf("INCRBYFLOAT = %v", v)
	}
	if s := c.Get(ctx, "fl").Val(); s != "10.6" {
		t.Errorf("INCRBYFLOAT stored %q, want 10.6", s)
	}
	c.Set(ctx, "fl2", "5.0e3", 0)
	if s := c.Do(ctx, "incrbyfloat", "fl2", "2.0e2").Val(); s != "5200" {
		t.Errorf("INCRBYFLOAT 5.0e3 + 2.0e2 = %v, want 5200", s)
	}
	wantErr(t, "INCRBYFLOAT abc", c.Do(ctx, "incrbyfloat", "s", "1").Err(), "ERR value is not a valid float")
	wantErr(t, "INCRBYFLOAT by abc", c.Do(ctx, "incrbyfloat", "fl", "x").Err(), "ERR value is not a valid float")
	// Redis computes in long double: 1.7e308*2 is fine, 1e4932*2 overflows.
	c.Set(ctx, "hugef", "1e4932", 0)
	wantErr(t, "INCRBYFLOAT to inf", c.Do(ctx, "incrbyfloat", "hugef", "1e4932").Err(), "ERR increment would produce NaN or Infinity")
	wantErr(t, "INCRBYFLOAT inf", c.Do(ctx, "incrbyfloat", "fl", "inf").Err(), "ERR increment would produce NaN or Infinity")

	// Concurrent INCRs from many clients are all counted.
	const workers, each = 10, 100
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			cc := n.client2()
			for i := 0; i < each; i++ {
				if err := cc.Incr(ctx, "shared").Err(); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := c.Get(ctx, "shared").Int(); v != workers*each {
		t.Errorf("after %d concurrent INCRs: %d", workers*each, v)
	}
}

func testStringRanges(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client2()
	c.Set(ctx, "s", "Hello World", 0)
	for _, tc := range []struct {
		start, end int64
		want       string
	}{{0, 4, "Hello"}, {-5, -1, "World"}, {0, -1, "Hello World"}, {6, 100, "World"}, {20, 30, ""}, {3, 1, ""}, {-100, 1, "He"}} {
		if got := c.GetRange(ctx, "s", tc.start, tc.end).Val(); got != tc.want {
			t.Errorf("GETRANGE %d %d = %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
	if l := c.SetRange(ctx, "s", 6, "Geomys").Val(); l != 12 {
		t.Errorf("SETRANGE len = %d", l)
	}
	if got := c.Get(ctx, "s").Val(); got != "Hello Geomys" {
		t.Errorf("after SETRANGE: %q", got)
	}
	if l := c.SetRange(ctx, "pad", 4, "x").Val(); l != 5 || c.Get(ctx, "pad").Val() != "\x00\x00\x00\x00x" {
		t.Errorf("SETRANGE on missing key: %d %q", l, c.Get(ctx, "pad").Val())
	}
	if l := c.SetRange(ctx, "none", 10, "").Val(); l != 0 || c.Exists(ctx, "none").Val() != 0 {
		t.Errorf("SETRANGE empty on missing key created it (len %d)", l)
	}
	wantErr(t, "SETRANGE -1", c.SetRange(ctx, "s", -1, "x").Err(), "ERR offset is out of range")
	wantErr(t, "SETRANGE 512MB", c.SetRange(ctx, "s", 512*1024*1024, "x").Err(), "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	if l := c.Append(ctx, "ap", "abc").Val(); l != 3 {
		t.Errorf("APPEND new = %d", l)
	}
	if l := c.Append(ctx, "ap", "de").Val(); l != 5 || c.Get(ctx, "ap").Val() != "abcde" {
		t.Errorf("APPEND = %d", l)
	}
	if l := c.StrLen(ctx, "nosuch").Val(); l != 0 {
		t.Errorf("STRLEN missing = %d", l)
	}
	c.Set(ctx, "num", "12345", 0)
	if l := c.StrLen(ctx, "num").Val(); l != 5 {
		t.Errorf("STRLEN of an integer-encoded value = %d", l)
	}
}

func testStringWrongType(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.RPush(ctx, "l", "a")
	const wt = "WRONGTYPE Operation against a key holding the wrong kind of value"
	for _, args := range [][]interface{}{
		{"get", "l"}, {"getset", "l", "x"}, {"getdel", "l"}, {"getex", "l"}, {"append", "l", "x"},
		{"strlen", "l"}, {"getrange", "l", "0", "1"}, {"setrange", "l", "0", "x"}, {"incr", "l"},
		{"decr", "l"}, {"incrby", "l", "2"}, {"decrby", "l", "2"}, {"incrbyfloat", "l", "1.5"},
		{"set", "l", "x", "get"},
	} {
		err := c.Do(ctx, args...).Err()
		if err == nil || err.Error() != wt {
			t.Errorf("%v: %v, want WRONGTYPE", args, err)
		}
	}
	if v := c.LRange(ctx, "l", 0, -1).Val(); len(v) != 1 || v[0] != "a" {
		t.Errorf("list changed by failing string commands: %v", v)
	}
	// MGET answers nil for a key of another type instead of failing.
	got, err := c.MGet(ctx, "l").Result()
	if err != nil || len(got) != 1 || got[0] != nil {
		t.Errorf("MGET list = %v, %v", got, err)
	}
	var rerr redis.Error
	if err := c.Get(ctx, "l").Err(); !errors.As(err, &rerr) {
		t.Errorf("WRONGTYPE is not a server error reply: %T", err)
	}
}
