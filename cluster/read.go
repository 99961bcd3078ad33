package cluster

import (
	"context"
	"fmt"
	"runtime"
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
	r := n.joinRound()
	select {
	case <-r.done:
		return r.err
	case <-n.stop:
		return ErrShutdown
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

// readRound is one confirmation round and the reads it answers: those
// that joined it before it started.
type readRound struct {
	joined  time.Time     // when its first read arrived
	readers int           // reads that joined (under readMu)
	done    chan struct{} // closed once err is set
	err     error
}

// joinRound adds a read that arrives now to the round that starts next,
// and wakes the verifier. One round, not one channel and timer per read,
// keeps a read's own cost to a lock and a wake-up.
func (n *Node) joinRound() *readRound {
	n.readMu.Lock()
	r := n.nextRound
	if r == nil {
		r = &readRound{joined: time.Now(), done: make(chan struct{})}
		n.nextRound = r
	}
	r.readers++
	n.readMu.Unlock()
	select {
	case n.readKick <- struct{}{}:
	default: // already woken
	}
	return r
}

// verifier runs the confirmation rounds one after the other: every read
// that joined a round before it started is answered by it; reads arriving
// during a round join the next, since a confirmation only vouches for
// reads that came before it. A read waits at most ApplyTimeout from the
// moment its round was opened (confirmLeadership's deadline).
func (n *Node) verifier() {
	defer n.wg.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-n.readKick:
		}
		// Let reads that are already runnable join before the round
		// starts: under load this fills rounds at the cost of a turn of
		// the scheduler, and costs nothing when the node is idle.
		runtime.Gosched()
		n.readMu.Lock()
		r := n.nextRound
		n.nextRound = nil
		n.readMu.Unlock()
		if r == nil {
			continue // its reads were answered by the round before
		}
		r.err = n.confirmLeadership(r.joined.Add(n.opts.ApplyTimeout))
		close(r.done)
		n.confirmations.Add(1)
		n.confirmedReads.Add(int64(r.readers))
	}
}

// confirmLeadership runs one round of term checks with the other voters.
// It gives up at deadline, or after two seconds.
func (n *Node) confirmLeadership(deadline time.Time) error {
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
	if limit := time.Now().Add(2 * time.Second); deadline.After(limit) {
		deadline = limit
	}
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
