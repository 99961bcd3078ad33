package server

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
)

// A transaction begun on a follower (WATCH or MULTI) runs on the leader, on
// a connection reserved for the client until the transaction ends: WATCH is
// only exact where writes are ordered, and EXEC must find its queue there.

// startPin reserves a leader connection for cl and relays args on it.
func (s *Server) startPin(cl *Client, cmd *commands.Command, args [][]byte) {
	s.flushWrites(cl)
	u, here := s.leaderConnWait(cl)
	if here {
		s.serverCommand(cl, cmd, args)
		return
	}
	if u == nil {
		cl.out.Error(errNoLeader)
		return
	}
	cl.pin = &pinned{u: u, selected: -1}
	s.relayPinned(cl, cmd, args)
}

// relayPinned sends one command on the client's reserved connection and
// follows the transaction's state from the replies.
func (s *Server) relayPinned(cl *Client, cmd *commands.Command, args [][]byte) {
	p := cl.pin
	name := strings.ToLower(string(args[0]))
	switch name {
	case "quit":
		s.unpin(cl)
		cl.out.OK()
		cl.closing = true
		return
	case "reset":
		// Dropping the reserved connection resets the leader's side; the
		// rest (protocol, db, name) is this node's to reset.
		s.unpin(cl)
		s.serverCommand(cl, cmd, args)
		return
	}
	abort := name == "exec" && p.multi && p.aborted
	if !p.multi {
		// Tracking may have changed since the link was reserved; inside
		// MULTI the leader would queue the declaration with the commands.
		p.u.SetOrigin(s.linkOrigin(cl))
	}
	if abort {
		p.u.Queue([][]byte{[]byte("DISCARD")}) // empties the leader's queue
	} else {
		p.u.Queue(args)
	}
	var reply []byte
	var err error
	if cmd != nil && cmd.Is(commands.Blocking) && !p.multi {
		// Parked on the leader for as long as the command's own timeout.
		p.u.SetDeadline(time.Time{})
		if err = p.u.Flush(); err == nil {
			var gone bool
			reply, gone, err = s.parkedRead(cl, p.u, func() ([]byte, error) { return p.u.ReadReply(cl.fwdBuf[:0]) })
			if gone {
				s.unpin(cl)
				return
			}
		}
	} else {
		p.u.SetDeadline(time.Now().Add(s.cfg.RequestTimeout + time.Second))
		reply, err = p.u.FlushRead(cl.fwdBuf[:0])
	}
	if err != nil {
		s.breakPin(cl, name)
		return
	}
	cl.fwdBuf = reply
	if abort {
		cl.out.Error(errExecAbort)
		s.unpin(cl)
		return
	}
	cl.out.Raw(reply)
	ok := bytes.Equal(reply, okReply)
	switch name {
	case "watch":
		p.watching = p.watching || ok
	case "unwatch":
		p.watching = false
	case "multi":
		p.multi = p.multi || ok
	case "select":
		if len(args) != 2 {
			break
		}
		if db, err := strconv.Atoi(string(args[1])); err == nil {
			if p.multi && bytes.Equal(reply, []byte("+QUEUED\r\n")) {
				p.selected = db
			} else if !p.multi && ok {
				cl.setDB(db)
				p.u.SetDB(db)
			}
		}
	case "exec", "discard":
		if !p.multi {
			break // an error reply: WATCH, if any, still holds
		}
		if name == "exec" && p.selected >= 0 && len(reply) > 0 && (reply[0] == '*' || reply[0] == '>') {
			cl.setDB(p.selected)
		}
		p.multi, p.watching = false, false
	}
	if !p.multi && !p.watching {
		s.unpin(cl)
	}
}

// breakPin handles a reserved connection that failed: the leader forgot the
// client's transaction with it, so the client's next EXEC must not succeed.
// The transaction continues locally, already doomed, and EXEC reports it.
func (s *Server) breakPin(cl *Client, name string) {
	p := cl.pin
	s.unpin(cl)
	switch {
	case name == "exec" && p.multi:
		cl.out.Error(errLeaderLost) // it may have committed
		return
	case (name == "discard" || name == "reset") && p.multi:
		cl.out.OK() // the leader dropped the transaction: discarded either way
		return
	}
	cl.out.Error(errLeaderLostRead)
	if p.multi {
		cl.tx.active, cl.tx.aborted = true, true
	} else if p.watching && name != "unwatch" {
		// Nothing can vouch for the watched keys any more: EXEC aborts.
		cl.tx.watched = append(cl.tx.watched, watchedKey{})
		cl.tx.dirty.Store(true)
	}
}

func (s *Server) unpin(cl *Client) {
	if cl.pin != nil {
		cl.pin.u.Close() // the leader drops WATCH/MULTI state with the connection
		cl.pin = nil
	}
}
