package commands

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// hashCheck verifies the internal invariants of h against want.
func hashCheck(t *testing.T, h *Hash, want map[string]string) {
	t.Helper()
	if h.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", h.Len(), len(want))
	}
	for f, v := range want {
		got, ok := h.Get([]byte(f))
		if !ok || got != v {
			t.Fatalf("Get(%q) = %q, %v; want %q", f, got, ok, v)
		}
	}
	if h.table() == nil {
		n := 0
		h.Each(func(f, v string) bool {
			n++
			return true
		})
		if n != len(want) {
			t.Fatalf("listpack holds %d pairs, want %d", n, len(want))
		}
		return
	}
	if len(h.listpack()) != 0 {
		t.Fatal("hashtable keeps a listpack")
	}
	ht := h.table()
	if len(ht.idx) != len(ht.ents) || len(ht.pos) != len(ht.ents) {
		t.Fatalf("idx %d, pos %d, ents %d", len(ht.idx), len(ht.pos), len(ht.ents))
	}
	for i, e := range ht.ents {
		if ht.idx[e.field] != int32(i) {
			t.Fatalf("idx[%q] = %d, want %d", e.field, ht.idx[e.field], i)
		}
		if ht.pos[i] != scanPos(e.field) {
			t.Fatalf("pos of %q is stale", e.field)
		}
	}
}

func TestHashListpackKeepsOrder(t *testing.T) {
	h := NewHash()
	for _, f := range []string{"a", "b", "c", "d", "e"} {
		if !h.Set([]byte(f), []byte("v"+f)) {
			t.Fatalf("Set(%s) not new", f)
		}
	}
	if h.Set([]byte("b"), []byte("B")) {
		t.Fatal("update reported as new")
	}
	h.Delete([]byte("a"))
	h.Delete([]byte("d"))
	if h.Delete([]byte("zz")) {
		t.Fatal("deleted a missing field")
	}
	var got []string
	for i := 0; i < h.Len(); i++ {
		f, v := h.At(i)
		got = append(got, f+"="+v)
	}
	if s := strings.Join(got, ","); s != "b=B,c=vc,e=ve" {
		t.Fatalf("order %s", s)
	}
	if h.Encoding() != "listpack" || h.TypeName() != "hash" {
		t.Fatalf("encoding %s type %s", h.Encoding(), h.TypeName())
	}
}

func TestHashConversionThresholds(t *testing.T) {
	h := NewHash()
	for i := 0; i < hashMaxListpackEntries(); i++ {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	if h.Encoding() != "listpack" {
		t.Fatal("converted at 512 fields")
	}
	h.Set([]byte("one-more"), []byte("v"))
	if h.Encoding() != "hashtable" {
		t.Fatal("not converted past 512 fields")
	}
	h.Delete([]byte("one-more"))
	if h.Encoding() != "hashtable" {
		t.Fatal("converted back")
	}

	for _, tc := range []struct {
		field, value int
		enc          string
	}{{64, 1, "listpack"}, {1, 64, "listpack"}, {65, 1, "hashtable"}, {1, 65, "hashtable"}} {
		h := NewHash()
		h.Set([]byte("a"), []byte("b"))
		h.Set([]byte(strings.Repeat("f", tc.field)), []byte(strings.Repeat("v", tc.value)))
		if h.Encoding() != tc.enc {
			t.Errorf("field %d value %d: %s, want %s", tc.field, tc.value, h.Encoding(), tc.enc)
		}
		h2 := NewHash()
		h2.SetString([]byte(strings.Repeat("f", tc.field)), strings.Repeat("v", tc.value))
		if h2.Encoding() != tc.enc {
			t.Errorf("SetString field %d value %d: %s, want %s", tc.field, tc.value, h2.Encoding(), tc.enc)
		}
	}
}

// TestHashRandomOps runs random operations on both encodings against a map.
func TestHashRandomOps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 4; round++ {
		h := NewHash()
		want := map[string]string{}
		nf := []int{20, 300, 1000, 3000}[round]
		for i := 0; i < 20000; i++ {
			f := "f" + strconv.Itoa(r.IntN(nf))
			switch r.IntN(3) {
			case 0, 1:
				v := strconv.Itoa(r.IntN(1000))
				_, had := want[f]
				if isNew := h.Set([]byte(f), []byte(v)); isNew == had {
					t.Fatalf("Set(%s) new=%v, had=%v", f, isNew, had)
				}
				want[f] = v
			case 2:
				_, had := want[f]
				if h.Delete([]byte(f)) != had {
					t.Fatalf("Delete(%s) != %v", f, had)
				}
				delete(want, f)
			}
			if i%997 == 0 {
				hashCheck(t, h, want)
			}
		}
		hashCheck(t, h, want)
		c := h.Clone()
		hashCheck(t, c, want)
		for f := range want {
			c.Delete([]byte(f))
		}
		hashCheck(t, h, want) // the original is unaffected
		hashCheck(t, c, map[string]string{})
	}
}

func TestHashShrinks(t *testing.T) {
	h := NewHash()
	for i := 0; i < 10000; i++ {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	for i := 0; i < 9990; i++ {
		h.Delete([]byte("f" + strconv.Itoa(i)))
	}
	if cap(h.table().ents) > 1000 {
		t.Fatalf("cap %d after deleting most fields", cap(h.table().ents))
	}
	want := map[string]string{}
	for i := 9990; i < 10000; i++ {
		want["f"+strconv.Itoa(i)] = "v"
	}
	hashCheck(t, h, want)
}

func TestHashAppendRewrite(t *testing.T) {
	h := NewHash()
	for i := 0; i < 130; i++ {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"+strconv.Itoa(i)))
	}
	buf := h.AppendRewrite(nil, "k")
	// 130 pairs: batches of 64, 64 and 2 pairs.
	if n := strings.Count(string(buf), "$4\r\nHSET\r\n"); n != 3 {
		t.Fatalf("%d HSET commands", n)
	}
	if !strings.HasPrefix(string(buf), "*130\r\n$4\r\nHSET\r\n$1\r\nk\r\n") {
		t.Fatalf("first batch: %q", buf[:40])
	}
	if !strings.Contains(string(buf), "*6\r\n$4\r\nHSET\r\n") {
		t.Fatal("last batch of 2 pairs missing")
	}
	if got := NewHash().AppendRewrite(nil, "k"); len(got) != 0 {
		t.Fatalf("empty hash rewrites to %q", got)
	}
}

func TestHashScanStep(t *testing.T) {
	h := NewHash()
	h.Convert()
	for i := 0; i < 1000; i++ {
		h.Set([]byte("f"+strconv.Itoa(i)), []byte("v"))
	}
	for _, count := range []int{1, 7, 100, 5000} {
		seen := map[string]int{}
		cursor := uint64(0)
		calls := 0
		for {
			idx, next := h.table().scanStep(cursor, count)
			calls++
			for _, i := range idx {
				seen[h.table().ents[i].field]++
			}
			if next == 0 {
				break
			}
			if next <= cursor {
				t.Fatalf("cursor went from %d to %d", cursor, next)
			}
			cursor = next
		}
		if len(seen) != 1000 {
			t.Fatalf("count %d: saw %d fields", count, len(seen))
		}
		for f, n := range seen {
			if n != 1 {
				t.Fatalf("%s seen %d times", f, n)
			}
		}
		if want := (1000 + count - 1) / count; calls > want+1 {
			t.Fatalf("count %d: %d calls", count, calls)
		}
	}
	if idx, next := h.table().scanStep(scanPosEnd+5, 10); len(idx) != 0 || next != 0 {
		t.Fatalf("cursor past the end: %v %d", idx, next)
	}
}

// BenchmarkHashSet measures HSET's data structure work on a small hash
// (listpack) and a large one (hashtable) with existing fields.
func BenchmarkHashSet(b *testing.B) {
	for _, n := range []int{100, 500, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := NewHash()
			fields := make([][]byte, n)
			for i := range fields {
				fields[i] = []byte("element:" + strconv.Itoa(i))
				h.Set(fields[i], []byte("xxx"))
			}
			v := []byte("xxx")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.Set(fields[i%n], v)
			}
		})
	}
}

// A small hash is its 16-byte header and one listpack string: a million of
// them are what scripts/mem.sh KIND=hash weighs against Redis.
func TestHashListpackLayout(t *testing.T) {
	if n := unsafe.Sizeof(Hash{}); n != 16 {
		t.Fatalf("Hash header is %d bytes", n)
	}
	h := NewHash()
	h.Set([]byte("f1"), []byte("v1"))
	h.Set([]byte("f2"), []byte("v2"))
	if lp := h.listpack(); lp != "\x02f1\x02v1\x02f2\x02v2" {
		t.Fatalf("listpack %q", lp)
	}
	// Values handed out and a snapshot's clone keep their bytes when the
	// hash changes: a change builds a new string.
	v, _ := h.Get([]byte("f1"))
	c := h.Clone()
	h.Set([]byte("f1"), []byte("xx"))
	h.Delete([]byte("f2"))
	if v != "v1" {
		t.Fatalf("value handed out became %q", v)
	}
	hashCheck(t, c, map[string]string{"f1": "v1", "f2": "v2"})
	hashCheck(t, h, map[string]string{"f1": "xx"})
	h.Delete([]byte("f1"))
	if h.Len() != 0 || len(h.listpack()) != 0 {
		t.Fatalf("empty hash: Len %d, %d listpack bytes", h.Len(), len(h.listpack()))
	}
}

// Lengths of 128 bytes and more take a multi-byte length prefix.
func TestHashListpackLongStrings(t *testing.T) {
	lim := &encLimits[limHashValue].v
	old := lim.Load()
	lim.Store(100000)
	defer lim.Store(old)
	h := NewHash()
	want := map[string]string{}
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 70000} {
		f, v := strings.Repeat("f", n+1), strings.Repeat("v", n)
		h.Set([]byte(f), []byte(v))
		want[f] = v
	}
	if h.Encoding() != "listpack" {
		t.Fatal("converted")
	}
	hashCheck(t, h, want)
	h.Delete([]byte(strings.Repeat("f", 129)))
	delete(want, strings.Repeat("f", 129))
	h.SetString([]byte("f"), strings.Repeat("w", 200))
	want["f"] = strings.Repeat("w", 200)
	hashCheck(t, h, want)
}
