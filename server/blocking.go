package server

import (
	"context"
	"sync"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/tidwall/redcon"
)

// waiters tracks clients parked by blocking commands, by key.
type waiters struct {
	mu    sync.Mutex
	byKey map[commands.ReadyKey]map[*waiter]struct{}
	count int
}

type waiter struct {
	keys []commands.ReadyKey
	ch   chan struct{} // signalled (non-blocking) when a key may be ready
}

func (w *waiters) init() { w.byKey = map[commands.ReadyKey]map[*waiter]struct{}{} }

func (w *waiters) add(db int, keys []string) *waiter {
	wt := &waiter{ch: make(chan struct{}, 1)}
	w.mu.Lock()
	for _, k := range keys {
		rk := commands.ReadyKey{DB: db, Key: k}
		wt.keys = append(wt.keys, rk)
		set := w.byKey[rk]
		if set == nil {
			set = map[*waiter]struct{}{}
			w.byKey[rk] = set
		}
		set[wt] = struct{}{}
	}
	w.count++
	w.mu.Unlock()
	return wt
}

func (w *waiters) remove(wt *waiter) {
	w.mu.Lock()
	for _, rk := range wt.keys {
		if set := w.byKey[rk]; set != nil {
			delete(set, wt)
			if len(set) == 0 {
				delete(w.byKey, rk)
			}
		}
	}
	w.count--
	w.mu.Unlock()
}

// signal is the FSM's OnReady hook: wake everyone waiting on these keys. Each
// woken client retries its command through the log; whoever's entry commits
// first gets the element, the others park again.
func (w *waiters) signal(keys []commands.ReadyKey) {
	w.mu.Lock()
	for _, rk := range keys {
		for wt := range w.byKey[rk] {
			select {
			case wt.ch <- struct{}{}:
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
	for {
		cl.entry.Reset(time.Now().UnixMilli())
		cl.entry.Add(cl.db, cl.proto, args)
		data := cl.entry.Bytes()
		cl.entry.Reset(0)
		res, err := s.node.Apply(data)
		if err != nil {
			cl.out.Error(clusterError(err))
			return
		}
		if res.Block == nil {
			cl.out.Raw(res.Reply)
			return
		}
		wt := s.waiters.add(cl.db, res.Block.Keys)
		if s.anyKeyExists(cl.db, res.Block.Keys) {
			// A push committed between our attempt and registering: retry now.
			s.waiters.remove(wt)
			continue
		}
		if closed == nil {
			// Send what earlier commands of the pipeline produced before parking.
			s.flushOut(cl)
			var stop context.CancelFunc
			closed, stop = s.watchClose(cl)
			defer stop()
		}
		cl.blocked.Store(true)
		select {
		case <-wt.ch:
			s.waiters.remove(wt)
			cl.blocked.Store(false)
			continue
		case <-deadline:
			cl.out.NullArray()
		case <-closed:
			cl.closing = true
		case <-s.done:
			cl.out.Error("UNBLOCKED server is shutting down")
		}
		s.waiters.remove(wt)
		cl.blocked.Store(false)
		return
	}
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
