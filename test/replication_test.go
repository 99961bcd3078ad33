package test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/rdb"
	"github.com/redis/go-redis/v9"
)

// A stock redis-server started with --replicaof pointing at a Geomys node
// loads the dataset from its RDB, then follows every later write.

// replicaFixture fills the node with every type, in two dbs, before a
// replica attaches.
func replicaFixture(t *testing.T, c *redis.Client, c1 *redis.Client) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "str", "hello", time.Hour).Err())
	must(c.Set(ctx, "num", "42", 0).Err())
	must(c.Set(ctx, "big", strings.Repeat("x", 5000), 0).Err())
	must(c.RPush(ctx, "list", "a", "b", "c", "1").Err())
	must(c.SAdd(ctx, "ints", 1, 2, 3).Err())
	must(c.SAdd(ctx, "set", "x", "y", "z", "w").Err())
	must(c.ZAdd(ctx, "zset", redis.Z{Score: 1.5, Member: "m"}, redis.Z{Score: -2, Member: "n"}).Err())
	must(c.HSet(ctx, "hash", "f", "v", "g", "w").Err())
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "1-1", Values: []string{"f", "v"}}).Err())
	must(c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", ID: "2-1", Values: []string{"g", "w"}}).Err())
	must(c.XGroupCreate(ctx, "stream", "grp", "0").Err())
	must(c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "grp", Consumer: "alice", Streams: []string{"stream", ">"}, Count: 1}).Err())
	must(c1.Set(ctx, "db1key", "one", 0).Err())
	must(c1.HSet(ctx, "db1hash", "a", "1").Err())
}

// replicaWrites are the writes made after the replica attached: a
// transaction, random effects (SPOP, a script), relative expiries, two dbs.
func replicaWrites(t *testing.T, c *redis.Client, c1 *redis.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "num")
		p.LPush(ctx, "list", "head")
		p.HSet(ctx, "hash", "h", "new")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		c.SPop(ctx, "set").Err(),
		c.Eval(ctx, "redis.call('srem', KEYS[1], redis.call('srandmember', KEYS[1])); return redis.call('incr', KEYS[2])", []string{"ints", "counter"}).Err(),
		c.Expire(ctx, "num", time.Hour).Err(),
		c.Set(ctx, "ex", "v", 0).Err(),
		c.PExpire(ctx, "ex", 90*time.Minute).Err(),
		c.ZIncrBy(ctx, "zset", 2, "n").Err(),
		c.XAdd(ctx, &redis.XAddArgs{Stream: "stream", Values: []string{"h", "x"}}).Err(),
		c.XAck(ctx, "stream", "grp", "1-1").Err(),
		c.Del(ctx, "big").Err(),
		c1.Set(ctx, "db1later", "two", 0).Err(),
		c1.Del(ctx, "db1key").Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// datasetOf renders every key of one db, its type, content and expiry, in a
// form that does not depend on the server's internal order.
func datasetOf(t *testing.T, c *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		typ := c.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "list":
			v = c.LRange(ctx, k, 0, -1).Val()
		case "set":
			m := c.SMembers(ctx, k).Val()
			sort.Strings(m)
			v = m
		case "zset":
			v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "hash":
			m := c.HGetAll(ctx, k).Val()
			v = fmt.Sprint(m) // fmt sorts map keys
		case "stream":
			groups := c.XInfoGroups(ctx, k).Val()
			pending := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k, Group: "grp", Start: "-", End: "+", Count: 100}).Val()
			for i := range pending {
				pending[i].Idle = 0
			}
			v = fmt.Sprint(c.XRange(ctx, k, "-", "+").Val(), groups, pending)
		}
		at := c.Do(ctx, "PEXPIRETIME", k).Val()
		fmt.Fprintf(&b, "%s %s %v expire=%v\n", k, typ, v, at)
	}
	return b.String()
}

// waitSame waits until the replica holds what the node holds, in dbs 0 and 1.
func waitSame(t *testing.T, node, replica string) {
	t.Helper()
	var want, got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		want, got = "", ""
		for db := 0; db < 2; db++ {
			n := redis.NewClient(&redis.Options{Addr: node, DB: db})
			r := redis.NewClient(&redis.Options{Addr: replica, DB: db})
			want += datasetOf(t, n)
			got += datasetOf(t, r)
			n.Close()
			r.Close()
		}
		if want == got && want != "" {
			return
		}
	}
	t.Fatalf("the replica did not converge\nnode:\n%s\nreplica:\n%s", want, got)
}

func replicaOf(t *testing.T, addr string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	return testutil.StartRedis(t, "--replicaof", host, port)
}

func TestRedisReplicaFollowsGeomys(t *testing.T) {
	n := startNode(t)
	c := n.client()
	c1 := redis.NewClient(&redis.Options{Addr: n.addr(), DB: 1})
	defer c1.Close()
	replicaFixture(t, c, c1)
	replica := replicaOf(t, n.addr())
	waitSame(t, n.addr(), replica)
	replicaWrites(t, c, c1)
	waitSame(t, n.addr(), replica)

	ctx := context.Background()
	info := c.Info(ctx, "replication").Val()
	if !strings.Contains(info, "connected_slaves:1") || !regexp.MustCompile(`slave0:ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+`).MatchString(info) {
		t.Fatalf("INFO replication does not list the replica:\n%s", info)
	}
	rc := redis.NewClient(&redis.Options{Addr: replica})
	defer rc.Close()
	if ri := rc.Info(ctx, "replication").Val(); !strings.Contains(ri, "master_link_status:up") {
		t.Fatalf("replica's INFO replication:\n%s", ri)
	}
	role := fmt.Sprint(c.Do(ctx, "ROLE").Val())
	if !strings.HasPrefix(role, "[master ") || !strings.Contains(role, "127.0.0.1") {
		t.Fatalf("ROLE = %s", role)
	}
}

// TestRedisReplicaOfFollower attaches the replica to a follower of a
// 3-node cluster: it applies the same log and streams the same writes.
func TestRedisReplicaOfFollower(t *testing.T) {
	cl := startCluster(t, 3)
	f := cl.followers()[0]
	c := f.client()
	c1 := redis.NewClient(&redis.Options{Addr: f.addr(), DB: 1})
	defer c1.Close()
	replicaFixture(t, c, c1)
	replica := replicaOf(t, f.addr())
	waitSame(t, f.addr(), replica)
	// Writes through the leader reach the follower's replica too.
	lc := cl.leader().client()
	lc1 := redis.NewClient(&redis.Options{Addr: cl.leader().addr(), DB: 1})
	defer lc1.Close()
	replicaWrites(t, lc, lc1)
	waitSame(t, f.addr(), replica)
	if info := c.Info(context.Background(), "replication").Val(); !strings.Contains(info, "connected_slaves:1") {
		t.Fatalf("the follower's INFO replication does not count its replica:\n%s", info)
	}
}

// replicaStream is a connection attached as a replica with PSYNC, as Redis'
// test suite's attach_to_replication_stream does: rdb is the file it got,
// readCmd reads the next command of the stream.
type replicaStream struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	rdb  []byte
}

func attachReplicaStream(t testing.TB, addr string) *replicaStream {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rs := &replicaStream{t: t, conn: conn, br: bufio.NewReader(conn)}
	fmt.Fprint(conn, "REPLCONF listening-port 1234\r\nPSYNC ? -1\r\n")
	if l := rs.line(); l != "+OK" {
		t.Fatalf("REPLCONF: %q", l)
	}
	if l := rs.line(); !regexp.MustCompile(`^\+FULLRESYNC [0-9a-f]{40} \d+$`).MatchString(l) {
		t.Fatalf("PSYNC: %q", l)
	}
	l := rs.line()
	size, err := strconv.Atoi(strings.TrimPrefix(l, "$"))
	if l[0] != '$' || err != nil {
		t.Fatalf("payload header %q", l)
	}
	rs.rdb = make([]byte, size)
	if _, err := io.ReadFull(rs.br, rs.rdb); err != nil {
		t.Fatal(err)
	}
	return rs
}

// line is the stream's next line, past the newlines sent as keepalives.
func (rs *replicaStream) line() string {
	rs.t.Helper()
	rs.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		l, err := rs.br.ReadString('\n')
		if err != nil {
			rs.t.Fatal(err)
		}
		if l != "\n" {
			return strings.TrimRight(l, "\r\n")
		}
	}
}

func (rs *replicaStream) readCmd() []string {
	rs.t.Helper()
	l := rs.line()
	if l[0] != '*' {
		rs.t.Fatalf("expected an array, got %q", l)
	}
	n, _ := strconv.Atoi(l[1:])
	out := make([]string, n)
	for i := range out {
		size, _ := strconv.Atoi(rs.line()[1:])
		b := make([]byte, size+2)
		io.ReadFull(rs.br, b)
		out[i] = string(b[:size])
	}
	return out
}

// TestSyncFraming reads the stream as Redis' test suite does: $<len>, an
// RDB file, then commands as RESP arrays, the first one a SELECT; PSYNC
// answers +FULLRESYNC; PINGs follow repl-ping-replica-period.
func TestSyncFraming(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	c.Set(ctx, "k", "v", 0)
	c.ConfigSet(ctx, "repl-ping-replica-period", "1")

	rs := attachReplicaStream(t, n.addr())
	keys := 0
	if rest, err := rdb.ReadFile(rs.rdb, func(r rdb.Record) error { keys++; return nil }); err != nil || len(rest) != 0 || keys != 1 || string(rs.rdb[:9]) != "REDIS0010" {
		t.Fatalf("RDB: %d keys, %d bytes after, err %v", keys, len(rest), err)
	}
	c.Set(ctx, "after", "1", 0)
	readCmd := rs.readCmd
	if got := fmt.Sprint(readCmd(), readCmd()); got != "[SELECT 0] [SET after 1]" {
		t.Fatalf("stream: %s", got)
	}
	if got := fmt.Sprint(readCmd()); got != "[PING]" {
		t.Fatalf("after a second of quiet: %s", got)
	}
	role := fmt.Sprint(c.Do(ctx, "ROLE").Val())
	if !strings.Contains(role, "[127.0.0.1 1234 0]") {
		t.Fatalf("ROLE = %s", role)
	}
}

// TestReplicaOutputLimit: a replica that does not read is disconnected at
// client-output-buffer-limit replica instead of growing memory.
func TestReplicaOutputLimit(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	if err := c.ConfigSet(ctx, "client-output-buffer-limit", "replica 1mb 0 0").Err(); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprint(conn, "SYNC\r\n")
	time.Sleep(200 * time.Millisecond)
	val := strings.Repeat("v", 64<<10)
	for i := 0; i < 200; i++ {
		c.Set(ctx, "k"+strconv.Itoa(i), val, 0)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if strings.Contains(c.Info(ctx, "replication").Val(), "connected_slaves:0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a replica that does not read was not disconnected")
		}
	}
}
