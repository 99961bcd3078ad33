package commands

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

func TestSetParseInt(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1": true, "-1": true, "123": true, "9223372036854775807": true,
		"-9223372036854775808": true, "9223372036854775808": false, "-9223372036854775809": false,
		"": false, "-": false, "-0": false, "01": false, "+1": false, " 1": false, "1 ": false,
		"1a": false, "99999999999999999999": false, "18446744073709551616": false,
	} {
		v, ok := parseSetInt(s)
		if ok != want {
			t.Errorf("parseSetInt(%q) ok = %v, want %v", s, ok, want)
			continue
		}
		if ok {
			if n, _ := strconv.ParseInt(s, 10, 64); n != v {
				t.Errorf("parseSetInt(%q) = %d", s, v)
			}
		}
	}
}

// setContents returns the members sorted, for comparing sets.
func setContents(s *Set) []string {
	m := s.Members()
	slices.Sort(m)
	return m
}

func TestSetEncodingTransitions(t *testing.T) {
	s := NewSetFor("1", 1)
	if s.Encoding() != "intset" {
		t.Fatal(s.Encoding())
	}
	for i := range 512 {
		setAdd(s, strconv.Itoa(i))
	}
	if s.Encoding() != "intset" || s.Len() != 512 {
		t.Fatal(s.Encoding(), s.Len())
	}
	if !slices.IsSorted(s.ints) {
		t.Fatal("intset not sorted")
	}
	setAdd(s, "100000")
	if s.Encoding() != "hashtable" || s.Len() != 513 {
		t.Fatal(s.Encoding(), s.Len())
	}

	// A small set of strings is held as a slice, a hashtable to users.
	s = NewSetFor("a", 1)
	if repr(s) != "listpack" || s.Encoding() != "hashtable" {
		t.Fatal(repr(s), s.Encoding())
	}
	// An integer starts an intset whatever the size to come (Redis 7.0).
	s = NewSetFor("1", 513)
	if s.Encoding() != "intset" {
		t.Fatal(repr(s))
	}
	s = NewSetFor("a", 129)
	if repr(s) != "hashtable" {
		t.Fatal(repr(s))
	}

	// intset + a string -> listpack keeping the members, in sorted order.
	s = NewSetFor("3", 3)
	for _, m := range []string{"3", "1", "2", "x"} {
		setAdd(s, m)
	}
	if repr(s) != "listpack" || !slices.Equal(s.Members(), []string{"1", "2", "3", "x"}) {
		t.Fatal(repr(s), s.Members())
	}
	// intset of 128 + a string -> hashtable.
	s = NewSetFor("0", 1)
	for i := range 128 {
		setAdd(s, strconv.Itoa(i))
	}
	setAdd(s, "x")
	if repr(s) != "hashtable" || s.Len() != 129 {
		t.Fatal(repr(s), s.Len())
	}
	// intset + a string over 64 bytes -> hashtable.
	s = NewSetFor("0", 1)
	setAdd(s, "0")
	setAdd(s, string(make([]byte, 65)))
	if repr(s) != "hashtable" {
		t.Fatal(repr(s))
	}
	// listpack: 128 members, then the 129th -> hashtable; removal never converts back.
	s = NewSetFor("a", 1)
	for i := range 128 {
		setAdd(s, "m"+strconv.Itoa(i))
	}
	if repr(s) != "listpack" {
		t.Fatal(repr(s))
	}
	setAdd(s, "m128")
	if repr(s) != "hashtable" {
		t.Fatal(repr(s))
	}
	for i := range 128 {
		setRemove(s, "m"+strconv.Itoa(i))
	}
	if repr(s) != "hashtable" || s.Len() != 1 {
		t.Fatal(repr(s), s.Len())
	}
	// maybeConvert: an SADD of more members than fit converts up front.
	s = NewSetFor("a", 1)
	setAdd(s, "a")
	s.maybeConvert(129)
	if repr(s) != "hashtable" || !setHas(s, "a") {
		t.Fatal(repr(s))
	}
}

// TestSetAgainstModel runs random adds and removes on every encoding path
// and compares with a Go map model.
func TestSetAgainstModel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		model := map[string]bool{}
		universe := []int{20, 200, 3000}[round%3]
		strs := round%2 == 0
		member := func() string {
			n := rnd.IntN(universe)
			if strs && n%5 == 0 {
				return "s" + strconv.Itoa(n)
			}
			return strconv.Itoa(n)
		}
		first := member()
		s := NewSetFor(first, 1)
		for i := range 6000 {
			m := member()
			if rnd.IntN(3) > 0 {
				if got := setAdd(s, []byte(m)); got == model[m] {
					t.Fatalf("round %d op %d: add %q = %v with model %v", round, i, m, got, model[m])
				}
				model[m] = true
			} else {
				if got := setRemove(s, m); got != model[m] {
					t.Fatalf("round %d op %d: remove %q = %v with model %v", round, i, m, got, model[m])
				}
				delete(model, m)
			}
			if i%50 == 0 && s.Len() > 1 { // SPOP, which builds the hash cache
				for _, m := range s.popRanks(1+i%3, rnd.IntN) {
					if !model[m] {
						t.Fatalf("round %d: popped %q, not a member", round, m)
					}
					delete(model, m)
				}
			}
			if s.Len() != len(model) {
				t.Fatalf("round %d: Len %d, model %d", round, s.Len(), len(model))
			}
			checkHashCache(t, s)
		}
		for m := range model {
			if !setHas(s, m) || !setHas(s, []byte(m)) {
				t.Fatalf("round %d: %q missing", round, m)
			}
		}
		if s.enc == encHashtable {
			checkHashSet(t, s.ht)
		}
		c := s.Clone()
		setAdd(s, "added-after-clone")
		if setHas(c, "added-after-clone") || c.Len() != len(model) {
			t.Fatal("clone shares state")
		}
	}
}

// checkHashSet verifies the hashtable's invariants: members in canonical
// order, in the right buckets, and the Fenwick tree's ranks.
func checkHashSet(t *testing.T, ht *hashSet) {
	t.Helper()
	n := 0
	var prev *setEntry
	for bi, bk := range ht.b {
		for i := range bk {
			e := &bk[i]
			if int(e.h>>ht.shift) != bi {
				t.Fatalf("%q in bucket %d", e.s, bi)
			}
			if e.h != memberHash(e.s) {
				t.Fatalf("%q: stale hash", e.s)
			}
			if prev != nil && (prev.h > e.h || prev.h == e.h && prev.s >= e.s) {
				t.Fatalf("order broken at %q", e.s)
			}
			prev = e
			n++
		}
	}
	if n != ht.n {
		t.Fatalf("n = %d, counted %d", ht.n, n)
	}
	r := 0
	for bi, bk := range ht.b {
		for i := range bk {
			if gb, gi := ht.rank(r); gb != bi || gi != i {
				t.Fatalf("rank(%d) = %d,%d want %d,%d", r, gb, gi, bi, i)
			}
			r++
		}
	}
}

func TestSetHashGrowShrink(t *testing.T) {
	s := NewSetFor("x", 1000)
	for i := range 100000 {
		setAdd(s, "k"+strconv.Itoa(i))
	}
	checkHashSet(t, s.ht)
	big := len(s.ht.b)
	for i := range 99990 {
		setRemove(s, "k"+strconv.Itoa(i))
	}
	checkHashSet(t, s.ht)
	if len(s.ht.b) >= big || len(s.ht.b) != hsMinBuckets {
		t.Fatalf("buckets %d after shrinking from %d", len(s.ht.b), big)
	}
}

// The canonical rank of a member depends only on the set's contents: a set
// with the same members has the same canonical order in every encoding.
func TestSetCanonicalOrderIndependentOfEncoding(t *testing.T) {
	members := []string{}
	for i := range 100 {
		members = append(members, strconv.Itoa(i*7))
	}
	intset := NewSetFor(members[0], len(members))
	for _, m := range members {
		setAdd(intset, m)
	}
	lp := &Set{enc: encListpack}
	for _, m := range slices.Backward(members) {
		setAdd(lp, m)
	}
	ht := &Set{enc: encHashtable, ht: newHashSet(0)}
	for _, m := range members {
		setAdd(ht, m)
	}
	if intset.Encoding() != "intset" || repr(lp) != "listpack" || ht.Encoding() != "hashtable" {
		t.Fatal(intset.Encoding(), lp.Encoding(), ht.Encoding())
	}
	canon := func(s *Set) []string {
		var out []string
		for _, e := range s.canonicalOrder() {
			out = append(out, s.memberAt(e.idx))
		}
		return out
	}
	want := ht.Members() // a hashtable iterates in canonical order
	if !slices.Equal(canon(intset), want) || !slices.Equal(canon(lp), want) {
		t.Fatal("canonical orders differ between encodings")
	}
	// And popping with the same random stream gives the same members.
	pop := func(s *Set) []string {
		r := rand.New(rand.NewPCG(42, 42))
		return s.popRanks(60, r.IntN)
	}
	a, b, c := pop(intset), pop(lp), pop(ht)
	if !slices.Equal(a, b) || !slices.Equal(a, c) {
		t.Fatalf("pops differ:\n%q\n%q\n%q", a, b, c)
	}
	if !slices.Equal(setContents(intset), setContents(lp)) || !slices.Equal(setContents(lp), setContents(ht)) {
		t.Fatal("remaining members differ")
	}
}

// TestSetHasNoMaps: SPOP must never depend on Go map iteration order, which is
// randomized per process; the set's structures contain no map at all.
func TestSetHasNoMaps(t *testing.T) {
	var check func(typ reflect.Type, path string, seen map[reflect.Type]bool)
	check = func(typ reflect.Type, path string, seen map[reflect.Type]bool) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Map:
			t.Fatalf("%s is a map", path)
		case reflect.Pointer, reflect.Slice, reflect.Array:
			check(typ.Elem(), path+"[]", seen)
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				check(f.Type, path+"."+f.Name, seen)
			}
		}
	}
	check(reflect.TypeOf(Set{}), "Set", map[reflect.Type]bool{})
}

func TestSetAppendRewrite(t *testing.T) {
	s := NewSetFor("a", 200)
	for i := range 200 {
		setAdd(s, "m"+strconv.Itoa(i))
	}
	buf := s.AppendRewrite(nil, "k")
	// 200 members: batches of 64, 64, 64, 8.
	h := replay(t, buf)
	v, _, ok := h.store.DBs[0].Peek("k")
	if !ok || !slices.Equal(setContents(v.(*Set)), setContents(s)) {
		t.Fatal("rewrite does not recreate the set")
	}
	if got := countPrefix(string(buf), "*66\r\n$4\r\nSADD\r\n"); got != 3 {
		t.Fatalf("%d full batches, want 3", got)
	}
	if got := countPrefix(string(buf), "*10\r\n$4\r\nSADD\r\n"); got != 1 {
		t.Fatalf("%d tail batches, want 1", got)
	}
	if empty := (&Set{enc: encIntset}).AppendRewrite(nil, "k"); len(empty) != 0 {
		t.Fatalf("empty set rewrite %q", empty)
	}
}

func countPrefix(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

// rankIndex (quickselect) agrees with the sorted canonical order.
func TestSetRankIndexMatchesCanonicalOrder(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for round := range 50 {
		var s *Set
		n := 1 + rnd.IntN(128)
		if round%2 == 0 {
			s = NewSetFor("1", 1)
			for s.Len() < n {
				setAdd(s, strconv.Itoa(rnd.IntN(100000)-50000))
			}
		} else {
			s = NewSetFor("a", 1)
			for s.Len() < n {
				setAdd(s, "m"+strconv.Itoa(rnd.IntN(1000)))
			}
		}
		order := s.canonicalOrder()
		for r := range n {
			if got := s.rankIndex(r); got != order[r].idx {
				t.Fatalf("round %d rank %d: %d, want %d", round, r, got, order[r].idx)
			}
		}
	}
}

func checkHashCache(t *testing.T, s *Set) {
	t.Helper()
	if s.hashes == nil {
		return
	}
	if s.enc == encHashtable || len(s.hashes) != s.Len() {
		t.Fatalf("hash cache: %d entries for %d members in %s", len(s.hashes), s.Len(), s.Encoding())
	}
	for i, h := range s.hashes {
		if m := s.memberAt(int32(i)); h != memberHash(m) {
			t.Fatalf("hash cache stale at %d (%q)", i, m)
		}
	}
}

// repr names the representation a set is held in; Encoding says
// "hashtable" for both encListpack and encHashtable.
func repr(s *Set) string {
	if s.enc == encListpack {
		return "listpack"
	}
	return s.Encoding()
}
