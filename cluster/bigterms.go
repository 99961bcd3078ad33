package cluster

import (
	"runtime"
)

// A leader asks its log for the entry before the ones it sends each
// follower, for that entry's term (raft's setPreviousLog), and it sends an
// AppendEntries every CommitTimeout (50-100 ms) even with nothing new. So
// while a big entry is the last in the log, every follower's replication
// goroutine read it back from the log store ten or twenty times a second:
// a 100 MB SET on a 3-node leader allocated about 2 GB a second for as long
// as no other write came (heap profile: os.ReadFile under walStore.GetLog
// under setPreviousLog), peaked at 6x the value and starved the node of
// CPU. That caller reads only the index and the term, so it gets them from
// bigTerms, which costs nothing to keep.

// raftPrevLogCaller is the one caller of GetLog that reads no more than
// the entry's index and term (raft 1.7 replication.go).
const raftPrevLogCaller = "github.com/hashicorp/raft.(*Raft).setPreviousLog"

// maxBigTerms bounds bigTerms; a missing term only costs a read.
const maxBigTerms = 1024

// wantsTermOnly tells whether GetLog was called by raft's setPreviousLog
// (through our wrappers: a few frames up).
func wantsTermOnly() bool {
	var pcs [8]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == raftPrevLogCaller {
			return true
		}
		if !more {
			return false
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

// termOf returns a big entry's term when the caller wants no more.
func (u *uncachedBig) termOf(index uint64) (uint64, bool) {
	u.mu.Lock()
	term, ok := u.terms[index]
	u.mu.Unlock()
	return term, ok && wantsTermOnly()
}
