package server

import (
	"context"
	"time"

	"github.com/geomys/geomys/internal/hist"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// The server's view of the parts main builds and hands it (Start). They are
// interfaces so the server can be tested with a fake cluster: *cluster.Node
// and *fsm.FSM are what a real node passes.

// Replicator is what commands need from the cluster: writes through the
// log, and the barriers that make reads and WATCH linearizable.
type Replicator interface {
	Apply(data []byte) (*fsm.Result, error)
	// ApplyChecked proposes data only if check, run when every earlier
	// entry is applied and none can come in between, says yes (EXEC).
	ApplyChecked(data []byte, check func() bool) (*fsm.Result, error)
	// SubmitPrepared hands over a proposal whose entry prepare makes at
	// that same point (scripts); Wait returns its outcome.
	SubmitPrepared(prepare func(sp *fsm.Speculation) []byte) cluster.Pending
	ApplyPrepared(prepare func(sp *fsm.Speculation) []byte) (*fsm.Result, error)
	LinearizableRead(ctx context.Context) error
	// SetReadLease lets the leader skip the confirmation round while its
	// heartbeats vouch for it (CONFIG SET read-lease).
	SetReadLease(on bool)
	ReadReady(ctx context.Context) error
	// LogWriteError is the Raft log's write error while it cannot be
	// written (disk full); nil otherwise.
	LogWriteError() error
	// Evict has the leader evict keys until used memory is under
	// maxmemory; false when it could not. KickEviction asks for a check.
	Evict() bool
	KickEviction()
	// SetActiveExpire starts or stops the active expiry cycle (DEBUG
	// SET-ACTIVE-EXPIRE).
	SetActiveExpire(on bool)
	// SetExpiryGate makes the leader's active expiry skip its cycles while
	// paused() holds (CLIENT PAUSE).
	SetExpiryGate(paused func() bool)
	// SetExpiryObserver has observe told how long each active expiry
	// cycle that deleted keys took (LATENCY's expire-cycle event).
	SetExpiryObserver(observe func(time.Duration))
	// ExpireNow runs an expiry cycle at once (the end of a pause: the keys
	// that expired meanwhile go, as Redis' next access would delete them).
	ExpireNow()
}

// Leadership is who leads, and waiting for it.
type Leadership interface {
	ID() string
	IsLeader() bool
	Leader() (id, clientAddr string, ok bool)
	WaitLeader(ctx context.Context) error
	WaitReady(ctx context.Context) error
}

// Membership is the RAFT.* admin surface and what INFO and ROLE report.
type Membership interface {
	AddNode(id, raftAddr, clientAddr string) error
	RemoveNode(id string) error
	TransferLeadership(id string) error
	InConfig() bool
	HadState() bool
	RaftAddr() string
	Peers() []cluster.Peer
	Status() cluster.Status
	Stats() map[string]string
	Snapshot() error
	TermCheck(term uint64) bool
}

// Cluster is everything the server uses of the Raft node.
type Cluster interface {
	Replicator
	Leadership
	Membership
	Close() error
}

// Dataset is what the server reads of the state machine directly: the
// dataset under its read lock, the replicated script cache and libraries,
// and the figures INFO reports.
type Dataset interface {
	RLock() *commands.Store
	RUnlock()
	AppliedIndex() uint64
	Digest(now int64) [20]byte
	Users() *acl.Users
	Script(sha string) (string, bool)
	ScriptsExist(shas []string) []bool
	Libraries() (version uint64, libs map[string]string)
	ScriptCount() int // INFO number_of_cached_scripts
	LibraryVersion() uint64
	Stats() fsm.Stats
	// AOFWriteError is the AOF's write error while it fails; nil otherwise.
	AOFWriteError() error
	SetMemoryLimit(l fsm.MemoryLimit)
	UsedMemory() int64
	PeakMemory() int64
	OverMemory() int64
	// Master is the Redis master REPLICAOF named (nil: none), and
	// MasterOffset its replication offset the dataset reflects.
	Master() *fsm.Master
	MasterOffset() int64
	Close() error
}

// ReplicationSource is what SYNC and PSYNC need of the state machine: an
// RDB of the dataset and the propagation of every later entry (a dataset
// without it answers SYNC with an error).
type ReplicationSource interface {
	AttachReplica(version, replID string, send func([]byte), lost func()) fsm.ReplicaSync
}

// ClusterMetrics is what INFO replication and the metrics endpoint read of
// the Raft node beyond Membership. A cluster without it (a test fake)
// reports no follower progress or group-commit figures.
type ClusterMetrics interface {
	Progress() (last uint64, followers []cluster.FollowerProgress)
	ProposeStats() cluster.ProposeStats
	WriteStages() cluster.WriteStages
	LastContact() time.Duration
}

// DatasetMetrics is what the metrics endpoint reads of the state machine
// beyond Stats.
type DatasetMetrics interface {
	FsyncLatency() hist.Snapshot
	SnapshotDurations() hist.Snapshot
}

var (
	_ Cluster           = (*cluster.Node)(nil)
	_ Dataset           = (*fsm.FSM)(nil)
	_ ClusterMetrics    = (*cluster.Node)(nil)
	_ DatasetMetrics    = (*fsm.FSM)(nil)
	_ PersistenceTuner  = (*fsm.FSM)(nil)
	_ ReplicationSource = (*fsm.FSM)(nil)
)
