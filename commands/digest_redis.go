package commands

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// DEBUG DIGEST and DEBUG DIGEST-VALUE compute exactly what redis-server's
// debug.c computes, so Redis's own tests (and anyone comparing a Geomys
// dataset with a Redis one) can compare digests across the two. This is a
// different function from Store.Digest (RAFT.DIGEST), which has its own,
// cheaper canonical form and must keep its meaning across versions.
//
// Redis's building blocks: xorDigest XORs sha1(data) into a digest (order
// does not matter: set members, hash fields, keys), mixDigest replaces the
// digest with sha1(digest XOR sha1(data)) (order matters: list elements,
// stream entries).

// Redis's object type numbers (server.h OBJ_*), mixed into each value.
const (
	redisObjString = 0
	redisObjList   = 1
	redisObjSet    = 2
	redisObjZSet   = 3
	redisObjHash   = 4
	redisObjStream = 6
)

func xorDigest(d *[20]byte, data []byte) {
	sum := sha1.Sum(data)
	xor20(d, &sum)
}

func mixDigest(d *[20]byte, data []byte) {
	xorDigest(d, data)
	*d = sha1.Sum(d[:])
}

func mixDigestString(d *[20]byte, s string) { mixDigest(d, []byte(s)) }

// redisValueDigest mixes one value into d as Redis's xorObjectDigest does:
// its type, its contents, and "!!expire!!" when the key has a TTL (whatever
// the TTL: Redis does not digest the time itself).
func redisValueDigest(d *[20]byte, v any, hasExpire bool) {
	var aux [4]byte
	var buf []byte
	switch v := v.(type) {
	case string:
		binary.BigEndian.PutUint32(aux[:], redisObjString)
		mixDigest(d, aux[:])
		mixDigestString(d, v)
	case *mutString:
		binary.BigEndian.PutUint32(aux[:], redisObjString)
		mixDigest(d, aux[:])
		mixDigestString(d, v.view())
	case *List:
		binary.BigEndian.PutUint32(aux[:], redisObjList)
		mixDigest(d, aux[:])
		a, b := v.Slices(0, v.Len())
		for _, part := range [2][]string{a, b} {
			for _, e := range part {
				mixDigestString(d, e)
			}
		}
	case *Set:
		binary.BigEndian.PutUint32(aux[:], redisObjSet)
		mixDigest(d, aux[:])
		v.Each(func(m string) bool {
			xorDigest(d, []byte(m))
			return true
		})
	case *ZSet:
		binary.BigEndian.PutUint32(aux[:], redisObjZSet)
		mixDigest(d, aux[:])
		v.Range(0, v.Len(), false, func(e zEntry) {
			var el [20]byte
			mixDigestString(&el, e.member)
			// Redis formats the score with "%.17g" (AppendFloat's form).
			buf = AppendFloat(buf[:0], e.score)
			mixDigest(&el, buf)
			xorDigest(d, el[:]) // Redis XORs in sha1(element digest)
		})
	case *Hash:
		binary.BigEndian.PutUint32(aux[:], redisObjHash)
		mixDigest(d, aux[:])
		v.Each(func(f, val string) bool {
			var el [20]byte
			mixDigestString(&el, f)
			mixDigestString(&el, val)
			xorDigest(d, el[:]) // Redis XORs in sha1(element digest)
			return true
		})
	case *Stream:
		binary.BigEndian.PutUint32(aux[:], redisObjStream)
		mixDigest(d, aux[:])
		// Only the entries: Redis leaves consumer groups out of the digest.
		v.scan(minStreamID, maxStreamID, false, func(e streamEntry) bool {
			buf = strconv.AppendUint(buf[:0], e.id.Ms, 10)
			buf = append(buf, '.')
			buf = strconv.AppendUint(buf, e.id.Seq, 10)
			mixDigest(d, buf)
			for _, f := range e.fields {
				mixDigest(d, f)
			}
			return true
		})
	default:
		// A type Redis does not have: digest its rewrite, which at least
		// changes whenever the value does.
		if c, ok := v.(Collection); ok {
			mixDigest(d, c.AppendRewrite(nil, ""))
		}
	}
	if hasExpire {
		xorDigest(d, []byte("!!expire!!"))
	}
}

// RedisDigestValue is DEBUG DIGEST-VALUE's digest of one key in db, in hex:
// forty zeros for a missing key. Like Redis it sees logically expired keys
// that are still in the dataset.
func (db *DB) RedisDigestValue(key string) string {
	var d [20]byte
	if v, ok := db.keys[key]; ok {
		_, has := db.expires[key]
		redisValueDigest(&d, v, has)
	}
	return hex.EncodeToString(d[:])
}

// RedisDigest is DEBUG DIGEST's digest of the whole dataset, in hex, as
// redis-server's computeDatasetDigest: per db (non-empty ones, in order)
// the db number is mixed into the running result, and then every key's
// digest of its name and value XORed into it (as sha1 of it, as Redis's
// xorDigest does). An empty dataset is forty
// zeros.
func (s *Store) RedisDigest() string {
	var final [20]byte
	var aux [4]byte
	for _, db := range s.DBs {
		if len(db.keys) == 0 {
			continue
		}
		binary.BigEndian.PutUint32(aux[:], uint32(db.ID))
		mixDigest(&final, aux[:])
		for k, v := range db.keys {
			var d [20]byte
			mixDigestString(&d, k)
			_, has := db.expires[k]
			redisValueDigest(&d, v, has)
			xorDigest(&final, d[:])
		}
	}
	return hex.EncodeToString(final[:])
}
