package test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterAnyNodeServes: a client on any node, RESP2 or RESP3, gets what
// it would get from the leader — writes, reads, pipelines, SELECT, MULTI
// with WATCH, blocking pops, pub/sub — and every node ends with the same data.
func TestClusterAnyNodeServes(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	leader := c.leader()
	fs := c.followers()
	f1, f2 := fs[0], fs[1]

	for _, cl := range []*redis.Client{f1.client(), f1.client2()} {
		if err := cl.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET on follower: %v", err)
		}
	}
	if got, err := f2.client().Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET on other follower = %q, %v", got, err)
	}

	// A pipeline mixing writes and reads keeps its order through the proxy.
	pipe := f1.client2().Pipeline()
	var incrs []*redis.IntCmd
	for i := 0; i < 50; i++ {
		incrs = append(incrs, pipe.Incr(ctx, "ctr"))
		pipe.Get(ctx, "ctr")
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, ic := range incrs {
		if ic.Val() != int64(i+1) {
			t.Fatalf("pipelined INCR %d = %d", i, ic.Val())
		}
		if got := cmds[2*i+1].(*redis.StringCmd).Val(); got != fmt.Sprint(i+1) {
			t.Fatalf("pipelined GET after INCR %d = %q", i, got)
		}
	}

	// DEBUG's views of the dataset show the client's own writes, which
	// the leader committed but this follower may not have applied yet.
	for i := 0; i < 30; i++ {
		key := fmt.Sprint("dbg", i)
		pipe := f1.client2().Pipeline()
		pipe.RPush(ctx, key, "a", "b")
		digest := pipe.Do(ctx, "DEBUG", "DIGEST-VALUE", key)
		object := pipe.Do(ctx, "DEBUG", "OBJECT", key)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("RPUSH, DEBUG DIGEST-VALUE, DEBUG OBJECT on a follower: %v", err)
		}
		if d := fmt.Sprint(digest.Val()); strings.Contains(d, "0000000000000000000000000000000000000000") {
			t.Fatalf("DEBUG DIGEST-VALUE right after RPUSH on a follower = %s: the write is missing", d)
		}
		if o := fmt.Sprint(object.Val()); !strings.Contains(o, "encoding:quicklist") {
			t.Fatalf("DEBUG OBJECT right after RPUSH on a follower = %q", o)
		}
	}

	// SELECT is honoured on the relayed connection.
	c5 := redis.NewClient(&redis.Options{Addr: f2.addr(), DB: 5})
	defer c5.Close()
	if err := c5.Set(ctx, "in5", "five", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := leader.client().Exists(ctx, "in5").Result(); n != 0 {
		t.Fatal("a write from db 5 landed in db 0")
	}
	if got := c5.Get(ctx, "in5").Val(); got != "five" {
		t.Fatalf("db 5 GET = %q", got)
	}

	// Errors keep their text.
	if err := f1.client().LPush(ctx, "k", "x").Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Fatalf("LPUSH on a string through the proxy: %v", err)
	}

	// WATCH through a follower: a change from another node aborts EXEC.
	watcher := f1.client()
	err = watcher.Watch(ctx, func(tx *redis.Tx) error {
		if err := f2.client().Set(ctx, "w", "changed", 0).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("EXEC after a concurrent change: %v, want abort", err)
	}
	err = watcher.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			p.Incr(ctx, "ctr")
			return nil
		})
		return err
	}, "w")
	if err != nil {
		t.Fatalf("untouched WATCH transaction: %v", err)
	}
	if got := f2.client().Get(ctx, "w").Val(); got != "mine" {
		t.Fatalf("after EXEC w = %q", got)
	}

	// A blocked pop on one follower is served by a push on the other.
	popped := make(chan []string, 1)
	go func() {
		v, _ := f1.client().BLPop(ctx, 10*time.Second, "queue").Result()
		popped <- v
	}()
	time.Sleep(300 * time.Millisecond)
	if err := f2.client().RPush(ctx, "queue", "job").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-popped:
		if len(v) != 2 || v[1] != "job" {
			t.Fatalf("BLPOP through a follower = %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP on a follower was not woken by a push on another")
	}
	if v, err := f1.client().BLPop(ctx, 200*time.Millisecond, "empty").Result(); err != redis.Nil {
		t.Fatalf("BLPOP timeout through a follower = %v, %v", v, err)
	}

	// Pub/sub: subscribers on every node hear a PUBLISH sent to a follower.
	var subs []*redis.PubSub
	for _, n := range c.nodes {
		ps := n.client().Subscribe(ctx, "news")
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, ps)
	}
	if err := f2.client().Publish(ctx, "news", "hello").Err(); err != nil {
		t.Fatal(err)
	}
	for i, ps := range subs {
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil || msg.Payload != "hello" {
			t.Fatalf("subscriber on node %d: %v, %v", i, msg, err)
		}
		ps.Close()
	}

	c.waitConverged()
}

// TestClusterTopologyCommands: RAFT.INFO, ROLE and INFO replication describe
// the cluster the way Redis tooling reads it.
func TestClusterTopologyCommands(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	leader := c.leader()
	info := leader.raftInfo()
	for k, want := range map[string]string{"role": "leader", "num_voters": "3", "leader_addr": leader.addr(), "read_consistency": "linearizable"} {
		if info[k] != want {
			t.Errorf("leader RAFT.INFO %s = %q, want %q", k, info[k], want)
		}
	}
	for _, f := range c.followers() {
		fi := f.raftInfo()
		if fi["role"] != "follower" || fi["leader_id"] != leader.name() || fi["leader_addr"] != leader.addr() {
			t.Errorf("follower RAFT.INFO: %v", fi)
		}
		role, err := f.client2().Do(ctx, "ROLE").Slice()
		if err != nil || role[0] != "slave" || role[1] != "127.0.0.1" || role[2] != int64(leader.port) || role[3] != "connected" {
			t.Errorf("follower ROLE = %v, %v", role, err)
		}
		repl := f.client2().Info(ctx, "replication").Val()
		for _, want := range []string{"role:slave", fmt.Sprintf("master_port:%d", leader.port), "master_link_status:up"} {
			if !strings.Contains(repl, want) {
				t.Errorf("follower INFO replication lacks %q:\n%s", want, repl)
			}
		}
	}
	role, err := leader.client2().Do(ctx, "ROLE").Slice()
	if err != nil || role[0] != "master" || len(role[2].([]any)) != 2 {
		t.Errorf("leader ROLE = %v, %v", role, err)
	}
	repl := leader.client2().Info(ctx, "replication").Val()
	if !strings.Contains(repl, "role:master") || !strings.Contains(repl, "connected_slaves:2") {
		t.Errorf("leader INFO replication:\n%s", repl)
	}
	if n, err := c.followers()[0].client2().Do(ctx, "WAIT", 1, 0).Int(); err != nil || n != 1 {
		t.Errorf("WAIT 1 0 on 3 voters = %d, %v; want 1 (the majority's other member)", n, err)
	}
	if !strings.Contains(leader.client2().Info(ctx, "raft").Val(), "num_voters:3") {
		t.Error("INFO raft lacks num_voters")
	}
	// Errors an operator may hit.
	for cmd, want := range map[string]string{
		"RAFT.NODE REMOVE nosuch":   "ERR no such node",
		"RAFT.NODE ADD x badaddr y": "ERR invalid address 'badaddr': expected host:port",
		"RAFT.NODE FROB":            "ERR wrong number of arguments for 'raft.node' command",
		"RAFT.NODE FROB a":          "ERR unknown subcommand 'FROB'. Try RAFT.NODE ADD or RAFT.NODE REMOVE.",
	} {
		args := []any{}
		for _, a := range strings.Fields(cmd) {
			args = append(args, a)
		}
		if err := c.followers()[0].client2().Do(ctx, args...).Err(); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", cmd, err, want)
		}
	}
}

// TestClusterRedirectMode: with --follower-mode redirect a follower answers
// MOVED with the leader's address instead of relaying.
func TestClusterRedirectMode(t *testing.T) {
	c := startCluster(t, 3, "--follower-mode", "redirect")
	ctx := ctxT(t)
	leader := c.leader()
	f := c.followers()[0]
	err := f.client2().Set(ctx, "k", "v", 0).Err()
	if err == nil || err.Error() != "MOVED 0 "+leader.addr() {
		t.Fatalf("SET on a redirecting follower: %v", err)
	}
	if err := leader.client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.client2().Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED 0 ") {
		t.Fatalf("linearizable GET on a redirecting follower: %v", err)
	}
	if got := f.client2().Ping(ctx).Val(); got != "PONG" {
		t.Fatalf("PING is local: %q", got)
	}
}

// TestClusterStaleReads: --read-consistency stale serves reads from the
// local data on every node, even with no leader.
func TestClusterStaleReads(t *testing.T) {
	c := startCluster(t, 3, "--read-consistency", "stale", "--request-timeout", "1s")
	ctx := ctxT(t)
	if err := c.nodes[0].client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c.waitConverged()
	leader := c.leader()
	var survivor *node
	for _, n := range c.nodes {
		if n != leader && survivor == nil {
			survivor = n
		} else {
			n.kill()
		}
	}
	if got, err := survivor.client().Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("stale GET without a quorum = %q, %v", got, err)
	}
	// The SET waits up to --request-timeout for a leader; go-redis would
	// retry the TRYAGAIN three times, so it must not here.
	once := redis.NewClient(&redis.Options{Addr: survivor.addr(), MaxRetries: -1})
	defer once.Close()
	start := time.Now()
	err := once.Set(ctx, "k", "w", 0).Err()
	if err == nil || !(strings.HasPrefix(err.Error(), "TRYAGAIN") || strings.HasPrefix(err.Error(), "UNCERTAIN")) {
		t.Fatalf("SET without a quorum: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("SET without a quorum took %v", time.Since(start))
	}
}

// TestClusterNoQuorum: with a majority gone, commands on the survivor answer
// promptly with a retryable error (TRYAGAIN) or, for a write already
// proposed, UNCERTAIN — never OK, never a hang past --request-timeout.
func TestClusterNoQuorum(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "1s")
	ctx := ctxT(t)
	leader := c.leader()
	if err := leader.client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range c.followers() {
		f.kill()
	}
	cl := redis.NewClient(&redis.Options{Addr: leader.addr(), MaxRetries: -1, ReadTimeout: 10 * time.Second})
	defer cl.Close()
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			start := time.Now()
			var err error
			if i%2 == 0 {
				err = cl.Set(ctx, fmt.Sprint("x", i), "v", 0).Err()
			} else {
				err = cl.Get(ctx, "k").Err()
			}
			took := time.Since(start)
			switch {
			case err == nil:
				errs <- fmt.Sprintf("command %d succeeded without a quorum", i)
			case !strings.HasPrefix(err.Error(), "TRYAGAIN") && !(i%2 == 0 && strings.HasPrefix(err.Error(), "UNCERTAIN")):
				errs <- fmt.Sprintf("command %d: unexpected error %v", i, err)
			case took > 4*time.Second:
				errs <- fmt.Sprintf("command %d took %v", i, took)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	_ = context.Background
}

// TestClusterFollowerMatchesLeader: scripted sessions — transactions and
// their error paths, SELECT inside MULTI, RESET, arity and type errors —
// give the same replies on a follower as on the leader, in RESP2 and RESP3.
func TestClusterFollowerMatchesLeader(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	script := [][]any{
		{"SET", "s", "1"},
		{"MULTI"}, {"INCR", "s"}, {"NOSUCH"}, {"EXEC"},
		{"MULTI"}, {"INCR", "s"}, {"GET"}, {"EXEC"},
		{"EXEC"}, {"DISCARD"},
		{"WATCH", "s"}, {"MULTI"}, {"INCR", "s"}, {"SELECT", "2"}, {"SET", "in2", "x"}, {"EXEC"},
		{"GET", "in2"}, {"SELECT", "0"}, {"GET", "s"},
		{"MULTI"}, {"LPUSH", "s", "x"}, {"INCR", "s"}, {"EXEC"},
		{"MULTI"}, {"MULTI"}, {"DISCARD"}, {"GET", "s"},
		{"WATCH", "s"}, {"UNWATCH"}, {"MULTI"}, {"SET", "s", "10"}, {"DISCARD"}, {"GET", "s"},
		{"MULTI"}, {"SET", "s", "11"}, {"RESET"}, {"GET", "s"},
		{"WATCH"}, {"SELECT", "99"}, {"BLPOP", "nolist", "0.05"},
		{"MULTI"}, {"BLPOP", "nolist", "0"}, {"EXEC"},
	}
	run := func(n *node, proto int) []string {
		if err := c.leader().client().FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		cl := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: proto})
		defer cl.Close()
		conn := cl.Conn()
		defer conn.Close()
		var out []string
		for _, cmd := range script {
			v, err := conn.Do(ctx, cmd...).Result()
			out = append(out, fmt.Sprintf("%v => %v / %v", cmd, v, err))
		}
		return out
	}
	for _, proto := range []int{2, 3} {
		want := run(c.leader(), proto)
		got := run(c.followers()[0], proto)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("RESP%d step %d: follower %s, leader %s", proto, i, got[i], want[i])
			}
		}
	}
}

// TestClusterBlockedClientLeavesFollower: a client blocked through a
// follower that disconnects is cleaned up on the leader too, so a later push
// is not consumed by a ghost — also when the client was inside WATCH.
func TestClusterBlockedClientLeavesFollower(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	f := c.followers()[0]
	f.raw(t, "*3\r\n$5\r\nBLPOP\r\n$2\r\nq1\r\n$1\r\n0\r\n", 300*time.Millisecond)
	f.raw(t, "*2\r\n$5\r\nWATCH\r\n$1\r\nw\r\n*3\r\n$5\r\nBLPOP\r\n$2\r\nq2\r\n$1\r\n0\r\n", 300*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	for _, q := range []string{"q1", "q2"} {
		if err := c.leader().client().RPush(ctx, q, "x").Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, q := range []string{"q1", "q2"} {
		if n := c.leader().client().LLen(ctx, q).Val(); n != 1 {
			t.Errorf("%s holds %d elements after the blocked client left; a ghost waiter took it", q, n)
		}
	}
	if n, _ := c.leader().client().Do(ctx, "CLIENT", "LIST").Text(); strings.Contains(n, "flags=b") {
		t.Errorf("a client is still blocked on the leader:\n%s", n)
	}
}

// TestClusterFollowerSeesOwnWrites: commands a follower answers from its own
// copy of the replicated state (AUTH and ACL, FUNCTION LIST, SCRIPT EXISTS,
// INFO keyspace) show what the same client just wrote through it, though
// the leader committed those writes and this follower learns of them a
// heartbeat later.
func TestClusterFollowerSeesOwnWrites(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	f := c.followers()[0]
	for i := 0; i < 5; i++ {
		rc := redis.NewClient(&redis.Options{Addr: f.addr(), DB: 3, MaxRetries: -1})
		user, pass := fmt.Sprint("user", i), fmt.Sprint("pass", i)
		lib := fmt.Sprintf("#!lua name=lib%d\nredis.register_function('f%d', function() return %d end)", i, i, i)
		pipe := rc.Pipeline()
		pipe.Do(ctx, "ACL", "SETUSER", user, "on", ">"+pass, "+@all", "~*")
		auth := pipe.Do(ctx, "AUTH", user, pass)
		who := pipe.Do(ctx, "ACL", "WHOAMI")
		pipe.Do(ctx, "FUNCTION", "LOAD", lib)
		list := pipe.Do(ctx, "FUNCTION", "LIST", "LIBRARYNAME", fmt.Sprint("lib", i))
		sha := pipe.ScriptLoad(ctx, fmt.Sprintf("return %d", i))
		pipe.Set(ctx, fmt.Sprint("key", i), "v", 0)
		info := pipe.Info(ctx, "keyspace")
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("round %d on follower %s: %v", i, f.addr(), err)
		}
		if auth.Err() != nil || fmt.Sprint(who.Val()) != user {
			t.Fatalf("AUTH right after ACL SETUSER on a follower: %v, WHOAMI %v", auth.Err(), who.Val())
		}
		if l, _ := list.Slice(); len(l) != 1 {
			t.Fatalf("FUNCTION LIST right after FUNCTION LOAD on a follower = %v", list.Val())
		}
		exists, err := rc.ScriptExists(ctx, sha.Val()).Result()
		if err != nil || len(exists) != 1 || !exists[0] {
			t.Fatalf("SCRIPT EXISTS right after SCRIPT LOAD on a follower = %v, %v", exists, err)
		}
		if want := fmt.Sprintf("db3:keys=%d,", i+1); !strings.Contains(info.Val(), want) {
			t.Fatalf("INFO keyspace right after the SET on a follower lacks %q:\n%s", want, info.Val())
		}
		rc.Close()
	}
}

// TestClusterFollowerCountsRelayedBlocked: a client of a follower whose
// BLPOP the leader holds is a blocked client of the follower too (INFO
// blocked_clients), as tools waiting for a client to block expect.
func TestClusterFollowerCountsRelayedBlocked(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	f := c.followers()[0]
	fc := f.client()
	defer fc.Close()
	blocked := func() string {
		info, _ := fc.Info(ctx, "clients").Result()
		_, v, _ := strings.Cut(info, "blocked_clients:")
		v, _, _ = strings.Cut(v, "\r\n")
		return v
	}
	if b := blocked(); b != "0" {
		t.Fatalf("blocked_clients before any BLPOP = %q", b)
	}
	waiter := f.client2()
	defer waiter.Close()
	done := make(chan error, 1)
	go func() { done <- waiter.BLPop(ctx, 0, "relayed").Err() }()
	for deadline := time.Now().Add(5 * time.Second); blocked() != "1"; {
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients on the follower = %q while its client waits in BLPOP", blocked())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := fc.RPush(ctx, "relayed", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("BLPOP through the follower: %v", err)
	}
	if b := blocked(); b != "0" {
		t.Fatalf("blocked_clients after the BLPOP was served = %q", b)
	}
}

// TestClusterFollowerClientUnblock: CLIENT UNBLOCK on a follower reaches a
// client of it whose BLPOP the leader holds, with TIMEOUT's and ERROR's
// answers, as on Redis.
func TestClusterFollowerClientUnblock(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxT(t)
	f := c.followers()[0]
	admin := f.client()
	defer admin.Close()
	for _, mode := range []string{"TIMEOUT", "ERROR"} {
		waiter := f.client2()
		id, err := waiter.ClientID(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- waiter.BLPop(ctx, 0, "never-"+mode).Err() }()
		for deadline := time.Now().Add(5 * time.Second); ; {
			list, _ := admin.Do(ctx, "CLIENT", "LIST", "ID", id).Text()
			if strings.Contains(list, "flags=b") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the client never showed as blocked: %q", list)
			}
			time.Sleep(20 * time.Millisecond)
		}
		n, err := admin.Do(ctx, "CLIENT", "UNBLOCK", id, mode).Int()
		if err != nil || n != 1 {
			t.Fatalf("CLIENT UNBLOCK %d %s on the follower = %d, %v; want 1", id, mode, n, err)
		}
		select {
		case err := <-done:
			switch {
			case mode == "TIMEOUT" && err != redis.Nil:
				t.Fatalf("BLPOP unblocked with TIMEOUT answered %v; want a null reply", err)
			case mode == "ERROR" && (err == nil || !strings.HasPrefix(err.Error(), "UNBLOCKED")):
				t.Fatalf("BLPOP unblocked with ERROR answered %v; want -UNBLOCKED", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("BLPOP still blocked after CLIENT UNBLOCK %s", mode)
		}
		waiter.Close()
	}
}
