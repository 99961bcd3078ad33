package test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStreamBlocking(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"XReadWokenByXAdd", testXReadWokenByXAdd},
		nodeTest{"XReadDollarIsFixedWhenBlocking", testXReadDollar},
		nodeTest{"XReadTimeout", testXReadTimeout},
		nodeTest{"XReadGroupBlock", testXReadGroupBlock},
		nodeTest{"WaitersServedInArrivalOrder", testXReadGroupArrivalOrder},
		nodeTest{"IdAutoGeneration", testXAddStarIDs},
	)
}

func testXReadWokenByXAdd(t *testing.T, n *node) {
	for _, proto := range []int{2, 3} {
		a, b := dialRESP(t, n.addr(), proto), dialRESP(t, n.addr(), proto)
		key := "s" + strconv.Itoa(proto)
		a.send("XREAD", "BLOCK", "0", "STREAMS", "other", key, "0", "0")
		ch := readAsync(a, 10*time.Second)
		waitBlocked(t, n.client(), 1)
		expectNoReply(t, "XREAD before XADD", ch, 200*time.Millisecond)
		if got := b.do("XADD", key, "5-1", "f", "v"); got != "$3\r\n5-1\r\n" {
			t.Fatalf("XADD = %q", got)
		}
		want := "*1\r\n*2\r\n$2\r\n" + key + "\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
		if proto == 3 {
			want = "%1\r\n$2\r\n" + key + "\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
		}
		expectReply(t, "XREAD woken", ch, want)
	}
	// Several readers of one stream are all served by one entry.
	var chans []<-chan rawReply
	for i := 0; i < 3; i++ {
		rc := dialRESP(t, n.addr(), 2)
		rc.send("XREAD", "BLOCK", "5000", "STREAMS", "multi", "$")
		chans = append(chans, readAsync(rc, 10*time.Second))
		waitBlocked(t, n.client(), i+1)
	}
	dialRESP(t, n.addr(), 2).do("XADD", "multi", "1-1", "k", "v")
	for i, ch := range chans {
		expectReply(t, "reader "+strconv.Itoa(i), ch, "*1\r\n*2\r\n$5\r\nmulti\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n")
	}
}

func testXReadDollar(t *testing.T, n *node) {
	a, b := dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 2)
	b.do("XADD", "s", "1-1", "old", "1")
	a.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	ch := readAsync(a, 10*time.Second)
	waitBlocked(t, n.client(), 1)
	// A write to the stream that adds nothing after $ (XDEL of the old
	// entry) wakes the reader, which must keep waiting for entries after 1-1.
	b.do("XDEL", "s", "1-1")
	b.do("XADD", "other", "1-1", "x", "y")
	expectNoReply(t, "XREAD $ after XDEL", ch, 300*time.Millisecond)
	b.do("XADD", "s", "2-1", "new", "2")
	expectReply(t, "XREAD $", ch, "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$3\r\nnew\r\n$1\r\n2\r\n")
}

func testXReadTimeout(t *testing.T, n *node) {
	for _, proto := range []int{2, 3} {
		a := dialRESP(t, n.addr(), proto)
		start := time.Now()
		got := a.do("XREAD", "BLOCK", "150", "STREAMS", "nosuch", "$")
		el := time.Since(start)
		want := "*-1\r\n"
		if proto == 3 {
			want = "_\r\n"
		}
		if got != want || el < 140*time.Millisecond || el > 3*time.Second {
			t.Fatalf("RESP%d XREAD BLOCK 150 = %q after %v", proto, got, el)
		}
		got = a.do("XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "nosuch", ">")
		if !strings.HasPrefix(got, "-NOGROUP") {
			t.Fatalf("XREADGROUP BLOCK on a missing group = %q", got)
		}
	}
}

func testXReadGroupBlock(t *testing.T, n *node) {
	a, b := dialRESP(t, n.addr(), 2), dialRESP(t, n.addr(), 2)
	b.do("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
	a.send("XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "q", ">")
	ch := readAsync(a, 10*time.Second)
	waitBlocked(t, n.client(), 1)
	b.do("XADD", "q", "7-1", "job", "1")
	expectReply(t, "XREADGROUP >", ch, "*1\r\n*2\r\n$1\r\nq\r\n*1\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$3\r\njob\r\n$1\r\n1\r\n")
	if got := b.do("XPENDING", "q", "g"); got != "*4\r\n:1\r\n$3\r\n7-1\r\n$3\r\n7-1\r\n*1\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n" {
		t.Fatalf("XPENDING after the blocked read = %q", got)
	}
}

func testXReadGroupArrivalOrder(t *testing.T, n *node) {
	b := dialRESP(t, n.addr(), 2)
	b.do("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
	var chans []<-chan rawReply
	for i := 1; i <= 3; i++ {
		rc := dialRESP(t, n.addr(), 2)
		rc.send("XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(i), "BLOCK", "0", "STREAMS", "q", ">")
		chans = append(chans, readAsync(rc, 15*time.Second))
		waitBlocked(t, n.client(), i)
	}
	for i := 1; i <= 3; i++ {
		id := strconv.Itoa(i) + "-1"
		b.do("XADD", "q", id, "n", strconv.Itoa(i))
		expectReply(t, "waiter "+strconv.Itoa(i), chans[i-1],
			"*1\r\n*2\r\n$1\r\nq\r\n*1\r\n*2\r\n$3\r\n"+id+"\r\n*2\r\n$1\r\nn\r\n$1\r\n"+strconv.Itoa(i)+"\r\n")
	}
	got := b.do("XPENDING", "q", "g")
	if got != "*4\r\n:3\r\n$3\r\n1-1\r\n$3\r\n3-1\r\n*3\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n*2\r\n$2\r\nc3\r\n$1\r\n1\r\n" {
		t.Fatalf("XPENDING = %q", got)
	}
}

// testXAddStarIDs checks '*' ids: monotonic, the ms part the clock's, the
// sequence counting up within a millisecond and after a future last id.
func testXAddStarIDs(t *testing.T, n *node) {
	c := n.client()
	ctx := ctxT(t)
	var last [2]uint64
	for i := 0; i < 300; i++ {
		before := time.Now().UnixMilli()
		id := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", Values: []string{"i", strconv.Itoa(i)}}).Val()
		ms, seq, ok := strings.Cut(id, "-")
		if !ok {
			t.Fatalf("XADD * = %q", id)
		}
		m, _ := strconv.ParseUint(ms, 10, 64)
		s, _ := strconv.ParseUint(seq, 10, 64)
		if m < uint64(before)-1000 || m > uint64(time.Now().UnixMilli())+1000 {
			t.Fatalf("id %s is not near the clock (%d)", id, before)
		}
		if m < last[0] || m == last[0] && s <= last[1] || m > last[0] && s != 0 {
			t.Fatalf("id %s after %d-%d", id, last[0], last[1])
		}
		last = [2]uint64{m, s}
	}
	future := strconv.FormatInt(time.Now().UnixMilli()+3_600_000, 10)
	c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: future + "-5", Values: []string{"f", "v"}})
	if id := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", Values: []string{"f", "v"}}).Val(); id != future+"-6" {
		t.Fatalf("XADD * after a future id = %q, want %s-6", id, future)
	}
	if id := c.XAdd(ctx, &redis.XAddArgs{Stream: "auto", ID: future + "-*", Values: []string{"f", "v"}}).Val(); id != future+"-7" {
		t.Fatalf("XADD ms-* = %q", id)
	}
}
