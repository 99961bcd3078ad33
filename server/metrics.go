package server

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/geomys/geomys/internal/hist"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// sending accounts for cl's replies about to be written to it: bytes sent
// and error replies by prefix (INFO stats and errorstats). The caller
// resets cl.out once they are written.
func (s *Server) sending(cl *Client) {
	s.stats.writes.Add(1)
	s.stats.netOut.Add(int64(cl.out.Len()))
	s.countErrorsSoFar(cl)
	cl.errMark = 0 // cl.out is about to be reset
}

// countErrorsSoFar counts the error replies cl.out gained since it was
// last counted, so that INFO errorstats and CONFIG RESETSTAT pipelined
// after a failed command see its error counted.
func (s *Server) countErrorsSoFar(cl *Client) {
	out := cl.out.Bytes()
	cl.errMark = min(cl.errMark, len(out)) // replies taken back (CLIENT REPLY OFF)
	s.cstats.countErrors(out[cl.errMark:])
	cl.errMark = len(out)
}

// resetMetricStats is CONFIG RESETSTAT's share of the statistics here.
func (s *Server) resetMetricStats() {
	s.cstats.reset()
	s.stats.netIn.Store(0)
	s.stats.netOut.Store(0)
	s.stats.hits.Store(0)
	s.stats.misses.Store(0)
}

// The Prometheus endpoint (--metrics-addr). Everything is read at scrape
// time from the counters INFO reads too, so serving metrics costs the
// command path nothing.

// metricBounds are the latency histogram buckets exported, in ns: every
// other power of two from 1.024µs to ~17s, which are edges of the internal
// histograms, so the exported counts are exact.
var metricBounds = func() []uint64 {
	var b []uint64
	for shift := 10; shift <= 34; shift += 2 {
		b = append(b, 1<<shift)
	}
	return b
}()

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("geomys_"+name, help, labels, nil)
}

var (
	mCommands        = desc("commands_total", "Commands run, by command.", "cmd")
	mCommandsFailed  = desc("commands_failed_total", "Commands that ran and answered an error, by command.", "cmd")
	mCommandsRejectd = desc("commands_rejected_total", "Commands refused before running (arity, loading, busy), by command.", "cmd")
	mCommandSeconds  = desc("command_duration_seconds", "Time clients waited for a command to execute (a write: its log entry's commit and apply), by command.", "cmd")
	mErrors          = desc("errors_total", "Error replies sent, by error prefix.", "prefix")
	mProcessed       = desc("commands_processed_total", "Commands received (INFO total_commands_processed).")
	mConnsReceived   = desc("connections_received_total", "Connections accepted.")
	mClients         = desc("connected_clients", "Client connections open.")
	mBlocked         = desc("blocked_clients", "Clients waiting in a blocking command.")
	mNetIn           = desc("net_input_bytes_total", "Bytes of commands received from clients.")
	mNetOut          = desc("net_output_bytes_total", "Bytes of replies sent to clients.")
	mHits            = desc("keyspace_hits_total", "Key lookups of reads that found the key.")
	mMisses          = desc("keyspace_misses_total", "Key lookups of reads that did not.")
	mExpired         = desc("expired_keys_total", "Keys deleted because their TTL passed.")
	mEvicted         = desc("evicted_keys_total", "Keys evicted to stay under maxmemory.")
	mUsedMemory      = desc("used_memory_bytes", "INFO used_memory, what maxmemory limits: a fixed startup baseline plus the dataset's accounted bytes.")
	mMaxMemory       = desc("maxmemory_bytes", "The maxmemory limit (0: none).")
	mRSS             = desc("used_memory_rss_bytes", "Resident set size of the process.")
	mKeys            = desc("db_keys", "Keys per database.", "db")
	mExpires         = desc("db_keys_expiring", "Keys with a TTL per database.", "db")
	mRaftState       = desc("raft_state", "1 for this node's Raft state.", "state")
	mLeader          = desc("raft_is_leader", "1 on the leader.")
	mTerm            = desc("raft_term", "Current Raft term.")
	mCommitIndex     = desc("raft_commit_index", "Raft commit index.")
	mAppliedIndex    = desc("raft_applied_index", "Index of the last entry applied to the dataset.")
	mLastIndex       = desc("raft_last_index", "Index of the last entry in this node's log.")
	mLastContact     = desc("raft_last_contact_seconds", "Seconds since a follower last heard from the leader (0 on the leader).")
	mLeaderChanges   = desc("raft_leader_changes_total", "New leaders this node has seen.")
	mPeers           = desc("raft_peers", "Servers in the Raft configuration.")
	mFollowerLag     = desc("raft_follower_lag_entries", "On the leader: its last index minus each follower's last known log index.", "follower")
	mFollowerLast    = desc("raft_follower_last_log_index", "On the leader: each follower's last log index, as of its last AppendEntries answer.", "follower")
	mFollowerContact = desc("raft_follower_last_contact_seconds", "On the leader: seconds since each follower last answered.", "follower")
	mGroupSize       = desc("propose_group_entries", "Connection entries per Raft entry (group commit).")
	mStageGroups     = desc("write_stage_groups_total", "Groups of writes this node proposed whose stages were timed.")
	mStageSeconds    = desc("write_stage_seconds_total", "Time the timed groups spent in each stage of the write path (queue, raft, store, commit, apply, reply), summed.", "stage")
	mAOFSize         = desc("aof_size_bytes", "Size of the AOF (base plus incremental files).")
	mAOFBase         = desc("aof_base_size_bytes", "Size of the AOF's base file.")
	mAOFRewrites     = desc("aof_rewrites_total", "AOF rewrites (each is also a Raft snapshot) completed.")
	mAOFFsync        = desc("aof_fsync_duration_seconds", "How long the AOF's fsyncs took.")
	mAOFWriteOK      = desc("aof_last_write_ok", "1 while the AOF's last write succeeded.")
	mSnapshot        = desc("snapshot_duration_seconds", "How long snapshots (AOF rewrites) took.")
	mLoading         = desc("loading", "1 while the node loads its dataset or waits to serve.")
)

type collector struct{ s *Server }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mCommands, mCommandsFailed, mCommandsRejectd, mCommandSeconds, mErrors, mProcessed,
		mConnsReceived, mClients, mBlocked, mNetIn, mNetOut, mHits, mMisses, mExpired, mEvicted, mUsedMemory, mMaxMemory, mRSS, mKeys,
		mExpires, mRaftState, mLeader, mTerm, mCommitIndex, mAppliedIndex, mLastIndex, mLastContact, mLeaderChanges, mPeers,
		mFollowerLag, mFollowerLast, mFollowerContact, mGroupSize, mStageGroups, mStageSeconds, mAOFSize, mAOFBase, mAOFRewrites, mAOFFsync, mAOFWriteOK,
		mSnapshot, mLoading} {
		ch <- d
	}
}

func constHist(d *prometheus.Desc, snap *hist.Snapshot, labels ...string) prometheus.Metric {
	cum := snap.Cumulative(metricBounds)
	buckets := make(map[float64]uint64, len(metricBounds))
	for i, b := range metricBounds {
		buckets[float64(b)/1e9] = cum[i]
	}
	return prometheus.MustNewConstHistogram(d, snap.Count, snap.Sum.Seconds(), buckets, labels...)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	for _, cmd := range s.cstats.names {
		st := s.cstats.by[cmd]
		calls, rejected := st.calls.Load(), st.rejected.Load()
		if calls == 0 && rejected == 0 {
			continue
		}
		counter(mCommands, float64(calls), cmd.Name)
		counter(mCommandsFailed, float64(st.failed.Load()), cmd.Name)
		counter(mCommandsRejectd, float64(rejected), cmd.Name)
		snap := st.lat.Snapshot()
		ch <- constHist(mCommandSeconds, &snap, cmd.Name)
	}
	names, counts := s.cstats.errorCounts()
	for _, n := range names {
		counter(mErrors, float64(counts[n]), n)
	}
	counter(mProcessed, float64(s.stats.commands.Load()))
	counter(mConnsReceived, float64(s.stats.connections.Load()))
	gauge(mClients, float64(len(s.clientsSnapshot())))
	gauge(mBlocked, float64(s.waiters.blocked()+int(s.relayBlocked.Load())))
	counter(mNetIn, float64(s.stats.netIn.Load()))
	counter(mNetOut, float64(s.stats.netOut.Load()))
	counter(mHits, float64(s.stats.hits.Load()))
	counter(mMisses, float64(s.stats.misses.Load()))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge(mRSS, float64(readRSS()))
	gauge(mLoading, float64(b2i(!s.ready.Load())))
	gauge(mMaxMemory, float64(s.memLimit.Load().Max))
	if !s.opened.Load() {
		return // the dataset and Raft are not open yet
	}
	gauge(mUsedMemory, float64(s.fsm.UsedMemory()))
	st := s.fsm.Stats()
	counter(mExpired, float64(st.ExpiredKeys))
	counter(mEvicted, float64(st.EvictedKeys))
	gauge(mAOFSize, float64(st.AOFBase+st.AOFIncr))
	gauge(mAOFBase, float64(st.AOFBase))
	counter(mAOFRewrites, float64(st.AOFRewrites))
	gauge(mAOFWriteOK, float64(b2i(st.AOFWriteOK)))
	if dm, ok := s.fsm.(DatasetMetrics); ok {
		f := dm.FsyncLatency()
		ch <- constHist(mAOFFsync, &f)
		sn := dm.SnapshotDurations()
		ch <- constHist(mSnapshot, &sn)
	}
	store := s.fsm.RLock()
	for _, db := range store.DBs {
		if n := db.Len(); n > 0 {
			id := strconv.Itoa(db.ID)
			gauge(mKeys, float64(n), id)
			gauge(mExpires, float64(db.Expires()), id)
		}
	}
	s.fsm.RUnlock()

	rs := s.node.Status()
	for _, state := range []string{"Follower", "Candidate", "Leader", "Shutdown"} {
		gauge(mRaftState, float64(b2i(rs.State == state)), state)
	}
	gauge(mLeader, float64(b2i(rs.State == "Leader")))
	gauge(mTerm, float64(rs.Term))
	gauge(mCommitIndex, float64(rs.CommitIndex))
	gauge(mAppliedIndex, float64(rs.AppliedIndex))
	gauge(mLastIndex, float64(rs.LastIndex))
	gauge(mPeers, float64(len(s.node.Peers())))
	cm, ok := s.node.(ClusterMetrics)
	if !ok {
		return
	}
	gauge(mLastContact, cm.LastContact().Seconds())
	ps := cm.ProposeStats()
	counter(mLeaderChanges, float64(ps.LeaderChanges))
	buckets := make(map[float64]uint64, len(ps.Bounds))
	var cum uint64
	for i, b := range ps.Bounds {
		cum += uint64(ps.Counts[i])
		buckets[float64(b)] = cum
	}
	ch <- prometheus.MustNewConstHistogram(mGroupSize, uint64(ps.Groups), float64(ps.Entries), buckets)
	ws := cm.WriteStages()
	counter(mStageGroups, float64(ws.Groups))
	for _, st := range ws.Stages() {
		counter(mStageSeconds, st.Time.Seconds(), st.Name)
	}
	last, followers := cm.Progress()
	for _, f := range followers {
		lag := int64(last) - int64(f.LastLog)
		gauge(mFollowerLag, float64(max(lag, 0)), f.ID)
		gauge(mFollowerLast, float64(f.LastLog), f.ID)
		contact := -1.0 // never heard from
		if !f.LastContact.IsZero() {
			contact = time.Since(f.LastContact).Seconds()
		}
		gauge(mFollowerContact, contact, f.ID)
	}
}

// serveMetrics serves /metrics on addr until the server closes.
func (s *Server) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.metricsLn = ln
	go http.Serve(ln, mux) // ends when Close closes ln
	return nil
}
