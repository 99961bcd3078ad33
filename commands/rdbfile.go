package commands

import (
	"github.com/geomys/geomys/rdb"
)

// AppendRDB appends the whole dataset as an RDB file (what SYNC sends a
// replica): the header, aux (name, value pairs), and per non-empty db a
// SELECTDB and RESIZEDB followed by every key with its expiry and its value
// as DUMP encodes it, then EOF and the checksum. Keys whose TTL has passed
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
			if payload := DumpValue(v); payload != nil {
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
