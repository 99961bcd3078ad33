package test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func redisCLIPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatal("redis-cli not installed: run `make test`, which installs redis-tools")
	}
	return p
}

// runCLI runs redis-cli against addr with args, feeding stdin; it returns
// stdout+stderr (stdout first) and fails the test if redis-cli hangs.
func runCLI(t *testing.T, addr string, stdin string, args ...string) (string, int) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, redisCLIPath(t), append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("redis-cli %q timed out; output so far:\n%s%s", args, out.String(), errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("redis-cli %q: %v", args, err)
	}
	return out.String() + errb.String(), code
}

type cliCase struct {
	stdin string
	args  []string
	want  string // when not empty: the exact output expected
}

func cli(args ...string) cliCase { return cliCase{args: args} }

// TestCLI runs the cli tests as subtests on one node (FLUSHALL between them).
func TestCLI(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"Session", testCLISession},
		nodeTest{"Scan", testCLIScan},
		nodeTest{"PipeMassInsertion", testCLIPipeMassInsertion},
	)
}

// testCLISession runs a scripted redis-cli session against Geomys and against
// redis-server and requires the same output (and exit code) for every step,
// plus exact texts for the classic examples.
func testCLISession(t *testing.T, n *node) {
	ref := startRedis(t)
	steps := []cliCase{
		{args: []string{"set", "greeting", "hello"}, want: "OK\n"},
		{args: []string{"get", "greeting"}, want: "hello\n"},
		{args: []string{"incr", "visits"}, want: "1\n"},
		{args: []string{"--no-raw", "incr", "visits"}, want: "(integer) 2\n"},
		{args: []string{"rpush", "q", "a", "b", "c"}, want: "3\n"},
		{args: []string{"lpop", "q"}, want: "a\n"},
		{args: []string{"lrange", "q", "0", "-1"}, want: "b\nc\n"},
		{args: []string{"--no-raw", "lrange", "q", "0", "-1"}, want: "1) \"b\"\n2) \"c\"\n"},
		{args: []string{"get", "nosuch"}, want: "\n"},
		{args: []string{"--no-raw", "get", "nosuch"}, want: "(nil)\n"},
		{args: []string{"--no-raw", "incr", "greeting"}, want: "(error) ERR value is not an integer or out of range\n"},
		cli("incr", "greeting"),
		{args: []string{"--no-raw", "get"}, want: "(error) ERR wrong number of arguments for 'get' command\n"},
		cli("--no-raw", "foo", "bar"),
		{args: []string{"--no-raw", "lrange", "nosuch", "0", "-1"}, want: "(empty array)\n"},
		{args: []string{"--no-raw", "info", "keyspace"}, want: "# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n"},
		cli("info", "keyspace"),
		{args: []string{"-n", "3", "set", "x", "y"}, want: "OK\n"},
		{args: []string{"-n", "3", "dbsize"}, want: "1\n"},
		{args: []string{"--no-raw", "dbsize"}, want: "(integer) 3\n"},
		cli("--no-raw", "info", "keyspace"),
		cli("-3", "--no-raw", "lrange", "q", "0", "-1"),
		cli("-3", "--no-raw", "get", "nosuch"),
		cli("-3", "ping"),
		cli("--no-raw", "ping", "hello world"),
		{args: []string{"-r", "3", "incr", "counter"}, want: "1\n2\n3\n"},
		{stdin: "hello\nworld\n", args: []string{"-x", "set", "blob"}, want: "OK\n"},
		{args: []string{"--no-raw", "get", "blob"}, want: "\"hello\\nworld\\n\"\n"},
		cli("--no-raw", "set", "k", "v", "EX", "100"),
		{args: []string{"--no-raw", "ttl", "k"}, want: "(integer) 100\n"},
		cli("--no-raw", "expiretime", "nosuch"),
		cli("--no-raw", "type", "q"),
		cli("--no-raw", "del", "k", "nosuch", "blob"),
		cli("--no-raw", "incrbyfloat", "f", "1.5"),
		cli("-3", "--no-raw", "incrbyfloat", "f", "1.5"),
		cli("--no-raw", "blpop", "nosuch", "0.1"),
		cli("-3", "--no-raw", "blpop", "nosuch", "0.1"),
		cli("--no-raw", "rpush", "m", "1", "2", "3"),
		cli("--no-raw", "lmpop", "2", "nosuch", "m", "left", "count", "2"),
		cli("-3", "--no-raw", "lmpop", "1", "m", "right"),
		cli("--no-raw", "lpos", "q", "c", "count", "0"),
		cli("--no-raw", "set", "k2", "v", "get"),
		cli("--no-raw", "mget", "greeting", "nosuch", "visits"),
		cli("-3", "--no-raw", "mget", "greeting", "nosuch", "visits"),
		cli("--no-raw", "getrange", "greeting", "1", "3"),
		cli("--no-raw", "scan", "0", "match", "greet*"),
		cli("--no-raw", "object", "encoding", "visits"),
		cli("--no-raw", "exists", "greeting", "greeting", "nosuch"),
		cli("--no-raw", "expire", "greeting", "100", "nx", "xx"),
		cli("--no-raw", "select", "20"),
		// stdin: one command per line, quoted arguments, errors in between.
		{stdin: "set a 1\nget a\nincr a\nincr greeting\nlrange nosuch 0 -1\nset \"sp ace\" \"v w\"\nget \"sp ace\"\n" +
			"set bin \"a\\x00b\\r\\n\"\nstrlen bin\n",
			want: "OK\n1\n2\nERR value is not an integer or out of range\n\n\nOK\nv w\nOK\n5\n"},
		{stdin: "get a\nget bin\nincr greeting\nrpush l2 x y\nlrange l2 0 -1\nttl nosuch\nget nosuch\n", args: []string{"--no-raw"}},
		{stdin: "get a\nlrange l2 0 -1\nget nosuch\nincrbyfloat f 1\n", args: []string{"-3", "--no-raw"}},
		cli("--csv", "lrange", "l2", "0", "-1"),
		cli("--csv", "mget", "a", "nosuch", "bin"),
		cli("--json", "lrange", "l2", "0", "-1"),
		cli("--json", "mget", "a", "nosuch", "bin"),
		cli("-2", "--json", "mget", "a", "nosuch"),
		cli("--quoted-json", "get", "bin"),
		cli("--quoted-input", "set", `"null-\x00-separated"`, "value"),
		cli("--no-raw", "--quoted-input", "get", `"null-\x00-separated"`),
		cli("--no-raw", "keys", "null*"),
		cli("--no-raw", "flushdb"),
		cli("--no-raw", "dbsize"),
	}
	for _, addr := range []string{n.addr(), ref} {
		runCLI(t, addr, "", "flushall")
	}
	for i, st := range steps {
		got, gcode := runCLI(t, n.addr(), st.stdin, st.args...)
		want, wcode := runCLI(t, ref, st.stdin, st.args...)
		desc := fmt.Sprintf("step %d: redis-cli %s", i, quoteArgs(st.args))
		if st.stdin != "" {
			desc += fmt.Sprintf(" <<< %q", st.stdin)
		}
		if st.want != "" && want != st.want {
			t.Fatalf("%s: the test expects %q but redis-server itself prints %q: fix the test", desc, st.want, want)
		}
		if got != want || gcode != wcode {
			t.Errorf("%s\n   geomys: %q (exit %d)\n    redis: %q (exit %d)", desc, got, gcode, want, wcode)
		}
	}
}

func testCLIScan(t *testing.T, n *node) {
	c := n.client()
	ctx := ctxT(t)
	var want []string
	pipe := c.Pipeline()
	for i := 0; i < 300; i++ {
		k := "user:" + strconv.Itoa(i)
		want = append(want, k)
		pipe.Set(ctx, k, "v", 0)
		pipe.Set(ctx, "other:"+strconv.Itoa(i), "v", 0)
	}
	pipe.RPush(ctx, "user:list", "x")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, n.addr(), "", "--scan", "--pattern", "user:*")
	got := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(got)
	got = dedup(got)
	want = append(want, "user:list")
	sort.Strings(want)
	if code != 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("redis-cli --scan --pattern user:* (exit %d): %d keys, want %d\n%.500s", code, len(got), len(want), out)
	}
	out, _ = runCLI(t, n.addr(), "", "--scan")
	if got := dedup(sortedLines(out)); len(got) != 601 {
		t.Errorf("redis-cli --scan found %d keys, want 601", len(got))
	}
	out, _ = runCLI(t, n.addr(), "", "--scan", "--pattern", "*:1?")
	if got := dedup(sortedLines(out)); len(got) != 20 {
		t.Errorf("redis-cli --scan --pattern '*:1?' found %d keys, want 20: %q", len(got), got)
	}
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return l
}

func dedup(sorted []string) []string {
	var out []string
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// testCLIPipeMassInsertion feeds redis-cli --pipe 10000 commands.
func testCLIPipeMassInsertion(t *testing.T, n *node) {
	ctx := ctxT(t)
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		switch i % 4 {
		case 0, 1:
			b.WriteString(encodeCmd("SET", "key:"+strconv.Itoa(i), "value:"+strconv.Itoa(i)))
		case 2:
			b.WriteString(encodeCmd("RPUSH", "list", strconv.Itoa(i)))
		case 3:
			b.WriteString(encodeCmd("INCR", "counter"))
		}
	}
	start := time.Now()
	out, code := runCLI(t, n.addr(), b.String(), "--pipe")
	t.Logf("--pipe of 10000 commands took %v", time.Since(start).Round(time.Millisecond))
	if code != 0 || !strings.Contains(out, "errors: 0, replies: 10000") {
		t.Fatalf("redis-cli --pipe (exit %d):\n%s", code, out)
	}
	if !strings.Contains(out, "All data transferred") {
		t.Errorf("redis-cli --pipe output lacks 'All data transferred':\n%s", out)
	}
	c := n.client()
	if sz := c.DBSize(ctx).Val(); sz != 5000+2 {
		t.Errorf("DBSIZE after --pipe = %d, want 5002", sz)
	}
	if v := c.Get(ctx, "counter").Val(); v != "2500" {
		t.Errorf("counter = %q, want 2500", v)
	}
	if l := c.LLen(ctx, "list").Val(); l != 2500 {
		t.Errorf("LLEN list = %d, want 2500", l)
	}
	if v := c.LIndex(ctx, "list", 1).Val(); v != "6" {
		t.Errorf("list order broken: LINDEX 1 = %q", v)
	}
	if v := c.Get(ctx, "key:9997").Val(); v != "value:9997" {
		t.Errorf("key:9997 = %q", v)
	}

	// Errors are counted, and everything else still applied.
	b.Reset()
	for i := 0; i < 1000; i++ {
		if i%100 == 0 {
			b.WriteString(encodeCmd("INCR", "key:0")) // "value:0" is not an integer
		} else {
			b.WriteString(encodeCmd("INCR", "counter"))
		}
	}
	out, code = runCLI(t, n.addr(), b.String(), "--pipe")
	if !strings.Contains(out, "errors: 10, replies: 1000") {
		t.Errorf("redis-cli --pipe with 10 failing INCRs (exit %d):\n%s", code, out)
	}
	if code == 0 {
		t.Errorf("redis-cli --pipe exits 0 although there were errors:\n%s", out)
	}
	if !strings.Contains(out, "ERR value is not an integer or out of range") {
		t.Errorf("redis-cli --pipe did not print the server's error:\n%s", out)
	}
	if v := c.Get(ctx, "counter").Val(); v != "3490" {
		t.Errorf("counter = %q after the second --pipe, want 3490", v)
	}
}
