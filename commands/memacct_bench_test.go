package commands

import (
	"strconv"
	"testing"
)

// The bookkeeping a SET adds (take the old size off, add the new) against
// the whole SET applied as the FSM does: see README "Memory limits".
func BenchmarkSetApplied(b *testing.B) {
	h := newHarness(&testing.T{})
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.do("set", keys[i&(1<<16-1)], "value:12345678")
		h.prop.Reset()
	}
}

func BenchmarkSetAccounting(b *testing.B) {
	db := NewStore().DBs[0]
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(1<<16-1)]
		old, had := db.keys[k]
		db.account(k, old, had, "value:12345678")
	}
}

// A collection is re-measured after each change: bounded work, which for a
// listpack hash means walking its (at most hash-max-listpack-entries)
// fields.
func BenchmarkHSetApplied(b *testing.B) {
	h := newHarness(&testing.T{})
	for i := 0; i < 100; i++ {
		h.do("hset", "h", "field:"+strconv.Itoa(i), "value")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.do("hset", "h", "field:"+strconv.Itoa(i%100), "value")
		h.prop.Reset()
	}
}

func BenchmarkHSetMeasure(b *testing.B) {
	h := newHarness(&testing.T{})
	for i := 0; i < 100; i++ {
		h.do("hset", "h", "field:"+strconv.Itoa(i), "value")
	}
	v, _, _ := h.store.DBs[0].Peek("h")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		collectionAcct(v)
	}
}
