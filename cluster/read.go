package cluster

import (
	"context"

	"github.com/hashicorp/raft"
)

// LinearizableRead returns nil once this node may serve a read that reflects
// every write acknowledged before the call, anywhere in the cluster.
//
// On the leader every acknowledged write is already applied locally (the
// reply comes from the local FSM); what remains to prove is that no newer
// leader exists that could have acknowledged writes we lack. The proof is an
// empty entry committed in our term after the read arrived: a majority
// accepted an AppendEntries sent after the read, which none of them would
// have done had it joined a newer term. The entry rides along with the next
// group commit, and every read waiting for that group shares it.
//
// A quorum heartbeat (hashicorp/raft's VerifyLeader) is not enough: it also
// counts responses that were already in flight when the read arrived, and a
// leader resumed after a pause (SIGSTOP, a VM freeze) finds such responses,
// sent before the others elected a new leader, in its socket buffers. Leases
// trust clocks, which a pause breaks too.
func (n *Node) LinearizableRead(ctx context.Context) error {
	if err := n.ReadReady(ctx); err != nil {
		return err
	}
	if n.soleVoter() {
		return nil // no other node can be elected
	}
	_, err := n.propose(&proposal{barrier: true, data: barrierEntry, done: make(chan outcome, 1)})
	if err != nil {
		// Not committed: either way the read cannot be vouched for, and it
		// changed nothing, so it is always safe to retry.
		return ErrNoLeader
	}
	n.barriers.Add(1)
	return nil
}

// soleVoter reports whether this node is the only voter, so leadership needs
// no confirmation. Raft admits one configuration change at a time and a
// second voter cannot win an election without our vote.
func (n *Node) soleVoter() bool {
	voters := 0
	for _, s := range n.Servers() {
		if s.Suffrage == raft.Voter {
			if string(s.ID) != n.opts.NodeID {
				return false
			}
			voters++
		}
	}
	return voters == 1
}
