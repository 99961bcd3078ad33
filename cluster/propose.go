package cluster

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/raft"
)

// Group commit above Raft: entries from concurrent connections that arrive
// while earlier ones are being committed are packed into one Raft log entry,
// so Raft's per-entry work (encoding, log-store insert, futures) is paid once
// per group instead of once per connection. At most maxInFlight groups are
// committing at a time; everything arriving meanwhile forms the next group.
const (
	// maxInFlight must stay 1: ApplyChecked relies on "holding the slot"
	// meaning "everything proposed before is applied". It is also the fastest
	// setting measured (groups form while one commits).
	maxInFlight   = 1
	maxGroupCount = 256
	maxGroupBytes = 2 << 20
)

type proposal struct {
	data []byte
	done chan outcome // buffered: the responder never blocks on a gone waiter
	// check, if set, decides at the last moment whether the entry may be
	// proposed at all: it runs when every earlier entry has been applied and
	// this one heads the next Raft entry, so nothing can come in between.
	check func() bool
}

// ErrCheckFailed answers ApplyChecked when its check said no; nothing was proposed.
var ErrCheckFailed = errors.New("precondition failed; not proposed")

type outcome struct {
	res *fsm.Result
	err error
}

type inflight struct {
	fut   raft.ApplyFuture
	group []*proposal
}

// proposer forms groups and hands them to Raft; responder delivers results.
func (n *Node) proposer() {
	defer n.wg.Done()
	defer close(n.committing)
	slots := n.slots
	var group []*proposal
	var carry *proposal              // a checked proposal that must head the next group
	take := func(p *proposal) bool { // false: p waits for the next group
		if p.check != nil && len(group) > 0 {
			carry = p
			return false
		}
		group = append(group, p)
		return true
	}
	for {
		if carry != nil {
			group, carry = []*proposal{carry}, nil
		}
		if len(group) == 0 {
			select {
			case <-n.stop:
				return
			case p := <-n.proposals:
				group = append(group, p)
			}
		}
		// Wait for a free slot, gathering whatever arrives meanwhile.
		size := len(group[0].data)
	wait:
		for carry == nil {
			select {
			case <-n.stop:
				failAll(group, ErrShutdown)
				return
			case slots <- struct{}{}:
				break wait
			case p := <-n.proposals:
				if take(p) {
					size += len(p.data)
				}
				if carry == nil && len(group) < maxGroupCount && size < maxGroupBytes {
					continue
				}
				select {
				case slots <- struct{}{}:
				case <-n.stop:
					failAll(group, ErrShutdown)
					return
				}
				break wait
			}
		}
		if p := group[0]; p.check != nil && !p.check() {
			// We hold the only slot, so every earlier entry is applied, and
			// the precondition fails: answer without proposing.
			p.done <- outcome{err: ErrCheckFailed}
			group = group[1:]
			if len(group) == 0 {
				<-slots
				continue
			}
		}
		// Take what is already queued too, within the limits.
	drain:
		for carry == nil && len(group) < maxGroupCount && size < maxGroupBytes {
			select {
			case p := <-n.proposals:
				if take(p) {
					size += len(p.data)
				}
			default:
				break drain
			}
		}
		data := encodeGroup(group)
		n.groups.Add(1)
		n.grouped.Add(int64(len(group)))
		fut := n.raft.Apply(data, n.opts.ApplyTimeout)
		select {
		case n.committing <- inflight{fut: fut, group: group}:
		case <-n.stop:
			failAll(group, ErrShutdown)
			return
		}
		group = nil
	}
}

// responder waits for each group's future in order and answers its members.
func (n *Node) responder() {
	defer n.wg.Done()
	for in := range n.committing {
		err := in.fut.Error()
		<-n.slots
		if err != nil {
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
	if n.raft.State() != raft.Leader {
		return nil, true, ErrNoLeader
	}
	timer := timers.Get().(*time.Timer)
	timer.Reset(n.opts.ApplyTimeout)
	defer func() {
		timer.Stop()
		timers.Put(timer)
	}()
	select {
	case n.proposals <- p:
	case <-n.stop:
		return nil, true, ErrShutdown
	case <-timer.C:
		return nil, true, ErrNoLeader // never handed to Raft
	}
	select {
	case o := <-p.done:
		return o.res, true, o.err
	case <-timer.C:
		return nil, false, fmt.Errorf("%w (no commit within %v)", ErrUncertain, n.opts.ApplyTimeout)
	}
}
