package commands

import (
	"math/rand/v2"
	"strconv"
)

// Session is node-local, per-connection state a read may use (for example
// SCAN's cursor cache). It is nil when a command runs inside the FSM.
type Session interface {
	ScanCache() *ScanCache
}

// Ctx is everything a handler sees. For writes it is built by the FSM from a
// log entry: Now is the entry's timestamp and Rand is seeded from the entry, so
// every node computes the same result. For reads it is built by the server with
// the local clock, and it must not change the dataset.
type Ctx struct {
	Store   *Store
	DB      *DB
	Args    [][]byte
	Now     int64 // unix milliseconds
	R       *Reply
	Prop    *Propagation // nil for reads
	Rand    *rand.Rand   // deterministic per entry; nil for reads
	Session Session
	// Entry is the data of the Raft log entry being applied (nil elsewhere):
	// immutable, so big values in it can be kept without a copy
	// (KeepString) and written to the AOF from where they are.
	Entry []byte
	// Retry is set when a blocking command runs again for the client it
	// blocked, after a write signalled one of its keys.
	Retry bool
	// Hits and Misses count the read path's key lookups (INFO
	// keyspace_hits/misses); the server collects and zeroes them.
	Hits, Misses int64
	// Expired are keys the read path met past their TTL (at most
	// MaxLazyExpired): the server has the leader delete them through the
	// log, as Redis deletes a key a command finds expired.
	Expired []ReadyKey
	// Script is set while a script's redis.call runs the command: some
	// commands answer in a fixed order there, as in Redis.
	Script bool

	dirty      int
	propagated bool
	ready      []ReadyKey
	block      *BlockRequest
	pubs       []Publication // PUBLISH (cmd_pubsub.go)
	xread      *Reply        // XREAD's per-stream replies (cmd_stream_read.go)
	notify     uint32        // keyspace event classes to publish (notify.go)
}

// ReadyKey names a key that may now unblock a waiting client.
type ReadyKey struct {
	DB  int
	Key string
	// AllKeys: any key of DB may have changed (SWAPDB); Key is unused.
	AllKeys bool
}

// BlockRequest is set by a blocking command that found nothing to serve.
type BlockRequest struct {
	Keys    []string
	Timeout int64 // milliseconds, 0 = forever
	// Args, when set, is the command to re-run on wake-ups instead of the
	// one received: XREAD's "$" fixed to the last id when it blocked.
	Args [][]byte
	// Ready, when set, tells whether a retry would be served now (the
	// server calls it under the store's read lock); without it a key that
	// exists is taken to have something.
	Ready func(db *DB) bool
	// Observes is set when serving the client changes nothing in the
	// dataset (XREAD without a group): a writer need not wait for it.
	Observes bool
}

// Writable reports whether the handler runs inside the FSM.
func (c *Ctx) Writable() bool { return c.Prop != nil }

// Begin prepares the context for the next command of an entry or pipeline.
func (c *Ctx) Begin(db *DB, args [][]byte) {
	c.DB, c.Args = db, args
	c.dirty, c.propagated, c.block, c.Retry = 0, false, nil, false
}

// Finish propagates the command as received when it changed the dataset and
// the handler did not propagate a rewritten form itself.
func (c *Ctx) Finish() {
	if c.Store != nil {
		c.Store.SettleMemory()
	}
	if c.Prop != nil && c.dirty > 0 && !c.propagated {
		c.Prop.Command(c.DB.ID, c.Args...)
	}
}

// Dirty records that the dataset changed (so the command is propagated).
func (c *Ctx) Dirty(n int)     { c.dirty += n }
func (c *Ctx) DirtyCount() int { return c.dirty }

// Propagate records a rewritten, deterministic form of the command instead of
// the command as received; it may be called several times.
func (c *Ctx) Propagate(args ...[]byte) {
	c.propagated = true
	if c.Prop != nil {
		c.Prop.Command(c.DB.ID, args...)
	}
}

func (c *Ctx) PropagateStrings(args ...string) {
	c.propagated = true
	if c.Prop != nil {
		c.Prop.CommandStrings(c.DB.ID, args...)
	}
}

// Signal tells blocked clients that key may have something for them now.
func (c *Ctx) Signal(key string) { c.ready = append(c.ready, ReadyKey{DB: c.DB.ID, Key: key}) }

// SignalAllIn tells every client blocked on a key of db to look again.
func (c *Ctx) SignalAllIn(db *DB) { c.ready = append(c.ready, ReadyKey{DB: db.ID, AllKeys: true}) }

// ReadyLen is how many keys were signalled since the last TakeReady.
func (c *Ctx) ReadyLen() int { return len(c.ready) }

// ReadySince returns the keys signalled after the first i (see ReadyLen);
// the slice is the context's: copy what must outlive TakeReady.
func (c *Ctx) ReadySince(i int) []ReadyKey { return c.ready[i:] }

// TakeReady returns and clears the signalled keys, with the keys whose
// stream went away.
func (c *Ctx) TakeReady() []ReadyKey {
	r := c.ready
	c.ready = nil
	if st := c.Store; st != nil && len(st.goneStreams) > 0 {
		r = append(r, st.goneStreams...)
		st.goneStreams = st.goneStreams[:0]
	}
	return r
}

// Block asks the server to park the client until one of keys is signalled.
func (c *Ctx) Block(keys []string, timeoutMs int64) {
	c.block = &BlockRequest{Keys: keys, Timeout: timeoutMs}
}
func (c *Ctx) Blocked() *BlockRequest { return c.block }

// BlockWith is Block with the arguments to re-run the command with.
func (c *Ctx) BlockWith(keys []string, timeoutMs int64, args [][]byte, ready func(db *DB) bool) {
	c.block = &BlockRequest{Keys: keys, Timeout: timeoutMs, Args: args, Ready: ready}
}

// PropagateNote appends an annotation line to what the command propagates
// (Redis skips such lines when loading an AOF; Geomys reads some of them).
// Like Propagate, it replaces propagating the command as received.
func (c *Ctx) PropagateNote(line string) {
	c.propagated = true
	if c.Prop != nil {
		c.Prop.Annotate(line)
	}
}

// --- key access: the only way handlers see the dataset ---

// expire handles a key whose TTL passed, found by a write: it is deleted and
// the DEL propagated, like a Redis primary does. (A read just doesn't see it.)
func (c *Ctx) expire(db *DB, key string) {
	db.del(key)
	db.store.ExpiredKeys++
	c.Prop.CommandStrings(db.ID, "DEL", key)
	if c.notify&NotifyExpired != 0 {
		c.notifyIn(db.ID, "expired", []byte(key))
	}
}

// MaxLazyExpired bounds Ctx.Expired, so one pipeline's deletions stay one
// small log entry; the expiry cycle takes care of any others.
const MaxLazyExpired = 256

// MetExpired notes a key the read path found past its TTL, so the server
// deletes it through the log (Ctx.Expired), as Redis deletes a key any
// command meets expired: a lookup's miss, and the keys SCAN and RANDOMKEY
// pass over. Inside the FSM (c.Prop set) it does nothing: a lookup there
// deletes the key itself, and the keys a SCAN or RANDOMKEY passes over are
// only skipped, as which ones they meet is not part of the log.
func (c *Ctx) MetExpired(db *DB, key string) {
	if c.Prop == nil && len(c.Expired) < MaxLazyExpired {
		c.Expired = append(c.Expired, ReadyKey{DB: db.ID, Key: key})
	}
}

// Lookup returns the live value of key in the current db.
func (c *Ctx) Lookup(key []byte) (any, bool) { return c.LookupIn(c.DB, key) }

// LookupIn is the hot path of nearly every command: it must not allocate.
func (c *Ctx) LookupIn(db *DB, key []byte) (any, bool) { return c.lookup(db, key, true) }

// LookupNoTouch is Lookup without recording an access, so OBJECT IDLETIME
// and FREQ do not move: Redis' LOOKUP_NOTOUCH, which TTL, TYPE and EXISTS
// use. Expiry and keyspace hits/misses are as for Lookup.
func (c *Ctx) LookupNoTouch(key []byte) (any, bool) { return c.lookup(c.DB, key, false) }

func (c *Ctx) lookup(db *DB, key []byte, touch bool) (any, bool) {
	v, ok := db.keys[string(key)]
	if !ok {
		if c.Prop == nil {
			c.Misses++
		}
		return nil, false
	}
	if len(db.expires) > 0 {
		if at, has := db.expires[string(key)]; has && at <= c.Now {
			if c.Prop != nil {
				c.expire(db, string(key))
			} else {
				c.Misses++
				c.MetExpired(db, string(key))
			}
			return nil, false
		}
	}
	if touch {
		db.access.touch(key, c.Now, c.Prop != nil)
	}
	if c.Prop == nil {
		c.Hits++
	}
	return v, true
}

// Probe looks key up for a write's no-op check (Command.Noop), which runs
// on the read path: like Redis's lookupKeyWrite it counts no keyspace hit
// or miss, and it touches the key's access time. expired reports a key
// whose TTL has passed: the write path would delete it and propagate a
// DEL, so a check must then report false.
func (c *Ctx) Probe(key []byte) (v any, found, expired bool) {
	v, found = c.DB.keys[string(key)]
	if !found {
		return nil, false, false
	}
	if len(c.DB.expires) > 0 {
		if at, has := c.DB.expires[string(key)]; has && at <= c.Now {
			return nil, false, true
		}
	}
	c.DB.access.touch(key, c.Now, false)
	return v, true, false
}

// Peek returns the live value of key without counting as an access (OBJECT,
// MEMORY USAGE), like Redis' LOOKUP_NOTOUCH.
func (c *Ctx) Peek(key []byte) (any, bool) {
	v, ok := c.DB.keys[string(key)]
	if !ok {
		return nil, false
	}
	if at, has := c.DB.expires[string(key)]; has && at <= c.Now {
		return nil, false
	}
	return v, true
}

// LookupForUpdate returns a value the handler is about to change in place.
func (c *Ctx) LookupForUpdate(key []byte) (any, bool) {
	v, ok := c.Lookup(key)
	if ok {
		if w := c.DB.store.Watches; w != nil && w.Active() {
			w.Touch(c.DB.ID, string(key), false)
		}
		if c.DB.store.snap != nil {
			c.DB.store.snap.save(c.DB, string(key))
		}
		if c.DB.store.journal != nil {
			c.DB.store.journal.save(c.DB, string(key))
		}
		c.DB.markDirty(string(key))
	}
	return v, ok
}

// Put stores v under key; keepTTL false clears any TTL (as SET does).
func (c *Ctx) Put(key []byte, v any, keepTTL bool) { c.PutIn(c.DB, key, v, keepTTL) }

func (c *Ctx) PutIn(db *DB, key []byte, v any, keepTTL bool) {
	k := string(key)
	if c.notify&NotifyNew != 0 {
		if _, ok := db.keys[k]; !ok {
			c.notifyIn(db.ID, "new", key)
		}
	}
	db.set(k, v)
	if !keepTTL {
		db.persist(k)
	}
	db.access.touch(key, c.Now, true)
}

// Delete removes key; reports whether a live key was removed.
func (c *Ctx) Delete(key []byte) bool { return c.DeleteIn(c.DB, key) }

func (c *Ctx) DeleteIn(db *DB, key []byte) bool {
	if _, ok := c.LookupIn(db, key); !ok {
		return false
	}
	return db.del(string(key))
}

// TTL returns the absolute expiry of a live key, if it has one.
func (c *Ctx) TTL(key []byte) (int64, bool) {
	at, ok := c.DB.expires[string(key)]
	return at, ok
}

// SetExpire sets an absolute expiry (ms) on an existing key.
func (c *Ctx) SetExpire(key []byte, at int64) { c.DB.setExpire(string(key), at) }

// Persist removes the TTL; reports whether there was one.
func (c *Ctx) Persist(key []byte) bool { return c.DB.persist(string(key)) }

// SetExpireIn and SignalIn act on another database (MOVE, COPY ... DB).
func (c *Ctx) SetExpireIn(db *DB, key []byte, at int64) { db.setExpire(string(key), at) }
func (c *Ctx) SignalIn(db *DB, key string)              { c.ready = append(c.ready, ReadyKey{DB: db.ID, Key: key}) }

// FlushDB empties the current database; FlushAll every database.
// Clients blocked on the emptied dbs look again: a blocked XREADGROUP's
// stream may be gone.
func (c *Ctx) FlushDB() {
	c.DB.flush()
	c.SignalAllIn(c.DB)
}
func (c *Ctx) FlushAll() {
	// One call for every db, so client tracking sends one flush
	// invalidation as Redis does, not one per database.
	dbs := make([]int, len(c.Store.DBs))
	for i := range dbs {
		dbs[i] = i
	}
	c.Store.flushed(dbs)
	for _, db := range c.Store.DBs {
		db.flushQuiet()
		c.SignalAllIn(db)
	}
}

// --- replies and argument parsing helpers ---

func (c *Ctx) Err(msg string) { c.R.Error(msg) }
func (c *Ctx) WrongType()     { c.R.Error(ErrWrongType) }
func (c *Ctx) SyntaxErr()     { c.R.Error(ErrSyntax) }

// ArityErr writes Redis' wrong-number-of-arguments error for this command.
func ArityErr(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// ParseInt parses a Redis integer argument strictly (no spaces, no '+').
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 || b[0] == '+' || (len(b) > 1 && b[0] == '0') {
		return 0, false
	}
	if len(b) > 1 && b[0] == '-' && b[1] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// EqualFold compares an argument to a lower-case keyword.
func EqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}
