package test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// randomCommand returns one random write over a small key space and all types.
func randomCommand(r *rand.Rand) []any {
	k := "k" + strconv.Itoa(r.IntN(40))
	v := "v" + strconv.Itoa(r.IntN(1000))
	switch r.IntN(22) {
	case 0:
		return []any{"set", k, v}
	case 1:
		return []any{"incrby", "n" + strconv.Itoa(r.IntN(5)), r.IntN(100)}
	case 2:
		return []any{"append", k, v}
	case 3:
		return []any{"del", k}
	case 4:
		return []any{"rpush", "l" + k, v, v + "b"}
	case 5:
		return []any{"lpop", "l" + k}
	case 6:
		return []any{"hset", "h" + k, "f" + strconv.Itoa(r.IntN(5)), v}
	case 7:
		return []any{"hdel", "h" + k, "f" + strconv.Itoa(r.IntN(5))}
	case 8:
		return []any{"sadd", "s" + k, v, strconv.Itoa(r.IntN(50))}
	case 9:
		return []any{"spop", "s" + k}
	case 10:
		return []any{"srem", "s" + k, v}
	case 11:
		return []any{"zadd", "z" + k, r.IntN(100), v}
	case 12:
		return []any{"zincrby", "z" + k, r.Float64() * 10, v}
	case 13:
		return []any{"zpopmin", "z" + k}
	case 14:
		return []any{"expire", k, 3600 + r.IntN(100)}
	case 15:
		return []any{"persist", k}
	case 16:
		return []any{"rename", k, "k" + strconv.Itoa(r.IntN(40))}
	case 17:
		return []any{"lmove", "l" + k, "lk" + strconv.Itoa(r.IntN(40)), "LEFT", "RIGHT"}
	case 18:
		return []any{"sinterstore", "s" + k, "s" + k, "sk" + strconv.Itoa(r.IntN(40))}
	case 19:
		return []any{"zunionstore", "z" + k, 2, "z" + k, "zk" + strconv.Itoa(r.IntN(40))}
	case 20:
		return []any{"hincrbyfloat", "h" + k, "x", "1.5"}
	default:
		return []any{"setex", k, 3600, v}
	}
}

// TestRandomWritesReplayIdentically applies a random command sequence (with
// pipelines and transactions) and checks that the state rebuilt from the AOF
// after kill -9, from a rewrite (snapshot) base, and by a stock redis-server
// loading the same AOF is identical to the state that was served.
func TestRandomWritesReplayIdentically(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(42, uint64(time.Now().UnixNano())))
	apply := func(count int) {
		for i := 0; i < count; {
			switch r.IntN(3) {
			case 0: // one at a time
				c.Do(ctx, randomCommand(r)...)
				i++
			case 1: // a pipeline becomes one log entry
				p := c.Pipeline()
				for j := 0; j < 10; j++ {
					p.Do(ctx, randomCommand(r)...)
				}
				p.Exec(ctx)
				i += 10
			default: // a transaction
				p := c.TxPipeline()
				for j := 0; j < 5; j++ {
					p.Do(ctx, randomCommand(r)...)
				}
				p.Exec(ctx)
				i += 5
			}
		}
	}
	apply(1500)
	want := dump(t, n.addr())
	if len(want) < 20 {
		t.Fatalf("random workload left only %d keys", len(want))
	}
	n.kill()
	n.restart()
	sameDump(t, "replayed from the AOF after kill -9", want, dump(t, n.addr()))

	c = n.client()
	if err := c.BgRewriteAOF(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitRewrite(t, c)
	apply(500)
	want = dump(t, n.addr())
	n.stop()
	n.restart()
	sameDump(t, "rebuilt from the rewrite base plus the incremental AOF", want, dump(t, n.addr()))
	n.stop()

	rs := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading the Geomys AOF", want, dump(t, rs))
}
