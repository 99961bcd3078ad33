package server

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
)

func infoCommand(s *Server, cl *Client, args [][]byte) {
	s.countErrorsSoFar(cl) // the errors of the pipeline's earlier commands
	var b strings.Builder
	for _, sec := range infoSelect(args) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		s.writeInfoSection(&b, sec)
	}
	cl.out.Verbatim(b.String())
}

func (s *Server) writeInfoSection(b *strings.Builder, sec string) {
	kv := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	b.WriteString("# " + infoTitle(sec) + "\r\n")
	if !s.opened.Load() {
		switch sec {
		case "persistence":
			kv("loading", 1)
			kv("async_loading", 0)
			kv("aof_enabled", 1)
			return
		case "replication", "raft", "keyspace", "commandstats", "errorstats", "latencystats":
			return // the dataset and Raft are not open yet
		}
	}
	switch sec {
	case "server":
		up := time.Since(s.started)
		exe, _ := os.Executable()
		kv("redis_version", RedisVersion)
		kv("geomys_version", Version)
		kv("redis_mode", "standalone")
		kv("os", runtime.GOOS+" "+runtime.GOARCH)
		kv("arch_bits", strconv.Itoa(strconv.IntSize))
		kv("go_version", runtime.Version())
		kv("process_id", os.Getpid())
		kv("run_id", s.runID)
		kv("tcp_port", s.cfg.Port)
		kv("server_time_usec", time.Now().UnixMicro())
		kv("uptime_in_seconds", int64(up.Seconds()))
		kv("uptime_in_days", int64(up.Hours()/24))
		kv("hz", 10)
		kv("executable", exe)
		kv("config_file", "")
		kv("node_id", s.cfg.NodeID)
		s.infoServerMore(kv)
	case "clients":
		kv("connected_clients", len(s.clientsSnapshot()))
		kv("maxclients", 10000)
		kv("blocked_clients", s.blockedClients())
		s.infoClientsMore(kv)
	case "memory":
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		rss := readRSS()
		// The startup baseline plus the dataset's accounting (what
		// maxmemory limits, consistent with MEMORY USAGE), not the Go
		// heap, which allocator_* report.
		used, peak := commands.StartupMemory, commands.StartupMemory
		if s.opened.Load() {
			used, peak = s.fsm.UsedMemory(), s.fsm.PeakMemory()
		}
		kv("used_memory", used)
		kv("used_memory_human", humanBytes(used))
		kv("used_memory_rss", rss)
		kv("used_memory_rss_human", humanBytes(rss))
		kv("used_memory_peak", peak)
		kv("allocator_allocated", ms.HeapAlloc)
		kv("allocator_active", ms.HeapInuse)
		kv("allocator_resident", ms.HeapSys-ms.HeapReleased)
		kv("gc_heap_goal", ms.NextGC)
		kv("gc_cycles", ms.NumGC)
		kv("total_system_memory", totalMemory())
		l := s.memLimit.Load()
		kv("maxmemory", l.Max)
		kv("maxmemory_human", humanBytes(l.Max))
		kv("maxmemory_policy", l.Policy.String())
		kv("mem_allocator", "go")
		if ms.HeapAlloc > 0 {
			kv("mem_fragmentation_ratio", fmt.Sprintf("%.2f", float64(rss)/float64(ms.HeapAlloc)))
		}
		s.infoMemoryMore(kv, &ms, rss, used, peak)
	case "persistence":
		st := s.fsm.Stats()
		status := func(ok bool) string {
			if ok {
				return "ok"
			}
			return "err"
		}
		kv("loading", b2i(!s.ready.Load())) // commands answer -LOADING until ready
		kv("async_loading", 0)
		kv("rdb_changes_since_last_save", st.Dirty)
		kv("rdb_bgsave_in_progress", b2i(st.Rewriting))
		kv("rdb_last_save_time", st.LastRewrite)
		kv("rdb_last_bgsave_status", status(st.LastRewriteOK))
		kv("aof_enabled", 1)
		kv("aof_rewrite_in_progress", b2i(st.Rewriting))
		kv("aof_rewrite_scheduled", 0)
		kv("aof_last_bgrewrite_status", status(st.LastRewriteOK))
		kv("aof_last_write_status", status(st.AOFWriteOK))
		kv("aof_current_size", st.AOFBase+st.AOFIncr)
		kv("aof_base_size", st.AOFBase)
		kv("aof_fsync", s.paramValue("appendfsync"))
		kv("raft_applied_index", st.AppliedIndex)
		s.infoPersistenceMore(kv, st)
	case "stats":
		kv("total_connections_received", s.stats.connections.Load())
		kv("total_commands_processed", s.stats.commands.Load())
		kv("instantaneous_ops_per_sec", s.stats.opsPerSec.Load())
		kv("rejected_connections", s.stats.rejected.Load())
		if s.opened.Load() {
			st := s.fsm.Stats()
			kv("expired_keys", st.ExpiredKeys)
			kv("evicted_keys", st.EvictedKeys)
		}
		kv("keyspace_hits", s.stats.hits.Load())
		kv("keyspace_misses", s.stats.misses.Load())
		psc, psp := s.pubsub.counts()
		kv("pubsub_channels", psc)
		kv("pubsub_patterns", psp)
		s.infoStatsMore(kv)
	case "replication":
		s.writeReplicationInfo(b, kv)
		s.infoReplicationMore(kv)
	case "raft":
		var rb strings.Builder
		s.writeRaftInfo(&rb)
		b.WriteString(strings.TrimPrefix(rb.String(), "# Raft\r\n"))
	case "cpu":
		s.writeCPUInfo(kv)
	case "cluster":
		kv("cluster_enabled", 0) // Redis Cluster's sharding; Raft replication is reported under replication and raft
	case "commandstats":
		s.cstats.writeCommandStats(b)
	case "errorstats":
		s.cstats.writeErrorStats(b)
	case "latencystats":
		s.cstats.writeLatencyStats(b)
	case "keyspace":
		st := s.fsm.RLock()
		for _, db := range st.DBs {
			if n := db.Len(); n > 0 {
				fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db.ID, n, db.Expires())
			}
		}
		s.fsm.RUnlock()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// readRSS returns the resident set size from /proc (0 where unavailable).
func readRSS() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func totalMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// blockedClients is INFO's blocked_clients: clients parked here, those
// whose blocking command the leader holds for them, and those a CLIENT
// PAUSE holds.
func (s *Server) blockedClients() int {
	return s.waiters.blocked() + int(s.relayBlocked.Load()) + int(s.pause.waiting.Load())
}
