package test

import (
	"strings"
	"testing"
	"time"
)

const swapdbScript = `
SET a 0
SELECT 1
SET a 1
SET b 1
SWAPDB 0 1
GET a
GET b
SELECT 0
GET a
GET b
SWAPDB 0 0
SWAPDB 0 16
SWAPDB -1 0
SWAPDB x 0
SWAPDB 0 x
SWAPDB 99999999999 0
SWAPDB 0
DBSIZE
EVAL "return redis.call('SWAPDB', 0, 1)" 0
DBSIZE
`

func TestSwapDB(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, swapdbScript) }},
		nodeTest{"BlockedAndWatchingClients", func(t *testing.T, n *node) {
			ref := startRedis(t)
			want, got := swapdbScenario(t, ref), swapdbScenario(t, n.addr())
			if got != want {
				t.Fatalf("SWAPDB with blocked and watching clients:\n geomys: %q\n  redis: %q", got, want)
			}
			t.Logf("transcript: %q", got)
		}},
	)
}

// swapdbScenario blocks a client on a list of db 1 that only db 0 holds,
// and watches keys that exist on one side, both sides or neither, then
// swaps: the blocked client must be served, and exactly the EXECs whose
// watched keys exist in either db must fail.
func swapdbScenario(t *testing.T, addr string) string {
	admin := dialRESP(t, addr, 2)
	admin.do("FLUSHALL")
	var out strings.Builder
	rec := func(s string) { out.WriteString(s) }

	blocked := dialRESP(t, addr, 2)
	rec(blocked.do("SELECT", "1"))
	blocked.send("BLPOP", "q", "0")
	time.Sleep(200 * time.Millisecond) // parked

	watchers := map[string]*respConn{}
	for _, k := range []string{"only0", "only1", "both", "neither"} {
		w := dialRESP(t, addr, 2)
		rec(w.do("WATCH", k))
		watchers[k] = w
	}
	rec(admin.do("RPUSH", "q", "x", "y"))
	rec(admin.do("SET", "only0", "v", "EX", "1000"))
	rec(admin.do("SET", "both", "v"))
	rec(admin.do("SELECT", "1"))
	rec(admin.do("SET", "only1", "v"))
	rec(admin.do("SET", "both", "w"))
	// Writes above touched their own keys; watch again after them.
	for k, w := range watchers {
		rec(w.do("UNWATCH"))
		rec(w.do("WATCH", k))
	}
	rec(admin.do("SWAPDB", "0", "1"))
	r, err := blocked.read(5 * time.Second)
	if err != nil {
		t.Fatalf("blocked client was not served after SWAPDB: %v", err)
	}
	rec("blpop:" + r)
	for _, k := range []string{"only0", "only1", "both", "neither"} {
		w := watchers[k]
		rec(w.do("MULTI"))
		rec(w.do("PING"))
		rec(k + ":" + w.do("EXEC"))
	}
	rec(admin.do("LRANGE", "q", "0", "-1"))
	rec(admin.do("TTL", "only0"))
	rec(admin.do("SELECT", "0"))
	rec(admin.do("GET", "both"))
	rec(admin.do("EXISTS", "q"))
	return out.String()
}
