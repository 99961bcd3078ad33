package test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestPubSub runs the pub/sub tests as subtests on one node.
func TestPubSub(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"FramesMatchRedis", testPubSubFramesMatchRedis},
		nodeTest{"GoRedisRESP3", func(t *testing.T, n *node) { testPubSubGoRedis(t, n, n.client()) }},
		nodeTest{"GoRedisRESP2", func(t *testing.T, n *node) { testPubSubGoRedis(t, n, n.client2()) }},
		nodeTest{"Ordering", testPubSubOrdering},
		nodeTest{"UnsubscribeCounts", testPubSubUnsubscribeCounts},
		nodeTest{"SubscribedModeRESP2", testPubSubSubscribedModeRESP2},
		nodeTest{"SubscribedModeRESP3", testPubSubSubscribedModeRESP3},
		nodeTest{"Introspection", testPubSubIntrospection},
		nodeTest{"DisconnectCleanup", testPubSubDisconnectCleanup},
		nodeTest{"NotPersisted", testPubSubNotPersisted},
	)
}

// psStep sends args on connection conn (0 subscriber, 1 publisher, 2 a second
// subscriber), then reads own replies from that connection and then other[i]
// frames from connection i.
type psStep struct {
	conn  int
	args  []string
	own   int
	other [3]int
}

func psRun(t *testing.T, addr string, proto int, steps []psStep) []string {
	t.Helper()
	conns := []*respConn{dialRESP(t, addr, proto), dialRESP(t, addr, proto), dialRESP(t, addr, proto)}
	var out []string
	for _, st := range steps {
		c := conns[st.conn]
		c.send(st.args...)
		var b strings.Builder
		fmt.Fprintf(&b, "%d %s ->", st.conn, quoteArgs(st.args))
		for i := 0; i < st.own; i++ {
			r, err := c.read(5 * time.Second)
			if err != nil {
				t.Fatalf("%s: reply %d: %v (got %q)", quoteArgs(st.args), i, err, r)
			}
			b.WriteString(" " + strconv.Quote(r))
		}
		for ci, n := range st.other {
			for i := 0; i < n; i++ {
				r, err := conns[ci].read(5 * time.Second)
				if err != nil {
					t.Fatalf("%s: frame %d on conn %d: %v (got %q)", quoteArgs(st.args), i, ci, err, r)
				}
				fmt.Fprintf(&b, " [%d]%q", ci, r)
			}
		}
		out = append(out, b.String())
	}
	// Nothing more may arrive on any connection.
	for ci, c := range conns {
		if r, err := c.read(100 * time.Millisecond); err == nil || r != "" {
			out = append(out, fmt.Sprintf("unexpected on conn %d: %q", ci, r))
		}
	}
	return out
}

// testPubSubFramesMatchRedis compares every reply and pushed frame, byte for
// byte, with redis-server in RESP2 and RESP3.
func testPubSubFramesMatchRedis(t *testing.T, n *node) {
	ref := startRedis(t)
	s := func(conn int, own int, other [3]int, args ...string) psStep {
		return psStep{conn: conn, args: args, own: own, other: other}
	}
	none := [3]int{}
	steps := []psStep{
		s(0, 1, none, "UNSUBSCRIBE"),
		s(0, 1, none, "PUNSUBSCRIBE"),
		s(0, 1, none, "UNSUBSCRIBE", "nope"),
		s(0, 2, none, "SUBSCRIBE", "news", "news"),
		s(0, 1, none, "PSUBSCRIBE", "n*"),
		s(2, 1, none, "PSUBSCRIBE", "n?ws", "x*"),
		s(1, 1, [3]int{2, 0, 1}, "PUBLISH", "news", "hello"),
		s(1, 1, [3]int{1, 0, 0}, "PUBLISH", "nothing", "hi"),
		s(1, 1, none, "PUBLISH", "other", "hi"),
		s(1, 1, [3]int{0, 0, 1}, "PUBLISH", "xyz", "bin\x00\r\nary"),
		s(1, 1, [3]int{1, 0, 1}, "PUBLISH", "news", ""),
		s(1, 1, none, "PUBSUB", "NUMPAT"),
		s(1, 1, none, "PUBSUB", "NUMSUB", "news", "n*", "zz"),
		s(1, 1, none, "PUBSUB", "NUMSUB"),
		s(1, 1, none, "PUBSUB", "CHANNELS"),
		s(1, 1, none, "PUBSUB", "CHANNELS", "n*"),
		s(1, 1, none, "PUBSUB", "CHANNELS", "z*"),
		s(1, 1, none, "PUBSUB", "SHARDCHANNELS"),
		s(1, 1, none, "PUBSUB", "SHARDNUMSUB", "news"),
		s(1, 1, none, "PUBSUB", "HELP"),
		s(1, 1, none, "PUBSUB", "nope"),
		s(1, 1, none, "PUBSUB", "NUMPAT", "x"),
		s(1, 1, none, "PUBSUB"),
		s(1, 1, none, "PUBLISH", "a"),
		s(1, 1, none, "SUBSCRIBE"),
		s(1, 1, none, "PSUBSCRIBE"),
		s(0, 1, none, "PING"),
		s(0, 1, none, "PING", "hey"),
		s(0, 1, none, "UNSUBSCRIBE", "news"),
		s(1, 1, [3]int{1, 0, 1}, "PUBLISH", "news", "after"),
		s(0, 1, none, "PUNSUBSCRIBE"),
		s(0, 1, none, "PING"),
		s(0, 1, none, "SUBSCRIBE", "a"),
		s(0, 1, none, "UNSUBSCRIBE"),
		s(2, 1, none, "PUNSUBSCRIBE", "x*"),
		s(2, 1, none, "PUNSUBSCRIBE", "n?ws"),
		s(2, 1, none, "PING"),
	}
	for _, proto := range []int{2, 3} {
		got := psRun(t, n.addr(), proto, steps)
		want := psRun(t, ref, proto, steps)
		if len(got) != len(want) {
			t.Errorf("RESP%d: %d steps, redis %d:\n%s\n--- redis:\n%s", proto, len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("RESP%d step %d\n   geomys: %s\n    redis: %s", proto, i, got[i], want[i])
			}
		}
	}

	// Subscribed-mode refusals and RESP3 freedom, against the reference too.
	mode := []psStep{
		s(0, 1, none, "SUBSCRIBE", "c"),
		s(0, 1, none, "SET", "k", "v"),
		s(0, 1, none, "GET", "k"),
		s(0, 1, none, "PUBLISH", "c", "m"),
		s(0, 1, none, "RESET"),
		s(0, 1, none, "PING"),
		s(1, 1, none, "PUBLISH", "c", "m"),
	}
	got, want := psRun(t, n.addr(), 2, mode), psRun(t, ref, 2, mode)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("RESP2 subscribed mode\n   geomys:\n%s\n    redis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	mode3 := []psStep{
		s(0, 1, none, "SUBSCRIBE", "c"),
		s(0, 1, none, "SET", "k", "v"),
		s(0, 1, none, "GET", "k"),
		s(0, 1, none, "PING"),
		s(1, 1, [3]int{1, 0, 0}, "PUBLISH", "c", "m"),
		s(0, 1, none, "DEL", "k"),
	}
	got, want = psRun(t, n.addr(), 3, mode3), psRun(t, ref, 3, mode3)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("RESP3 subscribed mode\n   geomys:\n%s\n    redis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func receive(t *testing.T, ps *redis.PubSub) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := ps.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return m
}

func testPubSubGoRedis(t *testing.T, n *node, sub *redis.Client) {
	ctx := ctxT(t)
	pub := n.client()
	ps := sub.Subscribe(ctx, "chan1")
	defer ps.Close()
	if m, ok := receive(t, ps).(*redis.Subscription); !ok || m.Kind != "subscribe" || m.Channel != "chan1" || m.Count != 1 {
		t.Fatalf("subscribe confirmation = %#v", m)
	}
	if err := ps.PSubscribe(ctx, "ch*"); err != nil {
		t.Fatal(err)
	}
	if m, ok := receive(t, ps).(*redis.Subscription); !ok || m.Kind != "psubscribe" || m.Channel != "ch*" || m.Count != 2 {
		t.Fatalf("psubscribe confirmation = %#v", m)
	}
	if got, err := pub.Publish(ctx, "chan1", "hello").Result(); err != nil || got != 2 {
		t.Fatalf("PUBLISH chan1 = %d, %v; want 2", got, err)
	}
	if m, ok := receive(t, ps).(*redis.Message); !ok || m.Channel != "chan1" || m.Payload != "hello" || m.Pattern != "" {
		t.Fatalf("message = %#v", m)
	}
	if m, ok := receive(t, ps).(*redis.Message); !ok || m.Channel != "chan1" || m.Payload != "hello" || m.Pattern != "ch*" {
		t.Fatalf("pmessage = %#v", m)
	}
	if got, err := pub.Publish(ctx, "chx", "p").Result(); err != nil || got != 1 {
		t.Fatalf("PUBLISH chx = %d, %v; want 1", got, err)
	}
	if m, ok := receive(t, ps).(*redis.Message); !ok || m.Channel != "chx" || m.Payload != "p" || m.Pattern != "ch*" {
		t.Fatalf("pmessage = %#v", m)
	}
	if got, err := pub.Publish(ctx, "zzz", "p").Result(); err != nil || got != 0 {
		t.Fatalf("PUBLISH zzz = %d, %v; want 0", got, err)
	}
	// The Channel() API of go-redis, with a health-check ping in between.
	if err := ps.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := receive(t, ps).(*redis.Pong); !ok {
		t.Fatal("no pong")
	}
	ch := ps.Channel()
	for i := 0; i < 10; i++ {
		if err := pub.Publish(ctx, "chan1", strconv.Itoa(i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		select {
		case m := <-ch:
			if want := strconv.Itoa(i / 2); m.Payload != want {
				t.Fatalf("message %d = %q, want %q", i, m.Payload, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d not received", i)
		}
	}
}

// testPubSubOrdering publishes 1000 messages from one connection (pipelined
// and one by one) and expects them in order at two subscribers.
func testPubSubOrdering(t *testing.T, n *node) {
	ctx := ctxT(t)
	pub := n.client()
	var subs []*redis.PubSub
	for _, c := range []*redis.Client{n.client(), n.client2()} {
		ps := c.Subscribe(ctx, "order")
		defer ps.Close()
		receive(t, ps)
		subs = append(subs, ps)
	}
	p := pub.Pipeline()
	for i := 0; i < 500; i++ {
		p.Publish(ctx, "order", strconv.Itoa(i))
	}
	cmds, err := p.Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cmds {
		if v := c.(*redis.IntCmd).Val(); v != 2 {
			t.Fatalf("pipelined PUBLISH %d = %d, want 2", i, v)
		}
	}
	for i := 500; i < 1000; i++ {
		if v, err := pub.Publish(ctx, "order", strconv.Itoa(i)).Result(); err != nil || v != 2 {
			t.Fatalf("PUBLISH %d = %d, %v", i, v, err)
		}
	}
	for si, ps := range subs {
		for i := 0; i < 1000; i++ {
			m, ok := receive(t, ps).(*redis.Message)
			if !ok || m.Payload != strconv.Itoa(i) {
				t.Fatalf("subscriber %d message %d = %#v", si, i, m)
			}
		}
	}
}

func testPubSubUnsubscribeCounts(t *testing.T, n *node) {
	for _, proto := range []int{2, 3} {
		c := dialRESP(t, n.addr(), proto)
		push := "*"
		null := "$-1\r\n"
		if proto == 3 {
			push, null = ">", "_\r\n"
		}
		frame := func(kind, name string, count int) string {
			if name == "" {
				return fmt.Sprintf("%s3\r\n$%d\r\n%s\r\n%s:%d\r\n", push, len(kind), kind, null, count)
			}
			return fmt.Sprintf("%s3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n:%d\r\n", push, len(kind), kind, len(name), name, count)
		}
		c.send("SUBSCRIBE", "a", "b", "c")
		c.send("PSUBSCRIBE", "p1", "p2")
		var want, got []string
		for i, ch := range []string{"a", "b", "c"} {
			want = append(want, frame("subscribe", ch, i+1))
		}
		want = append(want, frame("psubscribe", "p1", 4), frame("psubscribe", "p2", 5))
		for range want {
			got = append(got, c.mustRead(t))
		}
		c.send("UNSUBSCRIBE", "b", "zz")
		want = append(want, frame("unsubscribe", "b", 4), frame("unsubscribe", "zz", 4))
		got = append(got, c.mustRead(t), c.mustRead(t))
		c.send("UNSUBSCRIBE")
		want = append(want, frame("unsubscribe", "a", 3), frame("unsubscribe", "c", 2))
		got = append(got, c.mustRead(t), c.mustRead(t))
		c.send("PUNSUBSCRIBE")
		want = append(want, frame("punsubscribe", "p1", 1), frame("punsubscribe", "p2", 0))
		got = append(got, c.mustRead(t), c.mustRead(t))
		c.send("PUNSUBSCRIBE")
		want = append(want, frame("punsubscribe", "", 0))
		got = append(got, c.mustRead(t))
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("RESP%d:\n got %q\nwant %q", proto, got, want)
		}
		// Out of subscribed mode a RESP2 connection may run anything again.
		if r := c.do("SET", "k", "v"); r != "+OK\r\n" {
			t.Errorf("RESP%d SET after unsubscribing = %q", proto, r)
		}
	}
}

func (rc *respConn) mustRead(t *testing.T) string {
	t.Helper()
	r, err := rc.read(5 * time.Second)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, r)
	}
	return r
}

func testPubSubSubscribedModeRESP2(t *testing.T, n *node) {
	c := dialRESP(t, n.addr(), 2)
	c.do("SUBSCRIBE", "x")
	for _, cmd := range [][]string{{"GET", "k"}, {"SET", "k", "v"}, {"PUBLISH", "x", "m"}, {"PUBSUB", "NUMPAT"}, {"MULTI"}, {"SELECT", "1"}} {
		want := "-ERR Can't execute '" + strings.ToLower(cmd[0]) + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
		if got := c.do(cmd...); got != want {
			t.Errorf("%v while subscribed = %q, want %q", cmd, got, want)
		}
	}
	if got := c.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Errorf("PING while subscribed = %q", got)
	}
	if got := c.do("PING", "m"); got != "*2\r\n$4\r\npong\r\n$1\r\nm\r\n" {
		t.Errorf("PING m while subscribed = %q", got)
	}
	if got := c.do("RESET"); got != "+RESET\r\n" {
		t.Errorf("RESET = %q", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING after RESET = %q", got)
	}
	if got := c.do("PUBSUB", "NUMSUB", "x"); got != "*2\r\n$1\r\nx\r\n:0\r\n" {
		t.Errorf("NUMSUB after RESET = %q", got)
	}
	if got := c.do("QUIT"); got != "+OK\r\n" {
		t.Errorf("QUIT = %q", got)
	}
	// The error is also given to pipelined commands after SUBSCRIBE.
	r := n.raw(t, encodeCmd("SUBSCRIBE", "x")+encodeCmd("GET", "k")+encodeCmd("PING"), 500*time.Millisecond)
	want := "*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n" +
		"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
		"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
	if r != want {
		t.Errorf("pipelined:\n got %q\nwant %q", r, want)
	}
}

func testPubSubSubscribedModeRESP3(t *testing.T, n *node) {
	c := dialRESP(t, n.addr(), 3)
	c.do("SUBSCRIBE", "x")
	for _, x := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k", "v"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$1\r\nv\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"PUBSUB", "NUMSUB", "x"}, "*2\r\n$1\r\nx\r\n:1\r\n"},
	} {
		if got := c.do(x.args...); got != x.want {
			t.Errorf("RESP3 %v while subscribed = %q, want %q", x.args, got, x.want)
		}
	}
	// A subscriber publishing to itself gets the reply and the push, in some order.
	c.send("PUBLISH", "x", "self")
	a, b := c.mustRead(t), c.mustRead(t)
	push := ">3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$4\r\nself\r\n"
	if !(a == ":1\r\n" && b == push || a == push && b == ":1\r\n") {
		t.Errorf("self publish: %q %q", a, b)
	}
}

func testPubSubIntrospection(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	s1 := n.client().Subscribe(ctx, "a", "b")
	defer s1.Close()
	receive(t, s1)
	receive(t, s1)
	s2 := n.client2().Subscribe(ctx, "b")
	defer s2.Close()
	receive(t, s2)
	s3 := n.client().PSubscribe(ctx, "p*", "q*")
	defer s3.Close()
	receive(t, s3)
	receive(t, s3)
	s4 := n.client().PSubscribe(ctx, "p*")
	defer s4.Close()
	receive(t, s4)
	if got, err := c.PubSubChannels(ctx, "*").Result(); err != nil || strings.Join(got, ",") != "a,b" {
		t.Errorf("PUBSUB CHANNELS = %v, %v", got, err)
	}
	if got, err := c.PubSubNumSub(ctx, "a", "b", "c").Result(); err != nil || got["a"] != 1 || got["b"] != 2 || got["c"] != 0 {
		t.Errorf("PUBSUB NUMSUB = %v, %v", got, err)
	}
	if got, err := c.PubSubNumPat(ctx).Result(); err != nil || got != 2 {
		t.Errorf("PUBSUB NUMPAT = %v, %v", got, err)
	}
	info, err := c.Info(ctx, "stats").Result()
	if err != nil || !strings.Contains(info, "pubsub_channels:2\r\n") || !strings.Contains(info, "pubsub_patterns:2\r\n") {
		t.Errorf("INFO stats pubsub lines wrong (err %v):\n%s", err, info)
	}
	if got, err := c.Publish(ctx, "pz", "m").Result(); err != nil || got != 2 {
		t.Errorf("PUBLISH pz = %v, %v; want 2", got, err)
	}
}

func testPubSubDisconnectCleanup(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	for i := 0; i < 3; i++ {
		sc := dialRESP(t, n.addr(), 2+i%2)
		sc.send("SUBSCRIBE", "gone")
		sc.mustRead(t)
		sc.send("PSUBSCRIBE", "gone*")
		sc.mustRead(t)
		sc.c.Close()
	}
	// A subscriber that never reads while a lot is published to it.
	slow := dialRESP(t, n.addr(), 2)
	slow.send("SUBSCRIBE", "gone")
	slow.mustRead(t)
	big := strings.Repeat("x", 64<<10)
	for i := 0; i < 50; i++ {
		if err := c.Publish(ctx, "gone", big).Err(); err != nil {
			t.Fatal(err)
		}
	}
	slow.c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		subs, _ := c.PubSubNumSub(ctx, "gone").Result()
		pats, _ := c.PubSubNumPat(ctx).Result()
		if subs["gone"] == 0 && pats == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subscriptions left after disconnect: numsub %v numpat %d", subs, pats)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got, err := c.Publish(ctx, "gone", "m").Result(); err != nil || got != 0 {
		t.Errorf("PUBLISH after disconnects = %v, %v; want 0", got, err)
	}

	// A subscriber that never reads is disconnected once more than 32 MB is
	// waiting for it (client-output-buffer-limit pubsub); publishers never wait.
	stuck := dialRESP(t, n.addr(), 3)
	stuck.send("SUBSCRIBE", "flood")
	stuck.mustRead(t)
	big = strings.Repeat("y", 1<<20)
	start := time.Now()
	for i := 0; i < 48; i++ {
		if err := c.Publish(ctx, "flood", big).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("publishing to a stuck subscriber took %v", d)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		subs, _ := c.PubSubNumSub(ctx, "flood").Result()
		if subs["flood"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a subscriber 48 MB behind is still connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testPubSubNotPersisted: PUBLISH goes through the log but is not written to
// the AOF, so a restart replays no messages and the dataset is unchanged.
func testPubSubNotPersisted(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	for i := 0; i < 20; i++ {
		if err := c.Publish(ctx, "p", "m").Err(); err != nil {
			t.Fatal(err)
		}
	}
	dirty := func() string {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(l, "rdb_changes_since_last_save:") || strings.HasPrefix(l, "aof_current_size:") {
				out = append(out, l)
			}
		}
		if len(out) != 2 {
			t.Fatalf("INFO persistence lacks the dirty count or AOF size:\n%s", info)
		}
		return strings.Join(out, " ")
	}
	before := dirty()
	for i := 0; i < 20; i++ {
		if err := c.Publish(ctx, "p", "m").Err(); err != nil {
			t.Fatal(err)
		}
	}
	if after := dirty(); after != before {
		t.Errorf("PUBLISH changed %q to %q", before, after)
	}
}
