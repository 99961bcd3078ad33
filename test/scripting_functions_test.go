package test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// FUNCTION DUMP and RESTORE move libraries between Geomys and redis-server
// in both directions, and FUNCTION KILL stops a looping read-only function.
func TestFunctionDumpRestoreAndKill(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	g := n.client()
	r := redis.NewClient(&redis.Options{Addr: startRedis(t)})
	defer r.Close()
	lib := "#!lua name=moved\nredis.register_function('twice', function(keys, args) return args[1] * 2 end)\n" +
		"redis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}"
	if err := g.Do(ctx, "FUNCTION", "LOAD", lib).Err(); err != nil {
		t.Fatal(err)
	}
	payload, err := g.Do(ctx, "FUNCTION", "DUMP").Text()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Do(ctx, "FUNCTION", "RESTORE", payload).Err(); err != nil {
		t.Fatalf("redis-server refused Geomys' FUNCTION DUMP payload: %v", err)
	}
	if got, err := r.Do(ctx, "FCALL", "twice", 0, 21).Int(); err != nil || got != 42 {
		t.Fatalf("FCALL on redis-server after RESTORE = %d, %v", got, err)
	}
	back, err := r.Do(ctx, "FUNCTION", "DUMP").Text()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Do(ctx, "FUNCTION", "RESTORE", back, "REPLACE").Err(); err != nil {
		t.Fatalf("Geomys refused redis-server's FUNCTION DUMP payload: %v", err)
	}
	if got, err := g.Do(ctx, "FCALL", "twice", 0, 5).Int(); err != nil || got != 10 {
		t.Fatalf("FCALL on Geomys after RESTORE = %d, %v", got, err)
	}

	runner := dialRESP(t, n.addr(), 2)
	runner.send("FCALL_RO", "spin", "0")
	time.Sleep(300 * time.Millisecond)
	if got := dialRESP(t, n.addr(), 2).do("FUNCTION", "KILL"); got != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL = %q", got)
	}
	if got, err := runner.read(10 * time.Second); err != nil || !strings.HasPrefix(got, "-ERR Script killed by user") {
		t.Fatalf("the killed function answered %q, %v", got, err)
	}
}

// With --read-consistency stale, read-only scripts and functions run on the
// node they are sent to, even a follower cut off from a quorum.
func TestReadOnlyScriptsStaleOnFollower(t *testing.T) {
	c := startCluster(t, 3, "--read-consistency", "stale", "--request-timeout", "1s")
	ctx := ctxT(t)
	l := c.leader()
	lc := l.client()
	if err := lc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := lc.Do(ctx, "FUNCTION", "LOAD", "#!lua name=ro\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}").Err(); err != nil {
		t.Fatal(err)
	}
	c.waitConverged()
	fs := c.followers()
	for _, n := range append(fs, l) {
		n.pause()
	}
	defer func() {
		for _, n := range append(fs, l) {
			n.cont()
		}
	}()
	f := fs[0] // no quorum anywhere now; resume one follower alone
	f.cont()
	fc := redis.NewClient(&redis.Options{Addr: f.addr(), MaxRetries: -1})
	defer fc.Close()
	if got, err := fc.Do(ctx, "EVAL_RO", "return redis.call('GET', KEYS[1])", 1, "k").Text(); err != nil || got != "v" {
		t.Errorf("EVAL_RO on a follower without a quorum, stale mode = %q, %v", got, err)
	}
	if got, err := fc.Do(ctx, "FCALL_RO", "peek", 1, "k").Text(); err != nil || got != "v" {
		t.Errorf("FCALL_RO on a follower without a quorum, stale mode = %q, %v", got, err)
	}
}
