package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/tidwall/redcon"
)

// waiters tracks clients parked by blocking commands, per key in the order
// they blocked, so a key that receives elements serves the longest waiting
// client first, as Redis does.
type waiters struct {
	mu    sync.Mutex
	byKey map[commands.ReadyKey][]*waiter
	count int
}

type waiter struct {
	keys []commands.ReadyKey
	ch   chan struct{} // signalled (non-blocking) when it is this waiter's turn
}

func (w *waiters) init() { w.byKey = map[commands.ReadyKey][]*waiter{} }

func (w *waiters) add(db int, keys []string) *waiter {
	wt := &waiter{ch: make(chan struct{}, 1)}
	w.mu.Lock()
	for _, k := range keys {
		rk := commands.ReadyKey{DB: db, Key: k}
		if slices.Contains(wt.keys, rk) {
			continue
		}
		wt.keys = append(wt.keys, rk)
		w.byKey[rk] = append(w.byKey[rk], wt)
	}
	w.count++
	w.mu.Unlock()
	return wt
}

// remove takes wt out of every queue; it is done waiting.
func (w *waiters) remove(wt *waiter) {
	w.mu.Lock()
	for _, rk := range wt.keys {
		q := slices.DeleteFunc(w.byKey[rk], func(x *waiter) bool { return x == wt })
		if len(q) == 0 {
			delete(w.byKey, rk)
		} else {
			w.byKey[rk] = q
		}
	}
	w.count--
	w.mu.Unlock()
}

// signal is the FSM's OnReady hook: for each key, wake the client that has
// waited longest. It retries its command through the log; when it is served
// and the key still holds something, it passes the turn on (see done).
func (w *waiters) signal(keys []commands.ReadyKey) {
	w.mu.Lock()
	for _, rk := range keys {
		if q := w.byKey[rk]; len(q) > 0 {
			select {
			case q[0].ch <- struct{}{}:
			default:
			}
		}
	}
	w.mu.Unlock()
}

// signalAfter wakes, for each key, the waiter queued right after wt.
func (w *waiters) signalAfter(keys []commands.ReadyKey, wt *waiter) {
	w.mu.Lock()
	for _, rk := range keys {
		q := w.byKey[rk]
		if i := slices.Index(q, wt); i >= 0 && i+1 < len(q) {
			select {
			case q[i+1].ch <- struct{}{}:
			default:
			}
		}
	}
	w.mu.Unlock()
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
	var wt *waiter // registered after the first attempt finds nothing
	woken := false // this attempt follows a signal
	defer func() {
		if wt != nil {
			s.waiters.remove(wt)
			s.passTurn(cl.db, wt.keys)
			cl.blocked.Store(false)
		}
	}()
	for {
		cl.entry.Reset(time.Now().UnixMilli())
		cl.entry.Add(cl.db, cl.proto, args)
		data := cl.entry.Bytes()
		cl.entry.Reset(0)
		res, err := s.node.Apply(data)
		wasWoken := woken
		woken = false
		if err != nil {
			cl.out.Error(clusterError(err))
			return
		}
		if res.Block == nil {
			cl.out.Raw(res.Reply)
			return
		}
		if res.Block.Args != nil {
			args = res.Block.Args // XREAD's "$" stays what it was when we blocked
		}
		if wasWoken {
			// Woken but nothing for us (a stream entry another waiter took,
			// or one this reader is not after): let the next waiter look.
			s.passTurnAfter(cl.db, wt)
		}
		if wt == nil {
			// Keep this place in line until the command is served, times out
			// or the client goes away.
			wt = s.waiters.add(cl.db, res.Block.Keys)
			cl.blocked.Store(true)
			if s.anyKeyExists(cl.db, res.Block.Keys) {
				continue // a push committed between our attempt and registering
			}
			// Send what earlier commands of the pipeline produced before parking.
			s.flushOut(cl)
			var stop context.CancelFunc
			closed, stop = s.watchClose(cl)
			defer stop()
		}
		select {
		case <-wt.ch:
			woken = true
			continue
		case <-deadline:
			cl.out.NullArray()
		case <-closed:
			cl.closing = true
		case <-s.done:
			cl.out.Error("UNBLOCKED server is shutting down")
		}
		return
	}
}

// passTurn wakes the next waiter of every key that still holds something, so
// several elements pushed at once reach several waiters, oldest first.
func (s *Server) passTurn(db int, keys []commands.ReadyKey) {
	var ready []commands.ReadyKey
	st := s.fsm.RLock()
	for _, rk := range keys {
		if _, _, ok := st.DBs[db].Peek(rk.Key); ok {
			ready = append(ready, rk)
		}
	}
	s.fsm.RUnlock()
	if len(ready) > 0 {
		s.waiters.signal(ready)
	}
}

// passTurnAfter wakes, for each of wt's keys that holds something, the
// waiter right behind wt, so a wake-up that wt could not use still reaches
// the others in arrival order (stream readers: one entry serves them all).
func (s *Server) passTurnAfter(db int, wt *waiter) {
	var ready []commands.ReadyKey
	st := s.fsm.RLock()
	for _, rk := range wt.keys {
		if _, _, ok := st.DBs[db].Peek(rk.Key); ok {
			ready = append(ready, rk)
		}
	}
	s.fsm.RUnlock()
	s.waiters.signalAfter(ready, wt)
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
