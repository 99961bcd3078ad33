package commands

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The running total must always equal a full recount: whatever the writes,
// rollbacks, flushes and swaps did, nothing drifts.
func TestUsedMemoryMatchesRecount(t *testing.T) {
	h := newHarness(t)
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(step string) {
		t.Helper()
		got := h.store.DatasetBytes()
		h.store.RecountMemory()
		if want := h.store.DatasetBytes(); got != want {
			t.Fatalf("after %s: running total %d, recount %d", step, got, want)
		}
	}
	ops := [][]string{
		{"set", "k%d", "v%d"}, {"set", "k%d", "%d"}, {"append", "k%d", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"del", "k%d"}, {"rpush", "l%d", "a%d", "bb", "ccc"}, {"lpop", "l%d"}, {"hset", "h%d", "f%d", "v"},
		{"hdel", "h%d", "f%d"}, {"sadd", "s%d", "%d", "m%d"}, {"srem", "s%d", "%d"}, {"zadd", "z%d", "%d", "m%d"},
		{"zrem", "z%d", "m%d"}, {"xadd", "x%d", "*", "f", "v%d"}, {"incr", "n%d"}, {"rename", "k%d", "k%d"},
		{"sunionstore", "s%d", "s%d", "s%d"}, {"copy", "h%d", "hc%d"}, {"expire", "k%d", "100"},
		{"rename", "h%d", "h%d"}, {"rename", "hc%d", "k%d"}, {"move", "h%d", "1"}, {"hincrby", "h%d", "n", "1"},
		// values changed in place
		{"setbit", "k%d", "%d", "1"}, {"setrange", "k%d", "%d", "abc"}, {"pfadd", "p%d", "e%d", "f%d"},
		{"bitfield", "k%d", "incrby", "u8", "%d", "7"}, {"copy", "k%d", "kc%d"}, {"pfmerge", "p%d", "p%d"},
	}
	for i := 0; i < 3000; i++ {
		op := ops[rng.IntN(len(ops))]
		args := make([]string, len(op))
		for j, a := range op {
			if j > 0 {
				a = fmt.Sprintf(a, rng.IntN(20))
				if len(a) > 4 && a[len(a)-1] == ')' { // no %d in it
					a = op[j]
				}
			}
			args[j] = a
		}
		h.do(args...)
		h.now++
		if i%100 == 0 {
			check(fmt.Sprint(args))
		}
	}
	check("the random writes")
	if h.store.DatasetBytes() <= 0 {
		t.Fatal("no memory accounted")
	}

	// A big collection grows by a bounded estimate per write.
	for i := 0; i < 5000; i++ {
		h.do("rpush", "big", fmt.Sprintf("element-%d", i))
		h.do("sadd", "bigset", fmt.Sprintf("member-%d", i))
		h.do("hset", "bighash", fmt.Sprintf("f%d", i), "value")
		h.do("zadd", "bigz", fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	check("big collections")
	for _, k := range []string{"big", "bigset", "bighash", "bigz"} {
		db := h.store.DBs[0]
		v, _, _ := db.Peek(k)
		exact := int64(memoryUsage(k, v, 1<<30))
		if got := db.KeySize(k); got < exact*2/3 || got > exact*3/2 {
			t.Errorf("%s: accounted %d bytes, MEMORY USAGE SAMPLES 0 says %d", k, got, exact)
		}
	}

	// A journal rollback restores the total with the values.
	before := h.store.DatasetBytes()
	j := h.store.BeginJournal()
	h.do("del", "big")
	h.do("rpush", "bigset2", "x")
	h.do("hset", "bighash", "new", "v")
	h.do("flushdb")
	h.do("set", "after", "flush")
	j.Rollback()
	if got := h.store.DatasetBytes(); got != before {
		t.Fatalf("after rollback: %d, before the journal %d", got, before)
	}
	check("rollback")

	h.do("swapdb", "0", "1")
	check("swapdb")
	h.do("flushall")
	if got := h.store.DatasetBytes(); got != 0 {
		t.Fatalf("after FLUSHALL: %d", got)
	}
}

// A small string counts what MEMORY USAGE reports for it.
func TestUsedMemoryIsMemoryUsage(t *testing.T) {
	h := newHarness(t)
	h.do("set", "key:1", "some value")
	h.do("set", "key:2", "12345")
	h.do("hset", "hash", "f", "v")
	want := int64(0)
	for _, k := range []string{"key:1", "key:2", "hash"} {
		v, _, _ := h.store.DBs[0].Peek(k)
		want += int64(memoryUsage(k, v, 5))
	}
	if got := h.store.DatasetBytes(); got != want {
		t.Fatalf("used %d, MEMORY USAGE total %d", got, want)
	}
}
