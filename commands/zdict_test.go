package commands

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// Random inserts and deletes against a map, through growth, incremental
// moves and tombstone-only rebuilds.
func TestZdictRandomOps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	d := newZdict(0)
	want := map[string]*zslNode{}
	check := func(i int) {
		t.Helper()
		if d.len() != len(want) {
			t.Fatalf("op %d: len %d, want %d", i, d.len(), len(want))
		}
		for m, x := range want {
			if d.get(m) != x || d.getBytes([]byte(m)) != x {
				t.Fatalf("op %d: %q not found", i, m)
			}
		}
		n := 0
		d.each(func(x *zslNode) bool {
			if want[x.member] != x {
				t.Fatalf("op %d: each gave %q", i, x.member)
			}
			n++
			return true
		})
		if n != len(want) {
			t.Fatalf("op %d: each walked %d of %d", i, n, len(want))
		}
		if used := d.used; used*4 > len(d.slots)*3+4 {
			t.Fatalf("op %d: %d of %d slots used", i, used, len(d.slots))
		}
	}
	for i := 0; i < 60000; i++ {
		// The key space widens, then narrows: the table grows, then
		// churns on tombstones.
		space := 5000
		if i > 30000 {
			space = 300
		}
		m := "m" + strconv.Itoa(r.IntN(space))
		if x, ok := want[m]; ok && r.IntN(3) > 0 {
			if !d.delete(m) {
				t.Fatalf("op %d: delete(%q) missed", i, m)
			}
			delete(want, m)
			if d.get(m) != nil || x.member != m {
				t.Fatalf("op %d: %q still found", i, m)
			}
		} else if !ok {
			x := &zslNode{member: m}
			d.insert(x)
			want[m] = x
		} else {
			x := &zslNode{member: m}
			d.replace(x)
			want[m] = x
		}
		// Probes for absent members end, also while a move is under way.
		for j := 0; j < 40; j++ {
			a := "absent" + strconv.Itoa(j)
			if d.get(a) != nil || j == 0 && d.delete(a) {
				t.Fatal("found an absent member")
			}
		}
		if i%4999 == 0 {
			check(i)
		}
	}
	check(-1)
	if len(d.slots) > 4*d.len()+16 {
		t.Fatalf("%d slots for %d members", len(d.slots), d.len())
	}
}

// Moving slots out of the old table leaves its empty slots empty: a probe
// of old for an absent member stops at one (with every slot tombstoned it
// would go round forever).
func TestZdictMoveKeepsEmptySlots(t *testing.T) {
	d := newZdict(0)
	for i := 0; i < 1000; i++ {
		d.insert(&zslNode{member: "m" + strconv.Itoa(i)})
	}
	d.grow()
	if d.old == nil || len(d.old) <= zdMoveStep {
		t.Fatalf("no move under way (%d old slots)", len(d.old))
	}
	empty := map[int]bool{}
	for i, x := range d.old {
		if x == nil {
			empty[i] = true
		}
	}
	d.step()
	for i, x := range d.old {
		if empty[i] != (x == nil) {
			t.Fatalf("slot %d: empty before %v, now %v", i, empty[i], x == nil)
		}
	}
	for i := 0; i < 1000; i++ {
		if d.get("m"+strconv.Itoa(i)) == nil || d.get("x"+strconv.Itoa(i)) != nil {
			t.Fatalf("member %d during the move", i)
		}
	}
}
