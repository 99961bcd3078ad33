package fsm

import (
	"maps"
	"slices"
	"strings"

	"github.com/geomys/geomys/commands"
)

// MemberCommand is the internal command that records how clients reach a
// node: [".member", "add", id, client-addr, raft-addr] or
// [".member", "remove", id]. The map is replicated state, so every node can
// tell a client (or its own proxy) where the leader's RESP port is.
const MemberCommand = ".member"

// memberPrefix starts the AOF annotation that carries a member record: the
// AOF stays loadable by redis-server (which skips '#' lines) and a restart
// or snapshot install rebuilds the map from it.
const memberPrefix = "geomys:member "

// Member is one node's addresses as the cluster knows them.
type Member struct {
	ID         string
	ClientAddr string // host:port of its RESP listener
	RaftAddr   string
}

// Members returns the known members, ordered by id.
func (f *FSM) Members() []Member {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Member, 0, len(f.members))
	for _, id := range slices.Sorted(maps.Keys(f.members)) {
		out = append(out, f.members[id])
	}
	return out
}

// Member looks one member up by id.
func (f *FSM) Member(id string) (Member, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m, ok := f.members[id]
	return m, ok
}

// applyMember runs a .member entry and annotates the AOF with it.
func (f *FSM) applyMember(c *commands.Ctx, args [][]byte) {
	switch {
	case len(args) == 5 && string(args[1]) == "add":
		m := Member{ID: string(args[2]), ClientAddr: string(args[3]), RaftAddr: string(args[4])}
		if !validMemberField(m.ID) || !validMemberField(m.ClientAddr) || !validMemberField(m.RaftAddr) {
			c.R.Error("ERR invalid member record")
			return
		}
		f.members[m.ID] = m
		f.prop.Annotate(memberAnnotation(m))
		c.R.OK()
	case len(args) == 3 && string(args[1]) == "remove":
		id := string(args[2])
		delete(f.members, id)
		f.prop.Annotate(memberPrefix + "remove " + id)
		c.R.OK()
	default:
		c.R.Error("ERR malformed member entry")
	}
}

// validMemberField keeps a record on one annotation line, split by spaces.
func validMemberField(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \r\n")
}

func memberAnnotation(m Member) string {
	return memberPrefix + "add " + m.ID + " " + m.ClientAddr + " " + m.RaftAddr
}

// loadMemberNote replays a member annotation found in the AOF.
func (f *FSM) loadMemberNote(rest string) {
	fields := strings.Fields(rest)
	switch {
	case len(fields) == 4 && fields[0] == "add":
		f.members[fields[1]] = Member{ID: fields[1], ClientAddr: fields[2], RaftAddr: fields[3]}
	case len(fields) == 2 && fields[0] == "remove":
		delete(f.members, fields[1])
	}
}

// appendMemberNotes writes the whole map as annotations (snapshot bases).
func appendMemberNotes(buf []byte, members map[string]Member) []byte {
	for _, id := range slices.Sorted(maps.Keys(members)) {
		buf = append(buf, '#')
		buf = append(buf, memberAnnotation(members[id])...)
		buf = append(buf, '\r', '\n')
	}
	return buf
}
