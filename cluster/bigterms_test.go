package cluster

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// countingStore counts the entries read back from the log store, by index.
type countingStore struct {
	*raft.InmemStore
	mu    sync.Mutex
	reads map[uint64]int
}

func (s *countingStore) GetLog(index uint64, out *raft.Log) error {
	s.mu.Lock()
	s.reads[index]++
	s.mu.Unlock()
	return s.InmemStore.GetLog(index, out)
}

func (s *countingStore) readsOf(index uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[index]
}

// lastFSM keeps the last entry it applied.
type lastFSM struct {
	mu    sync.Mutex
	index uint64
	data  []byte
}

func (f *lastFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index, f.data = l.Index, l.Data
	return nil
}

func (f *lastFSM) last() (uint64, []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.index, f.data
}

func (f *lastFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, raft.ErrNothingNewToSnapshot }
func (f *lastFSM) Restore(io.ReadCloser) error         { return nil }

type bigTermsNode struct {
	r     *raft.Raft
	store *countingStore
	fsm   *lastFSM
	trans *raft.InmemTransport
	addr  raft.ServerAddress
	id    raft.ServerID
}

// A big entry is read back from the log store only for what needs its
// data: while it is the last entry, a leader's AppendEntries every commit
// timeout and a follower's term checks of an entry resent to it read
// nothing (they used to read it whole, 10-20 times a second per follower).
func TestBigEntryTermsNotReadBack(t *testing.T) {
	nodes := make([]*bigTermsNode, 2)
	var servers []raft.Server
	for i := range nodes {
		addr, trans := raft.NewInmemTransport("")
		n := &bigTermsNode{store: &countingStore{InmemStore: raft.NewInmemStore(), reads: map[uint64]int{}},
			fsm: &lastFSM{}, trans: trans, addr: addr, id: raft.ServerID(string(rune('a' + i)))}
		nodes[i] = n
		servers = append(servers, raft.Server{ID: n.id, Address: addr})
	}
	nodes[0].trans.Connect(nodes[1].addr, nodes[1].trans)
	nodes[1].trans.Connect(nodes[0].addr, nodes[0].trans)
	for i, n := range nodes {
		cfg := raft.DefaultConfig()
		cfg.LocalID = n.id
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = time.Second, time.Second, 500*time.Millisecond
		cfg.CommitTimeout = 5 * time.Millisecond // many idle AppendEntries in the wait below
		cfg.Logger = hclog.NewNullLogger()
		cache, err := raft.NewLogCache(64, n.store)
		if err != nil {
			t.Fatal(err)
		}
		big := &uncachedBig{LogCache: cache, store: n.store}
		r, err := raft.NewRaft(cfg, n.fsm, big, raft.NewInmemStore(), raft.NewInmemSnapshotStore(), n.trans)
		if err != nil {
			t.Fatal(err)
		}
		big.raft.Store(r)
		n.r = r
		t.Cleanup(func() { r.Shutdown().Error() })
		if i == 0 {
			if err := r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
				t.Fatal(err)
			}
		}
	}
	var leader, follower *bigTermsNode
	waitFor(t, "a leader", func() bool {
		for i, n := range nodes {
			if n.r.State() == raft.Leader && n.r.VerifyLeader().Error() == nil {
				leader, follower = n, nodes[1-i]
				return true
			}
		}
		return false
	})
	value := bytes.Repeat([]byte("big entry "), bigLogEntry/10+1)
	f := leader.r.Apply(value, 5*time.Second)
	if err := f.Error(); err != nil {
		t.Fatal(err)
	}
	index := f.Index()
	waitFor(t, "the follower to apply the big entry", func() bool {
		i, _ := follower.fsm.last()
		return i == index
	})
	if _, data := follower.fsm.last(); !bytes.Equal(data, value) {
		t.Fatalf("the follower applied %d bytes; want the %d of the entry", len(data), len(value))
	}
	time.Sleep(300 * time.Millisecond) // some 40 idle AppendEntries
	if n := leader.store.readsOf(index); n > 0 {
		t.Errorf("the leader read the big entry back from its log store %d times; want 0 (sent from the entry it holds, its term known)", n)
	}
	if n := follower.store.readsOf(index); n > 0 {
		t.Errorf("the follower read the big entry back from its log store %d times; want 0 (applied from the entry it holds)", n)
	}

	// The leader sends the entry again (its answer was lost): the
	// follower compares terms without reading the entry back.
	var stored raft.Log
	if err := leader.store.InmemStore.GetLog(index, &stored); err != nil {
		t.Fatal(err)
	}
	var prev raft.Log
	if err := leader.store.InmemStore.GetLog(index-1, &prev); err != nil {
		t.Fatal(err)
	}
	req := raft.AppendEntriesRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte(leader.id), Addr: []byte(leader.addr)},
		Term:      stored.Term, PrevLogEntry: prev.Index, PrevLogTerm: prev.Term,
		Entries: []*raft.Log{&stored}, LeaderCommitIndex: index,
	}
	var resp raft.AppendEntriesResponse
	if err := leader.trans.AppendEntries(follower.id, follower.addr, &req, &resp); err != nil || !resp.Success {
		t.Fatalf("resending the big entry: success %v, %v", resp.Success, err)
	}
	if n := follower.store.readsOf(index); n > 0 {
		t.Errorf("the follower read the resent big entry back from its log store %d times to compare terms; want 0", n)
	}
}
