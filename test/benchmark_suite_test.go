package test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// defaultSuite is every test redis-benchmark runs when given no -t.
var defaultSuite = []string{
	"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET",
	"SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)",
	"LRANGE_300 (first 300 elements)", "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)",
	"MSET (10 keys)",
}

// TestRedisBenchmarkDefaultSuite runs `redis-benchmark -q` with no -t — the
// whole default suite — plain and pipelined, and fails on any error reply or
// missing result.
func TestRedisBenchmarkDefaultSuite(t *testing.T) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		t.Fatal("redis-benchmark not installed: run `make test`, which installs redis-tools")
	}
	n := startNode(t)
	host, port, _ := strings.Cut(n.addr(), ":")
	for _, extra := range [][]string{nil, {"-P", "16"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		args := append([]string{"-h", host, "-p", port, "-n", "1000", "-c", "10", "-q"}, extra...)
		out, err := exec.CommandContext(ctx, "redis-benchmark", args...).CombinedOutput()
		cancel()
		text := string(out)
		if err != nil {
			t.Fatalf("redis-benchmark %v: %v\n%s", extra, err, text)
		}
		for _, bad := range []string{"rror", "WRONGTYPE", "closed the connection"} {
			if strings.Contains(text, bad) {
				t.Fatalf("redis-benchmark %v reported %q:\n%s", extra, bad, text)
			}
		}
		for _, name := range defaultSuite {
			if !strings.Contains(text, name+": ") {
				t.Errorf("redis-benchmark %v: no result for %s", extra, name)
			}
		}
	}
}
