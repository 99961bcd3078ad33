package cluster

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// bigLogEntry is the entry size from which an entry bypasses raft's
// LogCache.
const bigLogEntry = 16 << 20

// What a follower holds of big entries stored and not yet applied.
const (
	heldMaxBytes = 512 << 20
	heldMaxAge   = 30 * time.Second
)

// uncachedBig keeps big entries out of raft's LogCache: the cache holds
// the last 64 entries for as long as it takes 64 more to be written, so one
// 100 MB SET kept 100 MB in memory long after its key was deleted. A
// follower that needs such an entry reads it from the log store.
//
// A follower applies an entry by reading it back from the log store right
// after storing it, and a leader reads each new entry back once for every
// follower it sends it to: a big value was held several times over (the
// copy received or applied, and one per read, not yet collected; a 100 MB
// SET peaked at 8x on a 3-node leader). So a node holds each big entry it
// stores for the reads it expects: one on a follower (the apply, which
// then keeps the very bytes received), one per other member on a leader
// (the dataset already keeps those bytes, so holding them costs nothing
// while the key lives). They go after those reads, when they are deleted
// from the log, or after heldMaxAge (a follower that is down, an entry
// never committed); a leader alone holds none.
type uncachedBig struct {
	*raft.LogCache
	store raft.LogStore // what the cache wraps
	raft  atomic.Pointer[raft.Raft]

	mu        sync.Mutex
	held      []heldLog
	heldBytes int
	terms     map[uint64]uint64 // big entries' terms by index (bigterms.go)
}

type heldLog struct {
	l     *raft.Log
	at    time.Time
	reads int // left before it goes
}

func (u *uncachedBig) StoreLog(l *raft.Log) error { return u.StoreLogs([]*raft.Log{l}) }

func (u *uncachedBig) StoreLogs(logs []*raft.Log) error {
	big := false
	for _, l := range logs {
		big = big || len(l.Data) >= bigLogEntry
	}
	if len(logs) > 0 {
		// What is stored over an index has the term it is stored with.
		u.mu.Lock()
		u.forgetTermsLocked(logs[0].Index, ^uint64(0))
		u.mu.Unlock()
	}
	if !big {
		if err := u.LogCache.StoreLogs(logs); err != nil {
			return err
		}
		u.noteTerms(logs)
		return nil
	}
	// The cache's slot for this index holds an older entry, which GetLog
	// tells apart by its index.
	if err := u.store.StoreLogs(logs); err != nil {
		return err
	}
	u.noteTerms(logs)
	reads := 0
	r := u.raft.Load()
	if r != nil && r.State() == raft.Follower {
		reads = 1
	} else if r != nil && r.State() == raft.Leader {
		// Not a future through raft's main loop (this runs on it): the
		// latest configuration, read from memory.
		if cf := r.GetConfiguration(); cf.Error() == nil {
			reads = len(cf.Configuration().Servers) - 1
		}
	}
	if reads <= 0 {
		return nil
	}
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dropLocked(func(h heldLog) bool { return now.Sub(h.at) > heldMaxAge || h.l.Index >= logs[0].Index })
	for _, l := range logs {
		if len(l.Data) >= bigLogEntry && u.heldBytes+len(l.Data) <= heldMaxBytes {
			u.held = append(u.held, heldLog{l, now, reads})
			u.heldBytes += len(l.Data)
		}
	}
	return nil
}

// expire drops what has been held too long (a quiet node stores nothing
// that would).
func (u *uncachedBig) expire() {
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dropLocked(func(h heldLog) bool { return now.Sub(h.at) > heldMaxAge })
}

func (u *uncachedBig) GetLog(index uint64, out *raft.Log) error {
	if term, ok := u.termOf(index); ok {
		*out = raft.Log{Index: index, Term: term, Type: raft.LogCommand}
		return nil
	}
	u.mu.Lock()
	for i, h := range u.held {
		if h.l.Index == index {
			*out = *h.l
			if u.held[i].reads--; u.held[i].reads <= 0 {
				u.dropLocked(func(h heldLog) bool { return h.l.Index == index })
			}
			u.mu.Unlock()
			return nil
		}
	}
	u.mu.Unlock()
	if err := u.LogCache.GetLog(index, out); err != nil {
		return err
	}
	if isBig(out) {
		// Stored before a restart, or forgotten: its term is known now.
		u.mu.Lock()
		u.noteTermLocked(index, out.Term)
		u.mu.Unlock()
	}
	return nil
}

func (u *uncachedBig) DeleteRange(min, max uint64) error {
	u.mu.Lock()
	u.dropLocked(func(h heldLog) bool { return h.l.Index >= min && h.l.Index <= max })
	u.forgetTermsLocked(min, max)
	u.mu.Unlock()
	return u.LogCache.DeleteRange(min, max)
}

func (u *uncachedBig) dropLocked(drop func(heldLog) bool) {
	kept := u.held[:0]
	for _, h := range u.held {
		if drop(h) {
			u.heldBytes -= len(h.l.Data)
		} else {
			kept = append(kept, h)
		}
	}
	clear(u.held[len(kept):])
	u.held = kept
}
