package test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestClientPauseMatchesRedis: under CLIENT PAUSE WRITE the same commands
// wait on Geomys as on redis-server — writes, PFCOUNT and PUBLISH, EXEC of
// a transaction that writes, scripts without the no-writes flag — and
// each waiting client counts in INFO's blocked_clients; no-writes scripts
// and read-only transactions run; no key expires during the pause, and
// those that expired meanwhile go once it ends.
func TestClientPauseMatchesRedis(t *testing.T) {
	n := startNode(t)
	got, want := pauseScenario(t, n.addr()), pauseScenario(t, startRedis(t))
	t.Logf("geomys: %q", got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CLIENT PAUSE WRITE\n geomys: %q\n  redis: %q", got, want)
	}
}

func pauseScenario(t *testing.T, addr string) []string {
	admin := dialRESP(t, addr, 2)
	var out []string
	note := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	info := func(field string) string {
		m := regexp.MustCompile(`\r\n` + field + `:(\d+)`).FindStringSubmatch(admin.do("INFO"))
		if m == nil {
			t.Fatalf("%s: INFO has no %s", addr, field)
		}
		return m[1]
	}
	// blockedReaches polls blocked_clients until it is want (or 2s pass).
	blockedReaches := func(want string) string {
		deadline := time.Now().Add(2 * time.Second)
		for {
			v := info("blocked_clients")
			if v == want || time.Now().After(deadline) {
				return v
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	admin.do("FLUSHALL")
	admin.do("PFADD", "hll", "a")
	admin.do("FUNCTION", "LOAD", "REPLACE", "#!lua name=pauselib\nredis.register_function{function_name='ro', callback=function() return 'hi' end, flags={'no-writes'}}")
	admin.do("SET", "e", "v", "PX", "300")
	tx := dialRESP(t, addr, 2)
	tx.do("MULTI")
	tx.do("SET", "t", "1")
	note("PAUSE %q", admin.do("CLIENT", "PAUSE", "60000", "WRITE"))

	// Not held: reads, no-writes scripts and functions, read-only MULTI.
	free := dialRESP(t, addr, 2)
	for _, cmd := range [][]string{
		{"GET", "hll:x"},
		{"EVAL", "#!lua flags=no-writes\nreturn 'ro'", "0"},
		{"EVAL_RO", "return redis.call('get', KEYS[1])", "1", "t"},
		{"FCALL", "ro", "0"},
		{"MULTI"}, {"PING"}, {"GET", "t"}, {"EXEC"},
	} {
		free.send(cmd...)
		r, err := free.read(2 * time.Second)
		note("%s -> %q %v", cmd[0], r, err)
	}
	note("blocked %s", info("blocked_clients"))

	// Held, one more blocked client each.
	held := []*respConn{}
	for i, cmd := range [][]string{
		{"SET", "k", "v"},
		{"PFCOUNT", "hll"},
		{"PUBLISH", "ch", "m"},
		{"EVAL", "return 1", "0"},
		{"EXEC"},
	} {
		c := dialRESP(t, addr, 2)
		if cmd[0] == "EXEC" {
			c = tx
		}
		c.send(cmd...)
		held = append(held, c)
		note("%s blocked %s", cmd[0], blockedReaches(fmt.Sprint(i+1)))
	}

	// Nothing expires while paused (e's TTL ends during the pause).
	expired := info("expired_keys")
	time.Sleep(500 * time.Millisecond)
	note("GET e %q", admin.do("GET", "e"))
	note("expired during pause +%d", atoi(t, info("expired_keys"))-atoi(t, expired))

	note("UNPAUSE %q", admin.do("CLIENT", "UNPAUSE"))
	for _, c := range held {
		r, err := c.read(2 * time.Second)
		note("released %q %v", r, err)
	}
	admin.do("GET", "e")
	note("expired after pause +%d", atoi(t, info("expired_keys"))-atoi(t, expired))
	note("blocked %s", blockedReaches("0"))
	return out
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
