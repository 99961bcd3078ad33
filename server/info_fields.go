package server

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// INFO fields Redis 7.0 has that monitoring tools (redis_exporter,
// RedisInsight) read, beyond the ones info.go writes. Fields for things
// Geomys does not have (forks, active defrag, a replication backlog, I/O
// threads) are reported as Redis reports them when they are idle or off.

func (s *Server) infoServerMore(kv func(string, any)) {
	kv("redis_git_sha1", "00000000")
	kv("redis_git_dirty", 0)
	kv("redis_build_id", "geomys-"+Version)
	kv("multiplexing_api", "epoll")
	kv("atomicvar_api", "c11-builtin")
	kv("gcc_version", "0.0.0")
	kv("process_supervised", "no")
	kv("monotonic_clock", "POSIX clock_gettime")
	kv("configured_hz", 10)
	kv("lru_clock", time.Now().Unix()&(1<<24-1))
}

func (s *Server) infoClientsMore(kv func(string, any)) {
	kv("cluster_connections", 0)
	kv("client_recent_max_input_buffer", 0)
	kv("client_recent_max_output_buffer", 0)
	kv("tracking_clients", s.tracking.n.Load())
	kv("clients_in_timeout_table", s.waiters.blocked())
}

func (s *Server) infoMemoryMore(kv func(string, any), ms *runtime.MemStats, rss, used, peak int64) {
	// Everything beyond the startup baseline is the dataset's accounted
	// bytes: Geomys keeps no client or replication buffers in used_memory.
	startup := commands.StartupMemory
	dataset := max(used-startup, 0)
	heap := int64(ms.HeapAlloc)
	kv("used_memory_peak_human", humanBytes(peak))
	kv("used_memory_peak_perc", percent(used, peak))
	kv("used_memory_overhead", startup)
	kv("used_memory_startup", startup)
	kv("used_memory_dataset", dataset)
	kv("used_memory_dataset_perc", percent(dataset, used-startup))
	kv("allocator_frag_ratio", ratio(int64(ms.HeapInuse), heap))
	kv("allocator_frag_bytes", int64(ms.HeapInuse)-heap)
	resident := int64(ms.HeapSys - ms.HeapReleased)
	kv("allocator_rss_ratio", ratio(resident, int64(ms.HeapInuse)))
	kv("allocator_rss_bytes", resident-int64(ms.HeapInuse))
	kv("rss_overhead_ratio", ratio(rss, resident))
	kv("rss_overhead_bytes", rss-resident)
	kv("mem_fragmentation_bytes", rss-heap)
	kv("total_system_memory_human", humanBytes(totalMemory()))
	kv("used_memory_lua", 0)
	kv("used_memory_lua_human", "0B")
	kv("used_memory_vm_eval", 0)
	kv("used_memory_vm_functions", 0)
	kv("used_memory_vm_total", 0)
	kv("used_memory_vm_total_human", "0B")
	kv("used_memory_functions", 0)
	kv("used_memory_scripts", 0)
	kv("used_memory_scripts_eval", 0)
	kv("used_memory_scripts_human", "0B")
	scripts := 0
	if s.opened.Load() {
		scripts = s.fsm.ScriptCount()
		s.syncFunctions()
	}
	libs := s.scripts.Libraries()
	funcs := 0
	for _, l := range libs {
		funcs += len(l.Funcs)
	}
	kv("number_of_cached_scripts", scripts)
	kv("number_of_functions", funcs)
	kv("number_of_libraries", len(libs))
	kv("mem_not_counted_for_evict", 0)
	kv("mem_replication_backlog", 0)
	kv("mem_total_replication_buffers", 0)
	kv("mem_clients_slaves", 0)
	kv("mem_clients_normal", 0)
	kv("mem_cluster_links", 0)
	kv("mem_aof_buffer", 0)
	kv("lazyfree_pending_objects", 0)
	kv("lazyfreed_objects", s.lazyfreedObjects())
	kv("active_defrag_running", 0)
}

func (s *Server) infoPersistenceMore(kv func(string, any), st fsm.Stats) {
	secs := func(d time.Duration) int64 {
		if d < 0 {
			return -1
		}
		return int64(d.Seconds())
	}
	kv("current_cow_peak", 0)
	kv("current_cow_size", 0)
	kv("current_cow_size_age", 0)
	kv("current_fork_perc", "0.00")
	kv("current_save_keys_processed", 0)
	kv("current_save_keys_total", 0)
	kv("rdb_saves", 0)
	kv("rdb_last_bgsave_time_sec", -1)
	kv("rdb_current_bgsave_time_sec", -1)
	kv("rdb_last_cow_size", 0)
	kv("rdb_last_load_keys_expired", 0)
	kv("rdb_last_load_keys_loaded", 0)
	kv("aof_rewrites", st.AOFRewrites)
	kv("aof_rewrites_consecutive_failures", 0)
	kv("aof_last_rewrite_time_sec", secs(st.LastRewriteTook))
	kv("aof_current_rewrite_time_sec", secs(st.RewriteTook))
	kv("aof_last_cow_size", 0)
	kv("aof_pending_rewrite", 0)
	kv("aof_buffer_length", 0)
	kv("aof_pending_bio_fsync", 0)
	kv("aof_delayed_fsync", 0)
	kv("module_fork_in_progress", 0)
	kv("module_fork_last_cow_size", 0)
}

func (s *Server) infoStatsMore(kv func(string, any)) {
	kv("total_net_input_bytes", s.stats.netIn.Load())
	kv("total_net_output_bytes", s.stats.netOut.Load())
	kv("total_net_repl_input_bytes", 0)
	kv("total_net_repl_output_bytes", 0)
	kv("instantaneous_input_kbps", fmt.Sprintf("%.2f", float64(s.stats.inPerSec.Load())/1024))
	kv("instantaneous_output_kbps", fmt.Sprintf("%.2f", float64(s.stats.outPerSec.Load())/1024))
	kv("instantaneous_input_repl_kbps", "0.00")
	kv("instantaneous_output_repl_kbps", "0.00")
	kv("sync_full", 0)
	kv("sync_partial_ok", 0)
	kv("sync_partial_err", 0)
	kv("expired_stale_perc", "0.00")
	kv("expired_time_cap_reached_count", 0)
	kv("expire_cycle_cpu_milliseconds", 0)
	kv("evicted_clients", 0)
	kv("total_eviction_exceeded_time", 0)
	kv("current_eviction_exceeded_time", 0)
	kv("latest_fork_usec", 0)
	kv("total_forks", 0)
	kv("migrate_cached_sockets", s.migrate.count())
	kv("slave_expires_tracked_keys", 0)
	kv("active_defrag_hits", 0)
	kv("active_defrag_misses", 0)
	kv("active_defrag_key_hits", 0)
	kv("active_defrag_key_misses", 0)
	kv("total_active_defrag_time", 0)
	kv("current_active_defrag_time", 0)
	kv("pubsubshard_channels", 0)
	tkeys, titems, tprefixes := s.trackingCounts()
	kv("tracking_total_keys", tkeys)
	kv("tracking_total_items", titems)
	kv("tracking_total_prefixes", tprefixes)
	kv("unexpected_error_replies", 0)
	kv("total_error_replies", s.cstats.errSeen.Load())
	kv("dump_payload_sanitizations", 0)
	kv("total_reads_processed", s.stats.reads.Load())
	kv("total_writes_processed", s.stats.writes.Load())
	kv("io_threads_active", 0)
	kv("io_threaded_reads_processed", 0)
	kv("io_threaded_writes_processed", 0)
	kv("reply_buffer_shrinks", 0)
	kv("reply_buffer_expands", 0)
}

// infoReplicationMore is the replication backlog Redis reports; Raft's log
// takes its place, so there is none.
func (s *Server) infoReplicationMore(kv func(string, any)) {
	kv("master_replid2", strings.Repeat("0", 40))
	kv("second_repl_offset", -1)
	kv("repl_backlog_active", 0)
	kv("repl_backlog_size", 0)
	kv("repl_backlog_first_byte_offset", 0)
	kv("repl_backlog_histlen", 0)
}

// replicaLines are the leader's slaveN lines: each follower's offset is its
// last log index as the leader last heard it, lag the seconds since then.
func (s *Server) replicaLines() []string {
	var progress map[string]int
	var last []uint64
	var contact []time.Time
	if cm, ok := s.node.(ClusterMetrics); ok {
		_, fs := cm.Progress()
		progress = map[string]int{}
		for i, f := range fs {
			progress[f.ID] = i
			last = append(last, f.LastLog)
			contact = append(contact, f.LastContact)
		}
	}
	var lines []string
	for _, p := range s.node.Peers() {
		if p.Self || !p.Reachable {
			continue
		}
		host, port, err := net.SplitHostPort(p.ClientAddr)
		if err != nil {
			continue
		}
		offset, lag := s.fsm.AppliedIndex(), int64(0)
		if i, ok := progress[p.ID]; ok {
			offset = last[i]
			if !contact[i].IsZero() {
				lag = int64(time.Since(contact[i]).Seconds())
			}
		}
		lines = append(lines, fmt.Sprintf("slave%d:ip=%s,port=%s,state=online,offset=%d,lag=%d", len(lines), host, port, offset, lag))
	}
	return lines
}

func (s *Server) writeCPUInfo(kv func(string, any)) {
	user, sys, cuser, csys := cpuTimes()
	kv("used_cpu_sys", sys)
	kv("used_cpu_user", user)
	kv("used_cpu_sys_children", csys)
	kv("used_cpu_user_children", cuser)
	kv("used_cpu_sys_main_thread", sys)
	kv("used_cpu_user_main_thread", user)
}

// cpuTimes reads the process' and its waited-for children's CPU seconds
// from /proc (zeros where unavailable).
func cpuTimes() (user, sys, cuser, csys string) {
	user, sys, cuser, csys = "0.000000", "0.000000", "0.000000", "0.000000"
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	str := string(data)
	if i := strings.LastIndexByte(str, ')'); i >= 0 {
		str = str[i+1:]
	}
	f := strings.Fields(str) // f[0] is field 3 (state)
	if len(f) < 15 {
		return
	}
	sec := func(s string) string {
		t, _ := strconv.ParseInt(s, 10, 64)
		return fmt.Sprintf("%.6f", float64(t)/100) // USER_HZ is 100 on Linux
	}
	return sec(f[11]), sec(f[12]), sec(f[13]), sec(f[14])
}

func ratio(a, b int64) string {
	if b <= 0 {
		return "0.00"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func percent(a, b int64) string {
	if b <= 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(a)/float64(b))
}
