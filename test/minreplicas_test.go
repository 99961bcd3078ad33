package test

import (
	"strings"
	"testing"
	"time"
)

// min-replicas-to-write refuses writes as redis-server does when too few
// replicas are in good contact: plain writes, a transaction holding one,
// scripts that declare they may write, a script's write command.
func TestMinReplicasToWriteLikeRedis(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, `
SET x v
CONFIG SET min-replicas-to-write 1
SET x 1
GET x
EVAL "return redis.call('get', KEYS[1])" 1 x
EVAL "#!lua\nreturn redis.call('get', KEYS[1])" 1 x
EVAL "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])" 1 x
EVAL "return redis.call('set', KEYS[1], 1)" 1 x
MULTI
INCR x
GET x
EXEC
FUNCTION LOAD "#!lua name=mr\nredis.register_function('w', function(keys) return redis.call('get', keys[1]) end)\nredis.register_function{function_name='r', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"
FCALL w 1 x
FCALL r 1 x
CONFIG SET min-replicas-to-write 0
SET x 2
GET x
FUNCTION FLUSH
`)
}

// On a cluster the replicas are the leader's followers: with two of two
// in contact writes go through; once one is gone for longer than
// min-replicas-max-lag, writes are refused while reads still work.
func TestMinReplicasToWriteCluster(t *testing.T) {
	c := startCluster(t, 3)
	leader := c.leader()
	cl := leader.client()
	ctx := ctxT(t)
	for _, kv := range [][2]string{{"min-replicas-max-lag", "1"}, {"min-replicas-to-write", "2"}} {
		if err := cl.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with both followers in contact: %v", err)
	}
	if got := infoInt(t, cl, "replication", "min_slaves_good_slaves"); got != 2 {
		t.Fatalf("min_slaves_good_slaves %d, want 2", got)
	}
	c.followers()[0].kill()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := cl.Set(ctx, "k", "v2", 0).Err()
		if err != nil && strings.HasPrefix(err.Error(), "NOREPLICAS ") {
			break
		}
		if err != nil && !strings.HasPrefix(err.Error(), "NOREPLICAS") {
			t.Fatalf("SET with a follower gone: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still accepted 15 s after a follower was killed")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if v, err := cl.Get(ctx, "k").Result(); err != nil || (v != "v" && v != "v2") {
		t.Fatalf("GET while writes are refused: %q, %v", v, err)
	}
	if err := cl.ConfigSet(ctx, "min-replicas-to-write", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Set(ctx, "k", "v3", 0).Err(); err != nil {
		t.Fatalf("SET with one follower and min-replicas-to-write 1: %v", err)
	}
}
