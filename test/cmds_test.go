package test

import (
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRedisCommandSet runs the checks of the rest of Redis 7.0's command
// set on one node.
func TestRedisCommandSet(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"NegativeMultibulkCount", testNegativeMultibulkCount},
		nodeTest{"InfoSectionSelection", testInfoSectionSelection},
		nodeTest{"CompatCommandsLikeRedis", testCompatCommandsLikeRedis},
		nodeTest{"UnsupportedCommandsSayWhy", testUnsupportedCommandsSayWhy},
		nodeTest{"CommandListFilterBy", testCommandListFilterBy},
		nodeTest{"CommandInfoLikeRedis", testCommandInfoLikeRedis},
		nodeTest{"CommandGetKeysLikeRedis", testCommandGetKeysLikeRedis},
		nodeTest{"ClientUnblock", testClientUnblock},
		nodeTest{"LatencyGraphAndHistogram", testLatencyGraphAndHistogram},
	)
}

// rawExchange writes each part on one connection to addr, pausing between
// parts so that they arrive in separate reads, and returns what came back.
func rawExchange(t *testing.T, addr string, parts ...string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range parts {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var out []byte
	buf := make([]byte, 4096)
	for {
		k, err := c.Read(buf)
		out = append(out, buf[:k]...)
		if err != nil {
			return string(out)
		}
	}
}

// TestNegativeMultibulkCount: Redis ignores a multibulk header whose count is
// <= 0 and keeps the connection, also when the header is split across reads.
func testNegativeMultibulkCount(t *testing.T, n *node) {
	ref := startRedis(t)
	ping := "*1\r\n$4\r\nPING\r\n"
	for _, parts := range [][]string{
		{"*-10\r\n" + ping},
		{"*-1", "0\r", "\n" + ping},
		{ping + "*0\r\n*-5\r\n" + ping, "*-", "7\r\n" + ping},
		{"*-10\r\nPING\r\n", "*-1\r\n*1\r\n$4\r\nECHO\r\n"},
	} {
		want := rawExchange(t, ref, parts...)
		if got := rawExchange(t, n.addr(), parts...); got != want {
			t.Errorf("%q: geomys %q, redis %q", parts, got, want)
		}
	}
}

// infoHeaders returns the section headers of an INFO reply, without Geomys'
// own raft section.
func infoHeaders(reply string) string {
	var h []string
	for _, l := range strings.Split(reply, "\r\n") {
		if strings.HasPrefix(l, "# ") && l != "# Raft" {
			h = append(h, l)
		}
	}
	return strings.Join(h, ",")
}

// TestInfoSectionSelection: INFO with no argument, several sections, and
// all/everything/default selects the sections Redis 7.0 does, in its order.
func testInfoSectionSelection(t *testing.T, n *node) {
	ref := startRedis(t)
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		for _, args := range [][]string{
			{}, {"default"}, {"all"}, {"everything"}, {"keyspace", "server"}, {"commandstats"},
			{"cpu", "CPU"}, {"modules"}, {"Latencystats"}, {"errorstats"}, {"all", "commandstats"},
			{"default", "commandstats"}, {"server", "default"}, {"cluster", "stats"}, {"nosuch"}, {"nosuch", "clients"},
		} {
			cmd := append([]string{"INFO"}, args...)
			got, want := g.do(cmd...), r.do(cmd...)
			if gh, wh := infoHeaders(got), infoHeaders(want); gh != wh {
				t.Errorf("RESP%d %q: geomys sections %q, redis %q", proto, cmd, gh, wh)
			}
			if want == "$0\r\n\r\n" || strings.HasPrefix(want, "=4\r\ntxt:") {
				if got != want {
					t.Errorf("RESP%d %q: geomys %q, redis %q", proto, cmd, got, want)
				}
			}
		}
	}
}

// testCompatCommandsLikeRedis compares SUBSTR, RESTORE-ASKING, the cluster
// commands (cluster support disabled), MODULE and COMMAND's argument checks
// with redis-server byte for byte.
func testCompatCommandsLikeRedis(t *testing.T, n *node) {
	// A DUMP payload of "hello", the same bytes on both servers.
	rc := dialRESP(t, startRedis(t), 2)
	rc.do("SET", "k", "hello")
	payload := rc.do("DUMP", "k")
	payload = payload[strings.Index(payload, "\r\n")+2 : len(payload)-2]
	compareWithRedis(t, n, `
SET k hello
SUBSTR k 1 3
SUBSTR k -3 -1
SUBSTR k 10 20
SUBSTR nokey 0 1
SUBSTR k 0
LPUSH l a
SUBSTR l 0 1
EVAL "return redis.call('substr', KEYS[1], 0, 2)" 1 k
RESTORE-ASKING r 0 `+strconv.Quote(payload)+`
GET r
RESTORE-ASKING r 0 `+strconv.Quote(payload)+`
RESTORE-ASKING r 0 `+strconv.Quote(payload)+` REPLACE
RESTORE-ASKING r 0 garbage REPLACE
CLUSTER INFO
CLUSTER KEYSLOT a
CLUSTER
READONLY
READWRITE
ASKING
MODULE LIST
MODULE LIST x
MODULE nosuch
MODULE
LOLWUT VERSION x
COMMAND COUNT x
COMMAND LIST x
COMMAND LIST FILTERBY foo bar
COMMAND LIST FILTERBY PATTERN
COMMAND LIST FILTERBY MODULE foo
COMMAND GETKEYS MIGRATE 127.0.0.1 1 k 0 100
COMMAND GETKEYS MIGRATE 127.0.0.1 1 "" 0 100 COPY AUTH p KEYS a b
COMMAND GETKEYS MIGRATE 127.0.0.1 1 "" 0 100 AUTH2 u p KEYS a
COMMAND GETKEYS SUBSTR k 0 1
COMMAND GETKEYS RESTORE-ASKING k 0 x
`)
}

// testUnsupportedCommandsSayWhy: commands of Redis' master-replica
// replication, modules and coordinated failover answer an error naming what
// Geomys does instead; LOLWUT gives the version line.
func testUnsupportedCommandsSayWhy(t *testing.T, n *node) {
	for _, proto := range []int{2, 3} {
		rc := dialRESP(t, n.addr(), proto)
		for _, tc := range []struct {
			cmd  []string
			want string
		}{
			{[]string{"FAILOVER"}, "-" + "ERR FAILOVER is not supported: Geomys elects its leader with Raft; use RAFT.TRANSFER-LEADER [id]\r\n"},
			{[]string{"MODULE", "LOAD", "/x.so"}, "-ERR MODULE LOAD and UNLOAD are not supported: Geomys cannot load Redis modules (native code built for redis-server)\r\n"},
		} {
			if got := rc.do(tc.cmd...); got != tc.want {
				t.Errorf("RESP%d %q: %q, want %q", proto, tc.cmd, got, tc.want)
			}
		}
		info := rc.do("INFO", "server")
		i := strings.Index(info, "redis_version:")
		ver := info[i+len("redis_version:"):]
		ver = ver[:strings.Index(ver, "\r\n")]
		line := "Redis ver. " + ver + "\n"
		want := "$" + strconv.Itoa(len(line)) + "\r\n" + line + "\r\n"
		if proto == 3 {
			want = "=" + strconv.Itoa(len(line)+4) + "\r\ntxt:" + line + "\r\n"
		}
		if got := rc.do("LOLWUT"); got != want {
			t.Errorf("RESP%d LOLWUT: %q, want %q", proto, got, want)
		}
	}
}

// testCommandListFilterBy: COMMAND LIST FILTERBY PATTERN gives the commands
// Redis gives, where both have them (Redis lists them unordered).
func testCommandListFilterBy(t *testing.T, n *node) {
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, startRedis(t), 2)
	for _, pat := range []string{"x*", "Z*STORE", "?et", "substr", "nosuch*"} {
		list := func(rc *respConn) []string {
			out := strings.Split(rc.do("COMMAND", "LIST", "FILTERBY", "PATTERN", pat), "\r\n")
			var names []string
			for _, l := range out[1:] {
				if l != "" && !strings.HasPrefix(l, "$") && !strings.Contains(l, "|") {
					names = append(names, l)
				}
			}
			sort.Strings(names)
			return names
		}
		if got, want := list(g), list(r); !slices.Equal(got, want) {
			t.Errorf("COMMAND LIST FILTERBY PATTERN %s: geomys %q, redis %q", pat, got, want)
		}
	}
}
