package test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClientBuffersLikeRedis: CLIENT LIST's query and reply buffer fields
// follow a client's traffic as Redis 7.0's do (the rules Redis's own
// querybuf and replybufsize units check): 16 KB of room after a read, a
// buffer its own size after a 400 KB argument, shrunk after small requests
// and dropped after 3 s idle; a reply buffer shrinking to 1 KB when idle
// and doubling up to 16 KB while big replies fill it.
func TestClientBuffersLikeRedis(t *testing.T) {
	n := startNode(t)
	for name, addr := range map[string]string{"redis": startRedisDebug(t), "geomys": n.addr()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkClientBuffers(t, addr)
		})
	}
}

func checkClientBuffers(t *testing.T, addr string) {
	a, b := dialRESP(t, addr, 2), dialRESP(t, addr, 2)
	field := func(k string) int {
		t.Helper()
		for _, l := range strings.Split(bulkLines(b.do("CLIENT", "LIST"))[0], "\n") {
			if strings.Contains(l, " name=bufs ") {
				m := regexp.MustCompile(` ` + k + `=(\d+)`).FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("no %s in %q", k, l)
				}
				v, _ := strconv.Atoi(m[1])
				return v
			}
		}
		t.Fatalf("client bufs not listed")
		return 0
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%s: not within 5 s; %s", what, b.do("CLIENT", "LIST"))
			}
		}
	}
	a.do("CLIENT", "SETNAME", "bufs")
	if q, f := field("qbuf"), field("qbuf-free"); q != 0 || f != 20474 {
		t.Errorf("after a small request: qbuf=%d qbuf-free=%d, want 0 and 20474", q, f)
	}
	a.do("SET", "x", strings.Repeat("A", 400000))
	if f := field("qbuf-free"); f != 458742 {
		t.Errorf("after a 400 KB argument: qbuf-free=%d, want 458742", f)
	}
	waitFor("query buffer shrunk after small requests", func() bool {
		a.do("SET", "x", "small")
		return field("qbuf-free") < 32768
	})
	// A request after a shrink makes room again; idle, the room goes.
	a.do("SET", "x", "small")
	if f := field("qbuf-free"); f != 20474 {
		t.Errorf("after a small request: qbuf-free=%d, want 20474", f)
	}
	waitFor("query buffer dropped when idle", func() bool { return field("qbuf-free") == 0 })

	a.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100")
	defer a.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset")
	waitFor("idle reply buffer shrunk to 1 KB", func() bool { return field("rbs") == 1024 })
	a.do("SET", "big", strings.Repeat("x", 32768))
	a.do("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never")
	var sizes []int
	waitFor("busy reply buffer grown to 16 KB", func() bool {
		a.do("GET", "big")
		if s := field("rbs"); len(sizes) == 0 || sizes[len(sizes)-1] != s {
			sizes = append(sizes, s)
		}
		return sizes[len(sizes)-1] == 16384
	})
	if got := fmtInts(sizes); got != "1024 2048 4096 8192 16384" {
		t.Errorf("reply buffer sizes while growing: %s", got)
	}
}

func fmtInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}
