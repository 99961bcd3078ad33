package cluster

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// The read lease (opt-in, Options.ReadLease / SetReadLease) lets the leader
// serve a linearizable read without a confirmation round while a quorum has
// recently accepted its heartbeats.
//
// Why it holds: a hashicorp/raft follower that accepts an AppendEntries
// (a heartbeat is one) neither stands for election nor grants its vote to
// another candidate until a full election timeout (HeartbeatTimeout here)
// has passed on its clock since then, unless the leader itself asked for a
// leadership transfer. If a quorum accepted heartbeats that we sent at time
// s or later, no other leader can be elected before s + election timeout,
// as the followers' clocks count it. We count from when the heartbeat was
// sent, not when its answer arrived, so an answer that sat in a socket
// buffer (a paused leader resuming) extends nothing, and we keep a margin
// of leaseDriftDiv for clocks that run at different rates.
//
// What it trusts that the round does not: that clock rates differ by less
// than the margin, that the leader's monotonic clock keeps counting while
// it is stopped (it does under SIGSTOP; a VM frozen with its clock may not),
// and that a follower which accepted a heartbeat does not restart within
// the election timeout (a restarted follower has forgotten its leader and
// votes at once). Hence off by default.

// leaseDriftDiv sets the margin kept for clock-rate drift: the lease lasts
// the election timeout minus 1/leaseDriftDiv of it. Real clocks drift by
// parts per million; this is generous on purpose.
const leaseDriftDiv = 10

// leaseAck is the newest heartbeat send time a follower accepted, in a term.
type leaseAck struct {
	term uint64
	sent time.Duration // since readLease.base, on the monotonic clock
}

// leaseState is what a read checks: in term, reads are covered until until.
type leaseState struct {
	term  uint64
	until time.Duration // since readLease.base
}

type readLease struct {
	on      atomic.Bool
	started atomic.Bool // Node.raft is set: heartbeats can come before Open has it
	base    time.Time   // monotonic origin of the durations below
	length  time.Duration
	mu      sync.Mutex
	acks    map[string]leaseAck
	state   atomic.Pointer[leaseState]
	blocked atomic.Uint64 // no lease in this term or earlier: we asked for a leadership transfer
	hits    atomic.Int64  // reads the lease served without a round
}

func newReadLease(on bool, election time.Duration) *readLease {
	l := &readLease{base: time.Now(), length: election - election/leaseDriftDiv, acks: map[string]leaseAck{}}
	l.on.Store(on)
	return l
}

// SetReadLease turns the read lease on or off (CONFIG SET read-lease).
func (n *Node) SetReadLease(on bool) { n.lease.on.Store(on) }

// accepted records that follower id accepted, in term, an AppendEntries we
// sent at sent, and recomputes how long a quorum vouches for us.
func (n *Node) accepted(id string, term uint64, sent time.Time) {
	l := n.lease
	if !l.started.Load() {
		return
	}
	at := sent.Sub(l.base)
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.acks[id]; ok && (a.term > term || a.term == term && a.sent >= at) {
		return
	}
	l.acks[id] = leaseAck{term: term, sent: at}
	if !n.IsLeader() {
		return
	}
	if until, ok := quorumLease(n.opts.NodeID, n.Servers(), l.acks, term, l.length); ok {
		if cur := l.state.Load(); cur == nil || cur.term != term || cur.until < until {
			l.state.Store(&leaseState{term: term, until: until})
		}
	}
}

// quorumLease returns until when the voters' acks in term, with our own
// vote, make a majority: the send time of the majority's oldest ack plus
// length.
func quorumLease(self string, servers []raft.Server, acks map[string]leaseAck, term uint64, length time.Duration) (time.Duration, bool) {
	voters := 0
	var sent []time.Duration
	for _, s := range servers {
		if s.Suffrage != raft.Voter {
			continue
		}
		voters++
		if string(s.ID) == self {
			continue
		}
		if a, ok := acks[string(s.ID)]; ok && a.term == term {
			sent = append(sent, a.sent)
		}
	}
	need := voters / 2 // others needed besides us
	if need == 0 || len(sent) < need {
		return 0, false
	}
	slices.Sort(sent)
	// The need newest acks form the majority whose oldest ack bounds it.
	return sent[len(sent)-need] + length, true
}

// leased reports whether a read arriving now may skip the confirmation
// round.
func (n *Node) leased() bool {
	l := n.lease
	if !l.on.Load() {
		return false
	}
	st := l.state.Load()
	if st == nil || st.term <= l.blocked.Load() || !n.readable.Load() || !n.IsLeader() || n.raft.CurrentTerm() != st.term {
		return false
	}
	if time.Since(l.base) >= st.until {
		return false
	}
	l.hits.Add(1)
	return true
}

// blockLease ends the lease for the current term before we ask for a
// leadership transfer: the target is elected at once, with the votes of
// followers that still count us as their leader.
func (n *Node) blockLease() {
	n.lease.blocked.Store(n.raft.CurrentTerm())
}
