package server

import (
	"strconv"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// REPLICAOF / SLAVEOF make this Geomys cluster a replica of a Redis master
// (a live migration into Geomys): the master's address goes through the log
// (fsm/replicaof.go), so every node refuses client writes with Redis'
// READONLY error, as a redis-server with replica-read-only yes does, and
// the leader runs the link that loads the master's data and stream
// (replicaof_link.go). REPLICAOF NO ONE makes it writable again, data kept.

// errReadOnlyReplica is Redis' reply to a write on a read-only replica.
const errReadOnlyReplica = "READONLY You can't write against a read only replica."

func replicaofCommand(s *Server, cl *Client, args [][]byte) {
	entry, msg := replicaOfEntry(cl, args)
	if msg != "" {
		cl.out.Error(msg)
		return
	}
	if !s.onLeader(cl, args) {
		return // relayed: the leader proposes it
	}
	s.replyInternal(cl, entry)
	s.link.kick()
}

// replicaOfEntry is the log entry command REPLICAOF proposes, or the error
// Redis answers for its arguments.
func replicaOfEntry(cl *Client, args [][]byte) ([][]byte, string) {
	if commands.EqualFold(args[1], "no") && commands.EqualFold(args[2], "one") {
		return [][]byte{[]byte(fsm.ReplicaOfCommand)}, ""
	}
	if cl.replica != nil {
		return nil, "ERR Command is not valid when client is a replica."
	}
	if port, ok := commands.ParseInt(args[2]); !ok || port < 0 || port > 65535 {
		return nil, "ERR Invalid master port"
	}
	return [][]byte{[]byte(fsm.ReplicaOfCommand), args[1], args[2]}, ""
}

func isReplicaOf(cmd *commands.Command) bool {
	return cmd.Name == "replicaof" || cmd.Name == "slaveof"
}

// readOnlyReplica reports whether client writes are refused.
func (s *Server) readOnlyReplica() bool {
	return s.opened.Load() && !s.link.writable.Load() && s.fsm.Master() != nil
}

const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// refuseStale answers MASTERDOWN, with replica-serve-stale-data no, while
// the link is down, to commands not flagged stale (and EXEC of a
// transaction holding one), as Redis does. The leader runs the link: a
// follower judges by the leader's link as the log shows it, that is, up.
func (s *Server) refuseStale(cl *Client, cmd *commands.Command) bool {
	if !s.link.noStale.Load() || !s.opened.Load() || !s.node.IsLeader() {
		return false
	}
	m := s.fsm.Master()
	if m == nil || s.link.status(m).up {
		return false
	}
	// Redis' own flags: Geomys routes a few more commands as stale (PING).
	return s.refuseIf(cl, cmd, errMasterDown, func(c *commands.Command) bool { return c.InfoFlags()&commands.Stale == 0 })
}

// refuseReadOnlyReplica answers READONLY for a write command on a replica,
// as Redis' processCommand does: a command flagged write (a container's
// subcommand's flags), or EXEC of a transaction holding one.
func (s *Server) refuseReadOnlyReplica(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if !s.readOnlyReplica() {
		return false
	}
	return s.refuseWrites(cl, cmd, errReadOnlyReplica)
}

// refuseWrites answers msg to a write command, aborts an EXEC whose
// transaction holds one, and flags a transaction a refused write was
// queued in, as Redis' processCommand does for a replica's writes and for
// NOREPLICAS. It reports whether it answered.
func (s *Server) refuseWrites(cl *Client, cmd *commands.Command, msg string) bool {
	return s.refuseIf(cl, cmd, msg, func(c *commands.Command) bool { return c.Is(commands.Write) })
}

// refuseIf answers msg to a command deny says no to, or to an EXEC whose
// transaction holds one (the transaction is discarded), and flags the
// transaction a refused command was queued in.
func (s *Server) refuseIf(cl *Client, cmd *commands.Command, msg string, deny func(*commands.Command) bool) bool {
	refused := deny(cmd)
	if cmd.Name == "exec" && cl.tx.active {
		for _, q := range cl.tx.queued {
			refused = refused || deny(q.cmd)
		}
	}
	if !refused {
		return false
	}
	s.flushWrites(cl)
	if cmd.Name == "exec" && cl.tx.active {
		s.resetTx(cl)
		cl.out.Error("EXECABORT Transaction discarded because of: " + msg)
		return true
	}
	cl.txQueueError()
	cl.out.Error(msg)
	return true
}

// replicaRole is what ROLE and INFO report while a replica of a Redis
// master: the master's address, the link's state and offset.
type replicaRole struct {
	host, port string
	state      string // ROLE's: connect, connecting, sync, connected
	up         bool
	syncing    bool
	offset     int64
	lastIO     int64 // seconds since the master last sent something (-1: never)
	downSince  int64 // seconds the link has been down (-1: never up)
}

func (s *Server) replicaRole(m *fsm.Master) replicaRole {
	r := replicaRole{host: m.Host, port: strconv.Itoa(m.Port), offset: s.fsm.MasterOffset(), lastIO: -1, downSince: -1}
	st := s.link.status(m)
	r.state, r.up, r.syncing = st.state, st.up, st.syncing
	if !s.node.IsLeader() {
		// The leader runs the link; a follower has what it applied.
		r.state, r.up = "connected", true
	}
	if st.lastIO > 0 {
		r.lastIO = max(0, nowUnix()-st.lastIO)
	}
	if !r.up && st.downSince > 0 {
		r.downSince = max(0, nowUnix()-st.downSince)
	}
	if r.up {
		r.lastIO = max(r.lastIO, 0)
	}
	return r
}

func (s *Server) writeReplicaOfInfo(m *fsm.Master, kv func(string, any)) {
	r := s.replicaRole(m)
	kv("role", "slave")
	kv("master_host", r.host)
	kv("master_port", r.port)
	status := "down"
	if r.up {
		status = "up"
	}
	kv("master_link_status", status)
	kv("master_last_io_seconds_ago", r.lastIO)
	kv("master_sync_in_progress", boolInt(r.syncing))
	kv("slave_read_repl_offset", r.offset)
	kv("slave_repl_offset", r.offset)
	if !r.up {
		kv("master_link_down_since_seconds", r.downSince)
	}
	kv("slave_priority", 100)
	kv("slave_read_only", 1)
	kv("replica_announced", 1)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
