package commands

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// dgCmd is one command in a given db.
type dgCmd struct {
	db   int
	args []string
}

// dgGroup is the commands that build one key; they run in order, but groups
// may run in any order relative to each other, and elements marked shuffle
// may be added in any order.
type dgGroup []dgCmd

// dgDataset returns the groups that build a mixed dataset covering every
// type and encoding. Within a group each element is added by its own command,
// so a shuffled run inserts the elements of sets, hashes and zsets in another
// order too (lists keep their order, it is part of the value).
func dgDataset(rng *rand.Rand) []dgGroup {
	var gs []dgGroup
	perm := func(n int) []int {
		if rng == nil {
			p := make([]int, n)
			for i := range p {
				p[i] = i
			}
			return p
		}
		return rng.Perm(n)
	}
	gs = append(gs,
		dgGroup{{0, []string{"SET", "s1", "hello"}}},
		dgGroup{{0, []string{"SET", "s2", "12345"}}},
		dgGroup{{3, []string{"SET", "s1", "other db"}}},
		dgGroup{{0, []string{"SET", "ttl", "v"}}, {0, []string{"PEXPIREAT", "ttl", "1700000100000"}}},
		dgGroup{{0, []string{"RPUSH", "l", "a", "b", "c", "a"}}},
		dgGroup{{5, []string{"RPUSH", "l", "x"}}, {5, []string{"LPUSH", "l", "w"}}, {5, []string{"RPUSH", "l", "y"}}},
	)
	// A list big enough to be streamed through the hash in pieces.
	var bl []string
	bl = append(bl, "RPUSH", "biglist")
	for i := 0; i < 3000; i++ {
		bl = append(bl, "element-"+strconv.Itoa(i))
	}
	gs = append(gs, dgGroup{{4, bl}})
	// Hashes: small (listpack) and big (hashtable).
	for _, n := range []int{5, 700} {
		key := "h" + strconv.Itoa(n)
		var g dgGroup
		for _, i := range perm(n) {
			g = append(g, dgCmd{0, []string{"HSET", key, "f" + strconv.Itoa(i), "v" + strconv.Itoa(i*7)}})
		}
		gs = append(gs, g)
	}
	// Sets: intset, listpack, hashtable.
	setMembers := map[string][]string{"si": nil, "sl": nil, "sh": nil}
	for i := 0; i < 10; i++ {
		setMembers["si"] = append(setMembers["si"], strconv.Itoa(i*3-5))
		setMembers["sl"] = append(setMembers["sl"], "m"+strconv.Itoa(i))
	}
	for i := 0; i < 1000; i++ {
		setMembers["sh"] = append(setMembers["sh"], "member-"+strconv.Itoa(i))
	}
	for _, key := range []string{"si", "sl", "sh"} {
		ms := setMembers[key]
		var g dgGroup
		for _, i := range perm(len(ms)) {
			g = append(g, dgCmd{1, []string{"SADD", key, ms[i]}})
		}
		gs = append(gs, g)
	}
	// Sorted sets: listpack and skiplist, with tied scores.
	for _, n := range []int{6, 300} {
		key := "z" + strconv.Itoa(n)
		var g dgGroup
		for _, i := range perm(n) {
			g = append(g, dgCmd{2, []string{"ZADD", key, strconv.Itoa(i % 4), "m" + strconv.Itoa(i)}})
		}
		gs = append(gs, g)
	}
	gs = append(gs, dgGroup{{2, []string{"ZADD", "zf", "1.5", "a", "-inf", "b", "0.1", "c"}}})
	return gs
}

// dgBuild runs groups (in the given group order) against a fresh harness.
func dgBuild(t *testing.T, gs []dgGroup, order []int) *harness {
	t.Helper()
	h := newHarness(t)
	for _, gi := range order {
		for _, c := range gs[gi] {
			h.db = c.db
			h.do(c.args...)
		}
	}
	h.db = 0
	return h
}

func dgIdentity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

func dgDigest(h *harness) [20]byte { return h.store.Digest(h.now) }

func dgHex(d [20]byte) string { return hex.EncodeToString(d[:]) }

// dgBase builds the dataset in a fixed order.
func dgBase(t *testing.T) *harness {
	t.Helper()
	gs := dgDataset(nil)
	return dgBuild(t, gs, dgIdentity(len(gs)))
}

func TestDigestEmpty(t *testing.T) {
	h := newHarness(t)
	if d := dgDigest(h); d != ([20]byte{}) {
		t.Fatalf("empty store digest = %s, want zeros", dgHex(d))
	}
	h.do("SET", "k", "v")
	if d := dgDigest(h); d == ([20]byte{}) {
		t.Fatal("non-empty store digests to zeros")
	}
	h.do("FLUSHALL")
	if d := dgDigest(h); d != ([20]byte{}) {
		t.Fatalf("flushed store digest = %s, want zeros", dgHex(d))
	}
}

func TestDigestOrderIndependent(t *testing.T) {
	want := dgDigest(dgBase(t))
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		gs := dgDataset(rng)
		order := rng.Perm(len(gs))
		h := dgBuild(t, gs, order)
		if got := dgDigest(h); got != want {
			t.Fatalf("seed %d: digest %s, want %s", seed, dgHex(got), dgHex(want))
		}
		// Deterministic across calls (map iteration order differs each time).
		if again := dgDigest(h); again != want {
			t.Fatalf("seed %d: second digest %s, want %s", seed, dgHex(again), dgHex(want))
		}
	}
	// A clone made through a snapshot-style copy of every value digests the same.
	h := dgBase(t)
	c := NewStore()
	for i, db := range h.store.DBs {
		db.Range(func(k string, v any, at int64) bool {
			c.DBs[i].keys[k] = cloneValue(v)
			if at != 0 {
				c.DBs[i].expires[k] = at
			}
			return true
		})
	}
	if got := c.Digest(h.now); got != want {
		t.Fatalf("cloned store digest %s, want %s", dgHex(got), dgHex(want))
	}
}

func TestDigestDetectsChanges(t *testing.T) {
	base := dgDigest(dgBase(t))
	cases := []struct {
		name string
		db   int
		cmds [][]string
	}{
		{"string value", 0, [][]string{{"SET", "s1", "hellp"}}},
		{"string value to same bytes other key", 0, [][]string{{"RENAME", "s1", "s1x"}}},
		{"string type change", 0, [][]string{{"DEL", "s2"}, {"RPUSH", "s2", "12345"}}},
		{"extra key", 0, [][]string{{"SET", "new", ""}}},
		{"deleted key", 0, [][]string{{"DEL", "l"}}},
		{"list order swap", 0, [][]string{{"LSET", "l", "0", "b"}, {"LSET", "l", "1", "a"}}},
		{"big list order swap", 4, [][]string{{"LSET", "biglist", "2500", "element-2501"}, {"LSET", "biglist", "2501", "element-2500"}}},
		{"list element", 5, [][]string{{"RPUSH", "l", "z"}}},
		{"small hash value", 0, [][]string{{"HSET", "h5", "f1", "changed"}}},
		{"small hash field", 0, [][]string{{"HDEL", "h5", "f1"}, {"HSET", "h5", "g1", "v7"}}},
		{"big hash value", 0, [][]string{{"HSET", "h700", "f699", "changed"}}},
		{"big hash extra field", 0, [][]string{{"HSET", "h700", "extra", "x"}}},
		{"intset member", 1, [][]string{{"SREM", "si", "-5"}, {"SADD", "si", "-6"}}},
		{"listpack set member", 1, [][]string{{"SREM", "sl", "m3"}, {"SADD", "sl", "m3x"}}},
		{"hashtable set member", 1, [][]string{{"SADD", "sh", "member-1000"}}},
		{"small zset score", 2, [][]string{{"ZADD", "z6", "2", "m0"}}},
		{"big zset score", 2, [][]string{{"ZADD", "z300", "1", "m0"}}},
		{"zset score fraction", 2, [][]string{{"ZADD", "zf", "1.5000000000000002", "a"}}},
		{"zset member", 2, [][]string{{"ZREM", "zf", "c"}, {"ZADD", "zf", "0.1", "d"}}},
		{"add TTL", 0, [][]string{{"PEXPIREAT", "s1", "1700000100000"}}},
		{"change TTL", 0, [][]string{{"PEXPIREAT", "ttl", "1700000100001"}}},
		{"remove TTL", 0, [][]string{{"PERSIST", "ttl"}}},
		{"move key to other db", 0, [][]string{{"MOVE", "s2", "7"}}},
		{"move key with TTL", 0, [][]string{{"MOVE", "ttl", "7"}}},
	}
	seen := map[[20]byte]string{base: "base"}
	for _, tc := range cases {
		h := dgBase(t)
		h.db = tc.db
		for _, c := range tc.cmds {
			if r := h.do(c...); len(r) > 0 && r[0] == '-' {
				t.Fatalf("%s: %q: %s", tc.name, c, r)
			}
		}
		got := dgDigest(h)
		if prev, dup := seen[got]; dup {
			t.Errorf("%s: digest %s equals that of %s", tc.name, dgHex(got), prev)
		}
		seen[got] = tc.name
	}
}

func TestDigestEncodingIndependent(t *testing.T) {
	// Hash: grow past the listpack limit, shrink back to the same fields.
	big, fresh := newHarness(t), newHarness(t)
	for i := 0; i < hashMaxListpackEntries()+10; i++ {
		big.do("HSET", "h", "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	for i := hashMaxListpackEntries() + 9; i >= 3; i-- {
		big.do("HDEL", "h", "f"+strconv.Itoa(i))
	}
	// And a long value that forces hashtable, then is overwritten short.
	big.do("HSET", "h2", "a", string(make([]byte, 100)))
	big.do("HSET", "h2", "a", "short")
	for _, i := range []int{2, 0, 1} {
		fresh.do("HSET", "h", "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	fresh.do("HSET", "h2", "a", "short")

	// Set: intset members stored in a listpack / hashtable set.
	big.do("SADD", "si", "1", "2", "3", "x")
	big.do("SREM", "si", "x")
	fresh.do("SADD", "si", "3", "1", "2")
	for i := 0; i < 200; i++ {
		big.do("SADD", "sh", "m"+strconv.Itoa(i))
	}
	for i := 199; i >= 2; i-- {
		big.do("SREM", "sh", "m"+strconv.Itoa(i))
	}
	fresh.do("SADD", "sh", "m1", "m0")

	// Sorted set: skiplist shrunk back to a few members.
	for i := 0; i < zsetMaxListpackEntries()+5; i++ {
		big.do("ZADD", "z", strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	big.do("ZREMRANGEBYRANK", "z", "3", "-1")
	fresh.do("ZADD", "z", "2", "m2", "0", "m0", "1", "m1")

	for _, tc := range []struct{ key, big, fresh string }{
		{"h", "hashtable", "listpack"},
		{"h2", "hashtable", "listpack"},
		{"si", "hashtable", "intset"},
		{"sh", "hashtable", "hashtable"}, // a hashSet and a small one
		{"z", "skiplist", "listpack"},
	} {
		if got := big.do("OBJECT", "ENCODING", tc.key); got != "$"+strconv.Itoa(len(tc.big))+"\r\n"+tc.big+"\r\n" {
			t.Fatalf("big %s encoding %q, want %s", tc.key, got, tc.big)
		}
		if got := fresh.do("OBJECT", "ENCODING", tc.key); got != "$"+strconv.Itoa(len(tc.fresh))+"\r\n"+tc.fresh+"\r\n" {
			t.Fatalf("fresh %s encoding %q, want %s", tc.key, got, tc.fresh)
		}
	}
	if b, f := dgDigest(big), dgDigest(fresh); b != f {
		t.Fatalf("digest after encoding changes %s, freshly built %s", dgHex(b), dgHex(f))
	}
}

func TestDigestExpiredKeyIgnored(t *testing.T) {
	h := newHarness(t)
	h.do("SET", "live", "v")
	want := dgDigest(h)

	h.do("SET", "dying", "v")
	h.do("PEXPIREAT", "dying", strconv.FormatInt(h.now+1000, 10))
	h.do("HSET", "dyinghash", "f", "v")
	h.do("PEXPIREAT", "dyinghash", strconv.FormatInt(h.now+500, 10))
	if dgDigest(h) == want {
		t.Fatal("keys with a future TTL not digested")
	}
	before := h.store.DBs[0].Len()
	// At the expiry instant a key counts as gone, as in lookups.
	if got := h.store.Digest(h.now + 1000); got != want {
		t.Fatalf("digest at expiry %s, want %s", dgHex(got), dgHex(want))
	}
	if got := h.store.Digest(h.now + 999); got == want {
		t.Fatal("key still live one ms before expiry was ignored")
	}
	if after := h.store.DBs[0].Len(); after != before {
		t.Fatalf("Digest changed the store: %d keys, then %d", before, after)
	}
	if _, _, ok := h.store.DBs[0].Peek("dying"); !ok {
		t.Fatal("Digest deleted an expired key")
	}
}

// TestDigestStreamed checks a value too big to buffer, which goes through the
// hash in pieces, digests the same as its canonical bytes hashed at once.
func TestDigestStreamed(t *testing.T) {
	h := newHarness(t)
	h.db = 9
	args := []string{"RPUSH", "l"}
	for i := 0; i < 5000; i++ {
		args = append(args, strings.Repeat("x", i%50))
	}
	h.do(args...)
	h.do("PEXPIREAT", "l", "1800000000000")
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 9)
	b = appendDigestString(b, "list")
	b = appendDigestString(b, "l")
	b = binary.BigEndian.AppendUint64(b, 1800000000000)
	b = binary.BigEndian.AppendUint64(b, 5000)
	for _, e := range args[2:] {
		b = appendDigestString(b, e)
	}
	if len(b) < 2*digestFlush {
		t.Fatalf("value of %d bytes too small to be streamed", len(b))
	}
	if got, want := dgDigest(h), sha1.Sum(b); got != want {
		t.Fatalf("streamed digest %s, want %s", dgHex(got), dgHex(want))
	}
}

func TestDigestAllocs(t *testing.T) {
	h := dgBase(t)
	allocs := testing.AllocsPerRun(5, func() { dgDigest(h) })
	if allocs > 10 {
		t.Fatalf("Digest allocates %.0f times, want a constant few", allocs)
	}
}

func BenchmarkDigest1M(b *testing.B) {
	s := NewStore()
	db := s.DBs[0]
	for i := 0; i < 1_000_000; i++ {
		k := "key:" + strconv.Itoa(i)
		db.keys[k] = "value:" + strconv.Itoa(i)
		if i%10 == 0 {
			db.expires[k] = 1_800_000_000_000
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Digest(1_700_000_000_000)
	}
}

// A big string is digested a piece at a time: the digest is that of its
// canonical bytes, and no copy of the value is made (RAFT.DIGEST of a
// 100 MB value held a second 100 MB).
func TestDigestBigString(t *testing.T) {
	h := newHarness(t)
	value := strings.Repeat("0123456789abcdef", 4<<20/16)
	h.do("SET", "s", value)
	var b []byte
	b = binary.BigEndian.AppendUint32(b, 0)
	b = appendDigestString(b, "string")
	b = appendDigestString(b, "s")
	b = binary.BigEndian.AppendUint64(b, 0)
	b = appendDigestString(b, value)
	want := sha1.Sum(b)
	b = nil
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := dgDigest(h)
	runtime.ReadMemStats(&after)
	if got != want {
		t.Fatalf("digest %s, want %s", dgHex(got), dgHex(want))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("digesting a %d MB string allocated %d KB; want it streamed", len(value)>>20, n>>10)
	}
}
