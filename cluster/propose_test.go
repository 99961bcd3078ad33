package cluster

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// TestGroupCommit: Apply calls that arrive while a group is in flight go to
// Raft together, in the order they came, as one entry; each waiter gets its
// own command's reply.
func TestGroupCommit(t *testing.T) {
	n, gs := soloNode(t, 10*time.Second)
	var l entryLog
	from, groups0, grouped0 := lastIndex(t, n), n.groups.Load(), n.grouped.Load()
	h := holdProposer(t, n, l.name("hold", gated("g0", "hold")))
	var outs []<-chan outcome
	var names []string
	for i := 1; i <= 10; i++ {
		name := "incr" + strconv.Itoa(i)
		outs = append(outs, queueApply(t, n, l.name(name, entry([]string{"INCRBY", "sum", strconv.Itoa(i)}))))
		names = append(names, name)
	}
	h.let()
	gs.waitReached(t, "g0")
	waitFor(t, "the proposer took every queued proposal", func() bool { return len(n.proposals) == 0 })
	gs.opened("g0")
	wantReply(t, answer(t, h.done, "hold"), "hold", ":0\r\n+OK\r\n")
	sum := 0
	for i, ch := range outs {
		sum += i + 1
		wantReply(t, answer(t, ch, names[i]), names[i], ":"+strconv.Itoa(sum)+"\r\n")
	}
	wantGroups(t, l.groups(t, n, from), []string{"hold"}, names)
	if g, e := n.groups.Load()-groups0, n.grouped.Load()-grouped0; g != 2 || e != 11 {
		t.Errorf("group counters moved by %d groups, %d entries; want 2, 11", g, e)
	}
}

// TestGroupLimits: a group stops taking proposals at maxGroupCount of them,
// or once it holds maxGroupBytes; the rest go in later groups.
func TestGroupLimits(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		n, gs := soloNode(t, 10*time.Second)
		var l entryLog
		from := lastIndex(t, n)
		h := holdProposer(t, n, l.name("hold", gated("g0", "hold")))
		// n.proposals holds maxGroupCount; the extra ones wait to be taken.
		const extra = 44
		var outs []<-chan outcome
		var first []string
		for i := range maxGroupCount {
			name := "w" + strconv.Itoa(i)
			outs = append(outs, queueApply(t, n, l.name(name, setEntry(name, "v"))))
			first = append(first, name)
		}
		for i := range extra {
			name := "x" + strconv.Itoa(i)
			data := l.name(name, setEntry(name, "v"))
			ch := make(chan outcome, 1)
			go func() {
				res, err := n.Apply(data)
				ch <- outcome{res, err}
			}()
			outs = append(outs, ch)
		}
		h.let()
		gs.waitReached(t, "g0")
		waitFor(t, "a full group is formed and the extra proposals are queued", func() bool { return len(n.proposals) == extra })
		gs.opened("g0")
		for i, ch := range outs {
			wantReply(t, answer(t, ch, "write "+strconv.Itoa(i)), "write "+strconv.Itoa(i), "+OK\r\n")
		}
		got := l.groups(t, n, from)
		if len(got) < 3 || !reflect.DeepEqual(got[0], []string{"hold"}) || !reflect.DeepEqual(got[1], first) {
			t.Fatalf("first groups %v, want [hold] then w0..w%d", got[:min(2, len(got))], maxGroupCount-1)
		}
		rest := 0
		for _, g := range got[2:] {
			for _, name := range g {
				if !strings.HasPrefix(name, "x") {
					t.Errorf("later group holds %s", name)
				}
			}
			rest += len(g)
		}
		if rest != extra {
			t.Errorf("later groups carry %d proposals, want %d", rest, extra)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		n, gs := soloNode(t, 10*time.Second)
		var l entryLog
		from := lastIndex(t, n)
		h := holdProposer(t, n, l.name("hold", gated("g0", "hold")))
		// Two fit under maxGroupBytes, the third takes the group past it.
		big := strings.Repeat("v", maxGroupBytes/3+1)
		var outs []<-chan outcome
		var names []string
		for i := range 5 {
			name := "big" + strconv.Itoa(i)
			outs = append(outs, queueApply(t, n, l.name(name, setEntry(name, big))))
			names = append(names, name)
		}
		h.let()
		gs.waitReached(t, "g0")
		waitFor(t, "a full group is formed", func() bool { return len(n.proposals) == 2 })
		gs.opened("g0")
		for i, ch := range outs {
			wantReply(t, answer(t, ch, names[i]), names[i], "+OK\r\n")
		}
		wantGroups(t, l.groups(t, n, from), []string{"hold"}, names[:3], names[3:])
	})
}

// TestCheckedProposals: a checked proposal is never added to a group that
// has members: it waits (and holds back later proposals) to head the next
// one, and its check runs only once every earlier group is applied. A check
// that says no answers ErrCheckFailed and proposes nothing; the proposals
// that joined its group still go.
func TestCheckedProposals(t *testing.T) {
	for _, pass := range []bool{true, false} {
		t.Run("check="+strconv.FormatBool(pass), func(t *testing.T) {
			n, gs := soloNode(t, 10*time.Second)
			var l entryLog
			from := lastIndex(t, n)
			h := holdProposer(t, n, l.name("hold", gated("g0", "hold")))
			a1 := queueApply(t, n, l.name("a1", setEntry("a1", "1")))
			a2 := queueApply(t, n, l.name("a2", gated("g1", "a2")))
			var (
				checked   sync.Mutex
				ran       bool
				sawWrites bool
				appliedAt uint64
			)
			check := func() bool {
				checked.Lock()
				defer checked.Unlock()
				ran = true
				n.fsm.View(func(s *commands.Store) {
					_, _, ok1 := s.DBs[0].Peek("a1")
					_, _, ok2 := s.DBs[0].Peek("a2")
					sawWrites = ok1 && ok2
				})
				appliedAt = n.fsm.AppliedIndex()
				return pass
			}
			c1 := queue(t, n, func() (*fsm.Result, error) { return n.ApplyChecked(l.name("c1", setEntry("c1", "1")), check) })
			a3 := queueApply(t, n, l.name("a3", setEntry("a3", "1")))
			a4 := queueApply(t, n, l.name("a4", setEntry("a4", "1")))

			h.let()
			gs.waitReached(t, "g0")
			// a1 and a2 are taken, c1 waits to head the next group and
			// keeps a3 and a4 queued.
			waitFor(t, "c1 is held back with a3 and a4", func() bool { return len(n.proposals) == 2 })
			gs.opened("g0")
			gs.waitReached(t, "g1")
			waitFor(t, "a3 and a4 join c1", func() bool { return len(n.proposals) == 0 })
			checked.Lock()
			early := ran
			checked.Unlock()
			if early {
				t.Fatal("the check ran while an earlier group was not applied")
			}
			gs.opened("g1")

			for name, ch := range map[string]<-chan outcome{"hold": h.done, "a1": a1, "a3": a3, "a4": a4} {
				if o := answer(t, ch, name); o.err != nil {
					t.Errorf("%s: %v", name, o.err)
				}
			}
			wantReply(t, answer(t, a2, "a2"), "a2", ":0\r\n+OK\r\n")
			o := answer(t, c1, "c1")
			got := l.groups(t, n, from)
			if pass {
				wantReply(t, o, "c1", "+OK\r\n")
				wantGroups(t, got, []string{"hold"}, []string{"a1", "a2"}, []string{"c1", "a3", "a4"})
			} else {
				if !errors.Is(o.err, ErrCheckFailed) {
					t.Errorf("c1 with a failing check: %+v", o)
				}
				wantGroups(t, got, []string{"hold"}, []string{"a1", "a2"}, []string{"a3", "a4"})
			}
			checked.Lock()
			defer checked.Unlock()
			if !sawWrites {
				t.Error("the check did not see the writes proposed before it")
			}
			if idx := indexOfGroup(t, n, from, 2); appliedAt != idx {
				t.Errorf("the check ran at applied index %d; the group before it is at %d", appliedAt, idx)
			}
		})
	}
}

// TestPreparedProposals: prepared proposals that arrive together are
// prepared in one speculation, in order, each seeing the effects of those
// before it, and go in one group; plain writes may follow them in that
// group but never precede one (a prepared proposal after a plain write waits
// for the next group); a prepare that makes no entry answers (nil, nil).
func TestPreparedProposals(t *testing.T) {
	n, gs := soloNode(t, 10*time.Second)
	var l entryLog
	from := lastIndex(t, n)
	h := holdProposer(t, n, l.name("hold", gated("g0", "hold")))
	b := queueApply(t, n, l.name("b", gated("g1", "b")))
	p1 := &prepared{name: "p1", key: "ctr", l: &l}
	none := &prepared{name: "none", none: true, l: &l}
	p2 := &prepared{name: "p2", key: "ctr", l: &l}
	p3 := &prepared{name: "p3", key: "ctr", l: &l}
	o1, oNone, o2 := p1.submit(t, n), none.submit(t, n), p2.submit(t, n)
	a := queueApply(t, n, l.name("a", setEntry("a", "1")))
	o3 := p3.submit(t, n)

	h.let()
	gs.waitReached(t, "g0")
	// b is taken; p1 may not join it and waits, holding the rest back.
	waitFor(t, "p1 is held back", func() bool { return len(n.proposals) == 4 })
	gs.opened("g0")
	gs.waitReached(t, "g1")
	waitFor(t, "the prepared proposals gather behind p1", func() bool { return len(n.proposals) == 0 })
	gs.opened("g1")

	wantReply(t, answer(t, o1, "p1"), "p1", "*2\r\n:1\r\n+OK\r\n")
	wantReply(t, answer(t, o2, "p2"), "p2", "*2\r\n:2\r\n+OK\r\n")
	wantReply(t, answer(t, o3, "p3"), "p3", "*2\r\n:3\r\n+OK\r\n")
	wantReply(t, answer(t, a, "a"), "a", "+OK\r\n")
	wantReply(t, answer(t, b, "b"), "b", ":0\r\n+OK\r\n")
	answer(t, h.done, "hold")
	if o := answer(t, oNone, "none"); o.res != nil || o.err != nil {
		t.Errorf("a prepare that made no entry answered %+v, want (nil, nil)", o)
	}
	for _, p := range []*prepared{p1, none, p2, p3} {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.calls != 1 {
			t.Errorf("%s prepared %d times", p.name, p.calls)
		}
	}
	if p1.sp == nil || none.sp != p1.sp || p2.sp != p1.sp {
		t.Error("proposals prepared together did not share a speculation")
	}
	if p3.sp == p1.sp {
		t.Error("p3, which came after a plain write, shared the earlier speculation")
	}
	for i, p := range []*prepared{p1, p2, p3} {
		if want := ":" + strconv.Itoa(i+1) + "\r\n"; p.saw != want {
			t.Errorf("%s saw INCR reply %q in its speculation, want %q", p.name, p.saw, want)
		}
	}
	wantGroups(t, l.groups(t, n, from), []string{"hold"}, []string{"b"}, []string{"p1", "p2", "a"}, []string{"p3"})

	if res, err := n.ApplyPrepared(func(sp *fsm.Speculation) []byte { return nil }); res != nil || err != nil {
		t.Errorf("ApplyPrepared of nothing: %+v, %v", res, err)
	}
}

// TestLongPrepare: the time a prepare takes (a long script) does not count
// against its waiter's ApplyTimeout, which starts over when it ends: here
// the prepare ends half a timeout before the waiter's timer would fire,
// and its entry then takes three quarters of one to be applied.
func TestLongPrepare(t *testing.T) {
	const timeout = time.Second
	n, gs := soloNode(t, timeout)
	var l entryLog
	p := &prepared{name: "slow", key: "k", gate: "g1", l: &l}
	ended := make(chan time.Time, 1)
	done := make(chan outcome, 1)
	go func() {
		res, err := n.ApplyPrepared(func(sp *fsm.Speculation) []byte {
			// Not a wait for an event: the prepare must outlast the timeout.
			time.Sleep(timeout * 5 / 2)
			data := p.prepare(sp)
			ended <- time.Now()
			return data
		})
		done <- outcome{res, err}
	}()
	gs.waitReached(t, "g1")
	end := <-ended
	time.Sleep(time.Until(end.Add(timeout * 3 / 4)))
	gs.opened("g1")
	if o := answer(t, done, "the slow prepared proposal"); o.err != nil || o.res == nil || string(o.res.Reply) != "*3\r\n:1\r\n+OK\r\n:0\r\n" {
		t.Fatalf("a prepare longer than ApplyTimeout: %+v", o)
	}
}

// TestInFlightRelease: after a small group the next waits until it is
// applied (sending early would only split the next group); after a large
// one the next goes to Raft as soon as it reaches the FSM, to be stored
// while the other is applied.
func TestInFlightRelease(t *testing.T) {
	for _, large := range []bool{false, true} {
		t.Run("large="+strconv.FormatBool(large), func(t *testing.T) {
			n, gs := soloNode(t, 10*time.Second)
			var l entryLog
			from, groups0 := lastIndex(t, n), n.groups.Load()
			first := gated("g1", "first")
			if large {
				first = entry([]string{"PUBLISH", "gate", "g1"}, []string{"SET", "first", strings.Repeat("v", overlapMinBytes)})
			}
			h := holdProposer(t, n, l.name("first", first))
			var outs []<-chan outcome
			names := []string{"a", "b", "c"}
			for _, name := range names {
				outs = append(outs, queueApply(t, n, l.name(name, setEntry(name, "1"))))
			}
			h.let()
			gs.waitReached(t, "g1")
			if large {
				waitFor(t, "a group goes to Raft while the large one is in the FSM", func() bool {
					return n.groups.Load() >= groups0+2 && lastIndex(t, n) > indexOfGroup(t, n, from, 1)
				})
			} else {
				waitFor(t, "the proposer took every queued proposal", func() bool { return len(n.proposals) == 0 })
				if g := n.groups.Load() - groups0; g != 1 {
					t.Errorf("%d groups went to Raft while the first small one was in the FSM, want 1", g)
				}
			}
			gs.opened("g1")
			answer(t, h.done, "first")
			for i, ch := range outs {
				wantReply(t, answer(t, ch, names[i]), names[i], "+OK\r\n")
			}
			got := l.groups(t, n, from)
			if !large {
				wantGroups(t, got, []string{"first"}, names)
				return
			}
			var flat []string
			for _, g := range got[1:] {
				flat = append(flat, g...)
			}
			if !reflect.DeepEqual(got[0], []string{"first"}) || !reflect.DeepEqual(flat, names) {
				t.Errorf("Raft entries carry %v", got)
			}
		})
	}
}

// TestCloseAnswersEveryProposal: on Close, proposals that were never handed
// to Raft (in the group being formed, a checked one waiting to head the
// next, one still queued) are answered ErrShutdown at once; a group Raft
// has gets its real outcome.
func TestCloseAnswersEveryProposal(t *testing.T) {
	n, gs := soloNode(t, 10*time.Second)
	h := holdProposer(t, n, gated("g0", "hold"))
	a1 := queueApply(t, n, setEntry("a1", "1"))
	a2 := queueApply(t, n, setEntry("a2", "1"))
	c1 := queue(t, n, func() (*fsm.Result, error) { return n.ApplyChecked(setEntry("c1", "1"), func() bool { return true }) })
	a3 := queueApply(t, n, setEntry("a3", "1"))
	h.let()
	gs.waitReached(t, "g0")
	waitFor(t, "a1 and a2 are grouped, c1 waits and a3 is queued", func() bool { return len(n.proposals) == 1 })

	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	for name, ch := range map[string]<-chan outcome{"a1": a1, "a2": a2, "c1": c1} {
		if o := answer(t, ch, name); !errors.Is(o.err, ErrShutdown) {
			t.Errorf("%s, never proposed: %+v, want ErrShutdown", name, o)
		}
	}
	// Close waits for the group Raft has; let it be applied.
	gs.opened("g0")
	wantReply(t, answer(t, h.done, "hold"), "hold", ":0\r\n+OK\r\n")
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	start := time.Now()
	if o := answer(t, a3, "a3"); !errors.Is(o.err, ErrShutdown) {
		t.Errorf("a3, still queued at Close: %+v, want ErrShutdown", o)
	} else if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a3 was answered %v after Close", took)
	}
	if _, err := n.Apply(setEntry("late", "1")); err == nil {
		t.Error("a write after Close succeeded")
	}
}

// TestCloseWithUncommittedGroup: a write Raft has but cannot commit (the
// leader is cut off from its followers) is answered UNCERTAIN when the node
// closes, never success and never an error that says it was not applied.
func TestCloseWithUncommittedGroup(t *testing.T) {
	c := startTestCluster(t, 3)
	l := c.leader()
	if _, err := l.Apply(setEntry("k", "before")); err != nil {
		t.Fatal(err)
	}
	groups0 := l.groups.Load()
	c.net.Isolate(l.ID())
	x := make(chan outcome, 1)
	go func() {
		res, err := l.Apply(setEntry("k", "cut off"))
		x <- outcome{res, err}
	}()
	waitFor(t, "the write is handed to Raft", func() bool { return l.groups.Load() > groups0 })
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	if o := answer(t, x, "the uncommitted write"); !errors.Is(o.err, ErrUncertain) {
		t.Errorf("a write Raft had but never committed: %+v, want ErrUncertain", o)
	}
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return")
	}
}
