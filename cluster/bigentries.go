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
// after storing it, which would hold a big value twice (the copy received,
// not yet collected, and the one read back). So a follower holds the big
// entries it stores for the one read that applies them: the dataset then
// keeps the very bytes received. They go at that read, when they are
// deleted from the log, or after heldMaxAge (the leader never commits
// them); the leader, which applies its own entries from memory and might
// never read them back, holds none.
type uncachedBig struct {
	*raft.LogCache
	store raft.LogStore // what the cache wraps
	raft  atomic.Pointer[raft.Raft]

	mu        sync.Mutex
	held      []heldLog
	heldBytes int
}

type heldLog struct {
	l  *raft.Log
	at time.Time
}

func (u *uncachedBig) StoreLog(l *raft.Log) error { return u.StoreLogs([]*raft.Log{l}) }

func (u *uncachedBig) StoreLogs(logs []*raft.Log) error {
	big := false
	for _, l := range logs {
		big = big || len(l.Data) >= bigLogEntry
	}
	if !big {
		return u.LogCache.StoreLogs(logs)
	}
	// The cache's slot for this index holds an older entry, which GetLog
	// tells apart by its index.
	if err := u.store.StoreLogs(logs); err != nil {
		return err
	}
	if r := u.raft.Load(); r == nil || r.State() != raft.Follower {
		return nil
	}
	now := time.Now()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dropLocked(func(h heldLog) bool { return now.Sub(h.at) > heldMaxAge || h.l.Index >= logs[0].Index })
	for _, l := range logs {
		if len(l.Data) >= bigLogEntry && u.heldBytes+len(l.Data) <= heldMaxBytes {
			u.held = append(u.held, heldLog{l, now})
			u.heldBytes += len(l.Data)
		}
	}
	return nil
}

func (u *uncachedBig) GetLog(index uint64, out *raft.Log) error {
	u.mu.Lock()
	for i, h := range u.held {
		if h.l.Index == index {
			*out = *h.l
			u.heldBytes -= len(h.l.Data)
			u.held = append(u.held[:i], u.held[i+1:]...)
			u.mu.Unlock()
			return nil
		}
	}
	u.mu.Unlock()
	return u.LogCache.GetLog(index, out)
}

func (u *uncachedBig) DeleteRange(min, max uint64) error {
	u.mu.Lock()
	u.dropLocked(func(h heldLog) bool { return h.l.Index >= min && h.l.Index <= max })
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
