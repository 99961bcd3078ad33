package server

import (
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// expireMet has the keys a pipeline's reads found past their TTL deleted
// through the log, normally before the replies go out, as Redis deletes a key a
// command finds expired (lazy expiry): a DBSIZE after a GET of an expired
// key no longer counts it, even with the active expiry cycle off (DEBUG
// SET-ACTIVE-EXPIRE 0). Only the leader proposes; the entry re-checks each
// key at its own time, so a key given a new TTL meanwhile stays. During a
// CLIENT PAUSE (WRITE or ALL) nothing expires, as in Redis: the keys go
// when the pause ends. The entry names cl as its origin: like a write of
// its own, the invalidations a tracking reader gets for the keys its read
// expired follow its replies, as Redis sends them after the command.
func (s *Server) expireMet(cl *Client, keys []commands.ReadyKey) {
	if !s.node.IsLeader() || s.node.LogWriteError() != nil || s.pause.writesPaused() {
		return
	}
	byDB := map[int][][]byte{}
	for _, k := range keys {
		if byDB[k.DB] == nil {
			byDB[k.DB] = [][]byte{[]byte(fsm.ExpireCommand)}
		}
		byDB[k.DB] = append(byDB[k.DB], []byte(k.Key))
	}
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	for db, args := range byDB {
		w.Add(db, 2, args)
	}
	data := s.stampOrigin(cl, w.Bytes())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := s.node.Apply(data); err != nil {
			s.log.Debug("lazy expiry not proposed", "err", err)
		}
	}()
	// Normally the entry commits in well under a millisecond or two; a
	// leader that cannot reach a quorum (or write its log) must not hold
	// the replies for its whole request timeout, so past a short wait the
	// deletion lands whenever it commits.
	select {
	case <-done:
	case <-time.After(lazyExpireWait):
	}
}

// lazyExpireWait bounds how long replies wait for a lazy expiry to commit.
const lazyExpireWait = 200 * time.Millisecond
