package commands

// DEBUG RELOAD loads a dump of the dataset into a scratch store and then
// moves its keys into the live one (fsm/reload.go); these are the two
// store-level steps it needs.

// ConflictsWith reports whether some key of src exists in s: DEBUG RELOAD
// NOFLUSH without MERGE refuses to load over existing keys.
func (s *Store) ConflictsWith(src *Store) bool {
	for i, db := range src.DBs {
		dst := s.DBs[i]
		for k := range db.keys {
			if _, ok := dst.keys[k]; ok {
				return true
			}
		}
	}
	return false
}

// MoveFrom moves every key of src, with its TTL, into s, replacing the value
// s holds under the same name. Each key goes through the mutators, so a
// snapshot in progress, WATCH and memory accounting see the change. src must
// not be used afterwards: its values now belong to s.
func (s *Store) MoveFrom(src *Store) {
	for i, db := range src.DBs {
		dst := s.DBs[i]
		for k, v := range db.keys {
			dst.set(k, v)
			if at, ok := db.expires[k]; ok {
				dst.setExpire(k, at)
			} else {
				dst.persist(k)
			}
		}
	}
	s.RecountMemory()
}

// Raw appends RESP commands already encoded (a rewrite of values, which
// names no db) as run against db.
func (p *Propagation) Raw(db int, b []byte) {
	p.selectDB(db)
	p.Buf = append(p.Buf, b...)
}
