package cluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestQuorumLease(t *testing.T) {
	voters := func(ids ...string) []raft.Server {
		var s []raft.Server
		for _, id := range ids {
			s = append(s, raft.Server{ID: raft.ServerID(id), Suffrage: raft.Voter})
		}
		return s
	}
	ms := time.Millisecond
	three := voters("a", "b", "c")
	five := voters("a", "b", "c", "d", "e")
	withLearner := append(voters("a", "b", "c"), raft.Server{ID: "l", Suffrage: raft.Nonvoter})
	for _, tc := range []struct {
		name    string
		servers []raft.Server
		acks    map[string]leaseAck
		want    time.Duration
		ok      bool
	}{
		{"three, one ack", three, map[string]leaseAck{"b": {7, 100 * ms}}, 1100 * ms, true},
		{"three, newest of two acks", three, map[string]leaseAck{"b": {7, 100 * ms}, "c": {7, 300 * ms}}, 1300 * ms, true},
		{"three, ack of an older term", three, map[string]leaseAck{"b": {6, 100 * ms}}, 0, false},
		{"three, none", three, map[string]leaseAck{}, 0, false},
		{"five, one ack is not a majority", five, map[string]leaseAck{"b": {7, 100 * ms}}, 0, false},
		{"five, the older of the two newest", five, map[string]leaseAck{"b": {7, 100 * ms}, "c": {7, 400 * ms}, "d": {7, 200 * ms}}, 1200 * ms, true},
		{"a learner does not vote", withLearner, map[string]leaseAck{"l": {7, 100 * ms}}, 0, false},
		{"our own ack does not count twice", three, map[string]leaseAck{"a": {7, 100 * ms}}, 0, false},
	} {
		got, ok := quorumLease("a", tc.servers, tc.acks, 7, time.Second)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestReadRoundsBatch: reads that arrive while a confirmation round is in
// flight are not answered by it (it started before them) but all share the
// next one, which starts as soon as the first ends.
func TestReadRoundsBatch(t *testing.T) {
	c := startTestCluster(t, 3)
	l := c.leader()
	entered, release := make(chan struct{}, 16), make(chan struct{}, 16)
	gate := func() { entered <- struct{}{}; <-release }
	c.gate.Store(&gate)
	defer func() {
		c.gate.Store(nil)
		close(release)
	}()
	before := l.confirmations.Load()
	first := make(chan error, 1)
	go func() { first <- l.LinearizableRead(context.Background()) }()
	<-entered // round 1 is asking the followers
	const later = 20
	var wg sync.WaitGroup
	done := make(chan error, later)
	for range later {
		wg.Add(1)
		go func() { defer wg.Done(); done <- l.LinearizableRead(context.Background()) }()
	}
	queued := func() int {
		l.readMu.Lock()
		defer l.readMu.Unlock()
		if l.nextRound == nil {
			return 0
		}
		return l.nextRound.readers
	}
	for deadline := time.Now().Add(5 * time.Second); queued() < later; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d reads queued", queued(), later)
		}
	}
	release <- struct{}{}
	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("first read: %v", err)
	}
	select {
	case <-entered: // round 2 started without waiting for anything else
	case <-time.After(5 * time.Second):
		t.Fatal("the queued reads started no round")
	}
	time.Sleep(20 * time.Millisecond)
	if len(done) > 0 {
		t.Fatal("a read that arrived during round 1 was answered before round 2 confirmed")
	}
	release <- struct{}{}
	release <- struct{}{}
	wg.Wait()
	for range later {
		if err := <-done; err != nil {
			t.Fatalf("queued read: %v", err)
		}
	}
	if got := l.confirmations.Load() - before; got != 2 {
		t.Fatalf("%d rounds for 1 read and %d that arrived during its round, want 2", got, later)
	}
}

// TestReadLease: with the lease on, a leader whose heartbeats a quorum
// accepts serves reads with no round; cut off, it stops before the others
// can have elected a new leader; and it drops the lease when it hands
// leadership over.
func TestReadLease(t *testing.T) {
	c := startTestCluster(t, 3)
	for _, n := range c.nodes {
		n.SetReadLease(true)
	}
	old := c.leader()
	var hits int64
	for deadline := time.Now().Add(5 * time.Second); hits == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no read served by the lease within 5s")
		}
		rounds := old.confirmations.Load()
		if err := old.LinearizableRead(context.Background()); err != nil {
			t.Fatal(err)
		}
		if old.confirmations.Load() == rounds {
			hits = old.lease.hits.Load()
		}
	}

	// Cut off, the old leader may serve from its lease only until a new
	// leader could exist: never once one does.
	var rest []*Node
	for _, n := range c.nodes {
		if n != old {
			rest = append(rest, n)
		}
	}
	c.net.Isolate(old.ID())
	cut := time.Now()
	var lastLeased time.Time
	var newLeader *Node
	for newLeader == nil {
		for _, n := range rest {
			if n.IsLeader() {
				newLeader = n
			}
		}
		if old.leased() {
			if newLeader != nil {
				t.Fatalf("the old leader's lease held %v after the cut, with %s already elected", time.Since(cut), newLeader.ID())
			}
			lastLeased = time.Now()
		}
		if time.Since(cut) > 10*time.Second {
			t.Fatal("no new leader within 10s")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("lease last held %v after the cut; %s elected after %v", lastLeased.Sub(cut), newLeader.ID(), time.Since(cut))
	if err := old.LinearizableRead(context.Background()); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("read on the cut-off old leader: %v, want ErrNoLeader", err)
	}

	c.net.Heal()
	l := c.leader()
	for deadline := time.Now().Add(5 * time.Second); !l.leased(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no lease on the new leader within 5s")
		}
	}
	l.blockLease() // what TransferLeadership does first
	if l.leased() {
		t.Fatal("the lease held after a leadership transfer was asked for")
	}
}
