package commands

import (
	"sort"
	"unsafe"

	"github.com/geomys/geomys/resp"
)

// ZSet is a sorted set: members ordered by (score, member bytes).
//
// Like Redis it has two encodings. A small set (at most zsetMaxListpackEntries
// members, none longer than zsetMaxListpackValue bytes) is a sorted slice
// ("listpack"): binary search by score, linear search by member, which is
// faster and smaller than anything else at that size. A set that outgrows
// those limits becomes a skiplist with spans (O(log n) insert, delete, rank
// and rank-to-element, as Redis' zskiplist) plus a member → score map; like
// Redis it never converts back (except results stored by Z*STORE commands,
// which are built fresh).
type ZSet struct {
	lp   []zEntry // listpack encoding, sorted; unused when zsl != nil
	zsl  *zskiplist
	dict *zdict // member -> node, skiplist encoding only
}

type zEntry struct {
	member string
	score  float64
}

// zLess orders entries by score, then member bytes.
func zLess(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || s1 == s2 && m1 < m2
}

func NewZSet() *ZSet { return &ZSet{} }

func (z *ZSet) TypeName() string { return "zset" }
func (z *ZSet) Encoding() string {
	if z.zsl != nil {
		return "skiplist"
	}
	return "listpack"
}

func (z *ZSet) CloneValue() Collection { return z.Clone() }

// Clone returns an independent copy with the same encoding.
func (z *ZSet) Clone() *ZSet {
	if z.zsl == nil {
		return &ZSet{lp: append([]zEntry(nil), z.lp...)}
	}
	c := &ZSet{zsl: newZsl(), dict: newZdict(z.zsl.length)}
	for x := z.zsl.header.lv(0).forward; x != nil; x = x.lv(0).forward {
		c.dict.insert(c.zsl.insert(x.score, x.member))
	}
	return c
}

// AppendRewrite emits ZADD key score member ... in batches of rewriteBatch
// pairs; scores use %.17g (or inf/-inf), which reads back exactly.
func (z *ZSet) AppendRewrite(buf []byte, key string) []byte {
	return z.appendRewriteRange(buf, key, 0, z.Len())
}

// appendRewriteRange emits the ZADDs for ranks [from, to).
func (z *ZSet) appendRewriteRange(buf []byte, key string, from, to int) []byte {
	n := to - from
	args := make([][]byte, 0, 2+2*min(n, rewriteBatch))
	var scratch []byte
	i := 0
	z.Range(from, to, false, func(e zEntry) {
		if i%rewriteBatch == 0 {
			args = append(args[:0], []byte("ZADD"), []byte(key))
			scratch = scratch[:0]
		}
		start := len(scratch)
		scratch = AppendFloat(scratch, e.score)
		args = append(args, scratch[start:len(scratch):len(scratch)], []byte(e.member))
		i++
		if i%rewriteBatch == 0 || i == n {
			buf = resp.AppendCommand(buf, args...)
		}
	})
	return buf
}

func (z *ZSet) Len() int {
	if z.zsl != nil {
		return z.zsl.length
	}
	return len(z.lp)
}

// lpFind returns the index of member in the listpack, or -1.
func (z *ZSet) lpFind(member string) int {
	for i := range z.lp {
		if z.lp[i].member == member {
			return i
		}
	}
	return -1
}

// lpSearch returns the index where (score, member) belongs in the listpack.
func (z *ZSet) lpSearch(score float64, member string) int {
	return sort.Search(len(z.lp), func(i int) bool {
		return !zLess(z.lp[i].score, z.lp[i].member, score, member)
	})
}

// Score returns member's score.
func (z *ZSet) Score(member string) (float64, bool) {
	if z.zsl != nil {
		if x := z.dict.get(member); x != nil {
			return x.score, true
		}
		return 0, false
	}
	if i := z.lpFind(member); i >= 0 {
		return z.lp[i].score, true
	}
	return 0, false
}

// ScoreBytes is Score for an argument, without converting it to a string.
func (z *ZSet) ScoreBytes(member []byte) (float64, bool) {
	if z.zsl != nil {
		if x := z.dict.getBytes(member); x != nil {
			return x.score, true
		}
		return 0, false
	}
	for i := range z.lp {
		if z.lp[i].member == string(member) {
			return z.lp[i].score, true
		}
	}
	return 0, false
}

// convert switches to the skiplist encoding.
func (z *ZSet) convert() {
	if z.zsl != nil {
		return
	}
	z.zsl = newZsl()
	z.dict = newZdict(len(z.lp))
	for _, e := range z.lp {
		z.dict.insert(z.zsl.insert(e.score, e.member))
	}
	z.lp = nil
}

// Insert adds a member that is not in the set.
func (z *ZSet) Insert(member string, score float64) {
	if z.zsl == nil && (len(z.lp)+1 > zsetMaxListpackEntries() || len(member) > zsetMaxListpackValue()) {
		z.convert()
	}
	if z.zsl != nil {
		z.dict.insert(z.zsl.insert(score, member))
		return
	}
	if score == 0 {
		score = 0 // a listpack stores -0 as "0" (d2string)
	}
	i := z.lpSearch(score, member)
	z.lp = append(z.lp, zEntry{})
	copy(z.lp[i+1:], z.lp[i:])
	z.lp[i] = zEntry{member, score}
}

// Update changes the score of a member from old to score.
func (z *ZSet) Update(member string, old, score float64) {
	if z.zsl != nil {
		if x, moved := z.zsl.updateScore(old, member, score); moved {
			z.dict.replace(x)
		}
		return
	}
	if score == 0 {
		score = 0 // a listpack stores -0 as "0" (d2string)
	}
	i := z.lpFind(member)
	z.lp = append(z.lp[:i], z.lp[i+1:]...)
	j := z.lpSearch(score, member)
	z.lp = append(z.lp, zEntry{})
	copy(z.lp[j+1:], z.lp[j:])
	z.lp[j] = zEntry{member, score}
}

// Remove deletes member; it reports whether it was there.
func (z *ZSet) Remove(member string) bool {
	if z.zsl != nil {
		x := z.dict.get(member)
		if x == nil {
			return false
		}
		z.zsl.delete(x.score, member)
		z.dict.delete(member)
		return true
	}
	i := z.lpFind(member)
	if i < 0 {
		return false
	}
	z.lp = append(z.lp[:i], z.lp[i+1:]...)
	z.lp[len(z.lp):cap(z.lp)][0] = zEntry{} // drop the reference
	return true
}

// Rank returns member's 0-based rank in ascending order and its score.
func (z *ZSet) Rank(member string) (int, float64, bool) {
	if z.zsl != nil {
		x := z.dict.get(member)
		if x == nil {
			return 0, 0, false
		}
		return z.zsl.rank(x.score, member) - 1, x.score, true
	}
	i := z.lpFind(member)
	if i < 0 {
		return 0, 0, false
	}
	return i, z.lp[i].score, true
}

// At returns the entry of 0-based rank i (0 <= i < Len).
func (z *ZSet) At(i int) zEntry {
	if z.zsl != nil {
		x := z.zsl.byRank(i + 1)
		return zEntry{x.member, x.score}
	}
	return z.lp[i]
}

// Range calls fn for ranks [i, j): ascending, or descending from j-1 to i
// when rev.
func (z *ZSet) Range(i, j int, rev bool, fn func(e zEntry)) {
	if i >= j {
		return
	}
	if z.zsl == nil {
		if rev {
			for k := j - 1; k >= i; k-- {
				fn(z.lp[k])
			}
		} else {
			for k := i; k < j; k++ {
				fn(z.lp[k])
			}
		}
		return
	}
	if rev {
		x := z.zsl.byRank(j)
		for k := j - 1; k >= i; k-- {
			fn(zEntry{x.member, x.score})
			x = x.backward
		}
		return
	}
	x := z.zsl.byRank(i + 1)
	for k := i; k < j; k++ {
		fn(zEntry{x.member, x.score})
		x = x.lv(0).forward
	}
}

// countWhile returns how many leading entries (in order) satisfy pred, which
// must hold for a prefix of the set and fail for the rest.
func (z *ZSet) countWhile(pred func(score float64, member string) bool) int {
	if z.zsl != nil {
		return z.zsl.countWhile(pred)
	}
	return sort.Search(len(z.lp), func(i int) bool { return !pred(z.lp[i].score, z.lp[i].member) })
}

// ScoreRange returns the ranks [lo, hi) of the entries within r.
func (z *ZSet) ScoreRange(r scoreRange) (lo, hi int) {
	lo = z.countWhile(func(s float64, _ string) bool {
		return s < r.min || r.minex && s == r.min
	})
	hi = z.countWhile(func(s float64, _ string) bool {
		return s < r.max || !r.maxex && s == r.max
	})
	return lo, max(lo, hi)
}

// LexRange returns the ranks [lo, hi) of the entries within r (meaningful
// when all scores are equal, as in Redis).
func (z *ZSet) LexRange(r lexRange) (lo, hi int) {
	lo = z.countWhile(func(_ float64, m string) bool { return !r.gteMin(m) })
	hi = z.countWhile(func(_ float64, m string) bool { return r.lteMax(m) })
	return lo, max(lo, hi)
}

// RemoveRange deletes the entries of ranks [i, j) and returns how many.
func (z *ZSet) RemoveRange(i, j int) int {
	if i >= j {
		return 0
	}
	if z.zsl != nil {
		return z.zsl.deleteRangeByRank(i+1, j, z.dict)
	}
	n := len(z.lp)
	z.lp = append(z.lp[:i], z.lp[j:]...)
	clear(z.lp[len(z.lp):n])
	return j - i
}

// zsetFromSorted builds a set from entries sorted by (score, member) with
// distinct members, choosing the encoding Redis ends up with for a result
// stored by Z*STORE.
func zsetFromSorted(ents []zEntry) *ZSet {
	fits := len(ents) <= zsetMaxListpackEntries()
	for i := 0; fits && i < len(ents); i++ {
		fits = len(ents[i].member) <= zsetMaxListpackValue()
	}
	if fits {
		return &ZSet{lp: ents}
	}
	z := &ZSet{zsl: newZsl(), dict: newZdict(len(ents))}
	for _, e := range ents {
		z.dict.insert(z.zsl.insert(e.score, e.member))
	}
	return z
}

// --- ranges ---

// scoreRange is a parsed score interval: min/max with exclusive flags.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

// lexRange is a parsed lex interval; kind -1 is "-" and +1 is "+".
type lexRange struct {
	min, max         string
	minKind, maxKind int
	minex, maxex     bool
}

func (r *lexRange) gteMin(m string) bool {
	switch r.minKind {
	case -1:
		return true
	case 1:
		return false
	}
	if r.minex {
		return m > r.min
	}
	return m >= r.min
}

func (r *lexRange) lteMax(m string) bool {
	switch r.maxKind {
	case -1:
		return false
	case 1:
		return true
	}
	if r.maxex {
		return m < r.max
	}
	return m <= r.max
}

// --- skiplist (a port of Redis' zskiplist) ---

const zslMaxLevel = 32

type zslLevel struct {
	forward *zslNode
	span    int
}

// zslNode is 48 bytes for a node of one level (three in four are): the
// levels are not a slice but follow the node in its allocation (newZslNode),
// reached by lv. As in Redis' zskiplistNode, a node does not record its
// height: every walk only follows a level where the node has one.
type zslNode struct {
	member   string
	score    float64
	backward *zslNode
	level0   zslLevel // levels 1 and up come next in the allocation
}

// lv returns level i of x (i below x's height).
func (x *zslNode) lv(i int) *zslLevel {
	return (*zslLevel)(unsafe.Add(unsafe.Pointer(&x.level0), uintptr(i)*unsafe.Sizeof(zslLevel{})))
}

type zskiplist struct {
	header *zslNode
	tail   *zslNode
	length int
	level  int
	rnd    uint64 // xorshift state: levels are deterministic, never observable
}

func newZsl() *zskiplist {
	return &zskiplist{header: newZslNode(zslMaxLevel), level: 1, rnd: 0x9E3779B97F4A7C15}
}

// randomLevel returns a level with P(level > k) = 4^-k, as Redis.
func (zsl *zskiplist) randomLevel() int {
	x := zsl.rnd
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	zsl.rnd = x
	lvl := 1
	for lvl < zslMaxLevel && x&3 == 0 {
		lvl++
		x >>= 2
	}
	return lvl
}

func (zsl *zskiplist) insert(score float64, member string) *zslNode {
	var update [zslMaxLevel]*zslNode
	var rank [zslMaxLevel]int
	x := zsl.header
	// stop is the node the level above stopped at: not less than the new
	// one, so meeting it again ends a level without comparing members
	// (long common prefixes make that compare the costly part).
	var stop *zslNode
	for i := zsl.level - 1; i >= 0; i-- {
		if i != zsl.level-1 {
			rank[i] = rank[i+1]
		}
		f := x.lv(i).forward
		for ; f != nil && f != stop && zLess(f.score, f.member, score, member); f = x.lv(i).forward {
			rank[i] += x.lv(i).span
			x = f
		}
		stop = f
		update[i] = x
	}
	level := zsl.randomLevel()
	if level > zsl.level {
		for i := zsl.level; i < level; i++ {
			rank[i] = 0
			update[i] = zsl.header
			update[i].lv(i).span = zsl.length
		}
		zsl.level = level
	}
	x = newZslNode(level)
	x.member, x.score = member, score
	for i := 0; i < level; i++ {
		x.lv(i).forward = update[i].lv(i).forward
		update[i].lv(i).forward = x
		x.lv(i).span = update[i].lv(i).span - (rank[0] - rank[i])
		update[i].lv(i).span = rank[0] - rank[i] + 1
	}
	for i := level; i < zsl.level; i++ {
		update[i].lv(i).span++
	}
	if update[0] != zsl.header {
		x.backward = update[0]
	}
	if x.lv(0).forward != nil {
		x.lv(0).forward.backward = x
	} else {
		zsl.tail = x
	}
	zsl.length++
	return x
}

// newZslNode allocates a node with its levels in one allocation: the
// levels past the first follow the node's own (see lv). Levels 1-4 cover
// 99.6% of nodes and get an exact fit; taller ones round up.
func newZslNode(level int) *zslNode {
	switch {
	case level == 1:
		return &zslNode{}
	case level == 2:
		return &(&struct {
			n zslNode
			l [1]zslLevel
		}{}).n
	case level == 3:
		return &(&struct {
			n zslNode
			l [2]zslLevel
		}{}).n
	case level == 4:
		return &(&struct {
			n zslNode
			l [3]zslLevel
		}{}).n
	case level <= 8:
		return &(&struct {
			n zslNode
			l [7]zslLevel
		}{}).n
	}
	return &(&struct {
		n zslNode
		l [zslMaxLevel - 1]zslLevel
	}{}).n
}

func (zsl *zskiplist) deleteNode(x *zslNode, update *[zslMaxLevel]*zslNode) {
	for i := 0; i < zsl.level; i++ {
		if update[i].lv(i).forward == x {
			update[i].lv(i).span += x.lv(i).span - 1
			update[i].lv(i).forward = x.lv(i).forward
		} else {
			update[i].lv(i).span--
		}
	}
	if x.lv(0).forward != nil {
		x.lv(0).forward.backward = x.backward
	} else {
		zsl.tail = x.backward
	}
	for zsl.level > 1 && zsl.header.lv(zsl.level-1).forward == nil {
		zsl.level--
	}
	zsl.length--
}

// findUpdate fills update with the last node before (score, member) on each level.
func (zsl *zskiplist) findUpdate(score float64, member string, update *[zslMaxLevel]*zslNode) *zslNode {
	x := zsl.header
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.lv(i).forward; f != nil && zLess(f.score, f.member, score, member); f = x.lv(i).forward {
			x = f
		}
		update[i] = x
	}
	return x.lv(0).forward
}

func (zsl *zskiplist) delete(score float64, member string) bool {
	var update [zslMaxLevel]*zslNode
	x := zsl.findUpdate(score, member, &update)
	if x != nil && x.score == score && x.member == member {
		zsl.deleteNode(x, &update)
		return true
	}
	return false
}

// updateScore moves member from score old to score, in place when the order
// does not change (as Redis' zslUpdateScore). It returns member's node and
// whether it is a new one.
func (zsl *zskiplist) updateScore(old float64, member string, score float64) (*zslNode, bool) {
	var update [zslMaxLevel]*zslNode
	x := zsl.findUpdate(old, member, &update)
	if (x.backward == nil || x.backward.score < score || x.backward.score == score && x.backward.member < member) &&
		(x.lv(0).forward == nil || zLess(score, member, x.lv(0).forward.score, x.lv(0).forward.member)) {
		x.score = score
		return x, false
	}
	zsl.deleteNode(x, &update)
	return zsl.insert(score, member), true
}

// rank returns the 1-based rank of (score, member), 0 if absent.
func (zsl *zskiplist) rank(score float64, member string) int {
	x := zsl.header
	rank := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.lv(i).forward; f != nil && (f.score < score || f.score == score && f.member <= member); f = x.lv(i).forward {
			rank += x.lv(i).span
			x = f
		}
		if x != zsl.header && x.member == member {
			return rank
		}
	}
	return 0
}

// byRank returns the node of 1-based rank, nil if out of range.
func (zsl *zskiplist) byRank(rank int) *zslNode {
	x := zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for x.lv(i).forward != nil && traversed+x.lv(i).span <= rank {
			traversed += x.lv(i).span
			x = x.lv(i).forward
		}
		if traversed == rank {
			return x
		}
	}
	return nil
}

func (zsl *zskiplist) countWhile(pred func(float64, string) bool) int {
	x := zsl.header
	n := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for f := x.lv(i).forward; f != nil && pred(f.score, f.member); f = x.lv(i).forward {
			n += x.lv(i).span
			x = f
		}
	}
	return n
}

// deleteRangeByRank deletes 1-based ranks [start, end] and their dict entries.
func (zsl *zskiplist) deleteRangeByRank(start, end int, dict *zdict) int {
	var update [zslMaxLevel]*zslNode
	x := zsl.header
	traversed := 0
	for i := zsl.level - 1; i >= 0; i-- {
		for x.lv(i).forward != nil && traversed+x.lv(i).span < start {
			traversed += x.lv(i).span
			x = x.lv(i).forward
		}
		update[i] = x
	}
	traversed++
	x = x.lv(0).forward
	removed := 0
	for x != nil && traversed <= end {
		next := x.lv(0).forward
		zsl.deleteNode(x, &update)
		dict.delete(x.member)
		removed++
		traversed++
		x = next
	}
	return removed
}
