package test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Scripts on a cluster: every node must end with the same data, whatever a
// script did that could differ between runs (math.random, TIME, pairs()
// order, SPOP/SRANDMEMBER, errors after partial writes), whichever node it
// was sent to, and across a leader crash; and a stock redis-server loading
// one node's AOF must hold that same data.

// determinismScripts write to every type through the things that could
// split nodes if a script ran on each of them.
var determinismScripts = []string{
	"local r = math.random(1000000); redis.call('set', KEYS[1], r); return r",
	"local t = redis.call('time'); redis.call('hset', KEYS[1], 'sec', t[1], 'usec', t[2]); return t[1]",
	"local t = {}; for i = 1, 12 do t['f' .. math.random(100)] = i end; local order = {}; for k in pairs(t) do order[#order + 1] = k end; redis.call('rpush', KEYS[1], unpack(order)); return #order",
	"redis.call('sadd', KEYS[1], 'a', 'b', 'c', 'd', 'e', math.random(50)); return redis.call('spop', KEYS[1])",
	"redis.call('sadd', KEYS[1], 'x', 'y', 'z'); local m = redis.call('srandmember', KEYS[1]); redis.call('set', KEYS[1] .. ':picked', m); return m",
	"redis.call('zadd', KEYS[1], math.random(), ARGV[1]); return redis.call('zcard', KEYS[1])",
	"redis.call('incr', KEYS[1] .. ':n'); redis.call('hset', KEYS[1] .. ':n', 'x', 1); return 1",
	"redis.call('lpush', KEYS[1] .. ':l', ARGV[1]); error('boom after a write')",
	"redis.pcall('incr', KEYS[1]); redis.call('set', KEYS[1] .. ':after', ARGV[1]); return 1",
	"redis.call('select', 3); redis.call('set', KEYS[1], ARGV[1]); return 1",
	"redis.call('set', KEYS[1] .. ':ttl', ARGV[1], 'px', 3600000 + math.random(1000)); return 1",
	"if math.random() < 0.5 then redis.call('del', KEYS[1]) end; return redis.call('exists', KEYS[1])",
	"local v = redis.call('get', KEYS[1]); if not v then return 0 end; return redis.call('append', KEYS[1] .. ':copy', v)",
	"redis.call('hincrbyfloat', KEYS[1] .. ':h', 'f', math.random() * 10); return redis.call('hlen', KEYS[1] .. ':h')",
}

const determinismLibrary = "#!lua name=det\n" +
	"redis.register_function('bump', function(keys, args) redis.call('zincrby', keys[1] .. ':z', math.random(5), args[1]); return redis.call('zscore', keys[1] .. ':z', args[1]) end)\n" +
	"redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"

func TestScriptsDeterministicOnCluster(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	first := c.leader().client()
	if err := first.Do(ctx, "FUNCTION", "LOAD", determinismLibrary).Err(); err != nil {
		t.Fatalf("FUNCTION LOAD: %v", err)
	}
	shas := make([]string, len(determinismScripts))
	for i, s := range determinismScripts {
		sha, err := c.followers()[0].client().ScriptLoad(ctx, s).Result()
		if err != nil {
			t.Fatalf("SCRIPT LOAD on a follower: %v", err)
		}
		shas[i] = sha
	}

	var calls, failed, okLate atomic.Int64
	var late atomic.Bool // set once the restarted leader had time to rejoin
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			clients := map[string]*redis.Client{}
			defer func() {
				for _, cl := range clients {
					cl.Close()
				}
			}()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := c.nodes[rng.IntN(len(c.nodes))]
				if !n.running() {
					continue
				}
				cl := clients[n.addr()]
				if cl == nil {
					cl = redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, Protocol: 2})
					clients[n.addr()] = cl
				}
				key := fmt.Sprintf("k%d", rng.IntN(20))
				arg := fmt.Sprintf("w%d-%d", w, i)
				cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var err error
				switch k := rng.IntN(len(determinismScripts) + 2); {
				case k < len(determinismScripts) && rng.IntN(2) == 0:
					err = cl.Eval(cctx, determinismScripts[k], []string{key}, arg).Err()
				case k < len(determinismScripts):
					err = cl.EvalSha(cctx, shas[k], []string{key}, arg).Err()
				case k == len(determinismScripts):
					err = cl.Do(cctx, "FCALL", "bump", 1, key, arg).Err()
				default:
					err = cl.Do(cctx, "FCALL_RO", "peek", 1, key).Err()
				}
				cancel()
				calls.Add(1)
				switch {
				case err != nil && err != redis.Nil && !isScriptReply(err):
					failed.Add(1) // TRYAGAIN/UNCERTAIN, or a dropped connection, while there is no leader
				case late.Load():
					okLate.Add(1)
				}
			}
		}(w)
	}

	time.Sleep(3 * time.Second)
	l := c.leader()
	l.kill()
	t.Logf("killed the leader %s after %d calls", l.name(), calls.Load())
	time.Sleep(3 * time.Second)
	l.restart()
	time.Sleep(2 * time.Second)
	late.Store(true)
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("%d script calls, %d refused or uncertain while there was no leader, %d answered after the old leader rejoined",
		calls.Load(), failed.Load(), okLate.Load())
	if okLate.Load() < 200 {
		t.Fatalf("only %d script calls answered after the failover\n%s", okLate.Load(), c.logs())
	}
	digest := c.waitConverged()
	t.Logf("every node's RAFT.DIGEST: %s", digest)

	// EVALSHA works on every node, the restarted one included, without a
	// SCRIPT LOAD of its own: the cache is replicated.
	for _, n := range c.nodes {
		if err := n.client().EvalSha(ctx, shas[0], []string{"after"}, "x").Err(); err != nil {
			t.Errorf("EVALSHA on %s after the failover: %v", n.name(), err)
		}
	}
	c.waitConverged()

	// A stock redis-server loading a node's AOF holds the same data.
	n := c.followers()[0]
	want := dump(t, n.addr())
	if len(want) < 20 {
		t.Fatalf("only %d keys after the run", len(want))
	}
	n.stop()
	addr := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading a node's AOF after script traffic", want, dump(t, addr))
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	if libs, err := rc.Do(ctx, "FUNCTION", "LIST").Slice(); err != nil || len(libs) != 1 {
		t.Errorf("redis-server did not load the function library from the AOF: %v %v", libs, err)
	}
}

// isScriptReply tells an error the script itself answered (expected here:
// WRONGTYPE, boom after a write) from one of the cluster.
func isScriptReply(err error) bool {
	s := err.Error()
	return strings.Contains(s, "script: ") || strings.HasPrefix(s, "WRONGTYPE") || strings.HasPrefix(s, "ERR value is not")
}
