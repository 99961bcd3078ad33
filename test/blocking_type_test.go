package test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestBlockedPopPassesOverOtherTypes: a client blocked on a list (or a
// sorted set) whose key is made a string by a transaction that pushed to it
// first stays blocked, as in Redis, and is served by the next push; it is
// not answered WRONGTYPE (Redis' "LPUSH + DEL + SET should not awake blocked
// client").
func TestBlockedPopPassesOverOtherTypes(t *testing.T) {
	redisAddr := startRedis(t)
	n := startNode(t)
	for _, target := range []struct{ name, addr string }{{"redis", redisAddr}, {"geomys", n.addr()}} {
		t.Run(target.name, func(t *testing.T) {
			for _, tc := range []struct {
				name       string
				block      func(c *redis.Client) (string, error)
				push, with []any
			}{
				{"BLPOP", func(c *redis.Client) (string, error) {
					r, err := c.BLPop(context.Background(), 10*time.Second, "k").Result()
					if err != nil {
						return "", err
					}
					return r[1], nil
				}, []any{"lpush", "k", "first"}, []any{"lpush", "k", "second"}},
				{"BLMOVE", func(c *redis.Client) (string, error) {
					return c.BLMove(context.Background(), "k", "dst", "LEFT", "RIGHT", 10*time.Second).Result()
				}, []any{"lpush", "k", "first"}, []any{"lpush", "k", "second"}},
				{"BZPOPMIN", func(c *redis.Client) (string, error) {
					r, err := c.BZPopMin(context.Background(), 10*time.Second, "k").Result()
					if err != nil {
						return "", err
					}
					return r.Member.(string), nil
				}, []any{"zadd", "k", "1", "first"}, []any{"zadd", "k", "2", "second"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ctx := ctxT(t)
					c := redis.NewClient(&redis.Options{Addr: target.addr})
					defer c.Close()
					c.FlushAll(ctx)
					blocked := redis.NewClient(&redis.Options{Addr: target.addr, ReadTimeout: 15 * time.Second})
					defer blocked.Close()
					got := make(chan string, 1)
					go func() {
						v, err := tc.block(blocked)
						if err != nil {
							v = "error: " + err.Error()
						}
						got <- v
					}()
					waitBlocked(t, c, 1)
					if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Do(ctx, tc.push...)
						p.Del(ctx, "k")
						p.Set(ctx, "k", "a string", 0)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					select {
					case v := <-got:
						t.Fatalf("woken by a key that holds a string now: %q", v)
					case <-time.After(300 * time.Millisecond):
					}
					c.Del(ctx, "k")
					c.Do(ctx, tc.with...)
					select {
					case v := <-got:
						if v != "second" {
							t.Fatalf("served %q, want second", v)
						}
					case <-time.After(5 * time.Second):
						t.Fatal("still blocked after the key became a list again")
					}
				})
			}
		})
	}
}

// Clients blocked on one key are served in the order they blocked, as in
// Redis, even when their attempts commit in one group and the scheduler
// wakes their goroutines in another order: each takes its place in line
// as its attempt is applied. Redis 7.0's "BRPOPLPUSH with multiple blocked
// clients" depends on it.
func TestBlockedClientsServedInLogOrder(t *testing.T) {
	n := startNode(t)
	ctl := dialRESP(t, n.addr(), 2)
	admin := n.client()
	for round := range 10 {
		key := "q" + strconv.Itoa(round)
		var conns []*respConn
		for range 3 {
			c := dialRESP(t, n.addr(), 2)
			defer c.c.Close()
			c.send("BLPOP", key, "0")
			conns = append(conns, c)
			time.Sleep(2 * time.Millisecond)
		}
		waitBlocked(t, admin, 3)
		for i := range 3 {
			ctl.do("RPUSH", key, "e"+strconv.Itoa(i))
		}
		for i, c := range conns {
			got, err := c.read(5 * time.Second)
			want := "*2\r\n$" + strconv.Itoa(len(key)) + "\r\n" + key + "\r\n$2\r\ne" + strconv.Itoa(i) + "\r\n"
			if err != nil || got != want {
				t.Fatalf("round %d: client %d (blocked %d-th) got %q, %v; want %q", round, i, i+1, got, err, want)
			}
		}
	}
}
