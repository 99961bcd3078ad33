package fsm

import (
	"github.com/geomys/geomys/commands"
)

// MemoryLimit is maxmemory and how to stay under it. It is node-local, like
// Redis' config: what counts is the leader's, which decides both refusals
// (OOM) and evictions; followers only apply the deletions it proposes.
type MemoryLimit struct {
	Max     int64 // bytes; 0 = no limit
	Policy  commands.Policy
	Samples int
}

// EvictCommand is the internal command the leader proposes to evict: delete
// each listed key of the entry's db.
const EvictCommand = ".evict"

// SetMemoryLimit changes maxmemory, maxmemory-policy and maxmemory-samples.
func (f *FSM) SetMemoryLimit(l MemoryLimit) {
	f.limit.Store(&l)
	commands.SetLFU(l.Policy.IsLFU())
}

// MemoryLimit is the current setting.
func (f *FSM) MemoryLimit() MemoryLimit {
	if l := f.limit.Load(); l != nil {
		return *l
	}
	return MemoryLimit{Samples: 5}
}

// UsedMemory is INFO used_memory as of the last applied batch: the
// startup baseline (commands.StartupMemory) plus the dataset's accounted
// bytes. It takes no lock, so writes can check it cheaply.
func (f *FSM) UsedMemory() int64 { return f.used.Load() }

// PeakMemory is the highest UsedMemory this process has seen (INFO
// used_memory_peak, MEMORY STATS peak.allocated).
func (f *FSM) PeakMemory() int64 { return max(f.peak.Load(), f.used.Load()) }

// OverMemory reports by how many bytes used memory exceeds maxmemory (0
// when it does not, or there is no limit).
func (f *FSM) OverMemory() int64 {
	l := f.limit.Load()
	if l == nil || l.Max <= 0 {
		return 0
	}
	return max(f.used.Load()-l.Max, 0)
}

// EvictionVictims chooses keys to evict to free need bytes, per db, as the
// policy says (nil for noeviction or when nothing qualifies).
func (f *FSM) EvictionVictims(need int64, nowMs int64, maxKeys int) map[int][]string {
	l := f.MemoryLimit()
	f.mu.RLock()
	vs := f.store.EvictionVictims(l.Policy, l.Samples, need, nowMs, maxKeys)
	f.mu.RUnlock()
	if len(vs) == 0 {
		return nil
	}
	out := map[int][]string{}
	for _, v := range vs {
		out[v.DB] = append(out[v.DB], v.Key)
	}
	return out
}

// publishUsed makes the store's total visible to UsedMemory; the caller
// holds the write lock.
func (f *FSM) publishUsed() {
	f.store.SettleMemory()
	used := f.store.UsedMemory()
	f.used.Store(used)
	if used > f.peak.Load() {
		f.peak.Store(used)
		f.store.PeakMemory = used
	}
}

func (f *FSM) applyEvict(c *commands.Ctx, db *commands.DB, args [][]byte) {
	c.Begin(db, args)
	n := 0
	for _, k := range args[1:] {
		if c.Evict(db, k) {
			n++
		}
	}
	c.R.Int(int64(n))
}
