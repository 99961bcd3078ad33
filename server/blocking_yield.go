package server

import (
	"slices"

	"github.com/geomys/geomys/commands"
)

// A blocking command's first attempt goes through the log in the order its
// connection's goroutine got to propose it, which need not be the order
// commands reached the machine. A client whose command arrived after
// another's, but whose attempt is applied while that other client is
// still in line for the key (its attempt in flight, or its turn under way
// after a push woke it), would take the element from it. It yields
// instead: it takes its place in line (by arrival) and tries when its turn
// comes, or when the earlier attempt was applied, as Redis, which reads
// one socket after the other, would have had it block behind the other.
//
// What it cannot see is a command that reached the machine but that its
// connection's goroutine has not read yet: a push applied before that
// goroutine proposed its attempt can still go to a later arrival.

// lineKeys are the keys of a blocking command (args) in db, for yielding;
// nil when they cannot be told. A first attempt with keys is proposed with
// mustYield as its check, run at the head of the log: only then is
// everything before it applied, so that the check sees the clients in line
// and the attempts still in flight as the attempt will find them (a check
// made before proposing could be overtaken by an earlier arrival's attempt).
func lineKeys(cmd *commands.Command, args [][]byte, db int) []commands.ReadyKey {
	refs, ok := cmd.KeysWithFlags(args)
	if !ok {
		return nil
	}
	keys := make([]commands.ReadyKey, 0, len(refs))
	for _, r := range refs {
		if r.Flags&commands.KeyInsert != 0 {
			continue // BLMOVE's destination: it waits on the source
		}
		rk := commands.ReadyKey{DB: db, Key: string(args[r.Pos])}
		if !slices.Contains(keys, rk) {
			keys = append(keys, rk)
		}
	}
	return keys
}

// mustYield tells whether client id, whose command arrived at, must let
// an earlier arrival go first: one's attempt on a shared key is not
// applied yet, or a turn is under way on a key an earlier client waits for.
func (w *waiters) mustYield(id, at int64, keys []commands.ReadyKey) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, rk := range keys {
		if t := w.turns[rk]; t == nil || t.holder.id == id {
			continue // no round, or the turn is its own
		}
		for _, x := range w.byKey[rk] {
			if x.at < at && x.id != id {
				return true
			}
		}
	}
	for oid, sl := range w.expecting {
		if oid != id && sl.wt == nil && sl.at < at && sharesKey(sl.keys, keys) {
			return true
		}
	}
	return false
}

func sharesKey(a, b []commands.ReadyKey) bool {
	for _, k := range a {
		if slices.Contains(b, k) {
			return true
		}
	}
	return false
}

// resolved returns a channel closed when the next first attempt in flight
// is collected (an earlier arrival a yielding client waits for).
func (w *waiters) resolved() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.collected == nil {
		w.collected = make(chan struct{})
	}
	return w.collected
}

// yieldLine puts client id in line for keys as it yields, by arrival.
func (w *waiters) yieldLine(id int64, db int, keys []commands.ReadyKey, at int64) *waiter {
	ks := make([]string, len(keys))
	for i, rk := range keys {
		ks[i] = rk.Key
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	wt := w.addLocked(db, ks, at)
	wt.id = id
	return wt
}
