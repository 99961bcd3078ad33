package server

import (
	"context"
	"time"

	"github.com/geomys/geomys/commands"
)

// While a cluster has no leader (an election is under way, or the leader
// just failed and the followers have not noticed yet), a command waits for
// the next leader, up to --request-timeout, instead of failing at once with
// TRYAGAIN: a failover then costs clients latency, not errors.

// awaitLeader waits while no leader is known; false means none emerged
// before the pipeline's wait deadline (set by its first wait).
func (s *Server) awaitLeader(cl *Client) bool {
	if cl.leaderWait.IsZero() {
		cl.leaderWait = time.Now().Add(s.cfg.RequestTimeout)
	}
	ctx, cancel := context.WithDeadline(s.life, cl.leaderWait)
	defer cancel()
	return s.node.WaitLeader(ctx) == nil
}

// leaderConnWait is leaderConn that, while the leader is unknown or cannot
// be reached (a dead leader stays known until the followers' heartbeat
// timeout), keeps trying until the pipeline's wait deadline. here reports
// that this node became the leader meanwhile, so the caller runs the command
// itself; u is nil when nothing could be sent.
func (s *Server) leaderConnWait(cl *Client) (u *upstream, here bool) {
	const retry = 5 * time.Millisecond
	for {
		if s.node.IsLeader() {
			return nil, true
		}
		if u, ok := s.leaderConn(cl); ok {
			return u, false
		}
		if !s.awaitLeader(cl) || time.Now().Add(retry).After(cl.leaderWait) {
			return nil, false
		}
		if s.node.IsLeader() {
			return nil, true
		}
		select {
		case <-s.done:
			return nil, false
		case <-time.After(retry):
		}
	}
}

// runHere runs commands queued for the leader on this node, which became
// the leader while they waited; their replies go out in order.
func (s *Server) runHere(cl *Client, batch []fwdCmd) {
	batch = append([]fwdCmd(nil), batch...) // it shares cl.fwd's array, which a command here may reuse
	for _, f := range batch {
		cmd := commands.Lookup(f.args[0])
		switch {
		case cmd.Is(commands.Server):
			s.flushWrites(cl)
			s.serverCommand(cl, cmd, f.args)
		case cmd.Is(commands.Write):
			s.queueWrite(cl, f.args)
		default:
			s.flushWrites(cl)
			s.read(cl, cmd, f.args)
		}
	}
	s.flushWrites(cl)
}
