package server

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
	"github.com/tidwall/redcon"
)

// Limits on one log entry built from a pipeline: big pipelines are split so
// one entry never grows without bound.
const (
	maxEntryCommands = 1024
	maxEntryBytes    = 1 << 20
	// maxIdleReplyBuffer caps the reply buffer a connection keeps between
	// pipelines.
	maxIdleReplyBuffer = 1 << 20
)

// serveRESP is redcon's handler. It takes the whole pipeline that arrived with
// this read, so consecutive writes become one Raft log entry (one round trip,
// one log-store write) instead of one each.
func (s *Server) serveRESP(rc redcon.Conn, first redcon.Command) {
	cl := rc.Context().(*Client)
	defer s.recoverConn(cl)
	cl.serving.Store(true)
	defer cl.serving.Store(false)
	rest := rc.ReadPipeline()
	in := int64(len(first.Raw))
	for i := range rest {
		in += int64(len(rest[i].Raw))
	}
	if g := cl.guard(); g != nil && g.HasBig() {
		// Big arguments came past redcon (resp/bigbulk.go).
		in += g.Unstash(first.Args, &cl.bigBufs)
		for i := range rest {
			in += g.Unstash(rest[i].Args, &cl.bigBufs)
		}
		defer cl.dropBigBufs()
	}
	s.stats.netIn.Add(in)
	s.stats.reads.Add(1)
	cl.bufs.read(in, bigArg(in, first, rest))
	cl.readOK, cl.leaderWait = false, time.Time{}
	if cl.killed.Load() {
		rc.Close()
		return
	}
	cl.startBatch(time.Now())
	s.execute(cl, first.Args)
	s.checkOutputLimit(cl)
	for i := 0; i < len(rest) && !cl.closing && !cl.killed.Load() && !cl.userGone.Load(); i++ {
		s.execute(cl, rest[i].Args)
		s.checkOutputLimit(cl)
	}
	s.flushWrites(cl)
	if c := &cl.readCtx; c.Hits|c.Misses != 0 {
		s.stats.hits.Add(c.Hits)
		s.stats.misses.Add(c.Misses)
		c.Hits, c.Misses = 0, 0
	}
	if c := &cl.readCtx; len(c.Expired) > 0 {
		s.expireMet(cl, c.Expired)
		clear(c.Expired)
		c.Expired = c.Expired[:0]
	}
	if cl.track.on {
		s.drainSelfInvalidations(cl) // those of pipelined scripts and lazy expiry too
	}
	if cl.out.Len() > 0 {
		if cl.track.on {
			flushPushes(cl)
		}
		s.sending(cl)
		cl.bufs.wrote(int64(cl.out.Len()))
		rc.WriteRaw(cl.out.Bytes())
		cl.out.Reset()
		if cap(cl.out.Bytes()) > maxIdleReplyBuffer {
			cl.out = commands.Reply{Proto: cl.proto} // one huge reply must not pin memory
		}
	}
	cl.serving.Store(false)
	if cl.closing || cl.userGone.Load() {
		rc.Close()
	}
}

// recoverConn keeps a bug in one command from taking the process down: the
// client gets an error and is disconnected, everyone else carries on.
func (s *Server) recoverConn(cl *Client) {
	if p := recover(); p != nil {
		s.log.Error("panic serving client", "client", cl.ID, "addr", cl.Addr, "panic", p, "stack", string(debug.Stack()))
		cl.conn.WriteError("ERR internal error")
		cl.conn.Close()
	}
}

func (s *Server) execute(cl *Client, args [][]byte) {
	if !cl.special() {
		start := cl.startCommand()
		cl.flushSpent, cl.flushErrs = 0, 0
		errs := cl.out.Errors()
		cmd := s.dispatch(cl, args)
		took := cl.endCommand(start)
		if cmd != nil {
			d := took - cl.flushSpent
			s.cstats.record(cmd, d, cl.out.Errors()-errs > cl.flushErrs)
			if s.timing.Load() {
				s.observe(cl, cmd, args, d)
			}
		}
		if cl.replySkipNext { // this was CLIENT REPLY SKIP: the next command is the one skipped
			cl.replySkip, cl.replySkipNext = true, false
		}
		return
	}
	quiet := cl.replyOff || cl.replySkip
	mark := 0
	if quiet {
		s.flushWrites(cl) // earlier commands keep their replies
		mark = cl.out.Len()
	}
	start := cl.startCommand()
	cl.flushSpent, cl.flushErrs = 0, 0
	errs := cl.out.Errors()
	tx := cl.trackedTx()
	cmd := s.dispatch(cl, args)
	took := cl.endCommand(start)
	if cmd != nil {
		// Writes flushed meanwhile were timed (and logged) by flushWrites.
		d := took - cl.flushSpent
		s.cstats.record(cmd, d, cl.out.Errors()-errs > cl.flushErrs)
		if s.timing.Load() {
			s.observe(cl, cmd, args, d)
		}
	}
	if quiet && (cl.replyOff || cl.replySkip) { // CLIENT REPLY ON answers OK
		s.flushWrites(cl)
		cl.out.Truncate(mark)
	}
	cl.replySkip = cl.replySkipNext
	cl.replySkipNext = false
	if cl.track.on {
		if cmd == nil {
			cmd = commands.Lookup(args[0])
		}
		if cmd != nil {
			s.rememberRead(cl, cmd, args, tx)
		}
		s.drainSelfInvalidations(cl)
		if cl.track.cachingJustSet {
			cl.track.cachingJustSet = false
		} else {
			cl.track.caching = 0
		}
	}
}

// special reports whether cl's commands need execute's extra steps.
func (cl *Client) special() bool {
	return cl.replyOff || cl.replySkip || cl.replySkipNext || cl.track.on
}

// dispatch runs or queues one command; it returns the command for execute
// to time: nil when it did not run or is timed with its log entry.
func (s *Server) dispatch(cl *Client, args [][]byte) *commands.Command {
	s.stats.commands.Add(1)
	cl.active.Store(cl.now.UnixMilli())
	cmd := commands.Lookup(args[0])
	if cl.pin != nil {
		if cmd != nil && cmd.ArityOK(len(args)) && s.refuseByACL(cl, cmd, args) {
			cl.pin.aborted = cl.pin.aborted || cl.pin.multi
			return nil
		}
		// Inside a transaction relayed to the leader: it judges everything,
		// unknown commands and arity included, as Redis would inside MULTI.
		s.flushWrites(cl)
		s.relayPinned(cl, cmd, args)
		return cmd
	}
	if cmd == nil {
		s.flushWrites(cl)
		cl.txQueueError()
		cl.out.Error(unknownCommand(args))
		return nil
	}
	if !cmd.ArityOK(len(args)) {
		s.flushWrites(cl)
		cl.txQueueError()
		cl.out.Error(commands.ArityErr(cmd.Name))
		s.cstats.reject(cmd)
		return nil
	}
	// A container's statistics, CLIENT LIST cmd= and arity are its
	// subcommand's, as Redis 7 names them (config|resetstat); routing
	// stays with the container.
	stat := cmd
	if len(args) > 1 && cmd.HasSubcommands() {
		if sub := cmd.Subcommand(args[1]); sub != nil {
			stat = sub
			cl.lastCmd.Store(sub)
			if !sub.ArityOK(len(args)) {
				s.flushWrites(cl)
				cl.txQueueError()
				cl.out.Error(commands.ArityErr(sub.Name))
				s.cstats.reject(sub)
				return nil
			}
		}
	}
	if stat == cmd {
		cl.lastCmd.Store(cmd)
	}
	if s.refuseByACL(cl, cmd, args) || s.refuseClusterOnly(cl, cmd) || s.refuseMembership(cl, cmd) {
		s.cstats.reject(stat)
		return nil
	}
	if s.refuseWhileLoading(cl, cmd) || s.refuseOOM(cl, cmd, args) || s.refuseOnDiskError(cl, cmd) ||
		s.refuseReadOnlyReplica(cl, stat, args) || s.refuseNoReplicas(cl, stat) || s.refuseWhileSubscribed(cl, cmd, args) || s.refuseStale(cl, stat) {
		s.cstats.reject(stat)
		return nil
	}
	// Before queueing, as Redis: a command refused while a script is busy
	// (EXEC included) aborts the transaction.
	if s.refuseWhileBusy(cl, cmd, args) {
		s.cstats.reject(stat)
		return nil
	}
	if s.queueInMulti(cl, cmd, args) {
		return nil
	}
	if s.pause.on.Load() {
		s.waitPause(cl, cmd, args)
	}
	if s.monitors.n.Load() > 0 {
		s.feedClient(cl, cmd, args)
	}
	switch {
	case cmd.Is(commands.Server):
		if isScripting(cmd.Name) && s.scriptRoute(cl, cmd) == routeForward {
			// Relayed with the commands queued for the leader before it,
			// in one round trip: a pipeline of scripts sent to a follower
			// costs one relay, not one per script.
			if len(cl.scripts) > 0 {
				s.flushScripts(cl)
			}
			s.queueForward(cl, s.relayAs(cl, cmd, args), !cmd.Is(commands.ReadOnly))
			return stat
		}
		if len(cl.scripts) == 0 || !isPipelinedScript(cmd.Name) || cl.entry.Len() > 0 || len(cl.fwd) > 0 {
			s.flushWrites(cl)
		}
		if isScripting(cmd.Name) {
			// Leadership may have moved while the writes were flushed.
			switch s.scriptRoute(cl, cmd) {
			case routeForward:
				s.queueForward(cl, s.relayAs(cl, cmd, args), !cmd.Is(commands.ReadOnly))
				return stat
			case routeRedirect:
				s.redirect(cl)
				return stat
			}
		}
		if cmd.Name == "watch" || cmd.Name == "multi" || cmd.Name == "debug" && debugOnLeader(args) {
			switch s.leaderRoute(cl) {
			case routeForward:
				if cmd.Name == "debug" {
					s.queueForward(cl, args, false)
				} else {
					s.startPin(cl, cmd, args)
				}
				return stat
			case routeRedirect:
				s.redirect(cl)
				return stat
			}
		}
		if readsReplicatedState(cmd.Name) {
			s.catchUp(cl)
		}
		s.serverCommand(cl, cmd, args)
	case cmd.Is(commands.Blocking) && commands.MayBlock(cmd, args):
		s.flushWrites(cl)
		switch s.leaderRoute(cl) {
		case routeForward:
			s.forwardBlocking(cl, cmd, args)
		case routeRedirect:
			s.redirect(cl)
		default:
			s.blockingCommand(cl, cmd, args)
		}
	case cmd.Logged():
		switch s.leaderRoute(cl) {
		case routeForward:
			s.queueForward(cl, args, true)
		case routeRedirect:
			s.flushWrites(cl)
			s.redirect(cl)
		default:
			if cmd.Noop != nil && s.noop(cl, cmd, args) {
				return cmd
			}
			cl.entryCmds = append(cl.entryCmds, stat)
			s.queueWrite(cl, args)
			return nil // timed with its entry (flushWrites)
		}
	case s.cfg.ReadConsistency == "stale":
		if s.rideEntry(cl, cmd, args) {
			return nil // timed with its entry (flushWrites)
		}
		s.flushWrites(cl)
		s.readLocal(cl, cmd, args)
	default:
		switch s.leaderRoute(cl) {
		case routeForward:
			s.queueForward(cl, args, false)
		case routeRedirect:
			s.flushWrites(cl)
			s.redirect(cl)
		default:
			if s.rideEntry(cl, cmd, args) {
				return nil // timed with its entry (flushWrites)
			}
			s.flushWrites(cl)
			s.read(cl, cmd, args)
		}
	}
	return stat
}

// unknownCommand words the error like Redis 7.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(clip(args[0]))
	b.WriteString("', with args beginning with: ")
	for _, a := range args[1:] {
		b.WriteString("'")
		b.WriteString(clip(a))
		b.WriteString("' ")
	}
	return b.String()
}

func clip(b []byte) string {
	if len(b) > 128 {
		b = b[:128]
	}
	return string(b)
}

func (s *Server) queueWrite(cl *Client, args [][]byte) {
	if len(cl.fwd) > 0 {
		s.flushForward(cl)
	}
	// A full entry goes when the next write comes (or at the end of the
	// pipeline), not right after the write that filled it: by then nothing
	// holds that write's request any more, so a large value is not kept
	// twice (request and entry) while Raft stores it.
	if n := cl.entry.Len(); n > 0 && (n >= maxEntryCommands || cl.entry.Size() >= maxEntryBytes) {
		s.flushWrites(cl)
	}
	if i, buf := cl.bigArg(args); buf != nil {
		// Built around the value where it was read, the entry is no copy
		// of it; what went before goes as an entry of its own, so that
		// the room before the value holds the rest.
		if cl.entry.Len() > 0 {
			s.flushWrites(cl)
		}
		cl.entry.Reset(time.Now().UnixMilli())
		if cl.entry.AddAround(cl.db, cl.proto, args, i, buf, resp.BigArgHead) {
			return
		}
	}
	if cl.entry.Len() == 0 {
		cl.entry.Reset(time.Now().UnixMilli())
	}
	cl.entry.Add(cl.db, cl.proto, args)
}

// bigArg finds the first of args that the guard read into a buffer of its
// own (bigBufs), and that buffer.
func (cl *Client) bigArg(args [][]byte) (int, []byte) {
	if len(cl.bigBufs) == 0 {
		return 0, nil
	}
	for i, a := range args {
		if len(a) < commands.BigValue {
			continue
		}
		for _, b := range cl.bigBufs {
			if &a[0] == &b[resp.BigArgHead] {
				return i, b
			}
		}
	}
	return 0, nil
}

// dropBigBufs lets go of the pipeline's big arguments: the entries built
// around them are raft's now.
func (cl *Client) dropBigBufs() {
	clear(cl.bigBufs)
	cl.bigBufs = cl.bigBufs[:0]
}

// flushWrites proposes the queued writes as one entry and appends their
// replies, or relays what is queued for the leader.
func (s *Server) flushWrites(cl *Client) {
	if len(cl.scripts) > 0 {
		s.flushScripts(cl)
	}
	if len(cl.fwd) > 0 {
		s.flushForward(cl)
	}
	n := cl.entry.Len()
	if n == 0 {
		return
	}
	data := s.stampOrigin(cl, cl.entry.Bytes())
	cl.entry.Trim(maxIdleReplyBuffer)
	cl.entry.Reset(0)
	cmds := cl.entryCmds
	cl.entryCmds = cl.entryCmds[:0]
	if len(cmds) != n {
		cmds = nil // not queued by dispatch: nothing to attribute
	}
	start := time.Now()
	res, err := s.node.Apply(data)
	for errors.Is(err, cluster.ErrNoLeader) && !s.node.IsLeader() && s.awaitLeader(cl) && s.node.IsLeader() {
		// Leadership moved while the entry was queued, and it was certainly
		// not applied: propose it again now that we lead once more.
		res, err = s.node.Apply(data)
	}
	d := time.Since(start)
	cl.flushSpent += d
	if err != nil {
		msg := clusterError(err)
		for i := 0; i < n; i++ {
			cl.out.Error(msg)
		}
		cl.flushErrs += n
		s.cstats.recordEntry(cmds, nil, d, nil)
		return
	}
	cl.out.Raw(res.Reply)
	// The entry committed in this node's term after the pipeline arrived:
	// that confirms the leadership its later reads need, as a
	// LinearizableRead would (a read rejected by rideEntry when the entry
	// was full then costs no round of its own).
	cl.readOK = true
	if res.Hits|res.Misses != 0 || len(res.Expired) > 0 {
		cl.readsMet(res)
	}
	if cl.track.on && !cl.replyOff && !cl.replySkip {
		// (With replies off, execute drains them after dropping its reply.)
		s.drainSelfInvalidations(cl)
	}
	s.cstats.recordEntry(cmds, res.Reply, d, res.Exec)
	s.waiters.awaitServed(res.Ready)
	if s.timing.Load() {
		s.observeEntry(cl, data, res.Exec)
	}
	res.Release()
}

// clusterError maps a write/read failure to a reply a client can act on:
// TRYAGAIN means certainly not applied, retry; UNCERTAIN means it may have been.
func clusterError(err error) string {
	if msg, ok := diskErrorReply(err); ok {
		return msg
	}
	switch {
	case errors.Is(err, cluster.ErrNoLeader), errors.Is(err, cluster.ErrNotLeader):
		return "TRYAGAIN no leader available, the command was not executed; retry"
	case errors.Is(err, cluster.ErrShutdown):
		return "TRYAGAIN server is shutting down, the write was not applied"
	case errors.Is(err, cluster.ErrUncertain):
		return "UNCERTAIN " + err.Error()
	default:
		return "ERR " + err.Error()
	}
}

// read serves a linearizable read on the leader. One leadership confirmation
// covers every read of the pipeline: all of them arrived before it.
func (s *Server) read(cl *Client, cmd *commands.Command, args [][]byte) {
	if !cl.readOK {
		err := s.node.LinearizableRead(context.Background())
		if errors.Is(err, cluster.ErrNoLeader) && !s.node.IsLeader() && s.awaitLeader(cl) && s.node.IsLeader() {
			err = s.node.LinearizableRead(context.Background())
		}
		if err != nil {
			cl.out.Error(clusterError(err))
			return
		}
		cl.readOK = true
	}
	s.readLocal(cl, cmd, args)
}

// readLocal runs a read against this node's dataset as it is.
func (s *Server) readLocal(cl *Client, cmd *commands.Command, args [][]byte) {
	s.catchUp(cl)
	c := &cl.readCtx
	c.R, c.Session = &cl.out, cl
	c.Now = time.Now().UnixMilli()
	c.Store = s.fsm.RLock()
	c.Begin(c.Store.DBs[cl.db], args)
	cmd.Handler(c)
	s.fsm.RUnlock()
	c.Store, c.Args = nil, nil
}
