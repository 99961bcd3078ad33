package commands

// Used memory (INFO used_memory, maxmemory) is the dataset's own accounting,
// not the Go heap: every key counts what MEMORY USAGE would say for it, so an
// operator sizing maxmemory against Redis' numbers gets comparable figures,
// and every node of a cluster counts the same bytes for the same data.
//
// The total is kept as the dataset changes, never by scanning it: a string's
// size is a few additions; a collection's is estimated from its length and
// a fixed number of sampled elements (the same formulas as MEMORY USAGE, but
// bounded work per write), and remembered per key (DB.csize) so that what
// is taken off when it changes is exactly what was added. Collections that
// handlers change in place (LookupForUpdate, or filled after Put) are noted
// as dirty and re-measured when the command finishes (SettleMemory).

// StartupMemory is the used memory of an empty dataset: what redis-server
// 7.0.15 reports as used_memory_startup on x86-64 (its own structures,
// shared objects, the Lua interpreter). Redis' used_memory is never 0, and
// tools and tests rely on that: "maxmemory 1" refuses every deny-oom write
// even on an empty dataset, and memory after freeing is compared as a
// multiple of memory before. It is a constant, not the Go heap at start,
// so every node of a cluster counts the same used memory for the same
// data, and judges maxmemory the same way after a failover.
const StartupMemory int64 = 876192

// acctSamples is how many elements a big collection's estimate looks at.
const acctSamples = 8

// dirtyKey is a collection changed in place whose size is re-measured when
// the command finishes.
type dirtyKey struct {
	db  *DB
	key string
}

// UsedMemory is used_memory: StartupMemory plus the dataset's bytes.
func (s *Store) UsedMemory() int64 { return StartupMemory + s.DatasetBytes() }

// DatasetBytes is the dataset's accounted bytes, every db together. The
// caller holds the store (read or write); dirty keys count as last settled.
func (s *Store) DatasetBytes() int64 {
	var n int64
	for _, db := range s.DBs {
		n += db.used
	}
	return n
}

// KeySize is what key counts in used memory (0 when absent).
func (db *DB) KeySize(key string) int64 {
	v, ok := db.keys[key]
	if !ok {
		return 0
	}
	return db.accounted(key, v)
}

// selfAccounted is a collection that keeps the bytes its key counts in
// db.used itself, instead of in db.csize: a map entry per key would cost
// more than a small hash's own listpack. The bytes belong to the value, so
// a value moving between keys (RENAME, MOVE) carries what was added for it
// until it is measured again, whatever the order of the Put and the Delete.
type selfAccounted interface {
	acctBytes() int64
	setAcctBytes(n int64)
}

// accounted is what key (holding v) currently adds to db.used.
func (db *DB) accounted(key string, v any) int64 {
	switch v := v.(type) {
	case string:
		return stringAcct(key, v)
	case selfAccounted:
		return v.acctBytes()
	}
	return db.csize[key]
}

func stringAcct(key, v string) int64 {
	return int64(sdsAlloc(len(key))+dictEntrySize) + stringValueAcct(v)
}

// stringValueAcct is what a string value adds to its key; a mutString is
// counted the same way, from its current bytes.
func stringValueAcct(v string) int64 {
	switch {
	case looksInt(v):
		return int64(valueSize(v, 0)) // parses it: a long, or a string after all
	case len(v) <= 44:
		return int64(jeSize(robjSize + 3 + len(v) + 1))
	}
	return int64(robjSize + sdsAlloc(len(v)))
}

// looksInt is a quick, allocation-free test that s may be an integer
// (strconv's error for a non-number allocates, on every SET).
func looksInt(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// account adds key's new value v (replacing old, if it had one). A new
// collection is measured when the command finishes: handlers often Put an
// empty one and then fill it.
func (db *DB) account(key string, old any, hadOld bool, v any) {
	if hadOld {
		db.used -= db.accounted(key, old)
	}
	if len(db.csize) > 0 {
		delete(db.csize, key)
	}
	switch v := v.(type) {
	case string:
		db.used += stringAcct(key, v)
		return
	case selfAccounted:
		db.used += v.acctBytes()
		db.store.dirty = append(db.store.dirty, dirtyKey{db, key})
		return
	}
	if db.csize == nil {
		db.csize = map[string]int64{}
	}
	db.csize[key] = 0
	db.store.dirty = append(db.store.dirty, dirtyKey{db, key})
}

// measure accounts collection v under key at its current size.
func (db *DB) measure(key string, v any) {
	n := int64(sdsAlloc(len(key))+dictEntrySize) + collectionAcct(v)
	if sa, ok := v.(selfAccounted); ok {
		db.used += n - sa.acctBytes()
		sa.setAcctBytes(n)
		return
	}
	db.used += n - db.csize[key]
	db.csize[key] = n
}

// unaccount takes a deleted key's value off.
func (db *DB) unaccount(key string, v any) {
	db.used -= db.accounted(key, v)
	if len(db.csize) > 0 {
		delete(db.csize, key)
	}
}

// markDirty notes a value about to change in place.
func (db *DB) markDirty(key string) {
	db.store.dirty = append(db.store.dirty, dirtyKey{db, key})
}

// SettleMemory re-measures the collections changed in place since the last
// call. The FSM calls it after every command, under the write lock.
func (s *Store) SettleMemory() {
	if len(s.dirty) == 0 {
		return
	}
	for _, d := range s.dirty {
		if v, ok := d.db.keys[d.key]; ok {
			if _, isStr := v.(string); !isStr {
				d.db.measure(d.key, v)
			}
		}
	}
	clear(s.dirty)
	s.dirty = s.dirty[:0]
}

// RecountMemory measures the whole dataset again (after loading an AOF or
// a snapshot, whose notes may have shaped values outside the handlers).
func (s *Store) RecountMemory() {
	clear(s.dirty)
	s.dirty = s.dirty[:0]
	for _, db := range s.DBs {
		db.used = 0
		db.csize = nil
		for k, v := range db.keys {
			if str, ok := v.(string); ok {
				db.used += stringAcct(k, str)
				continue
			}
			if sa, ok := v.(selfAccounted); ok {
				sa.setAcctBytes(0)
			} else if db.csize == nil {
				db.csize = map[string]int64{}
			}
			db.measure(k, v)
		}
	}
}

// collectionAcct estimates a collection value's bytes with MEMORY USAGE's
// formulas: exactly for small values, and from acctSamples elements spread
// over the value for bigger ones, so a write's bookkeeping is bounded.
func collectionAcct(v any) int64 {
	switch v := v.(type) {
	case *mutString:
		return stringValueAcct(v.view())
	case *List:
		n := v.Len()
		if n == 0 {
			return robjSize + quicklistSize
		}
		per := spread(n, func(i int) int { return lpEntrySize(v.At(i)) })
		bytes := per * float64(n)
		nodes := int(bytes/8192) + 1
		return int64(robjSize+quicklistSize+nodes*(qlNodeSize+7)) + int64(bytes)
	case *Hash:
		n := v.Len()
		if v.IsListpack() {
			// One walk over the pairs, visiting the indexes listpackAcct
			// would (At is linear in a listpack).
			sizes := make([]int, 0, min(n, 2*acctSamples))
			k, i := min(n, acctSamples), 0
			v.Each(func(f, val string) bool {
				if n <= 2*acctSamples || len(sizes) < k && i == len(sizes)*n/k {
					sizes = append(sizes, lpEntrySize(f)+lpEntrySize(val))
				}
				i++
				return true
			})
			if n <= 2*acctSamples {
				return listpackAcct(n, func(i int) int { return sizes[i] })
			}
			return listpackAcct(n, func(i int) int { return sizes[i*k/n] })
		}
		per := spread(n, func(i int) int {
			f, val := v.At(i)
			return dictEntrySize + sdsAlloc(len(f)) + sdsAlloc(len(val))
		})
		return int64(robjSize+dictSize+8*dictSlots(n)) + int64(per*float64(n))
	case *Set:
		switch v.enc {
		case encIntset:
			width := 2
			if len(v.ints) > 0 {
				for _, x := range [2]int64{v.ints[0], v.ints[len(v.ints)-1]} {
					switch {
					case x < -1<<31 || x > 1<<31-1:
						width = 8
					case (x < -1<<15 || x > 1<<15-1) && width < 4:
						width = 4
					}
				}
			}
			return int64(robjSize + jeSize(8+width*len(v.ints)))
		}
		// A hashtable, small or not: Redis 7.0 has no listpack sets.
		n := v.Len()
		total, k := 0, 0
		v.Each(func(m string) bool {
			total += dictEntrySize + sdsAlloc(len(m))
			k++
			return k < acctSamples
		})
		return int64(robjSize+dictSize+8*dictSlots(n)) + scaled(total, k, n)
	case *ZSet:
		n := v.Len()
		if v.zsl == nil {
			return listpackAcct(len(v.lp), func(i int) int { return lpEntrySize(v.lp[i].member) + 9 })
		}
		total, k := 0, 0
		v.Range(0, min(n, acctSamples), false, func(e zEntry) {
			total += sdsAlloc(len(e.member)) + dictEntrySize + jeSize(24+16)
			k++
		})
		return int64(robjSize+zsetSize+zskiplistSize+dictSize+8*dictSlots(n)+jeSize(24+32*16)) + scaled(total, k, n)
	case *Stream:
		nb := len(v.blocks)
		size := int64(robjSize + 64 + 128*len(v.groups))
		if nb > 0 {
			per := spread(nb, func(i int) int {
				b := v.blocks[i]
				return 32 + jeSize(len(b.data)+4*len(b.offs)) + b.padBytes
			})
			size += int64(per * float64(nb))
		}
		return size
	}
	return 0
}

// listpackAcct is a listpack-encoded value of n entries: summed exactly
// while small, else estimated from a spread sample (the walk over up to
// *-max-listpack-entries entries would cost more than the write).
func listpackAcct(n int, size func(i int) int) int64 {
	t := 7
	if n <= 2*acctSamples {
		for i := 0; i < n; i++ {
			t += size(i)
		}
	} else {
		t += int(spread(n, size) * float64(n))
	}
	return int64(robjSize + jeSize(t))
}

// spread averages size over up to acctSamples indexes spread evenly
// across [0, n).
func spread(n int, size func(i int) int) float64 {
	k := min(n, acctSamples)
	if k == 0 {
		return 0
	}
	t := 0
	for j := 0; j < k; j++ {
		t += size(j * n / k)
	}
	return float64(t) / float64(k)
}

func scaled(total, k, n int) int64 {
	if k == 0 {
		return 0
	}
	return int64(float64(total) / float64(k) * float64(n))
}

// lpEntrySize is a listpack entry's bytes: encoding header, data and
// back-length (integers are stored in at most 9 bytes).
func lpEntrySize(s string) int {
	if looksInt(s) {
		if _, ok := parseIntString(s); ok {
			return min(len(s), 8) + 2
		}
	}
	n := len(s)
	switch {
	case n < 64:
		return n + 2
	case n < 128:
		return n + 3
	case n < 4096:
		return n + 4
	}
	return n + 10
}
