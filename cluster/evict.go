package cluster

import (
	"sync"
	"time"

	"github.com/geomys/geomys/fsm"
)

// Eviction is the leader's, like active expiry: it chooses victims from
// its own access table and proposes their deletion through the log, so
// every node deletes the same keys at the same point and followers never
// evict on their own.

const (
	evictMaxKeys = 256                   // keys per proposed entry
	evictBudget  = 50 * time.Millisecond // longest one Evict call keeps proposing
)

// evictor serializes evictions: callers that arrive while one runs wait for
// it and then find memory already freed.
type evictor struct {
	mu   sync.Mutex
	kick chan struct{}
}

// Evict frees memory down to maxmemory by evicting keys as the policy says.
// It reports false when the policy found nothing to evict (or this node
// does not lead): the caller then refuses the write with OOM. Like Redis'
// performEvictions it stops after a time budget, still over the limit,
// and reports true: the write is admitted and the loop keeps evicting.
func (n *Node) Evict() bool {
	if n.fsm.OverMemory() == 0 {
		return true
	}
	if !n.readable.Load() {
		return false
	}
	n.evict.mu.Lock()
	defer n.evict.mu.Unlock()
	deadline := time.Now().Add(evictBudget)
	for {
		over := n.fsm.OverMemory()
		if over == 0 {
			return true
		}
		if time.Now().After(deadline) {
			n.KickEviction()
			return true
		}
		now := time.Now().UnixMilli()
		byDB := n.fsm.EvictionVictims(over, now, evictMaxKeys)
		if len(byDB) == 0 {
			return false
		}
		if _, err := n.Apply(keysEntry(fsm.EvictCommand, byDB, now)); err != nil {
			n.log.Warn("eviction proposal failed", "err", err)
			return false
		}
	}
}

// KickEviction asks the eviction loop to check memory now (after CONFIG SET
// maxmemory lowered the limit).
func (n *Node) KickEviction() {
	select {
	case n.evict.kick <- struct{}{}:
	default:
	}
}

// evictIfOver keeps the leader under maxmemory when no write asks it to
// (a lowered limit, collections growing through commands that are not
// refused).
func (n *Node) evictIfOver() {
	if n.readable.Load() && n.fsm.OverMemory() > 0 {
		n.Evict()
	}
}
