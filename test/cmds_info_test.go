package test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// commandInfoDiffers lists the commands whose COMMAND INFO is meant to differ
// from redis-server 7.0's, and why.
var commandInfoDiffers = map[string]string{}

// testCommandInfoLikeRedis compares COMMAND INFO byte for byte, in RESP2 and
// RESP3, for every command and subcommand Geomys has that redis-server has
// too. A container's subcommands come in Redis' hash-table order, which
// changes with every start of redis-server, so containers are compared
// subcommand by subcommand (and then whole, in RESP2, with the subcommands
// sorted).
func testCommandInfoLikeRedis(t *testing.T, n *node) {
	ref := startRedis(t)
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		names := bulkLines(g.do("COMMAND", "LIST"))
		refNames := map[string]bool{}
		for _, name := range bulkLines(r.do("COMMAND", "LIST")) {
			refNames[name] = true
		}
		compared, subs := 0, 0
		for _, name := range names {
			if strings.HasPrefix(name, "raft.") {
				continue
			}
			if !refNames[name] {
				t.Errorf("%s: not a Redis 7.0 command", name)
				continue
			}
			if strings.Contains(name, "|") {
				subs++
			}
			got, want := g.do("COMMAND", "INFO", name), r.do("COMMAND", "INFO", name)
			if commandInfoDiffers[name] != "" {
				if got == want {
					t.Errorf("%s: expected to differ from 7.0 (%s) but equal", name, commandInfoDiffers[name])
				}
				continue
			}
			if strings.Contains(want, "\n"+name+"|") {
				got, want = sortSubcommandInfo(got), sortSubcommandInfo(want)
			}
			if got != want {
				t.Errorf("RESP%d COMMAND INFO %s\n   geomys: %q\n    redis: %q", proto, name, got, want)
			}
			compared++
		}
		if compared < 300 || subs < 100 {
			t.Errorf("RESP%d: only %d commands (%d subcommands) compared", proto, compared, subs)
		}
		// Redis' top-level commands plus Geomys' own raft.* ones.
		raft := len(bulkLines(g.do("COMMAND", "LIST", "FILTERBY", "PATTERN", "raft.*")))
		redisCount, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.do("COMMAND", "COUNT"), ":"), "\r\n"))
		if got, want := g.do("COMMAND", "COUNT"), ":"+strconv.Itoa(redisCount+raft)+"\r\n"; raft < 8 || got != want {
			t.Errorf("COMMAND COUNT = %q, want %q (redis-server's %d plus %d raft.*)", got, want, redisCount, raft)
		}
	}
}

// bulkLines are the bulk strings of a raw reply.
func bulkLines(raw string) []string {
	var out []string
	lines := strings.Split(raw, "\r\n")
	for i := 0; i+1 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "$") {
			out = append(out, lines[i+1])
			i++
		}
	}
	return out
}

var subInfoStart = regexp.MustCompile(`\*10\r\n\$\d+\r\n[a-z-]+\|`)

// sortSubcommandInfo sorts the subcommand entries of a container's raw
// COMMAND INFO reply (each starts "*10 $n container|sub").
func sortSubcommandInfo(raw string) string {
	idx := subInfoStart.FindAllStringIndex(raw, -1)
	if len(idx) == 0 {
		return raw
	}
	head := raw[:idx[0][0]]
	var parts []string
	for i, m := range idx {
		end := len(raw)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		parts = append(parts, raw[m[0]:end])
	}
	slices.Sort(parts)
	return head + strings.Join(parts, "")
}

// testCommandGetKeysLikeRedis: COMMAND GETKEYS and GETKEYSANDFLAGS find the
// keys from the key specs (and SORT, MIGRATE, SET and BITFIELD's own rules)
// exactly as redis-server does, including the errors.
func testCommandGetKeysLikeRedis(t *testing.T, n *node) {
	var script strings.Builder
	for _, c := range []string{
		"get k", "set k v", "set k v GET", "set k v EX 10 get", "mset a 1 b 2", "mget a b c",
		"del a b", "rename a b", "lmove a b LEFT RIGHT", "blmpop 0 2 a b LEFT", "lmpop 0 a LEFT",
		"lmpop 2 a LEFT", "lmpop x a LEFT", "zunionstore d 2 a b weights 1 2", "zunionstore d 0 a",
		"zinter 2 a b", "zdiff 3 a b", "sintercard 2 a b LIMIT 1", "eval s 0", "eval s 2 a b c",
		"eval s 3 a", "eval_ro s 1 a", "fcall f 1 a", "xread COUNT 1 STREAMS a b 0 0",
		"xread STREAMS a 0", "xreadgroup GROUP g c STREAMS a b > >", "xadd s * f v",
		"sort k", "sort k BY w GET # STORE d", "sort k STORE d1 STORE d2", "sort_ro k BY x",
		"bitfield k GET u8 0", "bitfield k SET u8 0 1", "bitfield k OVERFLOW WRAP GET u8 0", "bitfield_ro k GET u8 0",
		"georadius k 0 0 1 km STORE d", "georadius k 0 0 1 km STOREDIST d", "georadiusbymember k m 1 km STORE d",
		"geosearchstore d s FROMMEMBER m BYRADIUS 1 km", "migrate h 1 k 0 100", "migrate h 1 \"\" 0 100 KEYS a b",
		"migrate h 1 k 0 100 KEYS a", "object encoding k", "xinfo stream k", "xgroup create k g $",
		"memory usage k", "spublish c m", "publish c m", "ping", "nosuch k", "get", "get a b",
		"pfcount a b", "pfmerge d a b", "copy a b", "smove a b m", "getex k", "lcs a b", "touch a b",
		"restore k 0 v", "swapdb 0 1", "watch a b", "exists a", "bitop AND d a b",
		"xinfo nosuch k", "config get x", "client list",
	} {
		script.WriteString("COMMAND GETKEYS " + c + "\n")
		script.WriteString("COMMAND GETKEYSANDFLAGS " + c + "\n")
	}
	script.WriteString("COMMAND GETKEYS\nCOMMAND GETKEYSANDFLAGS get\nCOMMAND HELP\nCOMMAND INFO get config|get config|nosuch nosuch|x\n")
	script.WriteString("CLIENT UNBLOCK 999999\nCLIENT UNBLOCK 999999 ERROR\nCLIENT UNBLOCK 1 later\nCLIENT UNBLOCK x\n")
	compareWithRedis(t, n, script.String())

	// SCRIPT DEBUG refuses to run inside a pipeline on Redis: one at a time.
	g, r := dialRESP(t, n.addr(), 2), dialRESP(t, startRedis(t), 2)
	for _, args := range [][]string{{"SCRIPT", "DEBUG", "NO"}, {"SCRIPT", "DEBUG", "maybe"}, {"SCRIPT", "DEBUG"}} {
		if got, want := g.do(args...), r.do(args...); got != want {
			t.Errorf("%q: geomys %q, redis %q", args, got, want)
		}
	}
	for _, mode := range []string{"YES", "SYNC"} {
		if got := g.do("SCRIPT", "DEBUG", mode); !strings.HasPrefix(got, "-ERR SCRIPT DEBUG YES|SYNC is not supported") {
			t.Errorf("SCRIPT DEBUG %s = %q", mode, got)
		}
	}
	// COMMAND DOCS: what the table documents, with a container's subcommands.
	docs := g.do("COMMAND", "DOCS", "zadd", "slowlog")
	for _, want := range []string{"$4\r\nzadd\r\n", "$10\r\ncomplexity\r\n", "$11\r\nsubcommands\r\n", "$11\r\nslowlog|get\r\n", "$10\r\nsorted-set\r\n"} {
		if !strings.Contains(docs, want) {
			t.Errorf("COMMAND DOCS zadd slowlog lacks %q: %q", want, docs)
		}
	}
}

// testClientUnblock: CLIENT UNBLOCK answers a parked BLPOP/XREAD as a
// timeout or with the UNBLOCKED error, as redis-server does, and says 0 for
// a client that is not blocked.
func testClientUnblock(t *testing.T, n *node) {
	ref := startRedis(t)
	for _, addr := range []string{n.addr(), ref} {
		blocked, admin := dialRESP(t, addr, 2), dialRESP(t, addr, 2)
		id := strings.TrimSuffix(strings.TrimPrefix(blocked.do("CLIENT", "ID"), ":"), "\r\n")
		if got := admin.do("CLIENT", "UNBLOCK", id); got != ":0\r\n" {
			t.Errorf("%s: CLIENT UNBLOCK of an idle client = %q", addr, got)
		}
		for _, tc := range []struct{ mode, cmd, want string }{
			{"TIMEOUT", "BLPOP", "*-1\r\n"},
			{"ERROR", "BLPOP", "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"},
			{"TIMEOUT", "XREAD", "*-1\r\n"},
		} {
			args := []string{"BLPOP", "nokey", "0"}
			if tc.cmd == "XREAD" {
				args = []string{"XREAD", "BLOCK", "0", "STREAMS", "nostream", "$"}
			}
			blocked.send(args...)
			unblocked := false
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if admin.do("CLIENT", "UNBLOCK", id, tc.mode) == ":1\r\n" {
					unblocked = true
					break
				}
			}
			if !unblocked {
				t.Fatalf("%s: CLIENT UNBLOCK %s never found %s blocked", addr, tc.mode, tc.cmd)
			}
			got, err := blocked.read(3 * time.Second)
			if err != nil || got != tc.want {
				t.Errorf("%s: %s unblocked with %s: %q, %v; want %q", addr, tc.cmd, tc.mode, got, err, tc.want)
			}
		}
	}
}

// testLatencyGraphAndHistogram: LATENCY GRAPH draws Redis' sparkline for an
// event, LATENCY HISTOGRAM gives Redis 7's per-command distribution.
func testLatencyGraphAndHistogram(t *testing.T, n *node) {
	g := dialRESP(t, n.addr(), 2)
	defer g.do("CONFIG", "SET", "latency-monitor-threshold", "0")
	g.do("CONFIG", "SET", "latency-monitor-threshold", "1")
	g.do("LATENCY", "RESET")
	g.do("DEBUG", "SLEEP", "0.02")
	graph := g.do("LATENCY", "GRAPH", "command")
	// One sample: a single '_' on the bottom row, then "0s" (or "1s") ago
	// written downwards under it, as Redis draws it.
	if !regexp.MustCompile(`^\$\d+\r\ncommand - high (\d+) ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n \n \n \n_\n \n[01]\ns\n\r\n$`).MatchString(graph) {
		t.Errorf("LATENCY GRAPH command = %q", graph)
	}
	if got := g.do("LATENCY", "GRAPH", "nosuch"); got != "-ERR No samples available for event 'nosuch'\r\n" {
		t.Errorf("LATENCY GRAPH nosuch = %q", got)
	}
	g3 := dialRESP(t, n.addr(), 3)
	g3.do("CONFIG", "RESETSTAT")
	g3.do("SET", "k", "v")
	g3.do("GET", "k")
	g3.do("GET", "k")
	h := g3.do("LATENCY", "HISTOGRAM", "get", "nosuch", "set")
	if !regexp.MustCompile(`^%2\r\n\$3\r\nget\r\n%2\r\n\$5\r\ncalls\r\n:2\r\n\$14\r\nhistogram_usec\r\n%\d+\r\n(:\d+\r\n:[12]\r\n)+\$3\r\nset\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$`).MatchString(h) {
		t.Errorf("LATENCY HISTOGRAM get nosuch set = %q", h)
	}
}
