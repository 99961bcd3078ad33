// Package server is the network layer: a redcon listener (behind a RESP
// guard), connection state, command dispatch and replies. It reaches the data
// only through the cluster node (writes, read gates) and the FSM (reads).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/internal/tlsconf"
	"github.com/geomys/geomys/proxy"
	"github.com/geomys/geomys/scripting"

	"github.com/tidwall/redcon"
)

// Version is the Geomys release; RedisVersion is the Redis version whose
// behaviour we implement, which clients read from HELLO and INFO.
const (
	Version      = "0.1.0"
	RedisVersion = "7.0.15"
)

// Config is what main hands the server (from flags).
type Config struct {
	Bind        string
	Port        int
	Dir         string
	NodeID      string
	RaftAddr    string
	Join        string
	AppendFsync string
	LogLevel    string
	Logger      *slog.Logger
	// AutoAOFRewritePercentage / AutoAOFRewriteMinSize as in redis.conf.
	AutoAOFRewritePercentage int
	AutoAOFRewriteMinSize    int64
	// ClientAddr is the address other nodes and clients reach us at.
	ClientAddr string
	// RaftAdvertise is the Raft address peers dial (default RaftAddr).
	RaftAdvertise string
	// ReadConsistency is "linearizable" (default) or "stale".
	ReadConsistency string
	// FollowerMode is "proxy" (default) or "redirect".
	FollowerMode string
	// ReadLease: the leader serves reads without a confirmation round while
	// its heartbeats vouch for it (cluster/lease.go); CONFIG SET read-lease.
	ReadLease bool
	// ElectionTimeout is Raft's election timeout (default 1s).
	ElectionTimeout time.Duration
	// RaftLog is the Raft log store, "wal" or "bolt" (--raft-log).
	RaftLog string
	// RaftTrailingLogs is how many entries a snapshot leaves in the Raft log.
	RaftTrailingLogs uint64
	// RequestTimeout bounds how long a command waits for the cluster.
	RequestTimeout time.Duration
	// RequirePass, ACLFile: the start-up ACL (the default user's password,
	// or the users of an ACL file); the replicated ACL replaces it once the
	// log changes it. ACL SAVE and LOAD use ACLFile.
	RequirePass string
	ACLFile     string
	// StartACL is the ACL built from RequirePass / ACLFile (main).
	StartACL *acl.Users
	// ClusterSecret authenticates node-to-node connections (RAFT.AUTH).
	ClusterSecret string
	// NotifyKeyspaceEvents is notify-keyspace-events' initial value.
	NotifyKeyspaceEvents string
	// Client limits, as the redis.conf directives of the same names, in
	// their syntax ("" for Redis' default): see limits.go.
	MaxClients, Timeout, TCPKeepAlive                                string
	ClientOutputBufferLimit, ClientQueryBufferLimit, ProtoMaxBulkLen string
	// MaxMemory (with Redis' units: 100mb, 1gb), MaxMemoryPolicy and
	// MaxMemorySamples are maxmemory's initial settings ("" for defaults).
	MaxMemory        string
	MaxMemoryPolicy  string
	MaxMemorySamples int
	// Shutdown is called when a client sends SHUTDOWN.
	Shutdown func()
	// ConfigFile is the config file CONFIG REWRITE writes ("" for none).
	ConfigFile string
	// Params are CONFIG parameters set in the config file.
	Params []ParamValue
	// Flags are the command-line flags and their values.
	Flags []FlagValue
	// MetricsAddr, when set, is where /metrics is served (Prometheus).
	MetricsAddr string
	// TLSPort is the client TLS port (0: none); TLS the tls-* settings and
	// TLSConfigs what main built from them (nil without TLS).
	TLSPort    int
	TLS        tlsconf.Settings
	TLSConfigs *tlsconf.Configs
	// ProtectedMode is protected-mode's initial value (protected.go).
	ProtectedMode bool
}

// Server is one Geomys node's client-facing side.
type Server struct {
	cfg     Config
	log     *slog.Logger
	fsm     Dataset
	node    Cluster
	lns     []listener // the plain port, then the TLS port, as configured
	started time.Time
	runID   string

	// denyScriptsOff lets scripts call no-script commands (DEBUG
	// SET-DISABLE-DENY-SCRIPTS 1, for tests).
	denyScriptsOff atomic.Bool

	mu       sync.Mutex
	clients  map[int64]*Client
	nextID   atomic.Int64
	waiters  waiters
	watches  watchRegistry
	pubsub   pubsubRegistry
	monitors monitorSet
	tracking trackingTable
	pause    pauseState
	scripts  *scripting.Engine
	// busyThreshold is busy-reply-threshold (lua-time-limit) in ms: after
	// it, other clients are answered BUSY while a script runs.
	busyThreshold atomic.Int64
	upstreams     proxy.Pool   // follower proxy connections to the leader
	migrate       migrateCache // MIGRATE's connections to its targets
	startACL      *acl.Users   // the ACL until the dataset is open
	aclLog        aclLog
	// relayRefusedLog is when (unix s) a refused relay was last logged.
	relayRefusedLog atomic.Int64
	// relayBlocked counts this node's clients whose blocking command the
	// leader holds (forwardBlocking): blocked here as much as there.
	relayBlocked atomic.Int64
	params       *params
	limits       clientLimits           // maxclients, timeout, output/query buffer limits (limits.go)
	notify       commands.NotifySetting // notify-keyspace-events (commands/notify.go)
	memLimit     atomic.Pointer[fsm.MemoryLimit]
	stats        stats
	cstats       *cmdStats // per command and per error (cmdstats.go)
	// lazyfreedBase is lazyfreed_objects at CONFIG RESETSTAT (lazyfree.go).
	lazyfreedBase atomic.Int64
	metricsLn     net.Listener
	slow          slowlog
	latency       latencyMonitor
	replyBufs     replyBufCfg // DEBUG REPLYBUFFER (iobufs.go)
	timing        atomic.Bool // slowlog or latency monitor on: time commands
	closed        atomic.Bool
	done          chan struct{}   // closed on shutdown: wakes blocked clients and stops bg
	served        chan error      // the first listener's end, put back by whoever reads it
	serving       sync.WaitGroup  // one per listener's serve loop
	protected     atomic.Bool     // protected-mode
	opened        atomic.Bool     // fsm and node are set (the dataset is loaded)
	ready         atomic.Bool     // the node served once: see ready.go
	readyCh       chan struct{}   // closed when ready is set
	life          context.Context // cancelled by Close
	endLife       context.CancelFunc
	bg            sync.WaitGroup // background goroutines the server owns
	link          replLink       // REPLICAOF's link to a Redis master (replicaof_link.go)
	replicas      replicaSet     // attached with SYNC/PSYNC (replicas.go)
	replPing      atomic.Int64   // repl-ping-replica-period, seconds (0: the default)
	minReplicas   atomic.Int64   // min-replicas-to-write (0: off)
	minReplLag    atomic.Int64   // min-replicas-max-lag, seconds
}

type stats struct {
	connections atomic.Int64
	commands    atomic.Int64
	rejected    atomic.Int64
	opsPerSec   atomic.Int64
	netIn       atomic.Int64 // bytes of commands received
	netOut      atomic.Int64 // bytes of replies sent
	inPerSec    atomic.Int64 // netIn over the last second
	outPerSec   atomic.Int64
	reads       atomic.Int64 // pipelines read (total_reads_processed)
	writes      atomic.Int64 // reply writes (total_writes_processed)
	hits        atomic.Int64 // keyspace_hits
	misses      atomic.Int64 // keyspace_misses
}

// New binds the listener and serves: like redis-server, the node answers
// -LOADING until it can serve (see ready.go), so clients can connect while
// main opens the dataset (AOF) and starts Raft, then hands them over with
// Start.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.ClientAddr == "" {
		cfg.ClientAddr = net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port))
	}
	s := &Server{cfg: cfg, log: cfg.Logger, started: time.Now(), clients: map[int64]*Client{}, done: make(chan struct{}),
		readyCh: make(chan struct{}), served: make(chan error, 1)}
	s.life, s.endLife = context.WithCancel(context.Background())
	s.link.wake = make(chan struct{}, 1)
	s.runID = newRunID()
	s.waiters.init()
	s.pubsub.init()
	s.replyBufs.init()
	s.watches.tracking, s.watches.invalidate = &s.tracking.n, s.invalidate
	s.tracking.maxKeys.Store(1000000) // tracking-table-max-keys' default
	s.scripts = scripting.NewEngine()
	s.cstats = newCmdStats()
	s.busyThreshold.Store(5000)
	s.minReplLag.Store(10) // min-replicas-max-lag's default
	s.params = newParams(&s.cfg)
	s.startACL = cfg.StartACL
	if s.startACL == nil {
		s.startACL = acl.NewUsers()
	}
	s.params.set("requirepass", cfg.RequirePass)
	s.upstreams.Secret = cfg.ClusterSecret
	flags, ok := commands.ParseNotifyFlags(cfg.NotifyKeyspaceEvents)
	if !ok {
		return nil, fmt.Errorf("invalid notify-keyspace-events %q: use the classes 'Ag$lshzxeKEtmdn'", cfg.NotifyKeyspaceEvents)
	}
	s.notify.Store(flags)
	s.params.set("notify-keyspace-events", commands.NotifyFlagsString(flags))
	if err := s.initLimits(); err != nil {
		return nil, err
	}
	if err := s.initMemoryLimit(); err != nil {
		return nil, err
	}
	s.slow.threshold.Store(10000)
	s.slow.maxLen.Store(128)
	s.updateTiming()
	s.params.addFlags(cfg.Flags)
	s.applyFileParams(cfg.Params)
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	s.protected.Store(cfg.ProtectedMode)
	s.upstreams.TLS = s.peerTLS()
	if cfg.MetricsAddr != "" {
		if err := s.serveMetrics(cfg.MetricsAddr); err != nil {
			return nil, err
		}
	}
	if err := s.listen(); err != nil {
		if s.metricsLn != nil {
			s.metricsLn.Close()
		}
		return nil, err
	}
	return s, nil
}

// Hooks are the calls the state machine makes into the server: keys that
// may unblock waiting clients, messages to deliver to subscribers, and the
// WATCH registry to tell about changed keys (fsm.Options).
type Hooks struct {
	OnReady   func([]commands.ReadyKey)
	OnPublish func([]commands.Publication)
	Watches   commands.WatchSet
	Notify    *commands.NotifySetting
	// OnDropUsers disconnects the clients of deleted or reloaded users.
	OnDropUsers func(dropped func(user string) bool)
	// OnOrigin is told which client an applied entry came from (NOLOOP).
	OnOrigin func(run []byte, client int64)
	// OnBlock parks the origin's client in line as its blocking command
	// is applied.
	OnBlock func(db int, b *commands.BlockRequest)
	// OnApplied is called after each applied batch (BCAST invalidations).
	OnApplied func()
}

// Hooks returns what to give the state machine when opening it.
func (s *Server) Hooks() Hooks {
	return Hooks{OnReady: s.waiters.signal, OnPublish: s.deliverPublications, Watches: &s.watches, Notify: &s.notify, OnDropUsers: s.dropUserClients, OnOrigin: s.setOrigin, OnBlock: s.parkOrigin, OnApplied: s.flushBroadcast}
}

// Start hands over the loaded dataset and the running cluster node (main
// builds them while clients are answered -LOADING) and starts the server's
// background work.
func (s *Server) Start(d Dataset, c Cluster) {
	s.fsm, s.node = d, c
	d.SetMemoryLimit(*s.memLimit.Load())
	c.SetExpiryGate(s.pause.writesPaused)
	c.SetExpiryObserver(s.latency.expireCycle)
	s.opened.Store(true) // publishes fsm and node to the connections' goroutines
	s.params.mu.Lock()
	s.applyPersistenceLocked() // a CONFIG SET answered while loading
	s.params.mu.Unlock()
	s.bg.Add(6)
	go s.linkManager()
	go s.clientsCron()
	go s.bufsCron()
	go s.memoryTrimmer(5 * time.Second)
	go s.opsSampler()
	go s.becomeReady()
	if s.cfg.Join != "" && !c.HadState() {
		s.bg.Add(1)
		go s.joinLoop()
	}
}

// ctx is the context for waits bounded by the node's own timeouts.
func (s *Server) ctx() context.Context { return context.Background() }

// Addr is the first listening address: the plain port, or the TLS port
// with --port 0.
func (s *Server) Addr() net.Addr { return s.lns[0].ln.Addr() }

// Serve waits until the listener, which New started, stops.
func (s *Server) Serve() error {
	err := <-s.served
	s.served <- err // Close waits for it too
	if s.closed.Load() {
		return nil
	}
	return err
}

// Close stops accepting, disconnects clients, stops Raft and flushes the AOF.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	// A running script is stopped, written or not: a write script's changes
	// are speculative and undone, nothing of it was acknowledged.
	s.scripts.Abort()
	s.endLife()
	s.closeListeners()
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
	err := <-s.served
	s.served <- err
	s.serving.Wait()
	s.bg.Wait()
	s.upstreams.Close()
	s.migrate.closeAll()
	if !s.opened.Load() {
		return nil // main closes what it opened but never handed over
	}
	return errors.Join(s.node.Close(), s.fsm.Close())
}

func (s *Server) accept(rc redcon.Conn) bool {
	if s.closed.Load() {
		return false
	}
	cl := newClient(s.nextID.Add(1), rc)
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	if !s.admit(cl, n) {
		return false
	}
	s.setDefaultAuth(cl)
	rc.SetContext(cl)
	s.mu.Lock()
	s.clients[cl.ID] = cl
	s.mu.Unlock()
	s.stats.connections.Add(1)
	return true
}

func (s *Server) closedConn(rc redcon.Conn, err error) {
	cl, ok := rc.Context().(*Client)
	if !ok {
		return
	}
	if tc := tlsConn(cl); err != nil && tc != nil && !tc.ConnectionState().HandshakeComplete {
		// Redis logs these too: a client with no or a wrong certificate,
		// or one speaking plain RESP to the TLS port.
		s.log.Info("TLS handshake failed", "addr", cl.Addr, "err", err)
	} else if err != nil && s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("connection closed", "client", cl.ID, "addr", cl.Addr, "err", err)
	}
	s.mu.Lock()
	delete(s.clients, cl.ID)
	s.mu.Unlock()
	s.resetTx(cl)
	s.unpin(cl)
	s.stopMonitor(cl)
	s.stopReplica(cl)
	s.stopTracking(cl)
	s.unsubscribeAll(cl)
}

func newRunID() string {
	b := make([]byte, 20)
	f, err := os.Open("/dev/urandom")
	if err == nil {
		f.Read(b)
		f.Close()
	}
	return fmt.Sprintf("%x", b)
}

// clientsSnapshot returns the connected clients.
func (s *Server) clientsSnapshot() []*Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	return out
}
