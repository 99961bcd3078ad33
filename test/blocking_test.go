package test

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The non-blocking paths (data already there, short timeouts, argument
// errors) compared with redis-server byte for byte.
const blockingScript = `
RPUSH k a b c
BLPOP k 0
BRPOP k 0
BLPOP nosuch k 1
EXISTS k
BLPOP k 0.01
BRPOP k 0.01
BLPOP k1 k2 k3 0.01
BLPOP k -1
BLPOP k abc
BLPOP k ""
BLPOP k
BRPOP k 1.5x
RPUSH k2 x
BLPOP k1 k2 k2 0
SET str v
BLPOP str 0
BLPOP nosuch str 0
BRPOP str 0.01
RPUSH src 1 2 3
BLMOVE src dst LEFT RIGHT 0
BLMOVE src dst RIGHT LEFT 0.5
LRANGE dst 0 -1
BLMOVE src dst UP LEFT 0
BLMOVE src dst LEFT RIGHT -1
BLMOVE src dst LEFT RIGHT x
BLMOVE src str LEFT RIGHT 0
BLMOVE str dst LEFT RIGHT 0
BLMOVE empty dst LEFT RIGHT 0.01
BLMOVE src dst LEFT RIGHT
BRPOPLPUSH src dst 0
BRPOPLPUSH src dst 0.01
EXISTS src
BRPOPLPUSH dst dst 0
LRANGE dst 0 -1
BRPOPLPUSH dst str 0
BRPOPLPUSH dst dst -5
RPUSH m 1 2 3 4
BLMPOP 0 2 nosuch m LEFT
BLMPOP 0 2 nosuch m RIGHT COUNT 2
BLMPOP 0 1 m LEFT COUNT 10
EXISTS m
BLMPOP 0.01 1 m LEFT
BLMPOP 0.01 2 m m2 RIGHT COUNT 3
BLMPOP 0 0 m LEFT
BLMPOP 0 1 m LEFT COUNT 0
BLMPOP 0 1 m SIDEWAYS
BLMPOP -1 1 m LEFT
BLMPOP 0 2 m LEFT
BLMPOP 0 1 str LEFT
BLMPOP 0 1
`

// TestBlocking runs the blocking tests as subtests on one node (FLUSHALL between them).
func TestBlocking(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testBlockingCommandsMatchRedis},
		nodeTest{"WokenByPush", testBlockingWokenByPush},
		nodeTest{"Timeout", testBlockingTimeout},
		nodeTest{"TimeoutZeroWaits", testBlockingTimeoutZeroWaits},
		nodeTest{"TwoClientsOneKey", testBlockingTwoClientsOneKey},
		nodeTest{"InPipeline", testBlockingInPipeline},
		nodeTest{"ChainedMove", testBlockingChainedMove},
		nodeTest{"WrongTypeDestination", testBlockingWrongTypeDestination},
	)
}

// testBlockingWrongTypeDestination: a client blocked in BRPOPLPUSH/BLMOVE
// whose destination holds another type when an element arrives is answered
// WRONGTYPE (not left blocked), and the element stays for the next waiter.
func testBlockingWrongTypeDestination(t *testing.T, n *node) {
	for _, cmd := range [][]string{{"BRPOPLPUSH", "src", "dst", "0"}, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"}} {
		admin := dialRESP(t, n.addr(), 2)
		admin.do("DEL", "src", "dst", "dst2")
		first := dialRESP(t, n.addr(), 2)
		first.send(cmd...)
		waitBlocked(t, n.client(), 1)
		admin.do("SET", "dst", "a string")
		second := dialRESP(t, n.addr(), 2)
		second.send("BRPOPLPUSH", "src", "dst2", "0")
		waitBlocked(t, n.client(), 2)
		admin.do("RPUSH", "src", "x")
		if got, err := first.read(3 * time.Second); err != nil || got != "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" {
			t.Errorf("%s with a string destination: %q, %v", cmd[0], got, err)
		}
		if got, err := second.read(3 * time.Second); err != nil || got != "$1\r\nx\r\n" {
			t.Errorf("the next waiter after %s's WRONGTYPE got %q, %v", cmd[0], got, err)
		}
	}
}

func testBlockingCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, blockingScript)
}

var blockedRe = regexp.MustCompile(`blocked_clients:(\d+)`)

// blockedClients reads blocked_clients from INFO clients.
func blockedClients(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(ctxT(t), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := blockedRe.FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("INFO clients has no blocked_clients:\n%s", info)
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

// waitBlocked waits until INFO reports want blocked clients.
func waitBlocked(t *testing.T, c *redis.Client, want int) {
	t.Helper()
	if got := pollBlocked(t, c, want); got != want {
		t.Fatalf("blocked_clients = %d after 3s, want %d", got, want)
	}
}

// pollBlocked waits up to 3s for want blocked clients and returns the last count.
func pollBlocked(t *testing.T, c *redis.Client, want int) int {
	t.Helper()
	return pollBlockedFor(t, c, want, 3*time.Second)
}

func pollBlockedFor(t *testing.T, c *redis.Client, want int, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := blockedClients(t, c)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type rawReply struct {
	s   string
	err error
	at  time.Time
}

// readAsync reads the next reply of rc in the background.
func readAsync(rc *respConn, wait time.Duration) <-chan rawReply {
	ch := make(chan rawReply, 1)
	go func() {
		s, err := rc.read(wait)
		ch <- rawReply{s, err, time.Now()}
	}()
	return ch
}

func expectReply(t *testing.T, what string, ch <-chan rawReply, want string) {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil || r.s != want {
			t.Errorf("%s: got %q (err %v), want %q", what, r.s, r.err, want)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%s: no reply within 5s, want %q", what, want)
	}
}

func expectNoReply(t *testing.T, what string, ch <-chan rawReply, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s: still should be blocked but got %q (err %v)", what, r.s, r.err)
	case <-time.After(d):
	}
}

func testBlockingWokenByPush(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	for _, proto := range []int{2, 3} {
		p := strconv.Itoa(proto)
		for _, tc := range []struct {
			name  string
			cmd   []string
			push  []string
			want2 string // RESP2 reply
			want3 string // RESP3 reply
			after func()
		}{
			{"BLPOP", []string{"BLPOP", "nosuch", "q", "0"}, []string{"RPUSH", "q", "hello", "world"},
				"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n", "*2\r\n$1\r\nq\r\n$5\r\nhello\r\n",
				func() {
					if v := admin.LRange(ctx, "q", 0, -1).Val(); strings.Join(v, ",") != "world" {
						t.Errorf("BLPOP: left %v, want [world]", v)
					}
				}},
			{"BRPOP", []string{"BRPOP", "q", "5"}, []string{"RPUSH", "q", "a", "b"},
				"*2\r\n$1\r\nq\r\n$1\r\nb\r\n", "*2\r\n$1\r\nq\r\n$1\r\nb\r\n",
				func() {
					if v := admin.LRange(ctx, "q", 0, -1).Val(); strings.Join(v, ",") != "a" {
						t.Errorf("BRPOP: left %v, want [a]", v)
					}
				}},
			{"BLMOVE", []string{"BLMOVE", "q", "dst", "LEFT", "RIGHT", "0"}, []string{"LPUSH", "q", "x"},
				"$1\r\nx\r\n", "$1\r\nx\r\n",
				func() {
					if admin.Exists(ctx, "q").Val() != 0 || strings.Join(admin.LRange(ctx, "dst", 0, -1).Val(), ",") != "x" {
						t.Errorf("BLMOVE: q exists=%d dst=%v", admin.Exists(ctx, "q").Val(), admin.LRange(ctx, "dst", 0, -1).Val())
					}
				}},
			{"BRPOPLPUSH", []string{"BRPOPLPUSH", "q", "dst", "0"}, []string{"RPUSH", "q", "y", "z"},
				"$1\r\nz\r\n", "$1\r\nz\r\n",
				func() {
					if v := admin.LRange(ctx, "dst", 0, -1).Val(); strings.Join(v, ",") != "z" {
						t.Errorf("BRPOPLPUSH: dst = %v", v)
					}
				}},
			{"BLMPOP", []string{"BLMPOP", "0", "2", "q", "q2", "LEFT", "COUNT", "2"}, []string{"RPUSH", "q2", "1", "2", "3"},
				"*2\r\n$2\r\nq2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n", "*2\r\n$2\r\nq2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n",
				func() {
					if v := admin.LRange(ctx, "q2", 0, -1).Val(); strings.Join(v, ",") != "3" {
						t.Errorf("BLMPOP: q2 = %v", v)
					}
				}},
			{"BLPOP empty list pushed by LMOVE", []string{"BLPOP", "q", "0"}, []string{"LMOVE", "feed", "q", "LEFT", "LEFT"},
				"*2\r\n$1\r\nq\r\n$4\r\nfood\r\n", "*2\r\n$1\r\nq\r\n$4\r\nfood\r\n", nil},
		} {
			admin.FlushAll(ctx)
			admin.RPush(ctx, "feed", "food")
			rc := dialRESP(t, n.addr(), proto)
			rc.send(tc.cmd...)
			ch := readAsync(rc, 10*time.Second)
			waitBlocked(t, admin, 1)
			expectNoReply(t, tc.name, ch, 100*time.Millisecond)
			pusher := dialRESP(t, n.addr(), 2)
			pusher.do(tc.push...)
			want := tc.want2
			if proto == 3 {
				want = tc.want3
			}
			expectReply(t, "RESP"+p+" "+tc.name, ch, want)
			waitBlocked(t, admin, 0)
			if tc.after != nil {
				tc.after()
			}
			// The connection works normally afterwards.
			if got := rc.do("PING"); got != "+PONG\r\n" {
				t.Errorf("%s: PING after unblocking = %q", tc.name, got)
			}
		}
	}
}

func testBlockingTimeout(t *testing.T, n *node) {
	admin := n.client()
	var wg sync.WaitGroup
	for _, tc := range []struct {
		cmd          []string
		want2, want3 string
	}{
		{[]string{"BLPOP", "q", "0.3"}, "*-1\r\n", "_\r\n"},
		{[]string{"BRPOP", "q", "q2", "0.3"}, "*-1\r\n", "_\r\n"},
		// Redis answers a timed-out BLMOVE/BRPOPLPUSH with a null array too.
		{[]string{"BLMOVE", "q", "d", "LEFT", "LEFT", "0.3"}, "*-1\r\n", "_\r\n"},
		{[]string{"BRPOPLPUSH", "q", "d", "0.3"}, "*-1\r\n", "_\r\n"},
		{[]string{"BLMPOP", "0.3", "1", "q", "LEFT"}, "*-1\r\n", "_\r\n"},
	} {
		for _, proto := range []int{2, 3} {
			// All cases run at once, each on its own connection.
			rc := dialRESP(t, n.addr(), proto)
			start := time.Now()
			rc.send(tc.cmd...)
			want := tc.want2
			if proto == 3 {
				want = tc.want3
			}
			wg.Add(1)
			go func(cmd []string, proto int, want string) {
				defer wg.Done()
				got, err := rc.read(5 * time.Second)
				el := time.Since(start)
				if err != nil || got != want {
					t.Errorf("RESP%d %s: %q (err %v), want %q", proto, quoteArgs(cmd), got, err, want)
				}
				if el < 280*time.Millisecond || el > 1500*time.Millisecond {
					t.Errorf("RESP%d %s returned after %v, want about 0.3s", proto, quoteArgs(cmd), el)
				}
			}(tc.cmd, proto, want)
		}
	}
	wg.Wait()
	waitBlocked(t, admin, 0)
	// Integer timeouts are seconds.
	rc := dialRESP(t, n.addr(), 2)
	start := time.Now()
	rc.send("BLPOP", "q", "1")
	if got, err := rc.read(5 * time.Second); got != "*-1\r\n" || err != nil {
		t.Errorf("BLPOP q 1 = %q %v", got, err)
	}
	if el := time.Since(start); el < 950*time.Millisecond || el > 2500*time.Millisecond {
		t.Errorf("BLPOP q 1 returned after %v", el)
	}
	// go-redis sees the timeout as a nil reply.
	ctx := ctxT(t)
	if _, err := admin.BLPop(ctx, time.Second, "q").Result(); err != redis.Nil {
		t.Errorf("go-redis BLPOP timeout: %v, want redis.Nil", err)
	}
	if admin.Exists(ctx, "q", "q2", "d").Val() != 0 {
		t.Error("a timed-out blocking command created a key")
	}
}

func testBlockingTimeoutZeroWaits(t *testing.T, n *node) {
	admin := n.client()
	rc := dialRESP(t, n.addr(), 3)
	rc.send("BLPOP", "q", "0")
	ch := readAsync(rc, 20*time.Second)
	waitBlocked(t, admin, 1)
	expectNoReply(t, "BLPOP q 0", ch, 1500*time.Millisecond)
	if blockedClients(t, admin) != 1 {
		t.Fatal("client no longer blocked after 1.5s")
	}
	admin.RPush(ctxT(t), "q", "late")
	expectReply(t, "BLPOP q 0 after 1.5s", ch, "*2\r\n$1\r\nq\r\n$4\r\nlate\r\n")
}

func testBlockingTwoClientsOneKey(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	// One push with two elements: the client that blocked first gets the first.
	c1, c2 := dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 3)
	c1.send("BLPOP", "q", "0")
	ch1 := readAsync(c1, 10*time.Second)
	waitBlocked(t, admin, 1)
	c2.send("BLPOP", "q", "0")
	ch2 := readAsync(c2, 10*time.Second)
	waitBlocked(t, admin, 2)
	admin.RPush(ctx, "q", "first", "second")
	// Redis serves the client that blocked first first (FIFO).
	expectReply(t, "client that blocked first (FIFO)", ch1, "*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n")
	expectReply(t, "client that blocked second (FIFO)", ch2, "*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n")
	if admin.Exists(ctx, "q").Val() != 0 {
		t.Errorf("list not consumed: %v", admin.LRange(ctx, "q", 0, -1).Val())
	}
	waitBlocked(t, admin, 0)

	// Two separate pushes, one element each: each client gets exactly one.
	c3, c4 := dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 2)
	c3.send("BRPOP", "q", "0")
	ch3 := readAsync(c3, 10*time.Second)
	waitBlocked(t, admin, 1)
	c4.send("BRPOP", "q", "0")
	ch4 := readAsync(c4, 10*time.Second)
	waitBlocked(t, admin, 2)
	admin.RPush(ctx, "q", "one")
	rest := ch4
	select {
	case r := <-ch3:
		if r.s != "*2\r\n$1\r\nq\r\n$3\r\none\r\n" {
			t.Errorf("first BRPOP = %q (err %v)", r.s, r.err)
		}
	case r := <-ch4:
		t.Errorf("the client that blocked second was served first (%q): Redis serves blocked clients FIFO", r.s)
		rest = ch3
	case <-time.After(5 * time.Second):
		t.Fatal("nobody served by the first push")
	}
	expectNoReply(t, "other BRPOP before the second push", rest, 200*time.Millisecond)
	admin.RPush(ctx, "q", "two")
	expectReply(t, "other BRPOP after the second push", rest, "*2\r\n$1\r\nq\r\n$3\r\ntwo\r\n")
	waitBlocked(t, admin, 0)

	// Many clients, many pushes: every element delivered exactly once, and
	// (as in Redis) in the order the clients blocked.
	const clients = 10
	chs := make([]<-chan rawReply, clients)
	for i := range chs {
		rc := dialRESP(t, n.addr(), 2)
		rc.send("BLPOP", "many", "0")
		chs[i] = readAsync(rc, 10*time.Second)
		waitBlocked(t, admin, i+1)
	}
	for i := 0; i < clients; i++ {
		admin.RPush(ctx, "many", "e"+strconv.Itoa(i))
	}
	got := map[string]bool{}
	var order []string
	for i, ch := range chs {
		select {
		case r := <-ch:
			if got[r.s] || !strings.HasPrefix(r.s, "*2\r\n$4\r\nmany\r\n$2\r\ne") {
				t.Errorf("client %d: %q (duplicate or malformed)", i, r.s)
			}
			got[r.s] = true
			order = append(order, strings.TrimSuffix(r.s[len(r.s)-4:], "\r\n"))
		case <-time.After(5 * time.Second):
			t.Fatalf("client %d never served", i)
		}
	}
	if want := "e0 e1 e2 e3 e4 e5 e6 e7 e8 e9"; strings.Join(order, " ") != want {
		t.Errorf("clients in blocking order received %s, want %s (FIFO)", strings.Join(order, " "), want)
	}
	if l := admin.LLen(ctx, "many").Val(); l != 0 {
		t.Errorf("%d elements left over", l)
	}
}

func TestBlockingDisconnectedClientIsCleanedUp(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	admin := n.client()
	for _, cmd := range [][]string{
		{"BLPOP", "q", "0"},
		{"BRPOP", "q", "other", "0"},
		{"BLMOVE", "q", "dst", "LEFT", "LEFT", "0"},
		{"BRPOPLPUSH", "q", "dst", "0"},
		{"BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"},
	} {
		base := blockedClients(t, admin)
		rc := dialRESP(t, n.addr(), 2)
		rc.send(cmd...)
		waitBlocked(t, admin, base+1)
		rc.c.Close()
		// redis-server notices the closed socket at once.
		if got := pollBlockedFor(t, admin, base, 1500*time.Millisecond); got != base {
			t.Errorf("%s: client closed while blocked: blocked_clients stays %d, want %d", quoteArgs(cmd), got, base)
		}
		if err := admin.RPush(ctx, "q", "kept").Err(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if l := admin.LLen(ctx, "q").Val(); l != 1 {
			t.Errorf("%s: after the blocked client went away, a push left LLEN %d, want 1", quoteArgs(cmd), l)
		}
		if admin.Exists(ctx, "dst").Val() != 0 {
			t.Errorf("%s: a dead client's BLMOVE moved an element", quoteArgs(cmd))
		}
		admin.FlushAll(ctx)
	}
	// A blocked client killed with CLIENT KILL is cleaned up as well.
	admin.FlushAll(ctx)
	rc := dialRESP(t, n.addr(), 2)
	id := strings.TrimSpace(strings.TrimPrefix(rc.do("CLIENT", "ID"), ":"))
	before := blockedClients(t, admin)
	rc.send("BLPOP", "q", "0")
	ch := readAsync(rc, 5*time.Second)
	waitBlocked(t, admin, before+1)
	if err := admin.Do(ctx, "client", "kill", "id", id).Err(); err != nil {
		t.Fatalf("CLIENT KILL ID %s: %v", id, err)
	}
	select {
	case r := <-ch:
		if r.err == nil {
			t.Errorf("killed blocked client got a reply %q instead of a closed connection", r.s)
		}
	case <-time.After(5 * time.Second):
		t.Error("CLIENT KILL did not close the blocked connection")
	}
	if got := pollBlockedFor(t, admin, 0, 1500*time.Millisecond); got != 0 {
		t.Errorf("after CLIENT KILL of the blocked client blocked_clients = %d, want 0", got)
	}
	admin.RPush(ctx, "q", "kept")
	if l := admin.LLen(ctx, "q").Val(); l != 1 {
		t.Errorf("after CLIENT KILL of the blocked client, LLEN %d, want 1", l)
	}
}

func testBlockingInPipeline(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	// Commands before BLPOP are answered at once, those after it wait for it.
	rc := dialRESP(t, n.addr(), 2)
	_, err := rc.c.Write([]byte(encodeCmd("SET", "a", "1") + encodeCmd("INCR", "a") +
		encodeCmd("BLPOP", "q", "0") + encodeCmd("GET", "a") + encodeCmd("PING")))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := rc.read(3 * time.Second); r != "+OK\r\n" || err != nil {
		t.Fatalf("SET in pipeline = %q %v", r, err)
	}
	if r, err := rc.read(3 * time.Second); r != ":2\r\n" || err != nil {
		t.Fatalf("INCR in pipeline = %q %v", r, err)
	}
	ch := readAsync(rc, 10*time.Second)
	waitBlocked(t, admin, 1)
	expectNoReply(t, "pipeline after BLPOP", ch, 300*time.Millisecond)
	admin.RPush(ctx, "q", "v")
	expectReply(t, "BLPOP in pipeline", ch, "*2\r\n$1\r\nq\r\n$1\r\nv\r\n")
	if r, err := rc.read(3 * time.Second); r != "$1\r\n2\r\n" || err != nil {
		t.Errorf("GET after BLPOP in pipeline = %q %v", r, err)
	}
	if r, err := rc.read(3 * time.Second); r != "+PONG\r\n" || err != nil {
		t.Errorf("PING after BLPOP in pipeline = %q %v", r, err)
	}

	// The whole thing in one write with a timeout: replies in order.
	raw := n.raw(t, encodeCmd("RPUSH", "p", "x")+encodeCmd("BLPOP", "p", "0")+encodeCmd("BLPOP", "p", "0.2")+
		encodeCmd("LLEN", "p")+encodeCmd("PING"), 1500*time.Millisecond)
	if want := ":1\r\n*2\r\n$1\r\np\r\n$1\r\nx\r\n*-1\r\n:0\r\n+PONG\r\n"; raw != want {
		t.Errorf("pipeline RPUSH BLPOP BLPOP(timeout) LLEN PING = %q, want %q", raw, want)
	}

	// go-redis pipeline.
	pipe := admin.Pipeline()
	pipe.RPush(ctx, "g", "1", "2")
	blp := pipe.BLPop(ctx, time.Second, "g")
	brp := pipe.BRPop(ctx, time.Second, "g")
	ll := pipe.LLen(ctx, "g")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Join(blp.Val(), ",") != "g,1" || strings.Join(brp.Val(), ",") != "g,2" || ll.Val() != 0 {
		t.Errorf("go-redis pipeline: BLPOP %v BRPOP %v LLEN %d", blp.Val(), brp.Val(), ll.Val())
	}
}

// testBlockingChainedMove: a BLMOVE served by a push feeds a client blocked
// on its destination.
func testBlockingChainedMove(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	c1 := dialRESP(t, n.addr(), 2)
	c1.send("BLPOP", "dst", "0")
	ch1 := readAsync(c1, 10*time.Second)
	waitBlocked(t, admin, 1)
	c2 := dialRESP(t, n.addr(), 2)
	c2.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
	ch2 := readAsync(c2, 10*time.Second)
	waitBlocked(t, admin, 2)
	admin.RPush(ctx, "src", "item")
	expectReply(t, "BLMOVE src dst", ch2, "$4\r\nitem\r\n")
	expectReply(t, "BLPOP dst fed by BLMOVE", ch1, "*2\r\n$3\r\ndst\r\n$4\r\nitem\r\n")
	if admin.Exists(ctx, "src", "dst").Val() != 0 {
		t.Errorf("src/dst still exist: %v %v", admin.LRange(ctx, "src", 0, -1).Val(), admin.LRange(ctx, "dst", 0, -1).Val())
	}
	waitBlocked(t, admin, 0)
}

// TestBlockingPopIsDurable: an element handed to a blocked client stays
// popped after a restart (the pop went through the log like any write).
func TestBlockingPopIsDurable(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	admin := n.client()
	rc := dialRESP(t, n.addr(), 2)
	rc.send("BLMOVE", "q", "taken", "LEFT", "RIGHT", "0")
	ch := readAsync(rc, 10*time.Second)
	waitBlocked(t, admin, 1)
	admin.RPush(ctx, "q", "a", "b")
	expectReply(t, "BLMOVE", ch, "$1\r\na\r\n")
	n.stop()
	n.restart()
	c := n.client()
	if v := c.LRange(ctx, "q", 0, -1).Val(); strings.Join(v, ",") != "b" {
		t.Errorf("after restart q = %v, want [b]", v)
	}
	if v := c.LRange(ctx, "taken", 0, -1).Val(); strings.Join(v, ",") != "a" {
		t.Errorf("after restart taken = %v, want [a]", v)
	}
}
