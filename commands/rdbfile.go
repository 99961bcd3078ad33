package commands

import (
	"github.com/geomys/geomys/rdb"
)

// AppendRDB appends the whole dataset as an RDB file (what SYNC sends a
// replica): the header, aux (name, value pairs), and per non-empty db a
// SELECTDB and RESIZEDB followed by every key with its expiry and its value
// as DUMP encodes it (streams, which DUMP does not encode, as Redis 7.0
// writes them), then EOF and the checksum. Keys whose TTL has passed
// are included, as Redis includes them: their deletion comes through the
// log like any other write. A value with no RDB encoding here (none today)
// is left out of the file and appended to cmds instead, as the commands an AOF
// rewrite recreates it with, after a SELECT of its db: the replica runs them
// right after loading the file. The caller holds the store's lock.
func (s *Store) AppendRDB(b []byte, aux [][2]string, cmds []byte) ([]byte, []byte) {
	b = rdb.AppendHeader(b)
	for _, kv := range aux {
		b = rdb.AppendAux(b, kv[0], kv[1])
	}
	for _, db := range s.DBs {
		if db.Len() == 0 {
			continue
		}
		b = rdb.AppendSelectDB(b, db.ID, db.Len(), db.Expires())
		selected := false
		for k, v := range db.keys {
			at := db.expires[k]
			var payload []byte
			if st, ok := v.(*Stream); ok {
				payload = st.dumpRDB()
			} else {
				payload = DumpValue(v)
			}
			if payload != nil {
				b = rdb.AppendKey(b, k, at, payload)
				continue
			}
			if !selected {
				cmds, selected = appendSelect(cmds, db.ID), true
			}
			cmds = AppendRewrite(cmds, k, v, at)
		}
	}
	return rdb.AppendEOF(b), cmds
}

// dumpRDB is the stream's RDB encoding (rdb.DumpStream): DUMP has none for
// streams, but an RDB file must carry them like every other value.
func (s *Stream) dumpRDB() []byte {
	rid := func(id StreamID) rdb.StreamID { return rdb.StreamID{Ms: id.Ms, Seq: id.Seq} }
	out := &rdb.Stream{LastID: rid(s.lastID), FirstID: rid(s.firstID), MaxDeletedID: rid(s.maxDeletedID),
		EntriesAdded: uint64(s.entriesAdded)}
	s.scan(minStreamID, maxStreamID, false, func(e streamEntry) bool {
		fields := make([]string, len(e.fields))
		for i, f := range e.fields {
			fields[i] = string(f)
		}
		out.Entries = append(out.Entries, rdb.StreamEntry{ID: rid(e.id), Fields: fields})
		return true
	})
	for _, g := range s.groups {
		rg := rdb.StreamGroup{Name: g.name, LastID: rid(g.lastID), EntriesRead: g.entriesRead}
		for _, nk := range g.pel {
			rg.Pending = append(rg.Pending, rdb.StreamPending{ID: rid(nk.id), DeliveryTime: nk.deliveryTime,
				DeliveryCount: nk.deliveryCount, Consumer: nk.consumer.name})
		}
		for _, name := range g.consumerNames() {
			rg.Consumers = append(rg.Consumers, rdb.StreamConsumer{Name: name, SeenTime: g.consumers[name].seenTime})
		}
		out.Groups = append(out.Groups, rg)
	}
	return rdb.DumpStream(out)
}
