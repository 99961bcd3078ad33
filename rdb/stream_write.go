package rdb

import (
	"encoding/binary"
	"slices"
)

// streamNodeEntries is how many entries one listpack node holds, as Redis'
// stream-node-max-entries default.
const streamNodeEntries = 100

// DumpStream encodes a stream as RDB type 19 (Redis 7.0's
// STREAM_LISTPACKS_2), footer included: listpack nodes of up to 100
// entries, each node's master entry carrying its first entry's field names,
// then the metadata and consumer groups with their pending entries.
func DumpStream(s *Stream) []byte {
	b := []byte{TypeStreamListpacks2}
	nodes := (len(s.Entries) + streamNodeEntries - 1) / streamNodeEntries
	b = AppendLen(b, uint64(nodes))
	for at := 0; at < len(s.Entries); at += streamNodeEntries {
		node := s.Entries[at:min(at+streamNodeEntries, len(s.Entries))]
		b = AppendString(b, string(rawID(nil, node[0].ID)))
		b = AppendObjectString(b, string(streamListpack(node)))
	}
	b = AppendLen(b, uint64(len(s.Entries)))
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

// streamListpack is one node: the master entry (count, deleted, the first
// entry's field names, 0), then per entry its flags, id deltas, values (or
// field count and pairs when its fields differ) and its element count.
func streamListpack(entries []StreamEntry) []byte {
	lp := NewListpack()
	master := entries[0].ID
	var names []string
	for i := 0; i < len(entries[0].Fields); i += 2 {
		names = append(names, entries[0].Fields[i])
	}
	lp.AppendInt(int64(len(entries)))
	lp.AppendInt(0)
	lp.AppendInt(int64(len(names)))
	for _, n := range names {
		lp.Append(n)
	}
	lp.AppendInt(0)
	for _, e := range entries {
		var own []string
		for i := 0; i < len(e.Fields); i += 2 {
			own = append(own, e.Fields[i])
		}
		same := slices.Equal(own, names)
		flags := int64(0)
		if same {
			flags = streamItemSameFields
		}
		lp.AppendInt(flags)
		lp.AppendInt(int64(e.ID.Ms - master.Ms))
		lp.AppendInt(int64(e.ID.Seq - master.Seq))
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
	return lp.Bytes()
}
