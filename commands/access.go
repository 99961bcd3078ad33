package commands

import (
	"hash/maphash"
	"sync/atomic"
	"time"
)

// accessTable keeps each key's last access time for OBJECT IDLETIME, in
// whole seconds like Redis' LRU clock. It is node-local and never
// replicated, snapshotted or rewritten: only OBJECT IDLETIME reads it.
//
// It costs 11 to 21 bytes a key: an open-addressing table (linear probing)
// of 64-bit words, each a 32-bit fingerprint of the key's hash and the
// access time in unix seconds. The fingerprint also picks the slot, so the
// table grows by moving words, without the keys. Keys whose fingerprints
// collide (about a hundred pairs among a million keys) share a word: their
// idle times are the shorter of the two, and deleting one forgets the
// other's until it is written again. Only OBJECT IDLETIME can notice.
//
// Keys get a word only on the write path, which holds the store
// exclusively, so the table's layout never changes under a reader; reads,
// which run concurrently under the shared lock, only store a new time into
// an existing word atomically, and only when the second changed.
//
// Growing is incremental, like Redis' dict rehashing: the old table stays
// readable while every insert moves a few of its words over, so no write
// stalls on moving millions of words at once.
type accessTable struct {
	words []uint64 // 0 empty, tombstone deleted, else fingerprint<<32 | seconds (>= 2)
	old   []uint64 // the table being moved from, nil when none
	moved int      // old[:moved] has been moved
	live  int      // live words in both tables
	used  int      // live words and tombstones in words
	// since is when the table started (process start or the last flush):
	// the access time of a key with no known access.
	since int64
}

const (
	tombstone      = 1
	accessMinWords = 64
	accessMoveStep = 128 // old words moved per insert
)

func newAccessTable() accessTable { return accessTable{since: time.Now().Unix()} }

var accessSeed = maphash.MakeSeed()

func accessFP(key []byte) uint32       { return uint32(maphash.Bytes(accessSeed, key) >> 32) }
func accessFPString(key string) uint32 { return uint32(maphash.String(accessSeed, key) >> 32) }

// findIn returns the index of fingerprint fp's word in words, or -1.
func findIn(words []uint64, fp uint32) int {
	if len(words) == 0 {
		return -1
	}
	mask := uint32(len(words) - 1)
	for i := fp & mask; ; i = (i + 1) & mask {
		w := atomic.LoadUint64(&words[i])
		if w == 0 {
			return -1
		}
		if w != tombstone && uint32(w>>32) == fp {
			return int(i)
		}
	}
}

// find returns the table holding fp's word and its index there.
func (t *accessTable) find(fp uint32) ([]uint64, int) {
	if i := findIn(t.words, fp); i >= 0 {
		return t.words, i
	}
	if t.old != nil {
		if i := findIn(t.old, fp); i >= 0 {
			return t.old, i
		}
	}
	return nil, -1
}

// touch records an access at nowMs. On the write path (write=true) a key
// without a word gets one; a read only updates an existing word.
func (t *accessTable) touch(key []byte, nowMs int64, write bool) {
	if nowMs <= 0 { // loading the AOF: entries carry no time
		nowMs = time.Now().UnixMilli()
	}
	fp := accessFP(key)
	if lfuMode.Load() {
		var old uint32
		tab, i := t.find(fp)
		if i >= 0 {
			old = uint32(atomic.LoadUint64(&tab[i]))
		}
		t.store(fp, lfuTouch(old, i >= 0, nowMs), write)
		return
	}
	t.store(fp, uint32(nowMs/1000), write)
}

func (t *accessTable) store(fp, sec uint32, write bool) {
	sec = max(sec, 2)
	w := uint64(fp)<<32 | uint64(sec)
	tab, i := t.find(fp)
	if i >= 0 && (!write || &tab[0] == &t.words[0]) {
		if atomic.LoadUint64(&tab[i]) != w {
			atomic.StoreUint64(&tab[i], w)
		}
		return
	}
	if !write {
		return
	}
	if i >= 0 { // in the old table: move it now
		tab[i] = tombstone
		t.live--
	}
	t.insert(w)
}

// insert adds a word for a fingerprint that has none, growing the table or
// moving some old words first.
func (t *accessTable) insert(w uint64) {
	if 4*(t.used+1) > 3*len(t.words) {
		t.finishMove()
		size := accessMinWords
		for 2*(t.live+1) > size {
			size *= 2
		}
		if t.live > 0 {
			t.old, t.moved = t.words, 0
		}
		t.words, t.used = make([]uint64, size), 0
	}
	t.moveSome(accessMoveStep)
	t.put(w)
}

func (t *accessTable) put(w uint64) {
	mask := uint32(len(t.words) - 1)
	i := uint32(w>>32) & mask
	for t.words[i] != 0 && t.words[i] != tombstone {
		i = (i + 1) & mask
	}
	if t.words[i] == 0 {
		t.used++
	}
	t.words[i] = w
	t.live++
}

// moveSome moves up to n words of the old table (tombstoning them there, so
// probes through it still work for readers).
func (t *accessTable) moveSome(n int) {
	for ; t.old != nil && n > 0; n-- {
		if t.moved == len(t.old) {
			t.old, t.moved = nil, 0
			return
		}
		if w := t.old[t.moved]; w > tombstone {
			t.old[t.moved] = tombstone
			t.live--
			t.put(w)
		}
		t.moved++
	}
}

func (t *accessTable) finishMove() { t.moveSome(len(t.old) + 1) }

// set stores an explicit access time (RESTORE ... IDLETIME).
func (t *accessTable) set(key []byte, sec uint32) { t.store(accessFP(key), sec, true) }

func (t *accessTable) remove(key string) {
	if tab, i := t.find(accessFPString(key)); i >= 0 {
		tab[i] = tombstone
		t.live--
		if t.live == 0 { // let a big table's memory go
			*t = accessTable{since: t.since}
		}
	}
}

// idle returns the seconds since key was last accessed, as of nowMs.
func (t *accessTable) idle(key []byte, nowMs int64) int64 {
	last := t.since
	if tab, i := t.find(accessFP(key)); i >= 0 {
		last = int64(uint32(atomic.LoadUint64(&tab[i])))
	}
	return max(nowMs/1000-last, 0)
}
