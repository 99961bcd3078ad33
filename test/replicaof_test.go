package test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/redis/go-redis/v9"
)

// REPLICAOF makes a Geomys node (or cluster) a replica of a stock
// redis-server: it loads the master's data, follows its writes, refuses its
// own clients' writes with READONLY, and REPLICAOF NO ONE makes it a
// writable master again with the data kept.

// redisMaster starts a redis-server to replicate, filled with every type in
// two dbs; diskless says how it sends its RDB (EOF-marked or with a length).
func redisMaster(t *testing.T, diskless bool) (addr string, c, c1 *redis.Client) {
	t.Helper()
	yes := map[bool]string{true: "yes", false: "no"}[diskless]
	addr = testutil.StartRedis(t, "--repl-diskless-sync", yes, "--repl-diskless-sync-delay", "0")
	c = redis.NewClient(&redis.Options{Addr: addr})
	c1 = redis.NewClient(&redis.Options{Addr: addr, DB: 1})
	t.Cleanup(func() { c.Close(); c1.Close() })
	replicaFixture(t, c, c1)
	return addr, c, c1
}

// replicaOfCmd sends REPLICAOF host port for addr to the node at at.
func replicaOfCmd(t *testing.T, at *redis.Client, addr string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	s, err := at.Do(context.Background(), "REPLICAOF", host, port).Text()
	if err != nil {
		t.Fatalf("REPLICAOF: %v", err)
	}
	return s
}

func wantReadOnly(t *testing.T, err error) {
	t.Helper()
	if err == nil || err.Error() != "READONLY You can't write against a read only replica." {
		t.Fatalf("a write on the replica: err = %v, want READONLY", err)
	}
}

func TestReplicaOfRedisMaster(t *testing.T) {
	master, mc, mc1 := redisMaster(t, true)
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	if err := c.Set(ctx, "local", "gone after the sync", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if s := replicaOfCmd(t, c, master); s != "OK" {
		t.Fatalf("REPLICAOF = %q", s)
	}
	if s := replicaOfCmd(t, c, master); s != "OK Already connected to specified master" {
		t.Fatalf("REPLICAOF again = %q", s)
	}
	waitSame(t, master, n.addr())
	if n, _ := c.Exists(ctx, "local").Result(); n != 0 {
		t.Fatal("the key written before REPLICAOF survived the full sync")
	}

	info := c.Info(ctx, "replication").Val()
	_, port, _ := net.SplitHostPort(master)
	for _, want := range []string{"role:slave", "master_host:127.0.0.1", "master_port:" + port, "master_link_status:up", "slave_read_only:1"} {
		if !strings.Contains(info, want+"\r\n") {
			t.Fatalf("INFO replication lacks %s:\n%s", want, info)
		}
	}
	if role := fmt.Sprint(c.Do(ctx, "ROLE").Val()); !strings.HasPrefix(role, "[slave 127.0.0.1 "+port+" connected ") {
		t.Fatalf("ROLE = %s", role)
	}

	// Client writes are refused, reads served; the master's writes stream.
	wantReadOnly(t, c.Set(ctx, "x", "1", 0).Err())
	if err := c.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"x"}).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY You can't write against a read only replica. script: ") {
		t.Fatalf("a script's write on the replica: err = %v", err)
	}
	replicaWrites(t, mc, mc1)
	waitSame(t, master, n.addr())
	for i := 0; i < 200; i++ {
		if err := mc.RPush(ctx, "burst", i).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The link's REPLCONF ACKs count Geomys as a replica that has them.
	if n, err := mc.Do(ctx, "WAIT", "1", "5000").Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}
	waitSame(t, master, n.addr())

	// REPLICAOF NO ONE: writable again, data kept, the master no longer followed.
	if s, err := c.Do(ctx, "REPLICAOF", "NO", "ONE").Text(); err != nil || s != "OK" {
		t.Fatalf("REPLICAOF NO ONE = %q, %v", s, err)
	}
	if err := c.Set(ctx, "x", "1", 0).Err(); err != nil {
		t.Fatalf("a write after REPLICAOF NO ONE: %v", err)
	}
	if v := c.LLen(ctx, "burst").Val(); v != 200 {
		t.Fatalf("LLEN burst = %d after NO ONE, want 200", v)
	}
	mc.Set(ctx, "after", "1", 0)
	time.Sleep(300 * time.Millisecond)
	if n, _ := c.Exists(ctx, "after").Result(); n != 0 {
		t.Fatal("a master write after REPLICAOF NO ONE reached the node")
	}
	if info := c.Info(ctx, "replication").Val(); !strings.Contains(info, "role:master\r\n") {
		t.Fatalf("INFO replication after NO ONE:\n%s", info)
	}
}

// TestReplicaOfReplies compares REPLICAOF and the read-only replica's
// replies with redis-server's, the master being unreachable (link down).
func TestReplicaOfReplies(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, `
SET k v
REPLICAOF 127.0.0.1 1
REPLICAOF 127.0.0.1 1
SLAVEOF 127.0.0.1 1
REPLICAOF 127.0.0.1 01
REPLICAOF 127.0.0.1 70000
REPLICAOF 127.0.0.1 -1
REPLICAOF 127.0.0.1 abc
GET k
SET k v2
DEL k
INCR n
FLUSHALL
PFCOUNT h
EVAL "return redis.call('set','k','x')" 0
EVAL "return redis.call('get','k')" 0
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('get','k')" 0
EVAL_RO "return redis.call('get','k')" 0
FUNCTION LOAD "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
MULTI
SET k v3
GET k
EXEC
MULTI
GET k
EXEC
MULTI
REPLICAOF NO ONE
SET k v4
EXEC
GET k
MULTI
SET a 1
REPLICAOF 127.0.0.1 1
SET b 1
EXEC
SET c 1
MGET a b k
REPLICAOF no one
SET c 1
`)
}

// TestReplicaOfExecAbort: a transaction queued before the node became a
// replica is refused at EXEC, as Redis refuses it.
func TestReplicaOfExecAbort(t *testing.T) {
	n := startNode(t)
	rc := dialRESP(t, n.addr(), 2)
	rc.do("MULTI")
	rc.do("SET", "k", "v")
	if got := n.client().Do(context.Background(), "REPLICAOF", "127.0.0.1", "1").Val(); got != "OK" {
		t.Fatalf("REPLICAOF = %v", got)
	}
	if got := rc.do("EXEC"); got != "-EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica.\r\n" {
		t.Fatalf("EXEC = %q", got)
	}
	// The master cannot be reached: a replica all the same, link down.
	time.Sleep(300 * time.Millisecond)
	info := n.client().Info(context.Background(), "replication").Val()
	for _, want := range []string{"role:slave", "master_host:127.0.0.1", "master_port:1", "master_link_status:down", "master_sync_in_progress:0"} {
		if !strings.Contains(info, want+"\r\n") {
			t.Fatalf("INFO replication lacks %s:\n%s", want, info)
		}
	}
	if role := fmt.Sprint(n.client().Do(context.Background(), "ROLE").Val()); role != "[slave 127.0.0.1 1 connect -1]" {
		t.Fatalf("ROLE = %s", role)
	}
	if got := rc.do("REPLICAOF", "NO", "ONE"); got != "+OK\r\n" {
		t.Fatalf("REPLICAOF NO ONE = %q", got)
	}
}

// TestReplicaOfRedisMasterCluster: the whole cluster follows the master
// (followers apply what the leader's link loads and refuse writes too), and
// a new leader resumes the link.
func TestReplicaOfRedisMasterCluster(t *testing.T) {
	master, mc, mc1 := redisMaster(t, false)
	cl := startCluster(t, 3)
	leader := cl.leader()
	lc := leader.client()
	ctx := context.Background()
	// Sent to a follower, it is relayed to the leader.
	if s := replicaOfCmd(t, cl.followers()[0].client(), master); s != "OK" {
		t.Fatalf("REPLICAOF = %q", s)
	}
	if s := replicaOfCmd(t, lc, master); s != "OK Already connected to specified master" {
		t.Fatalf("REPLICAOF on the leader = %q", s)
	}
	waitSame(t, master, leader.addr())
	replicaWrites(t, mc, mc1)
	waitSame(t, master, leader.addr())
	cl.waitConverged()
	for _, f := range cl.followers() {
		fc := f.client()
		wantReadOnly(t, fc.Set(ctx, "x", "1", 0).Err())
		if info := fc.Info(ctx, "replication").Val(); !strings.Contains(info, "role:slave\r\n") || !strings.Contains(info, "master_host:127.0.0.1\r\n") {
			t.Fatalf("a follower's INFO replication:\n%s", info)
		}
	}

	// The leader goes: the new one runs the link (a full resync).
	leader.kill()
	var next *node
	for deadline := time.Now().Add(20 * time.Second); next == nil || next == leader; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no new leader")
		}
		next = cl.leader()
	}
	if err := mc.Set(ctx, "after-failover", "yes", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitSame(t, master, next.addr())
	if v := next.client().Get(ctx, "after-failover").Val(); v != "yes" {
		t.Fatalf("after-failover = %q on the new leader", v)
	}
	cl.waitConverged()
	if s, err := next.client().Do(ctx, "REPLICAOF", "NO", "ONE").Text(); err != nil || s != "OK" {
		t.Fatalf("REPLICAOF NO ONE = %q, %v", s, err)
	}
	if err := next.client().Set(ctx, "x", "1", 0).Err(); err != nil {
		t.Fatalf("a write after REPLICAOF NO ONE: %v", err)
	}
}
