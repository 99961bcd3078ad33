package test

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TTL, TYPE and EXISTS are no access to a key (Redis' LOOKUP_NOTOUCH), TOUCH
// and GET are: under an LFU policy the first access after SET raises the
// counter from 5 to 6 for certain, so OBJECT FREQ shows which did. RESTORE
// ... FREQ sets the counter under an LFU policy.
const noTouchScript = `
CONFIG SET maxmemory-policy allkeys-lfu
SET foo bar
OBJECT FREQ foo
TTL foo
PTTL foo
EXPIRETIME foo
TYPE foo
EXISTS foo foo
OBJECT FREQ foo
TOUCH foo nokey
OBJECT FREQ foo
SET k v
EVAL "local d = redis.call('DUMP', KEYS[1]); redis.call('DEL', KEYS[1]); return redis.call('RESTORE', KEYS[1], 0, d, 'FREQ', 100)" 1 k
OBJECT FREQ k
GET k
CONFIG SET maxmemory-policy noeviction
`

func TestNoTouchLookupsAndRestoreFreq(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"MatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, noTouchScript) }},
		nodeTest{"CommandStatsCountTxAndScripts", func(t *testing.T, n *node) {
			want, got := txScriptStats(t, startRedis(t)), txScriptStats(t, n.addr())
			if got != want {
				t.Fatalf("commandstats calls:\n geomys: %s\n  redis: %s", got, want)
			}
		}},
	)
}

var cmdstatCalls = regexp.MustCompile(`^cmdstat_([a-z|]+):calls=(\d+),.*failed_calls=(\d+)$`)

// txScriptStats runs commands inside MULTI/EXEC and a script and returns
// the calls and failed calls commandstats counts for them.
func txScriptStats(t *testing.T, addr string) string {
	c := dialRESP(t, addr, 2)
	c.do("FLUSHALL")
	c.do("CONFIG", "RESETSTAT")
	c.do("MULTI")
	c.do("SET", "foo", "bar")
	c.do("GEOADD", "foo2", "0", "0", "bar")
	c.do("EXPIRE", "foo2", "0")
	c.do("LPUSH", "foo", "x") // fails at EXEC: WRONGTYPE
	c.do("PING")
	c.do("EXEC")
	c.do("SET", "mykey", "myval")
	c.do("EVAL", "redis.call('set', KEYS[1], 0) redis.call('expire', KEYS[1], 0) "+
		"redis.call('geoadd', KEYS[1], 0, 0, 'bar') redis.pcall('lpush', 'foo', 1)", "1", "mykey")
	var out []string
	for _, line := range strings.Split(c.do("INFO", "commandstats"), "\r\n") {
		if m := cmdstatCalls.FindStringSubmatch(line); m != nil && m[1] != "info" && !strings.HasPrefix(m[1], "config") {
			out = append(out, m[1]+"="+m[2]+"/"+m[3])
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
