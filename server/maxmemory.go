package server

import (
	"fmt"
	"strconv"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// maxmemory: the leader refuses commands that may grow the dataset
// (Redis' deny-oom ones) with -OOM when used memory is over the limit and
// the policy cannot evict enough; under an eviction policy it first has
// keys evicted through the log (cluster/evict.go). A follower relays writes
// and lets the leader judge them, as it does everything else.

// applyMemoryLocked puts maxmemory, maxmemory-policy and maxmemory-samples
// into effect; the caller holds s.params.mu.
func (s *Server) applyMemoryLocked() {
	get := func(name string) string { return s.params.values[s.params.byName[name]] }
	l := fsm.MemoryLimit{Samples: 5}
	l.Max, _ = strconv.ParseInt(get("maxmemory"), 10, 64)
	l.Policy, _ = commands.ParsePolicy(get("maxmemory-policy"))
	if n, err := strconv.Atoi(get("maxmemory-samples")); err == nil {
		l.Samples = n
	}
	s.memLimit.Store(&l)
	if s.opened.Load() {
		s.fsm.SetMemoryLimit(l)
		s.node.KickEviction()
	}
}

// isDenyOOM reports whether Redis flags the command (or its subcommand)
// deny-oom.
func isDenyOOM(cmd *commands.Command, args [][]byte) bool {
	if cmd.Is(commands.DenyOOM) {
		return true
	}
	if len(args) < 2 {
		return false
	}
	switch cmd.Name {
	case "function":
		return commands.EqualFold(args[1], "load") || commands.EqualFold(args[1], "restore")
	case "xgroup":
		return commands.EqualFold(args[1], "create") || commands.EqualFold(args[1], "createconsumer")
	}
	return false
}

// outOfMemory reports whether this node leads, is over maxmemory and could
// not evict its way under it.
func (s *Server) outOfMemory() bool {
	if s.fsm.OverMemory() == 0 || !s.node.IsLeader() {
		return false
	}
	return !s.node.Evict()
}

// refuseOOM answers -OOM for a command that may not run while memory is
// over the limit, as Redis' processCommand does: deny-oom commands, EXEC of
// a transaction holding one, and anything queued inside MULTI.
func (s *Server) refuseOOM(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if !s.opened.Load() || s.fsm.OverMemory() == 0 { // nothing to measure while loading
		return false
	}
	reject := isDenyOOM(cmd, args)
	if cl.tx.active {
		switch cmd.Name {
		case "exec":
			for _, q := range cl.tx.queued {
				reject = reject || isDenyOOM(q.cmd, q.args)
			}
		case "discard", "quit", "reset":
		default:
			reject = true
		}
	}
	if !reject {
		// Redis evicts before every command, reads included, so what a
		// read is told (tracking invalidations) follows the evictions.
		s.outOfMemory()
		return false
	}
	if !s.outOfMemory() {
		return false
	}
	s.flushWrites(cl)
	if cmd.Name == "exec" {
		s.resetTx(cl)
		cl.out.Error("EXECABORT Transaction discarded because of: " + commands.ErrOOM)
		return true
	}
	cl.txQueueError()
	cl.out.Error(commands.ErrOOM)
	return true
}

// initMemoryLimit validates the start-up settings as CONFIG SET would.
func (s *Server) initMemoryLimit() error {
	for _, kv := range [][2]string{{"maxmemory", s.cfg.MaxMemory}, {"maxmemory-policy", s.cfg.MaxMemoryPolicy},
		{"maxmemory-samples", strconv.Itoa(s.cfg.MaxMemorySamples)}} {
		if kv[1] == "" || kv[0] == "maxmemory-samples" && s.cfg.MaxMemorySamples == 0 {
			continue
		}
		v, msg := s.params.byName[kv[0]].normalize(kv[1])
		if msg != "" {
			return fmt.Errorf("--%s %s: %s", kv[0], kv[1], msg)
		}
		s.params.set(kv[0], v)
	}
	s.params.mu.Lock()
	s.applyMemoryLocked()
	s.params.mu.Unlock()
	return nil
}
