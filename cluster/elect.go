package cluster

import (
	"context"
	"fmt"
	"time"
)

// electNow makes a node that is the only voter of its configuration stand
// for election at once instead of sitting out a heartbeat timeout: no other
// node can lead, so waiting only keeps clients out. hashicorp/raft has no
// call for it, but a follower whose heartbeat timeout is lowered by
// ReloadConfig re-checks it immediately, and with no contact from any leader
// (none exists) it starts an election, which a sole voter wins with its own
// vote. The configured timeout is restored right after; the election itself
// does not depend on it.
//
// Shortening the timeouts for the whole start-up would need a short
// LeaderLeaseTimeout too (raft requires it to be at most the heartbeat
// timeout), and ReloadConfig cannot restore that one: once other voters
// joined, the leader would step down between heartbeats. Only the heartbeat
// timeout is touched here, by a nanosecond, and nothing is done when other
// voters exist, so multi-node clusters elect exactly as configured.
func (n *Node) electNow() error {
	rc := n.raft.ReloadableConfig()
	configured := rc.HeartbeatTimeout
	rc.HeartbeatTimeout = configured - time.Nanosecond
	if err := n.raft.ReloadConfig(rc); err != nil {
		return fmt.Errorf("start election: %w", err)
	}
	rc.HeartbeatTimeout = configured
	if err := n.raft.ReloadConfig(rc); err != nil {
		return fmt.Errorf("restore heartbeat timeout: %w", err)
	}
	return nil
}

// WaitLeader waits while no leader is known, as during an election, and
// returns nil once this node leads or knows which node does (with its client
// address). It returns ctx's error if none emerged in time, ErrShutdown if
// the node stops.
func (n *Node) WaitLeader(ctx context.Context) error {
	stopped := false
	err := pollUntil(ctx, 2*time.Millisecond, func() bool {
		select {
		case <-n.stop:
			stopped = true
			return true
		default:
		}
		if n.IsLeader() {
			return true
		}
		_, _, ok := n.Leader()
		return ok
	})
	if stopped {
		return ErrShutdown
	}
	return err
}
