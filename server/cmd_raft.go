package server

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
)

// raftTermcheckCommand answers a leader confirming its leadership for a
// linearizable read (cluster.Node.LinearizableRead).
func raftTermcheckCommand(s *Server, cl *Client, args [][]byte) {
	term, err := strconv.ParseUint(string(args[1]), 10, 64)
	switch {
	case err != nil:
		cl.out.Error("ERR invalid term")
	case s.node.TermCheck(term):
		cl.out.OK()
	default:
		cl.out.Error("STALE term " + string(args[1]) + " is not this node's current term")
	}
}

func raftProxyCommand(s *Server, cl *Client, args [][]byte) {
	if !s.peerAllowed(cl) {
		return
	}
	cl.proxyLink = true
	cl.peerLink.Store(true)
	cl.exempt.Store(true)
	cl.out.OK()
}

// onLeader runs admin commands that only the leader can carry out: here if
// we lead, else relayed (or redirected). It reports whether the caller runs.
func (s *Server) onLeader(cl *Client, args [][]byte) bool {
	switch s.leaderRoute(cl) {
	case routeForward:
		s.forwardOne(cl, args)
		return false
	case routeRedirect:
		s.redirect(cl)
		return false
	}
	return true
}

func raftNodeCommand(s *Server, cl *Client, args [][]byte) {
	if !s.peerAllowed(cl) {
		return
	}
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "add" && len(args) == 5:
		for _, a := range args[3:] {
			if _, _, err := net.SplitHostPort(string(a)); err != nil {
				cl.out.Error("ERR invalid address '" + clip(a) + "': expected host:port")
				return
			}
		}
		if !s.onLeader(cl, args) {
			return
		}
		s.adminReply(cl, s.node.AddNode(string(args[2]), string(args[3]), string(args[4])))
	case sub == "remove" && len(args) == 3:
		if !s.onLeader(cl, args) {
			return
		}
		s.adminReply(cl, s.node.RemoveNode(string(args[2])))
	case sub == "add" || sub == "remove":
		cl.out.Error("ERR wrong number of arguments for 'raft.node|" + sub + "' command")
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try RAFT.NODE ADD or RAFT.NODE REMOVE.")
	}
}

// peerAllowed guards what only a member may do (change the membership,
// open a proxy link): with tls-cluster, only over TLS with a certificate of
// the cluster CA, so a host without one cannot join even through a port
// that lets clients in without a certificate. It answers the refusal.
func (s *Server) peerAllowed(cl *Client) bool {
	if !s.cfg.TLS.Cluster || peerVerified(cl) {
		return true
	}
	cl.out.Error(commands.ErrPeerCertMissing)
	return false
}

func (s *Server) adminReply(cl *Client, err error) {
	switch {
	case err == nil:
		cl.out.OK()
	case errors.Is(err, cluster.ErrUnknownNode):
		cl.out.Error("ERR no such node")
	case errors.Is(err, cluster.ErrNoLeader), errors.Is(err, cluster.ErrNotLeader), errors.Is(err, cluster.ErrUncertain),
		errors.Is(err, cluster.ErrShutdown):
		cl.out.Error(clusterError(err))
	default:
		cl.out.Error("ERR " + err.Error())
	}
}

func raftTransferCommand(s *Server, cl *Client, args [][]byte) {
	if len(args) > 2 {
		cl.out.Error("ERR wrong number of arguments for 'raft.transfer-leader' command")
		return
	}
	if !s.onLeader(cl, args) {
		return
	}
	id := ""
	if len(args) == 2 {
		id = string(args[1])
	}
	s.adminReply(cl, s.node.TransferLeadership(id))
}

func raftSnapshotCommand(s *Server, cl *Client, args [][]byte) {
	if err := s.node.Snapshot(); err != nil {
		cl.out.Error("ERR snapshot failed: " + err.Error())
		return
	}
	cl.out.OK()
}

func raftDigestCommand(s *Server, cl *Client, args [][]byte) {
	d := s.fsm.Digest(time.Now().UnixMilli())
	cl.out.BulkString(hex.EncodeToString(d[:]))
}

func raftInfoCommand(s *Server, cl *Client, args [][]byte) {
	var b strings.Builder
	s.writeRaftInfo(&b)
	cl.out.Verbatim(b.String())
}

// writeRaftInfo is RAFT.INFO's body, also INFO's "raft" section.
func (s *Server) writeRaftInfo(b *strings.Builder) {
	kv := func(k string, v any) { fmt.Fprintf(b, "%s:%v\r\n", k, v) }
	st := s.node.Status()
	b.WriteString("# Raft\r\n")
	kv("node_id", s.node.ID())
	kv("role", strings.ToLower(st.State))
	kv("term", st.Term)
	kv("leader_id", st.LeaderID)
	_, addr, _ := s.node.Leader()
	kv("leader_addr", addr)
	kv("commit_index", st.CommitIndex)
	kv("applied_index", st.AppliedIndex)
	kv("last_index", st.LastIndex)
	kv("log_store", st.LogStore)
	kv("read_consistency", s.cfg.ReadConsistency)
	kv("follower_mode", s.cfg.FollowerMode)
	kv("client_addr", s.cfg.ClientAddr)
	kv("raft_addr", s.node.RaftAddr())
	peers := s.node.Peers()
	kv("num_nodes", len(peers))
	voters := 0
	for _, p := range peers {
		if p.Voter {
			voters++
		}
	}
	kv("num_voters", voters)
	for i, p := range peers {
		role := "follower"
		if p.Leader {
			role = "leader"
		}
		suffrage := "voter"
		if !p.Voter {
			suffrage = "nonvoter"
		}
		state := "up"
		if !p.Reachable {
			state = "unreachable"
		}
		fmt.Fprintf(b, "node%d:id=%s,raft_addr=%s,client_addr=%s,suffrage=%s,role=%s,state=%s,self=%d\r\n",
			i, p.ID, p.RaftAddr, p.ClientAddr, suffrage, role, state, b2i(p.Self))
	}
	rs := s.node.Stats()
	kv("group_commits", rs["group_commits"])
	kv("group_commit_entries", rs["group_commit_entries"])
	kv("read_confirmations", rs["read_confirmations"])
	kv("read_confirmed_reads", rs["read_confirmed_reads"])
	kv("read_lease_hits", rs["read_lease_hits"])
	kv("write_stage_groups", rs["write_stage_groups"])
	for _, st := range []string{"queue", "raft", "store", "commit", "apply", "reply"} {
		kv("write_stage_"+st+"_usec", rs["write_stage_"+st+"_usec"])
	}
}

// roleCommand answers ROLE the way Redis tooling expects: the leader is the
// master with its followers as replicas, a follower a replica of the leader.
func roleCommand(s *Server, cl *Client, args [][]byte) {
	if m := s.fsm.Master(); m != nil {
		// A replica of a Redis master (REPLICAOF), every node alike.
		r := s.replicaRole(m)
		cl.out.Array(5)
		cl.out.BulkString("slave")
		cl.out.BulkString(r.host)
		cl.out.Int(int64(m.Port))
		cl.out.BulkString(r.state)
		if r.up {
			cl.out.Int(r.offset)
		} else {
			cl.out.Int(-1)
		}
		return
	}
	offset := int64(s.fsm.AppliedIndex())
	if s.node.IsLeader() {
		var followers [][3]string
		for _, p := range s.node.Peers() {
			if !p.Self && p.Reachable {
				if host, port, err := net.SplitHostPort(p.ClientAddr); err == nil {
					followers = append(followers, [3]string{host, port, strconv.FormatInt(offset, 10)})
				}
			}
		}
		for _, r := range s.replicas.snapshot() {
			followers = append(followers, [3]string{r.ip, strconv.FormatInt(r.port, 10), strconv.FormatInt(r.ackOf.Load(), 10)})
		}
		cl.out.Array(3)
		cl.out.BulkString("master")
		cl.out.Int(offset)
		cl.out.Array(len(followers))
		for _, f := range followers {
			cl.out.Array(3)
			cl.out.BulkString(f[0])
			cl.out.BulkString(f[1])
			cl.out.BulkString(f[2])
		}
		return
	}
	host, port, state := "", int64(0), "connect"
	if _, addr, ok := s.node.Leader(); ok {
		if h, p, err := net.SplitHostPort(addr); err == nil {
			host, state = h, "connected"
			port, _ = strconv.ParseInt(p, 10, 64)
		}
	}
	cl.out.Array(5)
	cl.out.BulkString("slave")
	cl.out.BulkString(host)
	cl.out.Int(port)
	cl.out.BulkString(state)
	cl.out.Int(offset)
}

// writeReplicationInfo reports the Raft topology in Redis' replication
// terms, so tools that read INFO replication find the leader and replicas.
func (s *Server) writeReplicationInfo(b *strings.Builder, kv func(string, any)) {
	offset := s.fsm.AppliedIndex()
	if m := s.fsm.Master(); m != nil {
		s.writeReplicaOfInfo(m, kv)
		lines := s.attachedReplicaLines(0)
		kv("connected_slaves", len(lines))
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
		offset = uint64(s.fsm.MasterOffset())
	} else if s.node.IsLeader() {
		kv("role", "master")
		lines := s.replicaLines()
		lines = append(lines, s.attachedReplicaLines(len(lines))...)
		kv("connected_slaves", len(lines))
		if s.minReplicas.Load() > 0 && s.minReplLag.Load() > 0 {
			kv("min_slaves_good_slaves", s.goodReplicas())
		}
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	} else {
		kv("role", "slave")
		host, port, status := "", "", "down"
		if _, addr, ok := s.node.Leader(); ok {
			if h, p, err := net.SplitHostPort(addr); err == nil {
				host, port, status = h, p, "up"
			}
		}
		kv("master_host", host)
		kv("master_port", port)
		kv("master_link_status", status)
		lastIO := int64(0)
		if cm, ok := s.node.(ClusterMetrics); ok {
			lastIO = int64(cm.LastContact().Seconds())
		}
		kv("master_last_io_seconds_ago", lastIO)
		kv("master_sync_in_progress", 0)
		kv("slave_read_repl_offset", offset)
		kv("slave_repl_offset", offset)
		kv("slave_priority", 100)
		kv("slave_read_only", 0) // writes are relayed to the leader
		kv("replica_announced", 1)
		// Replicas attached to this follower with SYNC.
		lines := s.attachedReplicaLines(0)
		kv("connected_slaves", len(lines))
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
	}
	kv("master_failover_state", "no-failover")
	kv("master_replid", s.runID)
	kv("master_repl_offset", offset)
	st := s.node.Status()
	kv("raft_state", st.State)
	kv("raft_term", st.Term)
	kv("raft_commit_index", st.CommitIndex)
	kv("raft_applied_index", st.AppliedIndex)
}
