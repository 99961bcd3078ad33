package fsm

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/geomys/geomys/commands"
)

// Speculation runs scripts at the head of the log — the caller (cluster's
// prepared proposals) makes sure every earlier entry is applied and none can
// come in between — against the live dataset under the write lock. Each Run
// makes the log entry that redoes what it did on every node: the commands its
// commands propagated, in order, as one transaction (so the AOF brackets them
// with MULTI/EXEC, as Redis writes a script's effects). Runs of one
// speculation follow each other as their entries will in the log, each seeing
// the effects of those before it; End undoes them all, and the entries, once
// committed, apply them for real on every node, the leader included. So
// nothing a script did is visible before it commits, and nothing is left if
// it never does. Watchers are not told about speculative changes: the
// entries' application tells them.
type Speculation struct {
	f       *FSM
	j       *commands.Journal
	watches commands.WatchSet
	now     int64
	runs    uint64
	// streamNode is this node's stream node setting when the speculation
	// began: its XADDs append with it, and so do its entries on every node
	// (AppendStreamNode).
	streamNode commands.StreamNodeLimits
}

// BeginSpeculation takes the write lock until End.
func (f *FSM) BeginSpeculation() *Speculation {
	f.mu.Lock()
	sp := &Speculation{f: f, now: max(time.Now().UnixMilli(), f.lastTime), watches: f.store.Watches,
		streamNode: commands.StreamNodeConfig()}
	f.store.Watches = nil
	sp.j = f.store.BeginJournal()
	return sp
}

// Store is the dataset as the speculation sees it (its lock is held).
func (sp *Speculation) Store() *commands.Store { return sp.f.store }

// End undoes every run and releases the lock.
func (sp *Speculation) End() {
	sp.j.Rollback()
	sp.f.store.Watches = sp.watches
	sp.f.mu.Unlock()
}

// Run runs fn and returns the entry that redoes its effects, preceded by
// lead (internal commands such as a script cache load); nil when there is
// nothing to apply. fn reports whether its effects stand: when it says no
// (a script stopped by SCRIPT KILL or a shutdown) they are undone at once
// and nothing is proposed. fn's Ctx has the entry's clock in Now and its
// own random source; fn sets R and calls Begin/Finish around each command.
func (sp *Speculation) Run(lead [][][]byte, fn func(c *commands.Ctx) bool) []byte {
	// Effects go straight into an entry of their own as they happen (their
	// bytes copied, as the script may reuse its buffers), then follow the
	// MULTI whose count is only known at the end.
	var effects EntryWriter
	effects.Reset(sp.now)
	prop := commands.NewPropagation()
	prop.Effect = func(db int, args [][]byte) { effects.Add(db, 2, args) }
	sp.runs++
	c := &commands.Ctx{Store: sp.f.store, Now: sp.now, Prop: prop, R: commands.NewReply(2),
		Rand: rand.New(rand.NewPCG(uint64(sp.now), sp.f.applied<<16|sp.runs))}
	mark := sp.j.Mark()
	sp.f.store.SetStreamNode(sp.streamNode)
	keep := fn(c)
	c.TakeReady()
	pubs := c.TakePublications()
	if !keep {
		sp.j.RollbackTo(mark)
		return nil
	}
	if len(lead) == 0 && effects.Len() == 0 && len(pubs) == 0 {
		return nil
	}
	var w EntryWriter
	w.Reset(sp.now)
	for _, l := range lead {
		w.Add(0, 2, l)
	}
	if n := effects.Len() + len(pubs); n > 0 {
		w.Add(0, 2, [][]byte{[]byte(MultiCommand), []byte(strconv.Itoa(n))})
		w.AddFrom(&effects)
		for _, p := range pubs {
			w.Add(0, 2, [][]byte{[]byte("PUBLISH"), p.Channel, p.Message})
		}
	}
	return AppendStreamNode(w.Bytes(), sp.streamNode)
}
