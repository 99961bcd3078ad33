package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLazyfreedObjectsMatchRedis: INFO lazyfreed_objects counts the values
// UNLINK deletes that Redis frees in the background (big collections, not
// small ones or strings), every key of FLUSHDB/FLUSHALL ASYNC, and starts
// again from 0 at CONFIG RESETSTAT, as redis-server counts them.
func TestLazyfreedObjectsMatchRedis(t *testing.T) {
	n := startNode(t)
	got, want := lazyfreeScenario(t, n.addr()), lazyfreeScenario(t, startRedis(t))
	t.Logf("geomys: %q", got)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lazyfreed_objects\n geomys: %q\n  redis: %q", got, want)
	}
}

func lazyfreeScenario(t *testing.T, addr string) []string {
	c := dialRESP(t, addr, 2)
	field := func(name string) string {
		m := regexp.MustCompile(`\r\n` + name + `:(\d+)`).FindStringSubmatch(c.do("INFO", "memory"))
		if m == nil {
			t.Fatalf("%s: INFO has no %s", addr, name)
		}
		return m[1]
	}
	// Redis counts once its lazyfree thread is done.
	lazyfreed := func() string {
		for deadline := time.Now().Add(5 * time.Second); field("lazyfree_pending_objects") != "0"; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: lazyfree_pending_objects stays over 0", addr)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return field("lazyfreed_objects")
	}
	fill := func(cmd, key string, n int, pair bool) {
		args := []string{cmd, key}
		for i := 0; i < n; i++ {
			if cmd == "ZADD" {
				args = append(args, fmt.Sprint(i))
			}
			args = append(args, fmt.Sprintf("m%d", i))
			if pair {
				args = append(args, "v")
			}
		}
		c.do(args...)
	}
	var out []string
	c.do("FLUSHALL")
	c.do("CONFIG", "RESETSTAT")
	out = append(out, "start "+lazyfreed())
	fill("SADD", "bigset", 200, false)
	fill("SADD", "smallset", 10, false)
	fill("HSET", "bighash", 200, true)
	fill("ZADD", "bigzset", 200, false)
	for i := 0; i < 50; i++ {
		fill("RPUSH", "biglist", 2000, false)
	}
	c.do("SET", "str", strings.Repeat("x", 100000))
	for _, k := range []string{"bigset", "smallset", "bighash", "bigzset", "biglist", "str", "nokey"} {
		out = append(out, k+" "+strings.TrimSpace(c.do("UNLINK", k))+" "+lazyfreed())
	}
	c.do("DEL", "gone")
	c.do("MSET", "a", "1", "b", "2", "c", "3")
	c.do("SELECT", "1")
	c.do("SET", "d", "4")
	out = append(out, "flushdb async "+strings.TrimSpace(c.do("FLUSHDB", "ASYNC"))+" "+lazyfreed())
	c.do("SET", "d", "4")
	out = append(out, "flushdb sync "+strings.TrimSpace(c.do("FLUSHDB"))+" "+lazyfreed())
	c.do("SET", "d", "4")
	out = append(out, "flushall async "+strings.TrimSpace(c.do("FLUSHALL", "ASYNC"))+" "+lazyfreed())
	c.do("CONFIG", "RESETSTAT")
	out = append(out, "resetstat "+lazyfreed())
	return out
}
