package test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const txScript = `
MULTI
SET a 1
INCR a
GET a
PING
ECHO hi
LPUSH a x
RPUSH l 1 2 3
LRANGE l 0 -1
EXEC
GET a
MULTI
SET b 1
NOSUCHCOMMAND x
GET
EXEC
GET b
EXEC
DISCARD
MULTI
MULTI
DISCARD
MULTI
EXEC
MULTI
BLPOP emptylist 0
BRPOPLPUSH emptylist other 0
EXEC
WATCH a
MULTI
WATCH b
SET a 2
EXEC
UNWATCH
MULTI
SELECT 2
SET indb2 yes
EXEC
SELECT 0
GET indb2
SELECT 2
GET indb2
SELECT 0
MULTI
SET beforeshutdown 1
SHUTDOWN NOSAVE
EXEC
GET beforeshutdown
PING
`

func TestTransactions(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"MatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, txScript) }},
		nodeTest{"WatchAbortsOnChange", testWatchAbortsOnChange},
		nodeTest{"OptimisticLockingCounter", testOptimisticLocking},
		nodeTest{"SurvivesRestart", testTxSurvivesRestart},
	)
}

func testWatchAbortsOnChange(t *testing.T, n *node) {
	ctx := ctxT(t)
	a, b := n.client(), n.client()
	for _, change := range []func(){
		func() { b.Set(ctx, "w", "other", 0) },
		func() { b.Del(ctx, "w") },
		func() { b.Expire(ctx, "w", time.Hour) },
		func() { b.Append(ctx, "w", "x") },
	} {
		a.Set(ctx, "w", "v", 0)
		err := a.Watch(ctx, func(tx *redis.Tx) error {
			change()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "w", "mine", 0)
				return nil
			})
			return err
		}, "w")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after a watched key changed: err = %v, want TxFailedErr", err)
		}
		if got := a.Get(ctx, "w").Val(); got == "mine" {
			t.Fatal("aborted transaction was applied")
		}
	}
	// Unchanged key: EXEC runs.
	a.Set(ctx, "w", "v", 0)
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if err != nil || a.Get(ctx, "w").Val() != "mine" {
		t.Fatalf("EXEC with an untouched watched key: %v, value %q", err, a.Get(ctx, "w").Val())
	}
	// A key that expires between WATCH and EXEC aborts it.
	a.Set(ctx, "e", "v", 150*time.Millisecond)
	err = a.Watch(ctx, func(tx *redis.Tx) error {
		time.Sleep(300 * time.Millisecond)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "e", "mine", 0)
			return nil
		})
		return err
	}, "e")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a watched key expired: %v", err)
	}
}

// testOptimisticLocking increments one counter from many clients with
// WATCH/MULTI/EXEC retries: the final value must equal the number of
// successful transactions.
func testOptimisticLocking(t *testing.T, n *node) {
	ctx := ctxT(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: n.addr()})
			defer c.Close()
			for i := 0; i < each; {
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					v, err := tx.Get(ctx, "counter").Int()
					if err != nil && err != redis.Nil {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, "counter", strconv.Itoa(v+1), 0)
						return nil
					})
					return err
				}, "counter")
				switch {
				case err == nil:
					i++
				case errors.Is(err, redis.TxFailedErr):
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got, _ := n.client().Get(ctx, "counter").Int(); got != workers*each {
		t.Fatalf("counter = %d after %d successful transactions", got, workers*each)
	}
}

func testTxSurvivesRestart(t *testing.T, n *node) {
	ctx := context.Background()
	c := n.client()
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "t1", "a", 0)
		p.IncrBy(ctx, "t2", 5)
		p.RPush(ctx, "t3", "x", "y")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n.kill()
	n.restart()
	c = n.client()
	if c.Get(ctx, "t1").Val() != "a" || c.Get(ctx, "t2").Val() != "5" || c.LLen(ctx, "t3").Val() != 2 {
		t.Fatalf("transaction lost after kill -9: t1=%q t2=%q t3 len %d", c.Get(ctx, "t1").Val(), c.Get(ctx, "t2").Val(), c.LLen(ctx, "t3").Val())
	}
}

// A watched key changed and then restored to the identical value and TTL
// still aborts EXEC, as in Redis: WATCH tracks changes, not values.
func TestWatchSeesChangeBackToSameValue(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	a, b := n.client(), n.client()
	a.Set(ctx, "aba", "v", 0)
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		b.Set(ctx, "aba", "other", 0)
		b.Set(ctx, "aba", "v", 0)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "aba", "mine", 0)
			return nil
		})
		return err
	}, "aba")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a change back to the same value: err = %v, want TxFailedErr", err)
	}
	// In-place changes (LPUSH on an existing list) and FLUSHDB count too.
	a.RPush(ctx, "wl", "x")
	for _, change := range []func(){
		func() { b.RPush(ctx, "wl", "y") },
		func() { b.FlushDB(ctx); b.RPush(ctx, "wl", "x") },
	} {
		err := a.Watch(ctx, func(tx *redis.Tx) error {
			change()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "other", "1", 0)
				return nil
			})
			return err
		}, "wl")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("EXEC after an in-place change or FLUSHDB: err = %v", err)
		}
	}
	// Watching, then UNWATCH, then a change: EXEC runs.
	a.Do(ctx, "watch", "wl")
	a.Do(ctx, "unwatch")
	b.RPush(ctx, "wl", "z")
	if res, err := a.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Incr(ctx, "cnt"); return nil }); err != nil || len(res) != 1 {
		t.Fatalf("EXEC after UNWATCH: %v", err)
	}
}
