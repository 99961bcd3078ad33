package fsm

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/geomys/geomys/commands"
)

// Speculate runs fn at the head of the log — the caller makes sure every
// earlier entry is applied and none can come in between (cluster's prepared
// proposals) — against the live dataset under the write lock, then undoes
// everything fn changed. It returns the log entry that redoes fn's effects on
// every node: the commands fn's commands propagated, in order, as one
// transaction (so the AOF brackets them with MULTI/EXEC, as Redis writes a
// script's effects), preceded by lead (internal commands such as a script
// cache load). The entry is nil when there is nothing to apply.
//
// fn reports whether its effects stand; when it says no (a script stopped
// by SCRIPT KILL or a shutdown) nothing is proposed.
//
// fn's Ctx has the entry's clock in Now and its own random source; fn sets
// R and calls Begin/Finish around each command it runs. Watchers are not told
// about the speculative changes: the entry's application tells them.
func (f *FSM) Speculate(lead [][][]byte, fn func(c *commands.Ctx) bool) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := max(time.Now().UnixMilli(), f.lastTime)
	type effect struct {
		db   int
		args [][]byte
	}
	var effects []effect
	var w EntryWriter
	prop := commands.NewPropagation()
	prop.Effect = func(db int, args [][]byte) {
		// Copied: the arguments may alias buffers the script reuses.
		cp := make([][]byte, len(args))
		for i, a := range args {
			cp[i] = append([]byte(nil), a...)
		}
		effects = append(effects, effect{db, cp})
	}
	c := &commands.Ctx{Store: f.store, Now: now, Prop: prop, R: commands.NewReply(2),
		Rand: rand.New(rand.NewPCG(uint64(now), f.applied))}
	watches := f.store.Watches
	f.store.Watches = nil
	j := f.store.BeginJournal()
	keep := fn(c)
	j.Rollback()
	f.store.Watches = watches
	c.TakeReady()
	pubs := c.TakePublications()
	if !keep {
		return nil
	}
	if len(lead) == 0 && len(effects) == 0 && len(pubs) == 0 {
		return nil
	}
	w.Reset(now)
	for _, l := range lead {
		w.Add(0, 2, l)
	}
	n := len(effects) + len(pubs)
	if n > 0 {
		w.Add(0, 2, [][]byte{[]byte(MultiCommand), []byte(strconv.Itoa(n))})
		for _, e := range effects {
			w.Add(e.db, 2, e.args)
		}
		for _, p := range pubs {
			w.Add(0, 2, [][]byte{[]byte("PUBLISH"), p.Channel, p.Message})
		}
	}
	return w.Bytes()
}
