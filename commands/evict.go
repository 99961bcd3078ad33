package commands

import (
	"math/rand/v2"
	"sort"
)

// Eviction (maxmemory-policy). Only the leader chooses victims, from its
// node-local access table; it then proposes their deletion through the log,
// so every node deletes the same keys at the same point. Choosing is
// Redis' approximated algorithm: sample maxmemory-samples keys of every
// database, keep the best candidates in a small pool across rounds, evict
// the best one.

// Policy is a maxmemory-policy.
type Policy uint8

const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

var policyNames = []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// ParsePolicy reads a maxmemory-policy name (lower case).
func ParsePolicy(name string) (Policy, bool) {
	for i, n := range policyNames {
		if n == name {
			return Policy(i), true
		}
	}
	return NoEviction, false
}

func (p Policy) String() string { return policyNames[p] }

// Volatile reports whether the policy evicts only keys with a TTL.
func (p Policy) Volatile() bool { return p >= VolatileLRU }

// IsLFU reports whether the policy needs access counters.
func (p Policy) IsLFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// Victim is a key chosen for eviction.
type Victim struct {
	DB   int
	Key  string
	Size int64
}

const evictionPoolSize = 16

type poolEntry struct {
	Victim
	score int64 // higher is evicted first
}

// EvictionVictims chooses keys whose deletion frees at least need bytes
// (at most max keys), as of nowMs. It only reads the store.
func (s *Store) EvictionVictims(p Policy, samples int, need int64, nowMs int64, max int) []Victim {
	if p == NoEviction || need <= 0 {
		return nil
	}
	samples = min(samples, 64)
	chosen := map[Victim]struct{}{}
	var out []Victim
	var freed int64
	var pool []poolEntry
	taken := func(db int, key string) bool {
		_, ok := chosen[Victim{DB: db, Key: key}]
		return ok
	}
	for rounds := 0; freed < need && len(out) < max && rounds < 4*max+16; rounds++ {
		if p == AllKeysRandom || p == VolatileRandom {
			v, ok := s.randomVictim(p, samples, taken)
			if !ok {
				break
			}
			chosen[Victim{DB: v.DB, Key: v.Key}] = struct{}{}
			out = append(out, v)
			freed += v.Size
			continue
		}
		for _, db := range s.DBs {
			src := db.keys
			if p.Volatile() {
				if len(db.expires) == 0 {
					continue
				}
			} else if len(src) == 0 {
				continue
			}
			n := 0
			visit := func(k string) {
				n++
				if taken(db.ID, k) {
					return
				}
				for _, e := range pool {
					if e.DB == db.ID && e.Key == k {
						return
					}
				}
				pool = append(pool, poolEntry{Victim{db.ID, k, 0}, db.evictScore(p, k, nowMs)})
			}
			if p.Volatile() {
				for k := range db.expires {
					if visit(k); n >= samples {
						break
					}
				}
			} else {
				for k := range src {
					if visit(k); n >= samples {
						break
					}
				}
			}
		}
		if len(pool) == 0 {
			break
		}
		sort.Slice(pool, func(i, j int) bool { return pool[i].score > pool[j].score })
		if len(pool) > evictionPoolSize {
			pool = pool[:evictionPoolSize]
		}
		best := pool[0]
		pool = pool[1:]
		db := s.DBs[best.DB]
		if _, ok := db.keys[best.Key]; !ok {
			continue
		}
		best.Size = db.KeySize(best.Key)
		chosen[Victim{DB: best.DB, Key: best.Key}] = struct{}{}
		out = append(out, best.Victim)
		freed += best.Size
	}
	return out
}

// evictScore ranks key for eviction: the longest idle, least frequently
// used or soonest to expire first.
func (db *DB) evictScore(p Policy, key string, nowMs int64) int64 {
	switch p {
	case AllKeysLRU, VolatileLRU:
		if LFU() {
			return 255 - db.access.freq([]byte(key), nowMs)
		}
		return db.access.idle([]byte(key), nowMs)
	case AllKeysLFU, VolatileLFU:
		if !LFU() {
			return db.access.idle([]byte(key), nowMs)
		}
		return 255 - db.access.freq([]byte(key), nowMs)
	case VolatileTTL:
		return -db.expires[key]
	}
	return 0
}

// randomVictim picks a key of a random non-empty database.
func (s *Store) randomVictim(p Policy, samples int, taken func(int, string) bool) (Victim, bool) {
	start := rand.IntN(NumDBs)
	for i := 0; i < NumDBs; i++ {
		db := s.DBs[(start+i)%NumDBs]
		tries := 0
		pick := func(k string) (Victim, bool) {
			tries++
			if taken(db.ID, k) {
				return Victim{}, false
			}
			return Victim{db.ID, k, db.KeySize(k)}, true
		}
		if p.Volatile() {
			for k := range db.expires {
				if v, ok := pick(k); ok {
					return v, true
				}
				if tries > 4*samples {
					break
				}
			}
			continue
		}
		for k := range db.keys {
			if v, ok := pick(k); ok {
				return v, true
			}
			if tries > 4*samples {
				break
			}
		}
	}
	return Victim{}, false
}

// Evict deletes key, evicted by the leader's choice, counting it and
// propagating the DEL; it reports whether the key existed.
func (c *Ctx) Evict(db *DB, key []byte) bool {
	if !db.del(string(key)) {
		return false
	}
	db.store.EvictedKeys++
	c.Prop.CommandStrings(db.ID, "DEL", string(key))
	if c.notify&NotifyEvicted != 0 {
		c.notifyIn(db.ID, "evicted", key)
	}
	return true
}
