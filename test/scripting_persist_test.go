package test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The script cache and the function libraries survive restarts (clean and
// kill -9), AOF rewrites and snapshots, as the replicated data they are; a
// SCRIPT FLUSH or FUNCTION DELETE survives too; and a stock redis-server
// loading the rewritten AOF finds the libraries.
func TestScriptsAndFunctionsPersist(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	c := n.client()
	loaded, err := c.ScriptLoad(ctx, "return 'loaded'").Result()
	if err != nil {
		t.Fatal(err)
	}
	evaled := "redis.call('incr', KEYS[1]); return 'evaled'"
	if err := c.Eval(ctx, evaled, []string{"counter"}).Err(); err != nil {
		t.Fatal(err)
	}
	evaledSHA := scriptSHA(evaled)
	lib := "#!lua name=persisted\nredis.register_function('twice', function(keys) return redis.call('incrby', keys[1], 2) end)"
	if err := c.Do(ctx, "FUNCTION", "LOAD", lib).Err(); err != nil {
		t.Fatal(err)
	}
	check := func(when string, wantCounter int64) {
		t.Helper()
		c := n.client()
		if got, err := c.EvalSha(ctx, loaded, nil).Text(); err != nil || got != "loaded" {
			t.Errorf("%s: EVALSHA of a SCRIPT LOADed script = %q, %v", when, got, err)
		}
		if got, err := c.EvalSha(ctx, evaledSHA, []string{"counter"}).Text(); err != nil || got != "evaled" {
			t.Errorf("%s: EVALSHA of an EVALed script = %q, %v", when, got, err)
		}
		if got, err := c.Do(ctx, "FCALL", "twice", 1, "counter").Int64(); err != nil || got != wantCounter {
			t.Errorf("%s: FCALL twice = %d, %v; want %d", when, got, err, wantCounter)
		}
	}

	n.stop()
	n.restart()
	check("after a restart", 4) // 1 (EVAL) + 1 (EVALSHA) + 2

	if err := n.client().BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, n.client())
	n.kill()
	n.restart()
	check("after a rewrite and kill -9", 7)

	c = n.client()
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('gone', function() return 1 end)").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "FUNCTION", "DELETE", "gone").Err(); err != nil {
		t.Fatal(err)
	}
	n.stop()
	n.restart()
	c = n.client()
	if err := c.EvalSha(ctx, loaded, nil).Err(); err == nil || err.Error() != "NOSCRIPT No matching script. Please use EVAL." {
		t.Errorf("EVALSHA after SCRIPT FLUSH and a restart: %v, want NOSCRIPT", err)
	}
	if err := c.Do(ctx, "FCALL", "gone", 0).Err(); err == nil || err.Error() != "ERR Function not found" {
		t.Errorf("FCALL of a deleted function after a restart: %v", err)
	}

	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	want := dump(t, n.addr())
	n.stop()
	addr := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading the rewritten AOF", want, dump(t, addr))
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got, err := rc.Do(rctx, "FCALL", "twice", 1, "counter").Int64(); err != nil || got != 9 {
		t.Errorf("redis-server on the Geomys AOF: FCALL twice = %d, %v; want 9", got, err)
	}
}

// scriptSHA is the name Redis gives a script body, computed here so that no
// SCRIPT LOAD puts it in the cache.
func scriptSHA(body string) string {
	sum := sha1.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}
