package commands

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// StreamNodeLimits are stream-node-max-entries and stream-node-max-bytes:
// how many entries, and how many bytes of Redis' listpack, a stream's node
// (a block here) takes before the next XADD starts a new one. Unlike the
// encoding thresholds (limits.go) they decide replicated state: `~`
// trimming removes whole blocks only, and the default LIMIT of an
// approximate trim is 100 × Entries, so every node must cut blocks where the
// others do.
//
// The value in force therefore reaches the FSM through the log, carried by
// each log entry the leader builds (fsm.AppendStreamNode, only when it is not
// the default): an XADD appends with the setting of the leader that put it
// in the log, at the time it did, on every node and on every replay of that
// entry. A node's own setting (CONFIG SET, the config file) is only what it
// puts in the entries it builds while it leads, as in Redis, where the
// primary's setting shapes the primary's nodes. The AOF holds the
// propagated XADD, which carries no such field: a non-default setting is
// written before it as a "#geomys:xnode entries bytes" annotation that
// Geomys' loader applies to that XADD alone (redis-server skips it and
// lays out nodes with its own setting, which changes no entry: the trims
// in the AOF are exact). Blocks loaded from a snapshot keep where they were
// cut through the rewrite's layout annotations (appendLayoutNotes).
type StreamNodeLimits struct{ Entries, Bytes int64 }

// DefaultStreamNodeLimits are Redis' defaults.
var DefaultStreamNodeLimits = StreamNodeLimits{Entries: 100, Bytes: 4096}

// streamListpackMax is Redis' STREAM_LISTPACK_MAX_SIZE: what a byte limit
// of 0, or above it, means.
const streamListpackMax = 1 << 30

// full reports whether a block of b's size and entry count takes no entry
// of elemLen bytes (fields and values) more: streamAppendItem's rule.
func (l StreamNodeLimits) full(b *streamBlock, elemLen int) bool {
	maxBytes := l.Bytes
	if maxBytes <= 0 || maxBytes > streamListpackMax {
		maxBytes = streamListpackMax
	}
	if int64(b.size()+elemLen) >= maxBytes {
		return true
	}
	return l.Entries > 0 && int64(b.total()) >= l.Entries
}

// trimLimit is the LIMIT of an approximate trim that gives none.
func (l StreamNodeLimits) trimLimit() int64 { return 100 * l.Entries }

// streamNodeConf is this node's own setting: what it puts in the entries
// it builds as leader.
var streamNodeConf = struct{ entries, bytes atomic.Int64 }{}

func init() {
	streamNodeConf.entries.Store(DefaultStreamNodeLimits.Entries)
	streamNodeConf.bytes.Store(DefaultStreamNodeLimits.Bytes)
}

// StreamNodeConfig is this node's setting (CONFIG GET/SET).
func StreamNodeConfig() StreamNodeLimits {
	return StreamNodeLimits{Entries: streamNodeConf.entries.Load(), Bytes: streamNodeConf.bytes.Load()}
}

func SetStreamNodeMaxEntries(n int64) { streamNodeConf.entries.Store(n) }
func SetStreamNodeMaxBytes(n int64)   { streamNodeConf.bytes.Store(n) }

// streamNodeNotePrefix starts the AOF annotation that gives the next XADD
// its limits.
const streamNodeNotePrefix = "geomys:xnode "

func streamNodeNote(l StreamNodeLimits) string {
	return streamNodeNotePrefix + strconv.FormatInt(l.Entries, 10) + " " + strconv.FormatInt(l.Bytes, 10)
}

// loadStreamNodeNote applies an xnode annotation: the next XADD loaded
// appends with those limits.
func loadStreamNodeNote(st *Store, note string) bool {
	rest, ok := strings.CutPrefix(note, streamNodeNotePrefix)
	if !ok {
		return false
	}
	e, b, _ := strings.Cut(rest, " ")
	n1, err1 := strconv.ParseInt(e, 10, 64)
	n2, err2 := strconv.ParseInt(b, 10, 64)
	if err1 == nil && err2 == nil {
		st.nextStreamNode = &StreamNodeLimits{Entries: n1, Bytes: n2}
	}
	return true
}

// takeStreamNode returns the limits the XADD being run appends with: an
// AOF annotation's just before it while loading, else the log entry's.
func (c *Ctx) takeStreamNode() StreamNodeLimits {
	st := c.Store
	if st == nil {
		return DefaultStreamNodeLimits
	}
	if p := st.nextStreamNode; p != nil {
		st.nextStreamNode = nil
		return *p
	}
	return st.StreamNode
}

// streamNode is takeStreamNode without taking an annotation's (XTRIM).
func (c *Ctx) streamNode() StreamNodeLimits {
	if c.Store == nil {
		return DefaultStreamNodeLimits
	}
	return c.Store.StreamNode
}

// SetStreamNode sets the limits in force for the commands about to run
// (the FSM, from each log entry) and forgets any annotation's.
func (st *Store) SetStreamNode(l StreamNodeLimits) {
	st.StreamNode, st.nextStreamNode = l, nil
}
