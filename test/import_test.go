package test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"

	"github.com/redis/go-redis/v9"
)

// redisAOF fills a stock redis-server (appendonly yes, RDB preamble) with
// every type, TTLs, several databases, a function library and streams with
// groups, rewrites the AOF so that its base is RDB, writes more into the
// incr file, and returns the server's address and its dir.
func redisAOF(t *testing.T) (string, string) {
	addr := testutil.StartRedis(t, "--appendonly", "yes", "--aof-use-rdb-preamble", "yes", "--enable-debug-command", "yes")
	r := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { r.Close() })
	ctx := ctxT(t)
	must := func(cmds ...[]any) {
		t.Helper()
		for _, c := range cmds {
			if err := r.Do(ctx, c...).Err(); err != nil && err != redis.Nil {
				t.Fatalf("redis %v: %v", c, err)
			}
		}
	}
	fill := func(p string) {
		must([]any{"SET", p + "s", "plain"}, []any{"SET", p + "n", "12345"}, []any{"SET", p + "long", strings.Repeat("abc", 500)},
			[]any{"SET", p + "ttl", "x", "PX", "600000"},
			[]any{"RPUSH", p + "l", "a", "b", "3"}, []any{"SADD", p + "si", "1", "2", "3"}, []any{"SADD", p + "ss", "x", "y"},
			[]any{"HSET", p + "h", "f", "v", "g", "w"}, []any{"ZADD", p + "z", "1.5", "a", "-2", "b", "inf", "c"},
			[]any{"PFADD", p + "hll", "a", "b", "c"}, []any{"SETBIT", p + "bits", "100", "1"},
			[]any{"EXPIRE", p + "h", "9000"})
		big := []any{"RPUSH", p + "bigl"}
		bigs := []any{"SADD", p + "bigs"}
		bigh := []any{"HSET", p + "bigh"}
		bigz := []any{"ZADD", p + "bigz"}
		for i := 0; i < 700; i++ {
			v := fmt.Sprintf("member-%d-%s", i, strings.Repeat("q", i%40))
			big, bigs = append(big, v), append(bigs, v)
			bigh, bigz = append(bigh, v, i), append(bigz, float64(i)/3, v)
		}
		must(big, bigs, bigh, bigz)
		for i := 1; i <= 150; i++ {
			must([]any{"XADD", p + "x", fmt.Sprintf("%d-1", i), "f", i, "g", "v"})
		}
		must([]any{"XADD", p + "x", "200-1", "other", "fields"}, []any{"XDEL", p + "x", "5-1", "150-1"},
			[]any{"XGROUP", "CREATE", p + "x", "g1", "0"}, []any{"XGROUP", "CREATE", p + "x", "g2", "$"},
			[]any{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", p + "x", ">"},
			[]any{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", p + "x", ">"},
			[]any{"XACK", p + "x", "g1", "2-1"}, []any{"XGROUP", "CREATECONSUMER", p + "x", "g2", "carol"},
			[]any{"XADD", p + "empty", "1-1", "a", "b"}, []any{"XDEL", p + "empty", "1-1"})
	}
	must([]any{"FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"})
	fill("")
	must([]any{"SELECT", "3"})
	fill("db3:")
	must([]any{"SELECT", "0"})
	if err := r.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info := r.Info(ctx, "persistence").Val()
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") &&
			strings.Contains(info, "aof_last_bgrewrite_status:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("BGREWRITEAOF did not finish:\n%s", info)
		}
	}
	// The incr file: more writes after the RDB base.
	must([]any{"SET", "after", "rewrite"}, []any{"INCRBY", "n", "5"}, []any{"LPUSH", "l", "front"},
		[]any{"XADD", "x", "300-1", "late", "1"}, []any{"XREADGROUP", "GROUP", "g2", "dave", "STREAMS", "x", ">"},
		[]any{"SET", "exp", "v", "EX", "1000"}, []any{"DEL", "ss"},
		[]any{"FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f2', function(keys, args) return 2 end)"})
	tx := r.TxPipeline()
	tx.Select(ctx, 5)
	tx.Set(ctx, "db5key", "in a transaction", 0)
	tx.HSet(ctx, "db5hash", "a", "b")
	if _, err := tx.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// What Redis itself loads from these files is the reference (XCLAIM
	// as propagated, for one, does not carry a group's entries-read).
	if err := r.Do(ctx, "DEBUG", "LOADAOF").Err(); err != nil {
		t.Fatal(err)
	}
	dir := r.ConfigGet(ctx, "dir").Val()["dir"]
	base, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.rdb"))
	if len(base) != 1 {
		t.Fatalf("redis-server wrote no RDB base: %v", base)
	}
	return addr, dir
}

// keyspace reads every key of every database type-wise (with its
// expiry time), and the function libraries.
func keyspace(t *testing.T, addr string) map[string]any {
	t.Helper()
	ctx := ctxT(t)
	out := map[string]any{}
	for db := 0; db < 16; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
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
			case "hash":
				v = c.HGetAll(ctx, k).Val()
			case "zset":
				v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
			case "stream":
				info := c.XInfoStream(ctx, k).Val()
				info.RecordedFirstEntryID = "" // Redis does not keep it across a restart either
				var groups []any
				for _, g := range c.XInfoGroups(ctx, k).Val() {
					pend := c.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: k, Group: g.Name, Start: "-", End: "+", Count: 1000}).Val()
					for i := range pend {
						pend[i].Idle = 0
					}
					var cons []string
					for _, cs := range c.XInfoConsumers(ctx, k, g.Name).Val() {
						cons = append(cons, cs.Name+":"+strconv.FormatInt(cs.Pending, 10))
					}
					groups = append(groups, g, pend, cons)
				}
				v = []any{c.XRange(ctx, k, "-", "+").Val(), info, groups}
			default:
				t.Fatalf("db %d key %q: type %q", db, k, typ)
			}
			out[fmt.Sprintf("%d/%s %s exp=%d", db, k, typ, c.PExpireTime(ctx, k).Val())] = v
		}
		c.Close()
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	libs := c.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Val()
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	out["functions"] = libs
	out["fcall"] = c.FCall(ctx, "myfunc", nil, "hello").Val()
	return out
}

func compareKeyspaces(t *testing.T, want, got map[string]any) {
	t.Helper()
	if len(want) < 35 {
		t.Fatalf("the Redis side has only %d keys", len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("missing after import: %s", k)
		} else if !reflect.DeepEqual(w, g) {
			t.Errorf("%s differs:\nredis:  %v\ngeomys: %v", k, w, g)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra key after import: %s", k)
		}
	}
}

// waitLog waits for a line in a node's log.
func waitLog(t *testing.T, n *node, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(n.log.String(), what) {
		select {
		case <-n.exited:
			t.Fatalf("geomys exited:\n%s", n.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", what, n.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestImportRedisAOF(t *testing.T) {
	redisAddr, dir := redisAOF(t)
	want := keyspace(t, redisAddr)

	n := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(),
		args: []string{"--import", dir, "--loglevel", "notice"}}
	n.launch()
	t.Cleanup(n.kill)
	waitLog(t, n, "import finished")
	compareKeyspaces(t, want, keyspace(t, n.addr()))

	// Started again with --import, the node has data: it refuses and exits.
	n.stop()
	n.launch()
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("a node with data did not refuse --import:\n%s", n.log.String())
	}
	if code := n.cmd.ProcessState.ExitCode(); code == 0 || !strings.Contains(n.log.String(), "the dataset is not empty: --import loads into an empty node or cluster only") {
		t.Errorf("exit %d, log:\n%s", code, n.log.String())
	}
	// The data survived as it was.
	n.args = []string{"--loglevel", "notice"}
	n.start()
	compareKeyspaces(t, want, keyspace(t, n.addr()))
}

// A node joining a cluster with --import loads the data through the
// leader: every member ends up with it.
func TestImportRedisAOFCluster(t *testing.T) {
	redisAddr, dir := redisAOF(t)
	want := keyspace(t, redisAddr)
	c := startCluster(t, 2)
	c.extra = append(c.extra, "--import", dir)
	n := c.addNode(false)
	waitLog(t, n, "import finished")
	c.waitConverged()
	for _, m := range c.nodes {
		compareKeyspaces(t, want, keyspace(t, m.addr()))
	}
}
