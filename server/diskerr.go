package server

import (
	"errors"
	"strings"
	"syscall"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
)

// Disk errors. Like redis-server with a failing AOF, a node whose AOF or
// Raft log cannot be written refuses write commands (and PING, so that
// health checks notice) with -MISCONF, and serves reads. Writes resume by
// themselves once a retry succeeds (fsm.RetryAOF, the cluster's reserve):
// nothing acknowledged was lost meanwhile, since an acknowledged write is in
// the Raft log, and a write the log could not take was answered an error.

// refuseOnDiskError answers cmd -MISCONF while this node's disk fails; it
// reports whether it did.
func (s *Server) refuseOnDiskError(cl *Client, cmd *commands.Command) bool {
	if !cmd.Logged() && cmd.Name != "ping" {
		return false
	}
	msg := s.diskError(cmd.Is(commands.Write) || cmd.Name == "ping")
	if msg == "" {
		return false
	}
	s.flushWrites(cl)
	cl.txQueueError()
	cl.out.Error(msg)
	return true
}

// diskError is the -MISCONF text while a disk write fails ("" if none).
// An AOF error refuses what Redis refuses (write commands); a Raft log
// error also what needs the log (PUBLISH).
func (s *Server) diskError(write bool) string {
	if !s.opened.Load() {
		return ""
	}
	if err := s.node.LogWriteError(); err != nil {
		return commands.ErrRaftLogWrite + strerror(err)
	}
	if write {
		if err := s.fsm.AOFWriteError(); err != nil {
			return commands.ErrAOFWrite + strerror(err)
		}
	}
	return ""
}

// strerror words an I/O error as the C library does (Redis' strerror):
// Go's texts for errno values are the same, in lower case.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		t := errno.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}

// diskErrorReply words a write the Raft log could not take.
func diskErrorReply(err error) (string, bool) {
	if !cluster.IsLogWriteError(err) {
		return "", false
	}
	return commands.ErrRaftLogWrite + strerror(err), true
}
