package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rules with at most one single command each: Redis lists several in its
// hash table's order, which changes from run to run.
const aclScript = `
ACL DELUSER alice bob carol
ACL SETUSER alice on >pw ~foo* %R~bar* &ch* +@hash -hdel
ACL SETUSER bob on >pw2 >pw3 <pw3 allkeys allchannels +@all -get
ACL SETUSER carol (+get ~a) (+@string ~b)
ACL LIST
ACL GETUSER alice
ACL GETUSER bob
ACL GETUSER carol
ACL GETUSER nobody
ACL USERS
ACL WHOAMI
ACL SETUSER x #abc
ACL SETUSER x +nocmd
ACL SETUSER x +@nocat
ACL SETUSER x allkeys ~a
ACL SETUSER x allchannels &a
ACL SETUSER x <nopass
ACL SETUSER "a b"
ACL DELUSER default
ACL CAT nocat
ACL DRYRUN alice hget foo1 f
ACL DRYRUN alice hget x f
ACL DRYRUN alice hdel foo1 f
ACL DRYRUN alice hset bar1 f v
ACL DRYRUN bob get x
ACL DRYRUN carol get a
ACL DRYRUN carol set b 1
ACL DRYRUN carol set a 1
ACL DRYRUN nobody get x
ACL DRYRUN alice nocmd x
AUTH x
AUTH alice wrong
AUTH nobody pw
HELLO 3 AUTH alice wrong
AUTH alice pw
ACL WHOAMI
HGET foo1 f
HGET x f
HDEL foo1 f
HSET bar1 f v
GET foo1
AUTH default anything
ACL WHOAMI
ACL DELUSER alice bob carol
`

func TestACLCompareWithRedis(t *testing.T) {
	n := startNode(t)
	compareWithRedis(t, n, aclScript)
}

// ACL CAT <category> lists, for the commands Geomys has, what redis-server
// lists (as sets: Redis' order is its hash table's).
func TestACLCategoriesMatchRedis(t *testing.T) {
	n := startNode(t)
	ref := dialRESP(t, startRedis(t), 2)
	g := dialRESP(t, n.addr(), 2)
	ctx := context.Background()
	gc := n.client()
	defer gc.Close()
	cats, err := gc.Do(ctx, "ACL", "CAT").StringSlice()
	if err != nil || len(cats) != 21 {
		t.Fatalf("ACL CAT = %v, %v", cats, err)
	}
	have := map[string]bool{}
	all, _ := gc.Do(ctx, "COMMAND", "LIST").StringSlice()
	for _, c := range all {
		have[c] = true
	}
	parse := func(raw string) []string {
		var out []string
		for _, l := range strings.Split(raw, "\r\n") {
			if l != "" && l[0] != '*' && l[0] != '$' {
				out = append(out, l)
			}
		}
		return out
	}
	for _, cat := range cats {
		var want []string
		for _, c := range parse(ref.do("ACL", "CAT", cat)) {
			base, _, _ := strings.Cut(c, "|")
			if have[base] {
				want = append(want, c)
			}
		}
		got := parse(g.do("ACL", "CAT", cat))
		var mine []string
		for _, c := range got {
			if !strings.HasPrefix(c, "raft.") && !strings.HasPrefix(c, "acl") {
				mine = append(mine, c)
			}
		}
		for i := range want {
			if strings.HasPrefix(want[i], "acl") {
				want[i] = ""
			}
		}
		want = slices.DeleteFunc(want, func(s string) bool { return s == "" })
		slices.Sort(want)
		slices.Sort(mine)
		// Geomys declares every subcommand of its containers, implemented or not.
		if !slices.Equal(want, mine) {
			t.Errorf("ACL CAT %s differs:\n geomys: %v\n  redis: %v", cat, mine, want)
		}
	}
}

func TestACLClients(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	if err := n.client().ConfigSet(ctx, "requirepass", "s3cret").Err(); err != nil {
		t.Fatal(err)
	}
	n.password = "s3cret"
	anon := n.client()
	defer anon.Close()
	if err := anon.Set(ctx, "k", "v", 0).Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Fatalf("unauthenticated SET: %v", err)
	}
	admin := redis.NewClient(&redis.Options{Addr: n.addr(), Password: "s3cret"})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@read", "+@write").Err(); err != nil {
		t.Fatal(err)
	}
	app := redis.NewClient(&redis.Options{Addr: n.addr(), Username: "app", Password: "apppw", Protocol: 3})
	defer app.Close()
	if err := app.Set(ctx, "app:1", "x", 0).Err(); err != nil {
		t.Fatalf("app SET app:1: %v", err)
	}
	if err := app.Set(ctx, "other", "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("app SET other: %v", err)
	}
	list, _ := admin.ClientList(ctx).Result()
	if !strings.Contains(list, " user=app ") {
		t.Fatalf("CLIENT LIST has no user=app: %q", list)
	}
	out, err := exec.Command("redis-cli", "-p", port(n), "--user", "app", "--pass", "apppw", "--no-auth-warning", "GET", "app:1").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "x" {
		t.Fatalf("redis-cli --user: %q %v", out, err)
	}
	out, _ = exec.Command("redis-cli", "-p", port(n), "-a", "wrong", "--no-auth-warning", "GET", "app:1").CombinedOutput()
	if !strings.Contains(string(out), "WRONGPASS") && !strings.Contains(string(out), "NOAUTH") {
		t.Fatalf("redis-cli -a wrong: %q", out)
	}
	logs, _ := admin.Do(ctx, "ACL", "LOG").Slice()
	if len(logs) == 0 {
		t.Fatal("ACL LOG is empty after denials")
	}
	// Users survive a restart (kill -9: the AOF has them).
	n.kill()
	n.start()
	app2 := redis.NewClient(&redis.Options{Addr: n.addr(), Username: "app", Password: "apppw"})
	defer app2.Close()
	if v, err := app2.Get(ctx, "app:1").Result(); err != nil || v != "x" {
		t.Fatalf("after restart: %q %v", v, err)
	}
}

func port(n *node) string { _, p, _ := strings.Cut(n.addr(), ":"); return p }

func TestACLCluster(t *testing.T) {
	aclFile := filepath.Join(t.TempDir(), "users.acl")
	os.WriteFile(aclFile, []byte("user default on nopass ~* &* +@all\n"), 0o600)
	c := startCluster(t, 3, "--cluster-secret", "cs", "--aclfile", aclFile)
	ctx := context.Background()
	lead := c.leader().client()
	defer lead.Close()
	if err := lead.Do(ctx, "ACL", "SETUSER", "ops", "on", ">opspw", "allkeys", "+@read", "+@write", "+acl|whoami").Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.followers() {
		cl := redis.NewClient(&redis.Options{Addr: f.addr(), Username: "ops", Password: "opspw"})
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := cl.Set(ctx, "k-"+f.name(), "v", 0).Err() // relayed to the leader
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ops on follower %s: %v", f.name(), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := cl.Do(ctx, "RAFT.NODE", "REMOVE", "n1").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
			t.Fatalf("non-admin RAFT.NODE on %s: %v", f.name(), err)
		}
		cl.Close()
		raw := dialRESP(t, f.addr(), 2)
		if got := raw.do("RAFT.PROXY"); !strings.HasPrefix(got, "-NOPERM") {
			t.Fatalf("RAFT.PROXY without the secret: %q", got)
		}
		if got := raw.do("RAFT.AUTH", "wrong"); !strings.HasPrefix(got, "-WRONGPASS") {
			t.Fatalf("RAFT.AUTH wrong: %q", got)
		}
		if got := raw.do("RAFT.NODE", "ADD", "evil", "127.0.0.1:1", "127.0.0.1:2"); !strings.HasPrefix(got, "-NOPERM") {
			t.Fatalf("RAFT.NODE ADD without the secret: %q", got)
		}
	}
	c.waitConverged()
	testACLClusterMore(t, c, aclFile)
}
