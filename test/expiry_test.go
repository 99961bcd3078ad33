package test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestExpiry runs the expiry tests as subtests on one node (FLUSHALL between them).
func TestExpiry(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"LazyOnRead", testExpiryLazyOnRead},
		nodeTest{"ActiveCycle", testExpiryActiveCycle},
		nodeTest{"OverwriteClearsTTL", testExpiryOverwriteClearsTTL},
	)
}

// testExpiryLazyOnRead: a key set with PX 200 is gone for every read (and
// every write treats it as missing) once its time has passed.
func testExpiryLazyOnRead(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	keys := []string{"get", "exists", "ttl", "type", "mget", "append", "incr", "lpush", "setnx", "rename",
		"strlen", "getrange", "getdel", "keys", "scan", "setrange", "expire", "persist", "copy", "move", "lrange", "randomkey"}
	for _, k := range keys {
		if err := c.Set(ctx, k, "old", 200*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.RPush(ctx, "lrange", "x") // wrong type while alive
	c.Del(ctx, "lrange")
	c.RPush(ctx, "lrange", "a", "b")
	c.PExpire(ctx, "lrange", 200*time.Millisecond)
	if v := c.Get(ctx, "get").Val(); v != "old" {
		t.Fatalf("GET before expiry = %q", v)
	}
	if ttl := c.PTTL(ctx, "get").Val(); ttl <= 0 || ttl > 200*time.Millisecond {
		t.Fatalf("PTTL right after SET PX 200 = %v", ttl)
	}
	time.Sleep(300 * time.Millisecond)

	if _, err := c.Get(ctx, "get").Result(); err != redis.Nil {
		t.Errorf("GET after expiry: %v, want nil", err)
	}
	if v := c.Exists(ctx, "exists").Val(); v != 0 {
		t.Errorf("EXISTS after expiry = %d", v)
	}
	if v := c.PTTL(ctx, "ttl").Val(); v != -2*time.Millisecond && v != -2 {
		t.Errorf("PTTL after expiry = %v, want -2", v)
	}
	if v := c.Type(ctx, "type").Val(); v != "none" {
		t.Errorf("TYPE after expiry = %q", v)
	}
	if v := c.MGet(ctx, "mget").Val(); len(v) != 1 || v[0] != nil {
		t.Errorf("MGET after expiry = %v", v)
	}
	if v := c.Append(ctx, "append", "new").Val(); v != 3 || c.Get(ctx, "append").Val() != "new" {
		t.Errorf("APPEND to an expired key = %d, value %q; want a fresh key", v, c.Get(ctx, "append").Val())
	}
	if ttl := c.TTL(ctx, "append").Val(); ttl != -1 {
		t.Errorf("key re-created by APPEND has TTL %v", ttl)
	}
	if v := c.Incr(ctx, "incr").Val(); v != 1 {
		t.Errorf("INCR on an expired key = %d, want 1", v)
	}
	if err := c.LPush(ctx, "lpush", "x").Err(); err != nil {
		t.Errorf("LPUSH on an expired string key: %v", err)
	}
	if !c.SetNX(ctx, "setnx", "new", 0).Val() {
		t.Error("SETNX on an expired key failed")
	}
	wantErr(t, "RENAME expired", c.Rename(ctx, "rename", "x").Err(), "ERR no such key")
	if v := c.StrLen(ctx, "strlen").Val(); v != 0 {
		t.Errorf("STRLEN after expiry = %d", v)
	}
	if v := c.GetRange(ctx, "getrange", 0, -1).Val(); v != "" {
		t.Errorf("GETRANGE after expiry = %q", v)
	}
	if _, err := c.GetDel(ctx, "getdel").Result(); err != redis.Nil {
		t.Errorf("GETDEL after expiry: %v", err)
	}
	if l := c.SetRange(ctx, "setrange", 1, "x").Val(); l != 2 {
		t.Errorf("SETRANGE on an expired key = %d, want 2", l)
	}
	if c.Expire(ctx, "expire", time.Hour).Val() {
		t.Error("EXPIRE on an expired key returned 1")
	}
	if c.Persist(ctx, "persist").Val() {
		t.Error("PERSIST on an expired key returned 1")
	}
	if v := c.Copy(ctx, "copy", "copy2", 0, false).Val(); v != 0 {
		t.Error("COPY of an expired key succeeded")
	}
	if c.Move(ctx, "move", 1).Val() {
		t.Error("MOVE of an expired key succeeded")
	}
	if v := c.LRange(ctx, "lrange", 0, -1).Val(); len(v) != 0 {
		t.Errorf("LRANGE of an expired list = %v", v)
	}
	for _, k := range c.Keys(ctx, "*").Val() {
		if k == "keys" || k == "scan" || k == "randomkey" {
			t.Errorf("KEYS * lists expired key %q", k)
		}
	}
	sk, _, _ := c.Scan(ctx, 0, "*", 1000).Result()
	for _, k := range sk {
		if k == "scan" || k == "keys" || k == "randomkey" {
			t.Errorf("SCAN returns expired key %q", k)
		}
	}
}

// testExpiryActiveCycle: keys nobody reads are removed by the server itself.
func testExpiryActiveCycle(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	expired0 := expiredKeys(t, c)
	if err := c.Do(ctx, "set", "lonely", "v", "px", "200").Err(); err != nil {
		t.Fatal(err)
	}
	if sz := c.DBSize(ctx).Val(); sz != 1 {
		t.Fatalf("DBSIZE = %d, want 1", sz)
	}
	waitDBSize(t, c, 0, 2*time.Second, "single key with PX 200")
	if v := expiredKeys(t, c); v != expired0+1 {
		t.Errorf("INFO stats expired_keys went from %d to %d, want +1", expired0, v)
	}

	// Many volatile keys mixed with persistent ones, in two databases.
	c1 := redis.NewClient(&redis.Options{Addr: n.addr(), DB: 1})
	defer c1.Close()
	for _, cc := range []*redis.Client{c, c1} {
		pipe := cc.Pipeline()
		for i := 0; i < 1000; i++ {
			pipe.Set(ctx, fmt.Sprintf("vol:%d", i), "v", time.Duration(100+i%100)*time.Millisecond)
		}
		for i := 0; i < 50; i++ {
			pipe.Set(ctx, fmt.Sprintf("keep:%d", i), "v", 0)
			pipe.Set(ctx, fmt.Sprintf("later:%d", i), "v", time.Hour)
		}
		pipe.RPush(ctx, "vlist", "a")
		pipe.PExpire(ctx, "vlist", 150*time.Millisecond)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitDBSize(t, c, 100, 4*time.Second, "db 0: 1001 volatile keys")
	waitDBSize(t, c1, 100, 4*time.Second, "db 1: 1001 volatile keys")
	ks := c.Info(ctx, "keyspace").Val()
	if !strings.Contains(ks, "db0:keys=100,expires=50,") || !strings.Contains(ks, "db1:keys=100,expires=50,") {
		t.Errorf("INFO keyspace after the active expiry = %q", ks)
	}
	if v := expiredKeys(t, c); v != expired0+1+2*1001 {
		t.Errorf("expired_keys = %d, want %d", v, expired0+1+2*1001)
	}
}

func expiredKeys(t *testing.T, c *redis.Client) int {
	t.Helper()
	m := regexp.MustCompile(`expired_keys:(\d+)`).FindStringSubmatch(c.Info(ctxT(t), "stats").Val())
	if m == nil {
		t.Fatal("no expired_keys in INFO stats")
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

func waitDBSize(t *testing.T, c *redis.Client, want int64, within time.Duration, what string) {
	t.Helper()
	start := time.Now()
	for {
		sz, err := c.DBSize(ctxT(t)).Result()
		if err != nil {
			t.Fatal(err)
		}
		if sz == want {
			t.Logf("%s: DBSIZE reached %d after %v", what, want, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > within {
			t.Errorf("%s: DBSIZE still %d after %v without any access, want %d (no active expiry?)", what, sz, within, want)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExpiryTTLSurvivesRestart: expire times are absolute and survive a
// restart; keys whose time passed while the node was down are gone.
func TestExpiryTTLSurvivesRestart(t *testing.T) {
	for _, how := range []string{"SIGTERM", "SIGKILL"} {
		how := how
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			n := startNode(t)
			ctx := ctxT(t)
			c := n.client()
			soon := time.Now().Add(1500 * time.Millisecond)
			pipe := c.Pipeline()
			pipe.Set(ctx, "ex", "v", 100*time.Second)
			pipe.Do(ctx, "setex", "setex", "200", "v")
			pipe.Set(ctx, "expire", "v", 0)
			pipe.Expire(ctx, "expire", 300*time.Second)
			pipe.Set(ctx, "getex", "v", 0)
			pipe.GetEx(ctx, "getex", 400*time.Second)
			pipe.RPush(ctx, "list", "a")
			pipe.PExpire(ctx, "list", 500*time.Second)
			pipe.Set(ctx, "soon", "v", 0)
			pipe.PExpireAt(ctx, "soon", soon)
			pipe.Set(ctx, "soonpx", "v", 1200*time.Millisecond)
			pipe.Set(ctx, "persisted", "v", time.Hour)
			pipe.Persist(ctx, "persisted")
			pipe.Set(ctx, "keepttl", "v", 600*time.Second)
			pipe.Do(ctx, "set", "keepttl", "v2", "keepttl")
			pipe.Set(ctx, "plain", "v", 0)
			pipe.Do(ctx, "select", "2")
			pipe.Set(ctx, "db2", "v", 700*time.Second)
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			c2 := redis.NewClient(&redis.Options{Addr: n.addr(), DB: 2})
			defer c2.Close()
			before := map[string]time.Duration{}
			for _, k := range []string{"ex", "setex", "expire", "getex", "list", "keepttl"} {
				before[k] = c.PExpireTime(ctx, k).Val()
				if before[k] <= 0 {
					t.Fatalf("PEXPIRETIME %s = %v before restart", k, before[k])
				}
			}
			before["db2"] = c2.PExpireTime(ctx, "db2").Val()
			if got := c.PExpireTime(ctx, "soon").Val(); got != time.Duration(soon.UnixMilli())*time.Millisecond {
				t.Errorf("PEXPIRETIME soon = %v, want %v", got, soon.UnixMilli())
			}
			if how == "SIGTERM" {
				n.stop()
			} else {
				n.kill()
			}
			time.Sleep(time.Until(soon) + 200*time.Millisecond)
			n.restart()
			c = n.client()
			c2 = redis.NewClient(&redis.Options{Addr: n.addr(), DB: 2})
			defer c2.Close()
			for k, want := range before {
				cc := c
				if k == "db2" {
					cc = c2
				}
				if got := cc.PExpireTime(ctx, k).Val(); got != want {
					t.Errorf("PEXPIRETIME %s after restart = %v, before %v (must be the same absolute time)", k, got, want)
				}
				if ttl := cc.TTL(ctx, k).Val(); ttl <= 0 || ttl > time.Until(time.UnixMilli(int64(want/time.Millisecond)))+time.Second {
					t.Errorf("TTL %s after restart = %v", k, ttl)
				}
			}
			if ttl := c.TTL(ctx, "ex").Val(); ttl > 99*time.Second {
				t.Errorf("TTL ex after ~2s downtime = %v: the TTL was restarted instead of kept absolute", ttl)
			}
			for _, k := range []string{"soon", "soonpx"} {
				if c.Exists(ctx, k).Val() != 0 {
					t.Errorf("%s expired while the node was down but exists after restart", k)
				}
			}
			for _, k := range []string{"persisted", "plain"} {
				if ttl := c.TTL(ctx, k).Val(); ttl != -1 {
					t.Errorf("TTL %s after restart = %v, want -1", k, ttl)
				}
			}
			if v := c.Get(ctx, "keepttl").Val(); v != "v2" {
				t.Errorf("keepttl = %q", v)
			}
			// The expired-while-down keys are not counted either.
			waitDBSize(t, c, 8, 3*time.Second, "after restart")
		})
	}
}

// testExpiryOverwriteClearsTTL: a SET without options removes the TTL, so
// the key outlives its original deadline.
func testExpiryOverwriteClearsTTL(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "k", "v", 200*time.Millisecond)
	c.Set(ctx, "k", "v2", 0)
	c.Set(ctx, "l", "v", 200*time.Millisecond)
	c.Del(ctx, "l")
	c.RPush(ctx, "l", "x")
	c.Set(ctx, "r", "v", 200*time.Millisecond)
	c.Rename(ctx, "r", "r2")
	c.Set(ctx, "r3", "v", 0)
	c.Rename(ctx, "r3", "r2b")
	time.Sleep(400 * time.Millisecond)
	if v := c.Get(ctx, "k").Val(); v != "v2" {
		t.Errorf("overwritten key expired with the old TTL (GET = %q)", v)
	}
	if v := c.LLen(ctx, "l").Val(); v != 1 {
		t.Errorf("re-created list expired with the deleted key's TTL (LLEN = %d)", v)
	}
	if c.Exists(ctx, "r2").Val() != 0 {
		t.Error("RENAME did not carry the TTL: r2 still exists after it")
	}
	if c.Exists(ctx, "r2b").Val() != 1 {
		t.Error("renamed persistent key vanished")
	}
}
