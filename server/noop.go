package server

import (
	"github.com/geomys/geomys/commands"
)

// noop answers a write that would change nothing (its table entry's Noop
// check) from the applied dataset, without a log entry, as Redis answers
// such a write without propagating it (no AOF write, no fsync). It runs
// only where that is linearizable and keeps the connection's order: on the
// leader, with leadership confirmed as for a read (once per pipeline),
// and with nothing of this connection queued or in flight, so the check
// never runs ahead of the connection's own earlier writes. It reports
// whether the command was answered.
func (s *Server) noop(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if cl.entry.Len() > 0 || len(cl.fwd) > 0 || len(cl.scripts) > 0 || cl.pin != nil || !s.node.IsLeader() {
		return false
	}
	if !cl.readOK {
		// Most writes do change something: ask the local dataset first,
		// so that they do not pay a leadership round (on a cluster, a
		// round trip to the followers) only to be proposed after it.
		if !s.noopCheck(cl, cmd, args, false) {
			return false
		}
		// A failed confirmation is left to the write path, which words
		// the error or waits for a leader as writes do.
		if s.node.LinearizableRead(s.ctx()) != nil {
			return false
		}
		cl.readOK = true
	}
	return s.noopCheck(cl, cmd, args, true)
}

// noopCheck runs cmd's Noop check against the applied dataset; its reply
// stays in cl's output only if keep is set and the check said yes.
func (s *Server) noopCheck(cl *Client, cmd *commands.Command, args [][]byte, keep bool) bool {
	c := &cl.readCtx
	c.R, c.Session = &cl.out, cl
	c.Now = cl.now.UnixMilli()
	c.Store = s.fsm.RLock()
	c.Begin(c.Store.DBs[cl.db], args)
	mark := cl.out.Len()
	done := cmd.Noop(c)
	s.fsm.RUnlock()
	c.Store, c.Args = nil, nil
	if !done || !keep {
		cl.out.Truncate(mark) // a check that says no writes nothing; make sure
	}
	return done
}
