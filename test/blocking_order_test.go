package test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestBlockingOrder: blocked clients are served in the order their commands
// reached the server, and before the reply of the write that woke them, as
// in Redis (its Tcl suite's "BRPOPLPUSH with multiple blocked clients",
// "Linked LMOVEs" and the stream-cgroups tests rely on both).
func TestBlockingOrder(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"ArrivalOrder", testBlockingArrivalOrder},
		nodeTest{"ServedBeforeWriterReply", testBlockingServedBeforeWriterReply},
		nodeTest{"StreamServedBeforeWriterReply", testBlockingStreamServedBeforeWriterReply},
	)
}

// testBlockingArrivalOrder sends two BRPOPLPUSHes on two connections back
// to back, then an LPUSH: the first client (whose destination is a string)
// must get WRONGTYPE and the second the element, whichever connection's
// goroutine got its attempt into the log first. Repeated, because getting
// it wrong was a matter of scheduling. (Redis' own test does not wait for
// the two to block; a push applied before the first client's attempt was
// even read by its goroutine can still go to the second, see
// server/blocking_yield.go.)
func testBlockingArrivalOrder(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	for i := 0; i < 30; i++ {
		admin.Del(ctx, "blist", "target1", "target2")
		admin.Set(ctx, "target1", "nolist", 0)
		rd1 := dialRESP(t, n.addr(), 2)
		rd2 := dialRESP(t, n.addr(), 2)
		rd1.send("BRPOPLPUSH", "blist", "target1", "0")
		rd2.send("BRPOPLPUSH", "blist", "target2", "0")
		waitBlocked(t, admin, 2)
		if err := admin.LPush(ctx, "blist", "foo").Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := rd1.read(3 * time.Second); err != nil || got != "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n" {
			t.Fatalf("round %d: the first BRPOPLPUSH got %q, %v; want WRONGTYPE", i, got, err)
		}
		if got, err := rd2.read(3 * time.Second); err != nil || got != "$3\r\nfoo\r\n" {
			t.Fatalf("round %d: the second BRPOPLPUSH got %q, %v; want foo", i, got, err)
		}
		if got := admin.LRange(ctx, "target2", 0, -1).Val(); len(got) != 1 || got[0] != "foo" {
			t.Fatalf("round %d: target2 = %q", i, got)
		}
		rd1.c.Close()
		rd2.c.Close()
		waitBlocked(t, admin, 0)
	}
}

// testBlockingServedBeforeWriterReply: RPUSH's reply comes after the
// clients it woke were served, those woken by their moves included, so
// the writer's next command sees the element at the end of the chain.
func testBlockingServedBeforeWriterReply(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	for i := 0; i < 10; i++ {
		admin.Del(ctx, "list1", "list2", "list3")
		rd1 := dialRESP(t, n.addr(), 2)
		rd1.send("BLMOVE", "list1", "list2", "RIGHT", "LEFT", "0")
		waitBlocked(t, admin, 1)
		rd2 := dialRESP(t, n.addr(), 2)
		rd2.send("BLMOVE", "list2", "list3", "LEFT", "RIGHT", "0")
		waitBlocked(t, admin, 2)
		admin.RPush(ctx, "list1", "foo")
		l1 := admin.LRange(ctx, "list1", 0, -1).Val()
		l2 := admin.LRange(ctx, "list2", 0, -1).Val()
		l3 := admin.LRange(ctx, "list3", 0, -1).Val()
		if len(l1) != 0 || len(l2) != 0 || len(l3) != 1 || l3[0] != "foo" {
			t.Fatalf("round %d, right after RPUSH: list1 %q list2 %q list3 %q; want [] [] [foo]", i, l1, l2, l3)
		}
		for _, rd := range []*respConn{rd1, rd2} {
			if got, err := rd.read(3 * time.Second); err != nil || got != "$3\r\nfoo\r\n" {
				t.Fatalf("round %d: BLMOVE got %q, %v", i, got, err)
			}
		}
		rd1.c.Close()
		rd2.c.Close()
	}
}

// testBlockingStreamServedBeforeWriterReply: a consumer blocked in
// XREADGROUP has its entry delivered before XADD replies.
func testBlockingStreamServedBeforeWriterReply(t *testing.T, n *node) {
	ctx := ctxT(t)
	admin := n.client()
	for i := 0; i < 10; i++ {
		admin.Del(ctx, "mystream")
		admin.XGroupCreateMkStream(ctx, "mystream", "mygroup", "$")
		rd := dialRESP(t, n.addr(), 2)
		rd.send("XREADGROUP", "GROUP", "mygroup", "Bob", "BLOCK", "0", "STREAMS", "mystream", ">")
		waitBlocked(t, admin, 1)
		id := admin.XAdd(ctx, &redis.XAddArgs{Stream: "mystream", Values: []string{"f", "v"}}).Val()
		groups := admin.XInfoGroups(ctx, "mystream").Val()
		if len(groups) != 1 || groups[0].LastDeliveredID != id || groups[0].Pending != 1 {
			t.Fatalf("round %d, right after XADD %s: groups %+v; want the entry delivered to Bob", i, id, groups)
		}
		if _, err := rd.read(3 * time.Second); err != nil {
			t.Fatal(err)
		}
		rd.c.Close()
	}
}
