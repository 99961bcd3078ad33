package cluster

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/raft"
)

// Group commit above Raft: entries from concurrent connections that arrive
// while earlier ones are being stored are packed into one Raft log entry, so
// Raft's per-entry work (encoding, log-store insert and its fsyncs, futures)
// is paid once per group instead of once per connection.
//
// When the next group goes to Raft depends on the last one's size. A large
// group (pipelines) keeps the FSM busy about as long as the log store's
// fsyncs, so the next group is sent as soon as the last one reaches the FSM:
// storing one group while applying the other gave 7% more SETs and 3.5% more
// INCRs at -P 16 (ten alternating runs). A small group is applied in a few tens of microseconds; sending
// early there only splits the next group, and more groups mean more fsyncs,
// so the next one waits until the last is applied. Holding the next small
// group a little longer, for the clients the last one answered to come back
// and join it, made groups a quarter larger but SETs 8-9% fewer at -P 1
// (five interleaved rounds, -c 50, one node).
//
// On three nodes the same rule holds, though a group's commit there is the
// leader's fsync and then a follower's (hashicorp/raft stores locally before
// it replicates). Sending the next group once the last was in the leader's
// log, to overlap the two fsyncs, was measured (five interleaved rounds,
// -c 50): no better at -P 1, 26% fewer SETs at -P 16, and 2.5-3.5x the
// followers' CPU per write at -P 16: the groups got smaller, and every group
// is one more AppendEntries and fsync on each follower.
const (
	maxInFlight     = 4
	maxGroupCount   = 256
	maxGroupBytes   = 2 << 20
	overlapMinBytes = 4 << 10
)

type proposal struct {
	data []byte
	done chan outcome // buffered: the responder never blocks on a gone waiter
	// check, if set, decides at the last moment whether the entry may be
	// proposed at all: it runs when every earlier entry has been applied and
	// this one heads the next Raft entry, so nothing can come in between.
	check func() bool
	// prepare, if set, makes the entry itself at that same moment (a script
	// run speculatively against the fully applied state); nil means there is
	// nothing to propose. Prepared proposals that arrive together share one
	// speculation and one group: each runs on the effects of those before it.
	prepare func(sp *fsm.Speculation) []byte
	// preparing is set while prepare runs, and prepared to when it
	// returned: a long script is not a lost commit, so its waiter's timeout
	// starts over when it ends.
	preparing atomic.Bool
	prepared  atomic.Int64 // unix nanoseconds; 0 before prepare returns
}

// atHead tells whether p must run against a fully applied state.
func (p *proposal) atHead() bool { return p.check != nil || p.prepare != nil }

// errNothingToPropose answers a prepared proposal whose prepare made no entry.
var errNothingToPropose = errors.New("nothing to propose")

// ErrCheckFailed answers ApplyChecked when its check said no; nothing was proposed.
var ErrCheckFailed = errors.New("precondition failed; not proposed")

type outcome struct {
	res *fsm.Result
	err error
}

type inflight struct {
	fut   raft.ApplyFuture
	data  []byte // the Raft entry (in awaiting until answered)
	group []*proposal
	// first and handed time the group's queue stage (stages.go).
	first, handed int64
}

// stagedFSM tells the proposer when Raft hands a batch to the FSM: the
// entries before it are stored and Raft's leader loop is free for the next.
// It also tells the FSM which entries' results anyone reads: only those
// whose proposer is waiting for them (see awaiting).
type stagedFSM struct {
	*fsm.FSM
	reached chan struct{}
	clock   *stageClock
	replied func(*raft.Log) bool
}

func (s stagedFSM) ApplyBatch(logs []*raft.Log) []any {
	signal(s.reached)
	s.clock.applying(logs, time.Now().UnixNano())
	res := s.FSM.ApplyBatchFor(logs, s.replied)
	s.clock.applied(logs, time.Now().UnixNano())
	return res
}

// awaiting holds the Raft entries this node proposed whose results the
// responder is still to read (at most maxInFlight), known by their data's
// first byte: raft hands the FSM the very Log its Apply future carries, so
// the same slice. Every other entry (on a follower, all of them) is applied
// without rendering replies nobody reads.
type awaiting struct {
	mu      sync.Mutex
	entries []*byte
}

func (a *awaiting) add(data []byte) {
	a.mu.Lock()
	a.entries = append(a.entries, unsafe.SliceData(data))
	a.mu.Unlock()
}

func (a *awaiting) remove(data []byte) {
	p := unsafe.SliceData(data)
	a.mu.Lock()
	for i, e := range a.entries {
		if e == p {
			a.entries = append(a.entries[:i], a.entries[i+1:]...)
			break
		}
	}
	a.mu.Unlock()
}

func (a *awaiting) has(l *raft.Log) bool {
	if len(l.Data) == 0 {
		return false
	}
	p := unsafe.SliceData(l.Data)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.entries {
		if e == p {
			return true
		}
	}
	return false
}

// signal is a non-blocking wake-up on a channel of capacity one.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

// proposer forms groups and hands them to Raft; responder delivers results.
func (n *Node) proposer() {
	defer n.wg.Done()
	defer close(n.committing)
	var group []*proposal
	var carry *proposal // a checked proposal that must head the next group
	size := 0
	// release is what lets the next group go: the last one reaching the
	// FSM (n.reached) or being applied (n.applied); nil when free.
	var release chan struct{}
	var first int64 // when the group took its first proposal
	shutdown := func() {
		failAll(group, ErrShutdown)
		if carry != nil {
			failAll([]*proposal{carry}, ErrShutdown)
		}
	}
	for {
		if carry != nil && len(group) == 0 {
			group, carry, size = []*proposal{carry}, nil, len(carry.data)
			first = time.Now().UnixNano()
		}
		// Gather until the last group released us and a slot is open.
		var incoming <-chan *proposal
		if carry == nil && len(group) < maxGroupCount && size < maxGroupBytes {
			incoming = n.proposals
		}
		var slot chan struct{}
		if len(group) > 0 && release == nil {
			slot = n.slots
		}
		select {
		case <-n.stop:
			shutdown()
			return
		case <-release:
			release = nil
			continue
		case p := <-incoming:
			if len(group) == 0 {
				first = time.Now().UnixNano()
			}
			if p.atHead() && len(group) > 0 && !(p.prepare != nil && allPrepared(group)) {
				carry = p
			} else {
				group = append(group, p)
				size += len(p.data)
			}
			continue
		case slot <- struct{}{}:
		}
		if p := group[0]; p.atHead() {
			// A checked entry runs against a fully applied state: wait for
			// every group in flight by taking all the slots.
			if !n.takeSlots(maxInFlight - 1) {
				shutdown()
				return
			}
			if p.check != nil {
				ok := p.check()
				n.releaseSlots(maxInFlight - 1)
				if !ok {
					// p is its waiter's again once answered: size first.
					group, size = group[1:], size-len(p.data)
					p.done <- outcome{err: ErrCheckFailed}
				}
			} else {
				group, size = n.prepareAll(group, size)
				n.releaseSlots(maxInFlight - 1)
			}
			if len(group) == 0 {
				<-n.slots
				continue
			}
		}
		data := encodeGroup(group)
		n.groups.Add(1)
		n.grouped.Add(int64(len(group)))
		n.sizes.observe(len(group))
		// Wake-ups left from earlier groups must not release this one.
		drain(n.reached)
		drain(n.applied)
		release = n.applied
		if size >= overlapMinBytes {
			release = n.reached
		}
		n.awaiting.add(data)
		handed := time.Now().UnixNano()
		fut := n.raft.Apply(data, n.opts.ApplyTimeout)
		select {
		case n.committing <- inflight{fut: fut, data: data, group: group, first: first, handed: handed}:
		case <-n.stop:
			// Raft has it; its outcome is unknown to us now.
			n.awaiting.remove(data)
			failAll(group, fmt.Errorf("%w (node shutting down)", ErrUncertain))
			group = nil
			shutdown()
			return
		}
		group, size, first = nil, 0, 0
	}
}

// allPrepared tells whether every proposal of group is a prepared one: a
// prepared proposal may join them, since it will run right after them.
func allPrepared(group []*proposal) bool {
	for _, p := range group {
		if p.prepare == nil {
			return false
		}
	}
	return true
}

// prepareAll makes the entries of the group's prepared proposals (its head)
// in one speculation; those with nothing to propose are answered and
// dropped.
func (n *Node) prepareAll(group []*proposal, size int) ([]*proposal, int) {
	sp := n.fsm.BeginSpeculation()
	kept := group[:0]
	for _, p := range group {
		if p.prepare == nil {
			kept = append(kept, p)
			continue
		}
		p.preparing.Store(true)
		p.data = p.prepare(sp)
		p.prepared.Store(time.Now().UnixNano())
		p.preparing.Store(false)
		if p.data == nil {
			p.done <- outcome{err: errNothingToPropose}
			continue
		}
		size += len(p.data)
		kept = append(kept, p)
	}
	sp.End()
	return kept, size
}

// takeSlots takes k more slots, waiting for groups in flight to be
// applied; false on shutdown, when nothing will be proposed again.
func (n *Node) takeSlots(k int) bool {
	for range k {
		select {
		case n.slots <- struct{}{}:
		case <-n.stop:
			return false
		}
	}
	return true
}

func (n *Node) releaseSlots(k int) {
	for range k {
		<-n.slots
	}
}

// responder waits for each group's future in order and answers its members.
func (n *Node) responder() {
	defer n.wg.Done()
	for in := range n.committing {
		err := in.fut.Error()
		n.awaiting.remove(in.data)
		<-n.slots
		signal(n.applied)
		if err != nil {
			signal(n.reached) // it never will reach the FSM
			failAll(in.group, applyError(err))
			continue
		}
		switch r := in.fut.Response().(type) {
		case *fsm.Result:
			in.group[0].done <- outcome{res: r}
		case *fsm.BatchResult:
			for i, p := range in.group {
				if i < len(r.Results) && r.Results[i] != nil {
					p.done <- outcome{res: r.Results[i]}
				} else {
					p.done <- outcome{err: fmt.Errorf("%w (entry was skipped)", ErrUncertain)}
				}
			}
		default:
			failAll(in.group, fmt.Errorf("%w (entry was skipped)", ErrUncertain))
		}
		n.stages.done(in.fut.Index(), in.first, in.handed, time.Now().UnixNano())
	}
}

// encodeGroup packs a group into one Raft entry.
func encodeGroup(group []*proposal) []byte {
	if len(group) == 1 {
		return group[0].data
	}
	entries := make([][]byte, len(group))
	for i, p := range group {
		entries[i] = p.data
	}
	return fsm.EncodeBatch(entries)
}

func failAll(group []*proposal, err error) {
	for _, p := range group {
		p.done <- outcome{err: err}
	}
}

// applyError classifies a failed Raft apply: refused before it was appended
// (certainly not applied) or lost after (outcome unknown).
func applyError(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrEnqueueTimeout):
		return ErrNoLeader
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrShutdown
	case IsLogWriteError(err):
		return err // not appended: certainly not applied
	default:
		return fmt.Errorf("%w (%v)", ErrUncertain, err)
	}
}

// Apply proposes an entry and returns the FSM's result once it is committed
// and applied.
func (n *Node) Apply(data []byte) (*fsm.Result, error) { return n.ApplyChecked(data, nil) }

// ApplyChecked is Apply with a precondition evaluated when every earlier
// entry has been applied and none can come in between (see proposal.check);
// it returns ErrCheckFailed when check says no.
func (n *Node) ApplyChecked(data []byte, check func() bool) (*fsm.Result, error) {
	p := proposals.Get().(*proposal)
	p.data, p.check = data, check
	res, answered, err := n.propose(p)
	if answered {
		// Nothing will send on p.done again; it can serve another write.
		p.data, p.check = nil, nil
		proposals.Put(p)
	}
	return res, err
}

// ApplyPrepared proposes the entry prepare makes when every earlier entry
// has been applied and none can come in between, and returns the FSM's
// result once it is applied. When prepare makes no entry it returns
// (nil, nil): nothing was proposed.
func (n *Node) ApplyPrepared(prepare func(sp *fsm.Speculation) []byte) (*fsm.Result, error) {
	return n.SubmitPrepared(prepare).Wait()
}

// Prepared is a prepared proposal handed to the proposer.
type Prepared struct {
	n     *Node
	p     *proposal
	timer *time.Timer
	err   error // refused before it was handed over
}

// Pending is a write handed over whose outcome is still to come.
type Pending interface {
	Wait() (*fsm.Result, error)
}

// SubmitPrepared hands a prepared proposal to the proposer and returns
// without waiting for it: a connection's pipelined scripts are submitted in
// order, prepared together, and waited for in order.
func (n *Node) SubmitPrepared(prepare func(sp *fsm.Speculation) []byte) Pending {
	p := proposals.Get().(*proposal)
	p.prepare = prepare
	pp := &Prepared{n: n, p: p}
	pp.timer, pp.err = n.submit(p)
	if pp.err != nil {
		p.prepare = nil
		proposals.Put(p)
		pp.p = nil
	}
	return pp
}

// Wait returns the outcome, as ApplyPrepared does.
func (pp *Prepared) Wait() (*fsm.Result, error) {
	if pp.p == nil {
		return nil, pp.err
	}
	res, answered, err := pp.n.await(pp.p, pp.timer)
	if answered {
		pp.p.data, pp.p.prepare = nil, nil
		pp.p.prepared.Store(0)
		proposals.Put(pp.p)
	}
	pp.p = nil
	if errors.Is(err, errNothingToPropose) {
		return nil, nil
	}
	return res, err
}

// Pools for the per-write proposal and timer: the write path allocates
// per request, and these were a good part of it.
var (
	proposals = sync.Pool{New: func() any { return &proposal{done: make(chan outcome, 1)} }}
	timers    = sync.Pool{New: func() any {
		t := time.NewTimer(time.Hour)
		t.Stop()
		return t
	}}
)

// propose hands p to the proposer and waits for its outcome; answered tells
// whether the outcome was received (p.done is then empty and unused).
func (n *Node) propose(p *proposal) (res *fsm.Result, answered bool, err error) {
	timer, err := n.submit(p)
	if err != nil {
		return nil, true, err
	}
	return n.await(p, timer)
}

// submit hands p to the proposer; the timer it returns bounds the whole
// wait and goes back to its pool in await.
func (n *Node) submit(p *proposal) (*time.Timer, error) {
	if n.raft.State() != raft.Leader {
		return nil, ErrNoLeader
	}
	timer := timers.Get().(*time.Timer)
	timer.Reset(n.opts.ApplyTimeout)
	var err error
	select {
	case n.proposals <- p:
		return timer, nil
	case <-n.stop:
		err = ErrShutdown
	case <-timer.C:
		err = ErrNoLeader // never handed to Raft
	}
	timer.Stop()
	timers.Put(timer)
	return nil, err
}

// leaderWaitFactor and minLeaderWait bound how long a proposal waits for
// its commit while its node stays leader: 12 ApplyTimeouts, at least a
// minute.
const (
	leaderWaitFactor = 12
	minLeaderWait    = time.Minute
)

// await waits for the outcome of a submitted proposal.
func (n *Node) await(p *proposal, timer *time.Timer) (res *fsm.Result, answered bool, err error) {
	defer func() {
		timer.Stop()
		timers.Put(timer)
	}()
	// A node that is still leader is still committing: an entry of a
	// million commands (one script's effects) can take longer than
	// ApplyTimeout to store and apply, and its client should get its reply,
	// not an uncertain outcome. A leader cut off from its quorum steps down
	// within its lease, which ends the wait; leaderWait only bounds a
	// stalled disk.
	leaderWait := max(leaderWaitFactor*n.opts.ApplyTimeout, minLeaderWait)
	start := time.Now()
	for {
		select {
		case o := <-p.done:
			return o.res, true, o.err
		case <-timer.C:
			if p.preparing.Load() {
				timer.Reset(n.opts.ApplyTimeout)
				continue
			}
			if end := p.prepared.Load(); end != 0 {
				if left := n.opts.ApplyTimeout - time.Since(time.Unix(0, end)); left > 0 {
					timer.Reset(left)
					continue
				}
			}
			if end := p.prepared.Load(); end != 0 {
				if made := time.Unix(0, end); made.After(start) {
					start = made // the wait for the commit starts when the entry exists
				}
			}
			if n.raft.State() == raft.Leader && time.Since(start) < leaderWait {
				timer.Reset(n.opts.ApplyTimeout)
				continue
			}
			return nil, false, fmt.Errorf("%w (no commit within %v)", ErrUncertain, time.Since(start).Round(time.Second))
		case <-n.closed:
			// The proposer and responder are gone, having answered all
			// they had: p, still queued, was never proposed.
			select {
			case o := <-p.done:
				return o.res, true, o.err
			default:
				return nil, false, ErrShutdown
			}
		}
	}
}
