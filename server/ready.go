package server

import (
	"context"

	"github.com/geomys/geomys/commands"
)

// Readiness follows redis-server: the port is open while the dataset loads,
// and until the node can serve, commands answer -LOADING, PING included, so
// a start-up script's "wait for PONG" ends exactly when a write can succeed.
// A node can serve once it leads and has applied its log, or follows a
// leader it knows. That is decided once, at start: a cluster node that
// later loses its leader keeps answering, and commands wait for the next
// leader (leaderRoute).

const errLoading = "LOADING Redis is loading the dataset in memory"

// duringLoad are the commands that run before the dataset is loaded: the
// connection's own state and what needs neither the dataset nor Raft.
// Redis runs every command flagged "loading" then; the others of those here
// (ROLE, RAFT.*, LASTSAVE, transactions) wait until the node is open.
var duringLoad = map[string]bool{
	"hello": true, "auth": true, "select": true, "quit": true, "reset": true, "client": true,
	"command": true, "config": true, "time": true, "shutdown": true, "info": true,
	"subscribe": true, "unsubscribe": true, "psubscribe": true, "punsubscribe": true, "pubsub": true,
}

// becomeReady marks the node ready once it can serve.
func (s *Server) becomeReady() {
	defer s.bg.Done()
	if err := s.node.WaitReady(s.life); err != nil {
		return // shutting down
	}
	s.ready.Store(true)
	close(s.readyCh)
}

// WaitReady blocks until the node can serve (a single node elects itself).
func (s *Server) WaitReady(ctx context.Context) error {
	select {
	case <-s.readyCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuseWhileLoading answers -LOADING, as Redis does, for a command a node
// that cannot serve yet must not run.
func (s *Server) refuseWhileLoading(cl *Client, cmd *commands.Command) bool {
	if s.ready.Load() || s.runsWhileLoading(cmd) {
		return false
	}
	s.flushWrites(cl)
	cl.txQueueError()
	cl.out.Error(errLoading)
	return true
}

func (s *Server) runsWhileLoading(cmd *commands.Command) bool {
	if cmd.Is(commands.Write) || !cmd.Is(commands.Loading) && cmd.Name != "quit" {
		return false // PUBLISH is a write here: it needs the log
	}
	return s.opened.Load() || duringLoad[cmd.Name]
}
