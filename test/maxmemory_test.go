package test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/redis/go-redis/v9"
)

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// infoInt reads an integer field of INFO.
func infoInt(t testing.TB, c *redis.Client, section, field string) int64 {
	t.Helper()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatalf("INFO %s: %v", section, err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s: %q", field, line)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// At the limit under noeviction, writes that grow memory get Redis' OOM
// error while reads, DEL and commands that are not deny-oom keep working,
// and used memory is the startup baseline plus what MEMORY USAGE says key
// by key.
func TestMaxmemoryNoEviction(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	base := infoInt(t, c, "memory", "used_memory")
	if startup := infoInt(t, c, "memory", "used_memory_startup"); base != startup || base != commands.StartupMemory {
		t.Fatalf("empty dataset: used_memory %d, used_memory_startup %d, want both %d", base, startup, commands.StartupMemory)
	}
	limit := base + 100*1024
	if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	if got := infoInt(t, c, "memory", "maxmemory"); got != limit {
		t.Fatalf("maxmemory %d, want %d", got, limit)
	}
	written := 0
	for ; written < 5000; written++ {
		err := c.Set(ctx, fmt.Sprintf("key:%d", written), "some value", 0).Err()
		if err != nil {
			wantErr(t, "SET over maxmemory", err, errOOM)
			break
		}
	}
	if written == 5000 {
		t.Fatal("5000 SETs under a 100kb limit: no OOM")
	}
	used := infoInt(t, c, "memory", "used_memory")
	if used <= limit || used > limit+1024 {
		t.Fatalf("used_memory %d after the first OOM, want just over %d", used, limit)
	}
	// used_memory is the baseline plus the sum of MEMORY USAGE.
	sum := int64(0)
	for i := 0; i < written; i++ {
		sum += c.MemoryUsage(ctx, fmt.Sprintf("key:%d", i)).Val()
	}
	if sum != used-base || infoInt(t, c, "memory", "used_memory_dataset") != sum {
		t.Fatalf("used_memory %d (dataset %d), MEMORY USAGE of every key adds up to %d", used,
			infoInt(t, c, "memory", "used_memory_dataset"), sum)
	}
	if v, err := c.Get(ctx, "key:0").Result(); err != nil || v != "some value" {
		t.Fatalf("GET at the limit: %q %v", v, err)
	}
	wantErr(t, "INCR at the limit", c.Incr(ctx, "counter").Err(), errOOM)
	wantErr(t, "RPUSH at the limit", c.RPush(ctx, "list", "a").Err(), errOOM)
	if err := c.Expire(ctx, "key:0", time.Hour).Err(); err != nil {
		t.Fatalf("EXPIRE (not deny-oom) at the limit: %v", err)
	}
	if got := c.Del(ctx, "key:0", "key:1", "key:2").Val(); got != 3 {
		t.Fatalf("DEL at the limit removed %d keys", got)
	}
	if err := c.Set(ctx, "again", "v", 0).Err(); err != nil {
		t.Fatalf("SET after DEL freed memory: %v", err)
	}
	if got := infoInt(t, c, "stats", "evicted_keys"); got != 0 {
		t.Fatalf("noeviction evicted %d keys", got)
	}
}

// Error texts, MULTI/EXEC and scripts over the limit, byte for byte as
// redis-server (whose own used memory is always over "maxmemory 1").
func TestMaxmemoryRepliesLikeRedis(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, `
SET a b
CONFIG SET maxmemory 1
SET a b
GET a
INCR n
EXPIRE a 100
EVAL "return redis.call('set','x','y')" 0
EVAL "return redis.call('get','a')" 0
EVAL "#!lua\nreturn redis.call('set','x','y')" 0
EVAL "#!lua flags=allow-oom\nreturn redis.call('set','x','y')" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 0
MULTI
GET a
EXEC
MULTI
EXEC
CONFIG GET maxmemory
DEL a x
EVAL "return redis.call('del','a')" 0
CONFIG SET maxmemory 0
SET a b
`)
}

// used_memory is never 0: an empty dataset counts the startup baseline, so
// a maxmemory below it refuses every deny-oom write, scripts' writes
// included, as redis-server does after FLUSHALL.
func TestMaxmemoryBelowBaseline(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, `
FLUSHALL
CONFIG SET maxmemory 1
EVAL "redis.call('set','x',1)" 0
SET x 1
EVAL "#!lua flags=allow-oom\nreturn redis.call('set','y',1)" 0
DEL y
EXISTS x
CONFIG SET maxmemory 0
SET x 1
`)
	// An eviction policy evicts every key, then refuses the write: with
	// nothing left to evict it must not keep trying.
	c := n.client()
	ctx := ctxT(t)
	for _, cmd := range [][]any{{"FLUSHALL"}, {"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 50; i++ {
		c.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
	}
	evicted := infoInt(t, c, "stats", "evicted_keys")
	if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wantErr(t, "SET under allkeys-lru below the baseline", c.Set(ctx, "new", "v", 0).Err(), errOOM)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the refused SET took %v", d)
	}
	if got := c.DBSize(ctx).Val(); got != 0 {
		t.Fatalf("%d keys left after evicting below the baseline", got)
	}
	if got := infoInt(t, c, "stats", "evicted_keys") - evicted; got != 50 {
		t.Fatalf("evicted %d keys, want 50", got)
	}
	if used := infoInt(t, c, "memory", "used_memory"); used != commands.StartupMemory {
		t.Fatalf("used_memory of the emptied dataset %d, want %d", used, commands.StartupMemory)
	}
	if got := c.Get(ctx, "k0").Err(); got != redis.Nil {
		t.Fatalf("GET of an evicted key: %v", got)
	}
}

// Each policy evicts what it should once CONFIG SET lowers maxmemory.
func TestMaxmemoryPolicies(t *testing.T) {
	n := startNode(t, "--notify-keyspace-events", "Ee")
	c := n.client()
	ctx := ctxT(t)
	value := strings.Repeat("v", 100)
	// fill writes keys ttl:0..n-1 (ttl:i expiring before ttl:i+1) and
	// plain:0..n-1 without a TTL.
	fill := func(t *testing.T, keys int) {
		t.Helper()
		p := c.Pipeline()
		for i := 0; i < keys; i++ {
			p.Set(ctx, "ttl:"+strconv.Itoa(i), value, time.Hour+time.Duration(i)*time.Second)
			p.Set(ctx, "plain:"+strconv.Itoa(i), value, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// shrink sets maxmemory to the baseline plus 70% of the data and waits
	// for the eviction.
	shrink := func(t *testing.T) {
		t.Helper()
		base := infoInt(t, c, "memory", "used_memory_startup")
		limit := base + (infoInt(t, c, "memory", "used_memory")-base)*7/10
		if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for infoInt(t, c, "memory", "used_memory") > limit {
			if time.Now().After(deadline) {
				t.Fatalf("used_memory still over %d after 10s", limit)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	exists := func(key string) bool { return c.Exists(ctx, key).Val() == 1 }
	// survivors counts the keys of prefix still there out of keys.
	survivors := func(prefix string, from, to int) int {
		s := 0
		for i := from; i < to; i++ {
			if exists(prefix + strconv.Itoa(i)) {
				s++
			}
		}
		return s
	}
	setup := func(t *testing.T, policy string) {
		t.Helper()
		for _, cmd := range [][]any{{"CONFIG", "SET", "maxmemory", "0"}, {"FLUSHALL"},
			{"CONFIG", "SET", "maxmemory-policy", policy}, {"CONFIG", "SET", "maxmemory-samples", "10"}} {
			if err := c.Do(ctx, cmd...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	const keys = 200

	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			setup(t, policy)
			fill(t, keys)
			shrink(t)
			if s := survivors("plain:", 0, keys); s != keys {
				t.Fatalf("%s evicted %d keys without a TTL", policy, keys-s)
			}
			if s := survivors("ttl:", 0, keys); s == keys {
				t.Fatalf("%s evicted no key with a TTL", policy)
			}
			if policy == "volatile-ttl" {
				soon, late := survivors("ttl:", 0, keys/2), survivors("ttl:", keys/2, keys)
				if soon >= late {
					t.Fatalf("volatile-ttl kept %d of the keys expiring soonest and %d of the latest", soon, late)
				}
			}
		})
	}

	t.Run("volatile without TTLs is OOM", func(t *testing.T) {
		setup(t, "volatile-lru")
		for i := 0; i < keys; i++ {
			c.Set(ctx, "plain:"+strconv.Itoa(i), value, 0)
		}
		c.ConfigSet(ctx, "maxmemory", "1000")
		wantErr(t, "SET with nothing volatile to evict", c.Set(ctx, "more", value, 0).Err(), errOOM)
	})

	t.Run("allkeys-random", func(t *testing.T) {
		setup(t, "allkeys-random")
		before := infoInt(t, c, "stats", "evicted_keys")
		fill(t, keys)
		shrink(t)
		if got := infoInt(t, c, "stats", "evicted_keys"); got <= before {
			t.Fatal("evicted_keys did not grow")
		}
		if survivors("plain:", 0, keys) == keys && survivors("ttl:", 0, keys) == keys {
			t.Fatal("nothing evicted")
		}
		// Writes go on, evicting as they need room.
		for i := 0; i < 100; i++ {
			if err := c.Set(ctx, "new:"+strconv.Itoa(i), value, 0).Err(); err != nil {
				t.Fatalf("SET under allkeys-random: %v", err)
			}
		}
	})

	t.Run("allkeys-lru keeps what was read", func(t *testing.T) {
		setup(t, "allkeys-lru")
		fill(t, keys)
		time.Sleep(1100 * time.Millisecond) // LRU times have Redis' 1 s resolution
		for i := 0; i < keys/2; i++ {
			c.Get(ctx, "plain:"+strconv.Itoa(i))
			c.Get(ctx, "ttl:"+strconv.Itoa(i))
		}
		shrink(t)
		hot := survivors("plain:", 0, keys/2) + survivors("ttl:", 0, keys/2)
		cold := survivors("plain:", keys/2, keys) + survivors("ttl:", keys/2, keys)
		t.Logf("survivors: %d recently read, %d not", hot, cold)
		if hot <= cold {
			t.Fatalf("allkeys-lru kept %d recently read keys and %d others", hot, cold)
		}
	})

	t.Run("allkeys-lfu keeps what was read often", func(t *testing.T) {
		setup(t, "allkeys-lfu")
		fill(t, keys)
		for round := 0; round < 5; round++ {
			for i := 0; i < keys/2; i++ {
				c.Get(ctx, "plain:"+strconv.Itoa(i))
				c.Get(ctx, "ttl:"+strconv.Itoa(i))
			}
		}
		if f := c.ObjectFreq(ctx, "plain:0").Val(); f <= 5 {
			t.Fatalf("OBJECT FREQ of a key read 5 times: %d", f)
		}
		shrink(t)
		hot := survivors("plain:", 0, keys/2) + survivors("ttl:", 0, keys/2)
		cold := survivors("plain:", keys/2, keys) + survivors("ttl:", keys/2, keys)
		t.Logf("survivors: %d often read, %d not", hot, cold)
		if hot <= cold {
			t.Fatalf("allkeys-lfu kept %d often read keys and %d others", hot, cold)
		}
	})

	t.Run("evicted notifications", func(t *testing.T) {
		setup(t, "allkeys-random")
		sub := c.Subscribe(ctx, "__keyevent@0__:evicted")
		defer sub.Close()
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		fill(t, 50)
		shrink(t)
		select {
		case m := <-sub.Channel():
			if !strings.HasPrefix(m.Payload, "ttl:") && !strings.HasPrefix(m.Payload, "plain:") {
				t.Fatalf("evicted event for %q", m.Payload)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no evicted keyspace event")
		}
	})
}

// A 3-node cluster filled past maxmemory evicts on the leader's choice
// only: every node ends with the same data and counts the evictions.
func TestMaxmemoryClusterEviction(t *testing.T) {
	limit := commands.StartupMemory + 200*1024
	c := startCluster(t, 3, "--maxmemory", strconv.FormatInt(limit, 10), "--maxmemory-policy", "allkeys-lru")
	value := strings.Repeat("x", 50)
	ctx := ctxT(t)
	for i, nd := range c.nodes { // through the leader and the followers' proxies
		cl := nd.client()
		p := cl.Pipeline()
		for k := 0; k < 1500; k++ {
			p.Set(ctx, fmt.Sprintf("n%d:key:%d", i, k), value, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("writes through %s: %v", nd.name(), err)
		}
	}
	digest := c.waitConverged()
	for _, nd := range c.nodes {
		cl := nd.client()
		if ev := infoInt(t, cl, "stats", "evicted_keys"); ev == 0 {
			t.Errorf("%s: evicted_keys 0", nd.name())
		}
		if used := infoInt(t, cl, "memory", "used_memory"); used > limit+2048 {
			t.Errorf("%s: used_memory %d over maxmemory", nd.name(), used)
		}
	}
	t.Logf("every node's RAFT.DIGEST: %s", digest)
}

// used_memory stays within a small factor of what the process really holds
// for small strings: its live heap and, once MEMORY PURGE returned the
// garbage collector's headroom, its RSS.
func TestMaxmemoryAccountingVsRSS(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	c.Do(ctx, "MEMORY", "PURGE")
	rss0 := infoInt(t, c, "memory", "used_memory_rss")
	heap0 := infoInt(t, c, "memory", "allocator_allocated")
	const keys = 50000
	for b := 0; b < keys; b += 2000 {
		p := c.Pipeline()
		for i := b; i < b+2000; i++ {
			p.Set(ctx, "key:"+strconv.Itoa(i), "value:"+strconv.Itoa(i), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.Do(ctx, "MEMORY", "PURGE")
	used := infoInt(t, c, "memory", "used_memory_dataset")
	heap := infoInt(t, c, "memory", "allocator_allocated") - heap0
	rss := infoInt(t, c, "memory", "used_memory_rss") - rss0
	t.Logf("%d keys: used_memory %d (%.0f B/key); live heap grew %d (%.0f B/key), RSS %d (%.0f B/key)",
		keys, used, float64(used)/keys, heap, float64(heap)/keys, rss, float64(rss)/keys)
	if r := float64(heap) / float64(used); r < 0.5 || r > 3 {
		t.Errorf("the live heap grew %.2f times used_memory", r)
	}
	if r := float64(rss) / float64(used); r < 0.5 || r > 5 {
		t.Errorf("RSS grew %.2f times used_memory", r)
	}
}

// INFO memory and MEMORY STATS agree on used memory: the startup baseline
// plus the dataset, with a peak that does not fall when data goes; the
// script and function counts follow the caches.
func TestInfoMemoryFigures(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	mem := func(field string) int64 { return infoInt(t, c, "memory", field) }
	if u, s, d := mem("used_memory"), mem("used_memory_startup"), mem("used_memory_dataset"); u != commands.StartupMemory || s != u || d != 0 {
		t.Fatalf("empty: used_memory %d, used_memory_startup %d, used_memory_dataset %d", u, s, d)
	}
	if err := c.Set(ctx, "k", strings.Repeat("x", 10000), 0).Err(); err != nil {
		t.Fatal(err)
	}
	used, dataset := mem("used_memory"), mem("used_memory_dataset")
	if dataset < 10000 || used != commands.StartupMemory+dataset || mem("used_memory_peak") != used {
		t.Fatalf("one 10 KB key: used_memory %d, dataset %d, peak %d", used, dataset, mem("used_memory_peak"))
	}
	stats, err := c.Do(ctx, "MEMORY", "STATS").Result()
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := stats.(map[any]any) // RESP3
	if fields == nil {
		t.Fatalf("MEMORY STATS: %T", stats)
	}
	if fields["total.allocated"] != used || fields["startup.allocated"] != commands.StartupMemory || fields["peak.allocated"] != used {
		t.Fatalf("MEMORY STATS total %v startup %v peak %v, INFO used_memory %d", fields["total.allocated"],
			fields["startup.allocated"], fields["peak.allocated"], used)
	}
	c.Del(ctx, "k")
	if u, p := mem("used_memory"), mem("used_memory_peak"); u != commands.StartupMemory || p != used {
		t.Fatalf("after DEL: used_memory %d, used_memory_peak %d (want %d)", u, p, used)
	}

	c.ScriptLoad(ctx, "return 1")
	c.Eval(ctx, "return 2", nil)
	if err := c.FunctionLoad(ctx, "#!lua name=lib\nredis.register_function('f1', function() return 1 end)\n"+
		"redis.register_function('f2', function() return 2 end)").Err(); err != nil {
		t.Fatal(err)
	}
	if s, f, l := mem("number_of_cached_scripts"), mem("number_of_functions"), mem("number_of_libraries"); s != 2 || f != 2 || l != 1 {
		t.Fatalf("number_of_cached_scripts %d, number_of_functions %d, number_of_libraries %d; want 2, 2, 1", s, f, l)
	}
	c.ScriptFlush(ctx)
	if s := mem("number_of_cached_scripts"); s != 0 {
		t.Fatalf("number_of_cached_scripts %d after SCRIPT FLUSH", s)
	}
}
