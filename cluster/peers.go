package cluster

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// peerHealth remembers which followers the leader currently fails to reach,
// from raft's heartbeat observations, for RAFT.INFO, ROLE and INFO.
type peerHealth struct {
	mu   sync.Mutex
	down map[raft.ServerID]time.Time // last contact of each unreachable peer
}

// observePeers follows raft's heartbeat failures and recoveries.
func (n *Node) observePeers() {
	defer n.wg.Done()
	ch := make(chan raft.Observation, 64)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation:
			return true
		}
		return false
	})
	n.raft.RegisterObserver(obs)
	defer n.raft.DeregisterObserver(obs)
	for {
		select {
		case <-n.stop:
			return
		case o := <-ch:
			n.health.mu.Lock()
			if n.health.down == nil {
				n.health.down = map[raft.ServerID]time.Time{}
			}
			switch d := o.Data.(type) {
			case raft.FailedHeartbeatObservation:
				n.health.down[d.PeerID] = d.LastContact
			case raft.ResumedHeartbeatObservation:
				delete(n.health.down, d.PeerID)
			case raft.LeaderObservation:
				clear(n.health.down) // a new term: health is learned afresh
				if d.LeaderID != "" {
					n.leaderChanges.Add(1)
				}
			}
			n.health.mu.Unlock()
		}
	}
}

// Peer is one configured server as this node sees it.
type Peer struct {
	ID, RaftAddr, ClientAddr string
	Voter                    bool
	Leader                   bool
	Self                     bool
	// Reachable is what the leader knows from its heartbeats; other nodes
	// report true for every peer.
	Reachable bool
}

// Peers lists the configured servers with their client addresses.
func (n *Node) Peers() []Peer {
	_, lid := n.raft.LeaderWithID()
	n.health.mu.Lock()
	defer n.health.mu.Unlock()
	var out []Peer
	for _, s := range n.Servers() {
		m, _ := n.fsm.Member(string(s.ID))
		_, down := n.health.down[s.ID]
		out = append(out, Peer{
			ID: string(s.ID), RaftAddr: string(s.Address), ClientAddr: m.ClientAddr,
			Voter: s.Suffrage == raft.Voter, Leader: s.ID == lid, Self: string(s.ID) == n.opts.NodeID,
			Reachable: !down,
		})
	}
	return out
}
