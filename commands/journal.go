package commands

// Journal lets the leader run commands speculatively and take them back: it
// records the before-image of every key the first time it changes, and
// Rollback puts them back. Scripts use it: the leader runs a script against
// the live dataset at its exact place in the log, keeps what the script's
// commands propagated (their effects) and its reply, rolls the dataset back,
// and proposes the effects; every node — the leader included — then applies
// them from the log. So nothing a script did is visible before it commits, and
// nothing is left behind if it never does.
//
// Like the snapshot's copy-on-write, it hooks the mutators in db.go and
// LookupForUpdate: the only ways the dataset changes.
type Journal struct {
	store   *Store
	undo    []undoStep
	seen    map[journalKey]struct{}
	expired int64 // Store.ExpiredKeys at Begin
}

type journalKey struct {
	db  int
	key string
}

// undoStep is one before-image: of a key, or of a whole db that was flushed.
type undoStep struct {
	db      *DB
	key     string
	v       any
	expire  int64
	existed bool

	swapped *DB  // a SWAPDB of db and swapped: undone by swapping again
	flushed bool // a flush: keys, expires and gen below are the old ones
	keys    map[string]any
	expires map[string]int64
	gen     uint64
	used    int64
	csize   map[string]int64
}

// BeginJournal starts recording; the caller holds the store's write lock
// until Rollback or Discard.
func (s *Store) BeginJournal() *Journal {
	j := &Journal{store: s, seen: map[journalKey]struct{}{}, expired: s.ExpiredKeys}
	s.journal = j
	return j
}

// save records key's state before its first change since Begin.
func (j *Journal) save(db *DB, key string) {
	if j == nil {
		return
	}
	jk := journalKey{db.ID, key}
	if _, done := j.seen[jk]; done {
		return
	}
	j.seen[jk] = struct{}{}
	st := undoStep{db: db, key: key}
	if v, ok := db.keys[key]; ok {
		st.existed = true
		st.v = cloneValue(v)
		st.expire = db.expires[key]
	}
	j.undo = append(j.undo, st)
}

// saveFlush records a whole db before a flush swaps its maps. The old maps
// are kept as they are: flush never changes them afterwards.
func (j *Journal) saveFlush(db *DB) {
	if j == nil {
		return
	}
	j.undo = append(j.undo, undoStep{db: db, flushed: true, keys: db.keys, expires: db.expires, gen: db.gen,
		used: db.used, csize: db.csize})
}

// saveSwap records a SWAPDB. Keys are recorded again after it: their
// before-images so far belong to the other db's contents now.
func (j *Journal) saveSwap(a, b *DB) {
	if j == nil {
		return
	}
	j.undo = append(j.undo, undoStep{db: a, swapped: b})
	clear(j.seen)
}

// Mark starts a new step: keys are recorded again on their first change
// after it, so RollbackTo(mark) can undo this step alone.
func (j *Journal) Mark() int {
	clear(j.seen)
	return len(j.undo)
}

// RollbackTo undoes what was recorded since mark, newest first.
func (j *Journal) RollbackTo(mark int) {
	j.undoFrom(mark)
	j.undo = j.undo[:mark]
	clear(j.seen)
}

// Rollback restores every recorded before-image, newest first, and stops
// recording.
func (j *Journal) Rollback() {
	j.undoFrom(0)
	j.store.ExpiredKeys = j.expired
	j.Discard()
}

func (j *Journal) undoFrom(mark int) {
	j.store.SettleMemory()
	for i := len(j.undo) - 1; i >= mark; i-- {
		st := &j.undo[i]
		db := st.db
		if st.swapped != nil {
			swapContents(db, st.swapped)
			continue
		}
		if st.flushed {
			db.keys, db.expires, db.gen = st.keys, st.expires, st.gen
			db.used, db.csize = st.used, st.csize
			continue
		}
		if cur, ok := db.keys[st.key]; ok {
			db.unaccount(st.key, cur)
		}
		if !st.existed {
			delete(db.keys, st.key)
			delete(db.expires, st.key)
			db.access.remove(st.key)
			continue
		}
		db.account(st.key, nil, false, st.v)
		db.keys[st.key] = st.v
		if st.expire != 0 {
			db.expires[st.key] = st.expire
		} else {
			delete(db.expires, st.key)
		}
	}
	j.store.SettleMemory()
}

// Discard stops recording and keeps the changes.
func (j *Journal) Discard() {
	if j.store.journal == j {
		j.store.journal = nil
	}
	j.undo, j.seen = nil, nil
}
