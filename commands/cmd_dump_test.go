package commands

import (
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/rdb"
	"github.com/geomys/geomys/resp"
)

func TestRestorePropagatesAbsoluteTTL(t *testing.T) {
	h := newHarness(t)
	p := string(rdb.DumpString("v"))
	h.expect("+OK\r\n", "RESTORE", "k", "5000", p)
	want := string(resp.AppendCommand(nil, "RESTORE", "k", strconv.FormatInt(h.now+5000, 10), p, "ABSTTL"))
	if got := h.aof(); !strings.HasSuffix(got, want) {
		t.Fatalf("propagated %q, want %q", got, want)
	}
	h.expect(":5\r\n", "TTL", "k")

	// Already absolute, or no TTL: propagated as received.
	h.expect("+OK\r\n", "RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "3")
	want = string(resp.AppendCommand(nil, "RESTORE", "k", "0", p, "REPLACE", "IDLETIME", "3"))
	if got := h.aof(); !strings.HasSuffix(got, want) {
		t.Fatalf("propagated %q, want %q", got, want)
	}

	// Expired on arrival: a replaced key is deleted (DEL propagated), a new
	// one is not created and nothing is propagated.
	h.expect("+OK\r\n", "RESTORE", "k", "1", p, "ABSTTL", "REPLACE")
	if got := h.aof(); !strings.HasSuffix(got, string(resp.AppendCommand(nil, "DEL", "k"))) {
		t.Fatalf("propagated %q, want DEL k", got)
	}
	h.expect(":0\r\n", "EXISTS", "k")
	h.expect("+OK\r\n", "RESTORE", "k", "1", p, "ABSTTL")
	if got := h.aof(); got != "" {
		t.Fatalf("propagated %q for a key that was never created", got)
	}
}

func TestDumpRestoreKeepsValuesAndEncodings(t *testing.T) {
	h := newHarness(t)
	h.do("SET", "int", "123")
	h.do("SET", "str", strings.Repeat("ab", 50))
	h.do("RPUSH", "list", "a", "1", "b")
	h.do("HSET", "hash", "f", "v", "g", "1")
	h.do("HSET", "bighash", "f", strings.Repeat("x", 100))
	h.do("SADD", "ints", "3", "1", "2")
	h.do("SADD", "strs", "a", "b")
	h.do("ZADD", "z", "1.5", "a", "-2", "b")
	args := []string{"ZADD", "bigz"}
	for i := 0; i < 200; i++ {
		args = append(args, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	h.do(args...)
	db := h.store.DBs[0]
	for _, k := range []string{"int", "str", "list", "hash", "bighash", "ints", "strs", "z", "bigz"} {
		v, _, _ := db.Peek(k)
		back, err := RestoreValue(DumpValue(v))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if ObjectEncoding(back) != ObjectEncoding(v) {
			t.Errorf("%s: encoding %s after a round trip, was %s", k, ObjectEncoding(back), ObjectEncoding(v))
		}
		if string(DumpValue(back)) != string(DumpValue(v)) {
			t.Errorf("%s: a second DUMP differs", k)
		}
	}
}

func TestObjectIdleTime(t *testing.T) {
	h := newHarness(t)
	h.do("SET", "k", "v")
	h.now += 10_000
	h.expect(":10\r\n", "OBJECT", "IDLETIME", "k")
	h.expect(":10\r\n", "OBJECT", "IDLETIME", "k") // OBJECT is not an access
	h.do("GET", "k")                               // a read, on the read path
	h.expect(":0\r\n", "OBJECT", "IDLETIME", "k")
	h.now += 5_000
	h.expect(":5\r\n", "OBJECT", "IDLETIME", "k")
	h.do("RESTORE", "r", "0", string(rdb.DumpString("x")), "IDLETIME", "100")
	h.expect(":100\r\n", "OBJECT", "IDLETIME", "r")
	h.do("DEL", "k")
	if _, i := h.store.DBs[0].access.find(accessFP([]byte("k"))); i >= 0 {
		t.Fatal("a deleted key keeps its access slot")
	}
	h.do("FLUSHALL")
	if n := h.store.DBs[0].access.live; n != 0 {
		t.Fatalf("%d access slots after FLUSHALL", n)
	}
	h.expect("$-1\r\n", "OBJECT", "IDLETIME", "k")
}

func TestMemoryUsageMatchesRedisFigures(t *testing.T) {
	// Figures redis-server 7.0.15 (jemalloc) gives for the same commands.
	h := newHarness(t)
	h.do("SET", "foo", "bar")
	h.do("SET", "n", "12345")
	h.do("SET", "big", strings.Repeat("a", 100))
	h.do("RPUSH", "l", "a", "b", "c")
	h.do("HSET", "h", "a", "1", "b", "2")
	h.do("SADD", "s", "1", "2", "3")
	h.do("ZADD", "z", "1", "a", "2", "b")
	for k, want := range map[string]string{"foo": ":64\r\n", "n": ":48\r\n", "big": ":160\r\n",
		"l": ":144\r\n", "h": ":80\r\n", "s": ":64\r\n", "z": ":80\r\n"} {
		h.expect(want, "MEMORY", "USAGE", k)
	}
}

// BenchmarkLookupRead is GET on the read path: the access-time update must
// stay a map lookup and an atomic load (a store once a second).
func BenchmarkLookupRead(b *testing.B) {
	s := NewStore()
	c := &Ctx{Store: s, Now: 1_700_000_000_000, R: NewReply(2)}
	w := &Ctx{Store: s, Now: c.Now, R: NewReply(2), Prop: NewPropagation()}
	w.Begin(s.DBs[0], nil)
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = []byte("key:" + strconv.Itoa(i))
		w.Put(keys[i], "v", false)
	}
	c.Begin(s.DBs[0], nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := c.Lookup(keys[i&1023]); !ok {
			b.Fatal("missing")
		}
	}
}

// TestAccessTableGrowsAndForgets drives the table through growth, deletes
// (tombstones) and rebuilds, checking every key's time stays its own.
func TestAccessTableGrowsAndForgets(t *testing.T) {
	s := NewStore()
	db := s.DBs[0]
	w := &Ctx{Store: s, R: NewReply(2), Prop: NewPropagation()}
	w.Begin(db, nil)
	const n = 5000
	for i := 0; i < n; i++ {
		w.Now = int64(1_000_000+i) * 1000
		w.Put([]byte("k"+strconv.Itoa(i)), "v", false)
	}
	for i := 0; i < n; i += 2 {
		w.Delete([]byte("k" + strconv.Itoa(i)))
	}
	for i := n; i < 2*n; i++ { // reuses tombstones, forces rebuilds
		w.Now = int64(1_000_000+i) * 1000
		w.Put([]byte("k"+strconv.Itoa(i)), "v", false)
	}
	// Keys whose fingerprints collide share a word (the seed is random per
	// process): only keys with a fingerprint of their own are checked.
	fps := map[uint32]int{}
	for i := 0; i < 2*n; i++ {
		fps[accessFP([]byte("k"+strconv.Itoa(i)))]++
	}
	now := int64(2_000_000) * 1000
	for i := 1; i < 2*n; i++ {
		if i < n && i%2 == 0 || fps[accessFP([]byte("k"+strconv.Itoa(i)))] > 1 {
			continue
		}
		if got, want := db.access.idle([]byte("k"+strconv.Itoa(i)), now), int64(1_000_000-i); got != want {
			t.Fatalf("k%d: idle %d, want %d", i, got, want)
		}
	}
	if live := db.access.live; live > n/2+n || live < (n/2+n)*99/100 {
		t.Fatalf("%d live words for %d keys", db.access.live, n/2+n)
	}
	if words := len(db.access.words); words > 8*db.Len() {
		t.Fatalf("%d words for %d keys", words, db.Len())
	}
}
