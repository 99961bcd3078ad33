package test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestServerDiagnostics covers SLOWLOG, LATENCY, DEBUG and COMMAND GETKEYS.
func TestServerDiagnostics(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"MatchRedis", testDiagnosticsMatchRedis},
		nodeTest{"SlowlogEntries", testSlowlogEntries},
		nodeTest{"LatencyMonitor", testLatencyMonitor},
		nodeTest{"Debug", testDebug},
	)
}

const diagnosticsScript = `
SLOWLOG HELP
SLOWLOG GET -2
SLOWLOG GET x
SLOWLOG GET 1 2
SLOWLOG LEN 1
SLOWLOG RESET x
SLOWLOG FOO
SLOWLOG RESET
CONFIG SET slowlog-max-len -5
CONFIG SET slowlog-log-slower-than -5
CONFIG SET slowlog-log-slower-than x
CONFIG SET latency-monitor-threshold -1
LATENCY HELP
LATENCY HISTORY
LATENCY HISTORY foo
LATENCY RESET foo
LATENCY LATEST
LATENCY DOCTOR
LATENCY FOO
COMMAND GETKEYS zunionstore d 2 a b weights 1 2
COMMAND GETKEYS zunion 2 a b
COMMAND GETKEYS zunion 0 a
COMMAND GETKEYS zinter 3 a b
COMMAND GETKEYS zintercard 2 a b limit 3
COMMAND GETKEYS sintercard 1 a
COMMAND GETKEYS lmpop 2 a b left
COMMAND GETKEYS blmpop 0 1 a left
COMMAND GETKEYS zmpop 1 z min
COMMAND GETKEYS eval "return 1" 0
COMMAND GETKEYS eval "return 1" 2 a b c
COMMAND GETKEYS eval "return 1" 3 a b
COMMAND GETKEYS fcall f 1 a b
COMMAND GETKEYS xread count 1 streams a b 0 0
COMMAND GETKEYS xread streams a b 0
COMMAND GETKEYS xreadgroup group g c streams s 0
COMMAND GETKEYS sort k by x limit 0 1 store d
COMMAND GETKEYS sort_ro k
COMMAND GETKEYS georadius g 0 0 1 km store d
COMMAND GETKEYS georadiusbymember g m 1 km storedist d
COMMAND GETKEYS set a b
COMMAND GETKEYS mset a 1 b 2
COMMAND GETKEYS get
COMMAND GETKEYS ping
COMMAND GETKEYS nosuch a
CLIENT PAUSE x
CLIENT PAUSE -1
CLIENT PAUSE 10 foo
CLIENT REPLY foo
CLIENT TRACKING on optin optout
CLIENT TRACKING on prefix a
CLIENT TRACKING on redirect 999
CLIENT TRACKING foo
CLIENT TRACKING on bcast prefix a prefix ab
CLIENT CACHING yes
CLIENT TRACKINGINFO
CLIENT GETREDIR
CLIENT TRACKING on bcast prefix a
CLIENT TRACKINGINFO
CLIENT GETREDIR
CLIENT TRACKING off
CLIENT TRACKING on optin
CLIENT CACHING yes
CLIENT TRACKINGINFO
CLIENT TRACKING off
`

func testDiagnosticsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, diagnosticsScript)
}

func testSlowlogEntries(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := redis.NewClient(&redis.Options{Addr: n.addr(), ClientName: "slowpoke"})
	t.Cleanup(func() { c.Close() })
	defer n.client().ConfigSet(ctx, "slowlog-log-slower-than", "10000")
	if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	c.SlowLogReset(ctx)
	args := []any{"rpush", "list"}
	for i := 0; i < 40; i++ {
		args = append(args, i)
	}
	args[2] = strings.Repeat("x", 200)
	if err := c.Do(ctx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	c.Get(ctx, "list")
	logs, err := c.SlowLogGet(ctx, 2).Result()
	if err != nil || len(logs) != 2 {
		t.Fatalf("SLOWLOG GET 2 = %v, %v", logs, err)
	}
	get, push := logs[0], logs[1]
	if get.Args[0] != "get" || get.ClientName != "slowpoke" || push.ID >= get.ID {
		t.Errorf("newest entry %+v, then %+v", get, push)
	}
	if len(push.Args) != 32 || push.Args[31] != "... (11 more arguments)" {
		t.Errorf("RPUSH args kept: %d, last %q", len(push.Args), push.Args[len(push.Args)-1])
	}
	if want := strings.Repeat("x", 128) + "... (72 more bytes)"; push.Args[2] != want {
		t.Errorf("long argument kept as %q", push.Args[2])
	}
	if !strings.HasPrefix(push.ClientAddr, "127.0.0.1:") || time.Since(push.Time) > time.Minute {
		t.Errorf("entry addr %q time %v", push.ClientAddr, push.Time)
	}
	// A slower threshold logs only what is slower: DEBUG SLEEP 0.05.
	c.ConfigSet(ctx, "slowlog-log-slower-than", "40000")
	c.SlowLogReset(ctx)
	c.Ping(ctx)
	c.Do(ctx, "debug", "sleep", "0.05")
	logs, _ = c.SlowLogGet(ctx, -1).Result()
	if len(logs) != 1 || logs[0].Args[0] != "debug" || logs[0].Duration < 50*time.Millisecond {
		t.Errorf("with a 40ms threshold: %+v", logs)
	}
	// slowlog-max-len bounds the list, and a lower value trims it at once.
	c.ConfigSet(ctx, "slowlog-log-slower-than", "0")
	for i := 0; i < 10; i++ {
		c.Ping(ctx)
	}
	c.ConfigSet(ctx, "slowlog-max-len", "3")
	if n, _ := c.Do(ctx, "slowlog", "len").Int(); n != 3 {
		t.Errorf("SLOWLOG LEN after max-len 3 = %d", n)
	}
	c.ConfigSet(ctx, "slowlog-max-len", "128")
	c.ConfigSet(ctx, "slowlog-log-slower-than", "-1")
	c.SlowLogReset(ctx)
	c.Ping(ctx)
	if n, _ := c.Do(ctx, "slowlog", "len").Int(); n != 0 {
		t.Errorf("SLOWLOG LEN with the slowlog disabled = %d", n)
	}
}

func testLatencyMonitor(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	defer c.ConfigSet(ctx, "latency-monitor-threshold", "0")
	c.Do(ctx, "latency", "reset")
	if err := c.ConfigSet(ctx, "latency-monitor-threshold", "20").Err(); err != nil {
		t.Fatal(err)
	}
	c.Do(ctx, "debug", "sleep", "0")
	if v, _ := c.Do(ctx, "latency", "latest").Slice(); len(v) != 0 {
		t.Errorf("LATENCY LATEST after a fast command: %v", v)
	}
	c.Do(ctx, "debug", "sleep", "0.03")
	v, err := c.Do(ctx, "latency", "latest").Slice()
	if err != nil || len(v) != 1 {
		t.Fatalf("LATENCY LATEST = %v, %v", v, err)
	}
	e := v[0].([]any)
	if e[0] != "command" || e[2].(int64) < 30 || e[3].(int64) < e[2].(int64) || time.Now().Unix()-e[1].(int64) > 60 {
		t.Errorf("latest sample %v", e)
	}
	h, _ := c.Do(ctx, "latency", "history", "command").Slice()
	if len(h) != 1 || h[0].([]any)[1].(int64) < 30 {
		t.Errorf("LATENCY HISTORY command = %v", h)
	}
	doc, _ := c.Do(ctx, "latency", "doctor").Text()
	if !strings.Contains(doc, "1. command: 1 latency spikes") {
		t.Errorf("LATENCY DOCTOR = %q", doc)
	}
	if n, _ := c.Do(ctx, "latency", "reset", "command", "nosuch").Int(); n != 1 {
		t.Errorf("LATENCY RESET command nosuch = %d", n)
	}
}

func testDebug(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "s", "hello", 0)
	c.RPush(ctx, "l", "a", "b")
	line, err := c.Do(ctx, "debug", "object", "s").Text()
	if err != nil || !strings.HasPrefix(line, "Value at:0x") || !strings.Contains(line, " refcount:1 encoding:embstr serializedlength:6 lru:") {
		t.Errorf("DEBUG OBJECT s = %q, %v", line, err)
	}
	if line, _ := c.Do(ctx, "debug", "object", "l").Text(); !strings.Contains(line, "encoding:quicklist") {
		t.Errorf("DEBUG OBJECT l = %q", line)
	}
	wantErr(t, "DEBUG OBJECT missing", c.Do(ctx, "debug", "object", "nosuch").Err(), "ERR no such key")
	wantErr(t, "DEBUG JMAP", c.Do(ctx, "debug", "jmap").Err(), "ERR unknown subcommand or wrong number of arguments for 'jmap'. Try DEBUG HELP.")
	if err := c.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
		t.Errorf("DEBUG SET-ACTIVE-EXPIRE 0: %v", err)
	}
	c.Do(ctx, "debug", "set-active-expire", "1") // the node is shared with other tests
	if h, _ := c.Do(ctx, "debug", "help").StringSlice(); len(h) < 3 || !strings.HasPrefix(h[0], "DEBUG <subcommand>") {
		t.Errorf("DEBUG HELP = %q", h)
	}
	// DEBUG SLEEP holds its own connection only.
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		n.client().Do(ctx, "debug", "sleep", "0.3")
		done <- time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	c.Ping(ctx)
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("PING took %v during another client's DEBUG SLEEP", d)
	}
	if d := <-done; d < 300*time.Millisecond {
		t.Errorf("DEBUG SLEEP 0.3 returned after %v", d)
	}
}

// The leader's active expiry cycle is a latency event of its own, as Redis'
// activeExpireCycle: 20,000 keys expiring together keep a cycle busy for
// its whole time slice, well over a 1 ms threshold.
func TestLatencyExpireCycleEvent(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	if err := c.ConfigSet(ctx, "latency-monitor-threshold", "1").Err(); err != nil {
		t.Fatal(err)
	}
	p := c.Pipeline()
	for i := range 20000 {
		p.Set(ctx, "k:"+strconv.Itoa(i), "v", 200*time.Millisecond)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.DBSize(ctx).Val() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	latest, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range latest {
		if e, ok := ev.([]any); ok && len(e) == 4 && e[0] == "expire-cycle" {
			if ms, _ := e[2].(int64); ms < 1 {
				t.Fatalf("expire-cycle latest %v ms", e[2])
			}
			return
		}
	}
	t.Fatalf("no expire-cycle event after 20,000 keys expired: LATENCY LATEST %v", latest)
}

// TestSlowlogExecutionTime: SLOWLOG and commandstats report how long a
// write took to execute, as Redis does, not how long its log entry took to commit: with
// the followers stopped a SET waits for its commit, and is not slow; a SORT
// that sorts half a million strings is.
func TestSlowlogExecutionTime(t *testing.T) {
	c := startCluster(t, 3)
	l := c.leader()
	ctx := context.Background()
	rc := l.client()
	defer rc.Close()
	for _, cmd := range [][]any{
		{"CONFIG", "SET", "slowlog-log-slower-than", "100000"},
		{"SLOWLOG", "RESET"},
	} {
		if err := rc.Do(ctx, cmd...).Err(); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	batch := make([]any, 0, 10002)
	for i := 0; i < 50; i++ {
		batch = append(batch[:0], "RPUSH", "big")
		for j := 0; j < 10000; j++ {
			batch = append(batch, strconv.Itoa((i*7919+j*104729)%1000003))
		}
		if err := rc.Do(ctx, batch...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rc.Do(ctx, "SORT", "big", "ALPHA", "STORE", "sorted").Err(); err != nil {
		t.Fatal(err)
	}
	fs := c.followers()
	for _, f := range fs {
		f.pause()
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- rc.Set(ctx, "waited", "v", 0).Err() }()
	time.Sleep(400 * time.Millisecond)
	for _, f := range fs {
		f.cont()
	}
	if err := <-done; err != nil {
		t.Fatalf("SET while the followers were stopped: %v", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("SET committed in %v with both followers stopped", waited)
	}
	// commandstats and latencystats count execution time too, as Redis.
	info, err := rc.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	_, stat, _ := strings.Cut(info, "cmdstat_set:")
	stat, _, _ = strings.Cut(stat, "\r\n")
	_, usec, _ := strings.Cut(stat, ",usec=")
	usec, _, _ = strings.Cut(usec, ",")
	if n, err := strconv.Atoi(usec); err != nil || n >= 100000 {
		t.Errorf("commandstats charge the SET that waited 400 ms for its commit with its wait: %q", stat)
	}
	entries, err := rc.SlowLogGet(ctx, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.ToLower(e.Args[0]))
	}
	if slices.Contains(names, "set") {
		t.Errorf("SLOWLOG has the SET that only waited for its commit: %v", entries)
	}
	if !slices.Contains(names, "sort") {
		t.Errorf("SLOWLOG misses a SORT of 500,000 strings (threshold 100 ms): %v", entries)
	}
}
