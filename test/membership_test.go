package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writeLoad INCRs a set of counters through every node until stopped and
// remembers how many INCRs were acknowledged per key, and how many had an
// unknown outcome, so a test can check that none was lost or doubled.
type writeLoad struct {
	acked, unsure sync.Map // key -> *atomic.Int64
	stop          chan struct{}
	wg            sync.WaitGroup
	ok            atomic.Int64
}

func startWriteLoad(t *testing.T, addrs func() []string, clients int) *writeLoad {
	w := &writeLoad{stop: make(chan struct{})}
	for i := 0; i < clients; i++ {
		w.wg.Add(1)
		go func(i int) {
			defer w.wg.Done()
			key := fmt.Sprintf("load:%d", i)
			a, _ := w.acked.LoadOrStore(key, new(atomic.Int64))
			u, _ := w.unsure.LoadOrStore(key, new(atomic.Int64))
			for n := i; ; n++ {
				select {
				case <-w.stop:
					return
				default:
				}
				list := addrs()
				cl := redis.NewClient(&redis.Options{Addr: list[n%len(list)], MaxRetries: -1, DialTimeout: time.Second,
					ReadTimeout: 7 * time.Second, Protocol: 2})
				for j := 0; j < 50; j++ {
					err := cl.Incr(context.Background(), key).Err()
					switch {
					case err == nil:
						a.(*atomic.Int64).Add(1)
						w.ok.Add(1)
						continue
					case strings.HasPrefix(err.Error(), "TRYAGAIN"):
					default:
						u.(*atomic.Int64).Add(1) // UNCERTAIN, timeout, connection lost
					}
					time.Sleep(20 * time.Millisecond)
					break
				}
				cl.Close()
			}
		}(i)
	}
	return w
}

// finish stops the load and checks every counter on the given node: at
// least the acknowledged INCRs, at most those plus the uncertain ones.
func (w *writeLoad) finish(t *testing.T, n *node) {
	t.Helper()
	close(w.stop)
	w.wg.Wait()
	ctx := ctxT(t)
	cl := n.client()
	w.acked.Range(func(k, v any) bool {
		acked := v.(*atomic.Int64).Load()
		u, _ := w.unsure.Load(k)
		unsure := u.(*atomic.Int64).Load()
		got, err := cl.Get(ctx, k.(string)).Int64()
		if err != nil && err != redis.Nil {
			t.Errorf("GET %s: %v", k, err)
			return true
		}
		if got < acked || got > acked+unsure {
			t.Errorf("%s = %d, acknowledged %d INCRs (+%d uncertain): a write was lost or applied twice", k, got, acked, unsure)
		}
		return true
	})
	if w.ok.Load() == 0 {
		t.Error("no write succeeded during the test")
	}
}

// TestClusterMembership: a node added under write load catches up; a removed
// node leaves the configuration and the member map; a node whose disk was
// lost is removed and joins again empty, catching up by snapshot install
// because the log it would need was compacted away.
func TestClusterMembership(t *testing.T) {
	c := startCluster(t, 3, "--raft-trailing-logs", "64")
	var mu sync.Mutex
	members := []*node{c.nodes[0], c.nodes[1], c.nodes[2]}
	addrs := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, n := range members {
			out = append(out, n.addr())
		}
		return out
	}
	load := startWriteLoad(t, addrs, 6)
	time.Sleep(500 * time.Millisecond)

	// Add a fourth node under load, through a follower.
	n4 := c.addNode(true)
	c.waitMembers(4)
	mu.Lock()
	members = append(members, n4)
	mu.Unlock()
	// The leader counts the new voter once the change is in its log; the
	// new node learns it when that entry reaches it.
	var info map[string]string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if info = n4.raftInfo(); info["leader_id"] != "" && info["num_voters"] == "4" {
			break
		}
	}
	if info["leader_id"] == "" || info["num_voters"] != "4" {
		t.Fatalf("new node's RAFT.INFO: %v", info)
	}

	// Remove a follower (asked on another follower, relayed to the leader).
	fs := c.followers()
	gone, asker := fs[0], fs[1]
	mu.Lock()
	members = []*node{}
	for _, n := range c.nodes {
		if n != gone {
			members = append(members, n)
		}
	}
	mu.Unlock()
	ctx := ctxT(t)
	if err := asker.client().Do(ctx, "RAFT.NODE", "REMOVE", gone.name()).Err(); err != nil {
		t.Fatalf("RAFT.NODE REMOVE: %v", err)
	}
	c.waitMembers(3)
	gone.kill()
	if info := c.leader().raftInfo(); strings.Contains(fmt.Sprint(info), "id="+gone.name()+",") {
		t.Fatalf("removed node still listed: %v", info)
	}

	// Lose a node's disk: remove it, wipe it, let it join again.
	c.leader().client().Do(ctx, "RAFT.SNAPSHOT")
	lost := c.followers()[0]
	lost.kill()
	if err := c.leader().client().Do(ctx, "RAFT.NODE", "REMOVE", lost.name()).Err(); err != nil {
		t.Fatalf("RAFT.NODE REMOVE of a dead node: %v", err)
	}
	c.waitMembers(2)
	time.Sleep(time.Second) // more writes, so the log moves past the snapshot
	if err := c.leader().client().Do(ctx, "RAFT.SNAPSHOT").Err(); err != nil {
		t.Fatalf("RAFT.SNAPSHOT: %v", err)
	}
	lost.dir = t.TempDir()
	lost.start()
	c.waitMembers(3)
	if !strings.Contains(lost.log.String(), "restored snapshot") {
		t.Errorf("the wiped node caught up without a snapshot install:\n%s", lost.log.String())
	}

	time.Sleep(500 * time.Millisecond)
	load.finish(t, c.leader())
	c.waitConverged()
}

// TestClusterScript: scripts/cluster.sh starts a working 3-node cluster,
// reports it, stops it cleanly and restarts it on its data.
func TestClusterScript(t *testing.T) {
	base := 0
	for try := 0; try < 20 && base == 0; try++ {
		p := freePort(t)
		if p+2+10000 > 65535 {
			continue
		}
		free := true
		for i := 0; i < 3 && free; i++ {
			for _, port := range []int{p + i, p + i + 10000} {
				ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
				if err != nil {
					free = false
					break
				}
				ln.Close()
			}
		}
		if free {
			base = p
		}
	}
	if base == 0 {
		t.Fatal("no run of free ports for the script")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command("../scripts/cluster.sh", args...)
		cmd.Env = append(os.Environ(), "BASE_PORT="+strconv.Itoa(base), "DATA_DIR="+dir, "GEOMYS="+geomysBin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cluster.sh %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { run("stop") })
	out := run("start", "3")
	if strings.Count(out, "role=leader") != 1 || strings.Count(out, "role=follower") != 2 {
		t.Fatalf("start output:\n%s", out)
	}
	ctx := ctxT(t)
	at := func(i int) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(base+i)})
		t.Cleanup(func() { c.Close() })
		return c
	}
	if err := at(1).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := at(2).Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("GET on node 2 = %q", got)
	}
	if out := run("stop"); strings.Count(out, "stopped") != 3 {
		t.Fatalf("stop output:\n%s", out)
	}
	run("start", "3")
	if got := at(0).Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("after restart GET = %q", got)
	}
}

// TestClusterSevenNodesLoseThree: seven nodes keep serving after losing
// three of them (the leader among them) with every acknowledged write
// intact; after a fourth loss no write is acknowledged.
func TestClusterSevenNodesLoseThree(t *testing.T) {
	c := startCluster(t, 7, "--request-timeout", "2s")
	ctx := ctxT(t)
	leader := c.leader()
	if err := leader.client().Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	victims := []*node{leader}
	for _, n := range c.followers() {
		if len(victims) < 3 {
			victims = append(victims, n)
		}
	}
	for _, v := range victims {
		v.kill()
	}
	var alive []*node
	for _, n := range c.nodes {
		if n.running() {
			alive = append(alive, n)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := alive[0].client().Set(ctx, "after", "2", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("4 of 7 nodes could not write: %v\n%s", err, c.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, n := range alive {
		if got := n.client().MGet(ctx, "before", "after").Val(); fmt.Sprint(got) != "[1 2]" {
			t.Fatalf("%s reads %v", n.name(), got)
		}
	}
	// A fourth loss leaves no majority: writes fail, never succeed.
	alive[0].kill()
	if err := alive[1].client().Set(ctx, "nomajority", "x", 0).Err(); err == nil {
		t.Fatal("3 of 7 nodes acknowledged a write")
	}
	for _, v := range append(victims, alive[0]) {
		v.launch()
	}
	c.waitConverged()
	if n, _ := c.leader().client().Exists(ctx, "before", "after").Result(); n != 2 {
		t.Fatalf("after restarting everyone, %d of 2 acknowledged keys remain", n)
	}
}

// TestClusterElectionTimeoutFlag: --raft-election-timeout shortens failover;
// the time from killing the leader to the first acknowledged write is logged.
func TestClusterElectionTimeoutFlag(t *testing.T) {
	c := startCluster(t, 3, "--raft-election-timeout", "300ms", "--request-timeout", "1s")
	ctx := ctxT(t)
	leader := c.leader()
	survivor := c.followers()[0]
	if err := survivor.client().Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	leader.kill()
	killed := time.Now()
	cl := redis.NewClient(&redis.Options{Addr: survivor.addr(), MaxRetries: -1, ReadTimeout: 3 * time.Second})
	defer cl.Close()
	for {
		if err := cl.Set(ctx, "k", "after", 0).Err(); err == nil {
			break
		}
		if time.Since(killed) > 15*time.Second {
			t.Fatalf("no write within 15s of killing the leader\n%s", c.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("first acknowledged write %v after killing the leader (election timeout 300ms)", time.Since(killed).Round(time.Millisecond))
	if got := cl.Get(ctx, "k").Val(); got != "after" {
		t.Fatalf("GET = %q", got)
	}
	out, _ := exec.Command(geomysBin, "--raft-election-timeout", "1ms").CombinedOutput()
	if !strings.Contains(string(out), "--raft-election-timeout must be at least 50ms") {
		t.Fatalf("a 1ms election timeout was accepted: %s", out)
	}
}
