package test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterReadLeaseConfig: --read-lease yes shows in CONFIG GET, the
// leader then serves reads without confirmation rounds, and CONFIG SET
// read-lease no brings the rounds back.
func TestClusterReadLeaseConfig(t *testing.T) {
	c := startCluster(t, 3, "--read-lease", "yes")
	ctx := ctxT(t)
	l := c.leader()
	lc := l.client2()
	if got, err := lc.ConfigGet(ctx, "read-lease").Result(); err != nil || got["read-lease"] != "yes" {
		t.Fatalf("CONFIG GET read-lease: %v %v, want yes", got, err)
	}
	counters := func() (rounds, hits int) {
		info := l.raftInfo()
		rounds, _ = strconv.Atoi(info["read_confirmations"])
		hits, _ = strconv.Atoi(info["read_lease_hits"])
		return rounds, hits
	}
	gets := func(n int) {
		for i := 0; i < n; i++ {
			if err := lc.Get(ctx, "k").Err(); err != redis.Nil {
				t.Fatalf("GET on the leader: %v", err)
			}
		}
	}
	gets(1) // the first heartbeats may still be on their way
	rounds0, hits0 := counters()
	gets(50)
	rounds1, hits1 := counters()
	// A lease expires only if no heartbeat was accepted for 0.9 s; allow
	// for a stall on a busy machine, but most reads must skip the round.
	if hits1-hits0 < 45 || rounds1-rounds0 > 5 {
		t.Fatalf("50 GETs with the lease: %d served by it, %d rounds", hits1-hits0, rounds1-rounds0)
	}
	if err := lc.ConfigSet(ctx, "read-lease", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := lc.ConfigGet(ctx, "read-lease").Result(); got["read-lease"] != "no" {
		t.Fatalf("CONFIG GET read-lease after CONFIG SET no: %v", got)
	}
	gets(20)
	rounds2, hits2 := counters()
	if hits2 != hits1 || rounds2-rounds1 < 20 {
		t.Fatalf("20 GETs without the lease: %d served by it, %d rounds, want 0 and one each", hits2-hits1, rounds2-rounds1)
	}
}

// TestClusterPausedLeaderNeverStale: a client reads one key from the
// leader in a loop while the leader is stopped (SIGSTOP) until the others
// have elected a new leader and overwritten the key, then resumed. Every
// read sent after the overwrite was acknowledged gets the new value or an
// error, never the old value: by default (confirmation rounds) and with the
// read lease, whose clock (monotonic) keeps counting while the process is
// stopped. (The read in flight when the leader stopped began before the
// overwrite, so it may return either value.)
func TestClusterPausedLeaderNeverStale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"default", nil},
		{"read-lease", []string{"--read-lease", "yes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCluster(t, 3, tc.flags...)
			pausedLeaderNeverStale(t, c)
		})
	}
}

func pausedLeaderNeverStale(t *testing.T, c *cluster) {
	ctx := ctxT(t)
	old := c.leader()
	if err := old.client2().Set(ctx, "k", "old", 0).Err(); err != nil {
		t.Fatalf("SET on the leader: %v", err)
	}

	type read struct {
		sent time.Time
		done time.Time
		val  string
		err  error
	}
	var (
		mu    sync.Mutex
		reads []read
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	readLoop := func(reader *redis.Client) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			sent := time.Now()
			v, err := reader.Get(ctx, "k").Result()
			mu.Lock()
			reads = append(reads, read{sent, time.Now(), v, err})
			mu.Unlock()
			if err != nil {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	// Several readers, so that many reads fall in the moments right after
	// the resume, before the old leader has heard of the new term.
	for range 4 {
		reader := redis.NewClient(&redis.Options{Addr: old.addr(), Protocol: 2, MaxRetries: -1, PoolSize: 1,
			ReadTimeout: 15 * time.Second, DisableIdentity: true})
		t.Cleanup(func() { reader.Close() })
		wg.Add(1)
		go readLoop(reader)
	}
	time.Sleep(300 * time.Millisecond)

	old.pause()
	nl := leaderAmong(t, c, others(c, old), old)
	nc := nl.client2()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := nc.Set(ctx, "k", "new", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			old.cont()
			t.Fatalf("SET on the new leader %s: %v", nl.name(), err)
		}
	}
	acked := time.Now()
	// Resume at once: the moment a lease, if any were left, would matter.
	old.cont()
	resumed := time.Now()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(reads)
		last := read{}
		if n > 0 {
			last = reads[n-1]
		}
		mu.Unlock()
		if last.sent.After(resumed) && last.err == nil && last.val == "new" {
			break
		}
		if time.Now().After(deadline) {
			close(stop)
			t.Fatalf("the resumed old leader %s did not serve the new value within 15s (last: %q %v)", old.name(), last.val, last.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	after, errs := 0, 0
	for _, r := range reads {
		if !r.sent.After(acked) {
			continue
		}
		after++
		switch {
		case r.err == nil && r.val == "old":
			t.Errorf("GET sent %v after the resume returned the old value: a stale read from the deposed leader %s",
				r.sent.Sub(resumed).Round(time.Microsecond), old.name())
		case r.err != nil:
			errs++
			if !strings.HasPrefix(r.err.Error(), "TRYAGAIN") {
				t.Errorf("GET after the resume: %v, want the new value or TRYAGAIN", r.err)
			}
		}
	}
	if after == 0 {
		t.Fatal("no read was sent after the overwrite")
	}
	t.Logf("%d reads sent after the overwrite, %d of them answered TRYAGAIN", after, errs)
}
