package test

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Behaviour Redis' own test suite (unit/introspection, slowlog, functions,
// scripting, latency-monitor) checks: CLIENT, CONFIG, FUNCTION, script
// sandbox and SLOWLOG texts, compared with redis-server where comparable.

const introspectScript = `
CLIENT KILL
CLIENT KILL id 10 wrong_arg
CLIENT KILL id str
CLIENT KILL id -1
CLIENT KILL id 0
CLIENT KILL type wrong_type
CLIENT KILL user wrong_user
CLIENT KILL skipme yes_or_no
CLIENT KILL skipme
CLIENT KILL a b c
CLIENT KILL 1.2.3.4:5
CLIENT KILL id 999999
CLIENT KILL type pubsub
CLIENT KILL addr 1.2.3.4:5 skipme no
CLIENT LIST id
CLIENT LIST id 999999
CLIENT LIST id x
CLIENT LIST type wrong
CLIENT LIST type pubsub
CLIENT LIST foo
CLIENT LIST foo bar baz
CONFIG SET maxmemory-clients 200%
CONFIG SET maxmemory-clients abc
CONFIG SET maxmemory-clients 10%
CONFIG GET maxmemory-clients
CONFIG SET maxmemory-clients 0
CONFIG GET key-load-delay
CONFIG GET key-load*
FUNCTION LOAD foo bar "#!lua name=test\nredis.register_function('test', function() return 'hello' end)"
FUNCTION LOAD "#!lua name=test\nredis.register_function('test', function() return 'hello' end)"
FCALL TEST 0
FCALL test 0
FUNCTION LOAD replace replace "x"
FUNCTION LIST LIBRARYNAME TES*
FUNCTION DELETE TEST
FUNCTION RESTORE a b c
FUNCTION FLUSH sync extra_arg
FUNCTION FLUSH
FUNCTION STATS
FUNCTION LOAD "#!lua name=lib1\nlocal function ping() return redis.call('ping') end\nredis.register_function('f1', function(keys, args) return ping() end)"
FCALL f1 0
FUNCTION LOAD replace "#!lua name=lib1\nlocal lib = redis\nlib.register_function('f1', function () lib.redis = redis return {ok='OK'} end)\nlib.register_function('f2', function () lib.register_function('f1', function () return 1 end) end)"
FCALL f1 0
FCALL f2 0
FUNCTION LOAD "#!lua name=lib2\nredis.math.random()"
FUNCTION FLUSH
EVAL "setmetatable(_G, {})" 0
EVAL "local g = getmetatable(_G); g.__index = {}" 0
EVAL "_G.x = 1" 0
EVAL "setmetatable(getmetatable(_G), {})" 0
EVAL "setmetatable(redis, {})" 0
EVAL "local t = setmetatable({}, {__metatable=1}); setmetatable(t, {})" 0
EVAL "return getmetatable(setmetatable({}, {__index={a=1}})).__index.a" 0
EVAL "return type(string.dump(function() return 1 end))" 0
EVAL "local f = loadstring(string.dump(function() return 1 end)); return f == nil" 0
EVAL "return redis.acl_check_cmd('set','xx',1)" 1 xx
EVAL "return redis.acl_check_cmd('client','foo')" 0
EVAL "return redis.acl_check_cmd('invalid-cmd','arg')" 0
EVAL "return redis.acl_check_cmd()" 0
MIGRATE 127.0.0.1 1 k 0 1000 KEYS k
MIGRATE 127.0.0.1 1 "" 0 1000 KEYS nokey1 nokey2
MIGRATE 127.0.0.1 1 k 0 1000 bogus
MIGRATE 127.0.0.1 1 k 0 1000 AUTH
MIGRATE 127.0.0.1 1 k 0 1000 AUTH2 u
MIGRATE 127.0.0.1 1 k 0 x
MIGRATE 127.0.0.1 1 k x 1000
MIGRATE 127.0.0.1 1 k 0 1000
`

func TestIntrospectionLikeRedis(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, introspectScript)
}

// TestClientListLikeRedis: CLIENT LIST and CLIENT INFO have Redis' fields in
// its order (7.2 adds lib-name and lib-ver), the asking client's query
// buffer holds its request, and cmd= names the subcommand.
func TestClientListLikeRedis(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	keys := func(line string) []string {
		var ks []string
		for _, f := range strings.Fields(line) {
			k, _, _ := strings.Cut(f, "=")
			ks = append(ks, k)
		}
		return ks
	}
	for _, sub := range []string{"list", "info"} {
		got := bulkLines(dialRESP(t, n.addr(), 2).do("CLIENT", sub))[0]
		want := bulkLines(dialRESP(t, ref, 2).do("CLIENT", sub))[0]
		gk, wk := keys(got), keys(want)
		if strings.Join(gk, " ") != strings.Join(append(wk, "lib-name", "lib-ver"), " ") {
			t.Errorf("CLIENT %s fields\n geomys: %v\n  redis: %v", sub, gk, wk)
		}
		for _, f := range []string{"qbuf=26", "multi=-1", "flags=N", "cmd=client|" + sub} {
			if !strings.Contains(got+" ", " "+f+" ") {
				t.Errorf("CLIENT %s: %q lacks %s", sub, got, f)
			}
		}
	}
}

// TestClientKillSkipme kills every other client, then itself, as Redis'
// CLIENT KILL SKIPME does.
func TestClientKillSkipme(t *testing.T) {
	n := startNode(t)
	me := dialRESP(t, n.addr(), 2)
	others := []*respConn{dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 2)}
	for _, o := range others {
		o.do("PING")
	}
	clients := strings.Count(me.do("CLIENT", "LIST"), "id=")
	if got := me.do("CLIENT", "KILL", "SKIPME", "yes"); got != ":"+strconv.Itoa(clients-1)+"\r\n" {
		t.Fatalf("CLIENT KILL SKIPME yes = %q with %d clients", got, clients)
	}
	for _, o := range others {
		o.send("PING")
		if r, err := o.read(2 * time.Second); err == nil {
			t.Errorf("a killed client still answers: %q", r)
		}
	}
	if got := me.do("CLIENT", "KILL", "SKIPME", "no"); got != ":1\r\n" {
		t.Fatalf("CLIENT KILL SKIPME no = %q", got)
	}
	me.send("PING")
	if r, err := me.read(2 * time.Second); err == nil {
		t.Errorf("the client killed itself and still answers: %q", r)
	}
}

// TestClientReplySkipThenOn: CLIENT REPLY ON right after SKIP answers OK,
// as in Redis.
func TestClientReplySkipThenOn(t *testing.T) {
	n := startNode(t)
	c := dialRESP(t, n.addr(), 2)
	c.send("CLIENT", "REPLY", "SKIP")
	if got := c.do("CLIENT", "REPLY", "ON"); got != "+OK\r\n" {
		t.Fatalf("CLIENT REPLY ON after SKIP = %q", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING = %q", got)
	}
}

// TestConfigSetFixedToCurrent: the parameters Geomys fixes accept their
// current value, as CONFIG SET of every CONFIG GET * pair does on Redis,
// and refuse others.
func TestConfigSetFixedToCurrent(t *testing.T) {
	n := startNode(t)
	c := dialRESP(t, n.addr(), 2)
	if got := c.do("CONFIG", "SET", "appendonly", "yes", "port", strconv.Itoa(n.port)); got != "+OK\r\n" {
		t.Errorf("CONFIG SET to the current values = %q", got)
	}
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set this parameter at runtime in Geomys\r\n"
	if got := c.do("CONFIG", "SET", "port", strconv.Itoa(freePort(t))); got != want {
		t.Errorf("CONFIG SET port to another = %q", got)
	}
	// Refusals Redis gives too, in its words: a value that is no port,
	// and a port taken (here by the node's own Raft listener), whatever
	// else the same CONFIG SET carries.
	want = "-ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer\r\n"
	if got := c.do("CONFIG", "SET", "port", "abc"); got != want {
		t.Errorf("CONFIG SET port abc = %q", got)
	}
	want = "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
	if got := c.do("CONFIG", "SET", "maxmemory", "10000001", "port", strconv.Itoa(n.raftPort)); got != want {
		t.Errorf("CONFIG SET port to one in use = %q", got)
	}
	if got := c.do("CONFIG", "GET", "maxmemory"); got != "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n" {
		t.Errorf("maxmemory after the refused CONFIG SET = %q", got)
	}
	if got := c.do("CONFIG", "GET", "*"); strings.Contains(got, "key-load-delay") {
		t.Errorf("CONFIG GET * lists a hidden parameter")
	}
}

// TestSlowlogRedactsLikeRedis: the secrets of ACL SETUSER (even one that
// fails), CONFIG SET masterauth, AUTH, HELLO AUTH and MIGRATE AUTH/AUTH2
// are "(redacted)" in SLOWLOG exactly where Redis puts it; EXEC is not
// logged but what it ran is.
func TestSlowlogRedactsLikeRedis(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	cmds := [][]string{
		{"ACL", "SETUSER", "slowlog test user", "+get", "+set"},
		{"CONFIG", "SET", "masterauth", ""},
		{"ACL", "SETUSER", "slowlog-test-user", "+get", "+set"},
		{"AUTH", "not-real"},
		{"AUTH", "not-real", "not-a-password"},
		{"AUTH", "a", "b", "c"},
		{"HELLO", "2", "AUTH", "not-real", "not-a-password"},
		{"MIGRATE", "127.0.0.1", "1", "key", "9", "5000"},
		{"MIGRATE", "127.0.0.1", "1", "key", "9", "5000", "AUTH", "user"},
		{"MIGRATE", "127.0.0.1", "1", "key", "9", "5000", "AUTH2", "user", "password"},
		{"MULTI"}, {"PING", "in-exec"}, {"EXEC"},
	}
	logged := func(addr string) []string {
		c := dialRESP(t, addr, 3)
		c.do("CONFIG", "SET", "slowlog-log-slower-than", "0")
		c.do("SLOWLOG", "RESET")
		for _, cmd := range cmds {
			c.do(cmd...)
		}
		c.do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
		// Each entry's arguments, oldest first.
		c.send("SLOWLOG", "GET", "-1")
		raw, err := c.read(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range regexp.MustCompile(`\*\d+\r\n((?:\$\d+\r\n[^\r]*\r\n)+)\$\d+\r\n127\.0\.0\.1`).FindAllStringSubmatch(raw, -1) {
			var args []string
			for _, a := range regexp.MustCompile(`\$\d+\r\n([^\r]*)\r\n`).FindAllStringSubmatch(m[1], -1) {
				args = append(args, a[1])
			}
			out = append([]string{strings.Join(args, " ")}, out...)
		}
		return out
	}
	got, want := logged(n.addr()), logged(ref)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SLOWLOG entries differ\n geomys:\n  %s\n  redis:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(want) < len(cmds)-1 {
		t.Fatalf("the reference logged only %d entries: %q", len(want), want)
	}
}

// TestLatencyHistogramNamesSubcommands: a container's calls are its
// subcommands', as Redis 7 names them in LATENCY HISTOGRAM and INFO
// commandstats.
func TestLatencyHistogramNamesSubcommands(t *testing.T) {
	n := startNode(t)
	c := dialRESP(t, n.addr(), 2)
	c.do("CONFIG", "RESETSTAT")
	c.do("CLIENT", "ID")
	c.do("CLIENT", "LIST")
	h := c.do("LATENCY", "HISTOGRAM", "client")
	if !strings.HasPrefix(h, "*4\r\n") || !strings.Contains(h, "$9\r\nclient|id\r\n") || !strings.Contains(h, "$11\r\nclient|list\r\n") {
		t.Errorf("LATENCY HISTOGRAM client = %q", h)
	}
	if h := c.do("LATENCY", "HISTOGRAM"); !strings.Contains(h, "config|resetstat") {
		t.Errorf("LATENCY HISTOGRAM lacks config|resetstat: %q", h)
	}
	if info := c.do("INFO", "commandstats"); !strings.Contains(info, "cmdstat_client|id:calls=1,") {
		t.Errorf("INFO commandstats = %q", info)
	}
}

// TestMonitorSeesDiscardedExec: an EXEC that answers EXECABORT still
// reaches MONITOR, as in Redis.
func TestMonitorSeesDiscardedExec(t *testing.T) {
	n := startNode(t)
	mon := dialRESP(t, n.addr(), 2)
	mon.do("MONITOR")
	c := dialRESP(t, n.addr(), 2)
	c.do("MULTI")
	c.do("NOSUCHCOMMAND")
	if got := c.do("EXEC"); !strings.HasPrefix(got, "-EXECABORT") {
		t.Fatalf("EXEC = %q", got)
	}
	for _, want := range []string{`"multi"`, `"exec"`} {
		line, err := mon.read(2 * time.Second)
		if err != nil || !strings.HasSuffix(strings.ToLower(strings.TrimSpace(line)), want) {
			t.Fatalf("MONITOR gave %q (%v), want a line ending %s", line, err, want)
		}
	}
}

// TestMigrateLikeRedis runs the same MIGRATEs from Geomys to a
// redis-server and from one redis-server to another, and compares the
// replies and what the targets hold; then MIGRATE from redis-server into
// Geomys.
func TestMigrateLikeRedis(t *testing.T) {
	n := startNode(t)
	dead := strconv.Itoa(freePort(t))
	script := func(port string) [][]string {
		return [][]string{
			{"SET", "k1", "v1"}, {"RPUSH", "l", "a", "b", "c"}, {"SET", "t", "v"}, {"PEXPIRE", "t", "100000"},
			{"MIGRATE", "127.0.0.1", port, "k1", "0", "5000"},
			{"EXISTS", "k1"},
			{"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS", "l", "t", "nokey"},
			{"EXISTS", "l", "t"},
			{"MIGRATE", "127.0.0.1", port, "nokey", "0", "5000"},
			{"SET", "k1", "other"},
			{"MIGRATE", "127.0.0.1", port, "k1", "0", "5000"},
			{"MIGRATE", "127.0.0.1", port, "k1", "0", "5000", "COPY", "REPLACE"},
			{"GET", "k1"},
			{"MIGRATE", "127.0.0.1", port, "k1", "99", "5000"},
			{"MIGRATE", "127.0.0.1", port, "k1", "0", "5000", "AUTH", "pw"},
			{"MIGRATE", "127.0.0.1", port, "k1", "0", "5000", "AUTH2", "u", "pw"},
			{"MIGRATE", "127.0.0.1", port, "k1", "1", "5000", "REPLACE"},
			{"EXISTS", "k1"},
			{"SET", "k1", "back"},
			{"MIGRATE", "127.0.0.1", dead, "k1", "0", "300"},
		}
	}
	check := [][]string{{"GET", "k1"}, {"LRANGE", "l", "0", "-1"}, {"EXISTS", "t"}, {"SELECT", "1"}, {"GET", "k1"}}
	run := func(src, dst string) (replies, target []string) {
		_, port, _ := net.SplitHostPort(dst)
		c, d := dialRESP(t, src, 2), dialRESP(t, dst, 2)
		c.do("FLUSHALL")
		d.do("FLUSHALL")
		for i, cmd := range script(port) {
			replies = append(replies, strconv.Itoa(i)+" "+cmd[0]+" -> "+c.do(cmd...))
		}
		if info := c.do("INFO", "stats"); !strings.Contains(info, "migrate_cached_sockets:1\r\n") {
			t.Errorf("%s: INFO stats lacks migrate_cached_sockets:1", src)
		}
		if ttl, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(d.do("PTTL", "t"), ":"))); ttl <= 0 {
			t.Errorf("%s: the migrated key's TTL is %d", dst, ttl)
		}
		for _, cmd := range check {
			target = append(target, quoteArgs(cmd)+" -> "+d.do(cmd...))
		}
		return replies, target
	}
	gotR, gotT := run(n.addr(), startRedis(t))
	wantR, wantT := run(startRedis(t), startRedis(t))
	for i := range wantR {
		if gotR[i] != wantR[i] {
			t.Errorf("Geomys to redis-server\n geomys: %q\n  redis: %q", gotR[i], wantR[i])
		}
	}
	if strings.Join(gotT, "\n") != strings.Join(wantT, "\n") {
		t.Errorf("targets differ\n from geomys: %q\n  from redis: %q", gotT, wantT)
	}

	// And into Geomys: its RESTORE answers as redis-server's does.
	intoG, _ := run(startRedis(t), n.addr())
	intoR, _ := run(startRedis(t), startRedis(t))
	for i := range intoR {
		if intoG[i] != intoR[i] {
			t.Errorf("redis-server to Geomys\n geomys: %q\n  redis: %q", intoG[i], intoR[i])
		}
	}
}

// TestFunctionBusyLikeRedis: while a function runs too long, commands get
// the BUSY text naming FUNCTION KILL, FUNCTION STATS shows it, SCRIPT KILL
// refuses it and FUNCTION KILL stops it, as in Redis.
func TestFunctionBusyLikeRedis(t *testing.T) {
	n := startNode(t)
	c := dialRESP(t, n.addr(), 2)
	c.do("CONFIG", "SET", "busy-reply-threshold", "10")
	c.do("FUNCTION", "LOAD", "#!lua name=test\nredis.register_function('test', function() local a = 1 while true do a = a + 1 end end)")
	busy := dialRESP(t, n.addr(), 2)
	busy.send("FCALL", "test", "0")
	time.Sleep(300 * time.Millisecond)
	if got := c.do("PING"); got != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Errorf("PING while a function runs = %q", got)
	}
	if got := c.do("FUNCTION", "STATS"); !strings.HasPrefix(got, "*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\ntest\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n$4\r\ntest\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:") {
		t.Errorf("FUNCTION STATS while a function runs = %q", got)
	}
	if got := c.do("SCRIPT", "KILL"); got != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Errorf("SCRIPT KILL on a function = %q", got)
	}
	if got := c.do("FUNCTION", "KILL"); got != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL = %q", got)
	}
	if r, err := busy.read(5 * time.Second); err != nil || !strings.HasPrefix(r, "-ERR Script killed by user") {
		t.Errorf("the killed FCALL answered %q (%v)", r, err)
	}
}
