package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// LinearizableRead returns nil once this node may serve a read that reflects
// every write acknowledged before the call, anywhere in the cluster.
//
// On the leader every acknowledged write is already applied locally (the
// reply comes from the local FSM), so what remains to prove is that no newer
// leader exists that could have acknowledged writes we lack: Raft's
// read-index check. We ask every voter, on a request sent after the read
// arrived, whether its term is still ours; a majority answering yes means no
// majority had moved to a newer term when they answered, so no newer leader
// existed. Concurrent reads share one round.
//
// hashicorp/raft's VerifyLeader is not used: it also counts heartbeat
// responses that were already in flight when the read arrived, and a leader
// resumed after a pause (SIGSTOP, a VM freeze) can find responses in its
// socket buffers that were sent before the others elected a new leader.
// Leases trust clocks and followers' timers: the opt-in read lease
// (lease.go) skips the round, at the cost of trusting them.
func (n *Node) LinearizableRead(ctx context.Context) error {
	if err := n.ReadReady(ctx); err != nil {
		return err
	}
	if n.leased() {
		return nil
	}
	if n.soleVoter() {
		return nil // no other node can be elected
	}
	done := make(chan error, 1)
	timer := time.NewTimer(n.opts.ApplyTimeout)
	defer timer.Stop()
	select {
	case n.reads <- done:
	case <-n.stop:
		return ErrShutdown
	case <-timer.C:
		return ErrNoLeader
	}
	select {
	case err := <-done:
		return err
	case <-n.stop:
		return ErrShutdown
	case <-timer.C:
		return fmt.Errorf("%w (leadership not confirmed within %v)", ErrNoLeader, n.opts.ApplyTimeout)
	}
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

// verifier runs the confirmation rounds: every read queued when a round
// starts is answered by it; reads arriving during a round wait for the next,
// since a confirmation only vouches for reads that came before it.
func (n *Node) verifier() {
	defer n.wg.Done()
	var batch []chan error
	for {
		select {
		case <-n.stop:
			return
		case w := <-n.reads:
			batch = append(batch[:0], w)
		}
	drain:
		for {
			select {
			case w := <-n.reads:
				batch = append(batch, w)
			default:
				break drain
			}
		}
		err := n.confirmLeadership()
		for _, w := range batch {
			w <- err
		}
		n.confirmations.Add(1)
	}
}

// confirmLeadership runs one round of term checks with the other voters.
func (n *Node) confirmLeadership() error {
	term := n.raft.CurrentTerm()
	if !n.IsLeader() || !n.readable.Load() {
		return ErrNoLeader
	}
	var peers []raft.Server
	voters := 0
	for _, s := range n.Servers() {
		if s.Suffrage != raft.Voter {
			continue
		}
		voters++
		if string(s.ID) != n.opts.NodeID {
			peers = append(peers, s)
		}
	}
	need := voters / 2 // with our own vote, a majority
	if need == 0 {
		return nil
	}
	deadline := time.Now().Add(min(n.opts.ApplyTimeout, 2*time.Second))
	votes := make(chan bool, len(peers))
	over := make(chan struct{})
	defer close(over)
	for _, s := range peers {
		m, ok := n.fsm.Member(string(s.ID))
		if !ok || m.ClientAddr == "" {
			votes <- false
			continue
		}
		n.checker.ask(m.ClientAddr, checkReq{term: term, leader: n.opts.NodeID, deadline: deadline, over: over, vote: votes})
	}
	yes, answered := 0, 0
	for yes < need && answered < len(peers) {
		if <-votes {
			yes++
		}
		answered++
	}
	if yes < need {
		return fmt.Errorf("%w (only %d of %d other voters confirmed term %d)", ErrNoLeader, yes, len(peers), term)
	}
	if n.raft.CurrentTerm() != term || !n.IsLeader() {
		return ErrNoLeader
	}
	return nil
}
