package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/tidwall/redcon"
)

// waiters tracks clients parked by blocking commands, per key in the order
// their commands reached the machine (see expect), so a key that receives
// elements serves the longest waiting client first, as Redis does.
type waiters struct {
	mu    sync.Mutex
	byKey map[commands.ReadyKey][]*waiter
	count int
	n     atomic.Int64 // count, for writers' lock-free check
	// turns tracks, per key, the waiter whose turn it is to retry: a write
	// to the key hands the turn to the longest waiting client, and each
	// client passes it on to the one behind it after its retry, whether it
	// was served or not (one stream entry serves every XREAD, and a
	// consumer group's entry the first XREADGROUP in line). A write that
	// arrives during a round starts another round from the head.
	turns map[commands.ReadyKey]*keyTurn
	// expecting holds, by client id, the clients whose first blocking
	// attempt is in the log: parkOrigin puts one in line as its attempt is
	// applied (see expect).
	expecting map[int64]*parkSlot
	// collected, if not nil, is closed when an expecting client's attempt
	// is collected (resolved).
	collected chan struct{}
}

// parkSlot receives the waiter parkOrigin registered for a client; at is
// when its command arrived (resp.GuardConn.Arrived).
type parkSlot struct {
	wt   *waiter
	at   int64
	keys []commands.ReadyKey // the command's keys, if known (yielding)
	pre  *waiter             // the client's place, taken as it yielded
}

type keyTurn struct {
	holder  *waiter
	pending bool // a write arrived during this round
	// cur holds the writers waiting for this pass over the line to end,
	// next those whose write arrived during it (pending): the pass after
	// serves them. See awaitServed.
	cur, next []*wakeGroup
}

// wakeGroup is one writer waiting for the passes its write started (and
// those the served clients' own writes started in turn) to end.
type wakeGroup struct {
	n    int           // passes still under way
	done chan struct{} // closed when n drops to 0
}

// maxWakeWait bounds how long a writer's reply waits for the clients its
// write woke: a reply is late rather than never sent.
const maxWakeWait = 5 * time.Second

// join makes g wait for the pass over rk's line that serves a write just
// applied: the pass under way, or the next one if the write arrived
// during it. No turn means the line was served already.
func (w *waiters) joinLocked(g *wakeGroup, rk commands.ReadyKey) {
	if rk.AllKeys {
		for k := range w.turns {
			if k.DB == rk.DB {
				w.joinLocked(g, k)
			}
		}
		return
	}
	t := w.turns[rk]
	if t == nil || !slices.ContainsFunc(w.byKey[rk], func(x *waiter) bool { return !x.observes }) {
		return
	}
	if t.pending {
		if !slices.Contains(t.next, g) {
			t.next = append(t.next, g)
			g.n++
		}
	} else if !slices.Contains(t.cur, g) {
		t.cur = append(t.cur, g)
		g.n++
	}
}

// endPass releases the writers waiting for t's current pass.
func endPass(gs []*wakeGroup) {
	for _, g := range gs {
		if g.n--; g.n == 0 {
			close(g.done)
		}
	}
}

// awaitServed holds a writer whose entry signalled keys until the clients
// it woke have been served (or found nothing), like Redis, which serves
// them right after the command and before its client can send another:
// the writer's next command, on any connection it tells, sees the effect.
// The served clients' own writes count too (BLMOVE chains). Without
// blocked clients it is one atomic load.
func (w *waiters) awaitServed(keys []commands.ReadyKey) {
	if len(keys) == 0 || w.n.Load() == 0 {
		return
	}
	g := &wakeGroup{done: make(chan struct{})}
	w.mu.Lock()
	for _, rk := range keys {
		w.joinLocked(g, rk)
	}
	n := g.n
	w.mu.Unlock()
	if n == 0 {
		return
	}
	t := time.NewTimer(maxWakeWait)
	defer t.Stop()
	select {
	case <-g.done:
	case <-t.C:
	}
}

// chain is awaitServed for a blocked client's retry that was served and
// signalled keys itself (BLMOVE into a list others wait on): the writers
// waiting for the passes wt takes part in wait for the passes its write
// started too. A client holding no turn (served on its first attempt)
// waits as any writer.
func (w *waiters) chain(wt *waiter, keys []commands.ReadyKey) {
	if len(keys) == 0 || w.n.Load() == 0 {
		return
	}
	if wt != nil {
		w.mu.Lock()
		var gs []*wakeGroup
		held := false
		for _, rk := range wt.keys {
			if t := w.turns[rk]; t != nil && t.holder == wt {
				held = true
				gs = append(gs, t.cur...)
			}
		}
		if held {
			for _, g := range gs {
				for _, rk := range keys {
					w.joinLocked(g, rk)
				}
			}
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
	w.awaitServed(keys)
}

type waiter struct {
	id    int64 // the client
	at    int64 // when the command arrived: the line's order (Unix nanoseconds)
	keys  []commands.ReadyKey
	ch    chan struct{}              // signalled (non-blocking) when it is this waiter's turn
	ready func(db *commands.DB) bool // from its BlockRequest; nil: the key exists
	// observes: serving it changes nothing a writer's next command could
	// see (XREAD), so writers do not wait for it (awaitServed).
	observes bool
}

func (w *waiters) init() {
	w.byKey = map[commands.ReadyKey][]*waiter{}
	w.turns = map[commands.ReadyKey]*keyTurn{}
	w.expecting = map[int64]*parkSlot{}
}

// expect announces that client id's blocking command goes through the log
// now. Clients take their places in line in log order, as Redis serves
// them in the order they blocked: registering only when the goroutine got
// its reply would order them by how the scheduler woke them, and a push
// applied meanwhile could go to a client that blocked after them.
//
// Within the log, two clients' first attempts are in the order their
// goroutines proposed them, which need not be the order their commands
// reached the machine: at is the latter, and the line follows it (a client
// that sent its command first is served first even if the other's attempt
// was applied before its own), as Redis, reading one socket after the
// other, serves them.
func (w *waiters) expect(id, at int64, keys []commands.ReadyKey, pre *waiter) *parkSlot {
	slot := &parkSlot{at: at, keys: keys, pre: pre}
	w.mu.Lock()
	w.expecting[id] = slot
	w.mu.Unlock()
	return slot
}

// collect ends what expect began and returns the waiter put in line for
// the client meanwhile, if any.
func (w *waiters) collect(id int64, slot *parkSlot) *waiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.expecting[id] == slot {
		delete(w.expecting, id)
	}
	if w.collected != nil {
		close(w.collected)
		w.collected = nil
	}
	return slot.wt
}

// parkOrigin is the FSM's OnBlock hook: the client of this node that the
// entry came from (setOrigin) blocked; put it in line now.
func (s *Server) parkOrigin(db int, b *commands.BlockRequest) {
	id := s.tracking.origin.Load()
	if id == 0 {
		return
	}
	w := &s.waiters
	w.mu.Lock()
	defer w.mu.Unlock()
	if slot := w.expecting[id]; slot != nil && slot.wt == nil {
		if wt := slot.pre; wt != nil {
			// In line since it yielded, for all the command's keys: now
			// for those it waits on. Its turns pass on as it retried.
			slot.wt = wt
			w.relineLocked(wt, db, b.Keys)
		} else {
			slot.wt = w.addLocked(db, b.Keys, slot.at)
			slot.wt.id = id
		}
		slot.wt.ready, slot.wt.observes = b.Ready, b.Observes
	}
}

// setReady records how wt's blocked command decides it would be served.
func (w *waiters) setReady(wt *waiter, b *commands.BlockRequest) {
	w.mu.Lock()
	wt.ready, wt.observes = b.Ready, b.Observes
	w.mu.Unlock()
}

func wake(wt *waiter) {
	select {
	case wt.ch <- struct{}{}:
	default:
	}
}

// add puts a relayed client in line, behind everyone there now: its
// place is its attempt's place in the log.
func (w *waiters) add(db int, keys []string) *waiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addLocked(db, keys, time.Now().UnixNano())
}

// addLocked puts a client whose command arrived at in line for keys,
// behind those that arrived before it.
func (w *waiters) addLocked(db int, keys []string, at int64) *waiter {
	wt := &waiter{ch: make(chan struct{}, 1), at: at}
	w.placeLocked(wt, db, keys)
	w.count++
	w.n.Store(int64(w.count))
	return wt
}

// placeLocked puts wt in the line of each of keys, by arrival.
func (w *waiters) placeLocked(wt *waiter, db int, keys []string) {
	for _, k := range keys {
		rk := commands.ReadyKey{DB: db, Key: k}
		if slices.Contains(wt.keys, rk) {
			continue
		}
		wt.keys = append(wt.keys, rk)
		q := w.byKey[rk]
		i := len(q)
		for i > 0 && q[i-1].at > wt.at {
			i--
		}
		w.byKey[rk] = slices.Insert(q, i, wt)
	}
}

// relineLocked moves wt, in line since it yielded, to the lines of keys,
// those it blocked on; a line whose turn it holds it leaves as it passes
// the turn on.
func (w *waiters) relineLocked(wt *waiter, db int, keys []string) {
	kept := wt.keys[:0]
	for _, rk := range wt.keys {
		if rk.DB == db && slices.Contains(keys, rk.Key) || w.turns[rk] != nil && w.turns[rk].holder == wt {
			kept = append(kept, rk)
			continue
		}
		q := slices.DeleteFunc(w.byKey[rk], func(x *waiter) bool { return x == wt })
		if len(q) == 0 {
			delete(w.byKey, rk)
		} else {
			w.byKey[rk] = q
		}
	}
	wt.keys = kept
	w.placeLocked(wt, db, keys)
}

// unplaceLocked takes wt out of every line, keeping its count.
func (w *waiters) unplaceLocked(wt *waiter) {
	for _, rk := range wt.keys {
		q := slices.DeleteFunc(w.byKey[rk], func(x *waiter) bool { return x == wt })
		if len(q) == 0 {
			delete(w.byKey, rk)
		} else {
			w.byKey[rk] = q
		}
	}
	wt.keys = wt.keys[:0]
}

// remove takes wt out of every queue; it is done waiting.
func (w *waiters) remove(wt *waiter) {
	w.mu.Lock()
	w.unplaceLocked(wt)
	w.count--
	w.n.Store(int64(w.count))
	w.mu.Unlock()
}

// signal is the FSM's OnReady hook: for each key, hand the turn to the
// client that has waited longest, unless a round is under way.
func (w *waiters) signal(keys []commands.ReadyKey) {
	w.mu.Lock()
	for _, rk := range keys {
		if rk.AllKeys {
			// SWAPDB: every key of the db with waiters gets its turn (a
			// waiter that still finds nothing parks again, keeping its place).
			for k := range w.byKey {
				if k.DB == rk.DB {
					w.signalKeyLocked(k)
				}
			}
			continue
		}
		w.signalKeyLocked(rk)
	}
	w.mu.Unlock()
}

// signalKeyLocked hands rk's turn to its longest waiting client, or marks
// the turn in progress as having more to serve.
func (w *waiters) signalKeyLocked(rk commands.ReadyKey) {
	q := w.byKey[rk]
	if len(q) == 0 {
		return
	}
	if t := w.turns[rk]; t != nil {
		t.pending = true
		return
	}
	w.turns[rk] = &keyTurn{holder: q[0]}
	wake(q[0])
}

// passOn is called by wt after each retry and when it stops waiting: each
// key whose turn it holds goes to the next client in line that would be
// served now, or round again from the head if writes arrived during the
// round; otherwise the round ends. Skipping clients that would find
// nothing matters for streams: a retry that finds nothing could otherwise
// commit after the next write and take an entry from an older waiter.
func (w *waiters) passOn(st *commands.Store, db int, wt *waiter, leaving bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	serves := func(x *waiter, rk commands.ReadyKey) bool {
		if x.ready != nil {
			return x.ready(st.DBs[db])
		}
		_, _, ok := st.DBs[db].Peek(rk.Key)
		return ok
	}
	for _, rk := range wt.keys {
		t := w.turns[rk]
		if t == nil || t.holder != wt {
			continue
		}
		q := w.byKey[rk]
		i := slices.Index(q, wt)
		var next *waiter
		for _, x := range q[i+1:] {
			if serves(x, rk) {
				next = x
				break
			}
		}
		if next == nil && t.pending {
			t.pending = false
			// A new pass from the head: it serves the writers that
			// arrived during the last one.
			endPass(t.cur)
			t.cur, t.next = t.next, nil
			for _, x := range q {
				if (x != wt || !leaving) && serves(x, rk) {
					next = x
					break
				}
			}
		}
		if next == nil {
			endPass(t.cur)
			endPass(t.next)
			delete(w.turns, rk)
			continue
		}
		t.holder = next
		wake(next)
	}
}

func (w *waiters) blocked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

// blockingCommand runs BLPOP and friends: try through the log; if nothing can
// be served, park until a key is signalled, the timeout passes, the client
// disconnects or the server stops.
func (s *Server) blockingCommand(cl *Client, cmd *commands.Command, args [][]byte) {
	timeout, errMsg := commands.BlockTimeout(cmd, args)
	if errMsg != "" {
		cl.out.Error(errMsg)
		return
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Millisecond)
		defer t.Stop()
		deadline = t.C
	}
	var closed <-chan struct{}
	var wt *waiter        // registered after the first attempt finds nothing
	var yielded *waiter   // in line before its first attempt was applied (blocking_yield.go)
	var unblock chan bool // CLIENT UNBLOCK: true for ERROR, false for TIMEOUT
	waiting := false      // parked: unblock, blocked and the close watch are set up
	at := cl.arrived()
	var keys []commands.ReadyKey // for yielding (blocking_yield.go)
	defer func() {
		if wt == nil {
			wt = yielded
		}
		if wt != nil {
			st := s.fsm.RLock()
			s.waiters.passOn(st, cl.db, wt, true)
			s.fsm.RUnlock()
			s.waiters.remove(wt)
			cl.unblock.Store(nil)
			cl.blocked.Store(false)
		}
	}()
	var stopWatch context.CancelFunc
	defer func() {
		if stopWatch != nil {
			stopWatch()
		}
	}()
	for {
		cl.entry.Reset(time.Now().UnixMilli())
		proto := cl.proto
		if wt != nil {
			proto |= fsm.ProtoRetry
		}
		cl.entry.Add(cl.db, proto, args)
		var slot *parkSlot
		var check func() bool
		data := cl.entry.Bytes()
		if wt == nil && cl.relayOrigin.run == "" {
			// The entry names this client so that it is put in line as the
			// attempt is applied (parkOrigin).
			if keys == nil {
				keys = lineKeys(cmd, args, cl.db)
			}
			slot = s.waiters.expect(cl.ID, at, keys, yielded)
			if keys != nil {
				check = func() bool { return !s.waiters.mustYield(cl.ID, at, keys) }
			}
			data = fsm.AppendStreamNode(origin{s.runID, cl.ID}.stamp(data), commands.StreamNodeConfig())
		} else {
			data = s.stampOrigin(cl, data)
		}
		cl.entry.Reset(0)
		res, err := s.node.ApplyChecked(data, check)
		if slot != nil {
			if parked := s.waiters.collect(cl.ID, slot); parked != nil {
				// In line already; the deferred cleanup takes it out if
				// this attempt does not end up waiting.
				wt = parked
				cl.blocked.Store(true)
			} else if yielded != nil && !errors.Is(err, cluster.ErrCheckFailed) {
				wt = yielded // served: its place goes with the cleanup
			}
		}
		if errors.Is(err, cluster.ErrCheckFailed) {
			// An earlier arrival goes first: wait in line behind it.
			resolved := s.waiters.resolved()
			if yielded == nil {
				yielded = s.waiters.yieldLine(cl.ID, cl.db, keys, at)
			}
			s.parkClient(cl, &waiting, &unblock, &closed, &stopWatch)
			if !s.waiters.mustYield(cl.ID, at, keys) {
				continue
			}
			if s.awaitWake(cl, yielded.ch, resolved, deadline, unblock, closed) {
				continue
			}
			return
		}
		if err != nil {
			cl.out.Error(clusterError(err))
			return
		}
		if res.Block == nil {
			if len(res.Ready) > 0 {
				// Served, and it pushed to keys others wait on: they are
				// served before this reply, as the writers waiting for
				// this client's pass wait for them too.
				s.waiters.chain(wt, res.Ready)
			}
			if r := res.Reply; len(r) > 2 && r[0] == '-' {
				// Through Error, so the command counts as failed (commandstats).
				cl.out.Error(string(r[1 : len(r)-2]))
			} else {
				cl.out.Raw(r)
			}
			res.Release()
			return
		}
		if res.Block.Args != nil {
			args = res.Block.Args // XREAD's "$" stays what it was when we blocked
		}
		first := slot != nil || wt == nil
		if wt != nil && (!first || yielded != nil) {
			// A retry, or a first attempt of a client in line since it
			// yielded: pass on the turns it may hold.
			s.waiters.setReady(wt, res.Block)
			st := s.fsm.RLock()
			s.waiters.passOn(st, cl.db, wt, false)
			s.fsm.RUnlock()
		}
		if first {
			// Keep this place in line until the command is served, times out
			// or the client goes away (a relayed client's place is taken
			// here; others' as their attempt was applied).
			if wt == nil {
				wt = s.waiters.add(cl.db, res.Block.Keys)
				wt.id = cl.ID
			}
			s.waiters.setReady(wt, res.Block)
			s.parkClient(cl, &waiting, &unblock, &closed, &stopWatch)
			cl.blocked.Store(true)
			if s.readyNow(cl.db, res.Block) {
				// A write committed between our attempt and registering: a
				// push, or (XREADGROUP) the stream's deletion, which ends
				// the wait with an error.
				continue
			}
		}
		if s.awaitWake(cl, wt.ch, nil, deadline, unblock, closed) {
			continue
		}
		return
	}
}

// awaitWake parks a blocked client until a wake-up (wake or also, true:
// try again) or the end of its wait (false), which it answers as Redis
// does: the timeout, CLIENT UNBLOCK, the client leaving, the server
// stopping.
func (s *Server) awaitWake(cl *Client, wake <-chan struct{}, also <-chan struct{}, deadline <-chan time.Time, unblock chan bool, closed <-chan struct{}) bool {
	select {
	case <-wake:
		return true
	case <-also:
		return true
	case <-deadline:
		cl.out.NullArray()
	case asError := <-unblock:
		if asError {
			cl.out.Error(commands.ErrUnblocked)
		} else {
			cl.out.NullArray()
		}
	case <-closed:
		cl.closing = true
	case <-s.done:
		cl.out.Error("UNBLOCKED server is shutting down")
	}
	return false
}

// parkClient sets up a blocked client's wait once (*waiting): CLIENT
// UNBLOCK's channel, the blocked flag, the replies of earlier commands of
// the pipeline sent, and the watch for the peer closing (until the client
// is served: the caller calls *stopWatch).
func (s *Server) parkClient(cl *Client, waiting *bool, unblock *chan bool, closed *<-chan struct{}, stopWatch *context.CancelFunc) {
	if *waiting {
		return
	}
	*waiting = true
	*unblock = make(chan bool, 1)
	cl.unblock.Store(unblock)
	cl.blocked.Store(true)
	// Send what earlier commands of the pipeline produced before parking.
	s.flushOut(cl)
	*closed, *stopWatch = s.watchClose(cl)
}

// readyNow reports whether a retry of a command that blocked with b would
// be served now (b.Ready; without it, whether one of its keys exists).
func (s *Server) readyNow(db int, b *commands.BlockRequest) bool {
	if b.Ready == nil {
		return s.anyKeyExists(db, b.Keys)
	}
	st := s.fsm.RLock()
	defer s.fsm.RUnlock()
	return b.Ready(st.DBs[db])
}

func (s *Server) anyKeyExists(db int, keys []string) bool {
	st := s.fsm.RLock()
	defer s.fsm.RUnlock()
	for _, k := range keys {
		if _, _, ok := st.DBs[db].Peek(k); ok {
			return true
		}
	}
	return false
}

// flushOut writes the replies gathered so far to the socket.
func (s *Server) flushOut(cl *Client) {
	if cl.out.Len() == 0 {
		return
	}
	s.sending(cl)
	cl.conn.WriteRaw(cl.out.Bytes())
	cl.out.Reset()
	redcon.BaseWriter(cl.conn).Flush()
}

// watchClose reports the peer closing while the client is parked.
func (s *Server) watchClose(cl *Client) (<-chan struct{}, context.CancelFunc) {
	g := cl.guard()
	if g == nil {
		return nil, func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return g.WatchClose(ctx), cancel
}
