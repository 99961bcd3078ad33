package commands

import (
	"errors"
	"slices"

	"github.com/geomys/geomys/rdb"
)

// DUMP and RESTORE of streams. A block is one of Redis' listpack nodes, so
// the payload carries the blocks as they are: DUMP writes each block as the
// node redis-server would hold (deleted entries included), and RESTORE
// rebuilds the payload's nodes as blocks, so an XADD or an approximate
// trim after RESTORE cuts and drops blocks where redis-server does after
// the same RESTORE. The only state that does not travel is a block loaded
// from a snapshot whose deleted entries are gone (padCount): it is written
// with the entries it still has.

var errStreamPayload = errors.New("stream payload does not load")

func rdbID(id StreamID) rdb.StreamID { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }

func streamID(id rdb.StreamID) StreamID { return StreamID{id.Ms, id.Seq} }

// dumpStream is DUMP's payload for a stream (rdb.DumpStream).
func dumpStream(s *Stream) []byte {
	out := &rdb.Stream{LastID: rdbID(s.lastID), FirstID: rdbID(s.firstID), MaxDeletedID: rdbID(s.maxDeletedID),
		EntriesAdded: uint64(s.entriesAdded)}
	var fields [][]byte
	for _, b := range s.blocks {
		node := rdb.StreamNode{Master: rdbID(b.first), MasterFields: make([]string, len(b.master)),
			Entries: make([]rdb.StreamEntry, len(b.offs))}
		for i, name := range b.master {
			node.MasterFields[i] = string(name)
		}
		for i := range b.offs {
			e := b.entry(i, fields)
			fields = e.fields
			fs := make([]string, len(e.fields))
			for j, f := range e.fields {
				fs[j] = string(f)
			}
			node.Entries[i] = rdb.StreamEntry{ID: rdbID(e.id), Fields: fs, Deleted: b.deleted(i)}
		}
		out.Nodes = append(out.Nodes, node)
	}
	for _, g := range s.groups {
		rg := rdb.StreamGroup{Name: g.name, LastID: rdbID(g.lastID), EntriesRead: g.entriesRead}
		for _, nk := range g.pel {
			rg.Pending = append(rg.Pending, rdb.StreamPending{ID: rdbID(nk.id), DeliveryTime: nk.deliveryTime,
				DeliveryCount: nk.deliveryCount, Consumer: nk.consumer.name})
		}
		for _, name := range g.consumerNames() {
			rg.Consumers = append(rg.Consumers, rdb.StreamConsumer{Name: name, SeenTime: g.consumers[name].seenTime})
		}
		out.Groups = append(out.Groups, rg)
	}
	return rdb.DumpStream(out)
}

// restoreStream builds a stream from a payload's body after its type byte,
// as Redis 7.0's rdbLoadObject does: the nodes become blocks in id order,
// and a type 15 payload (Redis 6 and earlier) gets its entries added, first
// id and groups' entries read derived as Redis derives them. What Redis
// would hold in an inconsistent state (entries out of order, a stated
// length or last id that its entries contradict, a group named twice) is
// refused.
func restoreStream(typ byte, p []byte) (*Stream, error) {
	rs, _, err := rdb.ReadStream(typ, p)
	if err != nil {
		return nil, err
	}
	// Redis' radix tree orders nodes by key whatever the payload's order.
	slices.SortStableFunc(rs.Nodes, func(a, b rdb.StreamNode) int { return streamID(a.Master).Cmp(streamID(b.Master)) })
	s := NewStream()
	var prev StreamID
	seen := false
	for _, n := range rs.Nodes {
		b := &streamBlock{first: streamID(n.Master)}
		names := make([][]byte, len(n.MasterFields))
		for i, f := range n.MasterFields {
			names[i] = []byte(f)
		}
		b.setMaster(names)
		for _, e := range n.Entries {
			id := streamID(e.ID)
			if seen && id.Cmp(prev) <= 0 {
				return nil, errStreamPayload
			}
			prev, seen = id, true
			fields := make([][]byte, len(e.Fields))
			for i, f := range e.Fields {
				fields[i] = []byte(f)
			}
			b.appendRaw(streamEntry{id, fields})
			if e.Deleted {
				b.data[b.offs[len(b.offs)-1]] = 1
				b.live--
			}
		}
		// Redis never keeps a node whose entries are all deleted.
		if b.live > 0 {
			s.blocks = append(s.blocks, b)
			s.length += int64(b.live)
		}
	}
	if uint64(s.length) != rs.Length || (seen && streamID(rs.LastID).Cmp(prev) < 0) {
		return nil, errStreamPayload
	}
	s.lastID = streamID(rs.LastID)
	if typ >= rdb.TypeStreamListpacks2 {
		s.firstID = streamID(rs.FirstID)
		s.maxDeletedID = streamID(rs.MaxDeletedID)
		s.entriesAdded = int64(rs.EntriesAdded)
	} else {
		s.entriesAdded = s.length
		s.updateFirstID()
	}
	for _, rg := range rs.Groups {
		entriesRead := rg.EntriesRead
		if typ < rdb.TypeStreamListpacks2 {
			entriesRead = s.estimateDistance(streamID(rg.LastID))
		}
		g := s.createGroup(rg.Name, streamID(rg.LastID), entriesRead)
		if g == nil {
			return nil, errStreamPayload
		}
		for _, rc := range rg.Consumers {
			if _, created := g.consumer([]byte(rc.Name), true, rc.SeenTime); !created {
				return nil, errStreamPayload
			}
		}
		for _, pe := range rg.Pending {
			g.addNACK(&streamNACK{id: streamID(pe.ID), deliveryTime: pe.DeliveryTime, deliveryCount: pe.DeliveryCount,
				consumer: g.consumers[pe.Consumer]})
		}
	}
	return s, nil
}
