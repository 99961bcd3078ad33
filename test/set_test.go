package test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// setScript runs against Geomys and a stock redis-server. A line starting
// with "~ " has an unordered reply (the members of a set): the elements of
// every aggregate are sorted on both sides before comparing. A line ending
// with ` => "<raw>"` gives Geomys' reply where it deliberately differs from
// the 7.0 reference.
const setScript = `
# SADD / SCARD / SISMEMBER / SMISMEMBER on an intset
SADD s 3 1 2
SADD s 2 4
SADD s 4
SCARD s
SMEMBERS s
SISMEMBER s 1
SISMEMBER s 5
SISMEMBER s 01
SISMEMBER s x
SMISMEMBER s 1 5 4 x
SMISMEMBER nosuch a b
SISMEMBER nosuch a
SCARD nosuch
SMEMBERS nosuch
TYPE s
OBJECT ENCODING s
SADD neg -5 0 -9223372036854775808 9223372036854775807 10
SMEMBERS neg
SADD neg 9223372036854775808 -0 007 +1
OBJECT ENCODING neg
~ SMEMBERS neg
SCARD neg
SISMEMBER neg 9223372036854775808
SISMEMBER neg -0
SISMEMBER neg 0
# strings
SADD t a b c
SADD t a "" "x y" "bin\x00\r\n"
~ SMEMBERS t
SCARD t
SISMEMBER t ""
SISMEMBER t "bin\x00\r\n"
OBJECT ENCODING t
SADD big 1 2 3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
OBJECT ENCODING big
SCARD big
# arity and wrong type
SADD s
SADD
SREM s
SMEMBERS
SMEMBERS s t
SISMEMBER s
SMISMEMBER s
SCARD
SET str v
SADD str a
SREM str a
SMEMBERS str
SISMEMBER str a
SMISMEMBER str a
SCARD str
SPOP str
SPOP str 2
SRANDMEMBER str
SRANDMEMBER str 2
SMOVE str s a
SMOVE s str 1
SMOVE nosuch str 1
SINTER s str
SINTER nosuch str
SINTERCARD 2 s str
SINTERSTORE d s str
SUNION s str
SUNIONSTORE d s str
SDIFF s str
SDIFF nosuch str
SDIFFSTORE d s str
SSCAN str 0
EXISTS d
# SREM
SADD r 1 2 3 4 5
SREM r 1 9
SREM r 1
SREM nosuch a
SMEMBERS r
SREM r 2 3 4 5 6
EXISTS r
SADD r a b
SREM r a a b
EXISTS r
# SMOVE
SADD m1 1 2 3
SADD m2 a
SMOVE m1 m2 1
SMOVE m1 m2 9
SMOVE nosuch m2 1
~ SMEMBERS m2
SMEMBERS m1
SMOVE m1 m1 2
SMOVE m1 m1 9
SMOVE m1 m2 a
SMOVE m1 new 2
SMEMBERS new
OBJECT ENCODING new
SMOVE m1 new 3
EXISTS m1
SMEMBERS new
SMOVE m2 new a
~ SMEMBERS new
SMOVE new m2 a
~ SMEMBERS m2
SMOVE m1 m2
# SINTER SUNION SDIFF
DEL a b c
SADD a 1 2 3 4 5 6
SADD b 4 5 6 7 8
SADD c 5 6 x y
SINTER a b
~ SINTER a b c
SINTER a nosuch
SINTER nosuch a
SINTER a
SINTER
~ SUNION a b c
SUNION a nosuch
SUNION nosuch
~ SUNION nosuch c
SDIFF a b
SDIFF a b c
SDIFF a nosuch
SDIFF nosuch a
SDIFF a a
~ SDIFF c a
SINTERCARD 3 a b c
SINTERCARD 2 a b
SINTERCARD 2 a b LIMIT 1
SINTERCARD 2 a b LIMIT 0
SINTERCARD 2 a b limit 100
SINTERCARD 1 a
SINTERCARD 2 a nosuch
SINTERCARD 0 a
SINTERCARD -1 a
SINTERCARD x a
SINTERCARD 3 a b
SINTERCARD 2 a b LIMIT -1
SINTERCARD 2 a b LIMIT x
SINTERCARD 2 a b LIMIT
SINTERCARD 2 a b FOO 1
SINTERCARD 1
# STORE variants
SINTERSTORE d a b
SMEMBERS d
OBJECT ENCODING d
SINTERSTORE d a b c
SMEMBERS d
SINTERSTORE d a nosuch
EXISTS d
SET d x
SINTERSTORE d a b
SMEMBERS d
EXPIRE d 1000
SUNIONSTORE d a b
TTL d
SMEMBERS d
SUNIONSTORE d a c
~ SMEMBERS d
SUNIONSTORE d nosuch
EXISTS d
SDIFFSTORE d a b
SMEMBERS d
SDIFFSTORE d a a
EXISTS d
SDIFFSTORE a a b
SMEMBERS a
SUNIONSTORE a a b c
~ SMEMBERS a
SINTERSTORE d
SUNIONSTORE d
SDIFFSTORE d
# SPOP / SRANDMEMBER edges (deterministic cases only)
SPOP nosuch
SPOP nosuch 3
SPOP nosuch 0
SPOP a 0
SPOP a -1
SPOP a x
SPOP a 1 2
SPOP
SRANDMEMBER nosuch
SRANDMEMBER nosuch 5
SRANDMEMBER nosuch -5
SRANDMEMBER a 0
SRANDMEMBER a x
SRANDMEMBER a 1 2
SRANDMEMBER a -9223372036854775808
SRANDMEMBER
SADD one 7
SPOP one
EXISTS one
SADD one 7
SRANDMEMBER one
SRANDMEMBER one 3
SRANDMEMBER one -3
~ SPOP one 5
EXISTS one
SADD ints 1 2 3
SRANDMEMBER ints 3
SRANDMEMBER ints 10
~ SPOP ints 3
EXISTS ints
# SSCAN on small sets: everything at once, cursor 0
SADD sc 1 2 3 10 20 30
SSCAN sc 0
SSCAN sc 0 COUNT 1
SSCAN sc 0 MATCH 1*
SSCAN sc 0 match *0 count 100
SSCAN sc 5
SSCAN sc x
SSCAN sc -1
SSCAN sc 0 COUNT 0
SSCAN sc 0 COUNT x
SSCAN sc 0 COUNT
SSCAN sc 0 TYPE set
SSCAN sc 0 FOO bar
SSCAN nosuch 0
SSCAN nosuch 0 COUNT 0
SSCAN nosuch x
SSCAN sc
SADD sc2 b a c
~ SSCAN sc2 0
~ SSCAN sc2 0 MATCH a
`

// normReply returns raw (one RESP reply) with the elements of every
// aggregate sorted, so replies that are sets compare regardless of order.
func normReply(t *testing.T, raw string) (norm, rest string) {
	t.Helper()
	i := strings.Index(raw, "\r\n")
	if i < 0 {
		t.Fatalf("bad reply %q", raw)
	}
	line, rest := raw[:i+2], raw[i+2:]
	switch raw[0] {
	case '*', '~', '>':
		n, _ := strconv.Atoi(line[1:i])
		var kids []string
		for range max(n, 0) {
			var k string
			k, rest = normReply(t, rest)
			kids = append(kids, k)
		}
		sort.Strings(kids)
		return line + strings.Join(kids, ""), rest
	case '$':
		n, _ := strconv.Atoi(line[1:i])
		if n < 0 {
			return line, rest
		}
		return line + rest[:n+2], rest[n+2:]
	}
	return line, rest
}

// compareSetsWithRedis is compareWithRedis with unordered lines (see setScript).
func compareSetsWithRedis(t *testing.T, n *node, script string) {
	t.Helper()
	ref := startRedis(t)
	type step struct {
		args      []string
		unordered bool
		override  string
		has       bool
	}
	var steps []step
	for _, l := range strings.Split(script, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		var st step
		if rest, ok := strings.CutPrefix(l, "~ "); ok {
			l, st.unordered = rest, true
		}
		if cmd, want, ok := strings.Cut(l, " => "); ok {
			w, err := strconv.Unquote(strings.TrimSpace(want))
			if err != nil {
				t.Fatalf("bad expected reply in %q: %v", l, err)
			}
			l, st.override, st.has = cmd, w, true
		}
		st.args = splitArgs(t, l)
		steps = append(steps, st)
	}
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		for _, c := range []*respConn{g, r} {
			if got := c.do("FLUSHALL"); got != "+OK\r\n" {
				t.Fatalf("FLUSHALL = %q", got)
			}
		}
		bad := 0
		for _, st := range steps {
			want, got := r.do(st.args...), g.do(st.args...)
			who := "redis"
			if st.has {
				want, who = st.override, "want"
			}
			if st.unordered {
				want, _ = normReply(t, want)
				got, _ = normReply(t, got)
			}
			if got != want {
				bad++
				t.Errorf("RESP%d %s\n   geomys: %q\n    %s: %q", proto, quoteArgs(st.args), got, who, want)
			}
		}
		t.Logf("RESP%d: %d commands compared, %d differ", proto, len(steps), bad)
	}
}

func TestSet(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"MatchRedis", func(t *testing.T, n *node) { compareSetsWithRedis(t, n, setScript) }},
		nodeTest{"Encodings", testSetEncodings},
		nodeTest{"SpopSrandmember", testSetRandom},
		nodeTest{"Sscan", testSetSscan},
		nodeTest{"BigOps", testSetBigOps},
	)
}

func testSetEncodings(t *testing.T, n *node) {
	rc := dialRESP(t, n.addr(), 2)
	enc := func(key string) string { return rc.do("OBJECT", "ENCODING", key) }
	want := func(key, e string) {
		t.Helper()
		if got := enc(key); got != fmt.Sprintf("$%d\r\n%s\r\n", len(e), e) {
			t.Fatalf("OBJECT ENCODING %s = %q, want %s", key, got, e)
		}
	}
	for i := range 512 {
		rc.do("SADD", "i", strconv.Itoa(i))
	}
	want("i", "intset")
	rc.do("SADD", "i", "512")
	want("i", "hashtable")
	// Redis 7.0 has only intset and hashtable: a string makes a hashtable
	// at once, whatever its size.
	rc.do("SADD", "l", "1")
	want("l", "intset")
	rc.do("SADD", "l", "x")
	want("l", "hashtable")
	rc.do("SADD", "v", strings.Repeat("x", 64))
	want("v", "hashtable")
	// Never converted back, even to an intset once the strings are gone.
	rc.do("SREM", "l", "x")
	want("l", "hashtable")
	// An integer starts an intset whatever the number of members to come
	// (duplicates included), converting past set-max-intset-entries.
	args := []string{"SADD", "dups"}
	for range 600 {
		args = append(args, "7")
	}
	rc.do(args...)
	want("dups", "intset")
	args = []string{"SADD", "many", "0"}
	for i := range 600 {
		args = append(args, strconv.Itoa(i+1))
	}
	rc.do(args...)
	want("many", "hashtable")
	if got := rc.do("SCARD", "many"); got != ":601\r\n" {
		t.Fatalf("SCARD many = %q", got)
	}
}

// parseArray decodes a flat RESP array/set of bulk strings.
func parseArray(t *testing.T, raw string) []string {
	t.Helper()
	if raw == "" || (raw[0] != '*' && raw[0] != '~') {
		t.Fatalf("not an array: %q", raw)
	}
	i := strings.Index(raw, "\r\n")
	n, _ := strconv.Atoi(raw[1:i])
	rest := raw[i+2:]
	out := make([]string, 0, n)
	for range n {
		j := strings.Index(rest, "\r\n")
		l, _ := strconv.Atoi(rest[1:j])
		out = append(out, rest[j+2:j+2+l])
		rest = rest[j+2+l+2:]
	}
	return out
}

func testSetRandom(t *testing.T, n *node) {
	for _, tc := range []struct {
		name string
		size int
		str  bool
	}{{"intset", 50, false}, {"listpack", 60, true}, {"hashtable", 1000, true}} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRESP(t, n.addr(), 3)
			rc.do("DEL", "k")
			all := map[string]bool{}
			args := []string{"SADD", "k"}
			for i := range tc.size {
				m := strconv.Itoa(i)
				if tc.str {
					m = "m" + m
				}
				all[m] = true
				args = append(args, m)
			}
			rc.do(args...)
			// SRANDMEMBER positive: distinct members of the set.
			for _, cnt := range []int{1, 5, tc.size / 2, tc.size - 1, tc.size, tc.size + 10} {
				got := parseArray(t, rc.do("SRANDMEMBER", "k", strconv.Itoa(cnt)))
				if len(got) != min(cnt, tc.size) {
					t.Fatalf("SRANDMEMBER %d: %d members", cnt, len(got))
				}
				seen := map[string]bool{}
				for _, m := range got {
					if !all[m] || seen[m] {
						t.Fatalf("SRANDMEMBER %d: bad or repeated member %q", cnt, m)
					}
					seen[m] = true
				}
			}
			// SRANDMEMBER negative: exactly -count members, repeats allowed,
			// and every member comes up with a large enough sample.
			got := parseArray(t, rc.do("SRANDMEMBER", "k", strconv.Itoa(-tc.size*20)))
			if len(got) != tc.size*20 {
				t.Fatalf("SRANDMEMBER negative: %d members", len(got))
			}
			hits := map[string]int{}
			for _, m := range got {
				if !all[m] {
					t.Fatalf("SRANDMEMBER negative: %q not a member", m)
				}
				hits[m]++
			}
			if len(hits) < tc.size*9/10 {
				t.Fatalf("SRANDMEMBER negative: only %d of %d members seen", len(hits), tc.size)
			}
			// SPOP: removes what it returns, never repeats, until empty.
			left := tc.size
			popped := map[string]bool{}
			for left > 0 {
				k := min(left, 7)
				var ms []string
				if k == 1 {
					r := rc.do("SPOP", "k")
					ms = []string{r[strings.Index(r, "\r\n")+2 : len(r)-2]}
				} else {
					ms = parseArray(t, rc.do("SPOP", "k", strconv.Itoa(k)))
				}
				if len(ms) != k {
					t.Fatalf("SPOP %d returned %d", k, len(ms))
				}
				for _, m := range ms {
					if !all[m] || popped[m] {
						t.Fatalf("SPOP returned %q (member %v, popped before %v)", m, all[m], popped[m])
					}
					popped[m] = true
					if r := rc.do("SISMEMBER", "k", m); r != ":0\r\n" && left > k {
						t.Fatalf("popped %q still a member", m)
					}
				}
				left -= k
				if r := rc.do("SCARD", "k"); r != ":"+strconv.Itoa(left)+"\r\n" {
					t.Fatalf("SCARD after SPOP = %q, want %d", r, left)
				}
			}
			if r := rc.do("EXISTS", "k"); r != ":0\r\n" {
				t.Fatalf("emptied set still exists: %q", r)
			}
		})
	}
}

func testSetSscan(t *testing.T, n *node) {
	rc := dialRESP(t, n.addr(), 2)
	const size = 5000
	args := []string{"SADD", "h"}
	for i := range size {
		args = append(args, "member:"+strconv.Itoa(i))
	}
	rc.do(args...)
	seen := map[string]int{}
	cursor, calls := "0", 0
	for {
		raw := rc.do("SSCAN", "h", cursor, "COUNT", "50")
		calls++
		// *2 $n cursor *k ...
		i := strings.Index(raw, "\r\n")
		rest := raw[i+2:]
		j := strings.Index(rest, "\r\n")
		l, _ := strconv.Atoi(rest[1:j])
		cursor = rest[j+2 : j+2+l]
		for _, m := range parseArray(t, rest[j+2+l+2:]) {
			seen[m]++
		}
		// Members added and removed during the walk don't disturb it.
		if calls == 10 {
			rc.do("SADD", "h", "extra1", "extra2")
			rc.do("SREM", "h", "extra1")
		}
		if cursor == "0" {
			break
		}
		if calls > size {
			t.Fatal("SSCAN does not terminate")
		}
	}
	for i := range size {
		if m := "member:" + strconv.Itoa(i); seen[m] != 1 {
			t.Fatalf("%s returned %d times", m, seen[m])
		}
	}
	if calls < size/100 {
		t.Fatalf("COUNT 50 over %d members took only %d calls", size, calls)
	}
	// MATCH filters.
	raw := rc.do("SSCAN", "h", "0", "MATCH", "member:1?", "COUNT", "100000")
	if got := parseArray(t, raw[strings.Index(raw, "*")+0+len("*2\r\n$1\r\n0\r\n"):]); len(got) != 10 {
		t.Fatalf("SSCAN MATCH member:1? = %d members: %q", len(got), raw)
	}
}

// testSetBigOps checks the set algebra on hashtable-encoded sets against
// expectations computed here.
func testSetBigOps(t *testing.T, n *node) {
	rc := dialRESP(t, n.addr(), 2)
	a, b := []string{"SADD", "A"}, []string{"SADD", "B"}
	for i := range 3000 {
		if i%2 == 0 {
			a = append(a, "x"+strconv.Itoa(i))
		}
		if i%3 == 0 {
			b = append(b, "x"+strconv.Itoa(i))
		}
	}
	rc.do(a...)
	rc.do(b...)
	inter, union, diff := 0, 0, 0
	for i := range 3000 {
		inA, inB := i%2 == 0, i%3 == 0
		if inA && inB {
			inter++
		}
		if inA || inB {
			union++
		}
		if inA && !inB {
			diff++
		}
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"SINTERSTORE", "I", "A", "B"}, inter},
		{[]string{"SUNIONSTORE", "U", "A", "B"}, union},
		{[]string{"SDIFFSTORE", "D", "A", "B"}, diff},
		{[]string{"SINTERCARD", "2", "A", "B"}, inter},
		{[]string{"SINTERCARD", "2", "A", "B", "LIMIT", "7"}, 7},
	} {
		if got := rc.do(c.args...); got != ":"+strconv.Itoa(c.want)+"\r\n" {
			t.Fatalf("%q = %q, want %d", c.args, got, c.want)
		}
	}
	if got := len(parseArray(t, rc.do("SINTER", "A", "B"))); got != inter {
		t.Fatalf("SINTER: %d members, want %d", got, inter)
	}
	if got := len(parseArray(t, rc.do("SUNION", "A", "B"))); got != union {
		t.Fatalf("SUNION: %d members, want %d", got, union)
	}
	if got := len(parseArray(t, rc.do("SDIFF", "A", "B"))); got != diff {
		t.Fatalf("SDIFF: %d members, want %d", got, diff)
	}
	if got := rc.do("SISMEMBER", "I", "x6"); got != ":1\r\n" {
		t.Fatalf("SISMEMBER I x6 = %q", got)
	}
	if got := rc.do("SISMEMBER", "D", "x6"); got != ":0\r\n" {
		t.Fatalf("SISMEMBER D x6 = %q", got)
	}
}

// setState renders every set key's members (sorted) and encoding-independent
// cardinality, through a RESP2 connection.
func setState(t *testing.T, rc *respConn, keys []string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range keys {
		ms := parseArray(t, rc.do("SMEMBERS", k))
		sort.Strings(ms)
		fmt.Fprintf(&b, "%s(%d)=%s\n", k, len(ms), strings.Join(ms, ","))
	}
	return b.String()
}

// TestSetSpopReplayAfterRestart: SPOP, SMOVE and SINTERSTORE after a
// rewrite land in the incremental AOF in their propagated form (SREM / DEL /
// as received), on top of a base that recreates the sets with SADD batches
// (in other encodings than the originals: "shrunk" comes back as an intset).
// After kill -9 the node must rebuild exactly the same sets. (That the SPOPs
// themselves pick the same members whatever the encoding is checked by the
// unit test TestSetSpopDeterministic.)
func TestSetSpopReplayAfterRestart(t *testing.T) {
	n := startNode(t)
	rc := dialRESP(t, n.addr(), 2)
	keys := []string{"shrunk", "ints", "strs", "big", "mixed"}
	// shrunk: 600 integers (hashtable) cut down to 60: restored as an intset.
	args := []string{"SADD", "shrunk"}
	for i := range 600 {
		args = append(args, strconv.Itoa(i*3))
	}
	rc.do(args...)
	args = []string{"SREM", "shrunk"}
	for i := 60; i < 600; i++ {
		args = append(args, strconv.Itoa(i*3))
	}
	rc.do(args...)
	for i := range 100 {
		rc.do("SADD", "ints", strconv.Itoa(1000-i*7))
		rc.do("SADD", "strs", "s"+strconv.Itoa(i))
		rc.do("SADD", "mixed", strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	args = []string{"SADD", "big"}
	for i := range 3000 {
		args = append(args, "b"+strconv.Itoa(i))
	}
	rc.do(args...)
	if got := rc.do("BGREWRITEAOF"); strings.HasPrefix(got, "-") {
		t.Fatal(got)
	}
	waitRewrite(t, n.client())
	for round := range 5 {
		for _, k := range keys {
			rc.do("SPOP", k)
			rc.do("SPOP", k, strconv.Itoa(3+round))
		}
		rc.do("SMOVE", "strs", "ints", "s"+strconv.Itoa(round))
		rc.do("SINTERSTORE", "inter", "mixed", "ints")
	}
	keys = append(keys, "inter")
	want := setState(t, rc, keys)
	n.kill()
	n.restart()
	rc = dialRESP(t, n.addr(), 2)
	if got := setState(t, rc, keys); got != want {
		t.Fatalf("state after restart differs\nwant:\n%s\ngot:\n%s", want, got)
	}
	// The restored sets keep working.
	if got := rc.do("SPOP", "big", "10"); !strings.HasPrefix(got, "*10\r\n") {
		t.Fatalf("SPOP after restart: %q", got)
	}
}
