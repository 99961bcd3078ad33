package server

import (
	"errors"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/proxy"
	"github.com/geomys/geomys/resp"
)

// The follower proxy. A node that does not lead relays what needs the
// leader — writes, linearizable reads, blocking commands and transactions —
// to the leader's RESP port and hands the reply back unchanged, so clients
// need no cluster awareness. A relayed command is sent exactly once: when the
// leader's answer does not come back, the client is told the outcome is
// unknown (UNCERTAIN) rather than the command being sent again.

// route says where a command that needs the leader goes from this node.
type route int

const (
	routeLocal    route = iota // we lead, or this is a proxy link: run it here
	routeForward               // relay to the leader
	routeRedirect              // answer MOVED with the leader's address
)

func (s *Server) leaderRoute(cl *Client) route {
	if cl.proxyLink || s.node.IsLeader() {
		// On a proxy link a non-leader answers TRYAGAIN instead of relaying
		// again: a request never travels in a loop between two followers
		// that each think the other leads.
		return routeLocal
	}
	if _, ok := s.leaderAddr(); !ok && s.awaitLeader(cl) && s.node.IsLeader() {
		return routeLocal
	}
	if s.cfg.FollowerMode == "redirect" {
		return routeRedirect
	}
	return routeForward
}

// fwdCmd is a command waiting to be relayed with the rest of its pipeline.
type fwdCmd struct {
	args  [][]byte
	write bool
	// publish: the reply counts this node's receivers, not the leader's,
	// as it would on a node the publisher is connected to in Redis Cluster.
	publish bool
}

// pinned is a connection to the leader reserved for one client while it is
// inside WATCH/MULTI, where the leader must see all of its commands on one
// connection.
type pinned struct {
	u        *proxy.Conn
	multi    bool // MULTI accepted
	watching bool // WATCH accepted
	selected int  // SELECT queued inside MULTI, applied at EXEC; -1 if none
	// aborted: this node refused a command of the transaction (ACL) that
	// the leader never saw, so EXEC must answer EXECABORT.
	aborted bool
}

func (s *Server) queueForward(cl *Client, args [][]byte, write bool) {
	if cl.entry.Len() > 0 {
		s.flushWrites(cl)
	}
	publish := write && len(args) == 3 && commands.EqualFold(args[0], "publish")
	cl.fwd = append(cl.fwd, fwdCmd{args: args, write: write, publish: publish})
	if len(cl.fwd) >= maxEntryCommands {
		s.flushForward(cl)
	}
}

// The proxy's error replies (proxy.Failure and friends).
const (
	errNoLeader       = proxy.ErrNoLeader
	errLeaderLostRead = proxy.ErrLeaderLostRead
	errLeaderLost     = proxy.ErrLeaderLost
)

// leaderAddr is the leader's client address, unless it is unknown or us.
func (s *Server) leaderAddr() (string, bool) {
	id, addr, ok := s.node.Leader()
	if !ok || id == s.node.ID() {
		return "", false
	}
	return addr, true
}

// leaderConn takes a pooled connection to the leader, switched to the
// client's database; false means nothing could be sent.
func (s *Server) leaderConn(cl *Client) (*proxy.Conn, bool) {
	addr, ok := s.leaderAddr()
	if !ok {
		return nil, false
	}
	u, err := s.upstreams.Get(addr, cl.proto, s.cfg.RequestTimeout)
	if err != nil {
		if errors.Is(err, proxy.ErrRefused) && s.relayRefusedLog.Swap(time.Now().Unix()) < time.Now().Unix()-10 {
			s.log.Error("the leader refuses this node's relays: start every member with the same --cluster-secret", "leader", addr, "err", err)
		}
		return nil, false
	}
	if err := u.Select(cl.db, s.cfg.RequestTimeout); err != nil {
		u.Close()
		return nil, false
	}
	u.SetOrigin(s.linkOrigin(cl))
	return u, true
}

// flushForward relays the queued commands in one round trip and appends the
// leader's replies in order.
func (s *Server) flushForward(cl *Client) {
	batch := cl.fwd
	cl.fwd = cl.fwd[:0]
	if len(batch) == 0 {
		return
	}
	fail := func(from int, sent bool) {
		for _, f := range batch[from:] {
			cl.out.Error(proxy.Failure(f.write, sent))
		}
	}
	u, here := s.leaderConnWait(cl)
	if here {
		s.runHere(cl, batch)
		return
	}
	if u == nil {
		fail(0, false)
		return
	}
	cmds := make([][][]byte, len(batch), len(batch)+1)
	writes := false
	for i, f := range batch {
		cmds[i] = f.args
		writes = writes || f.write
	}
	if writes {
		// Where the leader stands after these writes (catchUp); its reply
		// is ours, not the client's.
		cmds = append(cmds, appliedArgs)
	}
	answered, sent, err := u.Relay(cmds, time.Now().Add(s.cfg.RequestTimeout+time.Second), cl.fwdBuf, func(i int, reply []byte) {
		if i == len(batch) {
			if n, ok := resp.Integer(reply); ok && n > 0 {
				cl.seen = max(cl.seen, uint64(n))
			}
			return
		}
		cl.fwdBuf = reply
		if batch[i].publish && len(reply) > 0 && reply[0] == ':' {
			cl.out.Int(s.pubsub.receivers(batch[i].args[1]))
			return
		}
		cl.out.Raw(reply)
	})
	if cap(cl.fwdBuf) > maxIdleReplyBuffer {
		cl.fwdBuf = nil
	}
	if err != nil {
		u.Close()
		if answered < len(batch) {
			fail(answered, sent)
		}
		return
	}
	s.upstreams.Put(u)
}

var appliedArgs = [][]byte{[]byte("RAFT.APPLIED")}

// catchUp makes a follower's own dataset show the client's relayed writes
// before a command runs on it here (DEBUG, AUTH after ACL SETUSER, a stale
// read): it waits, at most the request timeout, until this node applied
// what the leader had when it answered them. The wait is usually the next
// heartbeat's worth.
func (s *Server) catchUp(cl *Client) {
	if cl.seen == 0 || s.fsm.AppliedIndex() >= cl.seen {
		return
	}
	deadline := time.Now().Add(s.cfg.RequestTimeout)
	for s.fsm.AppliedIndex() < cl.seen && time.Now().Before(deadline) {
		select {
		case <-time.After(200 * time.Microsecond):
		case <-s.done:
			return
		}
	}
	cl.seen = 0
}

// readsReplicatedState tells the server commands that answer from this
// node's copy of replicated state (the dataset, users, libraries, scripts),
// which catchUp brings up to the client's own writes first.
func readsReplicatedState(name string) bool {
	switch name {
	case "acl", "auth", "hello", "info", "function", "script", "migrate", "sync", "psync",
		"save", "bgsave", "bgrewriteaof", "debug":
		return true
	}
	return false
}

// raftAppliedCommand is RAFT.APPLIED: the index of the last entry applied here.
func raftAppliedCommand(s *Server, cl *Client, args [][]byte) {
	cl.out.Int(int64(s.fsm.AppliedIndex()))
}

var okReply = []byte("+OK\r\n")

// redirect answers like a Redis Cluster node whose slot lives elsewhere.
func (s *Server) redirect(cl *Client) {
	addr, ok := s.leaderAddr()
	if !ok {
		cl.out.Error(errNoLeader)
		return
	}
	cl.out.Error("MOVED 0 " + addr)
}

// forwardOne relays a single command now (admin commands, blocking ones).
func (s *Server) forwardOne(cl *Client, args [][]byte) {
	s.flushWrites(cl)
	cl.fwd = append(cl.fwd, fwdCmd{args: args, write: true})
	s.flushForward(cl)
}

// forwardBlocking relays BLPOP and friends. The leader parks the command;
// the reply may take as long as the command's timeout, and if our client
// goes away the link is closed so the leader stops waiting too.
func (s *Server) forwardBlocking(cl *Client, cmd *commands.Command, args [][]byte) {
	timeout, errMsg := commands.BlockTimeout(cmd, args)
	if errMsg != "" {
		cl.out.Error(errMsg)
		return
	}
	u, here := s.leaderConnWait(cl)
	if here {
		s.blockingCommand(cl, cmd, args)
		return
	}
	if u == nil {
		cl.out.Error(errNoLeader)
		return
	}
	u.Queue(args)
	if timeout > 0 {
		u.SetDeadline(time.Now().Add(time.Duration(timeout)*time.Millisecond + s.cfg.RequestTimeout + time.Second))
	}
	if err := u.Flush(); err != nil {
		u.Close()
		cl.out.Error(errLeaderLost)
		return
	}
	s.relayBlocked.Add(1)
	cl.relayParked.Store(u)
	reply, gone, err := s.parkedRead(cl, u, func() ([]byte, error) { return u.ReadReply(cl.fwdBuf[:0]) })
	cl.relayParked.Store(nil)
	s.relayBlocked.Add(-1)
	if gone {
		return
	}
	if err != nil {
		u.Close()
		cl.out.Error(errLeaderLost)
		return
	}
	cl.out.Raw(reply)
	cl.fwdBuf = reply
	u.SetDeadline(time.Time{})
	s.upstreams.Put(u)
}

// parkedRead waits for the reply of a command the leader may park for long
// (a blocking pop). If our client goes away meanwhile, or the server stops,
// the link is closed so the leader stops waiting too; gone reports that the
// client left, and then nothing is to be written to it.
func (s *Server) parkedRead(cl *Client, u *proxy.Conn, read func() ([]byte, error)) (reply []byte, gone bool, err error) {
	s.flushOut(cl) // earlier replies of the pipeline go out before we park
	closed, stopWatch := s.watchClose(cl)
	finished := make(chan struct{})
	watcher := make(chan struct{})
	go func() { // owned here: ends when the reply arrives or the link is cut
		defer close(watcher)
		select {
		case <-closed:
			u.Close()
		case <-s.done:
			u.Close()
		case <-finished:
		}
	}()
	cl.blocked.Store(true)
	reply, err = read()
	cl.blocked.Store(false)
	close(finished)
	<-watcher
	stopWatch()
	select {
	case <-closed:
		cl.closing = true
		u.Close()
		return nil, true, err
	default:
	}
	return reply, false, err
}
