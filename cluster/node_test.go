package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/test/chaos"
)

// testCluster is three in-process nodes whose Raft traffic goes through a
// partitionable proxy; this tests the cluster layer alone (no RESP server).
type testCluster struct {
	t     *testing.T
	net   *chaos.Net
	nodes []*Node
	// gate, when set, runs in every term check before it is answered.
	gate atomic.Pointer[func()]
}

func freeAddr(t *testing.T, ip string) string {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startTestCluster(t *testing.T, n int) *testCluster {
	c := &testCluster{t: t, net: chaos.NewNet()}
	t.Cleanup(c.net.Close)
	for i := 0; i < n; i++ {
		ip := "127.0.0.2" + strconv.Itoa(1+i)
		name := "c" + strconv.Itoa(i+1)
		bind := freeAddr(t, ip)
		proxy, err := c.net.AddNode(name, ip, ip+":0", bind)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		f, err := fsm.Open(fsm.Options{Dir: filepath.Join(dir, "aof"), Fsync: "no", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		join := ""
		if i > 0 {
			join = "first"
		}
		node, err := Open(Options{NodeID: name, RaftAddr: bind, RaftAdvertise: proxy, ClientAddr: "client-" + name + ":1",
			Dir: filepath.Join(dir, "raft"), Join: join, Logger: slog.New(slog.DiscardHandler), ApplyTimeout: 2 * time.Second,
			TermCheck: c.termCheck(name)}, f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			node.Close()
			f.Close()
		})
		c.nodes = append(c.nodes, node)
	}
	first := c.nodes[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes[1:] {
		if err := first.AddNode(n.ID(), n.RaftAddr(), "client-"+n.ID()+":1"); err != nil {
			t.Fatalf("add %s: %v", n.ID(), err)
		}
	}
	return c
}

// termCheck stands in for RAFT.TERMCHECK over RESP: it asks the node with
// that client address directly, unless the partition separates the two.
func (c *testCluster) termCheck(from string) func(string, uint64, string, time.Time) bool {
	return func(addr string, term uint64, leader string, deadline time.Time) bool {
		if g := c.gate.Load(); g != nil {
			(*g)()
		}
		for _, n := range c.nodes {
			if "client-"+n.ID()+":1" == addr {
				return c.net.Connected(from, n.ID()) && n.TermCheck(term)
			}
		}
		return false
	}
}

// leader waits for exactly one reachable leader among nodes.
func (c *testCluster) leader(among ...*Node) *Node {
	if len(among) == 0 {
		among = c.nodes
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range among {
			if n.IsLeader() && n.readable.Load() {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("no leader")
	return nil
}

func setEntry(key, value string) []byte {
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	w.Add(0, 2, [][]byte{[]byte("SET"), []byte(key), []byte(value)})
	return append([]byte(nil), w.Bytes()...)
}

// TestIsolatedLeaderRefusesReadsAndWrites: a leader cut off from its
// followers cannot confirm leadership, so linearizable reads fail instead of
// serving possibly stale data, and writes never report success; the majority
// elects a new leader that serves both; after healing the old leader follows
// and every node holds the same data.
func TestIsolatedLeaderRefusesReadsAndWrites(t *testing.T) {
	c := startTestCluster(t, 3)
	old := c.leader()
	if _, err := old.Apply(setEntry("k", "1")); err != nil {
		t.Fatal(err)
	}
	if err := old.LinearizableRead(context.Background()); err != nil {
		t.Fatalf("read on a healthy leader: %v", err)
	}
	if old.soleVoter() {
		t.Fatal("three voters, yet soleVoter")
	}

	oldTerm := old.raft.CurrentTerm()
	c.net.Isolate(old.ID())
	var rest []*Node
	for _, n := range c.nodes {
		if n != old {
			rest = append(rest, n)
		}
	}
	nl := c.leader(rest...)
	if _, err := nl.Apply(setEntry("k", "2")); err != nil {
		t.Fatalf("write on the new leader: %v", err)
	}
	// The followers moved on: asked about the old term they say no, which
	// is what keeps a deposed leader that can still reach them from
	// confirming itself.
	for _, n := range rest {
		if n.TermCheck(oldTerm) || !n.TermCheck(nl.raft.CurrentTerm()) {
			t.Fatalf("%s: term check of old term %d / new term %d wrong", n.ID(), oldTerm, nl.raft.CurrentTerm())
		}
	}
	// The old leader may not have noticed yet; whatever it believes, it must
	// not vouch for a read now, nor acknowledge a write.
	start := time.Now()
	if err := old.LinearizableRead(context.Background()); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("read on the deposed leader: %v, want ErrNoLeader", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("refusing the read took %v", took)
	}
	if _, err := old.Apply(setEntry("k", "lost")); err == nil {
		t.Fatal("a write on the deposed leader reported success")
	} else if !errors.Is(err, ErrNoLeader) && !errors.Is(err, ErrUncertain) {
		t.Fatalf("write on the deposed leader: %v", err)
	}
	if err := nl.LinearizableRead(context.Background()); err != nil {
		t.Fatalf("read on the new leader: %v", err)
	}
	if id, addr, ok := rest[0].Leader(); !ok || id != nl.ID() || addr != "client-"+nl.ID()+":1" {
		t.Fatalf("follower's view of the leader: %s %s %v", id, addr, ok)
	}

	c.net.Heal()
	deadline := time.Now().Add(10 * time.Second)
	for old.IsLeader() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if old.IsLeader() {
		t.Fatal("the old leader still leads after healing")
	}
	want := nl.fsm.AppliedIndex()
	for time.Now().Before(deadline) && old.fsm.AppliedIndex() < want {
		time.Sleep(20 * time.Millisecond)
	}
	digest := func(n *Node) [20]byte {
		var d [20]byte
		n.fsm.View(func(s *commands.Store) { d = s.Digest(time.Now().UnixMilli()) })
		return d
	}
	if digest(old) != digest(nl) {
		t.Fatal("the old leader's data differs from the new leader's after healing")
	}
}

// TestMembershipErrors: changes asked of a follower say ErrNotLeader (the
// server relays them); removing an unknown node says ErrUnknownNode; the
// member map records every node's client address.
func TestMembershipErrors(t *testing.T) {
	c := startTestCluster(t, 3)
	l := c.leader()
	var f *Node
	for _, n := range c.nodes {
		if n != l {
			f = n
			break
		}
	}
	if err := f.AddNode("x", "127.0.0.1:1", "127.0.0.1:2"); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("AddNode on a follower: %v", err)
	}
	if err := f.TransferLeadership(""); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("TransferLeadership on a follower: %v", err)
	}
	if err := l.RemoveNode("nosuch"); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("RemoveNode of an unknown node: %v", err)
	}
	peers := l.Peers()
	if len(peers) != 3 {
		t.Fatalf("peers: %+v", peers)
	}
	for _, p := range peers {
		if p.ClientAddr != "client-"+p.ID+":1" || !p.Voter {
			t.Errorf("peer %+v", p)
		}
	}
	if err := l.TransferLeadership(f.ID()); err != nil {
		t.Fatalf("TransferLeadership: %v", err)
	}
	if nl := c.leader(); nl != f {
		t.Fatalf("leadership went to %s, want %s", nl.ID(), f.ID())
	}
}
