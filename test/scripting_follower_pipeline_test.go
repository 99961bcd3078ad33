package test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// A pipeline of scripts sent to a follower reaches the leader in a few
// relays, not one round trip per script, and its replies keep their order.
func TestScriptPipelineThroughFollower(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	leader := c.leader()
	f := c.followers()[0]
	fc := redis.NewClient(&redis.Options{Addr: f.addr(), DisableIdentity: true})
	defer fc.Close()
	lc := redis.NewClient(&redis.Options{Addr: leader.addr(), DisableIdentity: true})
	defer lc.Close()
	readsProcessed := func() int {
		info, err := lc.Info(ctx, "stats").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, "total_reads_processed:"); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		t.Fatal("INFO stats lacks total_reads_processed")
		return 0
	}
	const n = 1000
	before := readsProcessed()
	cmds, err := fc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < n; i++ {
			p.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"counter"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if got, err := cmd.(*redis.Cmd).Int(); err != nil || got != i+1 {
			t.Fatalf("EVAL %d through the follower = %d, %v", i+1, got, err)
		}
	}
	// One read per relayed batch (and the INFO calls): the pipeline was
	// relayed as it was read, not script by script.
	if reads := readsProcessed() - before; reads > n/10 {
		t.Errorf("the leader read %d times for %d pipelined scripts relayed by a follower", reads, n)
	}
}
