package test

import (
	"context"
	"strings"
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
