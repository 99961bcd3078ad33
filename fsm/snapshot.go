package fsm

import (
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/aof"
	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// snapshotChunk is how many keys are dumped per lock hold: small enough that
// writes wait microseconds, not the length of the whole dump.
const snapshotChunk = 256

type snapshot struct {
	f       *FSM
	sn      *commands.Snapshot
	rw      *aof.Rewrite
	index   uint64
	time    int64
	members map[string]Member
	scripts map[string]string
	// libraries are written as FUNCTION LOAD, which redis-server loads too.
	libraries map[string]string
	users     *acl.Users // nil unless the log changed the ACL
	master    *Master    // REPLICAOF's
	started   time.Time
	ended     bool
	settled   bool // Persist committed or aborted the rewrite
}

// Persist writes one dump to both the Raft snapshot sink and the new AOF base.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	s.settled = true
	err := s.persist(sink)
	s.end()
	if err != nil {
		s.rw.Abort()
		sink.Cancel()
		s.f.lastRewriteOK.Store(false)
		s.f.rewriting.Store(false)
		return err
	}
	if err := s.rw.Commit(); err != nil {
		sink.Cancel()
		s.f.lastRewriteOK.Store(false)
		s.f.rewriting.Store(false)
		return fmt.Errorf("commit aof rewrite: %w", err)
	}
	s.f.dirty.Store(0)
	s.f.lastRewrite.Store(time.Now().Unix())
	s.f.lastRewriteOK.Store(true)
	s.f.rewriting.Store(false)
	s.f.snapshots.Observe(time.Since(s.started))
	s.f.lastRewriteNs.Store(int64(time.Since(s.started)))
	s.f.log.Info("snapshot and AOF rewrite done", "index", s.index, "seconds", time.Since(s.started).Seconds())
	return sink.Close()
}

func (s *snapshot) persist(sink raft.SnapshotSink) error {
	var buf []byte
	for more := true; more; {
		s.f.mu.Lock()
		clear(s.sn.Refs) // written: they must not keep deleted values alive
		s.sn.Refs = s.sn.Refs[:0]
		buf, more = s.sn.Next(buf[:0], snapshotChunk)
		s.f.mu.Unlock()
		runtime.Gosched()
		if !more {
			buf = appendFunctionLoads(buf, s.libraries)
			buf = appendMemberNotes(buf, s.members)
			buf = appendScriptNotes(buf, s.scripts)
			buf = appendReplicaNote(buf, s.master)
			if s.users != nil {
				buf = append(buf, '#')
				buf = append(buf, aclAnnotation(s.users)...)
				buf = append(buf, '\r', '\n')
			}
			buf = append(buf, '#')
			buf = append(buf, markerPrefix...)
			buf = strconv.AppendUint(buf, s.index, 10)
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, s.time, 10)
			buf = append(buf, '\r', '\n')
		}
		for _, part := range commands.Parts(buf, s.sn.Refs) {
			if _, err := sink.Write(part); err != nil {
				return fmt.Errorf("write snapshot: %w", err)
			}
			if _, err := s.rw.Write(part); err != nil {
				return fmt.Errorf("write aof base: %w", err)
			}
		}
	}
	clear(s.sn.Refs)
	return nil
}

func (s *snapshot) end() {
	s.f.mu.Lock()
	if !s.ended {
		s.sn.End()
		s.ended = true
	}
	s.f.mu.Unlock()
}

// Release implements raft.FSMSnapshot. Raft calls it even when it never got
// to Persist (e.g. the snapshot store failed), so the rewrite is abandoned here.
func (s *snapshot) Release() {
	s.end()
	if !s.settled {
		s.settled = true
		s.rw.Abort()
		s.f.rewriting.Store(false)
	}
}
