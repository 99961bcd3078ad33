package cluster

import (
	"runtime"
	"strings"

	"github.com/hashicorp/raft"
)

// A leader asks its log for the entry before the ones it sends each
// follower, for that entry's term (raft's setPreviousLog), and it sends an
// AppendEntries every CommitTimeout (commitTimeout to twice that) even with
// nothing new. So while a big entry is the last in the log, every
// follower's replication goroutine read it back from the log store dozens
// of times a second:
// a 100 MB SET on a 3-node leader allocated about 2 GB a second for as long
// as no other write came (heap profile: os.ReadFile under walStore.GetLog
// under setPreviousLog), peaked at 6x the value and starved the node of
// CPU. That caller reads only the index and the term, so it gets them from
// uncachedBig.terms, which costs nothing to keep; so do a follower's term
// checks.

// termOnlyCallers are raft's callers of GetLog that read no more than the
// entry's index and term (raft 1.7): the leader's previous-entry lookup,
// and a follower's checks of the previous entry and of entries it already
// holds (a resent big entry was read back whole just to compare terms).
var termOnlyCallers = map[string]bool{
	"github.com/hashicorp/raft.(*Raft).setPreviousLog": true,
	"github.com/hashicorp/raft.(*Raft).appendEntries":  true,
}

const ourPkg = "github.com/geomys/geomys/cluster."

// maxBigTerms bounds uncachedBig.terms; a missing term only costs a read.
const maxBigTerms = 1024

// wantsTermOnly tells whether GetLog was called by one of termOnlyCallers
// directly: the first frame outside this package (our wrappers of the log
// store) must be it, so an apply that one of them calls (appendEntries
// calls processLogs) still gets the data.
func wantsTermOnly() bool {
	var pcs [8]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, ourPkg) {
			return termOnlyCallers[f.Function]
		}
		if !more {
			return false
		}
	}
}

// noteTerms remembers the terms of the entries just stored that are big
// enough to travel as blobs.
func (u *uncachedBig) noteTerms(logs []*raft.Log) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, l := range logs {
		if isBig(l) {
			u.noteTermLocked(l.Index, l.Term)
		}
	}
}

// noteTermLocked remembers a big entry's term. Raft never changes the
// term at an index without deleting it first (DeleteRange) or storing
// over it (StoreLogs), and both forget it.
func (u *uncachedBig) noteTermLocked(index, term uint64) {
	if u.terms == nil {
		u.terms = map[uint64]uint64{}
	}
	if len(u.terms) >= maxBigTerms {
		u.terms = map[uint64]uint64{}
	}
	u.terms[index] = term
}

// forgetTermsLocked drops the terms of indexes in [min, max].
func (u *uncachedBig) forgetTermsLocked(min, max uint64) {
	for i := range u.terms {
		if i >= min && i <= max {
			delete(u.terms, i)
		}
	}
}

// holds tells whether the log holds the big entry of this index and term
// (stored, not deleted since).
func (u *uncachedBig) holds(index, term uint64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.terms[index]
	return ok && t == term
}

// termOf returns a big entry's term when the caller wants no more.
func (u *uncachedBig) termOf(index uint64) (uint64, bool) {
	u.mu.Lock()
	term, ok := u.terms[index]
	u.mu.Unlock()
	return term, ok && wantsTermOnly()
}
