package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Redis's own test suite (7.0.15's Tcl units, fetched by
// scripts/ensure-deps.sh) run against a Geomys node the way Redis runs it
// against an external server: `runtest --host --port --single unit`. Tests
// tagged external:skip skip themselves. Every unit below must finish without
// an exception (one aborts the rest of its unit), and every failing test must
// be one of knownSuiteFailures, each with the reason Geomys differs.

// suiteUnits are the units run in `make test`: every one Geomys passes
// but for knownSuiteFailures, chosen to keep the run within about four
// minutes. Others pass but are slow because their thousands of writes go
// one at a time, each waiting for its fsynced commit (run by hand on a
// 2-core machine: scan 57 s, sort 60 s, type/zset 65 s, type/list-3 71 s,
// hyperloglog 98 s; scripting, functions, type/list and geo pass within 20 s
// each). latency-monitor takes 10 s and fails where it expects expiring a set of
// a million members to take over 20 ms: Geomys drops it at once and Go's
// garbage collector frees it later. type/stream-cgroups passes on a quiet
// machine; on a loaded one its "Blocking XREADGROUP: key deleted / key type
// changed with SET / flushed DB" tests can fail: they send the blocking
// command on one connection and the DEL on another without waiting, and
// expect them run in the order sent, which Geomys does not promise across
// connections (neither does redis-server when the two arrive together).
var suiteUnits = []string{
	"unit/type/incr",
	"unit/type/string",
	"unit/type/hash",
	"unit/type/set",
	"unit/keyspace",
	"unit/protocol",
	"unit/introspection-2",
	"unit/bitops",
	"unit/bitfield",
	"unit/info-command",
	"unit/pubsub",
	"unit/quit",
	"unit/slowlog",
	"unit/type/stream",
	"unit/expire",
	"unit/multi",
	"unit/dump",
	"unit/other",
	"unit/introspection",
	"unit/tracking",
	"unit/pause",
	"unit/lazyfree",
	"unit/querybuf",
	"unit/replybufsize",
}

// knownSuiteFailures maps a test's name to why Geomys answers differently
// from Redis 7.0 there, on purpose.
var knownSuiteFailures = map[string]string{
	// PUBLISH reaches every node's subscribers through the Raft log, but
	// is not in the AOF, which is what a SYNC replica's stream follows.
	"MULTI propagation of PUBLISH": "PUBLISH not in the replication stream",
	// Geomys propagates a consumer XREADGROUP creates as XGROUP
	// CREATECONSUMER before the XCLAIMs; 7.0 leaves it implicit in them.
	"MULTI propagation of XREADGROUP": "consumer creation propagated",
}

// knownSuiteAborts maps a unit to the exception that ends it on Geomys,
// and why; every test before it must still pass.
var knownSuiteAborts = map[string]struct{ text, timeoutIn, why string }{
	// "SRANDMEMBER with a dict containing long chain" reads Redis's hash
	// table internals (rehashing, chain lengths) with DEBUG HTSTATS-KEY.
	// Its 100,000 sequential SADDs before that can instead outlast the
	// unit's 60 s test timeout on a slow machine, ending it there.
	"unit/type/set": {"HTSTATS-KEY", "SRANDMEMBER with a dict containing long chain", "Redis's dict internals"},
}

var suiteLine = regexp.MustCompile(`^\[(ok|err|exception|ignore)\]: (.*?)(?: in tests/\S+)?(?: \(\d+ ms\))?$`)

func TestRedisSuite(t *testing.T) {
	root, err := filepath.Abs(filepath.Join(".redis-src", "redis-7.0.15"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tests", "test_helper.tcl")); err != nil {
		t.Fatalf("Redis's test suite is missing (%v): run scripts/ensure-deps.sh", err)
	}
	if _, err := exec.LookPath("tclsh"); err != nil {
		t.Fatalf("tclsh is missing: run scripts/ensure-deps.sh")
	}
	for _, unit := range suiteUnits {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(unit, "unit/"), "/", "_"), func(t *testing.T) {
			n := startNode(t)
			out := runSuiteUnit(t, root, n.port, unit)
			ok := 0
			for _, line := range strings.Split(out, "\n") {
				m := suiteLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
				if m == nil {
					continue
				}
				switch name := m[2]; m[1] {
				case "ok":
					ok++
					if why, known := knownSuiteFailures[name]; known {
						t.Logf("%q passes now (listed as a known failure: %s)", name, why)
					}
				case "exception":
					if known, ok := knownSuiteAborts[unit]; !ok || !strings.Contains(line, known.text) {
						t.Errorf("%s aborted: %s", unit, suiteContext(out, line))
					}
				case "err":
					if _, known := knownSuiteFailures[name]; !known {
						t.Errorf("%s: %s", unit, suiteContext(out, line))
					}
				}
			}
			if ok == 0 {
				t.Errorf("%s: no test passed; output:\n%s", unit, out)
			}
		})
	}
}

// runSuiteUnit runs one unit against the node on port and returns its
// output without colours. The suite's processes are one group, killed
// together if the unit overruns.
func runSuiteUnit(t *testing.T, root string, port int, unit string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// The suite's own server listens on the first free port from
	// baseport-32 whose port+10000 is free too: start the search at a port
	// that varies from run to run (not at 21079 for every run on the
	// machine) and stays 10000 below the top of the port range.
	base := 20000 + freePort(t)%30000 + 32
	cmd := exec.CommandContext(ctx, "./runtest", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--single", unit, "--timeout", "60", "--baseport", strconv.Itoa(base))
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	raw, err := cmd.CombinedOutput()
	out := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(string(raw), "")
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish in time; output:\n%s", unit, out)
	}
	known := knownSuiteAborts[unit]
	timedOut := known.timeoutIn != "" && strings.Contains(out, "[TIMEOUT]") && strings.Contains(out, "(IN PROGRESS) "+known.timeoutIn)
	if err != nil && !timedOut && !strings.Contains(out, "[err]") && !strings.Contains(out, "[exception]") {
		t.Fatalf("runtest %s: %v; output:\n%s", unit, err, out)
	}
	return out
}

// suiteContext is a failure's line with the few lines that explain it.
func suiteContext(out, line string) string {
	i := strings.Index(out, line)
	rest := out[i:]
	lines := strings.SplitN(rest, "\n", 4)
	return strings.Join(lines[:min(len(lines), 3)], "\n")
}
