package commands

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/geomys/geomys/rdb"
)

// Set is an unordered collection of distinct strings. Users see Redis 7.0's
// two encodings (set-max-intset-entries 512):
//
//   - intset: every member is an integer (Redis' string2ll) and there are at
//     most 512 of them: a sorted []int64.
//   - hashtable: anything else.
//
// Inside, a hashtable that is small (at most setListpackEntries members of at
// most setListpackValue bytes, Redis 7.2's listpack rule) is a []string in
// insertion order (encListpack: removal keeps the order), which takes a
// fraction of a hashSet's memory; OBJECT ENCODING, DEBUG OBJECT, DUMP, MEMORY
// USAGE and lazy freeing treat it as the hashtable Redis 7.0 would hold.
//
// A set never goes back to a smaller encoding, as in Redis.
//
// Determinism. SPOP runs inside the FSM and must pick the same members on
// every node, but a node restored from a snapshot (SADD batches) may hold a
// set in another encoding, or with its members in another internal order,
// than the node that built it from the log. So random picks never depend on
// the representation: members are ranked by a canonical order, (memberHash,
// member), a pure function of the set's contents, and SPOP takes the member
// at a rank drawn from c.Rand. The hashtable keeps its members in exactly
// that order, so a rank is found in O(log n); the small encodings sort at
// most 512 hashes. No Go map is ever ranged over.
type Set struct {
	enc  uint8
	ints []int64  // encIntset, sorted
	strs []string // encListpack, insertion order
	ht   *hashSet // encHashtable
	// hashes caches memberHash of ints[i] / strs[i] for a small set that
	// SPOP was used on (nil until then, and after a conversion), so a pop
	// does not hash every member again.
	hashes []uint64
}

const (
	encIntset uint8 = iota
	encListpack
	encHashtable
)

// NewSetFor returns an empty set in the encoding Redis 7.0's setTypeCreate
// picks for a set whose first member is first: an intset for an integer,
// whatever the number of members to come (they convert it as they arrive),
// else a hashtable, small (encListpack) for a sizeHint that fits one.
func NewSetFor[T ~string | ~[]byte](first T, sizeHint int) *Set {
	if _, ok := parseSetInt(first); ok {
		return &Set{enc: encIntset}
	}
	if sizeHint <= setListpackEntries {
		return &Set{enc: encListpack, strs: make([]string, 0, sizeHint)}
	}
	return &Set{enc: encHashtable, ht: newHashSet(sizeHint)}
}

// newIntsetSet is the empty intset the STORE commands start their result from.
func newIntsetSet() *Set { return &Set{enc: encIntset} }

// parseSetInt is Redis' string2ll: decides whether a member can live in an intset.
func parseSetInt[T ~string | ~[]byte](s T) (int64, bool) { return rdb.ParseInt(s) }

// memberHash is the deterministic hash that orders members canonically (the
// same on every node and across restarts).
func memberHash[T ~string | ~[]byte](s T) uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xff51afd7ed558ccd
	h := uint64(len(s)) * m1
	i := 0
	for ; i+8 <= len(s); i += 8 {
		v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		h = bits.RotateLeft64(h^(v*m2), 29) * m1
	}
	if i < len(s) {
		var v uint64
		for k := 0; i < len(s); i, k = i+1, k+8 {
			v |= uint64(s[i]) << k
		}
		h = bits.RotateLeft64(h^(v*m2), 29) * m1
	}
	return scanMix(h)
}

func intHash(v int64) uint64 {
	var buf [20]byte
	return memberHash(strconv.AppendInt(buf[:0], v, 10))
}

// Len is the number of members.
func (s *Set) Len() int {
	switch s.enc {
	case encIntset:
		return len(s.ints)
	case encListpack:
		return len(s.strs)
	}
	return s.ht.n
}

func (s *Set) intIndex(v int64) (int, bool) {
	return slices.BinarySearch(s.ints, v)
}

// Has reports whether m is a member.
func setHas[T ~string | ~[]byte](s *Set, m T) bool {
	switch s.enc {
	case encIntset:
		v, ok := parseSetInt(m)
		if !ok {
			return false
		}
		_, found := s.intIndex(v)
		return found
	case encListpack:
		for _, e := range s.strs {
			if e == string(m) {
				return true
			}
		}
		return false
	}
	_, _, found := hsFind(s.ht, memberHash(m), m)
	return found
}

// setAdd adds m; reports whether it was new. Encodings convert as in Redis
// 7.0's setTypeAdd: an intset takes a non-integer or its
// set-max-intset-entries+1st member as a hashtable (a small one, encListpack,
// when it fits).
func setAdd[T ~string | ~[]byte](s *Set, m T) bool {
	switch s.enc {
	case encIntset:
		if v, ok := parseSetInt(m); ok {
			i, found := s.intIndex(v)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, v)
			if s.hashes != nil {
				s.hashes = slices.Insert(s.hashes, i, intHash(v))
			}
			if len(s.ints) > setMaxIntsetEntries() {
				s.convert(encHashtable, len(s.ints))
			}
			return true
		}
		maxLen := 0
		if n := len(s.ints); n > 0 {
			maxLen = max(digits10(s.ints[0]), digits10(s.ints[n-1]))
		}
		if len(s.ints) < setListpackEntries && len(m) <= setListpackValue && maxLen <= setListpackValue {
			s.convert(encListpack, len(s.ints)+1)
		} else {
			s.convert(encHashtable, len(s.ints)+1)
		}
		// m is not an integer, so it is not a member yet.
		if s.enc == encListpack {
			s.strs = append(s.strs, string(m))
		} else {
			s.ht.insert(memberHash(m), string(m))
		}
		return true
	case encListpack:
		for _, e := range s.strs {
			if e == string(m) {
				return false
			}
		}
		if len(s.strs) < setListpackEntries && len(m) <= setListpackValue {
			s.strs = append(s.strs, string(m))
			if s.hashes != nil {
				s.hashes = append(s.hashes, memberHash(m))
			}
			return true
		}
		s.convert(encHashtable, len(s.strs)+1)
		s.ht.insert(memberHash(m), string(m))
		return true
	}
	h := memberHash(m)
	bi, i, found := hsFind(s.ht, h, m)
	if found {
		return false
	}
	s.ht.insertAt(bi, i, setEntry{h, string(m)})
	return true
}

// setRemove removes m; reports whether it was a member.
func setRemove[T ~string | ~[]byte](s *Set, m T) bool {
	switch s.enc {
	case encIntset:
		v, ok := parseSetInt(m)
		if !ok {
			return false
		}
		i, found := s.intIndex(v)
		if !found {
			return false
		}
		s.ints = slices.Delete(s.ints, i, i+1)
		if s.hashes != nil {
			s.hashes = slices.Delete(s.hashes, i, i+1)
		}
		return true
	case encListpack:
		for i, e := range s.strs {
			if e == string(m) {
				s.strs = slices.Delete(s.strs, i, i+1)
				if s.hashes != nil {
					s.hashes = slices.Delete(s.hashes, i, i+1)
				}
				return true
			}
		}
		return false
	}
	bi, i, found := hsFind(s.ht, memberHash(m), m)
	if !found {
		return false
	}
	s.ht.removeAt(bi, i)
	return true
}

func digits10(v int64) int {
	var buf [20]byte
	return len(strconv.AppendInt(buf[:0], v, 10))
}

// convert moves the members to encoding enc (listpack or hashtable).
func (s *Set) convert(enc uint8, sizeHint int) {
	s.hashes = nil
	switch enc {
	case encListpack:
		strs := make([]string, 0, max(sizeHint, len(s.ints)))
		for _, v := range s.ints {
			strs = append(strs, strconv.FormatInt(v, 10))
		}
		s.enc, s.strs, s.ints = encListpack, strs, nil
	case encHashtable:
		ht := newHashSet(max(sizeHint, s.Len()))
		s.Each(func(m string) bool {
			ht.insert(memberHash(m), m)
			return true
		})
		s.enc, s.ht, s.ints, s.strs = encHashtable, ht, nil, nil
	}
}

// Each calls fn for every member in the representation's order (sorted for
// an intset, insertion order for a listpack, canonical for a hashtable)
// until fn returns false.
func (s *Set) Each(fn func(m string) bool) {
	switch s.enc {
	case encIntset:
		for _, v := range s.ints {
			if !fn(strconv.FormatInt(v, 10)) {
				return
			}
		}
	case encListpack:
		for _, m := range s.strs {
			if !fn(m) {
				return
			}
		}
	default:
		for _, bk := range s.ht.b {
			for _, e := range bk {
				if !fn(e.s) {
					return
				}
			}
		}
	}
}

// Members returns every member in the order of Each.
func (s *Set) Members() []string {
	out := make([]string, 0, s.Len())
	s.Each(func(m string) bool {
		out = append(out, m)
		return true
	})
	return out
}

// at returns the member at position i of Each's order (0 <= i < Len); for
// reads, which may use any order.
func (s *Set) at(i int) string {
	switch s.enc {
	case encIntset:
		return strconv.FormatInt(s.ints[i], 10)
	case encListpack:
		return s.strs[i]
	}
	bi, off := s.ht.rank(i)
	return s.ht.b[bi][off].s
}

// writeMembers writes every member as bulk strings (after the caller wrote
// the aggregate header).
func (s *Set) writeMembers(r *Reply) {
	switch s.enc {
	case encIntset:
		for _, v := range s.ints {
			r.BulkInt(v)
		}
	case encListpack:
		for _, m := range s.strs {
			r.BulkString(m)
		}
	default:
		for _, bk := range s.ht.b {
			for _, e := range bk {
				r.BulkString(e.s)
			}
		}
	}
}

// smallHashes returns (building it if needed) the hash cache of a small set.
func (s *Set) smallHashes() []uint64 {
	if s.hashes != nil || s.Len() == 0 {
		return s.hashes
	}
	hs := make([]uint64, s.Len(), cap(s.ints)+cap(s.strs))
	for i := range hs {
		if s.enc == encIntset {
			hs[i] = intHash(s.ints[i])
		} else {
			hs[i] = memberHash(s.strs[i])
		}
	}
	s.hashes = hs
	return hs
}

// rankEntry is a small-encoding member's canonical sort key.
type rankEntry struct {
	h   uint64
	idx int32
}

func (s *Set) memberAt(idx int32) string {
	if s.enc == encIntset {
		return strconv.FormatInt(s.ints[idx], 10)
	}
	return s.strs[idx]
}

// canonicalOrder returns the small set's member indexes sorted by the
// canonical order (memberHash, member).
func (s *Set) canonicalOrder() []rankEntry {
	hs := s.smallHashes()
	order := make([]rankEntry, len(hs))
	for i, h := range hs {
		order[i] = rankEntry{h, int32(i)}
	}
	slices.SortFunc(order, func(a, b rankEntry) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return strings.Compare(s.memberAt(a.idx), s.memberAt(b.idx))
	})
	return order
}

func (s *Set) rankLess(a, b rankEntry) bool {
	if a.h != b.h || a.idx == b.idx {
		return a.h < b.h
	}
	return s.memberAt(a.idx) < s.memberAt(b.idx)
}

// rankIndex returns the index (in ints or strs) of the small set's member
// of canonical rank r in O(n) without sorting: count the hashes by their top
// byte, find the byte value holding rank r and sort only those few.
func (s *Set) rankIndex(r int) int32 {
	hs := s.smallHashes()
	var cnt [256]uint16
	for _, h := range hs {
		cnt[h>>56]++
	}
	top, below := 0, 0
	for below+int(cnt[top]) <= r {
		below += int(cnt[top])
		top++
	}
	var buf [16]rankEntry
	cand := buf[:0]
	for i, h := range hs {
		if int(h>>56) == top {
			cand = append(cand, rankEntry{h, int32(i)})
		}
	}
	slices.SortFunc(cand, func(a, b rankEntry) int {
		switch {
		case s.rankLess(a, b):
			return -1
		case s.rankLess(b, a):
			return 1
		}
		return 0
	})
	return cand[r-below].idx
}

// popOneSmall removes and returns the small set's member of canonical rank r.
func (s *Set) popOneSmall(r int) string {
	idx := s.rankIndex(r)
	s.hashes = slices.Delete(s.hashes, int(idx), int(idx)+1)
	if s.enc == encIntset {
		m := strconv.FormatInt(s.ints[idx], 10)
		s.ints = slices.Delete(s.ints, int(idx), int(idx)+1)
		return m
	}
	m := s.strs[idx]
	s.strs = slices.Delete(s.strs, int(idx), int(idx)+1)
	return m
}

// popRanks removes count members (count < Len), the k-th of which is the
// member at canonical rank intn(Len()-k) among those left, and returns them in
// that order. intn is c.Rand.IntN: the picks depend only on the contents of
// the set and the random stream, never on encoding or history.
func (s *Set) popRanks(count int, intn func(int) int) []string {
	out := make([]string, 0, count)
	if s.enc == encHashtable {
		for range count {
			bi, off := s.ht.rank(intn(s.ht.n))
			out = append(out, s.ht.b[bi][off].s)
			s.ht.removeAt(bi, off)
		}
		return out
	}
	if count == 1 {
		return append(out, s.popOneSmall(intn(s.Len())))
	}
	order := s.canonicalOrder()
	drop := make([]bool, s.Len())
	for range count {
		r := intn(len(order))
		idx := order[r].idx
		out = append(out, s.memberAt(idx))
		drop[idx] = true
		order = slices.Delete(order, r, r+1)
	}
	s.hashes = nil
	if s.enc == encIntset {
		kept := s.ints[:0]
		for i, v := range s.ints {
			if !drop[i] {
				kept = append(kept, v)
			}
		}
		s.ints = kept
	} else {
		kept := s.strs[:0]
		for i, m := range s.strs {
			if !drop[i] {
				kept = append(kept, m)
			}
		}
		clear(s.strs[len(kept):])
		s.strs = kept
	}
	return out
}

// Clone returns an independent copy (members are immutable strings).
func (s *Set) Clone() *Set {
	c := &Set{enc: s.enc}
	switch s.enc {
	case encIntset:
		c.ints = slices.Clone(s.ints)
	case encListpack:
		c.strs = slices.Clone(s.strs)
	default:
		c.ht = s.ht.clone()
	}
	return c
}

// Collection implementation.

func (s *Set) TypeName() string       { return "set" }
func (s *Set) CloneValue() Collection { return s.Clone() }
func (s *Set) Encoding() string {
	if s.enc == encIntset {
		return "intset"
	}
	return "hashtable" // encListpack too: Redis 7.0 has no listpack sets
}

// AppendRewrite emits SADD key m ... in batches of rewriteBatch members.
func (s *Set) AppendRewrite(buf []byte, key string) []byte {
	var stack [2 + rewriteBatch]string // no garbage per key in a snapshot
	args := stack[:0]
	args = append(args, "SADD", key)
	s.Each(func(m string) bool {
		buf, args = emitFull(buf, append(args, m), 2+rewriteBatch)
		return true
	})
	return emitRest(buf, args)
}

// --- hashSet: the hashtable encoding ---

// hashSet is a hash table whose buckets are indexed by the top bits of
// memberHash and kept sorted by (hash, member): walking the buckets in order
// visits the members in canonical order. A Fenwick tree over the bucket sizes
// finds the member of a given canonical rank in O(log buckets), which is what
// SPOP and SRANDMEMBER need. Buckets hold about 0.5 to 4 members; growing
// splits each bucket in two (by the next hash bit) without rehashing.
type hashSet struct {
	b     [][]setEntry
	shift uint // bucket index = hash >> shift
	n     int
	fen   []int32 // 1-based Fenwick tree of len(b[i])
}

type setEntry struct {
	h uint64
	s string
}

const hsMinBuckets = 16

func newHashSet(hint int) *hashSet {
	nb := hsMinBuckets
	for nb*2 < hint {
		nb <<= 1
	}
	t := &hashSet{b: make([][]setEntry, nb), shift: uint(64 - bits.TrailingZeros(uint(nb)))}
	t.rebuildFen()
	return t
}

func (t *hashSet) clone() *hashSet {
	c := &hashSet{b: make([][]setEntry, len(t.b)), shift: t.shift, n: t.n, fen: slices.Clone(t.fen)}
	for i, bk := range t.b {
		if len(bk) > 0 {
			c.b[i] = slices.Clone(bk)
		}
	}
	return c
}

// hsFind locates m (hash h): its bucket, and its index there or where it
// would be inserted.
func hsFind[T ~string | ~[]byte](t *hashSet, h uint64, m T) (bi, i int, found bool) {
	bi = int(h >> t.shift)
	bk := t.b[bi]
	for i = range bk {
		e := &bk[i]
		if e.h < h {
			continue
		}
		if e.h > h {
			return bi, i, false
		}
		if e.s == string(m) {
			return bi, i, true
		}
		if e.s > string(m) {
			return bi, i, false
		}
	}
	return bi, len(bk), false
}

// insert adds a member known to be absent.
func (t *hashSet) insert(h uint64, m string) {
	bi, i, _ := hsFind(t, h, m)
	t.insertAt(bi, i, setEntry{h, m})
}

func (t *hashSet) insertAt(bi, i int, e setEntry) {
	t.b[bi] = slices.Insert(t.b[bi], i, e)
	t.n++
	t.fenAdd(bi, 1)
	if t.n > 4*len(t.b) {
		t.grow()
	}
}

func (t *hashSet) removeAt(bi, i int) {
	bk := slices.Delete(t.b[bi], i, i+1)
	if len(bk) == 0 {
		bk = nil
	}
	t.b[bi] = bk
	t.n--
	t.fenAdd(bi, -1)
	if len(t.b) > hsMinBuckets && t.n < len(t.b)/2 {
		t.shrink()
	}
}

// grow doubles the buckets: bucket i splits into 2i and 2i+1 by the next
// hash bit; being sorted by hash, it splits at one point.
func (t *hashSet) grow() {
	nb := make([][]setEntry, 2*len(t.b))
	bit := t.shift - 1
	for i, bk := range t.b {
		k := 0
		for k < len(bk) && (bk[k].h>>bit)&1 == 0 {
			k++
		}
		if k > 0 {
			nb[2*i] = bk[:k:k] // capped: appending reallocates, never overwrites 2i+1
		}
		if k < len(bk) {
			nb[2*i+1] = bk[k:]
		}
	}
	t.b, t.shift = nb, bit
	t.rebuildFen()
}

// shrink halves the buckets, merging 2i and 2i+1 (already in order).
func (t *hashSet) shrink() {
	nb := make([][]setEntry, len(t.b)/2)
	for i := range nb {
		a, b := t.b[2*i], t.b[2*i+1]
		if len(a)+len(b) > 0 {
			m := make([]setEntry, 0, len(a)+len(b))
			nb[i] = append(append(m, a...), b...)
		}
	}
	t.b, t.shift = nb, t.shift+1
	t.rebuildFen()
}

func (t *hashSet) rebuildFen() {
	nb := len(t.b)
	if cap(t.fen) >= nb+1 {
		t.fen = t.fen[:nb+1]
		clear(t.fen)
	} else {
		t.fen = make([]int32, nb+1)
	}
	for i := 1; i <= nb; i++ {
		t.fen[i] += int32(len(t.b[i-1]))
		if j := i + i&-i; j <= nb {
			t.fen[j] += t.fen[i]
		}
	}
}

func (t *hashSet) fenAdd(bi int, d int32) {
	for i := bi + 1; i < len(t.fen); i += i & -i {
		t.fen[i] += d
	}
}

// rank returns the bucket and offset of the member of canonical rank r (0 <= r < n).
func (t *hashSet) rank(r int) (bi, off int) {
	pos, rem := 0, int32(r)
	for step := len(t.b); step > 0; step >>= 1 {
		if next := pos + step; next < len(t.fen) && t.fen[next] <= rem {
			pos = next
			rem -= t.fen[next]
		}
	}
	return pos, int(rem)
}

// maybeConvert makes a small hashtable (encListpack) a hashSet up front when
// an SADD of sizeHint members could not fit in it. An intset is left to
// convert as its members arrive, as in Redis 7.0 (7.2 converts it up front,
// duplicates and all).
func (s *Set) maybeConvert(sizeHint int) {
	if s.wouldConvert(sizeHint) {
		s.convert(encHashtable, sizeHint)
	}
}

func (s *Set) wouldConvert(sizeHint int) bool {
	return s.enc == encListpack && sizeHint > setListpackEntries
}
