package commands

import (
	"bytes"
	"strconv"
	"testing"
)

// bigValues fills h with one value of each piecewise type, each a few pieces
// long, plus small keys around them.
func bigValues(h *harness, n int) {
	for i := 0; i < n; i += 100 {
		var z, l, hs, s []string
		for j := i; j < i+100 && j < n; j++ {
			m := "m" + strconv.Itoa(j)
			z = append(z, strconv.Itoa(j%977), m)
			l = append(l, m)
			hs = append(hs, m, "v"+strconv.Itoa(j))
			s = append(s, m)
		}
		h.do(append([]string{"zadd", "z"}, z...)...)
		h.do(append([]string{"rpush", "l"}, l...)...)
		h.do(append([]string{"hset", "h"}, hs...)...)
		h.do(append([]string{"sadd", "s"}, s...)...)
	}
	h.do("pexpireat", "z", strconv.FormatInt(h.now+1_000_000, 10))
	for i := 0; i < 50; i++ {
		h.do("set", "k"+strconv.Itoa(i), "v")
	}
}

// A big value is dumped a piece at a time, and changes to it between pieces
// (or before the walk reaches it) leave the dump at the point in time.
func TestSnapshotBigValuesInPieces(t *testing.T) {
	n := 3*pieceElems + 17
	for round := 0; round < 4; round++ {
		h := newHarness(t)
		bigValues(h, n)
		want := h.store.Digest(h.now)
		sn := h.store.BeginSnapshot()
		var dump []byte
		pieces, calls, changed := 0, 0, 0
		for more := true; more; calls++ {
			before := len(dump) + len(sn.pending) // the rest of a value changed mid-dump
			dump, more = sn.Next(dump, 8)
			if sn.part != nil {
				pieces++
			}
			// a piece is bounded: pieceElems elements of at most ~40 bytes
			if grew := len(dump) - before; grew > 64*pieceElems {
				t.Fatalf("one Next wrote %d bytes", grew)
			}
			if p := sn.part; p != nil && p.live && calls%2 == round%2 {
				// change the value being dumped, behind and ahead of the cursor
				last := "m" + strconv.Itoa(n-1-calls)
				switch p.key {
				case "z":
					h.do("zadd", "z", "-1", "new"+strconv.Itoa(calls))
					h.do("zrem", "z", "m976")
				case "l":
					h.do("lpop", "l")
					h.do("rpush", "l", "tail")
				case "h":
					h.do("hdel", "h", "m0", last)
					h.do("hset", "h", "added", "1")
				case "s":
					h.do("srem", "s", "m1", last)
					h.do("sadd", "s", "added")
				}
				changed++
			}
			if calls == 1+round {
				// before the walk reaches them, or after it is done with them
				h.do("hset", "h", "m1", "changed")
				h.do("zadd", "z", "5", "m1")
				h.do("set", "k1", "changed")
				if round == 3 {
					h.do("del", "z")
					h.do("set", "l", "now a string")
				}
			}
		}
		sn.End()
		if pieces == 0 || changed == 0 && round != 3 {
			t.Fatalf("round %d: %d pieces, %d changes mid-value", round, pieces, changed)
		}
		got := replay(t, dump).store.Digest(h.now)
		if !bytes.Equal(got[:], want[:]) {
			t.Fatalf("round %d: dump (%d Next calls, %d pieces) differs from the state at BeginSnapshot", round, calls, pieces)
		}
	}
}
