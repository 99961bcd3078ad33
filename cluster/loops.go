package cluster

import (
	"time"

	"github.com/geomys/geomys/fsm"
)

// expireCycle is the leader's active expiry cycle: it samples keys whose TTL
// passed and proposes their deletion through the log, the way a Redis primary
// propagates DELs, so every node deletes the same keys at the same point.
func (n *Node) expireCycle() {
	const perDB = 64
	// One cycle at a time: ExpireNow may run beside the loop's.
	n.expiring.Lock()
	defer n.expiring.Unlock()
	if !n.readable.Load() || n.disk.failing() != nil || n.noActiveExpiry.Load() {
		return // no log entries while the log cannot be written
	}
	if g := n.expiryGate.Load(); g != nil && (*g)() {
		return // CLIENT PAUSE: nothing expires meanwhile
	}
	start := time.Now()
	deadline := start.Add(25 * time.Millisecond)
	deleted := false
	defer func() {
		if o := n.expiryObserver.Load(); o != nil && deleted {
			(*o)(time.Since(start))
		}
	}()
	for time.Now().Before(deadline) {
		byDB := n.fsm.ExpiredKeys(time.Now().UnixMilli(), perDB)
		if len(byDB) == 0 {
			return
		}
		deleted = true
		full := false
		for _, keys := range byDB {
			full = full || len(keys) == perDB
		}
		if _, err := n.Apply(keysEntry(fsm.ExpireCommand, byDB, time.Now().UnixMilli())); err != nil || !full {
			return
		}
	}
}

// SetActiveExpire turns this node's active expiry cycle on or off, as
// DEBUG SET-ACTIVE-EXPIRE does in Redis. Only a leader runs the cycle, so
// off on a follower matters once it leads. Keys whose TTL passed are still
// deleted when a command meets them.
func (n *Node) SetActiveExpire(on bool) { n.noActiveExpiry.Store(!on) }

// SetExpiryGate makes expireCycle skip its runs while paused() holds.
func (n *Node) SetExpiryGate(paused func() bool) {
	n.expiryGate.Store(&paused)
}

// SetExpiryObserver has observe told how long each expiry cycle that
// deleted keys took.
func (n *Node) SetExpiryObserver(observe func(time.Duration)) {
	n.expiryObserver.Store(&observe)
}

// ExpireNow runs an expiry cycle now, on the caller's goroutine.
func (n *Node) ExpireNow() {
	if n.IsLeader() {
		n.expireCycle()
	}
}

// rewriteIfDue triggers a snapshot (and AOF rewrite) when the AOF has grown as
// auto-aof-rewrite-percentage / auto-aof-rewrite-min-size say.
func (n *Node) rewriteIfDue() {
	if n.disk.failing() == nil && n.fsm.AOFWriteError() == nil && n.fsm.RewriteDue() {
		if err := n.Snapshot(); err != nil {
			n.log.Warn("automatic AOF rewrite failed; check free space and permissions in the data dir (it is retried when the AOF grows again)", "err", err)
		}
	}
}

// every runs tick each period, and whenever kick fires (nil: never), until
// the node stops; it is one of the node's background loops (n.wg).
func (n *Node) every(period time.Duration, kick <-chan struct{}, tick func()) {
	defer n.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		case <-kick:
		}
		tick()
	}
}

// keysEntry is the log entry of an internal command the leader proposes
// for keys it chose (expired or evicted), one command per database.
func keysEntry(cmd string, byDB map[int][]string, now int64) []byte {
	var w fsm.EntryWriter
	w.Reset(now)
	for db, keys := range byDB {
		args := make([][]byte, 0, len(keys)+1)
		args = append(args, []byte(cmd))
		for _, k := range keys {
			args = append(args, []byte(k))
		}
		w.Add(db, 2, args)
	}
	return w.Bytes()
}
