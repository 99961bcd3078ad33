package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/redis/go-redis/v9"
)

// TestDebug covers the DEBUG subcommands Redis's own test suite relies on.
func TestDebug(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CompareWithRedis", testDebugCompare},
		nodeTest{"Push", testDebugPush},
		nodeTest{"Reload", testDebugReload},
		nodeTest{"ActiveExpireOff", testDebugActiveExpireOff},
	)
}

// debugScript builds a value of every type and encoding (the big ones in
// their hashtable/skiplist/quicklist forms), with and without TTLs and in
// two databases, and compares DEBUG DIGEST and DIGEST-VALUE with Redis's,
// then the replies of the other subcommands.
const debugScript = `
SET s hello
SET n 12345
SET e v PXAT 99999999999999
RPUSH l a b 1 2 c
EVAL "for i=1,1000 do redis.call('rpush', KEYS[1], 'element-'..i) end" 1 ql
SADD si 1 2 3 -7
SADD ss a b c
EVAL "for i=1,300 do redis.call('sadd', KEYS[1], 'm'..i) end" 1 sbig
ZADD z 1 a 2.5 b 0.1 c -inf d 1e300 e
EVAL "for i=1,300 do redis.call('zadd', KEYS[1], i/3, 'm'..i) end" 1 zbig
HSET h f v g w
EVAL "for i=1,300 do redis.call('hset', KEYS[1], 'f'..i, 'v'..i) end" 1 hbig
XADD x 1-1 a b c d
XADD x 2-5 e f
XGROUP CREATE x g 0
XADD xe MAXLEN 0 5-1 a b
PFADD hll a b c
SET ex v EX 1000
HSET hx a b
PEXPIRE hx 100000
DEBUG DIGEST-VALUE s n e l ql si ss sbig z zbig h hbig x xe hll ex hx nosuch
DEBUG DIGEST-VALUE
DEBUG DIGEST
SELECT 3
SET s other
LPUSH l3 x
DEBUG DIGEST
DEBUG DIGEST-VALUE s
SELECT 0
DEBUG RELOAD
DEBUG DIGEST
DEBUG DIGEST-VALUE s n e l ql si ss sbig z zbig h hbig x xe hll ex hx
TTL ex
XINFO GROUPS x
OBJECT ENCODING si
DEBUG RELOAD NOSAVE NOFLUSH MERGE
DEBUG DIGEST
DEBUG RELOAD BADOPT
DEBUG RELOAD NOSAVE BADOPT
DEBUG PROTOCOL string
DEBUG PROTOCOL integer
DEBUG PROTOCOL double
DEBUG PROTOCOL bignum
DEBUG PROTOCOL null
DEBUG PROTOCOL array
DEBUG PROTOCOL set
DEBUG PROTOCOL map
DEBUG PROTOCOL attrib
DEBUG PROTOCOL verbatim
DEBUG PROTOCOL true
DEBUG PROTOCOL FALSE
DEBUG PROTOCOL nosuch
DEBUG PROTOCOL
DEBUG QUICKLIST-PACKED-THRESHOLD 1b
DEBUG QUICKLIST-PACKED-THRESHOLD 100b
DEBUG QUICKLIST-PACKED-THRESHOLD 0
DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
DEBUG QUICKLIST-PACKED-THRESHOLD abc
DEBUG SET-ACTIVE-EXPIRE 1
DEBUG PAUSE-CRON 0
DEBUG SET-DISABLE-DENY-SCRIPTS 0
DEBUG SET-SKIP-CHECKSUM-VALIDATION 0
DEBUG REPLYBUFFER RESIZING 1
DEBUG REPLYBUFFER RESIZING abc
DEBUG REPLYBUFFER RESIZING 1x
DEBUG REPLYBUFFER PEAK-RESET-TIME never
DEBUG REPLYBUFFER PEAK-RESET-TIME reset
DEBUG REPLYBUFFER PEAK-RESET-TIME 100
DEBUG REPLYBUFFER PEAK-RESET-TIME soon
DEBUG REPLYBUFFER PEAK-RESET-TIME -5
DEBUG REPLYBUFFER nosuch 1
DEBUG CHANGE-REPL-ID
DEBUG SLEEP 0
DEBUG ERROR "custom error\r\nline"
DEBUG QUICKLIST ql
DEBUG QUICKLIST s
DEBUG LISTPACK l
DEBUG QUICKLIST l
DEBUG LISTPACK s
DEBUG LISTPACK nosuch
DEBUG POPULATE 5
DEBUG POPULATE 3 pre 10
DEBUG POPULATE 2 short 3
DEBUG POPULATE -1
DEBUG POPULATE x
GET key:4
GET pre:2
GET short:1
DEBUG DIGEST
DEBUG NOSUCH
DEBUG SLEEP
EVAL "return redis.call('debug', 'protocol', 'bignum')" 0
DEBUG SET-DISABLE-DENY-SCRIPTS 1
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'bignum')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'map')" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'verbatim')" 0
EVAL "return redis.call('debug', 'protocol', 'double')" 0
EVAL "return redis.call('debug', 'protocol', 'set')" 0
EVAL "return {big_number='123\\r\\n123'}" 0
EVAL "redis.setresp(3); return redis.call('debug', 'protocol', 'attrib')" 0
EVAL "redis.call('set', 'k', 'v', 'px', 1); redis.call('debug', 'sleep', 0.01); return redis.call('exists', 'k')" 0
EXISTS k
DEBUG SET-DISABLE-DENY-SCRIPTS 0
EVAL "return redis.call('debug', 'protocol', 'set')" 0
`

func testDebugCompare(t *testing.T, n *node) { compareWithRedis(t, n, debugScript) }

// testDebugPush: RESP3 gets the push and then a real reply; RESP2 an error.
func testDebugPush(t *testing.T, n *node) {
	ref := startRedisDebug(t)
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		for _, c := range []*respConn{g, r} {
			c.send("DEBUG", "PROTOCOL", "push")
		}
		replies := 1
		if proto == 3 {
			replies = 2
		}
		for i := 0; i < replies; i++ {
			got, err1 := g.read(5 * time.Second)
			want, err2 := r.read(5 * time.Second)
			if err1 != nil || err2 != nil || got != want {
				t.Errorf("RESP%d DEBUG PROTOCOL push reply %d: geomys %q (%v), redis %q (%v)", proto, i, got, err1, want, err2)
			}
		}
	}
}

// testDebugReload: RELOAD and LOADAOF keep the data (same DEBUG DIGEST and
// RAFT.DIGEST), and the node restarts with it.
func testDebugReload(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	fillDebugData(t, c)
	d0, r0 := c.Do(ctx, "debug", "digest").Text()
	raft0, _ := c.Do(ctx, "raft.digest").Text()
	if r0 != nil || d0 == strings.Repeat("0", 40) {
		t.Fatalf("DEBUG DIGEST = %q, %v", d0, r0)
	}
	for _, cmd := range [][]any{{"debug", "reload"}, {"debug", "loadaof"}, {"debug", "reload", "noflush", "merge"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		d, _ := c.Do(ctx, "debug", "digest").Text()
		rd, _ := c.Do(ctx, "raft.digest").Text()
		if d != d0 || rd != raft0 {
			t.Errorf("after %v: DEBUG DIGEST %s (was %s), RAFT.DIGEST %s (was %s)", cmd, d, d0, rd, raft0)
		}
	}
	// NOFLUSH without MERGE over existing keys refuses, changing nothing.
	wantErr(t, "RELOAD NOFLUSH", c.Do(ctx, "debug", "reload", "noflush").Err(), "ERR Error trying to load the RDB dump")
	// NOSAVE loads what the node has persisted, which is its dataset as it
	// is: keys written since the last RELOAD stay.
	c.Set(ctx, "later", "x", 0)
	c.Del(ctx, "s0")
	dLater, _ := c.Do(ctx, "debug", "digest").Text()
	if err := c.Do(ctx, "debug", "reload", "nosave").Err(); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.Do(ctx, "debug", "digest").Text(); d != dLater {
		t.Errorf("after RELOAD NOSAVE: digest %s, want the dataset's %s", d, dLater)
	}
	// A restart finds the same data, and NOSAVE works after it too.
	n.stop()
	n.restart()
	c = n.client()
	if d, _ := c.Do(ctx, "debug", "digest").Text(); d != dLater {
		t.Errorf("after restart: digest %s, want %s", d, dLater)
	}
	if err := c.Do(ctx, "debug", "reload", "nosave").Err(); err != nil {
		t.Errorf("RELOAD NOSAVE after a restart: %v", err)
	}
	if d, _ := c.Do(ctx, "debug", "digest").Text(); d != dLater {
		t.Errorf("after restart and RELOAD NOSAVE: digest %s, want %s", d, dLater)
	}
}

func fillDebugData(t *testing.T, c *redis.Client) {
	ctx := ctxT(t)
	for i := 0; i < 50; i++ {
		c.Set(ctx, fmt.Sprint("s", i), i, 0)
		c.RPush(ctx, fmt.Sprint("l", i%5), i)
		c.SAdd(ctx, fmt.Sprint("set", i%3), i, fmt.Sprint("m", i))
		c.ZAdd(ctx, "z", redis.Z{Score: float64(i) / 7, Member: i})
		c.HSet(ctx, "h", fmt.Sprint("f", i), i)
		c.XAdd(ctx, &redis.XAddArgs{Stream: "x", Values: []any{"i", i}})
	}
	c.XGroupCreate(ctx, "x", "g", "0")
	c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"x", ">"}, Count: 3})
	c.Expire(ctx, "s1", time.Hour)
	c.Move(ctx, "s2", 2)
	c.Do(ctx, "function", "load", "#!lua name=dbglib\nredis.register_function('dbgf', function() return 1 end)")
}

// testDebugActiveExpireOff: with the expiry cycle off, keys whose TTL passed
// stay in the dataset (DBSIZE) until a command meets them; back on, the
// cycle deletes the rest.
func testDebugActiveExpireOff(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	if err := c.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
		t.Fatal(err)
	}
	defer c.Do(ctx, "debug", "set-active-expire", "1")
	for _, k := range []string{"k1", "k2", "k3"} {
		c.Set(ctx, k, "v", 100*time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)
	if got := c.DBSize(ctx).Val(); got != 3 {
		t.Fatalf("DBSIZE with active expiry off = %d, want 3", got)
	}
	if v := c.MGet(ctx, "k1", "k2").Val(); len(v) != 2 || v[0] != nil || v[1] != nil {
		t.Errorf("MGET of expired keys = %v", v)
	}
	if got := c.DBSize(ctx).Val(); got != 1 {
		t.Errorf("DBSIZE after reading two expired keys = %d, want 1", got)
	}
	c.Do(ctx, "debug", "set-active-expire", "1")
	deadline := time.Now().Add(3 * time.Second)
	for c.DBSize(ctx).Val() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := c.DBSize(ctx).Val(); got != 0 {
		t.Errorf("DBSIZE with active expiry back on = %d, want 0", got)
	}
}

// TestDebugReloadCluster: DEBUG RELOAD is applied by every node from the log,
// so the nodes keep the same data, and the data is what it was.
func TestDebugReloadCluster(t *testing.T) {
	cl := startCluster(t, 3)
	ctx := ctxT(t)
	c := cl.leader().client()
	fillDebugData(t, c)
	before := cl.waitConverged()
	if err := c.Do(ctx, "debug", "reload").Err(); err != nil {
		t.Fatal(err)
	}
	if after := cl.waitConverged(); after != before {
		t.Errorf("RAFT.DIGEST after RELOAD = %s, before %s", after, before)
	}
	c.Set(ctx, "after", "1", 0)
	withAfter := cl.waitConverged()
	// A follower relays it to the leader.
	if err := cl.followers()[0].client().Do(ctx, "debug", "reload", "nosave").Err(); err != nil {
		t.Fatal(err)
	}
	if after := cl.waitConverged(); after != withAfter {
		t.Errorf("RAFT.DIGEST after RELOAD NOSAVE = %s, before %s", after, withAfter)
	}
}

// startRedisDebug is a reference redis-server that accepts DEBUG.
func startRedisDebug(t *testing.T) string {
	return testutil.StartRedis(t, "--enable-debug-command", "local")
}
