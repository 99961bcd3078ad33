package server

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// txState is a connection's MULTI/WATCH state. A transaction is queued here
// and proposed at EXEC as one log entry, so every node applies it at once.
type txState struct {
	active  bool
	aborted bool // a command failed to queue: EXEC answers EXECABORT
	queued  []queuedCmd
	watched []watchedKey
	// dirty is set (by the FSM goroutine, through the registry) when a
	// watched key changes.
	dirty atomic.Bool
}

type queuedCmd struct {
	cmd  *commands.Command
	args [][]byte
}

type watchedKey struct {
	key     commands.ReadyKey
	existed bool // live at WATCH: if it has expired by EXEC, EXEC aborts
}

// watchRegistry is Redis' watched_keys on this node: which clients watch
// which keys. The FSM reports every key change to it (commands.WatchSet), so
// a WATCH is exact: any change between WATCH and EXEC aborts the EXEC, even
// one that restores the same value. EXEC's final check runs when every
// earlier entry is applied and its own entry goes next (cluster.ApplyChecked),
// so the decision is made at its exact point in the log; followers simply
// apply the transaction the leader let through.
type watchRegistry struct {
	mu    sync.Mutex
	count atomic.Int32
	// byKey holds, per watched key, its watchers and whether the key had
	// already expired (present but past its TTL) when each watched it:
	// Redis' watchedKey.expired, which makes its deletion no change.
	byKey map[commands.ReadyKey]map[*Client]bool
	// Client tracking shares this hook: while any connection tracks keys
	// (tracking > 0) every change is also handed to invalidate.
	tracking   *atomic.Int32
	invalidate func(key string, all bool)
}

func (w *watchRegistry) Active() bool {
	return w.count.Load() > 0 || w.tracking != nil && w.tracking.Load() > 0
}

func (w *watchRegistry) Touch(db int, key string, all bool) {
	if w.tracking != nil && w.tracking.Load() > 0 {
		w.invalidate(key, all || db < 0)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !all {
		for cl := range w.byKey[commands.ReadyKey{DB: db, Key: key}] {
			cl.tx.dirty.Store(true)
		}
		return
	}
	for rk, set := range w.byKey {
		if db < 0 || rk.DB == db {
			for cl := range set {
				cl.tx.dirty.Store(true)
			}
		}
	}
}

func (w *watchRegistry) Deleted(db int, key string) {
	if w.tracking != nil && w.tracking.Load() > 0 {
		w.invalidate(key, false)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.byKey[commands.ReadyKey{DB: db, Key: key}]
	for cl, expired := range set {
		if expired {
			set[cl] = false // deleted keys are not "expired" any more
			continue
		}
		cl.tx.dirty.Store(true)
	}
}

func (w *watchRegistry) Replaced(dbs []int, had func(db int, key string) bool, holds func(db int, key string) commands.KeyState) {
	if w.tracking != nil && w.tracking.Load() > 0 {
		w.invalidate("", true)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for rk, set := range w.byKey {
		if !slices.Contains(dbs, rk.DB) {
			continue
		}
		before, after := had(rk.DB, rk.Key), holds(rk.DB, rk.Key)
		if !before && after == commands.KeyAbsent {
			continue
		}
		for cl, expired := range set {
			switch {
			case expired && after == commands.KeyAbsent:
				set[cl] = false
				continue
			case expired && after == commands.KeyStale:
				continue
			case !expired && !before && after == commands.KeyStale:
				set[cl] = true // a missing key replaced by an expired one
				continue
			}
			cl.tx.dirty.Store(true)
		}
	}
}

// add registers cl as watching rk; expired: rk was present but past its
// TTL. A key watched twice keeps its first registration, as in Redis.
func (w *watchRegistry) add(cl *Client, rk commands.ReadyKey, expired bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[commands.ReadyKey]map[*Client]bool{}
	}
	set := w.byKey[rk]
	if set == nil {
		set = map[*Client]bool{}
		w.byKey[rk] = set
	}
	if _, dup := set[cl]; !dup {
		set[cl] = expired
		w.count.Add(1)
	}
}

// unwatch forgets all of cl's watched keys.
func (s *Server) unwatch(cl *Client) {
	if len(cl.tx.watched) == 0 {
		return
	}
	w := &s.watches
	w.mu.Lock()
	for _, k := range cl.tx.watched {
		if set := w.byKey[k.key]; set != nil {
			if _, ok := set[cl]; ok {
				delete(set, cl)
				w.count.Add(-1)
			}
			if len(set) == 0 {
				delete(w.byKey, k.key)
			}
		}
	}
	w.mu.Unlock()
	cl.tx.watched = nil
	cl.tx.dirty.Store(false)
}

// queueInMulti queues cmd when the client is inside MULTI; it reports whether
// the command was handled (queued or refused) here.
func (s *Server) queueInMulti(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if !cl.tx.active {
		return false
	}
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	s.flushWrites(cl)
	if cmd.Is(commands.NoMulti) {
		cl.txQueueError()
		cl.out.Error("ERR Command not allowed inside a transaction")
		return true
	}
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	cl.tx.queued = append(cl.tx.queued, queuedCmd{cmd: cmd, args: cp})
	cl.out.Simple("QUEUED")
	return true
}

const errExecAbort = "EXECABORT Transaction discarded because of previous errors."

// txQueueError is called when a command inside MULTI could not be queued.
func (cl *Client) txQueueError() {
	if cl.tx.active {
		cl.tx.aborted = true
	}
}

// resetTx ends MULTI and forgets watched keys.
func (s *Server) resetTx(cl *Client) {
	s.unwatch(cl)
	cl.tx.active, cl.tx.aborted, cl.tx.queued = false, false, nil
}

func multiCommand(s *Server, cl *Client, args [][]byte) {
	if cl.tx.active {
		cl.out.Error("ERR MULTI calls can not be nested")
		return
	}
	cl.tx.active = true
	cl.out.OK()
}

func discardCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.tx.active {
		cl.out.Error("ERR DISCARD without MULTI")
		return
	}
	s.resetTx(cl)
	cl.out.OK()
}

func watchCommand(s *Server, cl *Client, args [][]byte) {
	if cl.tx.active {
		cl.out.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	if err := s.node.ReadReady(s.ctx()); err != nil {
		cl.out.Error(clusterError(err))
		return
	}
	now := time.Now().UnixMilli()
	// Registered under the read lock, so no write is applied half before and
	// half after the registration.
	st := s.fsm.RLock()
	for _, k := range args[1:] {
		rk := commands.ReadyKey{DB: cl.db, Key: string(k)}
		_, at, ok := st.DBs[cl.db].Peek(rk.Key)
		stale := ok && at > 0 && at <= now
		s.watches.add(cl, rk, stale)
		cl.tx.watched = append(cl.tx.watched, watchedKey{key: rk, existed: ok && !stale})
	}
	s.fsm.RUnlock()
	cl.out.OK()
}

func unwatchCommand(s *Server, cl *Client, args [][]byte) {
	s.unwatch(cl)
	cl.out.OK()
}

// execCommand builds the transaction's entry: a ".multi" header with the
// command count, then the commands. Commands the server runs itself (PING,
// SELECT, ...) are run now, in order, and their replies travel in the entry
// so the EXEC reply keeps Redis' order.
func execCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.tx.active {
		cl.out.Error("ERR EXEC without MULTI")
		return
	}
	queued, aborted, watched := cl.tx.queued, cl.tx.aborted, len(cl.tx.watched) > 0
	defer s.resetTx(cl)
	// A discarded EXEC still reaches MONITOR, as Redis feeds every EXEC.
	if aborted {
		if s.monitors.n.Load() > 0 {
			s.monitors.feed(cl.db, cl.Addr, args)
		}
		cl.out.Error(errExecAbort)
		return
	}
	if watched && s.watchBroken(cl) {
		if s.monitors.n.Load() > 0 {
			s.monitors.feed(cl.db, cl.Addr, args)
		}
		cl.out.NullArray()
		return
	}
	if s.monitors.n.Load() > 0 {
		for _, q := range queued {
			s.feedClient(cl, q.cmd, q.args)
		}
		s.monitors.feed(cl.db, cl.Addr, args)
	}
	if hasScriptCall(queued) {
		s.execWithScripts(cl, queued, watched)
		return
	}
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	w.Add(cl.db, cl.proto, [][]byte{[]byte(fsm.MultiCommand), []byte(strconv.Itoa(len(queued)))})
	kick := false
	defer func() {
		if kick {
			s.link.kick()
		}
	}()
	// Server commands answer into a buffer of their own each: errors
	// replied so far are counted first, for an INFO or RESETSTAT among them.
	s.countErrorsSoFar(cl)
	saved, savedMark := cl.out, cl.errMark
	for _, q := range queued {
		if !q.cmd.Is(commands.Server) {
			w.Add(cl.db, cl.proto, q.args)
			continue
		}
		if isReplicaOf(q.cmd) {
			// Its place in the log orders it with the transaction's writes.
			if entry, msg := replicaOfEntry(cl, q.args); msg == "" {
				w.Add(cl.db, cl.proto, entry)
				kick = true
				continue
			}
		}
		cl.out, cl.errMark = commands.Reply{Proto: cl.proto}, 0
		start := time.Now()
		s.serverCommand(cl, q.cmd, q.args)
		if s.timing.Load() {
			s.observe(cl, q.cmd, q.args, time.Since(start))
		}
		w.Add(cl.db, cl.proto, [][]byte{[]byte(fsm.ReplyCommand), cl.out.Bytes()})
	}
	cl.out, cl.errMark = saved, savedMark
	var check func() bool
	if watched {
		check = func() bool { return !s.watchBroken(cl) }
	}
	start := time.Now()
	res, err := s.node.ApplyChecked(s.stampOrigin(cl, w.Bytes()), check)
	// SLOWLOG and the latency monitor see the transaction's commands, not
	// EXEC, each with its execution time (the entry's commands are the
	// transaction's header and then the queued ones, in order).
	if err == nil && s.timing.Load() {
		d := time.Since(start)
		for i, q := range queued {
			if q.cmd.Is(commands.Server) {
				continue
			}
			if res != nil && len(res.Exec) == len(queued)+1 {
				d = res.Exec[i+1]
			}
			s.observe(cl, q.cmd, q.args, d)
		}
	}
	switch {
	case errors.Is(err, cluster.ErrCheckFailed):
		cl.out.NullArray()
	case err != nil:
		cl.out.Error(clusterError(err))
	default:
		cl.out.Raw(res.Reply)
		s.recordTx(queued, res.Reply, res.Exec, time.Since(start))
		s.waiters.awaitServed(res.Ready)
	}
}

// recordTx counts a transaction's commands in commandstats, as Redis counts
// each command EXEC runs; reply is EXEC's array of their replies, exec the
// execution times of its log entry's commands when known.
func (s *Server) recordTx(queued []queuedCmd, reply []byte, exec []time.Duration, d time.Duration) {
	i := bytes.Index(reply, []byte("\r\n"))
	if i < 0 || len(reply) == 0 || reply[0] != '*' {
		return
	}
	cmds := make([]*commands.Command, len(queued))
	for j, q := range queued {
		cmds[j] = q.cmd
	}
	if len(exec) == len(queued)+1 {
		exec = exec[1:] // after the transaction's header
	}
	s.cstats.recordEntry(cmds, reply[i+2:], d, exec)
}

// watchBroken reports whether a watched key changed, or expired, since WATCH.
func (s *Server) watchBroken(cl *Client) bool {
	if cl.tx.dirty.Load() {
		return true
	}
	st := s.fsm.RLock()
	defer s.fsm.RUnlock()
	return watchBrokenIn(cl, st)
}

// watchBrokenIn is watchBroken for a caller that holds the dataset's lock.
func watchBrokenIn(cl *Client, st *commands.Store) bool {
	if cl.tx.dirty.Load() {
		return true
	}
	now := time.Now().UnixMilli()
	for _, k := range cl.tx.watched {
		if !k.existed {
			continue
		}
		if _, at, ok := st.DBs[k.key.DB].Peek(k.key.Key); !ok || at > 0 && at <= now {
			return true
		}
	}
	return false
}
