// Package cluster owns Raft: the log and stable store (raft-boltdb), the TCP
// transport, snapshots, bootstrap, leadership and the write/read gates the
// server goes through.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Errors the server turns into client replies. ErrNoLeader means the write was
// certainly not applied; ErrUncertain that it was proposed and may have been.
var (
	ErrNoLeader  = errors.New("no leader available")
	ErrUncertain = errors.New("write outcome unknown: no commit seen after the write was proposed")
	ErrShutdown  = errors.New("node is shutting down")
)

// commitTimeout is Raft's CommitTimeout (see newNode).
const commitTimeout = 10 * time.Millisecond

// Options configure a node.
type Options struct {
	NodeID        string
	RaftAddr      string // host:port the Raft transport binds
	RaftAdvertise string // host:port peers dial (default RaftAddr)
	ClientAddr    string // host:port clients (and peers' proxies) reach our RESP port at
	Dir           string // holds raft.db, wal/ and snapshots/
	// RaftLog is the Raft log store: LogWAL or LogBolt (default
	// DefaultRaftLog). A node whose log is in the other one converts it
	// once at start (see openLogStore).
	RaftLog      string
	Join         string // RESP address of an existing member: do not bootstrap
	TrailingLogs uint64 // entries kept after a snapshot for followers that lag
	// ElectionTimeout is how long followers wait for the leader before
	// electing another (default 1s).
	ElectionTimeout time.Duration
	// ReadLease lets the leader serve reads without a confirmation round
	// while a quorum recently accepted its heartbeats (lease.go).
	ReadLease bool
	// TermCheck asks the node at a client address whether its term is term
	// (see LinearizableRead); nil means RAFT.TERMCHECK over RESP.
	TermCheck func(clientAddr string, term uint64, leader string, deadline time.Time) bool
	Logger    *slog.Logger
	LogLevel  string
	// ClusterSecret authenticates this node's term checks to its peers.
	ClusterSecret string
	ApplyTimeout  time.Duration
	// PeerTLS makes Raft and the term checks mutual TLS (nil: plain TCP).
	PeerTLS *PeerTLS
	// LogOutput and LogJSON are where and how Raft's own log lines go, as
	// Logger's (--log-format, logfile); stderr and text when unset.
	LogOutput io.Writer
	LogJSON   bool
}

// Node is one member of the Raft group.
type Node struct {
	opts  Options
	log   *slog.Logger
	raft  *raft.Raft
	fsm   *fsm.FSM
	bolt  *raftboltdb.BoltStore // the stable store (term, vote); the bolt log too
	logs  *logStore
	disk  *diskGuard // notices a Raft log that cannot be written (diskguard.go)
	trans *blobTransport

	readable atomic.Bool // leader whose own-term entry has been applied
	// expiryGate, when set, pauses the active expiry (CLIENT PAUSE).
	expiryGate atomic.Pointer[func() bool]
	// expiryObserver, when set, is told how long each expiry cycle that
	// deleted keys took (the latency monitor's expire-cycle event).
	expiryObserver atomic.Pointer[func(time.Duration)]
	expiring       sync.Mutex
	hadState       bool // Raft state existed at start: a restart, never a join
	readMu         sync.Mutex
	nextRound      *readRound    // the confirmation round that reads arriving now join
	readKick       chan struct{} // wakes the verifier: a round has reads
	checker        *termChecker
	lease          *readLease
	stop           chan struct{}
	closed         chan struct{} // the loops are gone (Close after wg.Wait)
	wg             sync.WaitGroup

	// noActiveExpiry stops the expiry cycle (DEBUG SET-ACTIVE-EXPIRE 0).
	noActiveExpiry atomic.Bool

	proposals      chan *proposal // entries waiting to join the next group
	committing     chan inflight  // groups handed to Raft, in order
	slots          chan struct{}  // one per group being committed
	reached        chan struct{}  // Raft handed a batch to the FSM (see stagedFSM)
	applied        chan struct{}  // a group's future resolved (applied or failed)
	stages         stageClock     // where proposed groups' time goes
	groups         atomic.Int64   // Raft entries proposed by the proposer
	grouped        atomic.Int64   // connection entries they carried
	confirmations  atomic.Int64   // rounds of leadership confirmation for linearizable reads
	confirmedReads atomic.Int64   // reads those rounds answered
	health         peerHealth
	progress       followerProgress // followers' last log index, on the leader (progress.go)
	sizes          groupSizes       // groups by number of entries
	leaderChanges  atomic.Int64     // new leaders this node saw
	evict          evictor
	awaiting       awaiting // our entries whose results are still to be read
}

// Open starts Raft over f. A node with no Raft state and no join target
// bootstraps itself as a one-node cluster; a node with state just restarts.
func Open(opts Options, f *fsm.FSM) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ApplyTimeout == 0 {
		opts.ApplyTimeout = 10 * time.Second
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create raft dir: %w", err)
	}
	advertise, err := advertiseAddr(opts.RaftAddr, opts.RaftAdvertise)
	if err != nil {
		return nil, err
	}
	opts.RaftAdvertise = advertise
	n := &Node{opts: opts, log: opts.Logger, fsm: f, stop: make(chan struct{}), closed: make(chan struct{}), readKick: make(chan struct{}, 1), checker: newTermChecker(opts.TermCheck, opts.ClusterSecret, opts.PeerTLS),
		proposals: make(chan *proposal, maxGroupCount), committing: make(chan inflight, maxInFlight),
		slots: make(chan struct{}, maxInFlight), reached: make(chan struct{}, 1), applied: make(chan struct{}, 1)}

	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(opts.NodeID)
	cfg.BatchApplyCh = true // group commit: many entries per log-store write
	// Raft allocates a batch of this many per commit; entries are already
	// groups, and with at most maxInFlight of them pending it never binds
	// (a 3-node SET run at -P 1 and -P 16: 1.0-1.35 logs per FSM batch on
	// the leader and the followers).
	cfg.MaxAppendEntries = 64
	cfg.NoSnapshotRestoreOnStart = true // the FSM recovers from its AOF
	// Snapshots (= AOF rewrites) follow the AOF's growth; this only bounds
	// the Raft log when entries add nothing to the AOF.
	cfg.SnapshotThreshold = 1 << 20
	cfg.TrailingLogs = 10240
	if opts.TrailingLogs > 0 {
		cfg.TrailingLogs = opts.TrailingLogs
	}
	election := opts.ElectionTimeout
	if election <= 0 {
		election = time.Second
	}
	// A follower that hears nothing for between one and two election
	// timeouts starts an election; the leader steps down after half of one
	// without a quorum.
	cfg.HeartbeatTimeout = election
	cfg.ElectionTimeout = election
	cfg.LeaderLeaseTimeout = election / 2
	// A follower learns that an entry committed with the leader's next
	// AppendEntries: when no write follows, that is the one Raft sends every
	// CommitTimeout to twice that. At Raft's default, 50 ms, a message
	// published on an idle 3-node cluster's leader reached a follower's
	// subscriber in 72 ms (median), and a client of a follower waited as long
	// to see its own ACL or FUNCTION change there; at 10 ms, 18 ms, for
	// about 3% of a core more per idle node.
	cfg.CommitTimeout = commitTimeout
	n.lease = newReadLease(opts.ReadLease, election)
	logOut := opts.LogOutput
	if logOut == nil {
		logOut = os.Stderr
	}
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.LevelFromString(raftLogLevel(opts.LogLevel)),
		Output: logOut, JSONFormat: opts.LogJSON})

	bolt, err := raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(opts.Dir, "raft.db"),
		BoltOptions: &bbolt.Options{
			Timeout: time.Second, // another process holding the file fails fast, not forever
			// The freelist is rebuilt on open instead of being written with
			// every commit: fewer bytes per fsync on the write path.
			NoFreelistSync: true,
			FreelistType:   bbolt.FreelistMapType,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("open raft log %s: %w", filepath.Join(opts.Dir, "raft.db"), err)
	}
	n.bolt = bolt
	n.disk = newDiskGuard(opts.Dir, diskReserve, n.log)
	if err := n.disk.fill(); err != nil {
		n.disk.failed(err) // start anyway: reads work, writes wait for room
	}
	store, err := openLogStore(opts.Dir, opts.RaftLog, bolt, cfg.Logger, n.log)
	if err != nil {
		bolt.Close()
		return nil, err
	}
	n.logs = store
	inner := guardedLogs{LogStore: store, d: n.disk}
	cache, err := raft.NewLogCache(64, inner) // recent entries for followers; entries can be large pipelines
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("raft log cache: %w", err)
	}
	big := &uncachedBig{LogCache: cache, store: inner}
	logs := guardedLogs{LogStore: big, d: n.disk, outer: true, clock: &n.stages}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(opts.Dir, 1, cfg.Logger)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("raft snapshot store: %w", err)
	}
	layer, err := newStreamLayer(opts.RaftAddr, advertise, opts.PeerTLS)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("raft transport on %s: %w", opts.RaftAddr, err)
	}
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: layer, MaxPool: 3, Timeout: 10 * time.Second, Logger: cfg.Logger,
	})
	n.trans = newBlobTransport(trans, layer, big.holds)
	wrapped := &progressTransport{blobTransport: n.trans, progress: &n.progress, accepted: n.accepted}
	hasState, err := raft.HasExistingState(logs, bolt, snaps)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("inspect raft state: %w", err)
	}
	r, err := raft.NewRaft(cfg, stagedFSM{FSM: f, reached: n.reached, clock: &n.stages, replied: n.awaiting.has}, logs, bolt, syncingSnapshots{snaps, opts.Dir}, wrapped)
	if err != nil {
		n.closeStores()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	n.raft = r
	big.raft.Store(r)
	n.lease.started.Store(true)
	n.hadState = hasState
	if !hasState && opts.Join == "" {
		boot := raft.Configuration{Servers: []raft.Server{{ID: cfg.LocalID, Address: n.trans.LocalAddr()}}}
		if err := r.BootstrapCluster(boot).Error(); err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
			n.Close()
			return nil, fmt.Errorf("bootstrap: %w", err)
		}
	}
	if n.soleVoter() {
		if err := n.electNow(); err != nil {
			n.Close()
			return nil, err
		}
	}
	n.evict.kick = make(chan struct{}, 1)
	n.wg.Add(10)
	go n.every(time.Second, nil, big.expire)
	go n.every(time.Second, nil, n.retryDisk)
	go n.observePeers()
	go n.verifier()
	go n.proposer()
	go n.responder()
	go n.watchLeadership()
	go n.every(100*time.Millisecond, nil, n.expireCycle)
	go n.every(time.Second, nil, n.rewriteIfDue)
	go n.every(100*time.Millisecond, n.evict.kick, n.evictIfOver)
	return n, nil
}

func raftLogLevel(l string) string {
	switch l {
	case "debug", "verbose":
		return "info"
	default:
		return "warn"
	}
}

func (n *Node) closeStores() {
	if n.trans != nil {
		n.trans.Close()
	}
	if n.logs != nil {
		if err := n.logs.close(); err != nil {
			n.log.Warn("close raft log", "err", err)
		}
	}
	n.bolt.Close()
}

// watchLeadership opens reads only once a new leader has applied an entry of
// its own term (the no-op raft appends on election), so it never serves a
// state older than what a previous leader acknowledged.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	ch := n.raft.LeaderCh()
	for {
		select {
		case <-n.stop:
			return
		case isLeader := <-ch:
			n.readable.Store(false)
			if !isLeader {
				continue
			}
			if err := n.raft.Barrier(n.opts.ApplyTimeout).Error(); err != nil {
				n.log.Warn("leader barrier failed; check the disk and the network to the other members (the node steps down if it cannot lead)", "err", err)
				continue
			}
			if n.raft.State() == raft.Leader {
				n.readable.Store(true)
				n.log.Info("serving as leader", "node", n.opts.NodeID)
				n.recordSelf()
			}
		}
	}
}

// WaitReady waits until this node can serve: it leads and has applied an
// entry of its term, or it follows a known leader.
func (n *Node) WaitReady(ctx context.Context) error {
	return pollUntil(ctx, 2*time.Millisecond, func() bool {
		if n.readable.Load() {
			return true
		}
		_, _, ok := n.Leader()
		return ok && !n.IsLeader()
	})
}

// waitReadable waits until this node, as leader, has applied an entry of
// its own term.
func (n *Node) waitReadable(ctx context.Context) error {
	return pollUntil(ctx, time.Millisecond, n.readable.Load)
}

func pollUntil(ctx context.Context, every time.Duration, done func() bool) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// ReadReady tells whether this node may serve a read from its local dataset.
func (n *Node) ReadReady(ctx context.Context) error {
	if n.readable.Load() {
		return nil
	}
	if n.raft.State() != raft.Leader {
		return ErrNoLeader
	}
	// A fresh leader is catching up; wait briefly rather than fail.
	ctx, cancel := context.WithTimeout(ctx, n.opts.ApplyTimeout)
	defer cancel()
	if err := n.waitReadable(ctx); err != nil {
		return ErrNoLeader
	}
	return nil
}

// Snapshot takes a Raft snapshot, which is also an AOF rewrite.
func (n *Node) Snapshot() error {
	err := n.raft.Snapshot().Error()
	if errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return nil
	}
	return err
}

// IsLeader reports whether this node currently leads.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Stats exposes raft's own counters for INFO, plus group commit figures.
func (n *Node) Stats() map[string]string {
	st := n.raft.Stats()
	st["group_commits"] = strconv.FormatInt(n.groups.Load(), 10)
	st["group_commit_entries"] = strconv.FormatInt(n.grouped.Load(), 10)
	st["read_confirmations"] = strconv.FormatInt(n.confirmations.Load(), 10)
	st["read_confirmed_reads"] = strconv.FormatInt(n.confirmedReads.Load(), 10)
	st["read_lease_hits"] = strconv.FormatInt(n.lease.hits.Load(), 10)
	n.stageStats(st)
	return st
}

// Close stops the loops, Raft and the stores.
func (n *Node) Close() error {
	select {
	case <-n.stop:
		return nil
	default:
	}
	if n.raft != nil && n.IsLeader() && !n.soleVoter() {
		// Hand leadership over first, so a rolling restart costs clients a
		// transfer instead of an election timeout.
		n.blockLease()
		if err := n.raft.LeadershipTransfer().Error(); err != nil {
			n.log.Warn("leadership transfer before shutdown failed; nothing to do, the other members elect a leader after --raft-election-timeout", "err", err)
		} else {
			n.log.Info("handed leadership over before shutdown")
		}
	}
	close(n.stop)
	n.wg.Wait()
	close(n.closed)
	n.checker.close()
	var err error
	if n.raft != nil {
		err = n.raft.Shutdown().Error()
	}
	n.closeStores()
	return err
}
