package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/redis/go-redis/v9"
)

// noopParityScript: writes that change nothing, among writes that do. Each
// line runs on Geomys and on redis-server with appendonly yes; a line that
// grows Redis' AOF must add a Raft entry on Geomys and one that does not
// must not (Redis does not propagate a write that changes nothing).
var noopParityScript = `
SETBIT b 7 1
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 7 0
SETBIT b 6 0
SETBIT b 100 0
SETBIT b 100 0
SETBIT b 100 1
SETBIT b 100 1
SETBIT nob 3 0
PFADD h a b c
PFADD h a
PFADD h c b a
PFADD h
PFADD h x
PFADD h x
PFADD h2
PFADD h2
` + denseHLLLines() + `
SADD s a b 1
SADD s a
SADD s a b 1
SADD s c
SADD s c a
SADD i 1 2 3
SADD i 3 2
SADD i 02
ZADD z 1 a 2 b
ZADD z 1 a
ZADD z 1 a 2 b
ZADD z NX 5 a
ZADD z XX 1 a
ZADD z XX 1 zz
ZADD z XX CH 1 a
ZADD z GT 0 a
ZADD z LT 5 a
ZADD z GT CH 0 a 2 b
ZADD z GT 3 a
ZADD z 2e0 b
ZADD z LT CH 3 a
ZADD z -0 zero
ZADD z 0 zero
ZADD z inf top
ZADD z +inf top
ZADD nozset XX 1 a
ZADD nozset XX CH 1 a 2 b
ZADD z CH 2 b 7 c
GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g 13.361389 38.115556 Palermo
GEOADD g NX 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g XX 13 38 nosuch
GEOADD g CH 15.087269 37.502669 Catania
GEOADD g XX CH 15 37 Catania
GEOADD nogeo XX 1 1 a
GEOADD g 1 1 other
SET k v
SET k w NX
SET k w NX PX 100
SET k w NX KEEPTTL
SET k w NX EXAT 1
SET nok w XX
SET nok w XX EX 10
SET k w XX
SET k2 v NX
SETNX k z
SETNX k3 z
HSET hh f v
HSETNX hh f x
HSETNX hh g x
HSETNX nohh f x
HDEL hh nof
HDEL nohh f
HDEL hh nof g
SREM s zz
SREM nos zz
SREM s zz a
ZREM z zz
ZREM noz zz
ZREM z zz zero
DEL nokey
DEL nokey nokey2
UNLINK nokey nokey2
DEL nokey k3
UNLINK nokey k2
LPUSHX nol a
RPUSHX nol a b
RPUSH l a
LPUSHX l b
RPUSHX l c
PERSIST nokey
PERSIST k
SET t v EX 100
EXPIRE t 50 NX
EXPIRE k 50 XX
EXPIRE k 50 GT
EXPIREAT nokey 1
PEXPIREAT nokey 1 NX
PEXPIRE nokey 100
EXPIRE nokey 100 GT
PEXPIRE k 100000 NX
PERSIST t
PERSIST t
`

// denseHLLLines builds an HLL big enough to be dense, then adds elements
// it already counted and one it did not.
func denseHLLLines() string {
	var b strings.Builder
	b.WriteString("PFADD hd")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, " e%d", i)
	}
	b.WriteString("\nPFADD hd e1 e7 e2999\nPFADD hd\nPFADD hd e1 x9 e3\nPFADD hd x9\n")
	return b.String()
}

// noopCompareScript adds what the parity script cannot hold (errors, which
// Geomys logs as any write, and cases where Geomys logs a write Redis does
// not propagate: a SETBIT that only unshares an integer string, ZADD INCR),
// reads that show the dataset, and the pipelined orderings: a no-op
// candidate right after a change of the same key on one connection.
var noopCompareScript = noopParityScript + `
GET b
OBJECT ENCODING b
SET n 12345
SETBIT n 0 0
OBJECT ENCODING n
SETBIT n 0 0
GETBIT n 0
SETBIT b 2 2
SETBIT b -1 1
SET str 1
PFADD str a
SADD str a
ZADD str 1 a
GEOADD str 1 1 a
PFCOUNT h
GET h
PFADD h a
GET h
ZADD z INCR 0 a
ZADD z NX XX 1 a
ZADD z GT LT 1 a
ZADD z NX GT 1 a
ZADD z 1 a 2
ZADD z nan a
ZADD z x a
ZADD z INCR 1 a 2 b
ZRANGE z 0 -1 WITHSCORES
GEOADD g 200 1 bad
GEOADD g x 1 bad
GEOADD g NX XX 1 1 bad
GEOADD g 1 1
GEOPOS g Palermo other
SCARD s
SMISMEMBER s a b c 1 zz
PFDEBUG ENCODING hd
DEL s
SADD s a
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 7 0
ZADD z 9 a
ZADD z 9 a
ZREM z a
ZADD z XX 9 a
PFADD h3 a
PFADD h3 a
EVAL "return redis.call('SADD', KEYS[1], 'a')" 1 s
EVAL "return redis.call('ZADD', KEYS[1], 9, 'a')" 1 z
MULTI
SADD s a
SETBIT b 7 0
EXEC
SET k x NX GET
SET nok x XX GET
SET k x NX EX 0
SET k x NX PX y
SET k x NX GET EX 10
EXPIRE k x
EXPIRE k 10 NX XX
EXPIRE k 10 FOO
EXPIRE k 9223372036854775807
PEXPIRE k 100 GT
TTL k
HDEL str f
ZREM str a
SREM str a
LPUSHX str a
HSETNX str f v
SETNX str v
DEL str nokey
SET e v PX 100000
DEL e
SETNX e v
`

// TestNoopWrites: writes that change nothing answer as Redis does, byte for
// byte, and add no Raft entry exactly where Redis propagates nothing.
func TestNoopWrites(t *testing.T) {
	n := startNode(t)
	t.Run("ReplicatedLikeRedis", func(t *testing.T) { testNoopParity(t, n) })
	t.Run("RepliesLikeRedis", func(t *testing.T) { compareWithRedis(t, n, noopCompareScript) })
	t.Run("PipelineOrder", func(t *testing.T) { testNoopPipelineOrder(t, n) })
	t.Run("WatchNotifyStats", func(t *testing.T) { testNoopWatchNotifyStats(t, n) })
}

func testNoopParity(t *testing.T, n *node) {
	ref := testutil.StartRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, ref, 2)
	ga, ra := n.client(), redis.NewClient(&redis.Options{Addr: ref})
	defer ra.Close()
	for _, c := range []*respConn{g, r} {
		if got := c.do("FLUSHALL"); got != "+OK\r\n" {
			t.Fatalf("FLUSHALL = %q", got)
		}
	}
	logIndex := func() int64 { return infoInt(t, ga, "raft", "last_index") }
	aofSize := func() int64 { return infoInt(t, ra, "persistence", "aof_current_size") }
	noops, changes := 0, 0
	for _, l := range strings.Split(noopParityScript, "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		args := splitArgs(t, l)
		a0, i0 := aofSize(), logIndex()
		want, got := r.do(args...), g.do(args...)
		propagated, logged := aofSize() > a0, logIndex() > i0
		name := quoteArgs(args)
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		if got != want {
			t.Errorf("%s\n   geomys: %q\n    redis: %q", name, got, want)
		}
		if propagated != logged {
			t.Errorf("%s: redis propagated %v, geomys added a log entry %v", name, propagated, logged)
		}
		if propagated {
			changes++
		} else {
			noops++
		}
	}
	if noops < 30 || changes < 15 {
		t.Errorf("the script has %d no-ops and %d changes: it no longer tests both", noops, changes)
	}
	t.Logf("%d no-ops, %d changes", noops, changes)
}

// testNoopPipelineOrder: in one pipeline, a write and then a no-op
// candidate on the same key: the check must see the write.
func testNoopPipelineOrder(t *testing.T, n *node) {
	c := n.client()
	ctx := ctxT(t)
	c.SAdd(ctx, "s", "a")
	c.SetBit(ctx, "b", 7, 1)
	payload := encodeCmd("DEL", "s") + encodeCmd("SADD", "s", "a") + encodeCmd("SADD", "s", "a") +
		encodeCmd("SETBIT", "b", "7", "0") + encodeCmd("SETBIT", "b", "7", "1") + encodeCmd("SETBIT", "b", "7", "1") +
		encodeCmd("ZADD", "z", "1", "m") + encodeCmd("ZADD", "z", "1", "m") + encodeCmd("ZADD", "z", "2", "m")
	want := ":1\r\n:1\r\n:0\r\n:1\r\n:0\r\n:1\r\n:1\r\n:0\r\n:0\r\n"
	if got := n.raw(t, payload, 500*time.Millisecond); got != want {
		t.Errorf("pipeline replies %q, want %q", got, want)
	}
	if s, _ := c.ZScore(ctx, "z", "m").Result(); s != 2 {
		t.Errorf("ZSCORE z m = %v after the pipeline, want 2", s)
	}
}

// testNoopWatchNotifyStats: a no-op does not invalidate a WATCH, publish a
// keyspace event or count a keyspace hit or miss; it is counted in
// commandstats. A change does the first two.
func testNoopWatchNotifyStats(t *testing.T, n *node) {
	ctx := ctxT(t)
	c, other := n.client(), n.client2()
	c.SAdd(ctx, "s", "a")
	c.ConfigSet(ctx, "notify-keyspace-events", "KA")
	defer c.ConfigSet(ctx, "notify-keyspace-events", "")
	sub := other.Subscribe(ctx, "__keyspace@0__:s")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	c.ConfigResetStat(ctx)

	watchThen := func(write func()) bool {
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			write()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "x", "1", 0)
				return nil
			})
			return err
		}, "s")
		if err != nil && err != redis.TxFailedErr {
			t.Fatal(err)
		}
		return err == nil
	}
	w := n.client()
	if !watchThen(func() { w.SAdd(ctx, "s", "a") }) {
		t.Error("EXEC failed after a SADD that changed nothing")
	}
	if watchThen(func() { w.SAdd(ctx, "s", "b") }) {
		t.Error("EXEC succeeded after a SADD that added a member")
	}
	msg, err := sub.ReceiveTimeout(ctx, 2*time.Second)
	if m, ok := msg.(*redis.Message); err != nil || !ok || m.Payload != "sadd" {
		t.Errorf("first keyspace event %v (%v), want the second SADD's", msg, err)
	}

	info := infoFields(t, c)
	if info["keyspace_hits"] != "0" || info["keyspace_misses"] != "0" {
		t.Errorf("keyspace hits %s misses %s after writes only, want 0 0", info["keyspace_hits"], info["keyspace_misses"])
	}
	if s := info["cmdstat_sadd"]; !strings.HasPrefix(s, "calls=2,") {
		t.Errorf("cmdstat_sadd %q, want calls=2", s)
	}
}

// TestNoopCluster: on three nodes, writes sent to the leader and to a
// follower (which relays them) answer as redis-server does, every node
// ends with the same data, and no-ops relayed by the follower add no entry.
func TestNoopCluster(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.leader()
	follower := c.followers()[0]
	ref := dialRESP(t, startRedis(t), 2)
	conns := []*respConn{dialRESP(t, leader.addr(), 2), dialRESP(t, follower.addr(), 2)}
	for i := 0; i < 120; i++ {
		var args []string
		switch i % 8 {
		case 0:
			args = []string{"SADD", "s", fmt.Sprint("m", i%5)}
		case 1:
			args = []string{"SETBIT", "b", fmt.Sprint(i % 16), fmt.Sprint(i / 16 % 2)}
		case 2:
			args = []string{"PFADD", "h", fmt.Sprint("e", i%7)}
		case 3:
			args = []string{"ZADD", "z", fmt.Sprint(i / 40), fmt.Sprint("m", i%4)}
		case 4:
			args = []string{"GEOADD", "g", "13.361389", "38.115556", fmt.Sprint("p", i%3)}
		case 5:
			args = []string{"SET", "lock", fmt.Sprint(i), "NX", "PX", "100000"}
		case 6:
			args = []string{"SREM", "s", fmt.Sprint("m", i%7)}
		default:
			args = []string{"DEL", fmt.Sprint("k", i%3)}
			if i%3 == 0 {
				args = []string{"SET", "k0", "v"}
			}
		}
		want, got := ref.do(args...), conns[i/3%2].do(args...)
		if got != want {
			t.Errorf("#%d %s: %q, redis %q", i, quoteArgs(args), got, want)
		}
	}
	c.waitConverged()

	// Pipelined no-ops through the follower: relayed, answered by the
	// leader's checks, no entry.
	before := leader.raftInfo()["last_index"]
	payload := encodeCmd("SADD", "s", "m1") + encodeCmd("SET", "lock", "x", "NX") + encodeCmd("DEL", "nokey") +
		encodeCmd("ZADD", "z", "2", "m3") + encodeCmd("SETBIT", "b", "1", "1")
	if got, want := follower.raw(t, payload, time.Second), ":0\r\n$-1\r\n:0\r\n:0\r\n:1\r\n"; got != want {
		t.Errorf("no-ops through the follower: %q, want %q", got, want)
	}
	if after := leader.raftInfo()["last_index"]; after != before {
		t.Errorf("no-ops through the follower moved the leader's last index %s -> %s", before, after)
	}
	if got := conns[1].do("SADD", "s", "new"); got != ":1\r\n" {
		t.Errorf("SADD of a new member through the follower: %q", got)
	}
	c.waitConverged()
}
