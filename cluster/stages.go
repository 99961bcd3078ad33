package cluster

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Where a write's time goes, on the node that proposed it. Every group the
// proposer hands to Raft passes six stages, timed per group and summed:
//
//	queue   its first proposal reached the proposer → handed to Raft
//	        (waiting for the group before it to be stored or applied)
//	raft    handed to Raft → Raft's leader loop starts writing it to the log
//	store   the local log write and its fsync
//	commit  stored here → the FSM starts applying it (a quorum's fsyncs,
//	        on a cluster; Raft's hand-off to the FSM)
//	apply   the FSM batch that carried it (dataset and AOF)
//	reply   applied → the proposer's side has the results and has handed
//	        them to the waiting connections
//
// The timestamps of the middle stages are taken where they happen (the log
// store, the FSM) and kept by log index in a small ring, so the responder
// can put one group's stages together once its future resolves. A group
// whose slot was overwritten meanwhile (more than stageRing entries in
// flight) is not counted. Time is read once or twice per group, not per
// command.
const stageRing = 1024

type stageClock struct {
	storeStart, storeEnd, applyStart, applyEnd [stageRing]atomic.Int64
	index                                      [stageRing]atomic.Uint64

	groups                                   atomic.Int64
	queue, raft, store, commit, apply, reply atomic.Int64 // nanoseconds
}

func stageSlot(index uint64) int { return int(index % stageRing) }

// stored notes a log write of logs between start and end.
func (c *stageClock) stored(logs []*raft.Log, start, end int64) {
	for _, l := range logs {
		i := stageSlot(l.Index)
		c.index[i].Store(l.Index)
		c.storeStart[i].Store(start)
		c.storeEnd[i].Store(end)
		c.applyStart[i].Store(0)
	}
}

// applying and applied note an FSM batch's start and end.
func (c *stageClock) applying(logs []*raft.Log, t int64) {
	for _, l := range logs {
		c.applyStart[stageSlot(l.Index)].Store(t)
	}
}

func (c *stageClock) applied(logs []*raft.Log, t int64) {
	for _, l := range logs {
		c.applyEnd[stageSlot(l.Index)].Store(t)
	}
}

// done adds up a group that took its first proposal at first, was handed
// to Raft at handed, got log index index, and was answered at now.
func (c *stageClock) done(index uint64, first, handed, now int64) {
	i := stageSlot(index)
	if c.index[i].Load() != index {
		return
	}
	ss, se, as, ae := c.storeStart[i].Load(), c.storeEnd[i].Load(), c.applyStart[i].Load(), c.applyEnd[i].Load()
	if first == 0 || ss < handed || as < se || ae < as || now < ae {
		return // a stage not seen (e.g. the entry was stored by an earlier leader)
	}
	c.groups.Add(1)
	c.queue.Add(handed - first)
	c.raft.Add(ss - handed)
	c.store.Add(se - ss)
	c.commit.Add(as - se)
	c.apply.Add(ae - as)
	c.reply.Add(now - ae)
}

// WriteStages is the time the groups this node proposed spent in each
// stage, summed since start (see stageClock).
type WriteStages struct {
	Groups                                   int64
	Queue, Raft, Store, Commit, Apply, Reply time.Duration
}

// Stages lists the stages by name, in order.
func (w WriteStages) Stages() []StageTime {
	return []StageTime{{"queue", w.Queue}, {"raft", w.Raft}, {"store", w.Store},
		{"commit", w.Commit}, {"apply", w.Apply}, {"reply", w.Reply}}
}

// StageTime is one stage's summed time.
type StageTime struct {
	Name string
	Time time.Duration
}

// WriteStages reports where proposed writes spent their time.
func (n *Node) WriteStages() WriteStages {
	c := &n.stages
	return WriteStages{Groups: c.groups.Load(), Queue: time.Duration(c.queue.Load()), Raft: time.Duration(c.raft.Load()),
		Store: time.Duration(c.store.Load()), Commit: time.Duration(c.commit.Load()), Apply: time.Duration(c.apply.Load()),
		Reply: time.Duration(c.reply.Load())}
}

// stageStats adds the stages to Stats: write_stage_groups and, per stage,
// write_stage_<name>_usec (summed microseconds; divide by the groups).
func (n *Node) stageStats(st map[string]string) {
	w := n.WriteStages()
	st["write_stage_groups"] = strconv.FormatInt(w.Groups, 10)
	for _, s := range w.Stages() {
		st["write_stage_"+s.Name+"_usec"] = strconv.FormatInt(s.Time.Microseconds(), 10)
	}
}
