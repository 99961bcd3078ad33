package commands

import (
	"crypto/sha1"
	"encoding/binary"
	"hash"
	"math"
	"strconv"
)

// Digest returns a SHA-1 based digest of the whole dataset, like Redis'
// DEBUG DIGEST: two stores holding the same logical data digest the same,
// whatever the order the keys or elements were inserted in, Go's map
// iteration order, or the internal encoding of a value (listpack or
// hashtable hash, intset/listpack/hashtable set, listpack or skiplist zset).
// An empty dataset digests to all zeros (Redis' 40 zeros).
//
// Every live key contributes sha1(db, type, key, expiry, value), and the
// per-key digests are XORed together, so the key order does not matter. The
// expiry is the absolute unix time in ms, 0 when the key has none. Within a
// value, lists are digested in order and sorted sets in (score, member) order
// with the score's exact float64 bits; hashes and sets are order-independent:
// the XOR of sha1(field, value) or sha1(member) over their elements (fields
// and members are unique, so nothing cancels out). Set members are digested
// as their strings, so an intset digests like the same members stored as
// strings.
//
// Keys whose expiry is at or before now are treated as absent, as a lookup at
// now would see them. Digest never changes the store (it does not delete
// expired keys), so it may run under the FSM's shared lock.
func (s *Store) Digest(now int64) [20]byte {
	d := newDigester()
	var out [20]byte
	for _, db := range s.DBs {
		checkTTL := len(db.expires) > 0
		for k, v := range db.keys {
			var at int64
			if checkTTL {
				if e, has := db.expires[k]; has {
					if e <= now {
						continue // logically expired
					}
					at = e
				}
			}
			sum := d.key(db.ID, k, v, at)
			xor20(&out, &sum)
		}
	}
	return out
}

// digestFlush is how much canonical encoding a digester buffers before it
// feeds the hash, so big values are streamed rather than copied whole.
const digestFlush = 8 << 10

// digester holds the reusable state for digesting keys without allocating
// per key or per element.
type digester struct {
	h       hash.Hash // the key's digest, for values too big to buffer
	flushed bool      // part of the key's bytes went to h already
	sum     []byte    // h.Sum destination, cap 20
	buf     []byte    // canonical bytes not yet written to h
	el      []byte    // one element's canonical bytes (sets and hashes)
}

func newDigester() *digester {
	return &digester{
		h:   sha1.New(),
		sum: make([]byte, 0, sha1.Size),
		buf: make([]byte, 0, digestFlush+256),
		el:  make([]byte, 0, 256),
	}
}

// key returns the digest of one key: its db, type, name, absolute expiry
// (0 for none) and canonical value.
func (d *digester) key(db int, key string, v any, expireAt int64) [20]byte {
	d.flushed = false
	b := d.buf[:0]
	b = binary.BigEndian.AppendUint32(b, uint32(db))
	switch v := v.(type) {
	case string, *mutString:
		b = appendDigestString(b, "string")
	case Collection:
		b = appendDigestString(b, v.TypeName())
	default:
		panic("digest: unknown value type")
	}
	b = appendDigestString(b, key)
	b = binary.BigEndian.AppendUint64(b, uint64(expireAt))
	d.buf = b

	switch v := v.(type) {
	case string:
		d.str(v)
	case *mutString:
		d.str(v.view())
	case *List:
		d.list(v)
	case *Hash:
		d.hash(v)
	case *Set:
		d.set(v)
	case *ZSet:
		d.zset(v)
	case Collection:
		// A type without a canonical walk yet: fall back to the commands that
		// recreate it, which is deterministic as long as the type iterates
		// in a canonical order.
		d.buf = v.AppendRewrite(d.buf, key)
	}
	if !d.flushed {
		return sha1.Sum(d.buf) // the common case: a small key in one go
	}
	d.h.Write(d.buf)
	d.sum = d.h.Sum(d.sum[:0])
	var out [20]byte
	copy(out[:], d.sum)
	return out
}

// maybeFlush feeds the buffered bytes to the key's hash once there are many.
func (d *digester) maybeFlush() {
	if len(d.buf) >= digestFlush {
		if !d.flushed {
			d.h.Reset()
			d.flushed = true
		}
		d.h.Write(d.buf)
		d.buf = d.buf[:0]
	}
}

// list: the element count, then every element in order.
func (d *digester) list(l *List) {
	d.buf = binary.BigEndian.AppendUint64(d.buf, uint64(l.Len()))
	a, b := l.Slices(0, l.Len())
	for _, part := range [2][]string{a, b} {
		for _, e := range part {
			d.str(e)
			d.maybeFlush()
		}
	}
}

// hash: the field count, then the XOR of sha1(field, value) over the fields.
func (d *digester) hash(h *Hash) {
	var acc [20]byte
	h.Each(func(f, v string) bool {
		el := appendDigestString(d.el[:0], f)
		el = appendDigestString(el, v)
		d.el = el
		sum := sha1.Sum(el)
		xor20(&acc, &sum)
		return true
	})
	d.buf = binary.BigEndian.AppendUint64(d.buf, uint64(h.Len()))
	d.buf = append(d.buf, acc[:]...)
}

// set: the member count, then the XOR of sha1(member) over the members, each
// member as its string (intset members are formatted in base 10, which is how
// they read back).
func (d *digester) set(s *Set) {
	var acc [20]byte
	add := func(m []byte) {
		sum := sha1.Sum(m)
		xor20(&acc, &sum)
	}
	switch s.enc {
	case encIntset:
		for _, v := range s.ints {
			d.el = strconv.AppendInt(d.el[:0], v, 10)
			add(d.el)
		}
	case encListpack:
		for _, m := range s.strs {
			d.el = append(d.el[:0], m...)
			add(d.el)
		}
	default:
		for _, bk := range s.ht.b {
			for i := range bk {
				d.el = append(d.el[:0], bk[i].s...)
				add(d.el)
			}
		}
	}
	d.buf = binary.BigEndian.AppendUint64(d.buf, uint64(s.Len()))
	d.buf = append(d.buf, acc[:]...)
}

// zset: the member count, then every (member, score bits) in rank order,
// which is (score, member) order in both encodings.
func (d *digester) zset(z *ZSet) {
	n := z.Len()
	d.buf = binary.BigEndian.AppendUint64(d.buf, uint64(n))
	if z.zsl == nil {
		for i := range z.lp {
			d.zentry(z.lp[i].member, z.lp[i].score)
		}
		return
	}
	for x := z.zsl.header.lv(0).forward; x != nil; x = x.lv(0).forward {
		d.zentry(x.member, x.score)
	}
}

func (d *digester) zentry(member string, score float64) {
	d.buf = appendDigestString(d.buf, member)
	d.buf = binary.BigEndian.AppendUint64(d.buf, math.Float64bits(score))
	d.maybeFlush()
}

// str is appendDigestString into d.buf, a piece at a time: a big value
// went into the buffer whole (RAFT.DIGEST of a 100 MB string held a second
// 100 MB, kept for the next key).
func (d *digester) str(s string) {
	d.buf = binary.AppendUvarint(d.buf, uint64(len(s)))
	for len(s) > digestFlush {
		d.buf = append(d.buf, s[:digestFlush]...)
		s = s[digestFlush:]
		d.maybeFlush()
	}
	d.buf = append(d.buf, s...)
}

// appendDigestString appends s with a length prefix, so that concatenations
// are unambiguous.
func appendDigestString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func xor20(dst, src *[20]byte) {
	// Three word-sized XORs instead of twenty byte ones.
	binary.LittleEndian.PutUint64(dst[0:], binary.LittleEndian.Uint64(dst[0:])^binary.LittleEndian.Uint64(src[0:]))
	binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(dst[8:])^binary.LittleEndian.Uint64(src[8:]))
	binary.LittleEndian.PutUint32(dst[16:], binary.LittleEndian.Uint32(dst[16:])^binary.LittleEndian.Uint32(src[16:]))
}
