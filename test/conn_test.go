package test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestConnectionCommands(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	for _, c := range []*redis.Client{n.client(), n.client2()} {
		if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
			t.Fatalf("PING = %q, %v", got, err)
		}
		if got, err := c.Echo(ctx, "hi there").Result(); err != nil || got != "hi there" {
			t.Fatalf("ECHO = %q, %v", got, err)
		}
		if got := c.Do(ctx, "ping", "msg").Val(); got != "msg" {
			t.Fatalf("PING msg = %v", got)
		}
	}
	c := n.client()
	if err := c.Do(ctx, "select", "16").Err(); err == nil || err.Error() != "ERR DB index is out of range" {
		t.Fatalf("SELECT 16: %v", err)
	}
	if err := c.Do(ctx, "select", "x").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("SELECT x: %v", err)
	}
	if err := c.Do(ctx, "nosuchcmd", "a", "b").Err(); err == nil ||
		err.Error() != "ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b' " {
		t.Fatalf("unknown command: %q", err)
	}
	if err := c.Do(ctx, "get").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("arity: %v", err)
	}
	if got := c.Do(ctx, "client", "id").Val(); got.(int64) <= 0 {
		t.Fatalf("CLIENT ID = %v", got)
	}
	if err := c.Do(ctx, "client", "setname", "worker-1").Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Do(ctx, "client", "getname").Val(); got != "worker-1" {
		t.Fatalf("CLIENT GETNAME = %v", got)
	}
	if err := c.Do(ctx, "client", "setname", "a b").Err(); err == nil ||
		err.Error() != "ERR Client names cannot contain spaces, newlines or special characters." {
		t.Fatalf("CLIENT SETNAME with space: %v", err)
	}
	list := c.ClientList(ctx).Val()
	if !strings.Contains(list, "name=worker-1") || !strings.Contains(list, "resp=3") {
		t.Fatalf("CLIENT LIST lacks our client: %q", list)
	}
	tm := c.Time(ctx).Val()
	if d := time.Since(tm); d < -5*time.Second || d > 5*time.Second {
		t.Fatalf("TIME off by %v", d)
	}
}

func TestHello(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	c := n.client2()
	m, err := c.Do(ctx, "hello", "3", "setname", "h3").Result()
	if err != nil {
		t.Fatal(err)
	}
	hello, ok := m.(map[interface{}]interface{})
	if !ok {
		// go-redis with Protocol 2 still parses the RESP3 map the server now sends
		t.Fatalf("HELLO 3 reply is %T, want a map: %v", m, m)
	}
	if hello["server"] != "redis" || hello["proto"] != int64(3) || hello["mode"] != "standalone" {
		t.Fatalf("HELLO 3 = %v", hello)
	}
	if err := c.Do(ctx, "hello", "4").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPROTO") {
		t.Fatalf("HELLO 4: %v", err)
	}
	raw := n.raw(t, "HELLO 3\r\nPING\r\n", 300*time.Millisecond)
	if !strings.HasPrefix(raw, "%7\r\n") || !strings.HasSuffix(raw, "+PONG\r\n") {
		t.Fatalf("raw HELLO 3: %q", raw)
	}
	raw = n.raw(t, "*2\r\n$5\r\nHELLO\r\n$1\r\n2\r\n", 300*time.Millisecond)
	if !strings.HasPrefix(raw, "*14\r\n") {
		t.Fatalf("raw HELLO 2: %q", raw)
	}
}

func TestCommandAndInfo(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	c := n.client()
	count := c.Do(ctx, "command", "count").Val().(int64)
	if count < 80 {
		t.Fatalf("COMMAND COUNT = %d", count)
	}
	cmds, err := c.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != int(count) {
		t.Fatalf("COMMAND returned %d entries, COUNT says %d", len(cmds), count)
	}
	set := cmds["set"]
	if set == nil || set.Arity != -3 || set.FirstKeyPos != 1 || !contains(set.Flags, "write") {
		t.Fatalf("COMMAND INFO set = %+v", set)
	}
	get := cmds["get"]
	if get == nil || get.Arity != 2 || !get.ReadOnly {
		t.Fatalf("COMMAND INFO get = %+v", get)
	}
	info := c.Info(ctx).Val()
	for _, want := range []string{"# Server", "redis_version:", "# Clients", "connected_clients:", "# Memory",
		"used_memory:", "# Persistence", "aof_enabled:1", "# Stats", "total_commands_processed:", "# Replication",
		"role:master", "# Keyspace"} {
		if !strings.Contains(info, want) {
			t.Fatalf("INFO lacks %q:\n%s", want, info)
		}
	}
	c.Set(ctx, "k", "v", 0)
	if ks := c.Info(ctx, "keyspace").Val(); !strings.Contains(ks, "db0:keys=1,expires=0") || strings.Contains(ks, "# Server") {
		t.Fatalf("INFO keyspace = %q", ks)
	}
	cfg := c.ConfigGet(ctx, "appendonly").Val()
	if cfg["appendonly"] != "yes" {
		t.Fatalf("CONFIG GET appendonly = %v", cfg)
	}
	if cfg := c.ConfigGet(ctx, "save").Val(); cfg["save"] != "" || len(cfg) != 1 {
		t.Fatalf("CONFIG GET save = %v", cfg)
	}
	if err := c.ConfigSet(ctx, "nosuch", "1").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR Unknown option") {
		t.Fatalf("CONFIG SET unknown: %v", err)
	}
}

func TestQuitClosesConnection(t *testing.T) {
	n := startNode(t)
	raw := n.raw(t, "PING\r\nQUIT\r\nPING\r\n", 2*time.Second)
	if raw != "+PONG\r\n+OK\r\n" {
		t.Fatalf("PING QUIT PING = %q", raw)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
