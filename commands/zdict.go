package commands

import (
	"hash/maphash"
	"unsafe"
)

// zdict is a skiplist-encoded sorted set's member -> node index (Redis'
// zset dict). It is an open-addressing table of node pointers, 8 bytes a
// slot, probed linearly with the member's hash: a Go map[string]float64
// costs a 24-byte slot, the member's string header repeated, which for a
// million members was about 40 bytes a member of the whole set's ~200. The
// score is read from the node.
//
// Growing is incremental, like Redis' dict rehashing (and accessTable): the
// old table stays searchable while every insert and delete moves a few of
// its slots over, so no write stalls on rehashing millions of members.
type zdict struct {
	slots []*zslNode // nil empty, zdTomb deleted
	old   []*zslNode // the table being moved from, nil when none
	moved int        // old[:moved] has been moved (its members tombstoned)
	live  int        // members in both tables
	used  int        // members and tombstones in slots
}

const zdMoveStep = 64 // old slots moved per insert or delete

// zdTomb marks a deleted slot: probes go on past it.
var zdTomb = &zslNode{}

var zdSeed = maphash.MakeSeed()

func zdHash(m string) uint64 { return maphash.String(zdSeed, m) }

func newZdict(n int) *zdict {
	size := 8
	for size*3/4 < n {
		size <<= 1
	}
	return &zdict{slots: make([]*zslNode, size)}
}

func (d *zdict) len() int { return d.live }

// slotIn returns the index of member's slot in t, or -1.
func slotIn(t []*zslNode, m string, h uint64) int {
	if len(t) == 0 {
		return -1
	}
	mask := uint64(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		x := t[i]
		if x == nil {
			return -1
		}
		if x != zdTomb && x.member == m {
			return int(i)
		}
	}
}

// get returns member's node, nil if absent.
func (d *zdict) get(m string) *zslNode {
	h := zdHash(m)
	if i := slotIn(d.slots, m, h); i >= 0 {
		return d.slots[i]
	}
	if d.old != nil {
		if i := slotIn(d.old, m, h); i >= 0 {
			return d.old[i]
		}
	}
	return nil
}

// getBytes is get for an argument, without copying it to a string.
func (d *zdict) getBytes(m []byte) *zslNode {
	return d.get(unsafe.String(unsafe.SliceData(m), len(m)))
}

// put stores x in t at the first free slot of its probe sequence (x's
// member is not in t) and reports whether it took an empty (not a
// tombstone) slot.
func putIn(t []*zslNode, x *zslNode, h uint64) bool {
	mask := uint64(len(t) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t[i] {
		case nil:
			t[i] = x
			return true
		case zdTomb:
			t[i] = x
			return false
		}
	}
}

// insert adds node x, whose member is not in the dict.
func (d *zdict) insert(x *zslNode) {
	d.step()
	if (d.used+1)*4 > len(d.slots)*3 {
		d.grow()
	}
	if putIn(d.slots, x, zdHash(x.member)) {
		d.used++
	}
	d.live++
}

// replace points member's slot at x (a node the skiplist reallocated).
func (d *zdict) replace(x *zslNode) {
	h := zdHash(x.member)
	if i := slotIn(d.slots, x.member, h); i >= 0 {
		d.slots[i] = x
	} else if i := slotIn(d.old, x.member, h); i >= 0 {
		d.old[i] = x
	}
}

// delete removes member and reports whether it was there.
func (d *zdict) delete(m string) bool {
	h := zdHash(m)
	if i := slotIn(d.slots, m, h); i >= 0 {
		d.slots[i] = zdTomb
	} else if i := slotIn(d.old, m, h); i >= 0 {
		d.old[i] = zdTomb
	} else {
		return false
	}
	d.live--
	d.step()
	return true
}

// grow starts moving to a new table: twice the size when mostly live,
// the same size when tombstones filled it.
func (d *zdict) grow() {
	for d.old != nil { // the previous move must end first (rare: moves outpace fills)
		d.step()
	}
	size := max(len(d.slots), 8)
	if d.live*2 >= size {
		size *= 2
	}
	d.old, d.slots, d.moved, d.used = d.slots, make([]*zslNode, size), 0, 0
	if len(d.old) == 0 {
		d.old = nil
	}
}

// step moves up to zdMoveStep slots of the old table.
func (d *zdict) step() {
	if d.old == nil {
		return
	}
	end := min(d.moved+zdMoveStep, len(d.old))
	for i := d.moved; i < end; i++ {
		// An empty slot stays empty: a probe of old for an absent member
		// must still meet one and stop.
		if x := d.old[i]; x != nil {
			if x != zdTomb && putIn(d.slots, x, zdHash(x.member)) {
				d.used++
			}
			d.old[i] = zdTomb
		}
	}
	d.moved = end
	if end == len(d.old) {
		d.old, d.moved = nil, 0
	}
}

// each calls fn with every member's node until it returns false.
func (d *zdict) each(fn func(x *zslNode) bool) {
	for _, t := range [2][]*zslNode{d.slots, d.old} {
		for _, x := range t {
			if x != nil && x != zdTomb && !fn(x) {
				return
			}
		}
	}
}
