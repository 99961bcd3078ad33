package server

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/internal/testutil"
	"github.com/hashicorp/raft"
)

// fakeCluster stands in for the Raft node: a single leader that applies
// every proposal to a real FSM at once, in order, as the log would. It lets
// the server's tests run without Raft, elections or fsyncs.
type fakeCluster struct {
	f     *fsm.FSM
	addr  string
	mu    sync.Mutex // one proposal at a time, like the proposer
	index uint64
}

var errNotACluster = errors.New("a fake single node has no membership")

func (c *fakeCluster) applyLocked(data []byte) (*fsm.Result, error) {
	c.index++
	out := c.f.ApplyBatch([]*raft.Log{{Index: c.index, Term: 1, Type: raft.LogCommand, Data: data, AppendedAt: time.Now()}})
	res, ok := out[0].(*fsm.Result)
	if !ok {
		return nil, errors.New("fake cluster: a batch entry where one entry was proposed")
	}
	return res, nil
}

func (c *fakeCluster) Apply(data []byte) (*fsm.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applyLocked(data)
}

func (c *fakeCluster) ApplyChecked(data []byte, check func() bool) (*fsm.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if check != nil && !check() {
		return nil, cluster.ErrCheckFailed
	}
	return c.applyLocked(data)
}

type done struct {
	res *fsm.Result
	err error
}

func (d done) Wait() (*fsm.Result, error) { return d.res, d.err }

func (c *fakeCluster) SubmitPrepared(prepare func(sp *fsm.Speculation) []byte) cluster.Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	sp := c.f.BeginSpeculation()
	data := prepare(sp)
	sp.End()
	if data == nil {
		return done{}
	}
	res, err := c.applyLocked(data)
	return done{res, err}
}

func (c *fakeCluster) ApplyPrepared(prepare func(sp *fsm.Speculation) []byte) (*fsm.Result, error) {
	return c.SubmitPrepared(prepare).Wait()
}

func (c *fakeCluster) LinearizableRead(context.Context) error { return nil }
func (c *fakeCluster) SetReadLease(bool)                      {}
func (c *fakeCluster) ReadReady(context.Context) error        { return nil }
func (c *fakeCluster) LogWriteError() error                   { return nil }
func (c *fakeCluster) Evict() bool                            { return false }
func (c *fakeCluster) KickEviction()                          {}
func (c *fakeCluster) SetActiveExpire(bool)                   {}
func (c *fakeCluster) SetExpiryGate(func() bool)              {}
func (c *fakeCluster) SetExpiryObserver(func(time.Duration))  {}
func (c *fakeCluster) ExpireNow()                             {}
func (c *fakeCluster) ID() string                             { return "fake" }
func (c *fakeCluster) IsLeader() bool                         { return true }
func (c *fakeCluster) Leader() (string, string, bool)         { return "fake", c.addr, true }
func (c *fakeCluster) WaitLeader(context.Context) error       { return nil }
func (c *fakeCluster) WaitReady(context.Context) error        { return nil }
func (c *fakeCluster) AddNode(string, string, string) error   { return errNotACluster }
func (c *fakeCluster) RemoveNode(string) error                { return errNotACluster }
func (c *fakeCluster) TransferLeadership(string) error        { return errNotACluster }
func (c *fakeCluster) InConfig() bool                         { return true }
func (c *fakeCluster) HadState() bool                         { return true }
func (c *fakeCluster) RaftAddr() string                       { return "" }
func (c *fakeCluster) Peers() []cluster.Peer                  { return nil }
func (c *fakeCluster) Status() cluster.Status                 { return cluster.Status{} }
func (c *fakeCluster) Stats() map[string]string               { return map[string]string{} }
func (c *fakeCluster) Snapshot() error                        { return nil }
func (c *fakeCluster) TermCheck(uint64) bool                  { return true }
func (c *fakeCluster) Close() error                           { return nil }

// startTestServer runs a server on a free port over a fake cluster and a
// real FSM (AOF in a temp dir), stopped when the test ends.
func startTestServer(t testing.TB) *Server {
	t.Helper()
	cfg := Config{Bind: "127.0.0.1", Port: testutil.FreePort(t), Dir: t.TempDir(), NodeID: "fake",
		AppendFsync: "no", LogLevel: "warning", Logger: slog.New(slog.DiscardHandler)}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hooks := s.Hooks()
	f, err := fsm.Open(fsm.Options{Dir: filepath.Join(cfg.Dir, "appendonlydir"), Fsync: "no", Logger: cfg.Logger,
		OnReady: hooks.OnReady, Watches: hooks.Watches, OnPublish: hooks.OnPublish, Notify: hooks.Notify})
	if err != nil {
		t.Fatal(err)
	}
	s.Start(f, &fakeCluster{f: f, addr: s.Addr().String()})
	served := make(chan struct{})
	go func() { s.Serve(); close(served) }()
	t.Cleanup(func() { s.Close(); <-served })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}
