package cluster

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// hashicorp/raft keeps each follower's match index to itself. The leader
// learns a follower's last log index from every AppendEntries answer, and
// heartbeats go through AppendEntries (pipelined replication does not), so
// wrapping the transport gives a view of each follower's progress at most a
// heartbeat interval old, at no cost on the replication path itself.

// progressTransport is our transport (raft's, with big entries beside it),
// noting what followers answer to AppendEntries. Embedding keeps the
// optional interfaces raft looks for (pre-vote, close).
type progressTransport struct {
	*blobTransport
	progress *followerProgress
	// accepted hears of every AppendEntries a follower accepted in our
	// term, with when we sent it (the read lease, lease.go).
	accepted func(id string, term uint64, sent time.Time)
}

func (t *progressTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	sent := time.Now()
	err := t.blobTransport.AppendEntries(id, target, args, resp)
	if err == nil {
		t.progress.note(string(id), resp.LastLog, resp.Success)
		// Only a success resets the follower's election timer.
		if resp.Success && resp.Term == args.Term && t.accepted != nil {
			t.accepted(string(id), args.Term, sent)
		}
	}
	return err
}

type followerProgress struct {
	mu    sync.Mutex
	peers map[string]*FollowerProgress
}

func (p *followerProgress) note(id string, last uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peers == nil {
		p.peers = map[string]*FollowerProgress{}
	}
	f := p.peers[id]
	if f == nil {
		f = &FollowerProgress{ID: id}
		p.peers[id] = f
	}
	f.LastContact = time.Now()
	if ok {
		f.LastLog = last
	}
}

// FollowerProgress is what the leader last heard from one follower.
type FollowerProgress struct {
	ID string
	// LastLog is the follower's last log index, from its last successful
	// AppendEntries answer (a heartbeat at the latest).
	LastLog     uint64
	LastContact time.Time
}

// Progress reports, on the leader, each follower's last known log index
// and last contact, and the leader's own last index: the difference is the
// follower's replication lag in entries. Other nodes get nil.
func (n *Node) Progress() (last uint64, followers []FollowerProgress) {
	if !n.IsLeader() {
		return 0, nil
	}
	last = n.raft.LastIndex()
	self := n.opts.NodeID
	n.progress.mu.Lock()
	defer n.progress.mu.Unlock()
	for _, s := range n.Servers() {
		id := string(s.ID)
		if id == self {
			continue
		}
		f := FollowerProgress{ID: id}
		if p := n.progress.peers[id]; p != nil {
			f = *p
		}
		followers = append(followers, f)
	}
	return last, followers
}

// groupSizeBuckets are the upper bounds of the group-size histogram: how
// many connection entries one Raft entry carried.
var groupSizeBuckets = [...]int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}

// groupSizes counts groups by size; the last slot counts larger ones.
type groupSizes [len(groupSizeBuckets) + 1]atomic.Int64

func (g *groupSizes) observe(n int) {
	for i, b := range groupSizeBuckets {
		if n <= b {
			g[i].Add(1)
			return
		}
	}
	g[len(groupSizeBuckets)].Add(1)
}

// ProposeStats is the proposer's record: Raft entries proposed, connection
// entries they carried, and how many groups had at most Bounds[i] entries
// (Counts[i], not cumulative; the last count has no bound).
type ProposeStats struct {
	Groups, Entries int64
	Bounds          []int
	Counts          []int64
	// LeaderChanges counts the times this node saw a new leader.
	LeaderChanges int64
}

// ProposeStats reports the group-commit figures since start.
func (n *Node) ProposeStats() ProposeStats {
	st := ProposeStats{Groups: n.groups.Load(), Entries: n.grouped.Load(), Bounds: groupSizeBuckets[:],
		Counts: make([]int64, len(n.sizes)), LeaderChanges: n.leaderChanges.Load()}
	for i := range n.sizes {
		st.Counts[i] = n.sizes[i].Load()
	}
	return st
}

// LastContact is how long ago this node last heard from the leader (zero
// on the leader itself, or when it never did).
func (n *Node) LastContact() time.Duration {
	if n.IsLeader() {
		return 0
	}
	t := n.raft.LastContact()
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}
