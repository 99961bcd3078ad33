package cluster

import (
	"errors"
	"fmt"
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
	maxInFlight   = 1
	maxGroupCount = 256
	maxGroupBytes = 2 << 20
)

type proposal struct {
	data []byte
	done chan outcome // buffered: the responder never blocks on a gone waiter
}

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
	for {
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
		for {
			select {
			case <-n.stop:
				failAll(group, ErrShutdown)
				return
			case slots <- struct{}{}:
				break wait
			case p := <-n.proposals:
				group = append(group, p)
				size += len(p.data)
				if len(group) >= maxGroupCount || size >= maxGroupBytes {
					select {
					case slots <- struct{}{}:
					case <-n.stop:
						failAll(group, ErrShutdown)
						return
					}
					break wait
				}
			}
		}
		// Take what is already queued too, within the limits.
	drain:
		for len(group) < maxGroupCount && size < maxGroupBytes {
			select {
			case p := <-n.proposals:
				group = append(group, p)
				size += len(p.data)
			default:
				break drain
			}
		}
		data := group[0].data
		if len(group) > 1 {
			entries := make([][]byte, len(group))
			for i, p := range group {
				entries[i] = p.data
			}
			data = fsm.EncodeBatch(entries)
		}
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
func (n *Node) Apply(data []byte) (*fsm.Result, error) {
	if n.raft.State() != raft.Leader {
		return nil, ErrNoLeader
	}
	p := &proposal{data: data, done: make(chan outcome, 1)}
	timer := time.NewTimer(n.opts.ApplyTimeout)
	defer timer.Stop()
	select {
	case n.proposals <- p:
	case <-n.stop:
		return nil, ErrShutdown
	case <-timer.C:
		return nil, ErrNoLeader // never handed to Raft
	}
	select {
	case o := <-p.done:
		return o.res, o.err
	case <-timer.C:
		return nil, fmt.Errorf("%w (no commit within %v)", ErrUncertain, n.opts.ApplyTimeout)
	}
}
