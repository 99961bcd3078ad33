package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestAutoRewriteTriggersSnapshot sets a tiny auto-aof-rewrite-min-size and
// checks that the AOF is rewritten (new base) and a Raft snapshot is taken as
// it grows, and that the data survives a restart from that base.
func TestAutoRewriteTriggersSnapshot(t *testing.T) {
	n := startNode(t, "--auto-aof-rewrite-min-size", "65536", "--auto-aof-rewrite-percentage", "100")
	c := n.client()
	ctx := ctxT(t)
	for i := 0; i < 3000; i++ {
		if err := c.Set(ctx, "key:"+strconv.Itoa(i%500), strings.Repeat("v", 64)+strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		info := c.Info(ctx, "persistence").Val()
		if !strings.Contains(info, "aof_base_size:0\r") && strings.Contains(info, "aof_rewrite_in_progress:0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no automatic rewrite happened:\n%s", info)
		}
		time.Sleep(100 * time.Millisecond)
	}
	snaps, _ := filepath.Glob(filepath.Join(n.dir, "raft", "snapshots", "*", "meta.json"))
	if len(snaps) == 0 {
		t.Fatal("the rewrite did not leave a Raft snapshot")
	}
	want := dump(t, n.addr())
	n.stop()
	n.restart()
	sameDump(t, "restart after automatic rewrite", want, dump(t, n.addr()))
}

// TestKill9DuringRewrites kills the node while writes flow and rewrites run
// back to back, then checks no acknowledged write was lost or applied twice.
func TestKill9DuringRewrites(t *testing.T) {
	n := startNode(t)
	for i := 0; i < 20000; i++ { // some bulk so a rewrite takes a moment
		if i%1000 == 0 {
			pipe := n.client().Pipeline()
			for j := i; j < i+1000; j++ {
				pipe.Set(context.Background(), fmt.Sprintf("bulk:%d", j), strings.Repeat("x", 32), 0)
			}
			if _, err := pipe.Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var acked atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
			defer c.Close()
			for ctx.Err() == nil {
				if c.Incr(ctx, "counter").Err() != nil {
					return
				}
				acked.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() { // rewrites back to back
		defer wg.Done()
		c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
		defer c.Close()
		for ctx.Err() == nil {
			c.Do(ctx, "save")
		}
	}()
	time.Sleep(2 * time.Second)
	n.kill()
	cancel()
	wg.Wait()
	n.restart()
	c := n.client()
	got, err := c.Get(ctxT(t), "counter").Int64()
	if err != nil {
		t.Fatal(err)
	}
	if got < acked.Load() || got > acked.Load()+4 {
		t.Fatalf("counter = %d after kill -9 during rewrites, %d INCRs acknowledged (at most 4 in flight)", got, acked.Load())
	}
	if size := c.DBSize(ctxT(t)).Val(); size != 20001 {
		t.Fatalf("DBSIZE = %d after restart, want 20001", size)
	}
	leftovers, _ := filepath.Glob(filepath.Join(n.dir, "appendonlydir", "temp-*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary rewrite files left after restart: %v", leftovers)
	}
	if _, err := os.Stat(filepath.Join(n.dir, "appendonlydir", "appendonly.aof.manifest")); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d INCRs acknowledged during rewrites before kill -9; counter after restart %d", acked.Load(), got)
}
