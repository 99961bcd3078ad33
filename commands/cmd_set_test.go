package commands

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/resp"
)

func TestSetCommandTable(t *testing.T) {
	type spec struct {
		arity             int
		flags             Flags
		first, last, step int
	}
	want := map[string]spec{
		"sadd":        {-3, Write | DenyOOM | Fast, 1, 1, 1},
		"srem":        {-3, Write | Fast, 1, 1, 1},
		"smembers":    {2, ReadOnly, 1, 1, 1},
		"sismember":   {3, ReadOnly | Fast, 1, 1, 1},
		"smismember":  {-3, ReadOnly | Fast, 1, 1, 1},
		"scard":       {2, ReadOnly | Fast, 1, 1, 1},
		"spop":        {-2, Write | Fast, 1, 1, 1},
		"srandmember": {-2, ReadOnly, 1, 1, 1},
		"smove":       {4, Write | Fast, 1, 2, 1},
		"sinter":      {-2, ReadOnly, 1, -1, 1},
		"sintercard":  {-3, ReadOnly | MovableKeys, 0, 0, 0},
		"sinterstore": {-3, Write | DenyOOM, 1, -1, 1},
		"sunion":      {-2, ReadOnly, 1, -1, 1},
		"sunionstore": {-3, Write | DenyOOM, 1, -1, 1},
		"sdiff":       {-2, ReadOnly, 1, -1, 1},
		"sdiffstore":  {-3, Write | DenyOOM, 1, -1, 1},
		"sscan":       {-3, ReadOnly, 1, 1, 1},
	}
	for name, w := range want {
		c := Lookup([]byte(strings.ToUpper(name)))
		if c == nil {
			t.Fatalf("%s not registered", name)
		}
		got := spec{c.Arity, c.Flags, c.FirstKey, c.LastKey, c.Step}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", name, got, w)
		}
		if c.Group != "set" || c.Since == "" || c.Summary == "" || c.Args == "" || c.Handler == nil {
			t.Errorf("%s: incomplete declaration %+v", name, c)
		}
	}
}

func TestSetBasicReplies(t *testing.T) {
	h := newHarness(t)
	h.expect(":3\r\n", "sadd", "s", "3", "1", "2")
	h.expect(":1\r\n", "sadd", "s", "2", "4")
	h.expect(":0\r\n", "sadd", "s", "4")
	h.expect("*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n", "smembers", "s")
	h.expect(":4\r\n", "scard", "s")
	h.expect(":1\r\n", "sismember", "s", "4")
	h.expect(":0\r\n", "sismember", "s", "04")
	h.expect("*3\r\n:1\r\n:0\r\n:1\r\n", "smismember", "s", "1", "x", "3")
	h.expect("*0\r\n", "smembers", "nosuch")
	h.expect("*2\r\n:0\r\n:0\r\n", "smismember", "nosuch", "a", "b")
	h.expect(":2\r\n", "srem", "s", "1", "2", "9")
	h.expect(":2\r\n", "srem", "s", "3", "4", "5")
	h.expect(":0\r\n", "exists", "s")
	h.do("set", "str", "v")
	for _, args := range [][]string{
		{"sadd", "str", "a"}, {"srem", "str", "a"}, {"smembers", "str"}, {"sismember", "str", "a"},
		{"smismember", "str", "a"}, {"scard", "str"}, {"spop", "str"}, {"spop", "str", "1"},
		{"srandmember", "str"}, {"srandmember", "str", "1"}, {"sinter", "str"}, {"sunion", "str"},
		{"sdiff", "str"}, {"sintercard", "1", "str"}, {"sscan", "str", "0"},
		{"sinterstore", "d", "str"}, {"sunionstore", "d", "str"}, {"sdiffstore", "d", "str"},
	} {
		h.expect("-"+ErrWrongType+"\r\n", args...)
	}
	h.expect("+string\r\n", "type", "str")
	h.do("sadd", "t", "a")
	h.expect("+set\r\n", "type", "t")
	h.expect("$9\r\nhashtable\r\n", "object", "encoding", "t") // Redis 7.0 has no listpack sets
}

func TestSetResp3(t *testing.T) {
	h := newHarness(t)
	h.proto = 3
	h.do("sadd", "s", "1", "2")
	h.expect("~2\r\n$1\r\n1\r\n$1\r\n2\r\n", "smembers", "s")
	h.expect("~0\r\n", "smembers", "nosuch")
	h.expect("~2\r\n$1\r\n1\r\n$1\r\n2\r\n", "sunion", "s", "nosuch")
	h.expect("~0\r\n", "sinter", "s", "nosuch")
	h.expect("~0\r\n", "sdiff", "s", "s")
	h.expect("~0\r\n", "spop", "nosuch", "2")
	h.expect("~0\r\n", "spop", "s", "0")
	h.expect("_\r\n", "spop", "nosuch")
	h.expect("_\r\n", "srandmember", "nosuch")
	h.expect("*0\r\n", "srandmember", "nosuch", "3")
	h.expect("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "srandmember", "s", "5")
	h.expect(":1\r\n", "sismember", "s", "1")
	h.expect("~2\r\n$1\r\n2\r\n$1\r\n1\r\n", "spop", "s", "2") // canonical order
}

func TestSetErrors(t *testing.T) {
	h := newHarness(t)
	h.do("sadd", "s", "1", "2", "3")
	h.expect("-ERR value is out of range, must be positive\r\n", "spop", "s", "-1")
	h.expect("-ERR value is out of range, must be positive\r\n", "spop", "s", "x")
	h.expect("-ERR syntax error\r\n", "spop", "s", "1", "2")
	h.expect("-ERR syntax error\r\n", "srandmember", "s", "1", "2")
	h.expect("-ERR value is not an integer or out of range\r\n", "srandmember", "s", "x")
	h.expect("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
		"srandmember", "s", "-9223372036854775808")
	h.expect("-ERR numkeys should be greater than 0\r\n", "sintercard", "0", "s")
	h.expect("-ERR numkeys should be greater than 0\r\n", "sintercard", "x", "s")
	h.expect("-ERR Number of keys can't be greater than number of args\r\n", "sintercard", "2", "s")
	h.expect("-ERR LIMIT can't be negative\r\n", "sintercard", "1", "s", "limit", "-1")
	h.expect("-ERR syntax error\r\n", "sintercard", "1", "s", "limit")
	h.expect("-ERR syntax error\r\n", "sintercard", "1", "s", "foo", "1")
	h.expect("-ERR invalid cursor\r\n", "sscan", "s", "x")
	h.expect("-ERR syntax error\r\n", "sscan", "s", "0", "count", "0")
	h.expect("-ERR value is not an integer or out of range\r\n", "sscan", "s", "0", "count", "x")
	h.expect("-ERR syntax error\r\n", "sscan", "s", "0", "type", "set")
	h.expect("*2\r\n$1\r\n0\r\n*0\r\n", "sscan", "nosuch", "0", "count", "0")
	h.expect("-ERR wrong number of arguments for 'sadd' command\r\n", "sadd", "s")
}

func TestSetPropagation(t *testing.T) {
	h := newHarness(t)
	h.do("sadd", "s", "a", "b")
	if got := h.aof(); got != "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*4\r\n$4\r\nsadd\r\n$1\r\ns\r\n$1\r\na\r\n$1\r\nb\r\n" {
		t.Fatalf("SADD propagated %q", got)
	}
	h.do("sadd", "s", "a")
	h.do("srem", "s", "zz")
	h.do("smove", "s", "d", "zz")
	h.do("spop", "nosuch")
	h.do("spop", "s", "0")
	if got := h.aof(); got != "" {
		t.Fatalf("no-ops propagated %q", got)
	}
	r := h.do("spop", "s")
	m := r[strings.LastIndex(r[:len(r)-2], "\n")+1 : len(r)-2]
	if got, want := h.aof(), string(resp.AppendCommand(nil, "SREM", "s", m)); got != want {
		t.Fatalf("SPOP propagated %q, want %q", got, want)
	}
	h.do("spop", "s", "5")
	if got, want := h.aof(), string(resp.AppendCommand(nil, "DEL", "s")); got != want {
		t.Fatalf("SPOP of everything propagated %q, want %q", got, want)
	}
	// SPOP count: SREM in batches of 1024.
	args := []string{"sadd", "big"}
	for i := range 3000 {
		args = append(args, "m"+strconv.Itoa(i))
	}
	h.do(args...)
	h.aof()
	h.do("spop", "big", "2500")
	got := h.aof()
	if n := strings.Count(got, "$4\r\nSREM\r\n"); n != 3 {
		t.Fatalf("SPOP 2500 propagated %d SREMs", n)
	}
	if !strings.HasPrefix(got, "*1026\r\n") {
		t.Fatalf("first SREM batch: %q", got[:20])
	}
	h.expect(":500\r\n", "scard", "big")
	// STORE with an empty result deletes the destination: DEL.
	h.do("set", "d", "x")
	h.aof()
	h.expect(":0\r\n", "sinterstore", "d", "big", "nosuch")
	if got, want := h.aof(), string(resp.AppendCommand(nil, "DEL", "d")); got != want {
		t.Fatalf("empty SINTERSTORE propagated %q, want %q", got, want)
	}
	h.expect(":0\r\n", "sdiffstore", "d", "big", "big")
	if got := h.aof(); got != "" {
		t.Fatalf("empty SDIFFSTORE on a missing dst propagated %q", got)
	}
	h.expect(":500\r\n", "sunionstore", "d", "big")
	if got, want := h.aof(), string(resp.AppendCommand(nil, "sunionstore", "d", "big")); got != want {
		t.Fatalf("SUNIONSTORE propagated %q, want %q", got, want)
	}
}

func TestSetStoreOverwritesAndClearsTTL(t *testing.T) {
	h := newHarness(t)
	h.do("sadd", "a", "1", "2", "3")
	h.do("sadd", "b", "2", "3", "x")
	h.do("set", "d", "v")
	h.do("pexpire", "d", "100000")
	h.expect(":2\r\n", "sinterstore", "d", "a", "b")
	h.expect(":-1\r\n", "ttl", "d")
	h.expect("*2\r\n$1\r\n2\r\n$1\r\n3\r\n", "smembers", "d")
	h.expect("$6\r\nintset\r\n", "object", "encoding", "d")
	h.expect(":4\r\n", "sunionstore", "d", "a", "b")
	h.expect("$9\r\nhashtable\r\n", "object", "encoding", "d")
	h.expect(":1\r\n", "sdiffstore", "a", "a", "b")
	h.expect("*1\r\n$1\r\n1\r\n", "smembers", "a")
}

func TestSetSmove(t *testing.T) {
	h := newHarness(t)
	h.do("sadd", "src", "1", "2")
	h.do("set", "str", "v")
	h.expect(":0\r\n", "smove", "nosuch", "str", "1")
	h.expect("-"+ErrWrongType+"\r\n", "smove", "src", "str", "1")
	h.expect("-"+ErrWrongType+"\r\n", "smove", "str", "src", "1")
	h.expect(":1\r\n", "smove", "src", "src", "1")
	h.expect(":0\r\n", "smove", "src", "src", "9")
	h.expect(":1\r\n", "smove", "src", "dst", "1")
	h.expect(":1\r\n", "smove", "src", "dst", "2")
	h.expect(":0\r\n", "exists", "src")
	h.expect("*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "smembers", "dst")
}

// TestSetSscanHashtable walks a hashtable with SSCAN while it changes.
func TestSetSscanHashtable(t *testing.T) {
	h := newHarness(t)
	args := []string{"sadd", "h"}
	for i := range 2000 {
		args = append(args, "m"+strconv.Itoa(i))
	}
	h.do(args...)
	seen := map[string]int{}
	cursor := "0"
	for calls := 0; ; calls++ {
		_, c := h.run(nil, "sscan", "h", cursor, "count", "25")
		raw := string(c.R.Bytes())
		parts := strings.Split(raw, "\r\n")
		cursor = parts[2]
		for i := 4; i+1 < len(parts); i += 2 {
			seen[parts[i+1]]++
		}
		if calls == 5 {
			h.do("srem", "h", "m1999")
			h.do("sadd", "h", "new")
		}
		if cursor == "0" {
			break
		}
		if calls > 2000 {
			t.Fatal("no end")
		}
	}
	for i := range 1999 {
		if seen["m"+strconv.Itoa(i)] != 1 {
			t.Fatalf("m%d seen %d times", i, seen["m"+strconv.Itoa(i)])
		}
	}
}

// setStoreState renders every set of db 0, members sorted.
func setStoreState(s *Store) string {
	var lines []string
	s.DBs[0].Range(func(k string, v any, at int64) bool {
		if set, ok := v.(*Set); ok {
			lines = append(lines, fmt.Sprintf("%s=%s @%d", k, strings.Join(setContents(set), ","), at))
		} else {
			lines = append(lines, fmt.Sprintf("%s=%v @%d", k, v, at))
		}
		return true
	})
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestSetSpopDeterministic: nodes holding the same set built by different
// histories (so in different encodings and internal orders), or restored from
// a snapshot, pop the same members from the same random stream.
func TestSetSpopDeterministic(t *testing.T) {
	for _, strs := range []bool{false, true} {
		member := func(i int) string {
			if strs {
				return "member-" + strconv.Itoa(i)
			}
			return strconv.Itoa(i)
		}
		// A: built up to 600 members then cut down to 100 (stays hashtable).
		a := newHarness(t)
		args := []string{"sadd", "k"}
		for i := range 600 {
			args = append(args, member(i))
		}
		a.do(args...)
		rem := []string{"srem", "k"}
		for i := 100; i < 600; i++ {
			rem = append(rem, member(i))
		}
		a.do(rem...)
		// B: the same 100 members added one by one in reverse order.
		b := newHarness(t)
		for i := 99; i >= 0; i-- {
			b.do("sadd", "k", member(i))
		}
		// C: restored from A's snapshot.
		sn := a.store.BeginSnapshot()
		var dump []byte
		for more := true; more; {
			dump, more = sn.Next(dump, 10)
		}
		sn.End()
		c := replay(t, dump)
		c.now, c.db = a.now, 0
		// The representations differ (A's grew to a hashSet, B's is a
		// small one), though both are a hashtable to users.
		encA, encB := setEnc(a, "k"), setEnc(b, "k")
		if encA == encB {
			t.Fatalf("want different encodings, both %q", encA)
		}
		hs := []*harness{a, b, c}
		for _, x := range hs {
			x.aof()
		}
		for step, cmd := range [][]string{
			{"spop", "k"}, {"spop", "k", "3"}, {"spop", "k", "40"}, {"spop", "k"}, {"spop", "k", "50"}, {"spop", "k", "10"},
		} {
			var replies, aofs []string
			for _, x := range hs {
				x.now += 1000
				replies = append(replies, x.do(cmd...))
				aofs = append(aofs, x.aof())
			}
			for i := 1; i < len(hs); i++ {
				if replies[i] != replies[0] || aofs[i] != aofs[0] {
					t.Fatalf("strs=%v step %d %q: node %d replied %q / %q, node 0 %q / %q",
						strs, step, cmd, i, replies[i], aofs[i], replies[0], aofs[0])
				}
			}
		}
		if sa, sb := setStoreState(a.store), setStoreState(b.store); sa != sb {
			t.Fatalf("states differ:\n%s\n%s", sa, sb)
		}
	}
}

// TestSetSnapshotPointInTime changes sets in place between the chunks of a
// dump: LookupForUpdate must have saved their before-images.
func TestSetSnapshotPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		h := newHarness(t)
		rnd := rand.New(rand.NewPCG(seed, 9))
		for i := range 400 {
			k := "k" + strconv.Itoa(rnd.IntN(40))
			m := strconv.Itoa(rnd.IntN(300))
			if i%3 == 0 {
				m = "s" + m
			}
			h.do("sadd", k, m)
		}
		want := setStoreState(h.store)
		sn := h.store.BeginSnapshot()
		var dump []byte
		for more := true; more; {
			dump, more = sn.Next(dump, 3)
			for range 4 {
				k := "k" + strconv.Itoa(rnd.IntN(40))
				k2 := "k" + strconv.Itoa(rnd.IntN(40))
				m := strconv.Itoa(rnd.IntN(300))
				h.now++
				switch rnd.IntN(6) {
				case 0:
					h.do("sadd", k, m, "x"+m)
				case 1:
					h.do("srem", k, m)
				case 2:
					h.do("spop", k, "3")
				case 3:
					h.do("smove", k, k2, m)
				case 4:
					h.do("sunionstore", k, k, k2)
				case 5:
					h.do("spop", k)
				}
			}
		}
		sn.End()
		if got := setStoreState(replay(t, dump).store); got != want {
			t.Fatalf("seed %d: dump differs from the state at BeginSnapshot\nwant:\n%s\n\ngot:\n%s", seed, want, got)
		}
	}
}

// Clones (COPY, snapshots) are independent of the original.
func TestSetCopyIndependent(t *testing.T) {
	h := newHarness(t)
	h.do("sadd", "s", "a", "b")
	h.expect(":1\r\n", "copy", "s", "c")
	h.do("sadd", "s", "z")
	h.expect(":2\r\n", "scard", "c")
}

func BenchmarkSetSaddExisting(b *testing.B) {
	h := newHarness(&testing.T{})
	h.do("sadd", "s", "element:000000000000")
	argv := [][]byte{[]byte("sadd"), []byte("s"), []byte("element:000000000000")}
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(2), Prop: h.prop, Rand: rand.New(rand.NewPCG(1, 1))}
	b.ReportAllocs()
	for b.Loop() {
		c.R.Reset()
		c.Begin(h.store.DBs[0], argv)
		saddCommand(c)
		c.Finish()
	}
}

func BenchmarkSetSpopHashtable(b *testing.B) {
	h := newHarness(&testing.T{})
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(2), Prop: h.prop, Rand: rand.New(rand.NewPCG(1, 1))}
	add := [][]byte{[]byte("sadd"), []byte("s"), nil}
	pop := [][]byte{[]byte("spop"), []byte("s")}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		for range 2 {
			add[2] = strconv.AppendInt(add[2][:0], int64(i), 10)
			add[2] = append(add[2], 'x')
			i++
			c.R.Reset()
			c.Begin(h.store.DBs[0], add)
			saddCommand(c)
		}
		c.R.Reset()
		c.Begin(h.store.DBs[0], pop)
		spopCommand(c)
		h.prop.Reset()
	}
}

// Inside the FSM (a MULTI) SRANDMEMBER uses the entry's generator and the
// canonical order: two nodes holding the same set in different encodings
// reply the same.
func TestSetSrandmemberInFSMDeterministic(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	for i := range 600 {
		a.do("sadd", "k", strconv.Itoa(i))
	}
	for i := 100; i < 600; i++ {
		a.do("srem", "k", strconv.Itoa(i))
	}
	for i := 99; i >= 0; i-- {
		b.do("sadd", "k", strconv.Itoa(i))
	}
	if a.do("object", "encoding", "k") == b.do("object", "encoding", "k") {
		t.Fatal("want different encodings")
	}
	run := func(h *harness, args ...string) string {
		argv := make([][]byte, len(args))
		for i, s := range args {
			argv[i] = []byte(s)
		}
		c := &Ctx{Store: h.store, Now: h.now, R: NewReply(2), Prop: h.prop, Rand: rand.New(rand.NewPCG(5, 6))}
		c.Begin(h.store.DBs[0], argv)
		srandmemberCommand(c)
		return string(c.R.Bytes())
	}
	for _, count := range []string{"", "1", "5", "50", "99", "100", "150", "-30"} {
		args := []string{"srandmember", "k"}
		if count != "" {
			args = append(args, count)
		}
		if ra, rb := run(a, args...), run(b, args...); ra != rb {
			t.Fatalf("%q: %q vs %q", args, ra, rb)
		}
	}
}

// setEnc is the representation a set is held in (encListpack and
// encHashtable both show as "hashtable").
func setEnc(h *harness, key string) uint8 {
	v, _, _ := h.store.DBs[h.db].Peek(key)
	return v.(*Set).enc
}
