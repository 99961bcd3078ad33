package commands

import (
	"slices"
	"sort"
	"strings"
)

// SCAN cursors.
//
// Redis' cursor is a reverse-binary bucket index into its own hash table; Go
// maps expose no buckets and reorder freely as they grow, so that trick is not
// available. Instead every key has a fixed position in a 47-bit hash space
// (scanPos: FNV-1a with a Murmur3 finaliser, the same on every node and across
// restarts), and a walk visits positions in increasing order. The cursor is
//
//	position<<16 | tag
//
// where position is the next position to visit and tag names the walk (never
// 0, so a cursor that is not finished is never 0). Because a key's position
// never changes, a key present for the whole walk is returned exactly once,
// whatever happens to the map in between; keys added or deleted meanwhile may
// or may not be returned, as Redis allows. Cursors stay below 2^63.
//
// Correctness needs no server state at all: without a cache (nil Session, as
// inside the FSM, or a test) each call makes one pass over the keys keeping
// the COUNT lowest positions at or after the cursor (O(N log COUNT)).
//
// ScanCache (node-local, per connection) only makes a walk cheaper: it holds a
// sorted window of (position, key) pairs covering [lo, hi), taken from the
// live keys when it was built, so most calls are a binary search. Using a
// window built at time T for a walk is sound when T is after the walk started:
// every key present for the whole walk was present at T, so it is in the
// window, and keys deleted since are filtered out when returned. A cursor 0
// always builds a fresh window with a fresh tag; a window is reused only for a
// cursor carrying its tag, and a cursor with another tag (for example one
// coming from a pooled connection) rebuilds the window from the live keys and
// adopts that tag, which is sound since that walk began before now. Only a
// 16-bit tag collision between two walks could reuse a window older than a
// walk. A window holds N/4 keys, at least scanWindowMin and at most
// scanWindowMax (~6MB) unless COUNT asks for more, so a walk over N keys
// builds about 4 windows (N/scanWindowMax for large databases), each in one
// pass over the keys.
type ScanCache struct {
	valid  bool
	db     int
	gen    uint64
	tag    uint64
	lo, hi uint64
	ents   []scanEntry
	seq    uint64
}

type scanEntry struct {
	pos uint64
	key string
}

const (
	scanTagBits   = 16
	scanTagMask   = 1<<scanTagBits - 1
	scanPosBits   = 47
	scanPosEnd    = uint64(1) << scanPosBits // one past the last position
	scanWindowMin = 1024
	scanWindowMax = 1 << 18
)

// scanPos is a key's fixed position in the walk order.
func scanPos(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return scanMix(h) >> (64 - scanPosBits)
}

func scanMix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// newScanTag names a new walk; deterministic for a given Now and cache state.
func newScanTag(now int64, cache *ScanCache) uint64 {
	seed := uint64(now)
	if cache != nil {
		cache.seq++
		seed ^= cache.seq * 0x9e3779b97f4a7c15
	}
	t := scanMix(seed) & scanTagMask
	if t == 0 {
		t = 1
	}
	return t
}

// expired reports whether key has a TTL that passed at now.
func (db *DB) expired(key string, now int64) bool {
	at, has := db.expires[key]
	return has && at <= now
}

// liveValue returns key's value if it exists and its TTL has not passed,
// without any side effect (KEYS never deletes, as in Redis 7.0; SCAN and
// RANDOMKEY call MetExpired for what it skips).
func liveValue(db *DB, key string, now int64) (any, bool) {
	v, ok := db.keys[key]
	if !ok || db.expired(key, now) {
		return nil, false
	}
	return v, true
}

// buildScanWindow collects the keys with the lowest positions at or after
// lo, about n of them, sorted. Every key with a position in [lo, hi) is
// included, those past their TTL too: SCAN skips them when it returns a
// batch, and has them deleted then, as Redis' SCAN does with the keys of
// the buckets it walks.
func buildScanWindow(db *DB, lo uint64, n int) (ents []scanEntry, hi uint64) {
	limit := n + 1 // one spare, usually dropped below with its position
	heap := make([]scanEntry, 0, min(limit, db.Len()+1))
	less := func(a, b scanEntry) bool { // max-heap on position
		return a.pos > b.pos
	}
	for k := range db.keys {
		p := scanPos(k)
		if p < lo || len(heap) == limit && p >= heap[0].pos {
			continue
		}
		e := scanEntry{p, k}
		if len(heap) < limit {
			heap = append(heap, e)
			for i := len(heap) - 1; i > 0; { // sift up
				parent := (i - 1) / 2
				if !less(heap[i], heap[parent]) {
					break
				}
				heap[i], heap[parent] = heap[parent], heap[i]
				i = parent
			}
			continue
		}
		heap[0] = e
		for i := 0; ; { // sift down
			l, r, top := 2*i+1, 2*i+2, i
			if l < len(heap) && less(heap[l], heap[top]) {
				top = l
			}
			if r < len(heap) && less(heap[r], heap[top]) {
				top = r
			}
			if top == i {
				break
			}
			heap[i], heap[top] = heap[top], heap[i]
			i = top
		}
	}
	hi = scanPosEnd
	if len(heap) == limit {
		// Keys at the largest position kept may have been left out, so the
		// window ends just before it.
		hi = heap[0].pos
		kept := heap[:0]
		for _, e := range heap {
			if e.pos < hi {
				kept = append(kept, e)
			}
		}
		heap = kept
		if len(heap) == 0 { // n+1 keys share one position: take all of them
			for k := range db.keys {
				if scanPos(k) == hi {
					heap = append(heap, scanEntry{hi, k})
				}
			}
			hi++
		}
	}
	slices.SortFunc(heap, func(a, b scanEntry) int {
		if a.pos != b.pos {
			if a.pos < b.pos {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	return heap, hi
}

// scanWindowSize is how many keys a cached window holds.
func scanWindowSize(dbLen, count int) int {
	w := min(max(dbLen/4, scanWindowMin), scanWindowMax)
	return max(w, count)
}

// scanStep returns the next batch of about count candidate keys of a walk
// (not yet filtered by liveness, MATCH or TYPE) and the cursor to return.
func scanStep(c *Ctx, cursor uint64, count int) (batch []scanEntry, next uint64) {
	db := c.DB
	pos, tag := cursor>>scanTagBits, cursor&scanTagMask
	if pos >= scanPosEnd {
		return nil, 0
	}
	var cache *ScanCache
	if c.Session != nil {
		cache = c.Session.ScanCache()
	}
	fresh := tag == 0 // a new walk (cursor 0), or a cursor we never issued
	if fresh {
		tag = newScanTag(c.Now, cache)
	}
	var ents []scanEntry
	var hi uint64
	switch {
	case cache == nil:
		ents, hi = buildScanWindow(db, pos, count)
	case fresh || !cache.valid || cache.db != db.ID || cache.gen != db.gen ||
		cache.tag != tag || pos < cache.lo || pos >= cache.hi:
		ents, hi = buildScanWindow(db, pos, scanWindowSize(db.Len(), count))
		*cache = ScanCache{valid: true, db: db.ID, gen: db.gen, tag: tag, lo: pos, hi: hi, ents: ents, seq: cache.seq}
	default:
		ents, hi = cache.ents, cache.hi
	}
	i := sort.Search(len(ents), func(i int) bool { return ents[i].pos >= pos })
	j := i
	for j < len(ents) && (j-i < count || ents[j].pos == ents[j-1].pos) {
		j++
	}
	nextPos := hi
	if j < len(ents) {
		nextPos = ents[j].pos
	}
	if nextPos >= scanPosEnd {
		return ents[i:j], 0
	}
	return ents[i:j], nextPos<<scanTagBits | tag
}

// scanOpts are the options HSCAN, SSCAN and ZSCAN share.
type scanOpts struct {
	count    int64
	pattern  string
	match    bool // a MATCH pattern other than "*"
	noValues bool // HSCAN's NOVALUES
}

// parseScanOpts reads COUNT and MATCH (and NOVALUES when allowed) from
// c.Args[from:]. ok false means an error reply has been written.
func parseScanOpts(c *Ctx, from int, allowNoValues bool) (o scanOpts, ok bool) {
	o.count = 10
	args := c.Args
	for i := from; i < len(args); {
		more := len(args) - i
		switch {
		case EqualFold(args[i], "count") && more >= 2:
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return o, false
			}
			if n < 1 {
				c.SyntaxErr()
				return o, false
			}
			o.count = n
			i += 2
		case EqualFold(args[i], "match") && more >= 2:
			o.pattern = string(args[i+1])
			o.match = o.pattern != "*"
			i += 2
		case allowNoValues && EqualFold(args[i], "novalues"):
			o.noValues = true
			i++
		default:
			c.SyntaxErr()
			return o, false
		}
	}
	return o, true
}
