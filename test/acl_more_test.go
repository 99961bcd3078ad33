package test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/internal/testutil"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Scripts, transactions, per-key read/write permissions, HELLO AUTH
// SETNAME and requirepass, compared with redis-server byte for byte.
const aclMoreScript = `
ACL DELUSER u
ACL SETUSER u on >p ~k* %R~r* %W~w* &ch +@all -del -flushall
ACL DRYRUN u copy r1 w1
ACL DRYRUN u copy w1 r1
ACL DRYRUN u lmove k1 w1 left right
ACL DRYRUN u lmove w1 k1 left right
ACL DRYRUN u rpoplpush r1 k1
ACL DRYRUN u smove k1 w1 m
ACL DRYRUN u smove w1 k1 m
ACL DRYRUN u rename k1 w1
ACL DRYRUN u rename r1 k1
ACL DRYRUN u sort r1 store w1
ACL DRYRUN u sort r1 store r2
ACL DRYRUN u geosearchstore w1 r1 frommember m byradius 1 km
ACL DRYRUN u geosearchstore r1 w1 frommember m byradius 1 km
ACL DRYRUN u sinterstore w1 r1 r2
ACL DRYRUN u zunionstore w1 2 r1 k2
ACL DRYRUN u pfmerge w1 r1
ACL DRYRUN u pfmerge k1 r1
ACL DRYRUN u lpush w1 a
ACL DRYRUN u lpush r1 a
ACL DRYRUN u incr w1
ACL DRYRUN u set w1 v
ACL DRYRUN u set w1 v get
ACL DRYRUN u bitfield r1 get u8 0
ACL DRYRUN u bitfield r1 set u8 0 1
ACL DRYRUN u exists w1 r1
ACL DRYRUN u strlen w1
ACL DRYRUN u get w1
ACL DRYRUN u xreadgroup group g c streams r1 0
ACL DRYRUN u object encoding w1
AUTH u p
SET w1 v
SET r1 v
EVAL "return redis.call('del','k1')" 1 k1
EVAL "return redis.pcall('del','k1')" 1 k1
EVAL "return redis.call('get','x')" 1 x
EVAL "return redis.pcall('get','r1')" 0
EVAL "return redis.pcall('set','r1', 'v')" 0
EVAL "return redis.call('set','r1', 'v')" 0
EVAL "return redis.pcall('set','w1', 'v')" 0
EVAL "return redis.pcall('get','w1')" 0
EVAL "return redis.pcall('publish','ch', 'v')" 0
EVAL "return redis.pcall('publish','other', 'v')" 0
EVAL_RO "return redis.pcall('get','w1')" 0
MULTI
SET k1 v
DEL k1
EXEC
MULTI
GET x
EXEC
MULTI
SET k1 v
EXEC
AUTH default anything
HELLO 2 AUTH u wrong SETNAME app2
CLIENT GETNAME
AUTH default x
CONFIG SET requirepass pw1
AUTH default x
AUTH default pw1
AUTH pw1
CONFIG SET requirepass pw2
AUTH pw1
AUTH default pw2
ACL WHOAMI
CONFIG SET requirepass ""
ACL DELUSER u
`

func TestACLScriptsTxKeysWithRedis(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, aclMoreScript)
	// Denials inside scripts are logged with the context "lua".
	c := n.client()
	ctx := context.Background()
	c.Do(ctx, "ACL", "SETUSER", "s", "on", ">p", "~a*", "+@all")
	s := redis.NewClient(&redis.Options{Addr: n.addr(), Username: "s", Password: "p"})
	defer s.Close()
	if err := s.Eval(ctx, "return redis.call('get','b')", nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR The user executing the script can't access at least one of the keys") {
		t.Fatalf("EVAL get b as s: %v", err)
	}
	// HELLO AUTH SETNAME (its reply names versions and ids, which differ).
	c.Do(ctx, "ACL", "SETUSER", "h", "on", ">hp", "+@all")
	h := dialRESP(t, n.addr(), 2)
	if got := h.do("HELLO", "3", "AUTH", "h", "hp", "SETNAME", "app1"); !strings.HasPrefix(got, "%7\r\n$6\r\nserver") {
		t.Fatalf("HELLO 3 AUTH h hp SETNAME app1: %q", got)
	}
	if got := h.do("CLIENT", "GETNAME"); got != "$4\r\napp1\r\n" {
		t.Fatalf("CLIENT GETNAME after HELLO SETNAME: %q", got)
	}
	if got := h.do("ACL", "WHOAMI"); got != "$1\r\nh\r\n" {
		t.Fatalf("ACL WHOAMI after HELLO AUTH: %q", got)
	}
	if got := dialRESP(t, n.addr(), 2).do("ACL", "LOG", "1"); !strings.Contains(got, "$7\r\ncontext\r\n$3\r\nlua\r\n") {
		t.Fatalf("ACL LOG after a denial in a script: %q", got)
	}
}

// --aclfile, ACL SAVE and ACL LOAD: a file redis-server saved starts
// Geomys, Geomys' ACL SAVE loads in redis-server, ACL LOAD's errors are
// Redis', and LOAD and DELUSER disconnect the users' clients as Redis does.
func TestACLFile(t *testing.T) {
	dir := t.TempDir()
	rfile, gfile := filepath.Join(dir, "redis.acl"), filepath.Join(dir, "geomys.acl")
	os.WriteFile(rfile, []byte("user default on nopass ~* &* +@all\n"), 0o600)
	ref := dialRESP(t, testutil.StartRedis(t, "--aclfile", rfile), 2)
	for _, cmd := range [][]string{
		{"ACL", "SETUSER", "alice", "on", ">pw", "~foo*", "%R~bar*", "&ch*", "+@hash", "-hdel"},
		{"ACL", "SETUSER", "bob", "on", ">pw2", "allkeys", "+@all", "-@admin"},
		{"ACL", "SETUSER", "carol", "(+get ~a)", "(+@string ~b)"},
		{"ACL", "SAVE"},
	} {
		if got := ref.do(cmd...); got != "+OK\r\n" {
			t.Fatalf("redis-server %v: %q", cmd, got)
		}
	}
	saved, _ := os.ReadFile(rfile)
	// Redis' descriptions may name commands Geomys does not have.
	os.WriteFile(gfile, append(saved, "user eve on nopass ~* +@all -migrate -restore-asking -cluster|info\n"...), 0o600)
	n := startNode(t, "--aclfile", gfile)
	g := dialRESP(t, n.addr(), 2)
	if got := g.do("ACL", "DELUSER", "eve"); got != ":1\r\n" {
		t.Errorf("user eve with Redis-only commands in its rules: %q", got)
	}
	if got, want := g.do("ACL", "LIST"), ref.do("ACL", "LIST"); got != want {
		t.Errorf("ACL LIST of redis-server's file:\n geomys: %q\n  redis: %q", got, want)
	}
	alice := redis.NewClient(&redis.Options{Addr: n.addr(), Username: "alice", Password: "pw"})
	defer alice.Close()
	ctx := context.Background()
	if err := alice.HSet(ctx, "foo1", "f", "v").Err(); err != nil {
		t.Fatalf("alice from the file: %v", err)
	}

	// Geomys' ACL SAVE, loaded by redis-server's ACL LOAD.
	g.do("ACL", "SETUSER", "dave", "on", ">pw3", "%W~w*", "+lpush")
	if got := g.do("ACL", "SAVE"); got != "+OK\r\n" {
		t.Fatalf("ACL SAVE: %q", got)
	}
	saved, _ = os.ReadFile(gfile)
	os.WriteFile(rfile, saved, 0o600)
	if got := ref.do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("redis-server ACL LOAD of Geomys' file: %q\n%s", got, saved)
	}
	if got, want := g.do("ACL", "LIST"), ref.do("ACL", "LIST"); got != want {
		t.Errorf("ACL LIST after the round trip:\n geomys: %q\n  redis: %q", got, want)
	}

	// ACL LOAD errors (the file name differs: compare what follows it).
	bad := "user default on nopass ~* &* +@all\nuser x +nocmd blah\n# comment\nuser x on\n"
	os.WriteFile(gfile, []byte(bad), 0o600)
	os.WriteFile(rfile, []byte(bad), 0o600)
	got, want := g.do("ACL", "LOAD"), ref.do("ACL", "LOAD")
	if strings.ReplaceAll(got, gfile, "F") != strings.ReplaceAll(want, rfile, "F") || !strings.HasPrefix(got, "-ERR ") {
		t.Errorf("ACL LOAD of a bad file:\n geomys: %q\n  redis: %q", got, want)
	}
	os.Remove(gfile)
	os.Remove(rfile)
	got, want = g.do("ACL", "LOAD"), ref.do("ACL", "LOAD")
	if strings.ReplaceAll(got, gfile, "F") != strings.ReplaceAll(want, rfile, "F") {
		t.Errorf("ACL LOAD of a missing file:\n geomys: %q\n  redis: %q", got, want)
	}

	// ACL LOAD disconnects every client of a user other than default.
	os.WriteFile(gfile, []byte("user default on nopass ~* &* +@all\nuser alice on >pw ~* +@all\n"), 0o600)
	a := dialRESP(t, n.addr(), 2)
	a.do("AUTH", "alice", "pw")
	if got := g.do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", got)
	}
	if got, err := a.read(2 * time.Second); err == nil {
		t.Fatalf("alice's connection survived ACL LOAD: %q", got)
	}
	if got := g.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("default user's connection after ACL LOAD: %q", got)
	}
}

// testACLClusterMore runs on TestACLCluster's 3 nodes: ACL LOAD on the
// leader, scripts and MULTI through a follower as a restricted user,
// ACL DELUSER disconnecting on every node, wrong cluster secrets.
func testACLClusterMore(t *testing.T, c *cluster, aclFile string) {
	ctx := context.Background()
	lead := dialRESP(t, c.leader().addr(), 2)
	os.WriteFile(aclFile, []byte("user default on nopass ~* &* +@all\nuser scr on >sp ~s* +@all\n"), 0o600)
	if got := lead.do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("ACL LOAD on the leader: %q", got)
	}
	conns := map[string]*respConn{}
	for _, f := range c.followers() {
		// The loaded user, on every node.
		var got string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			got = dialRESP(t, f.addr(), 2).do("AUTH", "scr", "sp")
			if got == "+OK\r\n" {
				break
			}
		}
		if got != "+OK\r\n" {
			t.Fatalf("user from ACL LOAD on %s: %q", f.name(), got)
		}
		rc := dialRESP(t, f.addr(), 2)
		rc.do("AUTH", "scr", "sp")
		// A script relayed by a follower runs as its user on the leader.
		if got := rc.do("EVAL", "return redis.pcall('get','x')", "0"); got != "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n" {
			t.Errorf("script through %s: %q", f.name(), got)
		}
		if got := rc.do("EVAL", "return redis.pcall('set','s1','v')", "0"); got != "+OK\r\n" {
			t.Errorf("allowed script through %s: %q", f.name(), got)
		}
		// MULTI through a follower: a command refused at queue time aborts EXEC.
		rc.do("MULTI")
		rc.do("SET", "s2", "v")
		if got := rc.do("GET", "x"); got != "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n" {
			t.Errorf("GET x in MULTI through %s: %q", f.name(), got)
		}
		if got := rc.do("EXEC"); got != "-EXECABORT Transaction discarded because of previous errors.\r\n" {
			t.Errorf("EXEC through %s: %q", f.name(), got)
		}
		conns[f.name()] = rc
	}
	la := dialRESP(t, c.leader().addr(), 2)
	la.do("AUTH", "scr", "sp")
	conns[c.leader().name()] = la
	// ACL DELUSER disconnects the user's clients on every node.
	if got := lead.do("ACL", "DELUSER", "scr"); got != ":1\r\n" {
		t.Fatalf("ACL DELUSER scr: %q", got)
	}
	for name, rc := range conns {
		if got, err := rc.read(5 * time.Second); err == nil {
			t.Errorf("scr's connection on %s survived ACL DELUSER: %q", name, got)
		}
	}

	// A node with another secret cannot join, and says why.
	bad := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(),
		args: []string{"--node-id", "bad", "--join", c.nodes[0].addr(), "--cluster-secret", "wrong"}}
	bad.args = append(bad.args, "--raft-addr", "127.0.0.1:"+strconv.Itoa(bad.raftPort))
	bad.launch()
	t.Cleanup(bad.kill)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(bad.log.String(), "join refused: this node's --cluster-secret is not the cluster's") {
		if time.Now().After(deadline) {
			t.Fatalf("no clear join error from a node with a wrong secret:\n%s", bad.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if info := dialRESP(t, c.leader().addr(), 2).do("RAFT.INFO"); !strings.Contains(info, "n1") || strings.Contains(info, "bad") {
		t.Fatalf("members after a node with a wrong secret tried to join: %s", info)
	}

	// A follower restarted with another secret: the leader refuses its relays.
	f := c.followers()[0]
	f.kill()
	for i, a := range f.args {
		if a == "--cluster-secret" {
			f.args[i+1] = "other"
		}
	}
	f.launch()
	fc := redis.NewClient(&redis.Options{Addr: f.addr(), MaxRetries: -1})
	defer fc.Close()
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(f.log.String(), "the leader refuses this node's relays: start every member with the same --cluster-secret") {
		if err := fc.Set(ctx, "relayed", "v", 0).Err(); err == nil {
			t.Fatal("a follower with another secret relayed a write")
		}
		if time.Now().After(deadline) {
			t.Fatalf("no clear relay error from a follower with a wrong secret:\n%s", f.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
