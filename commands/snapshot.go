package commands

import (
	"iter"
	"maps"
	"math"
	"strconv"
	"unsafe"

	"github.com/geomys/geomys/resp"
)

// Snapshot is a point-in-time dump taken while writes keep flowing. Instead of
// copying the dataset up front, it walks the live maps a few keys at a time and
// every mutator first saves the before-image of a key the walk may not have
// reached yet (copy-on-write at key granularity). The caller holds the store's
// lock exclusively around Begin, each Next and End, as it does around writes.
type Snapshot struct {
	store *Store
	maps  [NumDBs]map[string]any   // the maps as they were at Begin
	exps  [NumDBs]map[string]int64 // their expiry maps
	gens  [NumDBs]uint64           // flush generation of each db at Begin
	// origin maps a live db to the db whose contents it held at Begin:
	// SWAPDB exchanges them.
	origin [NumDBs]int
	saved  [NumDBs]map[string]*before
	db     int
	next   func() (string, any, bool)
	stop   func()
	tail   []pendingKey // saved keys the walk never met (deleted meanwhile)
	tailDB int          // db of the last tail key written, -1 before the first
	// part is the big value being dumped piece by piece, if any; pending is
	// the rest of it, dumped at once by a change to it between two pieces.
	part    *partial
	pending []byte
	// live holds the keys of the db being walked that were written from the
	// live map: their dumped value is already the point-in-time one, so later
	// changes need no before-image, and a key the map yields twice (deleted
	// and re-added behind the walk) is written once.
	live map[string]struct{}
	// Refs are the big string values that belong in what Next appended to
	// buf, to be written from the dataset (Parts) rather than copied into
	// buf; the caller resets them with buf.
	Refs []Ref
}

type before struct {
	v        any
	expireAt int64
	existed  bool
	emitted  bool
}

type pendingKey struct {
	db  int
	key string
	b   *before
}

// BeginSnapshot starts a dump of the current state. Only one runs at a time.
func (s *Store) BeginSnapshot() *Snapshot {
	sn := &Snapshot{store: s, tailDB: -1}
	for i, db := range s.DBs {
		sn.maps[i] = db.keys
		sn.exps[i] = db.expires
		sn.gens[i] = db.gen
		sn.saved[i] = map[string]*before{}
		sn.origin[i] = i
	}
	s.snap = sn
	return sn
}

// End detaches the snapshot so writes stop saving before-images.
func (sn *Snapshot) End() {
	if sn.stop != nil {
		sn.stop()
		sn.next, sn.stop = nil, nil
	}
	if sn.store.snap == sn {
		sn.store.snap = nil
	}
}

// save records key's state before its first change during the snapshot.
func (sn *Snapshot) save(db *DB, key string) {
	if sn == nil {
		return
	}
	id := sn.origin[db.ID]
	if sn.maps[id] == nil {
		return
	}
	if db.gen != sn.gens[id] {
		return // the db was flushed after Begin: the captured map is frozen
	}
	if p := sn.part; p != nil && p.live && p.db == id && p.key == key {
		// The value is about to change under the dump: write the rest as it
		// is now. The key is in live already, so this happens once.
		sn.pending = sn.continuePart(sn.pending, math.MaxInt)
		return
	}
	if id < sn.db {
		return // that db is fully dumped already
	}
	if id == sn.db {
		if _, done := sn.live[key]; done {
			return
		}
	}
	m := sn.maps[id]
	if _, done := sn.saved[id][key]; done {
		return
	}
	v, ok := m[key]
	b := &before{existed: ok}
	if ok {
		b.v = cloneValue(v)
		b.expireAt = sn.exps[id][key]
	}
	sn.saved[id][key] = b
}

// Next appends the RESP rewrite of up to max more keys to buf. It reports
// false once everything has been written.
func (sn *Snapshot) Next(buf []byte, max int) ([]byte, bool) {
	buf = append(buf, sn.pending...)
	sn.pending = nil
	for n := 0; n < max; {
		if sn.part != nil {
			return sn.continuePart(buf, pieceElems), true
		}
		if sn.db >= NumDBs {
			if len(sn.tail) == 0 {
				return buf, false
			}
			buf = sn.nextTail(buf)
			n++
			continue
		}
		if sn.next == nil {
			sn.next, sn.stop = iter.Pull2(maps.All(sn.maps[sn.db]))
			sn.live = map[string]struct{}{}
			buf = appendSelect(buf, sn.db)
		}
		key, v, ok := sn.next()
		if !ok {
			sn.stop()
			sn.next, sn.stop = nil, nil
			for k, b := range sn.saved[sn.db] {
				if b.existed && !b.emitted {
					sn.tail = append(sn.tail, pendingKey{sn.db, k, b})
				}
			}
			sn.db++
			sn.live = nil
			continue
		}
		if _, dup := sn.live[key]; dup {
			continue
		}
		expireAt := sn.exps[sn.db][key]
		live := true
		if b, ok := sn.saved[sn.db][key]; ok {
			if !b.existed || b.emitted {
				continue
			}
			b.emitted = true
			v, expireAt, live = b.v, b.expireAt, false
		} else {
			sn.live[key] = struct{}{}
		}
		buf = sn.appendValue(buf, sn.db, key, v, expireAt, live)
		n++
	}
	return buf, true
}

// nextTail appends the next saved key the walk never met.
func (sn *Snapshot) nextTail(buf []byte) []byte {
	p := sn.tail[0]
	sn.tail = sn.tail[1:]
	if p.db != sn.tailDB {
		sn.tailDB = p.db
		buf = appendSelect(buf, p.db)
	}
	return sn.appendValue(buf, p.db, p.key, p.b.v, p.b.expireAt, false)
}

func appendSelect(buf []byte, db int) []byte {
	return resp.AppendCommand(buf, "SELECT", strconv.Itoa(db))
}

// appendRewrite is AppendRewrite with a big string value left out of buf,
// in Refs: a 100 MB value was copied into the snapshot's buffer, which
// then kept that size for the rest of the snapshot.
func (sn *Snapshot) appendRewrite(buf []byte, key string, v any, expireAt int64) []byte {
	str, ok := v.(string)
	if !ok || len(str) < BigValue {
		return AppendRewrite(buf, key, v, expireAt)
	}
	buf = append(buf, "*3\r\n$3\r\nSET\r\n$"...)
	buf = strconv.AppendInt(buf, int64(len(key)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, key...)
	buf = append(buf, "\r\n$"...)
	buf = strconv.AppendInt(buf, int64(len(str)), 10)
	buf = append(buf, '\r', '\n')
	// Strings in the dataset are never changed in place.
	sn.Refs = append(sn.Refs, Ref{At: len(buf), Data: unsafe.Slice(unsafe.StringData(str), len(str))})
	buf = append(buf, '\r', '\n')
	if expireAt > 0 {
		buf = resp.AppendCommand(buf, "PEXPIREAT", key, strconv.FormatInt(expireAt, 10))
	}
	return buf
}
