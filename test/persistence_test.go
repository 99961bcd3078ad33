package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fill writes a mix of types, TTLs and databases and returns a dump of them.
func fill(t *testing.T, c *redis.Client, prefix string) {
	t.Helper()
	ctx := ctxT(t)
	for i := 0; i < 200; i++ {
		c.Set(ctx, fmt.Sprintf("%sstr:%d", prefix, i), fmt.Sprintf("value-%d", i), 0)
	}
	c.Set(ctx, prefix+"ttl", "soon", time.Hour)
	c.IncrBy(ctx, prefix+"counter", 41)
	c.Incr(ctx, prefix+"counter")
	c.RPush(ctx, prefix+"list", "a", "b", "c")
	c.LPush(ctx, prefix+"list", "z")
	c.LPop(ctx, prefix+"list")
	c.Set(ctx, prefix+"bin", "\x00\r\n\xff binary", 0)
	c.Del(ctx, prefix+"str:0")
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { // MULTI/EXEC in the AOF
		p.Set(ctx, prefix+"tx:a", "1", 0)
		p.Incr(ctx, prefix+"tx:a")
		p.RPush(ctx, prefix+"tx:list", "p", "q")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pipe := c.Pipeline()
	pipe.Select(ctx, 3)
	pipe.Set(ctx, prefix+"in-db3", "three", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// dump captures every key of dbs 0 and 3 as comparable text.
func dump(t *testing.T, addr string) map[string]string {
	t.Helper()
	ctx := ctxT(t)
	out := map[string]string{}
	for _, db := range []int{0, 3} {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			var v string
			switch typ := c.Type(ctx, k).Val(); typ {
			case "string":
				v = "string:" + c.Get(ctx, k).Val()
			case "list":
				v = "list:" + strings.Join(c.LRange(ctx, k, 0, -1).Val(), ",")
			case "hash":
				var pairs []string
				for f, x := range c.HGetAll(ctx, k).Val() {
					pairs = append(pairs, f+"="+x)
				}
				sort.Strings(pairs)
				v = "hash:" + strings.Join(pairs, ",")
			case "set":
				m := c.SMembers(ctx, k).Val()
				sort.Strings(m)
				v = "set:" + strings.Join(m, ",")
			case "zset":
				var parts []string
				for _, z := range c.ZRangeWithScores(ctx, k, 0, -1).Val() {
					parts = append(parts, fmt.Sprintf("%v=%v", z.Member, z.Score))
				}
				v = "zset:" + strings.Join(parts, ",")
			default:
				v = typ
			}
			// The absolute expiry is what the AOF stores, so it must match exactly.
			if at, err := c.Do(ctx, "pexpiretime", k).Int64(); err != nil {
				t.Fatalf("PEXPIRETIME %s: %v", k, err)
			} else if at > 0 {
				v += fmt.Sprintf(" expires-at=%d", at)
			}
			out[fmt.Sprintf("%d/%s", db, k)] = v
		}
		c.Close()
	}
	return out
}

func sameDump(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	var diffs []string
	for k, v := range want {
		if got[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: got %q want %q", k, got[k], v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s differs:\n%s", what, strings.Join(diffs[:min(len(diffs), 20)], "\n"))
	}
}

func TestRestartKeepsData(t *testing.T) {
	n := startNode(t)
	fill(t, n.client(), "")
	before := dump(t, n.addr())
	if len(before) < 200 {
		t.Fatalf("only %d keys written", len(before))
	}
	n.stop()
	n.restart()
	sameDump(t, "after SIGTERM restart", before, dump(t, n.addr()))

	// A rewrite (snapshot) followed by more writes, then kill -9.
	c := n.client()
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	fill(t, c, "after:")
	before = dump(t, n.addr())
	n.kill()
	n.restart()
	sameDump(t, "after rewrite + kill -9 restart", before, dump(t, n.addr()))
}

func waitRewrite(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := ctxT(t)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		info := c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_base_size:") &&
			!strings.Contains(info, "aof_base_size:0\r") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("AOF rewrite did not finish")
}

// TestKill9LosesNoAcknowledgedWrite kills the node while clients write and
// checks every acknowledged INCR and RPUSH survived the restart.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	for _, fsync := range []string{"everysec", "no"} {
		t.Run(fsync, func(t *testing.T) {
			n := startNode(t, "--appendfsync", fsync)
			const workers = 8
			var acked [workers]atomic.Int64 // per worker: INCRs acknowledged
			var pushed [workers][]string
			var wg sync.WaitGroup
			ctx, cancel := context.WithCancel(context.Background())
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
					defer c.Close()
					for i := 0; ctx.Err() == nil; i++ {
						if _, err := c.Incr(ctx, "counter:"+strconv.Itoa(w)).Result(); err != nil {
							return
						}
						acked[w].Add(1)
						v := fmt.Sprintf("%d-%d", w, i)
						if err := c.RPush(ctx, "list", v).Err(); err != nil {
							return
						}
						pushed[w] = append(pushed[w], v)
					}
				}(w)
			}
			time.Sleep(1500 * time.Millisecond)
			n.kill()
			cancel()
			wg.Wait()
			total := int64(0)
			for w := range acked {
				total += acked[w].Load()
			}
			if total < 100 {
				t.Fatalf("only %d writes acknowledged before the kill", total)
			}
			n.restart()
			c := n.client()
			ctx2 := ctxT(t)
			for w := 0; w < workers; w++ {
				got, _ := c.Get(ctx2, "counter:"+strconv.Itoa(w)).Int64()
				// The one in flight at the kill may or may not have committed.
				if got < acked[w].Load() || got > acked[w].Load()+1 {
					t.Fatalf("counter:%d = %d after restart, %d acknowledged", w, got, acked[w].Load())
				}
			}
			list := c.LRange(ctx2, "list", 0, -1).Val()
			have := map[string]bool{}
			for _, v := range list {
				if have[v] {
					t.Fatalf("value %s pushed once appears twice", v)
				}
				have[v] = true
			}
			for w := range pushed {
				for _, v := range pushed[w] {
					if !have[v] {
						t.Fatalf("acknowledged RPUSH %s lost (list has %d items)", v, len(list))
					}
				}
			}
			t.Logf("%d INCRs acknowledged before kill -9, all present", total)
		})
	}
}

// TestRedisServerLoadsOurAOF starts the stock redis-server on our data dir.
func TestRedisServerLoadsOurAOF(t *testing.T) {
	n := startNode(t)
	c := n.client()
	fill(t, c, "")
	if err := c.BgRewriteAOF(ctxT(t)).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	fill(t, c, "incr:") // lands in the incremental file after the new base
	c.Expire(ctxT(t), "incr:str:5", 2*time.Hour)
	c.Persist(ctxT(t), "ttl")
	want := dump(t, n.addr())
	n.stop()

	check := exec.Command("redis-check-aof", filepath.Join(n.dir, "appendonlydir", "appendonly.aof.manifest"))
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("redis-check-aof: %v\n%s", err, out)
	}

	addr := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading the Geomys AOF", want, dump(t, addr))
}

// startRedisOnDir starts the stock redis-server with AOF on dir (a Geomys data
// dir: its appendonlydir/ is Redis' default AOF directory) and returns its address.
func startRedisOnDir(t *testing.T, port int, dir string) string {
	t.Helper()
	redisServer, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed: run `make test`, which installs it")
	}
	rs := exec.Command(redisServer, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--save", "", "--daemonize", "no")
	var log syncBuffer
	rs.Stdout, rs.Stderr = &log, &log
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Process.Kill(); rs.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rc.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start on the Geomys AOF:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr
}

// TestTruncatedAOFTailIsRepaired simulates a crash mid-write of the AOF.
func TestTruncatedAOFTailIsRepaired(t *testing.T) {
	n := startNode(t)
	fill(t, n.client(), "")
	want := dump(t, n.addr())
	n.stop()
	incr := newestIncr(t, n.dir)
	f, err := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("*3\r\n$3\r\nSET\r\n$4\r\nhalf") // a record cut short
	f.Close()
	n.restart()
	sameDump(t, "after truncated tail", want, dump(t, n.addr()))
	if !strings.Contains(strings.ToLower(n.log.String()), "truncat") {
		t.Fatalf("no warning about the truncated AOF in the log:\n%s", n.log.String())
	}
}

// TestCorruptAOFRefusesToStart flips bytes in the middle of an AOF file.
func TestCorruptAOFRefusesToStart(t *testing.T) {
	n := startNode(t)
	fill(t, n.client(), "")
	n.stop()
	incr := newestIncr(t, n.dir)
	data, err := os.ReadFile(incr)
	if err != nil {
		t.Fatal(err)
	}
	mid := len(data) / 2
	for data[mid] != '*' { // corrupt the start of a record in the middle
		mid++
	}
	data[mid] = '?'
	if err := os.WriteFile(incr, data, 0o644); err != nil {
		t.Fatal(err)
	}
	n.cmd = exec.Command(geomysBin, "--port", strconv.Itoa(n.port), "--dir", n.dir,
		"--raft-addr", "127.0.0.1:"+strconv.Itoa(n.raftPort))
	out, err := n.cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("geomys started on a corrupt AOF:\n%s", out)
	}
	if !strings.Contains(string(out), filepath.Base(incr)) {
		t.Fatalf("error does not name the corrupt file %s:\n%s", filepath.Base(incr), out)
	}
}

func newestIncr(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if len(files) == 0 {
		t.Fatal("no incremental AOF file")
	}
	sort.Slice(files, func(i, j int) bool { return seqOf(files[i]) < seqOf(files[j]) })
	return files[len(files)-1]
}

func seqOf(name string) int {
	parts := strings.Split(filepath.Base(name), ".")
	for i := len(parts) - 1; i >= 0; i-- {
		if n, err := strconv.Atoi(parts[i]); err == nil {
			return n
		}
	}
	return 0
}
