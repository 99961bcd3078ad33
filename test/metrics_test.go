package test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/test/chaos"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches and parses a node's /metrics.
func scrape(t testing.TB, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", addr, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics of %s: %v", addr, err)
	}
	return fams
}

// metric finds the sample of name whose labels include want (label=value
// pairs); ok is false when there is none.
func metric(fams map[string]*dto.MetricFamily, name string, want ...string) (*dto.Metric, bool) {
	f := fams[name]
	if f == nil {
		return nil, false
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

// value is a counter's or gauge's value (-1 when absent).
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m, ok := metric(fams, name, labels...)
	switch {
	case !ok:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

func TestMetricsOneNode(t *testing.T) {
	maddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	n := startNode(t, "--metrics-addr", maddr, "--appendfsync", "always")
	before := scrape(t, maddr)
	if v := value(before, "geomys_raft_is_leader"); v != 1 {
		t.Fatalf("raft_is_leader %v, want 1", v)
	}
	sets0 := max(value(before, "geomys_commands_total", "cmd", "set"), 0)

	ctx := context.Background()
	c := n.client()
	defer c.Close()
	for i := 0; i < 5; i++ {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.Get(ctx, "k1")
	c.Get(ctx, "missing")
	if err := c.LPush(ctx, "k1", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatalf("LPUSH on a string: %v", err)
	}

	m := scrape(t, maddr)
	if v := value(m, "geomys_commands_total", "cmd", "set"); v != sets0+5 {
		t.Errorf("commands_total{cmd=set} %v, want %v", v, sets0+5)
	}
	if v := value(m, "geomys_commands_failed_total", "cmd", "lpush"); v != 1 {
		t.Errorf("commands_failed_total{cmd=lpush} %v, want 1", v)
	}
	if v := value(m, "geomys_errors_total", "prefix", "WRONGTYPE"); v != 1 {
		t.Errorf("errors_total{prefix=WRONGTYPE} %v, want 1", v)
	}
	if hm, ok := metric(m, "geomys_command_duration_seconds", "cmd", "set"); !ok || hm.Histogram.GetSampleCount() != uint64(sets0+5) || hm.Histogram.GetSampleSum() <= 0 {
		t.Errorf("command_duration_seconds{cmd=set}: %v", hm)
	}
	if v := value(m, "geomys_keyspace_hits_total"); v < 1 {
		t.Errorf("keyspace_hits_total %v, want >= 1", v)
	}
	if v := value(m, "geomys_keyspace_misses_total"); v < 1 {
		t.Errorf("keyspace_misses_total %v, want >= 1", v)
	}
	if v := value(m, "geomys_db_keys", "db", "0"); v != 5 {
		t.Errorf("db_keys{db=0} %v, want 5", v)
	}
	if v := value(m, "geomys_connected_clients"); v < 1 {
		t.Errorf("connected_clients %v, want >= 1", v)
	}
	if hm, ok := metric(m, "geomys_aof_fsync_duration_seconds"); !ok || hm.Histogram.GetSampleCount() < 6 {
		t.Errorf("aof_fsync_duration_seconds with appendfsync always: %v, want >= 6 fsyncs", hm)
	}
	if hm, ok := metric(m, "geomys_propose_group_entries"); !ok || hm.Histogram.GetSampleCount() < 6 {
		t.Errorf("propose_group_entries: %v, want >= 6 groups", hm)
	}
	// Five SETs one after another: five groups, each timed through every
	// stage; the log write includes an fsync, so it cannot take no time.
	if v := value(m, "geomys_write_stage_groups_total") - value(before, "geomys_write_stage_groups_total"); v < 5 {
		t.Errorf("write_stage_groups_total grew by %v, want >= 5", v)
	}
	for _, st := range []string{"raft", "store", "apply", "reply"} {
		if v := value(m, "geomys_write_stage_seconds_total", "stage", st); v <= 0 {
			t.Errorf("write_stage_seconds_total{stage=%s} %v, want > 0", st, v)
		}
	}
	raftInfo, err := c.Info(ctx, "raft").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"write_stage_groups:", "write_stage_queue_usec:", "write_stage_store_usec:", "write_stage_reply_usec:"} {
		if !strings.Contains(raftInfo, "\r\n"+f) {
			t.Errorf("INFO raft has no %s", f)
		}
	}
	if v := value(m, "geomys_aof_size_bytes"); v <= value(before, "geomys_aof_size_bytes") {
		t.Errorf("aof_size_bytes %v did not grow from %v", v, value(before, "geomys_aof_size_bytes"))
	}
	if v := value(m, "geomys_raft_applied_index"); v <= value(before, "geomys_raft_applied_index") {
		t.Errorf("raft_applied_index %v did not move", v)
	}

	// A rewrite (Raft snapshot) is counted and timed.
	if err := c.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for value(m, "geomys_aof_rewrites_total") < 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		m = scrape(t, maddr)
	}
	if hm, ok := metric(m, "geomys_snapshot_duration_seconds"); !ok || hm.Histogram.GetSampleCount() < 1 {
		t.Errorf("after BGREWRITEAOF: aof_rewrites_total %v, snapshot_duration_seconds %v", value(m, "geomys_aof_rewrites_total"), hm)
	}

	// INFO commandstats counts what /metrics counts.
	info := c.Info(ctx, "commandstats").Val()
	want := "cmdstat_set:calls=" + strconv.Itoa(int(sets0+5)) + ","
	if !strings.Contains(info, want) || !strings.Contains(info, "cmdstat_lpush:calls=1,") || !strings.Contains(info, "failed_calls=1") {
		t.Errorf("INFO commandstats lacks %q or lpush's failure:\n%s", want, info)
	}
	if info := c.Info(ctx, "errorstats").Val(); !strings.Contains(info, "errorstat_WRONGTYPE:count=1") {
		t.Errorf("INFO errorstats:\n%s", info)
	}
	if info := c.Info(ctx).Val(); strings.Contains(info, "cmdstat_") {
		t.Errorf("INFO without arguments includes commandstats, Redis does not:\n%s", info)
	}
}

func TestMetricsCluster(t *testing.T) {
	// Each node gets its own metrics port, so the nodes are added one by one.
	c := &cluster{t: t, net: chaos.NewNet()}
	t.Cleanup(c.net.Close)
	maddrs := map[string]string{}
	for i := 0; i < 3; i++ {
		maddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		c.extra = []string{"--metrics-addr", maddr}
		n := c.addNode(true)
		maddrs[n.addr()] = maddr
	}
	c.waitMembers(3)
	l := c.leader()
	ctx := context.Background()
	cl := l.client()
	defer cl.Close()
	for i := 0; i < 50; i++ {
		if err := cl.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The leader hears each follower's last index with every heartbeat.
	var m map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		m = scrape(t, maddrs[l.addr()])
		last := value(m, "geomys_raft_last_index")
		caught := 0
		for _, f := range c.followers() {
			if value(m, "geomys_raft_follower_last_log_index", "follower", f.name()) == last &&
				value(m, "geomys_raft_follower_lag_entries", "follower", f.name()) == 0 {
				caught++
			}
		}
		if caught == 2 && last > 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("followers' progress on the leader never reached its last index %v:\n%v\n%v", last,
				m["geomys_raft_follower_last_log_index"], m["geomys_raft_follower_lag_entries"])
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v := value(m, "geomys_raft_is_leader"); v != 1 {
		t.Errorf("leader's raft_is_leader %v", v)
	}
	if v := value(m, "geomys_raft_peers"); v != 3 {
		t.Errorf("raft_peers %v, want 3", v)
	}
	for _, f := range c.followers() {
		fm := scrape(t, maddrs[f.addr()])
		if v := value(fm, "geomys_raft_state", "state", "Follower"); v != 1 {
			t.Errorf("%s: raft_state{Follower} %v", f.name(), v)
		}
		if v := value(fm, "geomys_raft_last_contact_seconds"); v < 0 || v > 5 {
			t.Errorf("%s: raft_last_contact_seconds %v", f.name(), v)
		}
		if v := value(fm, "geomys_raft_leader_changes_total"); v < 1 {
			t.Errorf("%s: raft_leader_changes_total %v, want >= 1", f.name(), v)
		}
		if v := value(fm, "geomys_db_keys", "db", "0"); v != 50 {
			t.Errorf("%s: db_keys %v, want 50", f.name(), v)
		}
		if _, ok := metric(fm, "geomys_raft_follower_lag_entries"); ok {
			t.Errorf("%s: a follower reports followers' lag", f.name())
		}
		fc := f.client()
		info := fc.Info(ctx, "replication").Val()
		fc.Close()
		if !strings.Contains(info, "role:slave") || !strings.Contains(info, "master_link_status:up") {
			t.Errorf("%s: INFO replication:\n%s", f.name(), info)
		}
	}
	info := cl.Info(ctx, "replication").Val()
	if !strings.Contains(info, "role:master") || !strings.Contains(info, "connected_slaves:2") ||
		!strings.Contains(info, "slave0:ip=") || !strings.Contains(info, "slave1:ip=") {
		t.Errorf("leader's INFO replication:\n%s", info)
	}
}
