package server

import (
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
)

// TestAwaitServedWaitsForItsPass: a writer's wait ends when the pass over
// the line its write started ends, and a chained write's pass counts too.
func TestAwaitServedWaitsForItsPass(t *testing.T) {
	var w waiters
	w.init()
	k1 := commands.ReadyKey{Key: "list1"}
	k2 := commands.ReadyKey{Key: "list2"}
	a := w.add(0, []string{"list1"})
	b := w.add(0, []string{"list2"})
	w.signal([]commands.ReadyKey{k1}) // the writer's push: a's turn
	done := make(chan struct{})
	go func() {
		w.awaitServed([]commands.ReadyKey{k1})
		close(done)
	}()
	select {
	case <-a.ch:
	case <-time.After(time.Second):
		t.Fatal("a was not woken")
	}
	// Wait until the writer has joined a's pass.
	for deadline := time.Now().Add(time.Second); ; {
		w.mu.Lock()
		joined := len(w.turns[k1].cur) == 1
		w.mu.Unlock()
		if joined {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not join the pass")
		}
		time.Sleep(time.Millisecond)
	}
	// a's retry is served and pushes to list2 (BLMOVE): b's turn.
	w.signal([]commands.ReadyKey{k2})
	w.chain(a, []commands.ReadyKey{k2})
	st := commands.NewStore()
	w.passOn(st, 0, a, true)
	w.remove(a)
	select {
	case <-done:
		t.Fatal("the writer went on before b, woken by a's move, was served")
	case <-time.After(20 * time.Millisecond):
	}
	<-b.ch
	w.passOn(st, 0, b, true)
	w.remove(b)
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the writer still waits after every pass ended")
	}
}

// TestAwaitServedSkipsObservers: a writer does not wait for XREAD clients,
// whose service changes nothing it could see, but does for a consumer
// group's reader on the same stream.
func TestAwaitServedSkipsObservers(t *testing.T) {
	var w waiters
	w.init()
	k := commands.ReadyKey{Key: "stream"}
	readers := make([]*waiter, 3)
	for i := range readers {
		readers[i] = w.add(0, []string{"stream"})
		w.setReady(readers[i], &commands.BlockRequest{Observes: true})
	}
	w.signal([]commands.ReadyKey{k})
	done := make(chan struct{})
	go func() {
		w.awaitServed([]commands.ReadyKey{k})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the writer waits for XREAD clients")
	}
	group := w.add(0, []string{"stream"})
	w.setReady(group, &commands.BlockRequest{})
	done = make(chan struct{})
	go func() {
		w.awaitServed([]commands.ReadyKey{k})
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("the writer went on before the consumer group's reader was served")
	case <-time.After(20 * time.Millisecond):
	}
	st := commands.NewStore()
	for _, r := range append(readers, group) {
		w.passOn(st, 0, r, true)
		w.remove(r)
	}
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the writer still waits after every pass ended")
	}
}

// BenchmarkAwaitServedNoWaiters is what a write that signals keys pays
// when nobody is blocked: one atomic load.
func BenchmarkAwaitServedNoWaiters(b *testing.B) {
	var w waiters
	w.init()
	keys := []commands.ReadyKey{{Key: "k"}}
	for b.Loop() {
		w.awaitServed(keys)
	}
}
