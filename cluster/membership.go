package cluster

import (
	"errors"
	"fmt"

	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/raft"
)

// ErrNotLeader answers a membership change asked of a node that does not
// lead; the server forwards such requests to the leader.
var ErrNotLeader = errors.New("this node is not the leader")

// ErrUnknownNode answers a change naming a node that is not a member.
var ErrUnknownNode = errors.New("no such node")

// memberEntry encodes a .member log entry.
func memberEntry(args ...string) []byte {
	var w fsm.EntryWriter
	w.Reset(0)
	b := make([][]byte, 0, len(args)+1)
	b = append(b, []byte(fsm.MemberCommand))
	for _, a := range args {
		b = append(b, []byte(a))
	}
	w.Add(0, 2, b)
	return append([]byte(nil), w.Bytes()...)
}

// AddNode makes id a voter at raftAddr and records its client address. The
// record goes first, so by the time the node votes everyone can route to
// it. Adding a member again with the same addresses changes nothing, so a
// joining node may retry.
func (n *Node) AddNode(id, raftAddr, clientAddr string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if m, ok := n.fsm.Member(id); !ok || m.ClientAddr != clientAddr || m.RaftAddr != raftAddr {
		if err := n.applyMember("add", id, clientAddr, raftAddr); err != nil {
			return err
		}
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, n.opts.ApplyTimeout).Error(); err != nil {
		return applyError(err)
	}
	n.log.Info("node added", "node", id, "raft", raftAddr, "client", clientAddr)
	return nil
}

// RemoveNode takes id out of the Raft configuration and the member map.
func (n *Node) RemoveNode(id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	_, recorded := n.fsm.Member(id)
	if !recorded && !n.inConfig(id) {
		return ErrUnknownNode
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.opts.ApplyTimeout).Error(); err != nil {
		return applyError(err)
	}
	if recorded && n.IsLeader() { // removing ourselves hands leadership on
		if err := n.applyMember("remove", id); err != nil {
			return err
		}
	}
	n.log.Info("node removed", "node", id)
	return nil
}

func (n *Node) applyMember(args ...string) error {
	res, err := n.Apply(memberEntry(args...))
	if err != nil {
		return err
	}
	if len(res.Reply) > 0 && res.Reply[0] == '-' {
		return fmt.Errorf("%s", res.Reply[1:len(res.Reply)-2])
	}
	return nil
}

// recordSelf makes sure the member map holds this node's current addresses;
// a new leader runs it, which covers the bootstrap node and address changes.
func (n *Node) recordSelf() {
	m, ok := n.fsm.Member(n.opts.NodeID)
	if ok && m.ClientAddr == n.opts.ClientAddr && m.RaftAddr == n.opts.RaftAdvertise {
		return
	}
	if n.opts.ClientAddr == "" {
		return
	}
	if err := n.applyMember("add", n.opts.NodeID, n.opts.ClientAddr, n.opts.RaftAdvertise); err != nil {
		n.log.Warn("could not record this node's addresses; other members may not find this node: check --announce-addr and --raft-advertise, and that a leader exists", "err", err)
	}
}

// TransferLeadership hands leadership to id, or to the most up-to-date
// follower when id is empty.
func (n *Node) TransferLeadership(id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	var f raft.Future
	n.blockLease()
	if id == "" {
		f = n.raft.LeadershipTransfer()
	} else {
		var addr raft.ServerAddress
		for _, s := range n.Servers() {
			if string(s.ID) == id {
				addr = s.Address
			}
		}
		if addr == "" {
			return ErrUnknownNode
		}
		f = n.raft.LeadershipTransferToServer(raft.ServerID(id), addr)
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("leadership transfer: %w", err)
	}
	return nil
}

// Servers is the latest Raft configuration (possibly not yet committed).
func (n *Node) Servers() []raft.Server {
	return n.raft.GetConfiguration().Configuration().Servers
}

func (n *Node) inConfig(id string) bool {
	for _, s := range n.Servers() {
		if string(s.ID) == id {
			return true
		}
	}
	return false
}

// InConfig reports whether this node is part of the Raft configuration: a
// joining node is done joining once it is.
func (n *Node) InConfig() bool { return n.inConfig(n.opts.NodeID) }

// HadState reports whether Raft state existed when the node started.
func (n *Node) HadState() bool { return n.hadState }

// ID is this node's id; RaftAddr its advertised Raft address.
func (n *Node) ID() string       { return n.opts.NodeID }
func (n *Node) RaftAddr() string { return n.opts.RaftAdvertise }

// Leader returns the current leader's id and client address as far as this
// node knows; ok is false when there is none or its address is unknown.
func (n *Node) Leader() (id, clientAddr string, ok bool) {
	_, lid := n.raft.LeaderWithID()
	if lid == "" {
		return "", "", false
	}
	m, found := n.fsm.Member(string(lid))
	return string(lid), m.ClientAddr, found && m.ClientAddr != ""
}

// Status is what RAFT.INFO and INFO report about this node's Raft state.
type Status struct {
	State        string
	Term         uint64
	CommitIndex  uint64
	AppliedIndex uint64
	LastIndex    uint64
	LeaderID     string
	LogStore     string // LogWAL or LogBolt
}

func (n *Node) Status() Status {
	_, lid := n.raft.LeaderWithID()
	return Status{
		State: n.raft.State().String(), Term: n.raft.CurrentTerm(), CommitIndex: n.raft.CommitIndex(),
		AppliedIndex: n.fsm.AppliedIndex(), LastIndex: n.raft.LastIndex(), LeaderID: string(lid),
		LogStore: n.logs.kind,
	}
}
