package rdb

import (
	"encoding/binary"
	"slices"
)

// DumpStream encodes a stream as RDB type 19 (Redis 7.0's
// STREAM_LISTPACKS_2), footer included: one listpack per node of s.Nodes
// (its master entry carrying MasterFields, deleted entries kept as
// deleted), then the metadata and consumer groups with their pending
// entries. Nodes without entries are left out.
func DumpStream(s *Stream) []byte {
	b := []byte{TypeStreamListpacks2}
	nodes, live := 0, 0
	for _, n := range s.Nodes {
		if len(n.Entries) > 0 {
			nodes++
		}
	}
	b = AppendLen(b, uint64(nodes))
	for _, n := range s.Nodes {
		if len(n.Entries) == 0 {
			continue
		}
		b = AppendString(b, string(rawID(nil, n.Master)))
		lp, l := streamListpack(n)
		live += l
		b = AppendObjectString(b, string(lp))
	}
	b = AppendLen(b, uint64(live))
	b = appendID(b, s.LastID)
	b = appendID(b, s.FirstID)
	b = appendID(b, s.MaxDeletedID)
	b = AppendLen(b, s.EntriesAdded)
	b = AppendLen(b, uint64(len(s.Groups)))
	for _, g := range s.Groups {
		b = AppendString(b, g.Name)
		b = appendID(b, g.LastID)
		b = AppendLen(b, uint64(g.EntriesRead)) // -1 wraps, as Redis writes it
		b = AppendLen(b, uint64(len(g.Pending)))
		for _, p := range g.Pending {
			b = rawID(b, p.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(p.DeliveryTime))
			b = AppendLen(b, p.DeliveryCount)
		}
		b = AppendLen(b, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			b = AppendString(b, c.Name)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			var own []StreamID
			for _, p := range g.Pending {
				if p.Consumer == c.Name {
					own = append(own, p.ID)
				}
			}
			b = AppendLen(b, uint64(len(own)))
			for _, id := range own {
				b = rawID(b, id)
			}
		}
	}
	return AppendFooter(b)
}

func appendID(b []byte, id StreamID) []byte { return AppendLen(AppendLen(b, id.Ms), id.Seq) }

// rawID is an id as the radix tree keys and pending lists store it: 16
// bytes, big-endian.
func rawID(b []byte, id StreamID) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, id.Ms), id.Seq)
}

// streamListpack is one node: the master entry (count of live and of
// deleted entries, the master's field names, 0), then per entry its flags,
// id deltas from the node's key, values (or field count and pairs when its
// fields differ from the master's) and its element count; it also returns
// the live count.
func streamListpack(n StreamNode) ([]byte, int) {
	live := 0
	for _, e := range n.Entries {
		if !e.Deleted {
			live++
		}
	}
	lp := NewListpack()
	lp.AppendInt(int64(live))
	lp.AppendInt(int64(len(n.Entries) - live))
	lp.AppendInt(int64(len(n.MasterFields)))
	for _, f := range n.MasterFields {
		lp.Append(f)
	}
	lp.AppendInt(0)
	var own []string
	for _, e := range n.Entries {
		own = own[:0]
		for i := 0; i < len(e.Fields); i += 2 {
			own = append(own, e.Fields[i])
		}
		same := slices.Equal(own, n.MasterFields)
		flags := int64(0)
		if same {
			flags = streamItemSameFields
		}
		if e.Deleted {
			flags |= streamItemDeleted
		}
		lp.AppendInt(flags)
		// Unsigned differences stored as int64, as streamAppendItem does.
		lp.AppendInt(int64(e.ID.Ms - n.Master.Ms))
		lp.AppendInt(int64(e.ID.Seq - n.Master.Seq))
		if same {
			for i := 1; i < len(e.Fields); i += 2 {
				lp.Append(e.Fields[i])
			}
			lp.AppendInt(int64(len(own) + 3))
		} else {
			lp.AppendInt(int64(len(own)))
			for _, f := range e.Fields {
				lp.Append(f)
			}
			lp.AppendInt(int64(2*len(own) + 4))
		}
	}
	return lp.Bytes(), live
}
