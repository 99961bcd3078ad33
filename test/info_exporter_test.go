package test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// exporterFields are the INFO fields oliver006/redis_exporter turns into
// metrics (its metricMapGauges and metricMapCounters, Redis fields only).
var exporterFields = []string{
	"uptime_in_seconds", "process_id", "connected_clients", "blocked_clients", "tracking_clients",
	"client_recent_max_output_buffer", "client_recent_max_input_buffer",
	"allocator_active", "allocator_allocated", "allocator_resident", "allocator_frag_ratio", "allocator_frag_bytes",
	"allocator_rss_ratio", "allocator_rss_bytes", "used_memory", "used_memory_rss", "used_memory_peak",
	"used_memory_lua", "used_memory_overhead", "used_memory_startup", "used_memory_dataset", "used_memory_scripts",
	"maxmemory", "mem_fragmentation_ratio", "mem_fragmentation_bytes", "mem_clients_slaves", "mem_clients_normal",
	"expired_stale_perc", "mem_not_counted_for_evict", "lazyfree_pending_objects", "active_defrag_running",
	"migrate_cached_sockets", "active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
	"active_defrag_key_misses", "expired_time_cap_reached_count", "loading", "rdb_changes_since_last_save",
	"rdb_bgsave_in_progress", "rdb_last_save_time", "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec",
	"rdb_current_bgsave_time_sec", "rdb_last_cow_size", "aof_enabled", "aof_rewrite_in_progress",
	"aof_rewrite_scheduled", "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec", "aof_last_cow_size",
	"aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length", "aof_rewrite_buffer_length",
	"aof_pending_bio_fsync", "aof_delayed_fsync", "aof_last_bgrewrite_status", "aof_last_write_status",
	"module_fork_in_progress", "module_fork_last_cow_size", "pubsub_channels", "pubsub_patterns", "latest_fork_usec",
	"connected_slaves", "repl_backlog_size", "repl_backlog_active", "repl_backlog_first_byte_offset",
	"repl_backlog_histlen", "master_repl_offset", "second_repl_offset", "slave_expires_tracked_keys",
	"slave_priority", "sync_full", "sync_partial_ok", "sync_partial_err", "total_system_memory",
	"total_connections_received", "total_commands_processed", "rejected_connections", "total_net_input_bytes",
	"total_net_output_bytes", "expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses", "used_cpu_sys",
	"used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
	// Read by its info parser and instance_info / replication handling.
	"role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id",
	"master_replid", "total_error_replies",
}

func infoFields(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	txt, err := c.Info(context.Background(), "everything").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(txt, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// TestInfoHasExporterFields: every field redis_exporter reads that
// redis-server 7.0 reports, Geomys reports too, as do the per-command,
// per-error and per-db lines after the same commands.
func TestInfoHasExporterFields(t *testing.T) {
	ctx := context.Background()
	r := redis.NewClient(&redis.Options{Addr: startRedis(t)})
	defer r.Close()
	n := startNode(t)
	g := n.client()
	defer g.Close()
	for _, c := range []*redis.Client{r, g} {
		c.Set(ctx, "a", "1", 0)
		c.Get(ctx, "a")
		c.LPush(ctx, "a", "x") // WRONGTYPE
	}
	rf, gf := infoFields(t, r), infoFields(t, g)
	for _, f := range exporterFields {
		if _, inRedis := rf[f]; !inRedis {
			continue // not a Redis 7.0 field (older or newer versions)
		}
		if _, ok := gf[f]; !ok {
			t.Errorf("INFO lacks %s (redis-server: %s:%s)", f, f, rf[f])
		}
	}
	for _, f := range []string{"cmdstat_set", "cmdstat_get", "cmdstat_lpush", "errorstat_WRONGTYPE", "latency_percentiles_usec_set", "db0"} {
		if _, ok := rf[f]; !ok {
			t.Fatalf("redis-server lacks %s: the test's assumption is wrong", f)
		}
		if _, ok := gf[f]; !ok {
			t.Errorf("INFO everything lacks %s", f)
		}
	}
	// Same shape as Redis, so parsers that split on ',' and '=' work.
	for _, f := range []string{"cmdstat_set", "latency_percentiles_usec_set", "db0"} {
		rk, gk := infoValueKeys(rf[f]), infoValueKeys(gf[f])
		if rk != gk {
			t.Errorf("%s: fields %q, redis-server has %q", f, gk, rk)
		}
	}
	if gf["keyspace_hits"] == "0" || gf["total_net_input_bytes"] == "0" || gf["total_error_replies"] == "0" {
		t.Errorf("counters did not move: keyspace_hits=%s total_net_input_bytes=%s total_error_replies=%s",
			gf["keyspace_hits"], gf["total_net_input_bytes"], gf["total_error_replies"])
	}
}

// infoValueKeys lists the names of a "k=v,k=v" value.
func infoValueKeys(v string) string {
	var ks []string
	for _, kv := range strings.Split(v, ",") {
		k, _, _ := strings.Cut(kv, "=")
		ks = append(ks, k)
	}
	return strings.Join(ks, ",")
}
