package commands

import (
	"sync/atomic"
	"time"
)

// accessTable keeps each key's last access time for OBJECT IDLETIME, in
// whole seconds like Redis' LRU clock. It is node-local and never
// replicated, snapshotted or rewritten: nothing but OBJECT IDLETIME (and
// MEMORY-style introspection) reads it.
//
// Keys get a slot only on the write path (which holds the store
// exclusively), so the map never changes under a reader; reads, which run
// concurrently under the shared lock, only store into an existing slot
// atomically, and only when the second changed.
type accessTable struct {
	idx   map[string]uint32 // key -> index in slots
	slots []uint32          // unix seconds of the last access; 0 = not known
	free  []uint32
	// since is when the table started (process start or the last flush):
	// the access time of a key with no known access.
	since int64
}

func newAccessTable() accessTable {
	return accessTable{idx: map[string]uint32{}, since: time.Now().Unix()}
}

// touch records an access at nowMs. On the write path (write=true) it gives
// a new key its slot; a read only updates a slot the key already has.
func (t *accessTable) touch(key []byte, nowMs int64, write bool) {
	if nowMs <= 0 { // loading the AOF: entries carry no time
		nowMs = time.Now().UnixMilli()
	}
	sec := uint32(nowMs / 1000)
	if i, ok := t.idx[string(key)]; ok {
		if atomic.LoadUint32(&t.slots[i]) != sec {
			atomic.StoreUint32(&t.slots[i], sec)
		}
		return
	}
	if !write {
		return
	}
	t.add(string(key), sec)
}

func (t *accessTable) add(key string, sec uint32) {
	if n := len(t.free); n > 0 {
		i := t.free[n-1]
		t.free = t.free[:n-1]
		t.slots[i] = sec
		t.idx[key] = i
		return
	}
	t.slots = append(t.slots, sec)
	t.idx[key] = uint32(len(t.slots) - 1)
}

// set stores an explicit access time (RESTORE ... IDLETIME).
func (t *accessTable) set(key string, sec uint32) {
	if i, ok := t.idx[key]; ok {
		atomic.StoreUint32(&t.slots[i], sec)
		return
	}
	t.add(key, sec)
}

func (t *accessTable) remove(key string) {
	if i, ok := t.idx[key]; ok {
		delete(t.idx, key)
		t.slots[i] = 0
		t.free = append(t.free, i)
		if len(t.idx) == 0 { // let a big table's memory go
			*t = accessTable{idx: map[string]uint32{}, since: t.since}
		}
	}
}

// idle returns the seconds since key was last accessed, as of nowMs.
func (t *accessTable) idle(key []byte, nowMs int64) int64 {
	last := t.since
	if i, ok := t.idx[string(key)]; ok {
		if s := atomic.LoadUint32(&t.slots[i]); s != 0 {
			last = int64(s)
		}
	}
	return max(nowMs/1000-last, 0)
}
