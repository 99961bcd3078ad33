package commands

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// noopCheck runs cmd's Noop check as the server does, on the read path;
// it returns whether it reported a no-op and what it wrote.
func (h *harness) noopCheck(args ...string) (bool, string) {
	h.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd := Lookup(argv[0])
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(h.proto)}
	c.Begin(h.store.DBs[h.db], argv)
	ok := cmd.Noop(c)
	if c.Hits != 0 || c.Misses != 0 {
		h.t.Fatalf("%q: the check counted %d keyspace hits, %d misses", args, c.Hits, c.Misses)
	}
	return ok, string(c.R.Bytes())
}

// TestNoopChecksAgreeWithHandlers: wherever a check reports a no-op, the
// handler, run right after on the write path, gives the same reply and
// propagates nothing; where it does not, the check wrote nothing.
func TestNoopChecksAgreeWithHandlers(t *testing.T) {
	h := newHarness(t)
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	num := func(n int) string { return strconv.Itoa(r.IntN(n)) }
	keys := []string{"k1", "k2", "k3"}
	gen := func() []string {
		k := pick(keys...)
		switch r.IntN(17) {
		case 0:
			return []string{"SETBIT", k, num(20), num(2)}
		case 1:
			return []string{"PFADD", k, "e" + num(40), "e" + num(40)}
		case 2:
			return []string{"SADD", k, num(6), "m" + num(4)}
		case 3:
			return []string{"SREM", k, num(6), "m" + num(8)}
		case 4:
			return []string{"ZADD", k, pick("1", "2", "NX", "XX", "GT", "LT", "CH", "-0"), num(3), "m" + num(4)}
		case 5:
			return []string{"ZREM", k, "m" + num(6)}
		case 6:
			return []string{"GEOADD", k, pick("NX", "XX", "13.36"), pick("13.36", "38.11", "15.08"), "38.11", "p" + num(3)}
		case 7:
			return []string{"SET", k, "v" + num(3), pick("NX", "XX"), pick("KEEPTTL", "PX", "GET"), "100000"}[:3+r.IntN(3)]
		case 8:
			return []string{"SETNX", k, "v"}
		case 9:
			return []string{"HSETNX", k, "f" + num(3), "v"}
		case 10:
			return []string{"HDEL", k, "f" + num(4)}
		case 11:
			return []string{pick("DEL", "UNLINK"), k, pick(keys...)}
		case 12:
			return []string{pick("LPUSHX", "RPUSHX"), k, "x"}
		case 13:
			return []string{"PERSIST", k}
		case 14:
			return []string{pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"), k, pick("100", "0", "x", "100000000000"), pick("NX", "XX", "GT", "LT")}[:3+r.IntN(2)]
		case 15:
			return []string{"RPUSH", k, "x"}
		default:
			return []string{"HSET", k, "f" + num(3), "v"}
		}
	}
	noops, writes := 0, 0
	for i := 0; i < 20000; i++ {
		if i%2000 == 0 {
			h.do("FLUSHALL")
		}
		h.now += int64(r.IntN(40)) // some TTLs run out between commands
		args := gen()
		if Lookup([]byte(args[0])).Noop == nil {
			h.do(args...)
			continue
		}
		ok, wrote := h.noopCheck(args...)
		h.aof()
		reply, c := h.run(nil, args...)
		switch {
		case ok:
			noops++
			if wrote != reply {
				t.Fatalf("%q: the check answered %q, the handler %q", args, wrote, reply)
			}
			if prop := h.aof(); prop != "" || c.DirtyCount() != 0 {
				t.Fatalf("%q: reported a no-op, but the handler propagated %q (dirty %d)", args, prop, c.DirtyCount())
			}
		case wrote != "":
			t.Fatalf("%q: the check wrote %q and reported false", args, wrote)
		default:
			writes++
		}
	}
	if noops < 2000 || writes < 2000 {
		t.Fatalf("%d no-ops, %d writes: the mix no longer tests both", noops, writes)
	}
}

// TestNoopExpiredKey: a key whose TTL passed is no no-op, for any check:
// the write path deletes it and propagates the DEL.
func TestNoopExpiredKey(t *testing.T) {
	h := newHarness(t)
	cases := [][]string{
		{"DEL", "k"}, {"UNLINK", "k"}, {"LPUSHX", "k", "a"}, {"PERSIST", "k"}, {"EXPIRE", "k", "10"},
		{"SET", "k", "v", "XX"}, {"SREM", "k", "a"}, {"HDEL", "k", "f"}, {"ZREM", "k", "a"},
		{"ZADD", "k", "XX", "1", "a"}, {"GEOADD", "k", "XX", "1", "1", "a"},
	}
	for _, args := range cases {
		h.do("FLUSHALL")
		h.do("SET", "k", "v", "PX", "10")
		h.now += 20
		if ok, _ := h.noopCheck(args...); ok {
			t.Errorf("%q on an expired key: reported a no-op", args)
		}
		h.now -= 20
	}
}

// TestNoopDenseHLLNoAlloc: the PFADD check of a dense HLL allocates nothing.
func TestNoopDenseHLLNoAlloc(t *testing.T) {
	h := newHarness(t)
	args := []string{"PFADD", "h"}
	for i := 0; i < 5000; i++ {
		args = append(args, "e"+strconv.Itoa(i))
	}
	h.do(args...)
	if got := h.do("PFDEBUG", "ENCODING", "h"); got != "+dense\r\n" {
		t.Fatalf("PFDEBUG ENCODING h = %q", got)
	}
	argv := [][]byte{[]byte("pfadd"), []byte("h"), []byte("e1"), []byte("e2")}
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(2)}
	if n := testing.AllocsPerRun(100, func() {
		c.R.Reset()
		c.Begin(h.store.DBs[0], argv)
		if !pfaddNoop(c) {
			t.Fatal("PFADD of counted elements is no no-op")
		}
	}); n != 0 {
		t.Errorf("PFADD check on a dense HLL: %v allocations", n)
	}
}
