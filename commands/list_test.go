package commands

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// checkDeque compares l with the model and checks the ring's invariants:
// power-of-two buffer, bounded slack, and no references kept in free slots.
func checkDeque(t *testing.T, step int, op string, l *List, model []string) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("step %d %s: Len %d, model %d", step, op, l.Len(), len(model))
	}
	for i, want := range model {
		if got := l.At(i); got != want {
			t.Fatalf("step %d %s: At(%d) = %q, want %q", step, op, i, got, want)
		}
	}
	a, b := l.Slices(0, l.Len())
	if got := append(slices.Clone(a), b...); !slices.Equal(got, model) && len(model) > 0 {
		t.Fatalf("step %d %s: Slices = %q, want %q", step, op, got, model)
	}
	size := len(l.buf)
	if size != 0 && size&(size-1) != 0 {
		t.Fatalf("step %d %s: buffer size %d not a power of two", step, op, size)
	}
	if size > listShrinkFrom && l.n <= size/4 {
		t.Fatalf("step %d %s: %d elements in a buffer of %d (not shrunk)", step, op, l.n, size)
	}
	for k := l.n; k < size; k++ {
		if s := l.buf[(l.head+k)&(size-1)]; s != "" {
			t.Fatalf("step %d %s: free slot %d still holds %q", step, op, k, s)
		}
	}
}

func TestDequeProperty(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		l := NewList()
		var model []string
		val := func() string { return strconv.Itoa(r.IntN(8)) } // few values: many duplicates for Remove/Index
		for step := 0; step < 3000; step++ {
			var op string
			switch k := r.IntN(100); {
			case k < 20:
				op = "PushBack"
				v := val()
				l.PushBack(v)
				model = append(model, v)
			case k < 40:
				op = "PushFront"
				v := val()
				l.PushFront(v)
				model = slices.Insert(model, 0, v)
			case k < 52:
				op = "PopFront"
				if len(model) > 0 {
					if got := l.PopFront(); got != model[0] {
						t.Fatalf("PopFront %q, want %q", got, model[0])
					}
					model = model[1:]
				}
			case k < 64:
				op = "PopBack"
				if len(model) > 0 {
					if got := l.PopBack(); got != model[len(model)-1] {
						t.Fatalf("PopBack %q, want %q", got, model[len(model)-1])
					}
					model = model[:len(model)-1]
				}
			case k < 72:
				op = "Insert"
				i := r.IntN(len(model) + 1)
				v := val()
				l.Insert(i, v)
				model = slices.Insert(model, i, v)
			case k < 78:
				op = "Remove"
				v := val()
				count := r.IntN(7) - 3
				want := modelRemove(model, v, count)
				got := l.Remove(v, count)
				if got != len(model)-len(want) {
					t.Fatalf("step %d Remove(%q, %d) = %d, want %d", step, v, count, got, len(model)-len(want))
				}
				model = want
			case k < 81:
				op = "Trim"
				if len(model) > 0 {
					front := r.IntN(len(model) + 1)
					back := r.IntN(len(model) - front + 1)
					l.Trim(front, back)
					model = slices.Clone(model[front : len(model)-back])
				}
			case k < 85:
				op = "SetAt"
				if len(model) > 0 {
					i := r.IntN(len(model))
					v := val()
					l.SetAt(i, v)
					model[i] = v
				}
			case k < 88:
				op = "Index"
				v := val()
				if got, want := l.Index(v), slices.Index(model, v); got != want {
					t.Fatalf("Index(%q) = %d, want %d", v, got, want)
				}
			case k < 90:
				op = "Clone"
				c := l.Clone()
				checkDeque(t, step, "Clone(copy)", c, model)
				if c.Len() > 0 {
					c.SetAt(0, "changed") // must not affect the original
				}
			case k < 96:
				op = "PushMany"
				n := r.IntN(50)
				l.Reserve(n)
				for range n {
					v := val()
					l.PushBack(v)
					model = append(model, v)
				}
			default:
				op = "PopMany"
				for n := r.IntN(60); n > 0 && len(model) > 0; n-- {
					l.PopFront()
					model = model[1:]
				}
			}
			checkDeque(t, step, op, l, model)
		}
	}
}

// modelRemove is LREM on a slice.
func modelRemove(s []string, v string, count int) []string {
	out := slices.Clone(s)
	switch {
	case count >= 0:
		removed := 0
		for i := 0; i < len(out); {
			if out[i] == v && (count == 0 || removed < count) {
				out = slices.Delete(out, i, i+1)
				removed++
				continue
			}
			i++
		}
	default:
		removed := 0
		for i := len(out) - 1; i >= 0 && removed < -count; i-- {
			if out[i] == v {
				out = slices.Delete(out, i, i+1)
				removed++
			}
		}
	}
	return out
}

func TestDequeShrinksAfterBulkRemoval(t *testing.T) {
	l := NewList()
	for i := range 100000 {
		l.PushBack(strconv.Itoa(i))
	}
	l.Trim(99990, 0)
	if len(l.buf) > 64 {
		t.Fatalf("after trimming to %d elements the buffer holds %d slots", l.Len(), len(l.buf))
	}
	if l.At(0) != "99990" || l.At(9) != "99999" {
		t.Fatalf("wrong elements kept: %q .. %q", l.At(0), l.At(9))
	}
	for l.Len() > 0 {
		l.PopBack()
	}
	if len(l.buf) > listShrinkFrom {
		t.Fatalf("empty list keeps %d slots", len(l.buf))
	}
}

func TestDequeReserveAllocatesOnce(t *testing.T) {
	allocs := testing.AllocsPerRun(10, func() {
		l := &List{}
		l.Reserve(100)
		for range 100 {
			l.PushFront("x")
		}
		if len(l.buf) != 128 {
			t.Fatalf("Reserve(100) then 100 pushes: %d slots, want 128", len(l.buf))
		}
	})
	if allocs > 2 { // the List (if it escapes) and its one buffer
		t.Fatalf("reserved push allocated %.0f times", allocs)
	}
}

// Pushing and popping at both ends costs no allocation once the ring is big
// enough (the deque itself never allocates per element).
func TestDequePushPopNoAlloc(t *testing.T) {
	l := NewList()
	for range 64 {
		l.PushBack("x")
	}
	allocs := testing.AllocsPerRun(1000, func() {
		l.PushFront("a")
		l.PushBack("b")
		l.PopFront()
		l.PopBack()
	})
	if allocs != 0 {
		t.Fatalf("steady push/pop allocated %.1f times per run", allocs)
	}
}

func BenchmarkDequePushPop(b *testing.B) {
	l := NewList()
	for range 1000 {
		l.PushBack("x")
	}
	b.ReportAllocs()
	for b.Loop() {
		l.PushFront("a")
		l.PopBack()
	}
}
