package server

import (
	"strconv"
)

// PersistenceTuner is what CONFIG SET appendfsync and auto-aof-rewrite-*
// change in the state machine. A dataset without it (a test fake) keeps
// its start-up settings.
type PersistenceTuner interface {
	SetFsync(policy string) error
	SetRewriteTriggers(percentage int, minSize int64)
}

// designValues are the parameters whose value Geomys' design fixes but that
// CONFIG SET and the config file accept with any valid value, so that
// clients, tools and test suites written for Redis (which flip appendonly
// around a test, or turn the RDB preamble off) keep working. The value does
// not change and a warning says why: every acknowledged write is in the
// Raft log and the AOF whatever appendonly says (they are how a node keeps
// and replays it), and the AOF base is always RESP because it doubles as
// the Raft snapshot, which Geomys writes and reads as commands.
var designValues = map[string]string{
	"appendonly":           "Geomys always persists: every acknowledged write is in the Raft log and the AOF, which are how a node keeps and replays it",
	"aof-use-rdb-preamble": "Geomys writes the AOF base as commands (it is also the Raft snapshot)",
}

// paramValueLocked is a parameter's current value; s.params.mu is held.
func (s *Server) paramValueLocked(name string) string {
	return s.params.values[s.params.byName[name]]
}

// paramValue is a parameter's current value.
func (s *Server) paramValue(name string) string {
	s.params.mu.Lock()
	defer s.params.mu.Unlock()
	return s.paramValueLocked(name)
}

// applyPersistenceLocked puts appendfsync and the AOF rewrite triggers into
// effect; s.params.mu is held. Before the dataset is loaded there is nothing
// to tell: Start calls it again.
func (s *Server) applyPersistenceLocked() {
	if !s.opened.Load() {
		return
	}
	t, ok := s.fsm.(PersistenceTuner)
	if !ok {
		return
	}
	// The values were validated by CONFIG SET (or are the flags').
	if err := t.SetFsync(s.paramValueLocked("appendfsync")); err != nil {
		s.log.Warn("cannot change appendfsync", "err", err)
	}
	pct, _ := strconv.Atoi(s.paramValueLocked("auto-aof-rewrite-percentage"))
	minSize, _ := strconv.ParseInt(s.paramValueLocked("auto-aof-rewrite-min-size"), 10, 64)
	t.SetRewriteTriggers(pct, minSize)
}
