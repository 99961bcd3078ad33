package test

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const loadingReply = "-LOADING Redis is loading the dataset in memory\r\n"

// dialStarting connects to a node that is starting, retrying while its port
// is not bound yet.
func dialStarting(t *testing.T, n *node) *respConn {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", n.addr(), time.Second)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return &respConn{t: t, c: c, br: bufio.NewReader(c)}
		}
		select {
		case <-n.exited:
			t.Fatalf("geomys exited during start-up:\n%s", n.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no connection within 30s: %v", n.addr(), err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// pingUntilPong is a start-up script's wait: PING every few milliseconds
// until +PONG. Before that the only acceptable answer is -LOADING. It
// returns the connection and how many LOADING replies came first.
func pingUntilPong(t *testing.T, n *node) (*respConn, int) {
	t.Helper()
	rc := dialStarting(t, n)
	loading := 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		switch r := rc.do("PING"); r {
		case "+PONG\r\n":
			return rc, loading
		case loadingReply:
			loading++
		default:
			t.Fatalf("PING while starting: %q, want +PONG or %q", r, loadingReply)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PONG within 30s:\n%s", n.log.String())
		}
		time.Sleep(3 * time.Millisecond)
	}
}

// requireServes checks that a write and a read succeed right after PONG.
func requireServes(t *testing.T, rc *respConn, key, val string) {
	t.Helper()
	if r := rc.do("SET", key, val); r != "+OK\r\n" {
		t.Fatalf("SET right after PONG: %q", r)
	}
	want := "$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n"
	if r := rc.do("GET", key); r != want {
		t.Fatalf("GET right after PONG: %q, want %q", r, want)
	}
}

// newStoppedNode is a node on free ports whose process the test launches.
func newStoppedNode(t *testing.T, extra ...string) *node {
	n := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(), args: extra}
	t.Cleanup(func() {
		n.kill()
		n.checkRace()
	})
	return n
}

// TestReadyAfterPong: once a single node answers PING, the next SET and GET
// succeed — on a fresh start, a clean restart and a restart after kill -9
// during writes — and the node elects itself at once instead of sitting out
// its election timeout (5s here: without the immediate election a start
// takes at least that long).
func TestReadyAfterPong(t *testing.T) {
	const rounds = 5
	n := newStoppedNode(t, "--raft-election-timeout", "5s")
	check := func(what string, round int) {
		t.Helper()
		start := time.Now()
		n.launch()
		rc, _ := pingUntilPong(t, n)
		requireServes(t, rc, "ready:"+what, strconv.Itoa(round))
		if took := time.Since(start); took > 4*time.Second {
			t.Fatalf("%s %d: first write %v after start; a sole voter must not wait out its 5s election timeout", what, round, took)
		}
	}
	for round := 0; round < rounds; round++ {
		if round > 0 {
			n.dir = t.TempDir()
		}
		check("fresh", round)
		n.stop()
		check("restart", round)

		// kill -9 while a client writes as fast as it can; every INCR it
		// saw acknowledged must survive.
		cl := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
		var acked atomic.Int64
		var wg sync.WaitGroup
		ctx, cancel := context.WithCancel(context.Background())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				v, err := cl.Incr(ctx, "ready:counter").Result()
				if err != nil {
					return
				}
				acked.Store(v)
			}
		}()
		for acked.Load() < 50 {
			time.Sleep(time.Millisecond)
		}
		n.kill()
		cancel()
		wg.Wait()
		cl.Close()
		check("kill9", round)
		rc := dialStarting(t, n)
		r := rc.do("GET", "ready:counter")
		lines := strings.Split(r, "\r\n")
		got, err := strconv.ParseInt(lines[len(lines)-2], 10, 64)
		if err != nil || got < acked.Load() {
			t.Fatalf("after kill -9 counter = %q, want >= %d (acknowledged)", r, acked.Load())
		}
		n.stop()
	}
}

// TestReadyLoading: while a large AOF loads, the port is open and commands,
// PING included, answer exactly Redis's -LOADING; INFO works and says
// loading:1. Then PONG, and the data is there.
func TestReadyLoading(t *testing.T) {
	const keys = 300000
	n := startNode(t)
	ctx := ctxT(t)
	cl := n.client()
	for i := 0; i < keys; i += 1000 {
		p := cl.Pipeline()
		for j := i; j < i+1000; j++ {
			p.Set(ctx, "k:"+strconv.Itoa(j), "v", 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	n.stop()

	n.launch()
	rc := dialStarting(t, n)
	// One pipeline: if both PINGs say LOADING, the SET and INFO between
	// them ran while loading too.
	for _, c := range [][]string{{"PING"}, {"SET", "x", "1"}, {"INFO", "persistence"}, {"PING"}} {
		rc.send(c...)
	}
	var replies []string
	for range 4 {
		r, err := rc.read(30 * time.Second)
		if err != nil {
			t.Fatalf("reading replies during load: %v (%q)\nnode log:\n%s", err, replies, n.log.String())
		}
		replies = append(replies, r)
	}
	if replies[0] != loadingReply {
		t.Fatalf("PING right after start on a %d-key AOF: %q, want %q", keys, replies[0], loadingReply)
	}
	if replies[3] == loadingReply {
		if replies[1] != loadingReply {
			t.Errorf("SET during load: %q, want %q", replies[1], loadingReply)
		}
		if !strings.Contains(replies[2], "loading:1\r\n") {
			t.Errorf("INFO persistence during load lacks loading:1: %q", replies[2])
		}
	}
	rc2, loading := pingUntilPong(t, n)
	t.Logf("%d LOADING replies before PONG", loading)
	if r := rc2.do("DBSIZE"); r != ":"+strconv.Itoa(keys)+"\r\n" {
		t.Fatalf("DBSIZE after load: %q", r)
	}
	requireServes(t, rc2, "after-load", "1")
	if r := rc2.do("INFO", "persistence"); !strings.Contains(r, "loading:0\r\n") {
		t.Fatalf("INFO persistence after load: %q", r)
	}
}

// TestClusterWriteWaitsForLeader: a write sent to a follower right after
// the leader was killed waits for the new leader and succeeds, instead of
// answering TRYAGAIN at once; with no quorum left, it answers TRYAGAIN after
// about --request-timeout, and a whole pipeline waits once, not per command.
func TestClusterWriteWaitsForLeader(t *testing.T) {
	const timeout = 2 * time.Second
	c := startCluster(t, 3, "--raft-election-timeout", "300ms", "--request-timeout", timeout.String())
	leader := c.leader()
	var rest []*node
	for _, n := range c.nodes {
		if n != leader {
			rest = append(rest, n)
		}
	}
	rc := dialRESP(t, rest[0].addr(), 2)
	if r := rc.do("SET", "k", "before"); r != "+OK\r\n" {
		t.Fatalf("SET on a follower: %q", r)
	}
	leader.kill()
	start := time.Now()
	if r := rc.do("SET", "k", "after"); r != "+OK\r\n" {
		t.Fatalf("SET on a follower while the leader is being replaced: %q after %v\n%s", r, time.Since(start), c.logs())
	}
	t.Logf("SET answered +OK %v after the leader was killed", time.Since(start).Round(time.Millisecond))
	if r := rc.do("GET", "k"); r != "$5\r\nafter\r\n" {
		t.Fatalf("GET after the failover: %q", r)
	}

	// Now kill the new leader: one of three voters is left, no quorum.
	var survivor *node
	if rest[0].raftInfo()["role"] == "leader" {
		rest[0].kill()
		survivor = rest[1]
	} else {
		rest[1].kill()
		survivor = rest[0]
	}
	rc = dialRESP(t, survivor.addr(), 2)
	start = time.Now()
	const pipelined = 5
	var batch strings.Builder // one write, so the node reads one pipeline
	for i := 0; i < pipelined; i++ {
		batch.WriteString(encodeCmd("SET", "k", strconv.Itoa(i)))
	}
	if _, err := rc.c.Write([]byte(batch.String())); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < pipelined; i++ {
		r, err := rc.read(4 * timeout * pipelined)
		if err != nil {
			t.Fatalf("reply %d without a quorum: %v", i, err)
		}
		if !strings.HasPrefix(r, "-TRYAGAIN ") {
			t.Fatalf("SET %d without a quorum: %q, want TRYAGAIN", i, r)
		}
	}
	took := time.Since(start)
	if took < timeout-300*time.Millisecond || took > 2*timeout {
		t.Fatalf("%d pipelined SETs without a quorum answered TRYAGAIN after %v, want about --request-timeout %v", pipelined, took, timeout)
	}
}
