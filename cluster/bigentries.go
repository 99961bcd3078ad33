package cluster

import "github.com/hashicorp/raft"

// bigLogEntry is the entry size from which an entry bypasses raft's
// LogCache.
const bigLogEntry = 16 << 20

// uncachedBig keeps big entries out of raft's LogCache: the cache holds
// the last 64 entries for as long as it takes 64 more to be written, so one
// 100 MB SET kept 100 MB in memory long after its key was deleted. A
// follower that needs such an entry reads it from the log store.
type uncachedBig struct {
	*raft.LogCache
	store raft.LogStore // what the cache wraps
}

func (u uncachedBig) StoreLog(l *raft.Log) error { return u.StoreLogs([]*raft.Log{l}) }

func (u uncachedBig) StoreLogs(logs []*raft.Log) error {
	for _, l := range logs {
		if len(l.Data) >= bigLogEntry {
			// The cache's slot for this index holds an older entry, which
			// GetLog tells apart by its index.
			return u.store.StoreLogs(logs)
		}
	}
	return u.LogCache.StoreLogs(logs)
}
