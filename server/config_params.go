package server

import (
	"strconv"
	"strings"

	"github.com/geomys/geomys/commands"
)

// The parameters CONFIG GET and SET know, with Redis 7.0's names, defaults,
// types and ranges, so that CONFIG SET accepts and refuses what redis-server
// does, with its error texts. Most change nothing in Geomys (there is no
// eviction, RDB or replication to tune) and are only remembered, which is
// what clients and test suites that set them at start-up need. Those with
// an effect have apply. A few are fixed by Geomys' own design or flags and
// refuse CONFIG SET with a Geomys-specific reason (fixed).

type paramKind uint8

const (
	kindString paramKind = iota
	kindBool
	kindInt
	kindMemory
	kindEnum
)

type paramDef struct {
	names     []string // canonical name, then aliases sharing the value
	kind      paramKind
	min, max  int64
	enum      []string
	def       string
	immutable bool // Redis refuses to change it at runtime
	fixed     bool // Geomys refuses to change it (flag or design)
	// designed: Geomys' design fixes the value, but CONFIG SET accepts any
	// valid one, changes nothing and logs why (designValues).
	designed bool
	hidden   bool // left out of CONFIG GET patterns, as Redis' HIDDEN_CONFIG
	// check validates a string value (kindString); it returns Redis' error.
	check func(v string) string
	// apply makes a value take effect, given as the client wrote it; it
	// runs after every value of the CONFIG SET was validated.
	apply func(s *Server, v string)
	// merge, if set, combines a validated value with the current one into
	// what CONFIG GET shows (client-output-buffer-limit sets some classes).
	merge func(cur, v string) string
}

const (
	maxInt  = 1<<31 - 1
	maxLong = 1<<63 - 1
	maxUint = 1<<32 - 1
)

func pBool(name, def string, aliases ...string) *paramDef {
	return &paramDef{names: append([]string{name}, aliases...), kind: kindBool, def: def}
}

func pInt(name string, min, max int64, def string, aliases ...string) *paramDef {
	return &paramDef{names: append([]string{name}, aliases...), kind: kindInt, min: min, max: max, def: def}
}

func pMem(name string, min, max int64, def string) *paramDef {
	return &paramDef{names: []string{name}, kind: kindMemory, min: min, max: max, def: def}
}

func pEnum(name, def string, values ...string) *paramDef {
	return &paramDef{names: []string{name}, kind: kindEnum, enum: values, def: def}
}

func pStr(name, def string, aliases ...string) *paramDef {
	return &paramDef{names: append([]string{name}, aliases...), def: def}
}

func immutable(p *paramDef) *paramDef { p.immutable = true; return p }
func fixed(p *paramDef) *paramDef     { p.fixed = true; return p }
func hidden(p *paramDef) *paramDef    { p.hidden = true; return p }
func designed(p *paramDef) *paramDef  { p.designed = true; return p }

// paramTable is built per server: some defaults come from its flags.
func paramTable(cfg *Config) []*paramDef {
	ps := []*paramDef{
		// Set by Geomys' flags or fixed by its design.
		fixed(pStr("bind", cfg.Bind)), fixed(pInt("port", 0, 65535, strconv.Itoa(cfg.Port))), fixed(pStr("dir", cfg.Dir)),
		designed(pBool("appendonly", "yes")), designed(pBool("aof-use-rdb-preamble", "no")),
		fixed(pStr("replicaof", "")), fixed(pStr("slaveof", "")),
		fixed(pBool("cluster-enabled", "no")),
		// Immutable in Redis.
		immutable(pStr("appenddirname", "appendonlydir")), immutable(pStr("appendfilename", "appendonly.aof")),
		immutable(pInt("databases", 1, maxInt, strconv.Itoa(commands.NumDBs))), immutable(pBool("daemonize", "no")),
		immutable(pStr("pidfile", "")), immutable(pStr("logfile", "")), immutable(pBool("syslog-enabled", "no")),
		immutable(pStr("syslog-ident", "redis")), immutable(pStr("syslog-facility", "local0")),
		immutable(pStr("supervised", "no")), immutable(pInt("io-threads", 1, 128, "1")),
		immutable(pBool("io-threads-do-reads", "no")), immutable(pInt("tcp-backlog", 0, maxInt, "511")),
		immutable(pStr("unixsocket", "")), immutable(pInt("unixsocketperm", 0, 0777, "0")),
		immutable(pStr("enable-debug-command", "no")), immutable(pStr("enable-module-command", "no")),
		immutable(pStr("enable-protected-configs", "no")), immutable(pStr("aclfile", "")),
		immutable(pBool("always-show-logo", "no")), immutable(pBool("disable-thp", "yes")),
		immutable(pStr("cluster-config-file", "nodes.conf")), immutable(pInt("cluster-port", 0, 65535, "0")),
		// Set by flags, and CONFIG SET changes them (persistconfig.go).
		pEnum("appendfsync", cfg.AppendFsync, "everysec", "always", "no"),
		pInt("auto-aof-rewrite-percentage", 0, maxInt, strconv.Itoa(cfg.AutoAOFRewritePercentage)),
		pMem("auto-aof-rewrite-min-size", 0, maxLong, strconv.FormatInt(cfg.AutoAOFRewriteMinSize, 10)),
		// Settable; the maxmemory ones take effect (maxmemory.go).
		pMem("maxmemory", 0, maxLong, "0"),
		pEnum("maxmemory-policy", "noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
			"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
		pInt("maxmemory-samples", 1, maxInt, "5"), pInt("maxmemory-eviction-tenacity", 0, 100, "10"),
		withCheck(pStr("maxmemory-clients", "0"), checkMemOrPercent), pInt("maxclients", 1, maxUint, "10000"),
		pInt("timeout", 0, maxInt, "0"), pInt("tcp-keepalive", 0, maxInt, "300"),
		pInt("hz", 0, maxInt, "10"), pBool("dynamic-hz", "yes"), pInt("active-expire-effort", 1, 10, "1"),
		pEnum("loglevel", cfg.LogLevel, "debug", "verbose", "notice", "warning"),
		pMem("proto-max-bulk-len", 1<<20, maxLong, "536870912"), pMem("client-query-buffer-limit", 1<<20, maxLong, "1073741824"),
		pStr("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
		pBool("read-lease", yesNo(cfg.ReadLease)),
		pBool("protected-mode", yesNo(cfg.ProtectedMode)), pStr("requirepass", ""), pStr("masterauth", ""), pStr("masteruser", ""),
		pInt("busy-reply-threshold", 0, maxLong, "5000", "lua-time-limit"),
		pInt("slowlog-log-slower-than", -1, maxLong, "10000"), pInt("slowlog-max-len", 0, maxLong, "128"),
		pInt("latency-monitor-threshold", 0, maxLong, "0"), pBool("latency-tracking", "yes"),
		pStr("latency-tracking-info-percentiles", "50 99 99.9"),
		pStr("notify-keyspace-events", ""),
		pStr("save", ""), pBool("stop-writes-on-bgsave-error", "yes"), pBool("rdbcompression", "yes"),
		pBool("rdbchecksum", "yes"), pStr("dbfilename", "dump.rdb"), pBool("rdb-del-sync-files", "no"),
		pBool("aof-load-truncated", "yes"), pBool("aof-rewrite-incremental-fsync", "yes"),
		pBool("rdb-save-incremental-fsync", "yes"), pBool("no-appendfsync-on-rewrite", "no"),
		pBool("aof-timestamp-enabled", "no"), pBool("aof-disable-auto-gc", "no"),
		pBool("activerehashing", "yes"), pBool("activedefrag", "no"),
		pInt("active-defrag-cycle-min", 1, 99, "1"), pInt("active-defrag-cycle-max", 1, 99, "25"),
		pMem("active-defrag-ignore-bytes", 1, maxLong, "104857600"),
		pInt("active-defrag-threshold-lower", 0, 1000, "10"), pInt("active-defrag-threshold-upper", 0, 1000, "100"),
		pInt("active-defrag-max-scan-fields", 1, maxLong, "1000"), pBool("jemalloc-bg-thread", "yes"),
		pBool("lazyfree-lazy-eviction", "no"), pBool("lazyfree-lazy-expire", "no"),
		pBool("lazyfree-lazy-server-del", "no"), pBool("lazyfree-lazy-user-del", "no"),
		pBool("lazyfree-lazy-user-flush", "no"), pBool("replica-lazy-flush", "no", "slave-lazy-flush"),
		pInt("lfu-log-factor", 0, maxInt, "10"), pInt("lfu-decay-time", 0, maxInt, "1"),
		pInt("list-compress-depth", 0, maxInt, "0"), pMem("hll-sparse-max-bytes", 0, maxLong, "3000"),
		pMem("stream-node-max-bytes", 0, maxLong, "4096"), pInt("stream-node-max-entries", 0, maxLong, "100"),
		pInt("tracking-table-max-keys", 0, maxLong, "1000000"), pInt("acllog-max-len", 0, maxLong, "128"),
		pEnum("acl-pubsub-default", "resetchannels", "allchannels", "resetchannels"),
		pBool("replica-read-only", "yes", "slave-read-only"), pBool("replica-serve-stale-data", "yes", "slave-serve-stale-data"),
		pInt("replica-priority", 0, maxInt, "100", "slave-priority"), pBool("replica-ignore-maxmemory", "yes", "slave-ignore-maxmemory"),
		pStr("replica-announce-ip", "", "slave-announce-ip"), pBool("replica-announced", "yes"),
		pInt("min-replicas-to-write", 0, maxInt, "0", "min-slaves-to-write"),
		pInt("min-replicas-max-lag", 0, maxInt, "10", "min-slaves-max-lag"),
		pMem("repl-backlog-size", 1, maxLong, "1048576"), pInt("repl-backlog-ttl", 0, maxInt, "3600"),
		pInt("repl-timeout", 1, maxInt, "60"), pInt("repl-ping-replica-period", 1, maxInt, "10", "repl-ping-slave-period"),
		pBool("repl-diskless-sync", "yes"), pInt("repl-diskless-sync-delay", 0, maxInt, "5"),
		pInt("repl-diskless-sync-max-replicas", 0, maxInt, "0"),
		pEnum("repl-diskless-load", "disabled", "disabled", "on-empty-db", "swapdb"),
		pBool("repl-disable-tcp-nodelay", "no"),
		pEnum("propagation-error-behavior", "ignore", "ignore", "panic", "panic-on-replicas"),
		pEnum("sanitize-dump-payload", "no", "no", "yes", "clients"),
		pBool("crash-log-enabled", "yes"), pBool("crash-memcheck-enabled", "yes"), pBool("set-proc-title", "yes"),
		pStr("proc-title-template", "{title} {listen-addr} {server-mode}"),
		pInt("shutdown-timeout", 0, maxInt, "10"), pStr("shutdown-on-sigint", "default"), pStr("shutdown-on-sigterm", "default"),
		pStr("oom-score-adj", "no"), pStr("oom-score-adj-values", "0 200 800"), pStr("ignore-warnings", ""),
		pInt("cluster-node-timeout", 0, maxLong, "15000"), pInt("cluster-migration-barrier", 0, maxInt, "1"),
		pBool("cluster-require-full-coverage", "yes"), pBool("cluster-allow-reads-when-down", "no"),
		pBool("cluster-allow-pubsubshard-when-down", "yes"), pBool("cluster-allow-replica-migration", "yes"),
		pInt("cluster-replica-validity-factor", 0, maxInt, "10", "cluster-slave-validity-factor"),
		pBool("cluster-replica-no-failover", "no", "cluster-slave-no-failover"),
		pStr("cluster-announce-ip", ""), pStr("cluster-announce-hostname", ""),
		pInt("cluster-announce-port", 0, 65535, "0"), pInt("cluster-announce-bus-port", 0, 65535, "0"),
		pInt("cluster-announce-tls-port", 0, 65535, "0"), pMem("cluster-link-sendbuf-limit", 0, maxLong, "0"),
		pEnum("cluster-preferred-endpoint-type", "ip", "ip", "hostname", "unknown-endpoint"),
		pInt("replica-announce-port", 0, 65535, "0", "slave-announce-port"),
		pBool("replica-ignore-disk-write-errors", "no"), pStr("bind-source-addr", ""),
		pInt("socket-mark-id", 0, maxUint, "0"),
		immutable(pStr("server_cpulist", "")), immutable(pStr("bio_cpulist", "")),
		immutable(pStr("aof_rewrite_cpulist", "")), immutable(pStr("bgsave_cpulist", "")),
	}
	// TLS is set by the flags and reported; changing it at runtime (Redis
	// reloads certificates on CONFIG SET) is not supported.
	tlsSet := map[string]string{"tls-cert-file": cfg.TLS.CertFile, "tls-key-file": cfg.TLS.KeyFile,
		"tls-ca-cert-file": cfg.TLS.CACertFile, "tls-client-cert-file": cfg.TLS.ClientCertFile,
		"tls-client-key-file": cfg.TLS.ClientKeyFile}
	for _, name := range []string{"tls-ca-cert-dir", "tls-ca-cert-file", "tls-cert-file", "tls-key-file",
		"tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass",
		"tls-dh-params-file", "tls-ciphers", "tls-ciphersuites", "tls-protocols"} {
		ps = append(ps, fixed(pStr(name, tlsSet[name])))
	}
	authClients := cfg.TLS.AuthClients
	if authClients == "" {
		authClients = "yes"
	}
	ps = append(ps, fixed(pInt("tls-port", 0, 65535, strconv.Itoa(cfg.TLSPort))), fixed(pBool("tls-replication", "no")),
		fixed(pBool("tls-cluster", yesNo(cfg.TLS.Cluster))), fixed(pBool("tls-prefer-server-ciphers", "no")),
		fixed(pBool("tls-session-caching", "yes")), fixed(pInt("tls-session-cache-size", 0, maxInt, "20480")),
		fixed(pInt("tls-session-cache-timeout", 0, maxInt, "300")),
		fixed(pEnum("tls-auth-clients", authClients, "no", "yes", "optional")))
	// Redis' hidden parameters (test hooks): CONFIG GET names them only
	// when asked for by name; they have no effect here.
	ps = append(ps, hidden(pBool("use-exit-on-panic", "no")), hidden(pInt("rdb-key-save-delay", -maxInt-1, maxInt, "0")),
		hidden(pInt("key-load-delay", -maxInt-1, maxInt, "0")), hidden(pInt("watchdog-period", 0, maxInt, "0")),
		hidden(pInt("loading-process-events-interval-bytes", 1024, maxInt, "2097152")))
	for _, l := range commands.EncodingLimits() {
		ps = append(ps, &paramDef{names: l.Names, kind: kindInt, min: l.Min, max: l.Max,
			def: strconv.FormatInt(l.Default, 10), apply: encodingApply(l.Set)})
	}
	for _, p := range ps {
		switch p.names[0] {
		case "notify-keyspace-events":
			p.check = func(v string) string {
				if _, ok := commands.ParseNotifyFlags(v); !ok {
					return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
				}
				return ""
			}
			p.apply = func(s *Server, v string) {
				flags, _ := commands.ParseNotifyFlags(v)
				s.notify.Store(flags)
			}
		case "busy-reply-threshold":
			p.apply = func(s *Server, v string) {
				ms, _ := strconv.ParseInt(v, 10, 64)
				s.busyThreshold.Store(ms)
			}
		case "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold":
			name := p.names[0]
			p.apply = func(s *Server, v string) { s.applyTiming(name, v) }
		case "save":
			p.check = checkSave
		case "repl-ping-replica-period":
			p.apply = func(s *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); s.replPing.Store(n) }
		case "min-replicas-to-write":
			p.apply = func(s *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); s.minReplicas.Store(n) }
		case "min-replicas-max-lag":
			p.apply = func(s *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); s.minReplLag.Store(n) }
		case "protected-mode":
			p.apply = func(s *Server, v string) { s.protected.Store(v == "yes") }
		case "replica-read-only":
			p.apply = func(s *Server, v string) { s.link.writable.Store(v == "no") }
		case "replica-serve-stale-data":
			p.apply = func(s *Server, v string) { s.link.noStale.Store(v == "no") }
		case "read-lease":
			p.apply = func(s *Server, v string) { s.node.SetReadLease(v == "yes") }
		case "tracking-table-max-keys":
			p.apply = func(s *Server, v string) {
				n, _ := strconv.ParseInt(v, 10, 64)
				s.limitTrackingKeys(n)
			}
		case "appendfsync", "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size":
			p.apply = func(s *Server, _ string) { s.applyPersistenceLocked() }
		case "stream-node-max-entries":
			// Replicated through the entries this node builds (commands/stream_node.go).
			p.apply = func(_ *Server, v string) { n, _ := strconv.ParseInt(v, 10, 64); commands.SetStreamNodeMaxEntries(n) }
		case "stream-node-max-bytes":
			p.apply = func(_ *Server, v string) { n, _ := parseMemory(v); commands.SetStreamNodeMaxBytes(n) }
		case "maxmemory", "maxmemory-policy", "maxmemory-samples":
			p.apply = func(s *Server, _ string) { s.applyMemoryLocked() }
		default:
			limitParams(p)
		}
	}
	return ps
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func encodingApply(set func(int64)) func(*Server, string) {
	return func(_ *Server, v string) {
		n, _ := strconv.ParseInt(v, 10, 64)
		set(n)
	}
}

// checkSave accepts "" or pairs of positive integers, as Redis does.
func checkSave(v string) string {
	f := strings.Fields(v)
	if len(f)%2 != 0 {
		return "Invalid save parameters"
	}
	for _, x := range f {
		if n, err := strconv.ParseInt(x, 10, 64); err != nil || n < 0 {
			return "Invalid save parameters"
		}
	}
	return ""
}

func withCheck(p *paramDef, check func(string) string) *paramDef { p.check = check; return p }

// checkMemOrPercent is Redis' check of a MEMORY_CONFIG | PERCENT_CONFIG
// value such as maxmemory-clients (a size, or up to 100%).
func checkMemOrPercent(v string) string {
	if _, ok := parseMemory(v); ok {
		return ""
	}
	if pct, ok := strings.CutSuffix(v, "%"); ok && pct != "" {
		if n, ok := commands.ParseInt([]byte(pct)); ok && n >= 0 {
			if n > 100 {
				return "percentage argument must be less or equal to 100"
			}
			return ""
		}
	}
	return "argument must be a memory or percent value"
}

// normalize validates v for p and returns the value CONFIG GET will show,
// or Redis' error text.
func (p *paramDef) normalize(v string) (string, string) {
	switch p.kind {
	case kindBool:
		switch strings.ToLower(v) {
		case "yes", "no":
			return strings.ToLower(v), ""
		}
		return "", "argument must be 'yes' or 'no'"
	case kindInt:
		n, ok := commands.ParseInt([]byte(v))
		if !ok {
			return "", "argument couldn't be parsed into an integer"
		}
		if n < p.min || n > p.max {
			return "", "argument must be between " + strconv.FormatInt(p.min, 10) + " and " + strconv.FormatInt(p.max, 10) + " inclusive"
		}
		if p.names[0] == "hz" {
			n = max(1, min(n, 500)) // Redis clamps it
		}
		return strconv.FormatInt(n, 10), ""
	case kindMemory:
		n, ok := parseMemory(v)
		if !ok {
			return "", "argument must be a memory value"
		}
		if n < p.min || n > p.max {
			return "", "argument must be between " + strconv.FormatInt(p.min, 10) + " and " + strconv.FormatInt(p.max, 10) + " inclusive"
		}
		return strconv.FormatInt(n, 10), ""
	case kindEnum:
		for _, e := range p.enum {
			if strings.EqualFold(v, e) {
				return e, ""
			}
		}
		return "", "argument(s) must be one of the following: " + strings.Join(p.enum, ", ")
	}
	if p.check != nil {
		if msg := p.check(v); msg != "" {
			return "", msg
		}
	}
	if p.names[0] == "notify-keyspace-events" {
		flags, _ := commands.ParseNotifyFlags(v)
		return commands.NotifyFlagsString(flags), ""
	}
	return v, ""
}

// parseMemory is Redis' memtoull: digits and an optional unit (b, k, kb, m,
// mb, g, gb; k is 1000 and kb 1024), case-insensitive.
func parseMemory(v string) (int64, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	mul := int64(1)
	switch strings.ToLower(v[i:]) {
	case "", "b":
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n > maxLong/mul {
		return 0, false
	}
	return n * mul, true
}
