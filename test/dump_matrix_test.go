package test

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/rdb"
	"github.com/redis/go-redis/v9"
)

// The DUMP/RESTORE matrix: every type in every encoding redis-server 7.0
// produces, built on redis-server, DUMPed there, RESTOREd on Geomys and
// compared; then DUMPed on Geomys, RESTOREd on redis-server and compared
// again. Streams also take one more XADD and an approximate trim on both
// sides afterwards: their nodes must continue where redis-server's do.

type restoreCase struct {
	name   string
	enc    string            // redis-server's OBJECT ENCODING after cmds
	config map[string]string // set on both servers while the case runs
	cmds   []string          // "K" stands for the key
	// sameBytes: Geomys' DUMP of the restored value is redis-server's
	// payload byte for byte (not for hashtables, whose order is Redis'
	// dict's, nor for list layouts other than the default).
	sameBytes bool
}

func genCmds(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func restoreCases() []restoreCase {
	long := strings.Repeat("abcdefghij", 10)
	var cs []restoreCase
	add := func(c restoreCase) { cs = append(cs, c) }
	add(restoreCase{name: "str-int", enc: "int", cmds: []string{"SET K 12345"}, sameBytes: true})
	add(restoreCase{name: "str-int64", enc: "int", cmds: []string{"SET K -9223372036854775808"}, sameBytes: true})
	add(restoreCase{name: "str-embstr", enc: "embstr", cmds: []string{"SET K hello"}, sameBytes: true})
	add(restoreCase{name: "str-raw", enc: "raw", cmds: []string{"SET K " + long}, sameBytes: true})
	add(restoreCase{name: "str-raw-lzf", enc: "raw", cmds: []string{"SET K " + strings.Repeat(long, 30)}, sameBytes: true})
	add(restoreCase{name: "str-appended", enc: "raw", cmds: []string{"SET K 1", "APPEND K 23"}, sameBytes: true})

	push := func(n int, el func(i int) string) []string {
		return genCmds(n, func(i int) string { return "RPUSH K " + el(i) })
	}
	add(restoreCase{name: "list-small", enc: "quicklist", cmds: push(5, strconv.Itoa), sameBytes: true})
	add(restoreCase{name: "list-large", enc: "quicklist", cmds: push(3000, func(i int) string { return "e" + strconv.Itoa(i) }), sameBytes: true})
	add(restoreCase{name: "list-big-elements", enc: "quicklist", cmds: push(4, func(i int) string { return strings.Repeat(long, 100+i) }), sameBytes: true})
	add(restoreCase{name: "list-fill-5", enc: "quicklist", config: map[string]string{"list-max-listpack-size": "5"},
		cmds: push(101, strconv.Itoa), sameBytes: true})
	add(restoreCase{name: "list-fill-minus1", enc: "quicklist", config: map[string]string{"list-max-listpack-size": "-1"},
		cmds: push(2000, func(i int) string { return "e" + strconv.Itoa(i) }), sameBytes: true})
	add(restoreCase{name: "list-compressed", enc: "quicklist", config: map[string]string{"list-compress-depth": "1"},
		cmds: push(3000, func(i int) string { return "e" + strconv.Itoa(i%10) })})

	add(restoreCase{name: "set-intset", enc: "intset", cmds: genCmds(100, func(i int) string { return "SADD K " + strconv.Itoa(i*37-1000) }), sameBytes: true})
	add(restoreCase{name: "set-intset64", enc: "intset", cmds: genCmds(20, func(i int) string { return "SADD K " + strconv.FormatInt(int64(i)<<40, 10) }), sameBytes: true})
	add(restoreCase{name: "set-hashtable-strings", enc: "hashtable", cmds: genCmds(30, func(i int) string { return "SADD K m" + strconv.Itoa(i) })})
	add(restoreCase{name: "set-hashtable-many-ints", enc: "hashtable", cmds: genCmds(600, func(i int) string { return "SADD K " + strconv.Itoa(i) })})
	add(restoreCase{name: "set-hashtable-by-config", enc: "hashtable", config: map[string]string{"set-max-intset-entries": "4"},
		cmds: genCmds(6, func(i int) string { return "SADD K " + strconv.Itoa(i) })})

	add(restoreCase{name: "hash-listpack", enc: "listpack", cmds: genCmds(10, func(i int) string { return fmt.Sprintf("HSET K f%d %d", i, i*i) }), sameBytes: true})
	add(restoreCase{name: "hash-hashtable-many", enc: "hashtable", cmds: genCmds(600, func(i int) string { return fmt.Sprintf("HSET K f%d v%d", i, i) })})
	add(restoreCase{name: "hash-hashtable-long-value", enc: "hashtable", cmds: []string{"HSET K a 1", "HSET K b " + long}})
	add(restoreCase{name: "hash-hashtable-by-config", enc: "hashtable", config: map[string]string{"hash-max-listpack-entries": "3"},
		cmds: genCmds(5, func(i int) string { return fmt.Sprintf("HSET K f%d %d", i, i) })})

	add(restoreCase{name: "zset-listpack", enc: "listpack", cmds: genCmds(100, func(i int) string { return fmt.Sprintf("ZADD K %d.25 m%d", i, i) }), sameBytes: true})
	add(restoreCase{name: "zset-listpack-inf", enc: "listpack", cmds: []string{"ZADD K -inf a 0 b +inf c 1e300 d"}, sameBytes: true})
	add(restoreCase{name: "zset-skiplist", enc: "skiplist", cmds: genCmds(300, func(i int) string { return fmt.Sprintf("ZADD K %d m%d", i*7%301, i) }), sameBytes: true})
	add(restoreCase{name: "zset-skiplist-long-member", enc: "skiplist", cmds: []string{"ZADD K 1 a", "ZADD K 2 " + long}, sameBytes: true})
	add(restoreCase{name: "zset-skiplist-by-config", enc: "skiplist", config: map[string]string{"zset-max-listpack-entries": "3"},
		cmds: genCmds(5, func(i int) string { return fmt.Sprintf("ZADD K %d m%d", i, i) }), sameBytes: true})

	xadd := func(n int, from int) []string {
		return genCmds(n, func(i int) string {
			i += from
			if i%5 == 4 {
				return fmt.Sprintf("XADD K %d-%d other %d", 1000+i, i%3, i)
			}
			return fmt.Sprintf("XADD K %d-%d name n%d value %d", 1000+i, i%3, i, i*i)
		})
	}
	cat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	add(restoreCase{name: "stream-empty", enc: "stream", cmds: []string{"XADD K MAXLEN 0 5-1 a b"}, sameBytes: true})
	add(restoreCase{name: "stream-one", enc: "stream", cmds: []string{"XADD K 1-1 f v"}, sameBytes: true})
	add(restoreCase{name: "stream-nodes", enc: "stream", cmds: xadd(350, 0), sameBytes: true})
	add(restoreCase{name: "stream-deleted", enc: "stream", cmds: cat(xadd(250, 0),
		[]string{"XDEL K 1002-2 1050-2 1051-0 1100-1", "XTRIM K MINID 1005-0", "XDEL K 1249-0"}), sameBytes: true})
	add(restoreCase{name: "stream-first-node-deleted", enc: "stream", cmds: cat(xadd(120, 0),
		[]string{"XTRIM K MAXLEN 10"}), sameBytes: true})
	add(restoreCase{name: "stream-node-entries", enc: "stream", config: map[string]string{"stream-node-max-entries": "7"},
		cmds: cat(xadd(60, 0), []string{"XDEL K 1007-1"}), sameBytes: true})
	add(restoreCase{name: "stream-node-bytes", enc: "stream", config: map[string]string{"stream-node-max-bytes": "200"},
		cmds: xadd(60, 0), sameBytes: true})
	add(restoreCase{name: "stream-setid", enc: "stream", cmds: cat(xadd(10, 0),
		[]string{"XSETID K 5000-7 ENTRIESADDED 900 MAXDELETEDID 1003-0"}), sameBytes: true})
	add(restoreCase{name: "stream-groups-no-consumers", enc: "stream", cmds: cat(xadd(20, 0), []string{
		"XGROUP CREATE K g1 0", "XGROUP CREATE K g2 $", "XGROUP CREATE K g3 1010-1 ENTRIESREAD 11", "XDEL K 1015-0"}), sameBytes: true})
	add(restoreCase{name: "stream-groups-pel", enc: "stream", cmds: cat(xadd(30, 0), []string{
		"XGROUP CREATE K g1 0", "XGROUP CREATE K g2 0",
		"XREADGROUP GROUP g1 alice COUNT 5 STREAMS K >", "XREADGROUP GROUP g1 bob COUNT 3 STREAMS K >",
		"XREADGROUP GROUP g2 carol NOACK COUNT 4 STREAMS K >", "XREADGROUP GROUP g2 dave COUNT 2 STREAMS K >",
		"XACK K g1 1001-1", "XCLAIM K g1 bob 0 1003-0 JUSTID", "XGROUP CREATECONSUMER K g1 idle",
		"XDEL K 1002-2 1006-0"})})
	add(restoreCase{name: "stream-pel-of-trimmed", enc: "stream", cmds: cat(xadd(150, 0), []string{
		"XGROUP CREATE K g 0", "XREADGROUP GROUP g c COUNT 120 STREAMS K >", "XTRIM K MAXLEN ~ 20", "XDEL K 1140-0"})})
	return cs
}

// caseArgs splits a case's command with K replaced by key.
func caseArgs(cmd, key string) []any {
	f := strings.Fields(cmd)
	out := make([]any, len(f))
	for i, w := range f {
		if w == "K" {
			out[i] = key
		} else {
			out[i] = w
		}
	}
	return out
}

// valueOf is a key's content as comparable text: for streams XINFO STREAM
// FULL (entries, metadata, radix tree size, groups, PEL with delivery
// times and counts, consumers with seen times) and XINFO GROUPS (lag).
func valueOf(t *testing.T, c *redis.Client, key string) string {
	t.Helper()
	ctx := ctxT(t)
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	switch typ {
	case "string":
		v, err = c.Get(ctx, key).Result()
	case "list":
		v, err = c.LRange(ctx, key, 0, -1).Result()
	case "hash":
		var m map[string]string
		m, err = c.HGetAll(ctx, key).Result()
		var pairs []string
		for f, x := range m {
			pairs = append(pairs, f+"="+x)
		}
		sort.Strings(pairs)
		v = pairs
	case "set":
		var m []string
		m, err = c.SMembers(ctx, key).Result()
		sort.Strings(m)
		v = m
	case "zset":
		v, err = c.Do(ctx, "ZRANGE", key, 0, -1, "WITHSCORES").Result()
	case "stream":
		var full, groups any
		full, err = c.Do(ctx, "XINFO", "STREAM", key, "FULL", "COUNT", 0).Result()
		if err == nil {
			groups, err = c.Do(ctx, "XINFO", "GROUPS", key).Result()
		}
		v = []any{full, groups}
	case "none":
		return "none"
	default:
		t.Fatalf("%s: type %s", key, typ)
	}
	if err != nil {
		t.Fatalf("reading %s (%s): %v", key, typ, err)
	}
	return typ + ":" + fmt.Sprint(v)
}

func TestDumpRestoreMatrix(t *testing.T) {
	ctx := ctxT(t)
	n := startNode(t)
	gc := n.client2()
	// Deep sanitization makes redis-server refuse damaged payloads rather
	// than load them as they come, as Geomys does.
	ref := testutil.StartRedis(t, "--sanitize-dump-payload", "yes")
	rc := redis.NewClient(&redis.Options{Addr: ref, Protocol: 2})
	defer rc.Close()
	for _, tc := range restoreCases() {
		t.Run(tc.name, func(t *testing.T) {
			key := "k:" + tc.name
			for k, v := range tc.config {
				for _, c := range []*redis.Client{rc, gc} {
					old := c.ConfigGet(ctx, k).Val()[k]
					if err := c.ConfigSet(ctx, k, v).Err(); err != nil {
						t.Fatalf("CONFIG SET %s %s: %v", k, v, err)
					}
					defer c.ConfigSet(ctx, k, old)
				}
			}
			for _, cmd := range tc.cmds {
				if err := rc.Do(ctx, caseArgs(cmd, key)...).Err(); err != nil {
					t.Fatalf("%s on redis-server: %v", cmd, err)
				}
			}
			if enc := rc.ObjectEncoding(ctx, key).Val(); enc != tc.enc {
				t.Fatalf("redis-server holds %s as %q, the case wants %q", key, enc, tc.enc)
			}
			want := valueOf(t, rc, key)
			p, err := rc.Dump(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if err := gc.Restore(ctx, key, 0, p).Err(); err != nil {
				t.Fatalf("RESTORE of redis-server's payload on Geomys: %v", err)
			}
			if got := valueOf(t, gc, key); got != want {
				t.Fatalf("restored on Geomys:\n got %s\nwant %s", trunc2(got), trunc2(want))
			}
			wantErr(t, "RESTORE over an existing key", gc.Restore(ctx, key, 0, p).Err(), "BUSYKEY Target key name already exists.")
			q, err := gc.Dump(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if tc.sameBytes && q != p {
				t.Errorf("Geomys' DUMP (%d bytes) is not redis-server's (%d bytes)\n geomys %q\n  redis %q", len(q), len(p), trunc(q), trunc(p))
			}
			back := "back:" + key
			if err := rc.Restore(ctx, back, 0, q).Err(); err != nil {
				t.Fatalf("RESTORE of Geomys' payload on redis-server: %v", err)
			}
			if got := valueOf(t, rc, back); got != want {
				t.Fatalf("restored on redis-server from Geomys' payload:\n got %s\nwant %s", trunc2(got), trunc2(want))
			}
			if tc.enc == "stream" {
				streamContinues(t, rc, gc, key)
			}
			restoreOptions(t, rc, gc, key, p)
		})
	}
}

// streamContinues appends to and trims the stream on both servers: the
// entries must land in the same nodes and the same nodes must go.
func streamContinues(t *testing.T, rc, gc *redis.Client, key string) {
	ctx := ctxT(t)
	for _, c := range []*redis.Client{rc, gc} {
		c.ConfigSet(ctx, "stream-node-max-entries", "10")
		for i := 0; i < 25; i++ {
			if err := c.Do(ctx, "XADD", key, fmt.Sprintf("9000000-%d", i), "name", "late", "value", i).Err(); err != nil {
				t.Fatalf("XADD after RESTORE: %v", err)
			}
		}
		c.ConfigSet(ctx, "stream-node-max-entries", "100")
	}
	if want, got := valueOf(t, rc, key), valueOf(t, gc, key); got != want {
		t.Fatalf("after XADDs:\n got %s\nwant %s", trunc2(got), trunc2(want))
	}
	if p, q := rc.Dump(ctx, key).Val(), gc.Dump(ctx, key).Val(); p != q && !strings.Contains(key, "pel") {
		t.Errorf("DUMP after XADDs: Geomys' payload (%d bytes) is not redis-server's (%d bytes)", len(q), len(p))
	}
	for _, c := range []*redis.Client{rc, gc} {
		if err := c.Do(ctx, "XTRIM", key, "MAXLEN", "~", 30).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if want, got := valueOf(t, rc, key), valueOf(t, gc, key); got != want {
		t.Fatalf("after XTRIM MAXLEN ~ 30:\n got %s\nwant %s", trunc2(got), trunc2(want))
	}
}

// restoreOptions runs RESTORE's TTL, ABSTTL, REPLACE, IDLETIME and FREQ
// forms of the payload on both servers and compares what they leave.
func restoreOptions(t *testing.T, rc, gc *redis.Client, key, p string) {
	ctx := ctxT(t)
	abs := time.Now().Add(time.Hour).UnixMilli()
	steps := [][]any{
		{"RESTORE", "ttl:" + key, 100000, p},
		{"RESTORE", "abs:" + key, abs, p, "ABSTTL"},
		{"RESTORE", "abs:" + key, abs + 1, p, "ABSTTL", "REPLACE", "IDLETIME", 1000},
		{"RESTORE", "past:" + key, 1, p, "ABSTTL"},
		{"RESTORE", "freq:" + key, 0, p, "FREQ", 7},
		{"RESTORE", "freq:" + key, 0, p, "FREQ", 7},
		{"RESTORE", "freq:" + key, 0, p, "REPLACE", "IDLETIME", 5, "FREQ", 1},
		{"RESTORE", "bad:" + key, 0, p[:len(p)-1] + "x"},
		{"RESTORE", "bad:" + key, 0, string(rdb.AppendFooter([]byte(p[:1] + "\xff\xff")))},
	}
	for _, st := range steps {
		want := fmt.Sprint(rc.Do(ctx, st...).Result())
		got := fmt.Sprint(gc.Do(ctx, st...).Result())
		if got != want {
			t.Errorf("%v: Geomys %s, redis-server %s", st[:3], got, want)
		}
	}
	for _, k := range []string{"abs:" + key, "past:" + key, "freq:" + key, "bad:" + key} {
		want := fmt.Sprint(rc.Do(ctx, "PEXPIRETIME", k).Val()) + " " + valueOf(t, rc, k)
		if got := fmt.Sprint(gc.Do(ctx, "PEXPIRETIME", k).Val()) + " " + valueOf(t, gc, k); got != want {
			t.Errorf("%s after RESTORE: Geomys %s, redis-server %s", k, trunc2(got), trunc2(want))
		}
	}
	if ttl := gc.PTTL(ctx, "ttl:"+key).Val(); ttl <= 90*time.Second || ttl > 100*time.Second {
		t.Errorf("PTTL after RESTORE with TTL 100000: %v", ttl)
	}
}

func trunc2(s string) string {
	if len(s) > 600 {
		return s[:600] + "..."
	}
	return s
}

// buildCases creates every case's value on redis-server (each under its
// own settings) and returns the keys and their payloads.
func buildCases(t *testing.T, rc *redis.Client) ([]string, map[string]string) {
	t.Helper()
	ctx := ctxT(t)
	var keys []string
	payloads := map[string]string{}
	for _, tc := range restoreCases() {
		key := "k:" + tc.name
		var undo [][2]string
		for k, v := range tc.config {
			undo = append(undo, [2]string{k, rc.ConfigGet(ctx, k).Val()[k]})
			rc.ConfigSet(ctx, k, v)
		}
		for _, cmd := range tc.cmds {
			if err := rc.Do(ctx, caseArgs(cmd, key)...).Err(); err != nil {
				t.Fatalf("%s on redis-server: %v", cmd, err)
			}
		}
		for _, u := range undo {
			rc.ConfigSet(ctx, u[0], u[1])
		}
		keys = append(keys, key)
		payloads[key] = rc.Dump(ctx, key).Val()
	}
	return keys, payloads
}

// TestRestoreMatrixPersistence: the RESTOREs of every case (relative TTLs,
// ABSTTL, none) reach the AOF so that Geomys restarts to the same values
// and a stock redis-server loads that AOF to them too; a stream keeps its
// nodes through a restart and an AOF rewrite.
func TestRestoreMatrixPersistence(t *testing.T) {
	ctx := ctxT(t)
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2})
	defer rc.Close()
	keys, payloads := buildCases(t, rc)
	n := startNode(t)
	gc := n.client2()
	abs := time.Now().Add(48 * time.Hour).UnixMilli()
	for i, k := range keys {
		var err error
		switch i % 3 {
		case 0:
			err = gc.Restore(ctx, k, 0, payloads[k]).Err()
		case 1:
			err = gc.Restore(ctx, k, time.Hour, payloads[k]).Err()
		case 2:
			err = gc.Do(ctx, "RESTORE", k, abs+int64(i), payloads[k], "ABSTTL", "IDLETIME", 10).Err()
		}
		if err != nil {
			t.Fatalf("RESTORE %s: %v", k, err)
		}
	}
	snapshot := func(c *redis.Client) map[string]string {
		out := map[string]string{}
		for _, k := range keys {
			out[k] = valueOf(t, c, k) + " expires-at=" + fmt.Sprint(c.Do(ctx, "PEXPIRETIME", k).Val())
		}
		return out
	}
	want := snapshot(gc)
	n.stop()
	check := exec.Command("redis-check-aof", filepath.Join(n.dir, "appendonlydir", "appendonly.aof.manifest"))
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("redis-check-aof: %v\n%s", err, out)
	}
	ra := redis.NewClient(&redis.Options{Addr: startRedisOnDir(t, freePort(t), n.dir), Protocol: 2})
	defer ra.Close()
	sameDump(t, "redis-server loading the Geomys AOF", want, snapshot(ra))

	n.restart()
	gc = n.client2()
	sameDump(t, "Geomys after a restart", want, snapshot(gc))
	if err := gc.Do(ctx, "BGREWRITEAOF").Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, gc)
	n.stop()
	n.restart()
	gc = n.client2()
	sameDump(t, "Geomys after an AOF rewrite and a restart", want, snapshot(gc))
	// Streams reloaded from the rewrite DUMP without their deleted entries:
	// redis-server still loads them to the same entries and groups.
	for _, k := range keys {
		if err := ra.Do(ctx, "RESTORE", k, 0, gc.Dump(ctx, k).Val(), "REPLACE").Err(); err != nil {
			t.Fatalf("RESTORE on redis-server of %s DUMPed after the rewrite: %v", k, err)
		}
		if got, want := valueOf(t, ra, k), valueOf(t, gc, k); got != want && !strings.HasPrefix(k, "k:stream-") {
			t.Errorf("%s DUMPed after the rewrite, restored on redis-server:\n got %s\nwant %s", k, trunc2(got), trunc2(want))
		}
		if a, b := ra.Do(ctx, "XRANGE", k, "-", "+").String(), gc.Do(ctx, "XRANGE", k, "-", "+").String(); strings.HasPrefix(k, "k:stream-") && a != b {
			t.Errorf("%s DUMPed after the rewrite: XRANGE on redis-server %s, Geomys %s", k, trunc2(a), trunc2(b))
		}
	}
}

// TestRestoreMatrixOnCluster: every case RESTOREd through the leader
// leaves the three nodes with the same data, and a follower DUMPs the
// leader's bytes.
func TestRestoreMatrixOnCluster(t *testing.T) {
	ctx := ctxT(t)
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2})
	defer rc.Close()
	keys, payloads := buildCases(t, rc)
	c := startCluster(t, 3)
	lc := c.leader().client()
	for i, k := range keys {
		if err := lc.Restore(ctx, k, time.Duration(i)*time.Hour, payloads[k]).Err(); err != nil {
			t.Fatalf("RESTORE %s: %v", k, err)
		}
		// The stream goes on growing from the restored nodes on every node.
		if strings.HasPrefix(k, "k:stream-") {
			if err := lc.Do(ctx, "XADD", k, "MAXLEN", "~", 50, "9000000-1", "late", "1").Err(); err != nil {
				t.Fatalf("XADD %s: %v", k, err)
			}
		}
	}
	c.waitConverged()
	f := c.followers()[0].client()
	for _, k := range keys {
		if got, want := f.Dump(ctx, k).Val(), lc.Dump(ctx, k).Val(); got != want || want == "" {
			t.Errorf("DUMP %s on a follower (%d bytes) differs from the leader's (%d bytes)", k, len(got), len(want))
		}
	}
}
