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
// leader exists that could have acknowledged writes we lack. A quorum
// confirming our leadership after the read arrived proves it (Raft's
// read-index check); concurrent reads share one confirmation round. No clock
// or lease is trusted, so a leader that was paused or cut off answers
// ErrNoLeader instead of stale data.
func (n *Node) LinearizableRead(ctx context.Context) error {
	if err := n.ReadReady(ctx); err != nil {
		return err
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

// verifier runs the leadership confirmation rounds: every read queued when a
// round starts is answered by it; reads arriving during a round wait for the
// next, since a confirmation only vouches for reads that came before it.
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
		err := n.raft.VerifyLeader().Error()
		if err != nil || !n.readable.Load() {
			err = fmt.Errorf("%w (leadership not confirmed: %v)", ErrNoLeader, err)
		}
		for _, w := range batch {
			w <- err
		}
		n.verifyRounds.Add(1)
	}
}
