package server

import (
	"strconv"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// txState is a connection's MULTI/WATCH state. A transaction is queued here
// and proposed at EXEC as one log entry, so every node applies it at once.
type txState struct {
	active  bool
	aborted bool // a command failed to queue: EXEC answers EXECABORT
	queued  []queuedCmd
	watched []watchedKey
}

type queuedCmd struct {
	cmd  *commands.Command
	args [][]byte
}

// watchedKey is what the client saw at WATCH: the key's digest then. EXEC
// carries it and the FSM aborts if the key's digest differs at that point of
// the log. (A key changed and then restored to the identical value and TTL
// in between is not detected.)
type watchedKey struct {
	db     int
	key    string
	digest uint64
}

// queueInMulti queues cmd when the client is inside MULTI; it reports whether
// the command was handled (queued or refused) here.
func (s *Server) queueInMulti(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if !cl.tx.active {
		return false
	}
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return false
	}
	s.flushWrites(cl)
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	cl.tx.queued = append(cl.tx.queued, queuedCmd{cmd: cmd, args: cp})
	cl.out.Simple("QUEUED")
	return true
}

// txQueueError is called when a command inside MULTI could not be queued.
func (cl *Client) txQueueError() {
	if cl.tx.active {
		cl.tx.aborted = true
	}
}

func (cl *Client) resetTx() { cl.tx = txState{} }

func multiCommand(s *Server, cl *Client, args [][]byte) {
	if cl.tx.active {
		cl.out.Error("ERR MULTI calls can not be nested")
		return
	}
	cl.tx.active = true
	cl.out.OK()
}

func discardCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.tx.active {
		cl.out.Error("ERR DISCARD without MULTI")
		return
	}
	cl.resetTx()
	cl.out.OK()
}

func watchCommand(s *Server, cl *Client, args [][]byte) {
	if cl.tx.active {
		cl.out.Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	if err := s.node.ReadReady(s.ctx()); err != nil {
		cl.out.Error(clusterError(err))
		return
	}
	now := time.Now().UnixMilli()
	st := s.fsm.RLock()
	for _, k := range args[1:] {
		cl.tx.watched = append(cl.tx.watched, watchedKey{db: cl.db, key: string(k),
			digest: commands.KeyDigest(st.DBs[cl.db], string(k), now)})
	}
	s.fsm.RUnlock()
	cl.out.OK()
}

func unwatchCommand(s *Server, cl *Client, args [][]byte) {
	cl.tx.watched = nil
	cl.out.OK()
}

// execCommand builds the transaction's entry: a ".multi" header carrying the
// command count and the watched digests, then the commands. Commands the
// server runs itself (PING, SELECT, ...) are run now, in order, and their
// replies travel in the entry so the EXEC reply keeps Redis' order.
func execCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.tx.active {
		cl.out.Error("ERR EXEC without MULTI")
		return
	}
	tx := cl.tx
	cl.resetTx()
	if tx.aborted {
		cl.out.Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	header := [][]byte{[]byte(fsm.MultiCommand), []byte(strconv.Itoa(len(tx.queued)))}
	for _, w := range tx.watched {
		header = append(header, []byte(strconv.Itoa(w.db)), []byte(w.key), []byte(strconv.FormatUint(w.digest, 10)))
	}
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	w.Add(cl.db, cl.proto, header)
	saved := cl.out
	for _, q := range tx.queued {
		if !q.cmd.Is(commands.Server) {
			w.Add(cl.db, cl.proto, q.args)
			continue
		}
		cl.out = commands.Reply{Proto: cl.proto}
		s.serverCommand(cl, q.cmd, q.args)
		w.Add(cl.db, cl.proto, [][]byte{[]byte(fsm.ReplyCommand), cl.out.Bytes()})
	}
	cl.out = saved
	res, err := s.node.Apply(w.Bytes())
	if err != nil {
		cl.out.Error(clusterError(err))
		return
	}
	cl.out.Raw(res.Reply)
}
