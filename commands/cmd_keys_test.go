package commands

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/resp"
)

// skSession is a connection's node-local state, as the server keeps it.
type skSession struct{ cache ScanCache }

func (s *skSession) ScanCache() *ScanCache { return &s.cache }

// skRun runs one command like harness.do, with a session, and returns the
// context too (for the keys it signalled).
func skRun(h *harness, sess Session, args ...string) (string, *Ctx) {
	h.t.Helper()
	return h.run(sess, args...)
}

// skParseScan splits a SCAN reply into its cursor and keys.
func skParseScan(t *testing.T, reply string) (uint64, []string) {
	t.Helper()
	rest := reply
	line := func() string {
		i := strings.Index(rest, "\r\n")
		if i < 0 {
			t.Fatalf("bad SCAN reply %q", reply)
		}
		l := rest[:i]
		rest = rest[i+2:]
		return l
	}
	bulk := func() string {
		n, err := strconv.Atoi(strings.TrimPrefix(line(), "$"))
		if err != nil {
			t.Fatalf("bad SCAN reply %q", reply)
		}
		s := rest[:n]
		rest = rest[n+2:]
		return s
	}
	if line() != "*2" {
		t.Fatalf("bad SCAN reply %q", reply)
	}
	cursor, err := strconv.ParseUint(bulk(), 10, 64)
	if err != nil {
		t.Fatalf("bad cursor in %q", reply)
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(line(), "*"))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = bulk()
	}
	return cursor, keys
}

// skWalk runs a whole SCAN walk, calling between(i) before each call after
// the first, and returns how often each key was returned.
func skWalk(t *testing.T, h *harness, sessions []Session, count int, extra []string, between func(i int)) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := uint64(0)
	for i := 0; ; i++ {
		if i > 0 && between != nil {
			between(i)
		}
		args := append([]string{"SCAN", strconv.FormatUint(cursor, 10), "COUNT", strconv.Itoa(count)}, extra...)
		reply, _ := skRun(h, sessions[i%len(sessions)], args...)
		next, keys := skParseScan(t, reply)
		for _, k := range keys {
			seen[k]++
		}
		if next == 0 {
			return seen
		}
		if next >= 1<<63 {
			t.Fatalf("cursor %d does not fit an int64", next)
		}
		cursor = next
		if i > 100000 {
			t.Fatal("walk does not end")
		}
	}
}

func skSorted(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestKeysDelExistsType(t *testing.T) {
	h := newSKHarness(t)
	h.do("MSET", "a", "1", "b", "2", "c", "3")
	skList(h, "l", "x")
	h.aof()
	h.expect(skInt(4), "EXISTS", "a", "a", "b", "nope", "l")
	h.expect(skInt(2), "TOUCH", "a", "nope", "l")
	h.expect("+string\r\n", "TYPE", "a")
	h.expect("+list\r\n", "TYPE", "l")
	h.expect("+none\r\n", "TYPE", "nope")
	skAOF(t, h)

	h.expect(skInt(2), "DEL", "a", "nope", "a", "l")
	skAOF(t, h, skCmd("DEL", "a", "nope", "a", "l"))
	h.expect(skInt(0), "DEL", "a", "nope")
	skAOF(t, h)
	h.expect(skInt(1), "UNLINK", "b")
	skAOF(t, h, skCmd("UNLINK", "b"))
	h.expect(skInt(1), "DBSIZE")

	// An expired key is not counted; the write deletes it with its own DEL.
	h.do("PEXPIRE", "c", "10")
	h.aof()
	h.now += 10
	h.expect(skInt(0), "EXISTS", "c")
	h.expect("+none\r\n", "TYPE", "c")
	h.expect(skInt(0), "DEL", "c")
	skAOF(t, h, skCmd("DEL", "c"))
	h.expect(skInt(0), "DBSIZE")
}

func TestKeysExpire(t *testing.T) {
	h := newSKHarness(t)
	now := h.now
	h.do("SET", "k", "v")
	h.aof()
	h.expect(skInt(0), "EXPIRE", "missing", "10")
	skAOF(t, h)
	h.expect(skInt(1), "EXPIRE", "k", "10")
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+10000)))
	h.expect(skInt(10), "TTL", "k")
	h.expect(skInt(10000), "PTTL", "k")
	h.expect(skInt((now+10000+500)/1000), "EXPIRETIME", "k")
	h.expect(skInt(now+10000), "PEXPIRETIME", "k")
	h.expect(skInt(1), "PEXPIRE", "k", "1500")
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+1500)))
	h.expect(skInt(2), "TTL", "k") // rounded to nearest
	h.expect(skInt(1), "PEXPIRE", "k", "1499")
	h.expect(skInt(1), "TTL", "k")
	h.expect(skInt(1), "EXPIREAT", "k", skMs(now/1000+100))
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+1499)), skCmd("PEXPIREAT", "k", skMs((now/1000+100)*1000)))
	h.expect(skInt(1), "PEXPIREAT", "k", skMs(now+123))
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+123)))
	h.expect(skInt(123), "PTTL", "k")

	// No key, no TTL.
	h.expect(skInt(-2), "TTL", "missing")
	h.expect(skInt(-2), "PEXPIRETIME", "missing")
	h.do("SET", "p", "v")
	h.expect(skInt(-1), "TTL", "p")
	h.expect(skInt(-1), "EXPIRETIME", "p")

	// PERSIST.
	h.aof()
	h.expect(skInt(0), "PERSIST", "p")
	h.expect(skInt(0), "PERSIST", "missing")
	skAOF(t, h)
	h.expect(skInt(1), "PERSIST", "k")
	skAOF(t, h, skCmd("PERSIST", "k"))
	h.expect(skInt(-1), "PTTL", "k")

	// A time at or before now deletes the key, propagated as DEL.
	h.expect(skInt(1), "EXPIRE", "k", "-1")
	h.expect(skInt(0), "EXISTS", "k")
	skAOF(t, h, skCmd("DEL", "k"))
	h.do("SET", "k", "v")
	h.aof()
	h.expect(skInt(1), "PEXPIREAT", "k", skMs(now))
	skAOF(t, h, skCmd("DEL", "k"))
	h.do("SET", "k", "v")
	h.aof()
	h.expect(skInt(1), "PEXPIRE", "k", "0")
	skAOF(t, h, skCmd("DEL", "k"))

	// Errors: options first, then the number, then overflow.
	h.do("SET", "k", "v")
	h.aof()
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"EXPIRE", "k", "10", "FOO"}, "ERR Unsupported option FOO"},
		{[]string{"EXPIRE", "k", "abc", "bar"}, "ERR Unsupported option bar"},
		{[]string{"EXPIRE", "k", "abc"}, ErrNotInt},
		{[]string{"EXPIRE", "k", "1.5"}, ErrNotInt},
		{[]string{"EXPIRE", "k", "10", "NX", "XX"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "10", "nx", "gt"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "10", "LT", "NX"}, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "10", "GT", "LT"}, "ERR GT and LT options at the same time are not compatible"},
		{[]string{"EXPIRE", "k", "9223372036854775807"}, "ERR invalid expire time in 'expire' command"},
		{[]string{"EXPIRE", "k", "-9223372036854775808"}, "ERR invalid expire time in 'expire' command"},
		{[]string{"EXPIRE", "k", "9223372036854775"}, "ERR invalid expire time in 'expire' command"},
		{[]string{"PEXPIRE", "k", "9223372036854775807"}, "ERR invalid expire time in 'pexpire' command"},
		{[]string{"EXPIREAT", "k", "9223372036854776"}, "ERR invalid expire time in 'expireat' command"},
		{[]string{"EXPIRE", "missing", "9223372036854775807"}, "ERR invalid expire time in 'expire' command"},
	} {
		h.expect(skErr(tc.err), tc.args...)
	}
	skAOF(t, h)
	h.expect(skInt(-1), "TTL", "k")
	h.expect(skInt(1), "PEXPIREAT", "k", "9223372036854775807")
	h.expect(skInt(1), "EXPIREAT", "k", "9223372036854775")
	h.expect(skInt(9223372036854775000), "PEXPIRETIME", "k")
	h.expect(skErr("ERR wrong number of arguments for 'expire' command"), "EXPIRE", "k")
}

func TestKeysExpireConditions(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "k", "v")
	h.aof()
	// No TTL: NX sets, XX and GT refuse (no TTL counts as infinite), LT sets.
	h.expect(skInt(0), "EXPIRE", "k", "100", "XX")
	h.expect(skInt(0), "EXPIRE", "k", "100", "GT")
	skAOF(t, h)
	h.expect(skInt(1), "EXPIRE", "k", "100", "NX")
	h.expect(skInt(0), "EXPIRE", "k", "50", "NX")
	h.expect(skInt(1), "EXPIRE", "k", "200", "XX")
	h.expect(skInt(0), "EXPIRE", "k", "200", "GT")
	h.expect(skInt(1), "EXPIRE", "k", "300", "gt")
	h.expect(skInt(0), "EXPIRE", "k", "300", "LT")
	h.expect(skInt(1), "EXPIRE", "k", "250", "LT", "XX")
	h.expect(skInt(0), "EXPIRE", "k", "400", "XX", "LT")
	h.expect(skInt(250), "TTL", "k")
	h.do("PERSIST", "k")
	h.expect(skInt(1), "EXPIRE", "k", "100", "LT")
	h.expect(skInt(100), "TTL", "k")
}

func TestKeysExpiryBoundary(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "k", "v")
	h.do("PEXPIRE", "k", "100")
	h.aof()
	h.now += 99
	h.expect(skInt(1), "EXISTS", "k")
	h.expect(skInt(1), "PTTL", "k")
	h.expect(skInt(1), "PERSIST", "k")
	h.now += 1000
	h.expect(skInt(1), "EXISTS", "k")
	h.do("PEXPIRE", "k", "1")
	h.aof()
	h.now++
	// Reads do not see it and change nothing.
	h.expect(skInt(-2), "TTL", "k")
	h.expect(skInt(0), "EXISTS", "k")
	h.expect(skArr(), "KEYS", "*")
	h.expect(skNull, "RANDOMKEY")
	h.expect(skArr(skBulk("0"), skArr()), "SCAN", "0")
	h.expect(skNull, "OBJECT", "ENCODING", "k")
	h.expect(skInt(1), "DBSIZE")
	skAOF(t, h)
	// A write deletes it (and propagates that) before acting.
	h.expect(skInt(0), "PERSIST", "k")
	skAOF(t, h, skCmd("DEL", "k"))
	h.expect(skInt(0), "DBSIZE")
}

func TestKeysKeys(t *testing.T) {
	h := newSKHarness(t)
	h.do("MSET", "foo", "1", "foobar", "2", "bar", "3", "", "empty", "f[o]o", "4")
	skList(h, "fool", "x")
	h.do("SET", "gone", "v", "PX", "5")
	h.now += 5
	keys := func(pattern string) string {
		reply := h.do("KEYS", pattern)
		// Reorder the bulk strings, Go maps having no order.
		var items []string
		rest := reply[strings.Index(reply, "\r\n")+2:]
		for rest != "" {
			i := strings.Index(rest, "\r\n")
			n, _ := strconv.Atoi(rest[1:i])
			items = append(items, rest[i+2:i+2+n])
			rest = rest[i+2+n+2:]
		}
		sort.Strings(items)
		return strings.Join(items, ",")
	}
	for _, tc := range []struct{ pattern, want string }{
		{"*", ",bar,f[o]o,foo,foobar,fool"},
		{"foo*", "foo,foobar,fool"},
		{"f?o", "foo"},
		{"f[o]o", "foo"},
		{"f\\[o\\]o", "f[o]o"},
		{"*bar", "bar,foobar"},
		{"nothing", ""},
		{"g*", ""}, // expired keys are skipped
	} {
		if got := keys(tc.pattern); got != tc.want {
			t.Errorf("KEYS %s = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	h.expect(skInt(7), "DBSIZE") // KEYS deleted nothing
}

func TestKeysScanWalk(t *testing.T) {
	h := newSKHarness(t)
	const n = 3000
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key:%d", i)
		h.do("SET", k, "v")
		want[k] = true
	}
	for name, sessions := range map[string][]Session{
		"nocache":   {nil},
		"cache":     {&skSession{}},
		"pooled":    {&skSession{}, &skSession{}, &skSession{}},
		"mixed":     {&skSession{}, nil},
		"nilcache2": {nil, nil},
	} {
		for _, count := range []int{1, 7, 100, 5000} {
			if count == 1 && name != "cache" {
				continue
			}
			seen := skWalk(t, h, sessions, count, nil, nil)
			if len(seen) != n {
				t.Fatalf("%s COUNT %d: %d keys, want %d", name, count, len(seen), n)
			}
			for k, times := range seen {
				if !want[k] || times != 1 {
					t.Fatalf("%s COUNT %d: key %q returned %d times", name, count, k, times)
				}
			}
		}
	}
	// COUNT is honoured approximately: a first batch of 10 by default.
	reply, _ := skRun(h, &skSession{}, "SCAN", "0")
	cursor, keys := skParseScan(t, reply)
	if cursor == 0 || len(keys) != 10 {
		t.Fatalf("SCAN 0: cursor %d, %d keys", cursor, len(keys))
	}
}

func TestKeysScanGuarantee(t *testing.T) {
	// Keys present for the whole walk are returned (exactly once), however
	// much the keyspace changes between calls.
	for _, sessions := range [][]Session{{nil}, {&skSession{}}, {&skSession{}, &skSession{}}} {
		h := newSKHarness(t)
		rng := rand.New(rand.NewPCG(1, 2))
		stable := map[string]bool{}
		for i := 0; i < 2000; i++ {
			k := fmt.Sprintf("stable:%d", i)
			h.do("SET", k, "v")
			stable[k] = true
		}
		for i := 0; i < 1000; i++ {
			h.do("SET", fmt.Sprintf("churn:%d", i), "v")
		}
		next := 1000
		seen := skWalk(t, h, sessions, 13, nil, func(int) {
			for j := 0; j < 30; j++ { // grow the map a lot, and delete some churn
				h.do("SET", fmt.Sprintf("churn:%d", next), "v")
				next++
			}
			h.do("DEL", fmt.Sprintf("churn:%d", rng.IntN(next)))
			if rng.IntN(50) == 0 {
				h.do("FLUSHDB") // emptied and refilled: nothing stays for the whole walk
				for k := range stable {
					h.do("SET", k, "v")
				}
			}
		})
		for k := range stable {
			if seen[k] == 0 {
				// A FLUSHDB above re-adds every stable key at once, so each is
				// still there when the walk reaches its position.
				t.Fatalf("stable key %q never returned", k)
			}
		}
		for k, times := range seen {
			if times != 1 {
				t.Fatalf("%q returned %d times", k, times)
			}
		}
	}
}

func TestKeysScanFilters(t *testing.T) {
	h := newSKHarness(t)
	for i := 0; i < 50; i++ {
		h.do("SET", fmt.Sprintf("s:%d", i), "v")
		skList(h, fmt.Sprintf("l:%d", i), "v")
	}
	h.do("SET", "s:gone", "v", "PX", "1")
	h.now++
	for _, tc := range []struct {
		extra []string
		want  int
	}{
		{nil, 100},
		{[]string{"MATCH", "s:*"}, 50},
		{[]string{"MATCH", "*"}, 100},
		{[]string{"MATCH", "s:1?"}, 10},
		{[]string{"TYPE", "list"}, 50},
		{[]string{"TYPE", "STRING", "MATCH", "*:4*"}, 11},
		{[]string{"type", "hash"}, 0},
		{[]string{"TYPE", "nosuchtype"}, 0},
	} {
		seen := skWalk(t, h, []Session{&skSession{}}, 7, tc.extra, nil)
		if len(seen) != tc.want {
			t.Errorf("SCAN %v: %d keys (%v), want %d", tc.extra, len(seen), skSorted(seen), tc.want)
		}
	}
	h.expect(skInt(101), "DBSIZE")

	h.expect(skErr(ErrInvalidCursor), "SCAN", "abc")
	h.expect(skErr(ErrInvalidCursor), "SCAN", " 1")
	h.expect(skArr(skBulk("0"), skArr()), "SCAN", "-1")
	h.expect(skErr(ErrInvalidCursor), "SCAN", "18446744073709551616")
	h.expect(skErr(ErrSyntax), "SCAN", "0", "COUNT", "0")
	h.expect(skErr(ErrNotInt), "SCAN", "0", "COUNT", "ten")
	h.expect(skErr(ErrSyntax), "SCAN", "0", "COUNT")
	h.expect(skErr(ErrSyntax), "SCAN", "0", "FOO", "bar")
	h.expect(skErr(ErrSyntax), "SCAN", "0", "MATCH")
	// A cursor past the end of the position space ends the walk.
	h.expect(skArr(skBulk("0"), skArr()), "SCAN", "18446744073709551615")
	h.db = 3
	h.expect(skArr(skBulk("0"), skArr()), "SCAN", "0")
}

func TestKeysScanCursorShape(t *testing.T) {
	h := newSKHarness(t)
	for i := 0; i < 100; i++ {
		h.do("SET", strconv.Itoa(i), "v")
	}
	// The same Now gives the same walk on every node, with or without cache.
	r1, _ := skRun(h, nil, "SCAN", "0", "COUNT", "5")
	r2, _ := skRun(h, nil, "SCAN", "0", "COUNT", "5")
	if r1 != r2 {
		t.Fatalf("non-deterministic SCAN: %q vs %q", r1, r2)
	}
	c1, k1 := skParseScan(t, r1)
	r3, _ := skRun(h, &skSession{}, "SCAN", "0", "COUNT", "5")
	c3, k3 := skParseScan(t, r3)
	// Only the tag (low 16 bits) may differ: it is drawn per connection.
	if c1>>scanTagBits != c3>>scanTagBits || strings.Join(k1, ",") != strings.Join(k3, ",") {
		t.Fatalf("cache changes the walk: %q vs %q", r1, r3)
	}
	if c1&scanTagMask == 0 || c1>>63 != 0 {
		t.Fatalf("cursor %x", c1)
	}
	// A cursor continued on a connection holding an older walk's window.
	sess := &skSession{}
	skRun(h, sess, "SCAN", "0", "COUNT", "5")
	h.do("SET", "late", "v")
	h.now++
	seen := map[string]bool{}
	cursor := uint64(0)
	for first := true; first || cursor != 0; first = false {
		s := Session(sess)
		if first {
			s = &skSession{} // start elsewhere, after "late" was added
		}
		reply, _ := skRun(h, s, "SCAN", strconv.FormatUint(cursor, 10), "COUNT", "5")
		var keys []string
		cursor, keys = skParseScan(t, reply)
		for _, k := range keys {
			seen[k] = true
		}
	}
	if !seen["late"] || len(seen) != 101 {
		t.Fatalf("walk over a stale window: %d keys, late=%v", len(seen), seen["late"])
	}
}

func TestKeysRandomKey(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skNull, "RANDOMKEY")
	h.do("MSET", "a", "1", "b", "2", "c", "3")
	got := map[string]bool{}
	for i := 0; i < 200; i++ {
		r := h.do("RANDOMKEY")
		if r != skBulk("a") && r != skBulk("b") && r != skBulk("c") {
			t.Fatalf("RANDOMKEY = %q", r)
		}
		got[r] = true
	}
	if len(got) < 2 {
		t.Errorf("RANDOMKEY always returns %v", got)
	}
	h.do("PEXPIRE", "a", "1")
	h.do("PEXPIRE", "b", "1")
	h.now++
	for i := 0; i < 50; i++ {
		h.expect(skBulk("c"), "RANDOMKEY")
	}
	h.do("PEXPIRE", "c", "1")
	h.now++
	h.expect(skNull, "RANDOMKEY")
	h.expect(skInt(3), "DBSIZE")
}

func TestKeysRename(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skErr(ErrNoSuchKey), "RENAME", "nope", "x")
	h.expect(skErr(ErrNoSuchKey), "RENAMENX", "nope", "x")
	h.expect(skErr(ErrNoSuchKey), "RENAME", "nope", "nope")
	h.do("SET", "a", "1")
	h.aof()
	h.expect(skOK, "RENAME", "a", "a")
	h.expect(skInt(0), "RENAMENX", "a", "a")
	skAOF(t, h)
	h.do("PEXPIRE", "a", "5000")
	h.aof()
	h.expect(skOK, "RENAME", "a", "b")
	skAOF(t, h, skCmd("RENAME", "a", "b"))
	h.expect(skInt(0), "EXISTS", "a")
	h.expect(skBulk("1"), "GET", "b")
	h.expect(skInt(5000), "PTTL", "b") // the TTL moves along

	h.do("SET", "c", "2", "EX", "100")
	h.expect(skOK, "RENAME", "c", "b")
	h.expect(skInt(100), "TTL", "b")
	h.do("SET", "d", "3")
	h.expect(skOK, "RENAME", "d", "b")
	h.expect(skInt(-1), "TTL", "b") // the destination's TTL goes
	h.expect(skBulk("3"), "GET", "b")

	h.do("SET", "e", "4")
	h.aof()
	h.expect(skInt(0), "RENAMENX", "e", "b")
	skAOF(t, h)
	h.expect(skInt(1), "RENAMENX", "e", "f")
	skAOF(t, h, skCmd("RENAMENX", "e", "f"))

	// Renaming a list onto a key wakes clients blocked on it.
	skList(h, "l", "x")
	_, c := skRun(h, nil, "RENAME", "l", "queue")
	if r := c.TakeReady(); len(r) != 1 || r[0] != (ReadyKey{DB: 0, Key: "queue"}) {
		t.Fatalf("signalled %v", r)
	}
	skListIs(t, h, "queue", "x")
}

func TestKeysCopyMove(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "s", "v", "EX", "100")
	skList(h, "l", "a", "b")
	h.aof()
	h.expect(skErr(ErrSameObject), "COPY", "s", "s")
	h.expect(skInt(0), "COPY", "nope", "x")
	h.expect(skInt(1), "COPY", "s", "s2")
	skAOF(t, h, skCmd("COPY", "s", "s2"))
	h.expect(skInt(100), "TTL", "s2")
	h.expect(skInt(0), "COPY", "s", "s2")
	h.do("SET", "s", "w")
	h.expect(skInt(1), "COPY", "s", "s2", "REPLACE")
	h.expect(skBulk("w"), "GET", "s2")
	h.expect(skInt(-1), "TTL", "s2")

	// A copied list is independent of its source.
	h.expect(skInt(1), "COPY", "l", "l2")
	v, _, _ := h.store.DBs[0].Peek("l2")
	v.(*List).PushBack("c")
	skListIs(t, h, "l", "a", "b")
	skListIs(t, h, "l2", "a", "b", "c")

	// COPY ... DB n.
	h.aof()
	_, c := skRun(h, nil, "COPY", "l", "l", "DB", "2")
	if r := c.TakeReady(); len(r) != 1 || r[0] != (ReadyKey{DB: 2, Key: "l"}) {
		t.Fatalf("signalled %v", r)
	}
	skAOF(t, h, skCmd("COPY", "l", "l", "DB", "2"))
	h.expect(skErr(ErrSameObject), "COPY", "l", "l", "DB", "0")
	h.expect(skErr(ErrDBIndex), "COPY", "l", "x", "DB", "16")
	h.expect(skErr(ErrDBIndex), "COPY", "l", "x", "DB", "-1")
	h.expect(skErr(ErrNotInt), "COPY", "l", "x", "DB", "two")
	h.expect(skErr("ERR value is out of range, value must between -2147483648 and 2147483647"), "COPY", "l", "x", "DB", "4294967296")
	h.expect(skErr(ErrSyntax), "COPY", "l", "x", "DB")
	h.expect(skErr(ErrSyntax), "COPY", "l", "x", "FOO")
	h.expect(skInt(0), "COPY", "l", "l", "db", "2")
	h.expect(skInt(1), "COPY", "s", "l", "replace", "DB", "2")

	// MOVE.
	h.aof()
	h.expect(skErr(ErrSameObject), "MOVE", "s", "0")
	h.expect(skErr(ErrDBIndex), "MOVE", "s", "16")
	h.expect(skErr(ErrNotInt), "MOVE", "s", "x")
	h.expect(skInt(0), "MOVE", "nope", "1")
	skAOF(t, h)
	h.do("PEXPIRE", "s", "777")
	h.aof()
	h.expect(skInt(1), "MOVE", "s", "1")
	skAOF(t, h, skCmd("MOVE", "s", "1"))
	h.expect(skInt(0), "EXISTS", "s")
	h.do("SET", "s", "again")
	h.expect(skInt(0), "MOVE", "s", "1") // already there
	h.db = 1
	h.expect(skBulk("w"), "GET", "s")
	h.expect(skInt(777), "PTTL", "s")
	h.db = 2
	h.expect(skBulk("w"), "GET", "l")
	h.expect(skInt(1), "DBSIZE")
}

func TestKeysObject(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "int", "12345")
	h.do("SET", "small", "0")
	h.do("SET", "neg", "-5")
	h.do("SET", "big", "9223372036854775808")
	h.do("SET", "emb", strings.Repeat("x", 44))
	h.do("SET", "raw", strings.Repeat("x", 45))
	skList(h, "l", "a", "b")
	skList(h, "ql", strings.Repeat("x", 5000), strings.Repeat("y", 5000))
	for key, enc := range map[string]string{
		"int": "int", "small": "int", "neg": "int", "big": "embstr", "emb": "embstr", "raw": "raw",
		"l": "quicklist", "ql": "quicklist", // Redis 7.0: every list
	} {
		h.expect(skBulk(enc), "OBJECT", "ENCODING", key)
	}
	h.expect(skNull, "OBJECT", "ENCODING", "missing")
	h.expect(skInt(2147483647), "OBJECT", "REFCOUNT", "small")
	h.expect(skInt(1), "OBJECT", "REFCOUNT", "int")
	h.expect(skInt(1), "OBJECT", "refcount", "l")
	h.expect(skInt(0), "OBJECT", "IDLETIME", "raw")
	h.expect(skNull, "OBJECT", "IDLETIME", "missing")
	h.expect(skErr(errNoLFU), "OBJECT", "FREQ", "raw")
	h.expect(skNull, "OBJECT", "FREQ", "missing")
	help := h.do("OBJECT", "HELP")
	if !strings.HasPrefix(help, "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n") ||
		!strings.HasSuffix(help, "+HELP\r\n+    Prints this help.\r\n") {
		t.Fatalf("OBJECT HELP = %q", help)
	}
	h.expect(skErr("ERR unknown subcommand 'Nope'. Try OBJECT HELP."), "OBJECT", "Nope", "x")
	h.expect(skErr("ERR wrong number of arguments for 'object|encoding' command"), "OBJECT", "ENCODING")
	h.expect(skErr("ERR wrong number of arguments for 'object|encoding' command"), "OBJECT", "encoding", "a", "b")
	h.expect(skErr("ERR wrong number of arguments for 'object|help' command"), "OBJECT", "HELP", "x")
	h.expect(skErr("ERR wrong number of arguments for 'object' command"), "OBJECT")
}

func TestKeysFlush(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "a", "1")
	h.db = 1
	h.do("SET", "b", "1")
	h.aof()
	h.expect(skOK, "FLUSHDB")
	h.expect(skInt(0), "DBSIZE")
	h.db = 0
	h.expect(skInt(1), "DBSIZE")
	h.expect(skOK, "FLUSHDB", "ASYNC") // propagated even when nothing changes
	h.expect(skOK, "FLUSHDB", "sync")
	skAOF(t, h, skCmd("FLUSHDB"), skCmd("SELECT", "0"), skCmd("FLUSHDB", "ASYNC"), skCmd("FLUSHDB", "sync"))
	h.expect(skErr(ErrSyntax), "FLUSHDB", "NOW")
	h.expect(skErr(ErrSyntax), "FLUSHALL", "ASYNC", "SYNC")
	skAOF(t, h)
	h.do("SET", "a", "1")
	h.db = 5
	h.do("SET", "b", "1")
	h.aof()
	h.expect(skOK, "FLUSHALL")
	skAOF(t, h, skCmd("FLUSHALL"))
	h.expect(skInt(0), "DBSIZE")
	h.db = 0
	h.expect(skInt(0), "DBSIZE")
}

func TestKeysCommandTable(t *testing.T) {
	for _, tc := range []struct {
		name              string
		arity             int
		flags             Flags
		first, last, step int
	}{
		{"del", -2, Write, 1, -1, 1},
		{"unlink", -2, Write | Fast, 1, -1, 1},
		{"exists", -2, ReadOnly | Fast, 1, -1, 1},
		{"touch", -2, ReadOnly | Fast, 1, -1, 1},
		{"type", 2, ReadOnly | Fast, 1, 1, 1},
		{"expire", -3, Write | Fast, 1, 1, 1},
		{"pexpire", -3, Write | Fast, 1, 1, 1},
		{"expireat", -3, Write | Fast, 1, 1, 1},
		{"pexpireat", -3, Write | Fast, 1, 1, 1},
		{"ttl", 2, ReadOnly | Fast, 1, 1, 1},
		{"pttl", 2, ReadOnly | Fast, 1, 1, 1},
		{"expiretime", 2, ReadOnly | Fast, 1, 1, 1},
		{"pexpiretime", 2, ReadOnly | Fast, 1, 1, 1},
		{"persist", 2, Write | Fast, 1, 1, 1},
		{"keys", 2, ReadOnly, 0, 0, 0},
		{"scan", -2, ReadOnly, 0, 0, 0},
		{"randomkey", 1, ReadOnly, 0, 0, 0},
		{"rename", 3, Write, 1, 2, 1},
		{"renamenx", 3, Write | Fast, 1, 2, 1},
		{"copy", -3, Write | DenyOOM, 1, 2, 1},
		{"move", 3, Write | Fast, 1, 1, 1},
		{"object", -2, ReadOnly, 0, 0, 0},
		{"dbsize", 1, ReadOnly | Fast, 0, 0, 0},
		{"flushdb", -1, Write, 0, 0, 0},
		{"flushall", -1, Write, 0, 0, 0},
	} {
		c := Lookup([]byte(tc.name))
		if c == nil {
			t.Errorf("%s: not registered", tc.name)
			continue
		}
		if c.Arity != tc.arity || c.Flags != tc.flags || c.FirstKey != tc.first || c.LastKey != tc.last || c.Step != tc.step {
			t.Errorf("%s: arity %d flags %v keys %d,%d,%d", tc.name, c.Arity, c.Flags.Names(), c.FirstKey, c.LastKey, c.Step)
		}
		if c.Summary == "" || c.Since == "" || c.Handler == nil {
			t.Errorf("%s: incomplete declaration", tc.name)
		}
	}
}

// skRedis is a connection to a real redis-server.
type skRedis struct {
	c net.Conn
	r *bufio.Reader
}

func (rc *skRedis) do(t *testing.T, args ...string) string {
	rc.c.Write(resp.AppendCommand(nil, args...))
	var sb strings.Builder
	rc.read(t, &sb)
	return sb.String()
}

func (rc *skRedis) read(t *testing.T, sb *strings.Builder) {
	b, err := resp.ReadReply(rc.r, nil)
	if err != nil {
		t.Fatal(err)
	}
	sb.Write(b)
}

// TestKeysAgainstRedis runs the same commands against the handlers and a
// stock redis-server and compares the raw replies: error texts, option
// parsing, INCRBYFLOAT's long double results and glob matching, in RESP2 and
// RESP3.
func TestKeysAgainstRedis(t *testing.T) {
	addr := testutil.StartRedis(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc := &skRedis{c, bufio.NewReader(c)}
	h := newHarness(t)
	both := func(args ...string) {
		t.Helper()
		want := rc.do(t, args...)
		got := h.do(args...)
		if args[0] == "SCAN" && got[0] == '*' && want[0] == '*' {
			return
		}
		if got != want {
			t.Errorf("%q:\n got  %q\n want %q", args, got, want)
		}
	}
	rc.do(t, "FLUSHALL")
	script := [][]string{
		{"SET", "k", "v"}, {"GET", "k"}, {"SET", "k", "v", "NX", "XX"}, {"SET", "k", "v", "EX"},
		{"SET", "k", "v", "EX", "0"}, {"SET", "k", "v", "EX", "abc"}, {"SET", "k", "v", "EX", "9223372036854776"},
		{"SET", "k", "v", "PX", "9223372036854775807"}, {"SET", "k", "v", "KEEPTTL", "PX", "5"}, {"SET", "k", "v", "PERSIST"},
		{"SET", "k", "w", "GET"}, {"SET", "k", "x", "NX", "GET"}, {"SET", "nk", "x", "XX", "GET"}, {"SET", "nk", "x", "XX"},
		{"SETEX", "k", "0", "v"}, {"PSETEX", "k", "-1", "v"}, {"SETEX", "k", "x", "v"},
		{"RPUSH", "l", "a"}, {"SET", "l", "v", "GET"}, {"GET", "l"}, {"GETSET", "l", "x"}, {"GETDEL", "l"}, {"GETEX", "l"},
		{"GETEX", "k", "NX"}, {"GETEX", "k", "EX", "10", "PERSIST"}, {"GETEX", "k", "EX", "0"}, {"GETEX", "missing", "EX", "0"},
		{"GETEX", "k", "EX", "x"}, {"GETEX", "k", "PERSIST"}, {"GETEX", "k"},
		{"MSET", "a", "1", "b"}, {"MSETNX", "a", "1", "b"}, {"MSET", "a", "1", "b", "2"}, {"MSETNX", "a", "1", "c", "2"},
		{"MSETNX", "c", "1", "d", "2"}, {"MGET", "a", "b", "l", "zz"},
		{"APPEND", "ap", "Hello"}, {"APPEND", "ap", " World"}, {"STRLEN", "ap"}, {"STRLEN", "l"}, {"APPEND", "l", "x"},
		{"SET", "r", "This is a string"},
		{"GETRANGE", "r", "0", "3"}, {"GETRANGE", "r", "-3", "-1"}, {"GETRANGE", "r", "0", "-1"}, {"GETRANGE", "r", "10", "100"},
		{"GETRANGE", "r", "-100", "3"}, {"GETRANGE", "r", "5", "3"}, {"GETRANGE", "r", "-1", "-5"}, {"GETRANGE", "r", "16", "20"},
		{"GETRANGE", "r", "0", "-100"}, {"GETRANGE", "r", "-100", "-100"}, {"GETRANGE", "r", "-1", "-1"}, {"GETRANGE", "zz", "0", "-1"},
		{"GETRANGE", "r", "a", "1"}, {"GETRANGE", "l", "0", "1"}, {"GETRANGE", "r", "3", "2"}, {"GETRANGE", "r", "-17", "0"},
		{"SETRANGE", "r", "6", "Redis"}, {"SETRANGE", "r", "30", "!!"}, {"GET", "r"}, {"SETRANGE", "q", "5", ""}, {"EXISTS", "q"},
		{"SETRANGE", "q", "3", "x"}, {"GET", "q"}, {"SETRANGE", "r", "-1", "x"}, {"SETRANGE", "r", "536870912", "x"},
		{"SETRANGE", "r", "536870911", "x"}, {"SETRANGE", "l", "0", ""}, {"SETRANGE", "zz", "99999999999", ""},
		{"INCR", "n"}, {"INCRBY", "n", "10"}, {"DECRBY", "n", "-9223372036854775808"}, {"INCRBY", "n", "x"},
		{"SET", "n", "9223372036854775807"}, {"INCR", "n"}, {"SET", "n", " 1"}, {"INCR", "n"}, {"SET", "n", "01"}, {"INCR", "n"},
		{"SET", "n", "-0"}, {"INCR", "n"}, {"INCR", "l"},
		{"DEL", "a", "a", "b"}, {"EXISTS", "c", "c", "d", "zz"}, {"TYPE", "l"}, {"TYPE", "c"}, {"TYPE", "zz"},
		{"EXPIRE", "c", "10", "FOO"}, {"EXPIRE", "c", "abc", "bar"}, {"EXPIRE", "c", "abc"}, {"EXPIRE", "c", "10", "NX", "XX"},
		{"EXPIRE", "c", "10", "GT", "LT"}, {"EXPIRE", "c", "9223372036854775807"}, {"EXPIRE", "c", "-9223372036854775808"},
		{"PEXPIRE", "c", "9223372036854775807"}, {"EXPIREAT", "c", "9223372036854776"}, {"PEXPIREAT", "c", "9223372036854775807"},
		{"PEXPIRETIME", "c"}, {"EXPIRETIME", "c"}, {"EXPIREAT", "c", "9223372036854775"}, {"PEXPIRETIME", "c"},
		{"EXPIRE", "c", "100", "GT"}, {"EXPIRE", "c", "100", "LT"}, {"TTL", "c"}, {"PERSIST", "c"}, {"PERSIST", "c"}, {"TTL", "c"},
		{"EXPIRE", "c", "100", "XX"}, {"EXPIRE", "c", "100", "GT"}, {"EXPIRE", "c", "100", "NX"}, {"EXPIRE", "c", "200", "NX"},
		{"EXPIRE", "c", "-1"}, {"EXISTS", "c"}, {"TTL", "zz"}, {"TTL", "d"},
		{"RENAME", "zz", "x"}, {"RENAME", "zz", "zz"}, {"RENAMENX", "d", "d"}, {"RENAME", "d", "d"}, {"RENAME", "d", "e"},
		{"RENAMENX", "e", "k"}, {"RENAMENX", "e", "f"},
		{"COPY", "f", "f"}, {"COPY", "f", "g", "DB", "16"}, {"COPY", "f", "g", "DB", "x"}, {"COPY", "f", "g", "DB", "4294967296"},
		{"COPY", "f", "g", "DB"}, {"COPY", "f", "g", "FOO"}, {"COPY", "f", "f", "DB", "0"}, {"COPY", "f", "g"}, {"COPY", "f", "g"},
		{"COPY", "f", "g", "REPLACE"}, {"COPY", "f", "f", "DB", "3"}, {"COPY", "zz", "g"},
		{"MOVE", "f", "0"}, {"MOVE", "f", "16"}, {"MOVE", "f", "-1"}, {"MOVE", "f", "x"}, {"MOVE", "f", "99999999999"},
		{"MOVE", "f", "3"}, {"MOVE", "g", "3"}, {"MOVE", "zz", "3"},
		{"SET", "i", "12345"}, {"SET", "e", strings.Repeat("x", 44)}, {"SET", "rw", strings.Repeat("x", 45)}, {"SET", "bi", "9223372036854775808"},
		{"SET", "sm", "7"}, {"SET", "neg", "-7"},
		{"OBJECT", "ENCODING", "i"}, {"OBJECT", "ENCODING", "e"}, {"OBJECT", "ENCODING", "rw"}, {"OBJECT", "ENCODING", "bi"},
		{"OBJECT", "ENCODING", "zz"}, {"OBJECT", "REFCOUNT", "sm"}, {"OBJECT", "REFCOUNT", "i"}, {"OBJECT", "REFCOUNT", "neg"},
		{"OBJECT", "FREQ", "i"}, {"OBJECT", "FREQ", "zz"}, {"OBJECT", "HELP"}, {"OBJECT", "Nope", "x"},
		{"OBJECT", "ENCODING"}, {"OBJECT", "HELP", "x"}, {"OBJECT"},
		{"SCAN", "abc"}, {"SCAN", "-1"}, {"SCAN", "18446744073709551616"}, {"SCAN", "0", "COUNT", "0"}, {"SCAN", "0", "COUNT", "x"},
		{"SCAN", "0", "COUNT"}, {"SCAN", "0", "FOO", "bar"}, {"SCAN", "0", "MATCH"}, {"SCAN", " 5", "MATCH", "nothing"},
		{"SCAN", "+5", "MATCH", "nothing"}, {"SCAN", "", "MATCH", "nothing"},
		{"FLUSHDB", "NOW"}, {"FLUSHALL", "ASYNC", "SYNC"}, {"FLUSHDB", "async"}, {"DBSIZE"}, {"RANDOMKEY"},
		{"SET", "x", "v", "EXAT", "1"}, {"GET", "x"}, {"EXISTS", "x"}, {"SET", "k", "v"}, {"GETEX", "k", "PXAT", "1"}, {"EXISTS", "k"},
		{"SET", "k", "v", "EXAT", "1", "GET"}, {"SET", "k", "v"}, {"SET", "k", "w", "PXAT", "1", "GET"}, {"GET", "k"},
		{"SET", "k", "v"}, {"PEXPIREAT", "k", "1", "GT"}, {"PEXPIREAT", "k", "1", "LT"}, {"EXISTS", "k"},
		{"SET", "lst", "v"}, {"DEL", "lst"}, {"RPUSH", "lst", "a"}, {"TYPE", "lst"}, {"SCAN", "0", "TYPE", "list", "COUNT", "1000"},
		{"SCAN", "0", "TYPE", "nosuch", "COUNT", "1000"},
		{"SET", "ee", "1"}, {"SETRANGE", "ee", "2", "2"}, {"INCRBYFLOAT", "ee", "1"}, {"INCRBYFLOAT", "ee", "1"},
	}
	for _, args := range script {
		both(args...)
	}
	rc.do(t, "HELLO", "3")
	h.proto = 3
	rc.do(t, "FLUSHALL")
	h.do("FLUSHALL")
	for _, args := range script {
		both(args...)
	}
	rc.do(t, "HELLO", "2")
	h.proto = 2

	// INCRBYFLOAT: random operands.
	rng := rand.New(rand.NewPCG(7, 7))
	num := func() string {
		switch rng.IntN(8) {
		case 0:
			return strconv.FormatInt(rng.Int64N(1<<40)-(1<<39), 10)
		case 1:
			return fmt.Sprintf("%.*f", rng.IntN(20), (rng.Float64()-0.5)*float64(rng.IntN(1000000)))
		case 2:
			return fmt.Sprintf("%de%d", rng.IntN(1000)-500, rng.IntN(80)-40)
		case 3:
			return fmt.Sprintf("0.%0*d", rng.IntN(25)+1, rng.IntN(1000))
		case 4:
			return fmt.Sprintf("%.17g", rng.NormFloat64()*1e10)
		case 5:
			return []string{"0x1p3", "0x.8", "0X1P-2", "1e", ".", "+.5", "-5.", "1e+3", "inf", "-inf", "nan", "0x", "1.5 ", " 1", "1e4932", "1e-4940", "1e-4960", "1e4933", "0e999999"}[rng.IntN(19)]
		case 6:
			return fmt.Sprintf("%d.%d", rng.IntN(100000), rng.IntN(100000))
		default:
			return fmt.Sprintf("%.3e", (rng.Float64()-0.5)*1e30)
		}
	}
	for i := 0; i < 3000; i++ {
		start, incr := num(), num()
		both("SET", "f", start)
		both("INCRBYFLOAT", "f", incr)
		both("INCRBYFLOAT", "f", num())
	}

	// Glob: random patterns against random keys, through KEYS.
	alpha := []byte("ab*?[]^-\\")
	for i := 0; i < 4000; i++ {
		pat := make([]byte, rng.IntN(8))
		for j := range pat {
			pat[j] = alpha[rng.IntN(len(alpha))]
		}
		key := make([]byte, rng.IntN(6))
		for j := range key {
			key[j] = "ab-]^*"[rng.IntN(6)]
		}
		both("FLUSHDB")
		both("SET", string(key), "v")
		both("KEYS", string(pat))
	}
}

// TestKeysPropagationReplays drives random string and keyspace writes with
// the clock moving, then replays what they propagated into an empty store
// (as an AOF load or a follower would) and expects the very same dataset,
// absolute expiry times included.
func TestKeysPropagationReplays(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		h := newHarness(t)
		rng := rand.New(rand.NewPCG(seed, 99))
		key := func() string { return "k" + strconv.Itoa(rng.IntN(12)) }
		num := func(n int) string { return strconv.Itoa(rng.IntN(n)) }
		for i := 0; i < 3000; i++ {
			h.now += int64(rng.IntN(400))
			if rng.IntN(40) == 0 {
				h.db = rng.IntN(3)
			}
			abs := strconv.FormatInt(h.now+int64(rng.IntN(4000))-1000, 10)
			cmds := [][]string{
				{"SET", key(), "v" + num(100)},
				{"SET", key(), "v", "EX", "1"},
				{"SET", key(), "v", "PX", num(3000)},
				{"SET", key(), "v", "PXAT", abs},
				{"SET", key(), "v", "KEEPTTL", "GET"},
				{"SET", key(), "v", "NX", "PX", "700"},
				{"SET", key(), "v", "XX", "EX", "2", "GET"},
				{"SETEX", key(), "1", "v"},
				{"PSETEX", key(), num(2000), "v"},
				{"SETNX", key(), "v"},
				{"GETSET", key(), "v"},
				{"GETDEL", key()},
				{"GETEX", key(), "PX", num(2000)},
				{"GETEX", key(), "PXAT", abs},
				{"GETEX", key(), "PERSIST"},
				{"MSET", key(), "1", key(), "2"},
				{"MSETNX", key(), "1", key(), "2"},
				{"APPEND", key(), "ab"},
				{"SETRANGE", key(), num(5), "xy"},
				{"INCR", key()},
				{"DECRBY", key(), num(10)},
				{"INCRBYFLOAT", key(), "0." + num(1000)},
				{"DEL", key(), key()},
				{"UNLINK", key()},
				{"EXPIRE", key(), num(3)},
				{"PEXPIRE", key(), num(1500), "GT"},
				{"PEXPIREAT", key(), abs, "LT"},
				{"EXPIREAT", key(), strconv.FormatInt(h.now/1000+int64(rng.IntN(4))-1, 10)},
				{"PERSIST", key()},
				{"RENAME", key(), key()},
				{"RENAMENX", key(), key()},
				{"COPY", key(), key(), "REPLACE"},
				{"COPY", key(), key(), "DB", num(3)},
				{"MOVE", key(), num(3)},
			}
			if rng.IntN(300) == 0 {
				cmds = [][]string{{"FLUSHDB"}}
			}
			h.do(cmds[rng.IntN(len(cmds))]...)
		}
		want := state(h.store)
		if !strings.Contains(want, " @17") {
			t.Fatalf("seed %d: the run left no TTLs to compare:\n%s", seed, want)
		}
		got := state(replay(t, h.prop.Buf).store)
		if got != want {
			t.Fatalf("seed %d: replay differs\nwant:\n%s\n\ngot:\n%s", seed, want, got)
		}
	}
}
