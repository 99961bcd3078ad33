package test

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var benchTests = []string{
	"SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
	"LPUSH (needed to benchmark LRANGE)", "LRANGE_100 (first 100 elements)", "MSET (10 keys)",
}

var benchLine = regexp.MustCompile(`^(.+?): ([0-9.]+) requests per second`)

// runBenchmark runs redis-benchmark -q against addr and returns the final
// requests-per-second of every test; it fails on any error or on a hang.
func runBenchmark(t *testing.T, addr string, extra ...string) map[string]float64 {
	t.Helper()
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Fatal("redis-benchmark not installed: run `make test`, which installs redis-tools")
	}
	host, port, _ := strings.Cut(addr, ":")
	args := append([]string{"-h", host, "-p", port, "-t", "set,get,incr,lpush,rpush,lpop,rpop,lrange_100,mset",
		"-n", "2000", "-c", "20", "-q"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	t.Logf("redis-benchmark %s: %v", strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	all := out.String() + errb.String()
	if ctx.Err() != nil {
		t.Fatalf("redis-benchmark %q did not finish within 30s:\n%s", extra, all)
	}
	if err != nil {
		t.Errorf("redis-benchmark %q: %v", extra, err)
	}
	for _, bad := range []string{"Error", "ERR", "WRONGTYPE", "error", "Server closed the connection", "Connection refused"} {
		if strings.Contains(all, bad) {
			t.Errorf("redis-benchmark %q reported %q:\n%s", extra, bad, all)
			break
		}
	}
	rps := map[string]float64{}
	for _, line := range strings.FieldsFunc(out.String(), func(r rune) bool { return r == '\r' || r == '\n' }) {
		if m := benchLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			rps[m[1]] = v
		}
	}
	for _, name := range benchTests {
		v, ok := rps[name]
		if !ok {
			t.Errorf("redis-benchmark %q: no result for %q:\n%s", extra, name, all)
		} else if v <= 0 {
			t.Errorf("redis-benchmark %q: %s at %v requests per second", extra, name, v)
		}
	}
	return rps
}

func TestRedisBenchmark(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	ctx := ctxT(t)
	state := func(addr string) string {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		return strings.Join([]string{
			"counter=" + c.Get(ctx, "counter:__rand_int__").Val(),
			"llen=" + strconv.FormatInt(c.LLen(ctx, "mylist").Val(), 10),
			"strlen=" + strconv.FormatInt(c.StrLen(ctx, "key:__rand_int__").Val(), 10),
			"dbsize=" + strconv.FormatInt(c.DBSize(ctx).Val(), 10),
		}, " ")
	}
	for _, extra := range [][]string{nil, {"-P", "16"}} {
		rps := runBenchmark(t, n.addr(), extra...)
		t.Logf("geomys %v: SET %.0f GET %.0f LPUSH %.0f LRANGE_100 %.0f rps", extra, rps["SET"], rps["GET"], rps["LPUSH"],
			rps["LRANGE_100 (first 100 elements)"])
		runBenchmark(t, ref, extra...)
		// Every acknowledged request was applied exactly once: the dataset
		// ends up the same as redis-server's after the same benchmark.
		if got, want := state(n.addr()), state(ref); got != want {
			t.Errorf("after redis-benchmark %v: geomys has %s, redis-server has %s", extra, got, want)
		}
	}
	c := n.client()
	if v := c.Get(ctx, "counter:__rand_int__").Val(); v != "4000" {
		t.Errorf("counter:__rand_int__ = %q after 2×2000 INCRs", v)
	}
	if v := c.LLen(ctx, "mylist").Val(); v != 4000 {
		t.Errorf("LLEN mylist = %d, want 4000", v)
	}
	// Random keys and bigger values.
	runBenchmarkCustom(t, n.addr(), "-t", "set,get,lpush,lpop", "-n", "2000", "-c", "10", "-r", "500", "-d", "200", "-P", "4", "-q")
	if sz := c.DBSize(ctx).Val(); sz < 100 {
		t.Errorf("DBSIZE after -r 500 = %d", sz)
	}
}

// runBenchmarkCustom runs redis-benchmark with exactly args and fails on any error.
func runBenchmarkCustom(t *testing.T, addr string, args ...string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	if err != nil || strings.Contains(string(out), "rror") || !strings.Contains(string(out), "requests per second") {
		t.Errorf("redis-benchmark %q: %v\n%s", args, err, out)
	}
}
