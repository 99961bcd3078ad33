package test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestConfigSetAppendfsync: CONFIG SET appendfsync changes the AOF's fsync
// policy at once: "always" fsyncs every write's batch, "no" none of them.
func TestConfigSetAppendfsync(t *testing.T) {
	maddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	n := startNode(t, "--metrics-addr", maddr, "--appendfsync", "no")
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	fsyncs := func() uint64 {
		hm, ok := metric(scrape(t, maddr), "geomys_aof_fsync_duration_seconds")
		if !ok {
			return 0
		}
		return hm.Histogram.GetSampleCount()
	}
	writes := func(prefix string) {
		for i := 0; i < 10; i++ {
			if err := c.Set(ctx, prefix+strconv.Itoa(i), "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	writes("no-")
	before := fsyncs()
	writes("no-again-")
	if got := fsyncs(); got != before {
		t.Errorf("appendfsync no: %d AOF fsyncs for 10 writes, want none", got-before)
	}
	if err := c.ConfigSet(ctx, "appendfsync", "always").Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.ConfigGet(ctx, "appendfsync").Val()["appendfsync"]; got != "always" {
		t.Errorf("CONFIG GET appendfsync = %q", got)
	}
	if s := c.Info(ctx, "persistence").Val(); !strings.Contains(s, "aof_fsync:always\r\n") {
		t.Errorf("INFO persistence after CONFIG SET appendfsync always:\n%s", s)
	}
	before = fsyncs()
	writes("always-")
	if got := fsyncs(); got < before+10 {
		t.Errorf("appendfsync always: %d AOF fsyncs for 10 writes, want >= 10", got-before)
	}
	if err := c.ConfigSet(ctx, "appendfsync", "no").Err(); err != nil {
		t.Fatal(err)
	}
	before = fsyncs()
	writes("no-at-last-")
	if got := fsyncs(); got != before {
		t.Errorf("appendfsync back to no: %d AOF fsyncs for 10 writes, want none", got-before)
	}
}

// TestConfigSetRewriteTriggers: CONFIG SET auto-aof-rewrite-percentage and
// auto-aof-rewrite-min-size start automatic rewrites on a node started
// with them off.
func TestConfigSetRewriteTriggers(t *testing.T) {
	n := startNode(t, "--auto-aof-rewrite-percentage", "0")
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	value := strings.Repeat("x", 1000)
	for i := 0; i < 300; i++ {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), value, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2500 * time.Millisecond) // the trigger is checked every second
	if got := infoInt(t, c, "persistence", "aof_rewrites"); got != 0 {
		t.Fatalf("aof_rewrites = %d with auto-aof-rewrite-percentage 0", got)
	}
	if err := c.ConfigSet(ctx, "auto-aof-rewrite-percentage", "100").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "auto-aof-rewrite-min-size", "64kb").Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for infoInt(t, c, "persistence", "aof_rewrites") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no automatic rewrite of a %d-byte AOF after CONFIG SET auto-aof-rewrite-*",
				infoInt(t, c, "persistence", "aof_current_size"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConfigSetAppendonlyNoKeepsPersisting: Redis' runtime switches that
// Geomys' design fixes are accepted, as tools and test suites flip them,
// but the node keeps persisting (and says so in CONFIG GET, INFO and its
// log): a write made after "appendonly no" survives kill -9.
func TestConfigSetAppendonlyNoKeepsPersisting(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	for _, kv := range [][2]string{{"appendonly", "no"}, {"aof-use-rdb-preamble", "yes"}, {"appendonly", "yes"}, {"appendonly", "no"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatalf("CONFIG SET %s %s: %v", kv[0], kv[1], err)
		}
	}
	got := c.ConfigGet(ctx, "append*").Val()
	if got["appendonly"] != "yes" {
		t.Errorf("CONFIG GET appendonly = %q, want what is in effect (yes)", got["appendonly"])
	}
	if got := c.ConfigGet(ctx, "aof-use-rdb-preamble").Val()["aof-use-rdb-preamble"]; got != "no" {
		t.Errorf("CONFIG GET aof-use-rdb-preamble = %q, want what is in effect (no)", got)
	}
	if v := infoInt(t, c, "persistence", "aof_enabled"); v != 1 {
		t.Errorf("aof_enabled = %d", v)
	}
	want := "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n"
	if got := dialRESP(t, n.addr(), 2).do("CONFIG", "SET", "appendonly", "maybe"); got != want {
		t.Errorf("CONFIG SET appendonly maybe = %q", got)
	}
	if err := c.Set(ctx, "after-appendonly-no", "kept", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if log := n.log.String(); !strings.Contains(log, "Geomys always persists") {
		t.Errorf("no warning in the log about appendonly no:\n%s", log)
	}
	n.kill()
	n.restart()
	c = n.client()
	defer c.Close()
	if v, err := c.Get(ctx, "after-appendonly-no").Result(); err != nil || v != "kept" {
		t.Fatalf("after kill -9 and restart: GET = %q, %v", v, err)
	}
}

// TestLazyExpiryOfScanAndRandomkey: the expired keys SCAN and RANDOMKEY
// pass over are deleted, and a replica gets each deletion as a plain DEL
// (not inside MULTI/EXEC), as Redis' unit/expire checks.
func TestLazyExpiryOfScanAndRandomkey(t *testing.T) {
	n := startNode(t)
	c := n.client()
	defer c.Close()
	ctx := context.Background()
	for _, cmd := range [][]any{{"SCAN", "0"}, {"RANDOMKEY"}} {
		t.Run(cmd[0].(string), func(t *testing.T) {
			if err := c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
				t.Fatal(err)
			}
			defer c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
			c.FlushAll(ctx)
			c.Set(ctx, "foo1", "bar", time.Millisecond)
			c.Set(ctx, "foo2", "bar", time.Millisecond)
			time.Sleep(5 * time.Millisecond)
			rs := attachReplicaStream(t, n.addr())
			if err := c.Do(ctx, cmd...).Err(); err != nil && cmd[0] != "RANDOMKEY" {
				t.Fatal(err)
			}
			var got []string
			for i := 0; i < 3; i++ {
				got = append(got, strings.Join(rs.readCmd(), " "))
			}
			slices.Sort(got[1:])
			if fmt.Sprint(got) != "[SELECT 0 DEL foo1 DEL foo2]" {
				t.Errorf("%v: replication stream %q, want SELECT then a DEL for each key", cmd, got)
			}
			if k := c.DBSize(ctx).Val(); k != 0 {
				t.Errorf("%v: DBSIZE = %d after it met both keys expired", cmd, k)
			}
		})
	}
}
