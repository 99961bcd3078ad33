package test

// Fault tests: a cluster of real processes under a chaos.Workload while
// nodes are killed, paused, restarted, partitioned and reconfigured. After
// every round the cluster is healed and the tests require that
//   - every model's history is linearizable (porcupine.Ok; Illegal writes
//     a visualization, Unknown — a checker timeout — fails too),
//   - the final state on the leader accounts for every acknowledged write
//     (Workload.VerifyFinal),
//   - all nodes hold identical data (cluster.waitConverged),
//   - writes resumed within a bound after each fault.
//
// Each fault is reported on one line, for grepping:
//
//	FAULT-METRIC test=<name> round=<n> fault=<label> held=<s> first_write=<s> before=<w/s> during=<w/s> after=<w/s>
//
// first_write is the time from the fault to the first acknowledged write
// invoked after it; before/during/after are acknowledged writes per second
// in the 2s before the fault, while it was in force, and in the 2s after it
// was lifted.
//
// GEOMYS_SOAK=5m (any time.ParseDuration value) repeats each test's fault
// round until that much time has passed, each round with its own workload
// and checks (so histories stay small). Give go test a -timeout to match.

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/geomys/geomys/test/chaos"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

const (
	// faultRecoveryBound is the longest a fault may keep writes from
	// succeeding once the cluster could make progress again; generous, as
	// other tests may be loading the machine.
	faultRecoveryBound = 15 * time.Second
	// checkTimeout bounds each porcupine check; Unknown fails the test. A check
	// takes well under a second as a rule, but a history with many uncertain
	// list operations can take tens of seconds on a loaded 2-core machine.
	checkTimeout = 120 * time.Second
	metricWindow = 2 * time.Second
)

// soakDuration is GEOMYS_SOAK, or 0 when not soaking.
func soakDuration(t *testing.T) time.Duration {
	s := os.Getenv("GEOMYS_SOAK")
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("GEOMYS_SOAK=%q: %v", s, err)
	}
	return d
}

// faultRounds runs round once, or, when soaking, repeatedly until the soak
// time is spent.
func faultRounds(t *testing.T, round func(r int)) {
	soak := soakDuration(t)
	// Clients failing over log every refused dial; the test reports what
	// matters.
	logging.Disable()
	defer logging.Enable()
	start := time.Now()
	for r := 1; ; r++ {
		round(r)
		if t.Failed() || soak == 0 || time.Since(start) >= soak {
			if soak > 0 {
				t.Logf("soak: %d rounds in %v", r, time.Since(start).Round(time.Second))
			}
			return
		}
	}
}

// faultMark is one injected fault: from start (injected) to end (lifted).
type faultMark struct {
	label      string
	start, end time.Time
}

// faultRun is one round: a workload on a cluster and the faults injected
// while it ran.
type faultRun struct {
	t     *testing.T
	c     *cluster
	w     *chaos.Workload
	round int
	marks []faultMark
}

func seedFor(name string, round int) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64()>>1) + int64(round)
}

// startFaultRun starts a workload with clients spread over addrs (2 per
// node). Its keys are prefixed by the round, so rounds do not mix.
func startFaultRun(t *testing.T, c *cluster, round int, addrs []string, prefix string) *faultRun {
	t.Helper()
	w := chaos.NewWorkload(chaos.WorkloadOptions{
		Addrs:        addrs,
		Clients:      2 * len(addrs),
		Seed:         seedFor(t.Name()+prefix, round),
		KeysPerModel: 8, // shorter histories per key keep the list model's check within checkTimeout on a loaded 2-core machine
		KeyPrefix:    fmt.Sprintf("r%d:%s", round, prefix),
		Pause:        8 * time.Millisecond,
	})
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	fr := &faultRun{t: t, c: c, w: w, round: round}
	t.Cleanup(w.Stop)
	return fr
}

// fault records a fault injected now; call the returned func when it is lifted.
func (fr *faultRun) fault(label string) func() {
	fr.marks = append(fr.marks, faultMark{label: label, start: time.Now()})
	i := len(fr.marks) - 1
	fr.t.Logf("fault %s injected", label)
	return func() {
		fr.marks[i].end = time.Now()
		fr.t.Logf("fault %s lifted after %v", label, fr.marks[i].end.Sub(fr.marks[i].start).Round(time.Millisecond))
	}
}

// writeRate is acknowledged writes per second in [a, b), clipped to the
// series.
func writeRate(series []chaos.Window, width time.Duration, a, b time.Time) float64 {
	if len(series) == 0 {
		return 0
	}
	if first := series[0].Start; a.Before(first) {
		a = first
	}
	if last := series[len(series)-1].Start.Add(width); b.After(last) {
		b = last
	}
	if !b.After(a) {
		return 0
	}
	n := 0
	for _, win := range series {
		if !win.Start.Before(a) && win.Start.Before(b) {
			n += win.Writes
		}
	}
	return float64(n) / b.Sub(a).Seconds()
}

// longestGap is the longest run of empty windows in [a, b).
func longestGap(series []chaos.Window, width time.Duration, a, b time.Time) time.Duration {
	var gap, longest time.Duration
	for _, win := range series {
		if win.Start.Before(a) || !win.Start.Before(b) {
			continue
		}
		if win.Writes == 0 {
			gap += width
			longest = max(longest, gap)
		} else {
			gap = 0
		}
	}
	return longest
}

// metrics logs one FAULT-METRIC line per fault and fails the test if writes
// did not resume within faultRecoveryBound of a fault, or never resumed
// after it was lifted. Call it after the workload stopped.
func (fr *faultRun) metrics() {
	t := fr.t
	const width = 100 * time.Millisecond
	series := fr.w.WriteSeries(width)
	for _, m := range fr.marks {
		if m.end.IsZero() {
			t.Errorf("fault %s was never lifted", m.label)
			continue
		}
		first, ok := fr.w.FirstSuccessAfter(m.start)
		firstS := "none"
		if ok {
			firstS = fmt.Sprintf("%.3fs", first.Seconds())
		}
		t.Logf("FAULT-METRIC test=%s round=%d fault=%s held=%.2fs first_write=%s before=%.0f/s during=%.0f/s after=%.0f/s",
			t.Name(), fr.round, m.label, m.end.Sub(m.start).Seconds(), firstS,
			writeRate(series, width, m.start.Add(-metricWindow), m.start),
			writeRate(series, width, m.start, m.end),
			writeRate(series, width, m.end, m.end.Add(metricWindow)))
		switch {
		case !ok:
			t.Errorf("fault %s: no write succeeded after it", m.label)
		case first > m.end.Sub(m.start)+faultRecoveryBound:
			t.Errorf("fault %s: first write %v after it, %v after it was lifted", m.label, first, first-m.end.Sub(m.start))
		}
		if after, _ := fr.w.FirstSuccessAfter(m.end); after > faultRecoveryBound {
			t.Errorf("fault %s: first write %v after it was lifted", m.label, after)
		}
	}
}

// finish stops the workload and runs every check: convergence, final state
// on the leader, linearizability, fault metrics. The cluster must be healed
// and every member running.
func (fr *faultRun) finish() {
	t := fr.t
	t.Helper()
	fr.w.Stop()
	st := fr.w.Stats()
	t.Logf("workload: %d ok, %d failed, %d unknown, %d writes acknowledged", st.OK, st.Failed, st.Unknown, st.WritesOK)
	if len(st.Anomalies) > 0 {
		t.Errorf("%d anomalous replies, first: %s", len(st.Anomalies), st.Anomalies[0])
	}
	if st.WritesOK == 0 {
		t.Fatalf("no write was acknowledged during the round\n%s", fr.c.logs())
	}
	fr.c.waitConverged()
	fr.verifyFinal()
	fr.check()
	fr.metrics()
}

// verifyFinal checks the final state on the leader, retrying reads that
// failed for a passing election.
func (fr *faultRun) verifyFinal() {
	t := fr.t
	t.Helper()
	var err error
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = fr.w.VerifyFinal(ctx, fr.c.leader().addr())
		cancel()
		if err == nil || !strings.HasPrefix(err.Error(), "chaos: verify:") {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("VerifyFinal: %v\n%s", err, fr.c.logs())
	}
}

// check requires every model's history to be linearizable.
func (fr *faultRun) check() {
	t := fr.t
	t.Helper()
	begin := time.Now()
	results := fr.w.Check(checkTimeout)
	t.Logf("porcupine check took %v", time.Since(begin).Round(time.Millisecond))
	for _, r := range results {
		returned, unknown, dropped := r.History.Counts()
		t.Logf("model %s: %v (%d returned, %d unknown, %d dropped)", r.Name, r.Result, returned, unknown, dropped)
		switch r.Result {
		case porcupine.Ok:
		case porcupine.Illegal:
			dir, err := os.MkdirTemp("", "geomys-fault-")
			if err != nil {
				dir = t.TempDir()
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-round%d-%s.html", strings.ReplaceAll(t.Name(), "/", "_"), fr.round, r.Name))
			if err := r.Visualize(path); err != nil {
				t.Log(err)
			}
			t.Fatalf("%s history is not linearizable; visualization: %s\n%s", r.Name, path, fr.c.logs())
		default:
			t.Fatalf("%s history: porcupine returned %v (checker timeout %v); history too large?", r.Name, r.Result, checkTimeout)
		}
	}
}

// settle lets the workload run long enough after the last fault for the
// "after" figure.
func settle() { time.Sleep(metricWindow + 500*time.Millisecond) }

// leaderAmong polls the given nodes (not others, which may be paused) for
// one reporting itself leader, optionally requiring it to differ from not.
func leaderAmong(t *testing.T, c *cluster, nodes []*node, not *node) *node {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if n == not || !n.running() {
				continue
			}
			if n.raftInfo()["role"] == "leader" {
				return n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no leader among the given nodes within 30s\n%s", c.logs())
	return nil
}

// waitCaughtUp waits until n has applied what the leader had committed when
// the wait began, so that the next fault does not hit a lagging node.
func waitCaughtUp(t *testing.T, c *cluster, n *node) {
	t.Helper()
	target, _ := strconv.ParseUint(c.leader().raftInfo()["commit_index"], 10, 64)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if applied, err := strconv.ParseUint(n.raftInfo()["applied_index"], 10, 64); err == nil && applied >= target {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not catch up to index %d within 30s\n%s", n.name(), target, c.logs())
}

// killAndRestartLeader kills -9 the leader as fault label, restarts it two
// seconds later and waits until it has caught up.
func killAndRestartLeader(t *testing.T, c *cluster, fr *faultRun, label string) {
	t.Helper()
	l := c.leader()
	lift := fr.fault(fmt.Sprintf("%s(%s)", label, l.name()))
	l.kill()
	killed := time.Now()
	awaitLeader(t, c.nodes, l, killed, 2*time.Second)
	time.Sleep(time.Until(killed.Add(2 * time.Second)))
	l.restart()
	lift()
	waitCaughtUp(t, c, l)
}

// awaitLeader polls nodes (skipping not) for up to d for a leader and logs
// how long the election took from since; it returns the leader or nil.
func awaitLeader(t *testing.T, nodes []*node, not *node, since time.Time, d time.Duration) *node {
	t.Helper()
	deadline := since.Add(d)
	for time.Now().Before(deadline) {
		for _, n := range nodes {
			if n == not || !n.running() {
				continue
			}
			if n.raftInfo()["role"] == "leader" {
				t.Logf("new leader %s %v after the fault", n.name(), time.Since(since).Round(time.Millisecond))
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("no new leader within %v of the fault", d)
	return nil
}

func names(ns ...*node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.name())
	}
	return out
}

func others(c *cluster, except ...*node) []*node {
	var out []*node
next:
	for _, n := range c.nodes {
		for _, e := range except {
			if n == e {
				continue next
			}
		}
		out = append(out, n)
	}
	return out
}

// TestFaultKillLeader: kill -9 the leader twice, restarting it each time
// after ~2s, then kill -9 a follower and restart it.
func TestFaultKillLeader(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		fr := startFaultRun(t, c, round, c.addrs(), "")
		time.Sleep(1500 * time.Millisecond)
		for i := 1; i <= 2; i++ {
			killAndRestartLeader(t, c, fr, fmt.Sprintf("kill-leader-%d", i))
			time.Sleep(1500 * time.Millisecond)
		}
		f := c.followers()[0]
		lift := fr.fault(fmt.Sprintf("kill-follower(%s)", f.name()))
		f.kill()
		time.Sleep(2 * time.Second)
		f.restart()
		lift()
		settle()
		fr.finish()
	})
}

// TestFaultPauseLeader: SIGSTOP the leader for ~3s, longer than the
// election timeout, then SIGCONT. A key overwritten on the new leader
// during the pause is read straight from the old leader — with a GET queued
// in its socket while it was stopped and with one sent right after it
// resumed: each must return the new value or TRYAGAIN, never the old value.
func TestFaultPauseLeader(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		ctx := ctxT(t)
		fr := startFaultRun(t, c, round, c.addrs(), "")
		old := c.leader()
		key := fmt.Sprintf("r%d:stale", round)
		if err := old.client().Set(ctx, key, "old", 0).Err(); err != nil {
			t.Fatalf("SET on the leader: %v", err)
		}
		direct := func() *redis.Client {
			cl := redis.NewClient(&redis.Options{Addr: old.addr(), Protocol: 2, MaxRetries: -1, PoolSize: 1,
				ReadTimeout: 15 * time.Second, DisableIdentity: true})
			t.Cleanup(func() { cl.Close() })
			if err := cl.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING on the leader: %v", err)
			}
			return cl
		}
		queued, queuedPipe, after := direct(), direct(), direct()
		time.Sleep(1500 * time.Millisecond)

		lift := fr.fault(fmt.Sprintf("pause-leader(%s)", old.name()))
		old.pause()
		paused := time.Now()
		nl := leaderAmong(t, c, others(c, old), old)
		newAt := time.Now()
		nlc := nl.client2()
		for {
			err := nlc.Set(ctx, key, "new", 0).Err()
			if err == nil {
				break
			}
			if time.Since(paused) > 20*time.Second {
				t.Fatalf("SET on the new leader %s: %v", nl.name(), err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("new leader %s after %v; key overwritten after %v", nl.name(), newAt.Sub(paused).Round(time.Millisecond),
			time.Since(paused).Round(time.Millisecond))
		// Reads sent while the old leader is stopped wait in its socket.
		type read struct {
			what string
			val  string
			err  error
		}
		reads := make(chan read, 8)
		go func() {
			v, err := queued.Get(ctx, key).Result()
			reads <- read{"GET queued during the pause", v, err}
		}()
		go func() {
			cmds, _ := queuedPipe.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := 0; i < 3; i++ {
					p.Get(ctx, key)
				}
				return nil
			})
			for i, cmd := range cmds {
				v, err := cmd.(*redis.StringCmd).Result()
				reads <- read{fmt.Sprintf("pipelined GET %d queued during the pause", i), v, err}
			}
		}()
		if d := 3*time.Second - time.Since(paused); d > 0 {
			time.Sleep(d)
		}
		time.Sleep(100 * time.Millisecond) // let the queued reads reach the socket
		old.cont()
		v, err := after.Get(ctx, key).Result()
		lift()
		reads <- read{"GET right after SIGCONT", v, err}
		for i := 0; i < 5; i++ {
			r := <-reads
			switch {
			case r.err == nil && r.val == "new":
				t.Logf("%s on the old leader: %q", r.what, r.val)
			case r.err != nil && strings.HasPrefix(r.err.Error(), "TRYAGAIN"):
				t.Logf("%s on the old leader: %v", r.what, r.err)
			case r.err == nil:
				t.Errorf("%s on the deposed leader %s returned %q, want \"new\" or TRYAGAIN (stale read)", r.what, old.name(), r.val)
			default:
				t.Errorf("%s on the deposed leader %s: error %v, want \"new\" or TRYAGAIN", r.what, old.name(), r.err)
			}
		}
		// Once resumed, the old leader serves the new value (relayed or
		// as a follower of the new leader).
		oc := old.client2()
		deadline := time.Now().Add(15 * time.Second)
		for {
			v, err := oc.Get(ctx, key).Result()
			if err == nil && v == "new" {
				break
			}
			if err == nil || time.Now().After(deadline) {
				t.Fatalf("GET %s on %s after it resumed: %q, %v; want \"new\"", key, old.name(), v, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		settle()
		fr.finish()
	})
}

// TestFaultPartitions: isolate the leader for ~3s, heal; split 2|1 with the
// leader alone on the minority side, heal; split 2|1 with the leader in the
// majority, heal.
func TestFaultPartitions(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		fr := startFaultRun(t, c, round, c.addrs(), "")
		time.Sleep(1500 * time.Millisecond)

		l := c.leader()
		lift := fr.fault(fmt.Sprintf("isolate-leader(%s)", l.name()))
		c.net.Isolate(l.name())
		time.Sleep(3 * time.Second)
		c.net.Heal()
		lift()
		time.Sleep(2 * time.Second)

		l = c.leader()
		fs := others(c, l)
		lift = fr.fault(fmt.Sprintf("split-leader-minority(%v|%v)", names(l), names(fs...)))
		c.net.Partition(names(l), names(fs...))
		time.Sleep(3 * time.Second)
		c.net.Heal()
		lift()
		time.Sleep(2 * time.Second)

		l = c.leader()
		fs = others(c, l)
		lift = fr.fault(fmt.Sprintf("split-leader-majority(%v|%v)", names(l, fs[0]), names(fs[1])))
		c.net.Partition(names(l, fs[0]), names(fs[1]))
		time.Sleep(3 * time.Second)
		c.net.Heal()
		lift()
		settle()
		fr.finish()
	})
}

// TestFaultPartitionMembership: with one follower cut off, remove it from
// the configuration and add a fresh node; once healed, the removed node must
// not disrupt the cluster. One workload runs throughout on the two members
// that stay; a second starts once the new node has joined and includes it.
func TestFaultPartitionMembership(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		// Each round retires one node and adds one; the next round starts
		// from the three members left.
		ctx := ctxT(t)
		l := c.leader()
		// The victim is a follower that new nodes do not join through.
		var victim *node
		var stay []*node
		for _, n := range c.running() {
			if n != l && n != c.nodes[0] && victim == nil {
				victim = n
			} else {
				stay = append(stay, n)
			}
		}
		var stayAddrs []string
		for _, n := range stay {
			stayAddrs = append(stayAddrs, n.addr())
		}
		fr := startFaultRun(t, c, round, stayAddrs, "a:")
		time.Sleep(1500 * time.Millisecond)

		lift := fr.fault(fmt.Sprintf("isolate-follower(%s)", victim.name()))
		c.net.Isolate(victim.name())
		time.Sleep(1500 * time.Millisecond)
		if err := c.leader().client2().Do(ctx, "RAFT.NODE", "REMOVE", victim.name()).Err(); err != nil {
			t.Fatalf("RAFT.NODE REMOVE %s: %v\n%s", victim.name(), err, c.logs())
		}
		c.waitMembers(2)
		added := c.addNode(true)
		c.net.Isolate(victim.name()) // the cut predates the new node
		c.waitMembers(3)
		t.Logf("removed %s, added %s", victim.name(), added.name())
		waitCaughtUp(t, c, added)
		fr2 := startFaultRun(t, c, round, append(stayAddrs, added.addr()), "b:")
		time.Sleep(1500 * time.Millisecond)

		before := c.leader()
		term := before.raftInfo()["term"]
		c.net.Heal()
		lift()
		healed := time.Now()
		lift = fr.fault(fmt.Sprintf("reconnect-removed(%s)", victim.name()))
		time.Sleep(4 * time.Second)
		lift()
		after := c.leader()
		if after != before || after.raftInfo()["term"] != term {
			t.Errorf("the removed node disrupted the cluster: leader %s term %s before healing, %s term %s after",
				before.name(), term, after.name(), after.raftInfo()["term"])
		}
		if info := after.raftInfo(); info["num_voters"] != "3" || strings.Contains(fmt.Sprint(info), "id="+victim.name()+",") {
			t.Errorf("configuration after healing: %v", info)
		}
		series := fr.w.WriteSeries(100 * time.Millisecond)
		if gap := longestGap(series, 100*time.Millisecond, healed, healed.Add(4*time.Second)); gap > time.Second {
			t.Errorf("writes stalled for %v after the removed node was reconnected", gap)
		}
		// A removed node knows no leader it may serve for: it must not
		// acknowledge a write.
		err := victim.client2().Set(ctx, fmt.Sprintf("r%d:removed-write", round), "x", 0).Err()
		t.Logf("SET on the removed node %s: %v", victim.name(), err)
		if err == nil {
			if n, _ := after.client2().Exists(ctx, fmt.Sprintf("r%d:removed-write", round)).Result(); n == 0 {
				t.Errorf("the removed node acknowledged a SET that the cluster does not have")
			}
		}
		victim.kill()
		settle()
		fr2.w.Stop()
		fr.finish()
		fr2.finish()
	})
}

// running returns the nodes whose process is up.
func (c *cluster) running() []*node {
	var out []*node
	for _, n := range c.nodes {
		if n.running() {
			out = append(out, n)
		}
	}
	return out
}

// TestFaultRollingRestart: SIGTERM and restart every node in turn, the
// followers first and the leader last, under load.
func TestFaultRollingRestart(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		fr := startFaultRun(t, c, round, c.addrs(), "")
		time.Sleep(1500 * time.Millisecond)
		order := append(c.followers(), c.leader())
		for i, n := range order {
			role := "follower"
			if i == len(order)-1 {
				role = "leader"
			}
			lift := fr.fault(fmt.Sprintf("restart-%s(%s)", role, n.name()))
			n.stop()
			n.restart()
			lift()
			waitCaughtUp(t, c, n)
			time.Sleep(time.Second)
		}
		settle()
		fr.finish()
	})
}

// TestFaultFiveNodes: five nodes split 3|2 with the old leader in the
// minority, then in the majority; then two nodes (the leader and a
// follower) killed at once and restarted.
func TestFaultFiveNodes(t *testing.T) {
	c := startCluster(t, 5, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		fr := startFaultRun(t, c, round, c.addrs(), "")
		time.Sleep(1500 * time.Millisecond)

		l := c.leader()
		fs := others(c, l)
		minority, majority := names(l, fs[0]), names(fs[1:]...)
		lift := fr.fault(fmt.Sprintf("split-leader-minority(%v|%v)", minority, majority))
		c.net.Partition(minority, majority)
		time.Sleep(3 * time.Second)
		c.net.Heal()
		lift()
		time.Sleep(2 * time.Second)

		l = c.leader()
		fs = others(c, l)
		majority, minority = names(l, fs[0], fs[1]), names(fs[2:]...)
		lift = fr.fault(fmt.Sprintf("split-leader-majority(%v|%v)", majority, minority))
		c.net.Partition(majority, minority)
		time.Sleep(3 * time.Second)
		c.net.Heal()
		lift()
		time.Sleep(2 * time.Second)

		l = c.leader()
		f := others(c, l)[0]
		lift = fr.fault(fmt.Sprintf("kill-two(%s,%s)", l.name(), f.name()))
		l.kill()
		f.kill()
		killed := time.Now()
		awaitLeader(t, c.nodes, l, killed, 10*time.Second)
		// Three of five are up: writes must resume before the two return.
		for {
			if d, ok := fr.w.FirstSuccessAfter(killed); ok {
				t.Logf("first write %v after killing two of five", d.Round(time.Millisecond))
				break
			}
			if time.Since(killed) > 10*time.Second {
				t.Errorf("no write succeeded within 10s with three of five nodes up\n%s", c.logs())
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Until(killed.Add(2 * time.Second)))
		l.launch()
		f.launch()
		l.waitReady()
		f.waitReady()
		lift()
		settle()
		fr.finish()
	})
}
