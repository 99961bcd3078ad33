package commands

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"testing"
)

// PFADD h a b c in redis-server 7 leaves PFDEBUG DECODE
// "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603": the three elements hash
// to registers 8436, 12711 and 15780 with runs of 1, 2 and 1.
func TestHLLPatLenMatchesRedis(t *testing.T) {
	var got []string
	for _, e := range []string{"a", "b", "c"} {
		i, n := hllPatLen([]byte(e))
		got = append(got, strconv.Itoa(i)+":"+strconv.Itoa(int(n)))
	}
	sort.Strings(got)
	want := []string{"12711:2", "15780:1", "8436:1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("registers %v, want %v", got, want)
		}
	}
	b := newHLL()
	for _, e := range []string{"a", "b", "c"} {
		b, _ = hllAdd(b, []byte(e))
	}
	if d := hllDecode(string(b)); d != "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603" {
		t.Fatalf("decoded %q", d)
	}
}

func TestMurmurHash64A(t *testing.T) {
	// Every tail length goes through its own switch case; the hash must
	// depend on each byte and on the length.
	seen := map[uint64]string{}
	for n := 0; n <= 17; n++ {
		key := bytes.Repeat([]byte{'x'}, n)
		h := murmurHash64A(key, hllSeed)
		if prev, dup := seen[h]; dup {
			t.Fatalf("%q and %q hash alike", prev, key)
		}
		seen[h] = string(key)
		if n > 0 {
			key[n-1] = 'y'
			if murmurHash64A(key, hllSeed) == h {
				t.Fatalf("changing the last of %d bytes left the hash alone", n)
			}
		}
	}
	if murmurHash64A([]byte("a"), 0) == murmurHash64A([]byte("a"), hllSeed) {
		t.Fatal("the seed is ignored")
	}
}

// addDense adds elements to a dense HLL built from scratch.
func denseOf(t *testing.T, elems int, prefix string) []byte {
	t.Helper()
	d := hllSparseToDense(newHLL())
	for i := 0; i < elems; i++ {
		d, _ = hllAdd(d, []byte(prefix+strconv.Itoa(i)))
	}
	return d
}

// The sparse value, until its promotion, must describe exactly the same
// registers as a dense one fed the same elements, and give the same count.
func TestHLLSparseAndDenseAgree(t *testing.T) {
	sparse := newHLL()
	dense := hllSparseToDense(newHLL())
	promotedAt := -1
	for i := 0; i < 4000; i++ {
		e := []byte("el:" + strconv.Itoa(i*7919))
		var r1, r2 int
		wasSparse := sparse[4] == hllSparse
		sparse, r1 = hllAdd(sparse, e)
		dense, r2 = hllAdd(dense, e)
		if r1 != r2 {
			t.Fatalf("element %d: sparse says %d, dense %d", i, r1, r2)
		}
		if wasSparse && sparse[4] == hllDense {
			promotedAt = i
		}
		if sparse[4] == hllSparse && len(sparse) > hllSparseMaxLen {
			t.Fatalf("sparse value of %d bytes", len(sparse))
		}
		if i%97 != 0 && promotedAt != i {
			continue
		}
		conv := hllSparseToDense(bytes.Clone(sparse))
		if !bytes.Equal(conv[hllHdrSize:], dense[hllHdrSize:]) {
			t.Fatalf("after %d elements the registers differ", i+1)
		}
		a, ok1 := hllCount(string(sparse))
		b, ok2 := hllCount(string(dense))
		if !ok1 || !ok2 || a != b {
			t.Fatalf("after %d elements: sparse counts %d (%v), dense %d (%v)", i+1, a, ok1, b, ok2)
		}
	}
	if promotedAt < 0 {
		t.Fatal("4000 elements never turned the HLL dense")
	}
	t.Logf("promoted to dense at element %d", promotedAt+1)
}

// Counts redis-server 7 gives for PFADD k e0 ... e<n-1>.
func TestHLLCountMatchesRedis(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want uint64
	}{{1000, 1008}, {100000, 100853}} {
		got, ok := hllCount(string(denseOf(t, tc.n, "e")))
		if !ok || got != tc.want {
			t.Errorf("%d elements: count %d (%v), redis-server says %d", tc.n, got, ok, tc.want)
		}
	}
	if n, ok := hllCount(string(newHLL())); !ok || n != 0 {
		t.Fatalf("empty HLL counts %d (%v)", n, ok)
	}
}

func TestHLLEstimatorHelpers(t *testing.T) {
	if !math.IsInf(hllSigma(1), 1) || hllSigma(0) != 0 {
		t.Fatalf("sigma(1) = %v, sigma(0) = %v", hllSigma(1), hllSigma(0))
	}
	if hllTau(0) != 0 || hllTau(1) != 0 {
		t.Fatalf("tau(0) = %v, tau(1) = %v", hllTau(0), hllTau(1))
	}
	// sigma(x) = x + sum x^(2^k) 2^(k-1): for x = 0.5 about 0.5+0.25+0.125+...
	if s := hllSigma(0.5); s < 0.89 || s > 0.9 {
		t.Fatalf("sigma(0.5) = %v", s)
	}
	if tau := hllTau(0.5); tau <= 0 || tau >= 0.5 {
		t.Fatalf("tau(0.5) = %v", tau)
	}
	// Every register 0 but one counts one element.
	var h [64]int
	h[0], h[1] = hllRegisters-1, 1
	if n := hllEstimate(&h); n != 1 {
		t.Fatalf("one register at 1 counts %d", n)
	}
}

// A run of 33 or more cannot be stored in a sparse VAL opcode: the value
// turns dense first, keeping the header.
func TestHLLSparsePromotesBigRegister(t *testing.T) {
	b := newHLL()
	b, _ = hllSparseSet(b, 100, 3)
	hllSetCachedCard(b, 42)
	b, r := hllSparseSet(b, 7, 33)
	if r != 1 || b[4] != hllDense || len(b) != hllDenseSize {
		t.Fatalf("result %d, encoding %d, %d bytes", r, b[4], len(b))
	}
	regs := b[hllHdrSize:]
	if hllDenseGet(regs, 7) != 33 || hllDenseGet(regs, 100) != 3 || hllDenseGet(regs, 101) != 0 {
		t.Fatalf("registers 7, 100, 101 = %d %d %d", hllDenseGet(regs, 7), hllDenseGet(regs, 100), hllDenseGet(regs, 101))
	}
	if card, ok := hllCachedCard(string(b)); !ok || card != 42 {
		t.Fatalf("cached card %d (%v) after promotion", card, ok)
	}
}

// hllSparseSet's splits and merges, checked opcode by opcode.
func TestHLLSparseSplitAndMerge(t *testing.T) {
	b := newHLL()
	steps := []struct {
		index int
		count uint8
		want  string
		ret   int
	}{
		{0, 2, "v:2,1 Z:16383", 1},
		{16383, 1, "v:2,1 Z:16382 v:1,1", 1},
		{1, 2, "v:2,2 Z:16381 v:1,1", 1},
		{2, 2, "v:2,3 Z:16380 v:1,1", 1},
		{1, 2, "v:2,3 Z:16380 v:1,1", 0},
		{1, 1, "v:2,3 Z:16380 v:1,1", 0},
		{1, 5, "v:2,1 v:5,1 v:2,1 Z:16380 v:1,1", 1},
		{50, 3, "v:2,1 v:5,1 v:2,1 z:47 v:3,1 Z:16332 v:1,1", 1},
		{49, 3, "v:2,1 v:5,1 v:2,1 z:46 v:3,2 Z:16332 v:1,1", 1},
		{3, 2, "v:2,1 v:5,1 v:2,2 z:45 v:3,2 Z:16332 v:1,1", 1},
	}
	for _, s := range steps {
		var r int
		b, r = hllSparseSet(b, s.index, s.count)
		if d := hllDecode(string(b)); d != s.want || r != s.ret {
			t.Fatalf("set %d to %d: %q (%d), want %q (%d)", s.index, s.count, d, r, s.want, s.ret)
		}
	}
	if b[15]&0x80 == 0 {
		t.Fatal("a change left the cached cardinality valid")
	}
}

// Corrupted sparse values are reported, not trusted.
func TestHLLCorruptedSparse(t *testing.T) {
	short := []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe") // 16383 registers
	if _, ok := hllCount(string(short)); ok {
		t.Fatal("a sparse value of 16383 registers counted")
	}
	var max [hllRegisters]uint8
	if hllMergeInto(&max, string(short)) {
		t.Fatal("merged a sparse value of 16383 registers")
	}
	if hllSparseToDense(bytes.Clone(short)) != nil {
		t.Fatal("converted a sparse value of 16383 registers")
	}
	orig := bytes.Clone(short)
	if out, r := hllSparseSet(short, 16383, 1); r != -1 || !bytes.Equal(out, orig) {
		t.Fatalf("setting past the end: %d, %q", r, out)
	}
	if _, r := hllSparseSet(short, 5, 40); r != -1 {
		t.Fatalf("promoting a corrupted value: %d", r)
	}
	if _, r := hllSparseSet(short, 5, 1); r != 1 {
		t.Fatalf("setting a covered register of a short value: %d", r)
	}
	for _, bad := range []string{"", "HYLL", "HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff",
		"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff", "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		if isHLL(bad) {
			t.Fatalf("%q taken for an HLL", bad)
		}
	}
	if !isHLL(string(newHLL())) || !isHLL(string(hllSparseToDense(newHLL()))) {
		t.Fatal("a fresh sparse or dense HLL refused")
	}
}

func TestHLLSelfTest(t *testing.T) {
	if msg := hllSelfTest(); msg != "" {
		t.Fatal(msg)
	}
}

// TestHLLWouldChange: hllWouldChange agrees with what hllAdd does, on
// sparse and dense values, and costs no allocation on a dense one.
func TestHLLWouldChange(t *testing.T) {
	b := newHLL()
	sawSparse, sawDense := 0, 0
	for i := 0; i < 20000; i++ {
		ele := []byte("e" + strconv.Itoa(i%6000))
		before := append([]byte(nil), b...)
		change, ok := hllWouldChange(b, ele)
		if !ok {
			t.Fatalf("element %d: a valid HLL reported corrupted", i)
		}
		if !bytes.Equal(b, before) {
			t.Fatalf("element %d: hllWouldChange changed the value", i)
		}
		if b[4] == hllSparse {
			sawSparse++
		} else {
			sawDense++
		}
		var ret int
		b, ret = hllAdd(b, ele)
		if ret < 0 || (ret == 1) != change {
			t.Fatalf("element %d (%s): hllWouldChange %v, hllAdd %d", i, b[4:5], change, ret)
		}
	}
	if sawSparse == 0 || sawDense == 0 {
		t.Fatalf("sparse %d dense %d: both representations must be covered", sawSparse, sawDense)
	}
	ele := []byte("e1")
	if n := testing.AllocsPerRun(100, func() { hllWouldChange(b, ele) }); n != 0 {
		t.Errorf("hllWouldChange on a dense HLL: %v allocations", n)
	}
	bad := append([]byte(nil), newHLL()[:hllHdrSize]...)
	bad = append(bad, spZero(10)) // covers 10 registers of 16384
	x := []byte("x")
	for idx, _ := hllPatLen(x); idx < 10; idx, _ = hllPatLen(x) {
		x = append(x, 'x') // an element past the registers the value covers
	}
	if _, ok := hllWouldChange(bad, x); ok {
		t.Error("a sparse value that ends early was not reported corrupted")
	}
}
