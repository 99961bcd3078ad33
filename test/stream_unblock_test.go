package test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestStreamWaitEnds: a blocked XREADGROUP ends with Redis' errors when its
// stream is deleted, replaced by another type (SET, MULTI/EXEC), flushed
// away or renamed over, or its group destroyed, and is served when a stream
// with its group is renamed onto the key; a blocked XREAD waits on when its
// key becomes another type. The transcripts are compared with
// redis-server's, as is the failed_calls count of XREADGROUP.
func TestStreamWaitEnds(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	want, got := streamWaitScenario(t, ref), streamWaitScenario(t, n.addr())
	if got != want {
		t.Fatalf("\n geomys: %q\n  redis: %q", got, want)
	}
	t.Logf("transcript: %q", got)
}

func streamWaitScenario(t *testing.T, addr string) string {
	admin := dialRESP(t, addr, 2)
	admin.do("FLUSHALL")
	admin.do("CONFIG", "RESETSTAT")
	gr := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { gr.Close() })
	var out strings.Builder
	rec := func(what, s string) { out.WriteString(what + "=" + s) }
	// block sends cmd on a new connection and waits until it is parked.
	block := func(cmd ...string) <-chan rawReply {
		rc := dialRESP(t, addr, 2)
		rc.send(cmd...)
		ch := readAsync(rc, 10*time.Second)
		waitBlocked(t, gr, 1)
		return ch
	}
	reply := func(ch <-chan rawReply) string {
		select {
		case r := <-ch:
			return r.s
		case <-time.After(5 * time.Second):
			return "(still blocked)"
		}
	}
	readGroup := []string{"XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">"}
	fresh := func() {
		admin.do("DEL", "s")
		admin.do("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	}
	ends := []struct {
		name string
		do   func()
	}{
		{"del", func() { admin.do("DEL", "s") }},
		{"set", func() { admin.do("SET", "s", "v") }},
		{"multi", func() {
			admin.do("MULTI")
			admin.do("DEL", "s")
			admin.do("SADD", "s", "e")
			admin.do("EXEC")
		}},
		{"flushdb", func() { admin.do("FLUSHDB") }},
		{"flushall", func() { admin.do("FLUSHALL") }},
		{"destroy", func() { admin.do("XGROUP", "DESTROY", "s", "g") }},
		{"rename-nogroup", func() {
			admin.do("XADD", "s2", "100-1", "f", "v")
			admin.do("RENAME", "s2", "s")
		}},
		{"rename-data", func() {
			admin.do("XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM")
			admin.do("XADD", "s2", "100-1", "f", "v")
			admin.do("RENAME", "s2", "s")
		}},
	}
	for _, e := range ends {
		fresh()
		ch := block(readGroup...)
		e.do()
		rec(e.name, reply(ch))
	}

	// XREAD keeps waiting through a SET, and is served by the stream
	// XADD recreates.
	admin.do("DEL", "s")
	admin.do("XADD", "s", "5-1", "f", "v")
	ch := block("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	admin.do("SET", "s", "v")
	time.Sleep(50 * time.Millisecond)
	admin.do("DEL", "s")
	admin.do("XADD", "s", "6-1", "f", "v")
	rec("xread", reply(ch))

	stats := admin.do("INFO", "commandstats")
	for _, line := range strings.Split(stats, "\r\n") {
		if strings.HasPrefix(line, "cmdstat_xreadgroup:") {
			_, counts, _ := strings.Cut(line, "rejected_calls=")
			rec("xreadgroup-stats", counts)
		}
	}
	return out.String()
}
