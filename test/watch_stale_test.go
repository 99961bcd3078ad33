package test

import (
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
)

// TestWatchStaleKeys: a WATCHed key that had already expired when watched
// (its TTL passed, not yet deleted) is no change when FLUSHDB, FLUSHALL,
// SWAPDB or a deletion finally removes it, and FLUSHALL/FLUSHDB leave
// watched keys that do not exist alone, as Redis' touchAllWatchedKeysInDb
// does; a live watched key still fails the EXEC. Each EXEC's reply is
// compared with redis-server's (with active expiry off there; here the
// leader's expiry cycle may delete a stale key at any point, which is no
// change either, so the replies must match whenever it runs).
func TestWatchStaleKeys(t *testing.T) {
	n := startNode(t)
	ref := testutil.StartRedis(t, "--enable-debug-command", "yes")
	// Three rounds: the expiry cycle, every 100 ms, cannot delete the stale
	// keys before WATCH in all of them.
	for round := 0; round < 3; round++ {
		want, got := watchStaleScenario(t, ref), watchStaleScenario(t, n.addr())
		if got != want {
			t.Fatalf("round %d:\n geomys: %q\n  redis: %q", round, got, want)
		}
	}
}

func watchStaleScenario(t *testing.T, addr string) string {
	c := dialRESP(t, addr, 2)
	c.do("FLUSHALL")
	c.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	defer c.do("DEBUG", "SET-ACTIVE-EXPIRE", "1")
	var out strings.Builder
	// exec runs MULTI PING EXEC after the setup commands, pipelined so the
	// window between a key's expiry and the EXEC stays small.
	exec := func(name string, setup ...[]string) {
		var b strings.Builder
		for _, s := range setup {
			b.WriteString(encodeCmd(s...))
		}
		b.WriteString(encodeCmd("MULTI"))
		b.WriteString(encodeCmd("PING"))
		b.WriteString(encodeCmd("EXEC"))
		if _, err := c.c.Write([]byte(b.String())); err != nil {
			t.Fatal(err)
		}
		for range len(setup) + 2 {
			if _, err := c.read(5 * time.Second); err != nil {
				t.Fatal(err)
			}
		}
		r, err := c.read(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(name + "=" + r)
	}
	stale := func(db, key string) {
		c.do("SELECT", db)
		c.do("SET", key, "v", "PX", "1")
	}
	cmd := func(args ...string) []string { return args }

	stale("9", "x")
	time.Sleep(3 * time.Millisecond)
	exec("flushdb-stale", cmd("WATCH", "x"), cmd("FLUSHDB"))

	exec("flushall-absent", cmd("DEL", "x"), cmd("WATCH", "x"), cmd("FLUSHALL"))
	exec("flushdb-absent", cmd("DEL", "x"), cmd("WATCH", "x"), cmd("FLUSHDB"))
	exec("flushdb-live", cmd("SET", "x", "1"), cmd("WATCH", "x"), cmd("FLUSHDB"))

	stale("9", "x")
	time.Sleep(3 * time.Millisecond)
	exec("del-stale", cmd("WATCH", "x"), cmd("DEL", "x"))

	c.do("FLUSHALL")
	stale("1", "x")
	time.Sleep(3 * time.Millisecond)
	exec("swapdb-stale-by-none", cmd("WATCH", "x"), cmd("SWAPDB", "0", "1"))

	c.do("FLUSHALL")
	stale("0", "x")
	time.Sleep(3 * time.Millisecond)
	exec("swapdb-none-by-stale", cmd("SELECT", "1"), cmd("WATCH", "x"), cmd("SWAPDB", "0", "1"))

	c.do("FLUSHALL")
	stale("1", "x")
	stale("0", "x")
	time.Sleep(3 * time.Millisecond)
	exec("swapdb-stale-by-stale", cmd("SELECT", "1"), cmd("WATCH", "x"), cmd("SWAPDB", "0", "1"))

	c.do("FLUSHALL")
	c.do("SELECT", "0")
	c.do("SET", "x", "v")
	exec("swapdb-live-by-none", cmd("SELECT", "1"), cmd("WATCH", "x"), cmd("SWAPDB", "0", "1"))
	c.do("SELECT", "9")
	return out.String()
}
