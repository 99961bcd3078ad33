package cluster

import (
	"context"
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/raft"
)

// The proposer is tested on a real one-node cluster (Open, as the server
// builds it: raft-boltdb, TCP transport, a real FSM). Two holds make its
// timing deterministic without sleeping:
//   - a checked proposal whose check waits (holdProposer) keeps the
//     proposer busy, so proposals submitted meanwhile queue in n.proposals,
//     in order, where the test can count them;
//   - an entry that PUBLISHes on channel "gate" keeps Raft's FSM goroutine
//     in the FSM's OnPublish hook until the test opens that gate, so its
//     group has reached the FSM but is not applied.

// gates are the FSM holds, by name.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate
}

type gate struct {
	reached, open chan struct{}
	reachOnce     sync.Once
	openOnce      sync.Once
}

func (gs *gates) get(name string) *gate {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if gs.m == nil {
		gs.m = map[string]*gate{}
	}
	g, ok := gs.m[name]
	if !ok {
		g = &gate{reached: make(chan struct{}), open: make(chan struct{})}
		gs.m[name] = g
	}
	return g
}

func (gs *gates) onPublish(pubs []commands.Publication) {
	for _, p := range pubs {
		if string(p.Channel) == "gate" {
			g := gs.get(string(p.Message))
			g.reachOnce.Do(func() { close(g.reached) })
			<-g.open
		}
	}
}

func (gs *gates) opened(name string) {
	g := gs.get(name)
	g.openOnce.Do(func() { close(g.open) })
}

func (gs *gates) openAll() {
	gs.mu.Lock()
	names := make([]string, 0, len(gs.m))
	for name := range gs.m {
		names = append(names, name)
	}
	gs.mu.Unlock()
	for _, name := range names {
		gs.opened(name)
	}
}

func (gs *gates) waitReached(t *testing.T, name string) {
	t.Helper()
	select {
	case <-gs.get(name).reached:
	case <-time.After(10 * time.Second):
		t.Fatalf("gate %s: its entry never reached the FSM", name)
	}
}

// soloNode is a bootstrapped one-voter cluster that leads and serves. With
// no client address it proposes nothing of its own (no member record).
func soloNode(t *testing.T, applyTimeout time.Duration) (*Node, *gates) {
	t.Helper()
	gs := &gates{}
	dir := t.TempDir()
	f, err := fsm.Open(fsm.Options{Dir: filepath.Join(dir, "aof"), Fsync: "no", Logger: slog.New(slog.DiscardHandler), OnPublish: gs.onPublish})
	if err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{NodeID: "solo", RaftAddr: freeAddr(t, "127.0.0.1"), Dir: filepath.Join(dir, "raft"),
		ElectionTimeout: 200 * time.Millisecond, ApplyTimeout: applyTimeout, Logger: slog.New(slog.DiscardHandler)}, f)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		f.Close()
	})
	t.Cleanup(gs.openAll) // runs first: a held FSM would keep Close waiting
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return n, gs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// answer waits for a proposal's outcome.
func answer(t *testing.T, ch <-chan outcome, what string) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("%s was never answered", what)
		return outcome{}
	}
}

func entry(cmds ...[]string) []byte {
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	for _, c := range cmds {
		args := make([][]byte, len(c))
		for i, a := range c {
			args[i] = []byte(a)
		}
		w.Add(0, 2, args)
	}
	return w.Bytes()
}

// gated is an entry that holds the FSM at gate name, then sets key.
func gated(name, key string) []byte {
	return entry([]string{"PUBLISH", "gate", name}, []string{"SET", key, "1"})
}

// entryLog records which entry is which, to read the groups back from Raft's log.
type entryLog struct {
	mu    sync.Mutex
	names map[string]string
}

func (l *entryLog) name(name string, data []byte) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.names == nil {
		l.names = map[string]string{}
	}
	l.names[string(data)] = name
	return data
}

// groups reads the command entries Raft stored after index from, each as
// the names of the proposals it carries.
func (l *entryLog) groups(t *testing.T, n *Node, from uint64) [][]string {
	t.Helper()
	last, err := n.logs.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]string
	for i := from + 1; i <= last; i++ {
		var e raft.Log
		if err := n.logs.GetLog(i, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type != raft.LogCommand {
			continue
		}
		var group []string
		for _, sub := range splitGroup(t, e.Data) {
			name, ok := l.names[string(sub)]
			if !ok {
				name = "?"
			}
			group = append(group, name)
		}
		out = append(out, group)
	}
	return out
}

// splitGroup undoes encodeGroup (fsm.EncodeBatch's layout).
func splitGroup(t *testing.T, data []byte) [][]byte {
	if len(data) == 0 || data[0] != 'B' {
		return [][]byte{data}
	}
	p := data[2:]
	count, k := binary.Uvarint(p)
	p = p[k:]
	var out [][]byte
	for range count {
		size, k := binary.Uvarint(p)
		if k <= 0 || size > uint64(len(p)-k) {
			t.Fatalf("malformed group entry")
		}
		out = append(out, p[k:k+int(size)])
		p = p[k+int(size):]
	}
	return out
}

func lastIndex(t *testing.T, n *Node) uint64 {
	t.Helper()
	i, err := n.logs.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// held is a checked proposal whose check waits for release.
type held struct {
	release chan struct{}
	done    chan outcome
}

// holdProposer proposes data with a check that blocks the proposer until
// the returned hold is released.
func holdProposer(t *testing.T, n *Node, data []byte) *held {
	t.Helper()
	h := &held{release: make(chan struct{}), done: make(chan outcome, 1)}
	entered := make(chan struct{})
	go func() {
		res, err := n.ApplyChecked(data, func() bool {
			close(entered)
			<-h.release
			return true
		})
		h.done <- outcome{res, err}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the holding check never ran")
	}
	t.Cleanup(func() {
		select {
		case <-h.release:
		default:
			close(h.release)
		}
	})
	return h
}

func (h *held) let() { close(h.release) }

// queue submits a proposal while the proposer is held and waits until it
// is queued behind the ones before it.
func queue(t *testing.T, n *Node, apply func() (*fsm.Result, error)) <-chan outcome {
	t.Helper()
	want := len(n.proposals) + 1
	ch := make(chan outcome, 1)
	go func() {
		res, err := apply()
		ch <- outcome{res, err}
	}()
	waitFor(t, "the proposal is queued", func() bool { return len(n.proposals) == want })
	return ch
}

func queueApply(t *testing.T, n *Node, data []byte) <-chan outcome {
	return queue(t, n, func() (*fsm.Result, error) { return n.Apply(data) })
}

func wantReply(t *testing.T, o outcome, what, reply string) {
	t.Helper()
	if o.err != nil {
		t.Errorf("%s: %v", what, o.err)
		return
	}
	if o.res == nil || string(o.res.Reply) != reply {
		t.Errorf("%s: result %+v, want reply %q", what, o.res, reply)
	}
}

func wantGroups(t *testing.T, got [][]string, want ...[]string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Raft entries carry %v, want %v", got, want)
	}
}

// indexOfGroup is the log index of the k-th command entry after from.
func indexOfGroup(t *testing.T, n *Node, from uint64, k int) uint64 {
	t.Helper()
	last := lastIndex(t, n)
	for i := from + 1; i <= last; i++ {
		var e raft.Log
		if err := n.logs.GetLog(i, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type == raft.LogCommand {
			if k--; k == 0 {
				return i
			}
		}
	}
	t.Fatalf("no command entry %d", k)
	return 0
}

// prepared is a prepared proposal that INCRs key and sets its own name in
// its speculation (and publishes to a gate, if set), and records what it saw.
type prepared struct {
	name string
	key  string
	gate string
	none bool // makes no entry
	l    *entryLog

	mu    sync.Mutex
	sp    *fsm.Speculation
	saw   string // the INCR's reply inside the speculation
	calls int
}

func (p *prepared) prepare(sp *fsm.Speculation) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sp, p.calls = sp, p.calls+1
	if p.none {
		return nil
	}
	data := sp.Run(nil, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[0]
		p.saw = specCall(c, "INCR", p.key)
		specCall(c, "SET", p.name, "1")
		if p.gate != "" {
			specCall(c, "PUBLISH", "gate", p.gate)
		}
		return true
	})
	return p.l.name(p.name, data)
}

// specCall runs a command in a speculation, as a script's redis.call.
func specCall(c *commands.Ctx, args ...string) string {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	r := commands.NewReply(2)
	c.R = r
	c.Begin(c.DB, b)
	commands.Lookup(b[0]).Handler(c)
	c.Finish()
	return string(r.Bytes())
}

// submit hands p over (SubmitPrepared returns once the proposer has it)
// and waits for its outcome in the background.
func (p *prepared) submit(t *testing.T, n *Node) <-chan outcome {
	t.Helper()
	want := len(n.proposals) + 1
	h := n.SubmitPrepared(p.prepare)
	if got := len(n.proposals); got != want {
		t.Fatalf("%s: %d proposals queued after SubmitPrepared, want %d", p.name, got, want)
	}
	ch := make(chan outcome, 1)
	go func() {
		res, err := h.Wait()
		ch <- outcome{res, err}
	}()
	return ch
}
