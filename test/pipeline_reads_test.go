package test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// appliedIndex is RAFT.INFO's applied_index of n.
func appliedIndex(t *testing.T, n *node) int {
	t.Helper()
	v, err := strconv.Atoi(n.raftInfo()["applied_index"])
	if err != nil {
		t.Fatalf("RAFT.INFO applied_index: %v", err)
	}
	return v
}

// TestPipelinedReadsRideWrites: in a pipeline that alternates writes and
// reads of the same keys, each read answers exactly the writes before it
// (strings, counters, lists, type errors, RESP3 maps), the whole pipeline
// takes a handful of log entries instead of one per pair, and the reads
// count once each in commandstats and keyspace hits/misses.
func TestPipelinedReadsRideWrites(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	before := appliedIndex(t, n)
	const pairs = 500
	p := c.Pipeline()
	var gets []*redis.StringCmd
	var incrGets []*redis.StringCmd
	var llens []*redis.IntCmd
	var heads []*redis.StringSliceCmd
	for i := 0; i < pairs; i++ {
		p.Set(ctx, "k", "v"+strconv.Itoa(i), 0)
		gets = append(gets, p.Get(ctx, "k"))
		p.Incr(ctx, "n")
		incrGets = append(incrGets, p.Get(ctx, "n"))
		p.LPush(ctx, "l", i)
		llens = append(llens, p.LLen(ctx, "l"))
		heads = append(heads, p.LRange(ctx, "l", 0, 0))
	}
	wrong := p.Get(ctx, "l")      // WRONGTYPE, in its place
	missing := p.Get(ctx, "nope") // a miss
	mget := p.MGet(ctx, "k", "n", "nope")
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil && !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatal(err)
	}
	for i := 0; i < pairs; i++ {
		if got, want := gets[i].Val(), "v"+strconv.Itoa(i); got != want {
			t.Fatalf("GET after SET #%d = %q, want %q", i, got, want)
		}
		if got, want := incrGets[i].Val(), strconv.Itoa(i+1); got != want {
			t.Fatalf("GET after INCR #%d = %q, want %q", i, got, want)
		}
		if got := llens[i].Val(); got != int64(i+1) {
			t.Fatalf("LLEN after LPUSH #%d = %d", i, got)
		}
		if got := heads[i].Val(); len(got) != 1 || got[0] != strconv.Itoa(i) {
			t.Fatalf("LRANGE after LPUSH #%d = %q", i, got)
		}
	}
	wantErr(t, "GET of a list", wrong.Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
	if missing.Err() != redis.Nil {
		t.Fatalf("GET of a missing key: %v", missing.Err())
	}
	if got := fmt.Sprint(mget.Val()); got != fmt.Sprintf("[v%d %d <nil>]", pairs-1, pairs) {
		t.Fatalf("MGET = %s", got)
	}

	// 3500 writes and reads: an entry per chunk the server reads off the
	// socket (at most 1024 commands each), where every read flushing the
	// writes before it took one per write at least (2000).
	if d := appliedIndex(t, n) - before; d > pairs/10 {
		t.Fatalf("the pipeline took %d log entries", d)
	}
	info := infoFields(t, c)
	calls := func(cmd string) string {
		m := regexp.MustCompile(`calls=(\d+),.*rejected_calls=(\d+),failed_calls=(\d+)`).FindStringSubmatch(info["cmdstat_"+cmd])
		if m == nil {
			t.Fatalf("no cmdstat_%s: %q", cmd, info["cmdstat_"+cmd])
		}
		return m[1] + "/" + m[3]
	}
	for cmd, want := range map[string]string{
		"get": fmt.Sprint(2*pairs+2) + "/1", "llen": fmt.Sprint(pairs) + "/0", "lrange": fmt.Sprint(pairs) + "/0",
		"mget": "1/0", "set": fmt.Sprint(pairs) + "/0",
	} {
		if got := calls(cmd); got != want {
			t.Errorf("cmdstat_%s calls/failed = %s, want %s", cmd, got, want)
		}
	}
	// Hits: 2 GETs, LLEN and LRANGE a round, MGET's two; misses: GET nope,
	// MGET's nope (the WRONGTYPE GET found its key).
	if got, want := info["keyspace_hits"], strconv.Itoa(4*pairs+1+2); got != want {
		t.Errorf("keyspace_hits = %s, want %s", got, want)
	}
	if got := info["keyspace_misses"]; got != "2" {
		t.Errorf("keyspace_misses = %s, want 2", got)
	}

	// RESP3 replies render in the client's protocol: HGETALL is a map.
	out := n.raw(t, encodeCmd("HELLO", "3")+encodeCmd("HSET", "h", "f", "v")+encodeCmd("HGETALL", "h")+
		encodeCmd("HSET", "h", "f", "w")+encodeCmd("HGET", "h", "f"), time.Second)
	if !strings.HasSuffix(out, ":1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n:0\r\n$1\r\nw\r\n") {
		t.Fatalf("RESP3 pipeline replies: %q", out)
	}
}

// TestPipelinedReadsExpiry: a read in a pipeline sees a key that expires
// within the pipeline exactly as the writes beside it do (at the entry's
// time), and a key it finds expired is deleted, counted and gone from
// DBSIZE, as for any read, with the active expiry cycle off.
func TestPipelinedReadsExpiry(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	if err := c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	p := c.Pipeline()
	p.Set(ctx, "k", "v", 50*time.Millisecond)
	get := p.Get(ctx, "k")
	p.Set(ctx, "other", "1", 0)
	ttl := p.PTTL(ctx, "k")
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if get.Val() != "v" || ttl.Val() <= 0 || ttl.Val() > 50*time.Millisecond {
		t.Fatalf("GET/PTTL beside the SET PX: %q %v", get.Val(), ttl.Val())
	}
	time.Sleep(80 * time.Millisecond)
	expired := infoFields(t, c)["expired_keys"]

	p = c.Pipeline()
	p.Set(ctx, "other", "2", 0)
	get = p.Get(ctx, "k")
	exists := p.Exists(ctx, "k")
	ttl2 := p.TTL(ctx, "k")
	p.Set(ctx, "k2", "x", 0)
	get2 := p.Get(ctx, "k2")
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if get.Err() != redis.Nil || exists.Val() != 0 || ttl2.Val() != -2 || get2.Val() != "x" {
		t.Fatalf("after expiry: GET %v %q, EXISTS %d, TTL %v, GET k2 %q", get.Err(), get.Val(), exists.Val(), ttl2.Val(), get2.Val())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		size, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		now := infoFields(t, c)["expired_keys"]
		if size == 2 && now != expired {
			if e0, _ := strconv.Atoi(expired); now != strconv.Itoa(e0+1) {
				t.Fatalf("expired_keys went from %s to %s, want one more", expired, now)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the expired key the pipeline read was not deleted: DBSIZE %d, expired_keys %s -> %s", size, expired, now)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mixedPipelines sends rounds of pipelines that interleave writes (some
// with short TTLs) and reads of the same keys, pausing between rounds so
// that the reads meet keys expired since.
func mixedPipelines(t *testing.T, c *redis.Client, rounds int) {
	t.Helper()
	ctx := ctxT(t)
	for r := 0; r < rounds; r++ {
		p := c.Pipeline()
		for i := 0; i < 200; i++ {
			k := "key:" + strconv.Itoa(i%37)
			if i%3 == 0 {
				p.Set(ctx, k, fmt.Sprint(r, ":", i), time.Duration(5+i%20)*time.Millisecond)
			} else {
				p.Append(ctx, k, "x")
			}
			p.Get(ctx, k)
			p.Exists(ctx, "key:"+strconv.Itoa((i+11)%37))
			p.SAdd(ctx, "set:"+strconv.Itoa(i%5), i)
			p.SMembers(ctx, "set:"+strconv.Itoa(i%5))
			p.PExpire(ctx, "set:"+strconv.Itoa(i%5), time.Duration(10+r)*time.Millisecond)
			p.PTTL(ctx, k)
		}
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
			t.Fatalf("round %d: %v", r, err)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// TestPipelinedReadsCluster: after mixed pipelines of writes, reads and
// keys expiring among them, every node of a 3-node cluster holds the same
// data; only the leader, which served the reads, counts their keyspace
// hits. Without a quorum, the reads of a pipeline's failed entry get the
// same error as its writes.
func TestPipelinedReadsCluster(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "1s")
	leader := c.leader()
	lc := leader.client()
	mixedPipelines(t, lc, 20)
	// Lazy expiry of what the last reads met, through the log.
	time.Sleep(100 * time.Millisecond)
	mixedPipelines(t, lc, 1)
	c.waitConverged()
	for _, f := range c.followers() {
		if h := infoFields(t, f.client())["keyspace_hits"]; h != "0" {
			t.Errorf("follower %s counted %s keyspace hits for reads it never served", f.name(), h)
		}
	}
	if h := infoFields(t, lc)["keyspace_hits"]; h == "0" {
		t.Errorf("the leader counted no keyspace hits")
	}

	for _, f := range c.followers() {
		f.kill()
	}
	cl := redis.NewClient(&redis.Options{Addr: leader.addr(), MaxRetries: -1, ReadTimeout: 30 * time.Second})
	defer cl.Close()
	ctx := ctxT(t)
	p := cl.Pipeline()
	set := p.Set(ctx, "x", "1", 0)
	get := p.Get(ctx, "x")
	p.Exec(ctx)
	if set.Err() == nil || get.Err() == nil || set.Err().Error() != get.Err().Error() {
		t.Fatalf("without a quorum: SET %v, GET %v; want the same error", set.Err(), get.Err())
	}
}

// TestPipelinedReadsAOF: reads that rode in entries never reach the AOF,
// and a restart from it gives back the same data.
func TestPipelinedReadsAOF(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	mixedPipelines(t, c, 5)
	// Keys without TTLs too, so there is something left to compare.
	p := c.Pipeline()
	for i := 0; i < 100; i++ {
		p.RPush(ctx, "list", i)
		p.LIndex(ctx, "list", -1)
		p.HSet(ctx, "hash", strconv.Itoa(i), i)
		p.HGetAll(ctx, "hash")
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// Once every TTL has passed and the keys are gone, the digest is
	// what a restart must give back.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(infoFields(t, c)["db0"], "expires=0") {
		if time.Now().After(deadline) {
			t.Fatalf("keys with TTLs still there: %s", infoFields(t, c)["db0"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	digest, err := c.Do(ctx, "RAFT.DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	aof := strings.ToLower(readAOFDir(t, filepath.Join(n.dir, "appendonlydir")))
	for _, read := range []string{"get", "exists", "smembers", "pttl", "lindex", "hgetall"} {
		if strings.Contains(aof, "\r\n$"+strconv.Itoa(len(read))+"\r\n"+read+"\r\n") {
			t.Errorf("the AOF holds %s", strings.ToUpper(read))
		}
	}
	n.stop()
	n.restart()
	c2 := n.client()
	got, err := c2.Do(ctx, "RAFT.DIGEST").Text()
	if err != nil {
		t.Fatal(err)
	}
	if got != digest {
		t.Fatalf("RAFT.DIGEST after restart from the AOF %s, before %s", got, digest)
	}
	if h, _ := c2.HLen(ctx, "hash").Result(); h != 100 {
		t.Fatalf("after restart: hash has %d fields", h)
	}
}
