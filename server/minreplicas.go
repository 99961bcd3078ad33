package server

import (
	"time"

	"github.com/geomys/geomys/commands"
)

// errNoReplicas is Redis' refusal of a write while fewer replicas than
// min-replicas-to-write are in good contact.
const errNoReplicas = "NOREPLICAS Not enough good replicas to write."

// replicasShort reports whether min-replicas-to-write refuses writes now:
// on the leader (a follower relays its writes there), fewer replicas than
// it asks for answered within min-replicas-max-lag seconds. Geomys'
// replicas are its Raft followers, heard from with every heartbeat, and
// the Redis replicas attached with SYNC, heard from with their ACKs.
func (s *Server) replicasShort() bool {
	want := s.minReplicas.Load()
	if want <= 0 || !s.opened.Load() || !s.node.IsLeader() {
		return false
	}
	return int64(s.goodReplicas()) < want
}

// goodReplicas counts the replicas heard from within min-replicas-max-lag
// seconds (Redis' repl_good_slaves_count).
func (s *Server) goodReplicas() int {
	lag := s.minReplLag.Load()
	good := 0
	if cm, ok := s.node.(ClusterMetrics); ok {
		_, followers := cm.Progress()
		for _, f := range followers {
			if !f.LastContact.IsZero() && int64(time.Since(f.LastContact).Seconds()) <= lag {
				good++
			}
		}
	}
	now := time.Now().Unix()
	for _, r := range s.replicas.snapshot() {
		if now-r.ackAt.Load() <= lag {
			good++
		}
	}
	return good
}

// refuseNoReplicas answers NOREPLICAS to a write (or an EXEC holding one)
// while replicasShort.
func (s *Server) refuseNoReplicas(cl *Client, cmd *commands.Command) bool {
	return s.replicasShort() && s.refuseWrites(cl, cmd, errNoReplicas)
}
