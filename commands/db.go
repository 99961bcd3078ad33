package commands

// NumDBs is the number of logical databases, as in Redis' default config.
const NumDBs = 16

// Store is the whole dataset. It holds no lock of its own: the FSM owns the
// lock, takes it exclusively to apply log entries and shared to serve reads.
type Store struct {
	DBs  [NumDBs]*DB
	snap *Snapshot // point-in-time dump in progress, if any
	// journal records before-images while the leader runs a script
	// speculatively (journal.go).
	journal *Journal
	// ExpiredKeys counts keys deleted because their TTL passed (INFO stats).
	ExpiredKeys int64
	// EvictedKeys counts keys deleted to stay under maxmemory (INFO stats).
	EvictedKeys int64
	// LazyfreedObjects counts what Redis would have freed in the
	// background (INFO lazyfreed_objects; lazyfree.go).
	LazyfreedObjects int64
	// PeakMemory is the highest UsedMemory the FSM published (MEMORY
	// STATS peak.allocated); node-local, like the other counters.
	PeakMemory int64
	// dirty are values changed in place, re-measured by SettleMemory.
	dirty []dirtyKey
	// genSeq numbers map generations store-wide (DB.gen), so that no two
	// maps a db ever held, even after SWAPDB, share a generation.
	genSeq uint64
	// Watches, when set, is told about every change to a key while anyone
	// WATCHes (node-local, like Redis' touchWatchedKey).
	Watches WatchSet
	// goneStreams are keys whose stream was deleted or overwritten: a
	// blocked XREADGROUP on them must hear of it (Ctx.TakeReady hands them
	// over), as Redis signals such keys from dbGenericDelete/dbOverwrite.
	goneStreams []ReadyKey
	// StreamNode are the stream node limits in force for the commands
	// being applied (stream_node.go); nextStreamNode, set by an AOF
	// annotation, replaces them for the next XADD loaded.
	StreamNode     StreamNodeLimits
	nextStreamNode *StreamNodeLimits
}

// streamGone records that key's stream value is being deleted or replaced.
func (db *DB) streamGone(key string, old any) {
	if _, ok := old.(*Stream); ok {
		db.store.goneStreams = append(db.store.goneStreams, ReadyKey{DB: db.ID, Key: key})
	}
}

// WatchSet is the WATCH registry the server keeps; Touch is called on every
// change to a key (all=true for a whole db; db -1 for every db).
type WatchSet interface {
	Active() bool
	Touch(db int, key string, all bool)
	// Deleted is Touch for a key being deleted: a client that watched it
	// when it had already expired sees no change (Redis' touchWatchedKey).
	Deleted(db int, key string)
	// Replaced tells that the contents of dbs were replaced at once
	// (FLUSHDB, FLUSHALL, SWAPDB): had reports whether a db held a key
	// before, holds what it holds now. As Redis' touchAllWatchedKeysInDb,
	// only keys present on either side count, and a key that was already
	// expired when watched, and is gone or still expired, is no change.
	Replaced(dbs []int, had func(db int, key string) bool, holds func(db int, key string) KeyState)
}

// KeyState is what a db holds under a key, for WATCH.
type KeyState uint8

const (
	KeyAbsent KeyState = iota
	KeyLive
	KeyStale // present, but its TTL has passed (not yet deleted)
)

func (db *DB) touch(key string, all bool) {
	if w := db.store.Watches; w != nil && w.Active() {
		w.Touch(db.ID, key, all)
	}
}

// stateAt is what db holds under key at nowMs.
func (db *DB) stateAt(key string, nowMs int64) KeyState {
	if _, ok := db.keys[key]; !ok {
		return KeyAbsent
	}
	if at, ok := db.expires[key]; ok && at <= nowMs {
		return KeyStale
	}
	return KeyLive
}

// DB is one logical database: keys to values plus the keys that carry a TTL.
// Values are string (immutable), *mutString (a string changed in place) or a
// Collection (*List, ...).
type DB struct {
	ID      int
	keys    map[string]any
	expires map[string]int64 // absolute unix ms
	gen     uint64           // renewed by flush, so a snapshot knows its maps are frozen
	access  accessTable      // last access times (OBJECT IDLETIME), node-local
	store   *Store
	used    int64            // accounted bytes of the keys (memacct.go)
	csize   map[string]int64 // accounted bytes of each collection key
}

func NewStore() *Store {
	s := &Store{StreamNode: DefaultStreamNodeLimits}
	for i := range s.DBs {
		s.DBs[i] = &DB{ID: i, keys: map[string]any{}, expires: map[string]int64{}, store: s, gen: uint64(i),
			access: newAccessTable()}
	}
	s.genSeq = NumDBs
	return s
}

// Len counts keys including ones whose TTL has passed but that the log has not
// deleted yet, like Redis' DBSIZE.
func (db *DB) Len() int     { return len(db.keys) }
func (db *DB) Expires() int { return len(db.expires) }

// Peek returns a key's value and expiry without any expiry check or side effect.
func (db *DB) Peek(key string) (v any, expireAt int64, ok bool) {
	v, ok = db.keys[key]
	if ok {
		expireAt = db.expires[key]
	}
	return
}

// Range calls fn for every key until it returns false.
func (db *DB) Range(fn func(key string, v any, expireAt int64) bool) {
	for k, v := range db.keys {
		if !fn(k, v, db.expires[k]) {
			return
		}
	}
}

// ExpiredSample returns up to n keys whose TTL is at or before now; the leader
// proposes their deletion through the log.
func (db *DB) ExpiredSample(now int64, n int) []string {
	var out []string
	for k, at := range db.expires {
		if at <= now {
			out = append(out, k)
			if len(out) >= n {
				break
			}
		}
	}
	return out
}

// RandomKey returns some key (Go map iteration order is randomized per call).
// Only used by reads, which are node-local.
func (db *DB) RandomKey(now int64) (string, bool) {
	tries := 0
	for k := range db.keys {
		if at, ok := db.expires[k]; ok && at <= now && tries < 100 {
			tries++
			continue
		}
		return k, true
	}
	return "", false
}

// The mutators below are the only way the dataset changes; each first lets an
// in-progress snapshot save the key's before-image.

func (db *DB) set(key string, v any) {
	db.touch(key, false)
	db.store.snap.save(db, key)
	db.store.journal.save(db, key)
	old, had := db.keys[key]
	if had {
		db.streamGone(key, old)
	}
	db.account(key, old, had, v)
	db.keys[key] = v
}

func (db *DB) del(key string) bool {
	old, ok := db.keys[key]
	if !ok {
		return false
	}
	if s, ok := viewString(old); ok && len(s) >= BigValue {
		bigFreed.Add(int64(len(s)))
	}
	if w := db.store.Watches; w != nil && w.Active() {
		w.Deleted(db.ID, key)
	}
	db.store.snap.save(db, key)
	db.store.journal.save(db, key)
	db.streamGone(key, old)
	db.unaccount(key, old)
	delete(db.keys, key)
	delete(db.expires, key)
	db.access.remove(key)
	return true
}

func (db *DB) setExpire(key string, at int64) {
	db.touch(key, false)
	db.store.snap.save(db, key)
	db.store.journal.save(db, key)
	db.expires[key] = at
}

func (db *DB) persist(key string) bool {
	if _, ok := db.expires[key]; !ok {
		return false
	}
	db.touch(key, false)
	db.store.snap.save(db, key)
	db.store.journal.save(db, key)
	delete(db.expires, key)
	return true
}

// flush empties the database by swapping in new maps, so a snapshot that
// captured the old ones keeps its point-in-time view without copying.
func (db *DB) flush() {
	db.store.flushed([]int{db.ID})
	db.flushQuiet()
}

// flushed tells the WATCH registry that dbs are about to be emptied.
func (s *Store) flushed(dbs []int) {
	if w := s.Watches; w != nil && w.Active() {
		had := func(db int, key string) bool {
			_, ok := s.DBs[db].keys[key]
			return ok
		}
		w.Replaced(dbs, had, func(int, string) KeyState { return KeyAbsent })
	}
}

// flushQuiet is flush without telling the WATCH registry.
func (db *DB) flushQuiet() {
	db.store.journal.saveFlush(db)
	db.store.genSeq++
	db.gen = db.store.genSeq
	db.keys = map[string]any{}
	db.expires = map[string]int64{}
	db.access = newAccessTable()
	db.used, db.csize = 0, nil
}

// swapDB exchanges the contents of two databases (SWAPDB). Clients stay on
// their db numbers, so watchers of keys that exist on either side are
// touched, and clients blocked on either db look again, as in Redis; nowMs
// decides which keys are already expired.
func (s *Store) swapDB(a, b *DB, nowMs int64) {
	if w := s.Watches; w != nil && w.Active() {
		other := func(db int) *DB {
			if db == a.ID {
				return b
			}
			return a
		}
		had := func(db int, key string) bool {
			_, ok := s.DBs[db].keys[key]
			return ok
		}
		holds := func(db int, key string) KeyState { return other(db).stateAt(key, nowMs) }
		w.Replaced([]int{a.ID, b.ID}, had, holds)
	}
	s.journal.saveSwap(a, b)
	swapContents(a, b)
}

// swapContents moves the maps (with their generations) between a and b, and
// tells a snapshot in progress which captured contents each now holds.
func swapContents(a, b *DB) {
	if sn := a.store.snap; sn != nil {
		sn.origin[a.ID], sn.origin[b.ID] = sn.origin[b.ID], sn.origin[a.ID]
	}
	a.keys, b.keys = b.keys, a.keys
	a.expires, b.expires = b.expires, a.expires
	a.gen, b.gen = b.gen, a.gen
	a.access, b.access = b.access, a.access
	a.used, b.used = b.used, a.used
	a.csize, b.csize = b.csize, a.csize
}
