package commands

import (
	"testing"
)

// hllValue returns the string stored at key in the harness' db.
func hllValue(t *testing.T, h *harness, key string) string {
	t.Helper()
	v, _, ok := h.store.DBs[h.db].Peek(key)
	s, isStr := asString(v)
	if !ok || !isStr {
		t.Fatalf("%s holds %T", key, v)
	}
	return s
}

// What each HLL command propagates: itself as received, and only when it
// changed the value (PFCOUNT only when it refreshed a stale cache).
func TestHLLPropagation(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skInt(1), "pfadd", "h", "a", "b")
	skAOF(t, h, skCmd("pfadd", "h", "a", "b"))
	h.expect(skInt(0), "pfadd", "h", "a")
	skAOF(t, h)
	h.expect(skInt(2), "pfcount", "h")
	skAOF(t, h, skCmd("pfcount", "h"))
	if card, ok := hllCachedCard(hllValue(t, h, "h")); !ok || card != 2 {
		t.Fatalf("cache %d (%v) after PFCOUNT", card, ok)
	}
	h.expect(skInt(2), "pfcount", "h")
	skAOF(t, h) // the cache was valid: nothing to replicate
	h.expect(skInt(2), "pfcount", "h", "nokey")
	skAOF(t, h)
	h.expect(skInt(0), "pfcount", "nokey")
	skAOF(t, h)
	h.expect(skOK, "pfmerge", "m", "h")
	skAOF(t, h, skCmd("pfmerge", "m", "h"))
	h.expect(skInt(1), "pfdebug", "todense", "h")
	skAOF(t, h, skCmd("pfdebug", "todense", "h"))
	h.expect(skInt(0), "pfdebug", "todense", "h")
	skAOF(t, h)
}

// PFADD mutates a private copy: a snapshot or a reader holding the old
// string must not see the change.
func TestHLLAddCopiesTheValue(t *testing.T) {
	h := newHarness(t)
	big := []string{"pfadd", "d"}
	for i := 0; i < 3000; i++ {
		big = append(big, "x"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
	}
	h.do(big...)
	before := hllValue(t, h, "d")
	if before[4] != hllDense {
		t.Fatal("3000 elements left the HLL sparse")
	}
	saved := string([]byte(before))
	h.do("pfadd", "d", "one more", "and another", "and a third")
	h.do("pfcount", "d")
	if before != saved {
		t.Fatal("PFADD changed the old string in place")
	}
	if hllValue(t, h, "d") == before {
		t.Fatal("PFADD and PFCOUNT changed nothing")
	}
}

// On the read path (no propagation) PFCOUNT counts without caching.
func TestHLLCountOnReadPathLeavesValue(t *testing.T) {
	h := newHarness(t)
	h.do("pfadd", "h", "a", "b", "c")
	before := hllValue(t, h, "h")
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(2)}
	c.Begin(h.store.DBs[0], [][]byte{[]byte("pfcount"), []byte("h")})
	pfcountCommand(c)
	if got := string(c.R.Bytes()); got != skInt(3) {
		t.Fatalf("PFCOUNT on the read path: %q", got)
	}
	if hllValue(t, h, "h") != before {
		t.Fatal("PFCOUNT on the read path changed the value")
	}
}

func TestHLLCommandsFlags(t *testing.T) {
	pc := Lookup([]byte("pfcount"))
	if !pc.Logged() || pc.Is(Write) || !pc.Is(ReadOnly) {
		t.Fatal("PFCOUNT must be readonly for COMMAND yet go through the log")
	}
	for _, f := range pc.Flags.Names() {
		if f != "readonly" {
			t.Fatalf("PFCOUNT lists flag %q", f)
		}
	}
	if Lookup([]byte("get")).Logged() || !Lookup([]byte("pfadd")).Logged() {
		t.Fatal("Logged is wrong for GET or PFADD")
	}
}
