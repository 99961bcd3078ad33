package commands

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// zmodel is the reference: a plain sorted slice.
type zmodel []zEntry

func (m zmodel) find(member string) int {
	for i, e := range m {
		if e.member == member {
			return i
		}
	}
	return -1
}

func (m *zmodel) set(member string, score float64) {
	if i := m.find(member); i >= 0 {
		*m = slices.Delete(*m, i, i+1)
	}
	*m = append(*m, zEntry{member, score})
	slices.SortFunc(*m, func(a, b zEntry) int {
		switch {
		case zLess(a.score, a.member, b.score, b.member):
			return -1
		case zLess(b.score, b.member, a.score, a.member):
			return 1
		}
		return 0
	})
}

func zsetEntries(z *ZSet) []zEntry {
	var out []zEntry
	z.Range(0, z.Len(), false, func(e zEntry) { out = append(out, e) })
	return out
}

func checkZSet(t *testing.T, step int, z *ZSet, m zmodel) {
	t.Helper()
	if z.Len() != len(m) {
		t.Fatalf("step %d: Len %d, model %d", step, z.Len(), len(m))
	}
	got := zsetEntries(z)
	if len(m) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(got, []zEntry(m)) {
		t.Fatalf("step %d: entries\n got %v\nwant %v", step, got, m)
	}
	var rev []zEntry
	z.Range(0, z.Len(), true, func(e zEntry) { rev = append(rev, e) })
	slices.Reverse(rev)
	if !slices.Equal(rev, []zEntry(m)) {
		t.Fatalf("step %d: reverse walk differs", step)
	}
	if z.zsl != nil {
		// Spans must add up: every rank maps back to itself.
		for i, e := range m {
			if r, s, ok := z.Rank(e.member); !ok || r != i || s != e.score {
				t.Fatalf("step %d: Rank(%q) = %d %v %v, want %d", step, e.member, r, s, ok, i)
			}
		}
		n := 0
		z.dict.each(func(*zslNode) bool { n++; return true })
		if z.dict.len() != len(m) || n != len(m) {
			t.Fatalf("step %d: dict has %d entries (%d walked)", step, z.dict.len(), n)
		}
		for i, e := range m {
			if z.dict.get(e.member) != z.zsl.byRank(i+1) {
				t.Fatalf("step %d: dict's node for %q is not the skiplist's", step, e.member)
			}
		}
	}
}

// TestZSetProperty drives the ordered structure with random operations in
// both encodings and compares it with the sorted-slice model after each.
func TestZSetProperty(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members int
		steps   int
	}{{"listpack", 60, 3000}, {"skiplist", 600, 6000}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(tc.members)))
			z := NewZSet()
			var m zmodel
			member := func() string { return fmt.Sprintf("m%03d", rng.IntN(tc.members)) }
			score := func() float64 {
				switch rng.IntN(5) {
				case 0:
					return float64(rng.IntN(5)) // many ties: member order matters
				case 1:
					return math.Inf(rng.IntN(2)*2 - 1)
				default:
					return float64(rng.IntN(2000)-1000) / 8
				}
			}
			for step := 0; step < tc.steps; step++ {
				switch op := rng.IntN(10); {
				case op < 5:
					mem, s := member(), score()
					if old, ok := z.Score(mem); ok {
						z.Update(mem, old, s)
					} else {
						z.Insert(mem, s)
					}
					m.set(mem, s)
				case op < 7:
					mem := member()
					ok := z.Remove(mem)
					i := m.find(mem)
					if ok != (i >= 0) {
						t.Fatalf("step %d: Remove(%q) = %v", step, mem, ok)
					}
					if i >= 0 {
						m = slices.Delete(m, i, i+1)
					}
				case op == 7 && len(m) > 0:
					i := rng.IntN(len(m))
					j := i + rng.IntN(min(5, len(m)-i)+1)
					if n := z.RemoveRange(i, j); n != j-i {
						t.Fatalf("step %d: RemoveRange(%d,%d) = %d", step, i, j, n)
					}
					m = slices.Delete(m, i, j)
				case op == 8:
					r := scoreRange{min: score(), max: score(), minex: rng.IntN(2) == 0, maxex: rng.IntN(2) == 0}
					lo, hi := z.ScoreRange(r)
					wlo, whi := -1, -1
					for i, e := range m {
						in := (e.score > r.min || !r.minex && e.score == r.min) && (e.score < r.max || !r.maxex && e.score == r.max)
						if in {
							if wlo < 0 {
								wlo = i
							}
							whi = i + 1
						}
					}
					if wlo < 0 {
						if hi != lo {
							t.Fatalf("step %d: ScoreRange %+v = [%d,%d), want empty", step, r, lo, hi)
						}
					} else if lo != wlo || hi != whi {
						t.Fatalf("step %d: ScoreRange %+v = [%d,%d), want [%d,%d)", step, r, lo, hi, wlo, whi)
					}
				case op == 9 && len(m) > 0:
					i := rng.IntN(len(m))
					if e := z.At(i); e != m[i] {
						t.Fatalf("step %d: At(%d) = %v, want %v", step, i, e, m[i])
					}
				}
				if step%7 == 0 || step == tc.steps-1 {
					checkZSet(t, step, z, m)
				}
			}
			if tc.name == "skiplist" && z.Encoding() != "skiplist" {
				t.Fatalf("encoding %s", z.Encoding())
			}
			c := z.Clone()
			checkZSet(t, -1, c, m)
			c.Insert("zzz-clone-only", 1)
			checkZSet(t, -2, z, m) // the clone is independent
		})
	}
}

func TestZSetLexRange(t *testing.T) {
	for _, n := range []int{10, 300} {
		z := NewZSet()
		var names []string
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%c%03d", 'a'+i%26, i)
			names = append(names, name)
			z.Insert(name, 0)
		}
		slices.Sort(names)
		count := func(minb, maxb string) int {
			r, ok := parseLexRange([]byte(minb), []byte(maxb))
			if !ok {
				t.Fatalf("parse %q %q", minb, maxb)
			}
			lo, hi := z.LexRange(r)
			return hi - lo
		}
		if got := count("-", "+"); got != n {
			t.Fatalf("n=%d: - + = %d", n, got)
		}
		if got := count("+", "-"); got != 0 {
			t.Fatalf("+ - = %d", got)
		}
		want := 0
		for _, s := range names {
			if s >= "b" && s < "d" {
				want++
			}
		}
		if got := count("[b", "(d"); got != want {
			t.Fatalf("n=%d: [b (d = %d, want %d", n, got, want)
		}
		if got := count("("+names[0], "["+names[2]); got != 2 {
			t.Fatalf("exclusive min: %d", got)
		}
	}
	for _, bad := range [][2]string{{"b", "+"}, {"-", "+x"}, {"", "+"}} {
		if _, ok := parseLexRange([]byte(bad[0]), []byte(bad[1])); ok {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestZSetEncodingAndRewrite(t *testing.T) {
	z := NewZSet()
	for i := 0; i < zsetMaxListpackEntries(); i++ {
		z.Insert(fmt.Sprint(i), float64(i)/3)
	}
	if z.Encoding() != "listpack" {
		t.Fatalf("128 members: %s", z.Encoding())
	}
	z.Insert("one-more", -1)
	if z.Encoding() != "skiplist" {
		t.Fatalf("129 members: %s", z.Encoding())
	}
	for i := 0; i < 100; i++ {
		z.Remove(fmt.Sprint(i))
	}
	if z.Encoding() != "skiplist" {
		t.Fatal("a skiplist never converts back")
	}
	long := NewZSet()
	long.Insert(strings.Repeat("x", 65), 1)
	if long.Encoding() != "skiplist" {
		t.Fatal("a 65-byte member needs the skiplist")
	}

	// The rewrite is ZADD in batches of 64 pairs, exact scores.
	w := NewZSet()
	for i := 0; i < 130; i++ {
		w.Insert(fmt.Sprintf("m%d", i), float64(i)+0.1)
	}
	w.Update("m0", 0.1, math.Inf(-1))
	buf := w.AppendRewrite(nil, "key")
	if n := strings.Count(string(buf), "ZADD"); n != 3 {
		t.Fatalf("%d ZADD commands for 130 members", n)
	}
	if !strings.HasPrefix(string(buf), "*130\r\n$4\r\nZADD\r\n$3\r\nkey\r\n$4\r\n-inf\r\n$2\r\nm0\r\n$18\r\n1.1000000000000001\r\n$2\r\nm1\r\n") {
		t.Fatalf("rewrite starts %q", buf[:80])
	}
	// Replaying the rewrite through ZADD gives the same set.
	h := newHarness(t)
	args := parseRESPCommands(t, buf)
	for _, a := range args {
		h.do(a...)
	}
	v, _, _ := h.store.DBs[0].Peek("key")
	if !slices.Equal(zsetEntries(v.(*ZSet)), zsetEntries(w)) {
		t.Fatal("rewrite does not round-trip")
	}
}

// parseRESPCommands splits a buffer of RESP arrays of bulk strings.
func parseRESPCommands(t *testing.T, b []byte) [][]string {
	t.Helper()
	var out [][]string
	s := string(b)
	for len(s) > 0 {
		var n int
		if _, err := fmt.Sscanf(s, "*%d\r\n", &n); err != nil {
			t.Fatalf("bad RESP at %q", s[:min(20, len(s))])
		}
		s = s[strings.Index(s, "\r\n")+2:]
		var cmd []string
		for i := 0; i < n; i++ {
			var l int
			fmt.Sscanf(s, "$%d\r\n", &l)
			s = s[strings.Index(s, "\r\n")+2:]
			cmd = append(cmd, s[:l])
			s = s[l+2:]
		}
		out = append(out, cmd)
	}
	return out
}

func BenchmarkZSetInsertRandom(b *testing.B) {
	z := NewZSet()
	rng := rand.New(rand.NewPCG(1, 2))
	members := make([]string, 1<<16)
	for i := range members {
		members[i] = fmt.Sprintf("element:%d", i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := members[i&(len(members)-1)]
		s := float64(rng.IntN(1 << 20))
		if old, ok := z.Score(m); ok {
			z.Update(m, old, s)
		} else {
			z.Insert(m, s)
		}
	}
}

func BenchmarkZSetPopMin(b *testing.B) {
	z := NewZSet()
	for i := 0; i < b.N; i++ {
		z.Insert(fmt.Sprintf("element:%d", i), float64(i%1000))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		z.RemoveRange(0, 1)
	}
}

// Three nodes in four have one level: such a node is 48 bytes, its level
// inline, and taller nodes carry theirs in the same allocation.
func TestZslNodeLayout(t *testing.T) {
	if n := unsafe.Sizeof(zslNode{}); n != 48 {
		t.Fatalf("zslNode is %d bytes", n)
	}
	zsl := newZsl()
	for i := 0; i < 5000; i++ {
		zsl.insert(float64(i%97), strconv.Itoa(i))
	}
	for rank := 1; rank <= zsl.length; rank += 37 {
		x := zsl.byRank(rank)
		if x == nil || zsl.rank(x.score, x.member) != rank {
			t.Fatalf("rank %d does not round-trip", rank)
		}
	}
	n := 0
	for x := zsl.header.lv(0).forward; x != nil; x = x.lv(0).forward {
		if f := x.lv(0).forward; f != nil && !zLess(x.score, x.member, f.score, f.member) {
			t.Fatalf("%v/%s before %v/%s", x.score, x.member, f.score, f.member)
		}
		n++
	}
	if n != 5000 {
		t.Fatalf("walked %d nodes", n)
	}
}
