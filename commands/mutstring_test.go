package commands

import (
	"strconv"
	"testing"

	"github.com/geomys/geomys/rdb"
)

// inPlaceFixture fills h with strings of every kind the in-place commands
// make: a dense and a sparse HLL, a bitmap, an appended and a set-range
// string, and a plain string never changed in place.
func inPlaceFixture(h *harness) {
	for i := 0; i < 3000; i++ {
		h.do("pfadd", "dense", "e"+strconv.Itoa(i))
	}
	h.do("pfadd", "sparse", "a", "b", "c")
	h.do("setbit", "bits", "100", "1")
	h.do("set", "app", "hello")
	h.do("append", "app", " world")
	h.do("setrange", "rng", "3", "xyz")
	h.do("set", "plain", "untouched")
	h.do("pexpireat", "bits", strconv.FormatInt(h.now+1_000_000, 10))
}

// changeInPlace changes every fixture key in place (and the plain one).
func changeInPlace(h *harness, round int) {
	r := strconv.Itoa(round)
	for i := 0; i < 50; i++ {
		h.do("pfadd", "dense", "new"+r+"-"+strconv.Itoa(i))
	}
	h.do("pfadd", "sparse", "d"+r)
	h.do("pfcount", "dense") // caches the cardinality in the header
	h.do("setbit", "bits", strconv.Itoa(200+round), "1")
	h.do("bitfield", "bits", "incrby", "u8", "0", "3")
	h.do("append", "app", "!"+r)
	h.do("setrange", "rng", "0", "ab"+r)
	h.do("append", "plain", r)
}

// A snapshot that starts before values change in place still dumps the
// bytes they had when it began, whether its walk meets a key before or
// after the change.
func TestMutStringSnapshotSeesBeforeImage(t *testing.T) {
	h := newHarness(t)
	inPlaceFixture(h)
	if enc := h.do("object", "encoding", "dense"); enc != "$3\r\nraw\r\n" {
		t.Fatalf("dense HLL encoding %q, want raw", enc)
	}
	want := state(h.store)
	sn := h.store.BeginSnapshot()
	changeInPlace(h, 1)
	var dump []byte
	round := 2
	for more := true; more; round++ {
		dump, more = sn.Next(dump, 1)
		changeInPlace(h, round)
	}
	sn.End()
	if got := state(replay(t, dump).store); got != want {
		t.Fatalf("dump differs from the state at BeginSnapshot\nwant:\n%s\n\ngot:\n%s", want, got)
	}
	if now := state(h.store); now == want {
		t.Fatal("the values did not change")
	}
}

// A script's journal puts back the bytes and the representation of values
// changed in place, for a whole rollback and for one step.
func TestMutStringJournalRollback(t *testing.T) {
	h := newHarness(t)
	inPlaceFixture(h)
	keys := []string{"dense", "sparse", "bits", "app", "rng", "plain"}
	snap := func() map[string]string {
		m := map[string]string{}
		for _, k := range keys {
			m[k] = h.do("get", k) + h.do("object", "encoding", k) + h.do("pttl", k)
		}
		return m
	}
	before, digest := snap(), dgDigest(h)
	used := h.store.DatasetBytes()

	j := h.store.BeginJournal()
	changeInPlace(h, 1)
	mark := j.Mark()
	changeInPlace(h, 2)
	j.RollbackTo(mark)
	changeInPlace(h, 3)
	if snap()["dense"] == before["dense"] {
		t.Fatal("PFADD did not change the HLL")
	}
	j.Rollback()
	after := snap()
	for _, k := range keys {
		if after[k] != before[k] {
			t.Errorf("%s after rollback: %q, before %q", k, after[k], before[k])
		}
	}
	if d := dgDigest(h); d != digest {
		t.Errorf("digest after rollback %s, before %s", dgHex(d), dgHex(digest))
	}
	if got := h.store.DatasetBytes(); got != used {
		t.Errorf("used memory after rollback %d, before %d", got, used)
	}
}

// DUMP, GET, the AOF rewrite and the digest read the current bytes, the
// same as for a plain string holding them.
func TestMutStringReadersSeeCurrentBytes(t *testing.T) {
	h := newHarness(t)
	inPlaceFixture(h)
	changeInPlace(h, 1)
	plain := newHarness(t)
	db := h.store.DBs[0]
	for _, k := range []string{"dense", "sparse", "bits", "app", "rng"} {
		v, at, _ := db.Peek(k)
		m, ok := v.(*mutString)
		if !ok {
			t.Fatalf("%s holds %T, not a string changed in place", k, v)
		}
		cur := string(m.b)
		if got := h.do("get", k); got != "$"+strconv.Itoa(len(cur))+"\r\n"+cur+"\r\n" {
			t.Fatalf("GET %s = %q, want the current bytes", k, got)
		}
		if got, want := DumpValue(v), rdb.DumpString(cur); string(got) != string(want) {
			t.Fatalf("DUMP %s differs from the DUMP of its bytes", k)
		}
		plain.do("set", k, cur)
		if at > 0 {
			plain.do("pexpireat", k, strconv.FormatInt(at, 10))
		}
	}
	v, _, _ := db.Peek("plain")
	s, _ := asString(v)
	plain.do("set", "plain", s)
	if a, b := dgDigest(h), dgDigest(plain); a != b {
		t.Fatalf("digest %s, the same bytes as plain strings %s", dgHex(a), dgHex(b))
	}
	sn := h.store.BeginSnapshot()
	var dump []byte
	for more := true; more; {
		dump, more = sn.Next(dump, 100)
	}
	sn.End()
	r := replay(t, dump)
	r.db = 0
	if a, b := dgDigest(r), dgDigest(h); a != b {
		t.Fatalf("rewrite replays to digest %s, live %s", dgHex(a), dgHex(b))
	}
	if got := r.do("pfcount", "dense"); got != h.do("pfcount", "dense") {
		t.Fatalf("PFCOUNT after the rewrite %q, live %q", got, h.do("pfcount", "dense"))
	}
}

// Values taken from a string changed in place stay as they were: COPY's
// copy, the elements SORT ... GET ... STORE stores, a RENAMEd value's old
// key's new value.
func TestMutStringCopiesAreIndependent(t *testing.T) {
	h := newHarness(t)
	h.do("setbit", "bits", "7", "1")
	h.do("copy", "bits", "copy")
	h.do("rpush", "ids", "1")
	h.do("set", "w_1", "abc")
	h.do("append", "w_1", "def")
	h.do("sort", "ids", "by", "nosort", "get", "w_*", "store", "sorted")
	h.do("setbit", "bits", "6", "1")
	h.do("setrange", "w_1", "0", "XYZ")
	h.expect("$1\r\n\x01\r\n", "get", "copy")
	h.expect("$1\r\n\x03\r\n", "get", "bits")
	h.expect("*1\r\n$6\r\nabcdef\r\n", "lrange", "sorted", "0", "-1")
	h.expect("$6\r\nXYZdef\r\n", "get", "w_1")
}

type touchLog struct{ keys []string }

func (w *touchLog) Active() bool                                                       { return true }
func (w *touchLog) Touch(db int, key string, all bool)                                 { w.keys = append(w.keys, key) }
func (w *touchLog) Deleted(db int, key string)                                         { w.Touch(db, key, false) }
func (w *touchLog) Replaced([]int, func(int, string) bool, func(int, string) KeyState) {}

// WATCH hears of a change in place, and only of a real one: like Redis,
// SETBIT of a bit already set, a PFADD that raises no register, a
// BITFIELD writing the same bits and a PFCOUNT with a valid cache change
// nothing a client could watch.
func TestMutStringTouchesOnlyChanges(t *testing.T) {
	h := newHarness(t)
	w := &touchLog{}
	h.store.Watches = w
	steps := []struct {
		args  []string
		touch bool
	}{
		{[]string{"setbit", "b", "3", "1"}, true},
		{[]string{"setbit", "b", "3", "1"}, false},
		{[]string{"setbit", "b", "3", "0"}, true},
		{[]string{"setbit", "b", "40", "0"}, true}, // grows
		{[]string{"bitfield", "b", "set", "u8", "0", "0"}, false},
		{[]string{"bitfield", "b", "set", "u8", "0", "9"}, true},
		{[]string{"pfadd", "p", "x"}, true},
		{[]string{"pfadd", "p", "x"}, false},
		{[]string{"pfcount", "p"}, true}, // caches the count
		{[]string{"pfcount", "p"}, false},
		{[]string{"append", "b", "z"}, true},
		{[]string{"setrange", "b", "0", "z"}, true},
	}
	for _, s := range steps {
		w.keys = nil
		h.do(s.args...)
		if touched := len(w.keys) > 0; touched != s.touch {
			t.Fatalf("%q touched %v, want %v", s.args, w.keys, s.touch)
		}
	}
}

// A value only read keeps its plain representation; unsharing one that a
// command then leaves alone changes its encoding alone, as in Redis.
func TestMutStringEncodings(t *testing.T) {
	h := newHarness(t)
	h.do("set", "n", "12")
	h.expect("$3\r\nint\r\n", "object", "encoding", "n")
	h.do("getbit", "n", "1")
	h.expect("$3\r\nint\r\n", "object", "encoding", "n")
	h.aof()
	h.expect(":1\r\n", "setbit", "n", "2", "1") // '1' is 0x31: bit 2 is already set
	if got := h.aof(); got != "" {
		t.Fatalf("a SETBIT that changed nothing propagated %q", got)
	}
	h.expect("$3\r\nraw\r\n", "object", "encoding", "n")
	h.expect("$2\r\n12\r\n", "get", "n")
	h.do("incr", "n")
	h.expect("$3\r\nint\r\n", "object", "encoding", "n")
}
