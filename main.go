// Command geomys runs one node of Geomys: a Redis-compatible data store whose
// writes are replicated through Raft and kept durable in an AOF.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/conffile"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/server"
	flag "github.com/spf13/pflag"
)

// openNode loads the dataset (the AOF) and starts the Raft node, then hands
// both to the server.
func openNode(cfg server.Config, srv *server.Server) error {
	hooks := srv.Hooks()
	f, err := fsm.Open(fsm.Options{
		Dir:               filepath.Join(cfg.Dir, "appendonlydir"),
		Fsync:             cfg.AppendFsync,
		Logger:            cfg.Logger,
		OnReady:           hooks.OnReady,
		Watches:           hooks.Watches,
		OnPublish:         hooks.OnPublish,
		Notify:            hooks.Notify,
		RewritePercentage: cfg.AutoAOFRewritePercentage,
		RewriteMinSize:    cfg.AutoAOFRewriteMinSize,
		ACL:               cfg.StartACL,
		OnDropUsers:       hooks.OnDropUsers,
		OnOrigin:          hooks.OnOrigin,
		OnBlock:           hooks.OnBlock,
		OnApplied:         hooks.OnApplied,
	})
	if err != nil {
		return err
	}
	node, err := cluster.Open(cluster.Options{
		NodeID: cfg.NodeID, RaftAddr: cfg.RaftAddr, RaftAdvertise: cfg.RaftAdvertise, ClientAddr: cfg.ClientAddr,
		Dir: filepath.Join(cfg.Dir, "raft"), Join: cfg.Join, Logger: cfg.Logger, LogLevel: cfg.LogLevel,
		ApplyTimeout: cfg.RequestTimeout, TrailingLogs: cfg.RaftTrailingLogs,
		ElectionTimeout: cfg.ElectionTimeout, ReadLease: cfg.ReadLease, ClusterSecret: cfg.ClusterSecret, RaftLog: cfg.RaftLog,
		PeerTLS:   peerTLS(cfg),
		LogOutput: logOutput, LogJSON: logJSON,
	}, f)
	if err != nil {
		f.Close()
		return err
	}
	srv.Start(f, node)
	return nil
}

func main() {
	if err := run(); err != nil {
		var fe *conffile.FatalError
		if errors.As(err, &fe) {
			fmt.Fprintln(os.Stderr, err) // redis-server's own format
		} else {
			fmt.Fprintln(os.Stderr, "geomys:", err)
		}
		os.Exit(1)
	}
}

func run() error {
	var cfg server.Config
	flag.StringVar(&cfg.Bind, "bind", "127.0.0.1", "address to listen on for clients")
	flag.IntVar(&cfg.Port, "port", 6379, "port to listen on for clients")
	flag.StringVar(&cfg.Dir, "dir", "./data", "data directory (AOF in <dir>/appendonlydir, Raft in <dir>/raft)")
	flag.StringVar(&cfg.NodeID, "node-id", "", "Raft node id (default: node-<port>, stable across restarts)")
	flag.StringVar(&cfg.RaftAddr, "raft-addr", "", "Raft transport address (default: <bind>:<port+10000>)")
	flag.StringVar(&cfg.Join, "join", "", "RESP address (host:port) of any existing member to join (ignored once this node has data)")
	flag.StringVar(&cfg.ClientAddr, "announce-addr", "", "host:port other nodes and redirected clients use to reach this node (default: <bind>:<port>)")
	flag.StringVar(&cfg.RaftAdvertise, "raft-advertise", "", "Raft address peers dial (default: --raft-addr; required when that binds 0.0.0.0)")
	flag.StringVar(&cfg.ReadConsistency, "read-consistency", "linearizable", "linearizable (reads confirmed by the leader with a quorum) or stale (any node serves its local data)")
	flag.StringVar(&cfg.FollowerMode, "follower-mode", "proxy", "what a follower does with commands that need the leader: proxy (relay them) or redirect (answer -MOVED 0 leader-host:port)")
	flag.Uint64Var(&cfg.RaftTrailingLogs, "raft-trailing-logs", 10240, "Raft entries kept after a snapshot, so a briefly lagging follower catches up from the log instead of a full snapshot")
	flag.StringVar(&cfg.RaftLog, "raft-log", cluster.DefaultRaftLog, "Raft log store: wal (segment files, one fsync per append) or bolt (raft-boltdb, two); a node whose log is in the other store converts it once at start")
	flag.DurationVar(&cfg.ElectionTimeout, "raft-election-timeout", time.Second, "how long followers wait for the leader before electing another; lower fails over faster, but a busy or distant node may then trigger needless elections")
	flag.DurationVar(&cfg.RequestTimeout, "request-timeout", 5*time.Second, "longest a command waits for the cluster (commit, leader, leadership check) before an error reply")
	flag.StringVar(&cfg.AppendFsync, "appendfsync", "everysec", "AOF fsync policy: always, everysec or no")
	flag.StringVar(&cfg.LogLevel, "loglevel", "notice", "debug, verbose, notice or warning")
	flag.IntVar(&cfg.AutoAOFRewritePercentage, "auto-aof-rewrite-percentage", 100, "rewrite the AOF (and snapshot) when it grew by this percentage; 0 disables")
	flag.Int64Var(&cfg.AutoAOFRewriteMinSize, "auto-aof-rewrite-min-size", 64<<20, "do not rewrite an AOF smaller than this many bytes")
	flag.StringVar(&cfg.NotifyKeyspaceEvents, "notify-keyspace-events", "", "keyspace event classes published to __keyspace@<db>__ and __keyevent@<db>__ channels, as in redis.conf (e.g. KEA); this node's own setting, CONFIG SET changes it")
	flag.StringVar(&cfg.RequirePass, "requirepass", "", "the default user's password (as redis.conf); the replicated ACL replaces it once ACL SETUSER or CONFIG SET changes users")
	flag.StringVar(&cfg.ACLFile, "aclfile", "", "ACL file (\"user <name> <rules>\" lines, as Redis'): the start-up users, and where ACL SAVE / ACL LOAD write and read")
	flag.StringVar(&cfg.ClusterSecret, "cluster-secret", "", "shared secret every member is started with: node-to-node connections (relays, term checks, joins) authenticate with it; without it they are unauthenticated (loopback use only)")
	flag.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://<host:port>/metrics (off by default)")
	flag.StringVar(&cfg.MaxClients, "maxclients", "10000", "most clients connected at once; a client over it gets '-ERR max number of clients reached' and is disconnected")
	flag.StringVar(&cfg.Timeout, "timeout", "0", "close a client after this many idle seconds (0: never); subscribers and blocked clients are exempt")
	flag.StringVar(&cfg.TCPKeepAlive, "tcp-keepalive", "300", "send TCP keepalives to idle clients every this many seconds, so dead peers are dropped (0: off)")
	flag.StringVar(&cfg.ClientOutputBufferLimit, "client-output-buffer-limit", "", "output limits per class as in redis.conf: '<normal|pubsub> <hard> <soft> <soft-seconds>' repeated (default 'normal 0 0 0 pubsub 32mb 8mb 60'); a client over them is disconnected")
	flag.StringVar(&cfg.ClientQueryBufferLimit, "client-query-buffer-limit", "1gb", "largest request a client may send; a larger one closes the connection")
	flag.StringVar(&cfg.ProtoMaxBulkLen, "proto-max-bulk-len", "512mb", "largest bulk string (argument) a client may send")
	flag.IntVar(&cfg.TLSPort, "tls-port", 0, "port to listen on for TLS clients (0: none); --port 0 then serves TLS only")
	flag.StringVar(&cfg.TLS.CertFile, "tls-cert-file", "", "PEM certificate of this node, shown to clients and, with --tls-cluster, to peers")
	flag.StringVar(&cfg.TLS.KeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
	flag.StringVar(&cfg.TLS.CACertFile, "tls-ca-cert-file", "", "PEM CA certificate(s) that client and peer certificates must chain to")
	flag.StringVar(&cfg.TLS.ClientCertFile, "tls-client-cert-file", "", "PEM certificate shown when dialing peers with --tls-cluster (default: --tls-cert-file)")
	flag.StringVar(&cfg.TLS.ClientKeyFile, "tls-client-key-file", "", "PEM private key of --tls-client-cert-file")
	flag.StringVar(&cfg.TLS.AuthClients, "tls-auth-clients", "yes", "yes: TLS clients need a certificate of the CA; optional: checked if given; no: not asked for")
	tlsCluster := flag.String("tls-cluster", "no", "yes: Raft and node-to-node RESP use mutual TLS with the node certificate and the CA; peers are reached at their TLS port")
	readLease := flag.String("read-lease", "no", "yes: the leader serves linearizable reads without asking the other nodes while a quorum accepted its heartbeats within the election timeout less a clock-drift margin; trusts clocks and followers' timers (README, Consistency); no: every read batch is confirmed by a quorum")
	protectedMode := flag.String("protected-mode", "yes", "yes: while no password is set, only loopback clients are served (others get -DENIED), as Redis")
	flag.StringVar(&cfg.MaxMemory, "maxmemory", "0", "limit on the dataset's memory (Redis units: 100mb, 2gb); 0 means none. Over it, writes that grow memory get -OOM or keys are evicted as --maxmemory-policy says")
	flag.StringVar(&cfg.MaxMemoryPolicy, "maxmemory-policy", "noeviction", "what to do over maxmemory: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random or volatile-ttl")
	flag.IntVar(&cfg.MaxMemorySamples, "maxmemory-samples", 5, "keys sampled per database for each eviction (more is closer to true LRU/LFU, and slower)")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's net/http/pprof profiles on this address (diagnostics; off by default)")
	version := flag.Bool("version", false, "print the version and exit")
	logFormat := flag.String("log-format", "text", "log format: text (logfmt) or json, one object per line")
	importDir := flag.String("import", "", "load a Redis AOF (a directory with appendonly.aof, or a Redis 7 appendonlydir with its manifest) into this empty node or cluster once it is ready, then keep serving")
	flag.Usage = usage
	flag.Parse()
	if *version {
		fmt.Printf("geomys %s (Redis %s compatible)\n", server.Version, server.RedisVersion)
		return nil
	}
	var fo fileOptions
	if err := loadConfigFile(&cfg, &fo); err != nil {
		return err
	}
	configured := flagValues(nil)
	switch cfg.AppendFsync {
	case "always", "everysec", "no":
	default:
		return fmt.Errorf("--appendfsync must be always, everysec or no, not %q", cfg.AppendFsync)
	}
	switch cfg.ReadConsistency {
	case "linearizable", "stale":
	default:
		return fmt.Errorf("--read-consistency must be linearizable or stale, not %q", cfg.ReadConsistency)
	}
	switch cfg.FollowerMode {
	case "proxy", "redirect":
	default:
		return fmt.Errorf("--follower-mode must be proxy or redirect, not %q", cfg.FollowerMode)
	}
	var err error
	if cfg.TLS.Cluster, err = parseYesNo("tls-cluster", *tlsCluster); err != nil {
		return err
	}
	if cfg.ProtectedMode, err = parseYesNo("protected-mode", *protectedMode); err != nil {
		return err
	}
	if cfg.ReadLease, err = parseYesNo("read-lease", *readLease); err != nil {
		return err
	}
	if err := setupTLS(&cfg); err != nil {
		return err
	}
	if *importDir != "" && cfg.Port == 0 {
		// The import talks RESP to this node's plain port.
		return errors.New("--import loads the AOF through the plain port: give --port too")
	}
	switch cfg.RaftLog {
	case cluster.LogWAL, cluster.LogBolt:
	default:
		return fmt.Errorf("--raft-log must be wal or bolt, not %q", cfg.RaftLog)
	}
	if cfg.RequestTimeout <= 0 {
		return fmt.Errorf("--request-timeout must be positive")
	}
	if cfg.ElectionTimeout < 50*time.Millisecond {
		return fmt.Errorf("--raft-election-timeout must be at least 50ms, not %v", cfg.ElectionTimeout)
	}
	if err := startACL(&cfg); err != nil {
		return err
	}
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	if fo.daemonize {
		if parent, err := daemonize(); parent || err != nil {
			return err
		}
	}
	if cfg.Logger, err = newLogger(*logFormat, fo.logfile, level); err != nil {
		return err
	}
	for _, w := range fo.warnings {
		cfg.Logger.Warn(w)
	}
	if fo.pidfile != "" {
		defer writePidfile(fo.pidfile, cfg.Logger)()
	}
	// The node is named after its plain port (the TLS one with --port 0),
	// so turning --tls-cluster on later keeps its id; peers reach it at its
	// TLS port when they speak TLS.
	idPort, port := cfg.Port, cfg.Port
	if idPort == 0 {
		idPort = cfg.TLSPort
	}
	if port == 0 || cfg.TLS.Cluster {
		port = cfg.TLSPort
	}
	if cfg.NodeID == "" {
		cfg.NodeID = "node-" + strconv.Itoa(idPort)
	}
	if cfg.RaftAddr == "" {
		cfg.RaftAddr = net.JoinHostPort(cfg.Bind, strconv.Itoa(idPort+10000))
	}
	if cfg.ClientAddr == "" {
		cfg.ClientAddr = net.JoinHostPort(cfg.Bind, strconv.Itoa(port))
		if ip := net.ParseIP(cfg.Bind); ip != nil && ip.IsUnspecified() {
			host, err := os.Hostname()
			if err != nil {
				return fmt.Errorf("--bind %s: give --announce-addr, the host name is unknown: %w", cfg.Bind, err)
			}
			cfg.ClientAddr = net.JoinHostPort(host, strconv.Itoa(port))
		}
	}
	if cfg.RaftAdvertise == "" {
		if host, port, err := net.SplitHostPort(cfg.RaftAddr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
				caHost, _, _ := net.SplitHostPort(cfg.ClientAddr)
				cfg.RaftAdvertise = net.JoinHostPort(caHost, port)
			}
		}
	}

	if *pprofAddr != "" {
		ln, err := net.Listen("tcp", *pprofAddr)
		if err != nil {
			return fmt.Errorf("--pprof-addr: %w", err)
		}
		defer ln.Close()
		go http.Serve(ln, nil) // ends when ln closes
	}

	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	cfg.Shutdown = func() { stop <- syscall.SIGTERM }
	cfg.Flags = flagValues(configured)

	defer server.StartGCPacer()()
	// New loads the dataset with the port already open (clients get
	// -LOADING). A signal meanwhile ends the process at once, as Redis does:
	// nothing is acknowledged yet, and the AOF and Raft log survive an exit
	// at any point as they survive a crash.
	// The port opens first and answers -LOADING while the dataset loads
	// and Raft starts, as redis-server does.
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	opening := make(chan error, 1)
	go func() { opening <- openNode(cfg, srv) }()
	select {
	case err := <-opening:
		if err != nil {
			srv.Close()
			return err
		}
	case sig := <-stop:
		cfg.Logger.Warn("shutdown requested while loading the dataset; exiting now (nothing is lost: the AOF and Raft log are replayed at the next start)", "signal", sig.String())
		return nil
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if err := srv.WaitReady(ctx); err != nil {
		cfg.Logger.Warn("no leader known yet; serving anyway: start the other members or check the network between them (RAFT.INFO shows the state)", "err", err)
	}
	cancel()
	cfg.Logger.Info("Ready to accept connections", "addr", srv.Addr().String(), "node", cfg.NodeID,
		"raft", cfg.RaftAddr, "dir", cfg.Dir, "appendfsync", cfg.AppendFsync, "raft-log", cfg.RaftLog, "version", server.Version)
	if fo.supervised == "systemd" || fo.supervised == "auto" {
		notifySystemd(cfg.Logger)
	}
	importFailed := make(chan error, 1)
	if *importDir != "" {
		go func() {
			if err := importRedis(cfg, srv.Addr().String(), *importDir); err != nil {
				importFailed <- fmt.Errorf("--import %s: %w", *importDir, err)
			}
		}()
	}

	select {
	case sig := <-stop:
		cfg.Logger.Info("shutting down", "signal", sig.String())
	case err := <-importFailed:
		srv.Close()
		return err
	case err := <-served:
		if err != nil {
			srv.Close()
			return fmt.Errorf("serve: %w", err)
		}
	}
	if err := srv.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	cfg.Logger.Info("bye")
	return nil
}

func parseYesNo(name, v string) (bool, error) {
	switch v {
	case "yes":
		return true, nil
	case "no":
		return false, nil
	}
	return false, fmt.Errorf("--%s must be yes or no, not %q", name, v)
}

func parseLevel(l string) (slog.Level, error) {
	switch l {
	case "debug":
		return slog.LevelDebug, nil
	case "verbose", "notice", "info":
		return slog.LevelInfo, nil
	case "warning", "warn":
		return slog.LevelWarn, nil
	}
	return 0, fmt.Errorf("--loglevel must be debug, verbose, notice or warning, not %q", l)
}

// startACL builds the users a node starts with from --aclfile or
// --requirepass (Redis refuses both at once, and so do we).
func startACL(cfg *server.Config) error {
	switch {
	case cfg.ACLFile != "" && cfg.RequirePass != "":
		return fmt.Errorf("--requirepass and --aclfile cannot both be given: put the default user's password in the ACL file")
	case cfg.ACLFile != "":
		us, err := server.ReadACLFile(cfg.ACLFile)
		if err != nil && !os.IsNotExist(errors.Unwrap(err)) {
			return fmt.Errorf("--aclfile: %w", err)
		}
		cfg.StartACL = us
	case cfg.RequirePass != "":
		us, err := acl.NewUsers().SetUser("default", []string{"resetpass", ">" + cfg.RequirePass})
		if err != nil {
			return fmt.Errorf("--requirepass: %w", err)
		}
		cfg.StartACL = us
	}
	return nil
}
