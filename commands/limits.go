package commands

import "sync/atomic"

// Encoding thresholds (hash-max-listpack-entries and the others), settable
// with CONFIG SET. They are node-local, like the rest of a node's
// configuration: an encoding shows only in OBJECT ENCODING, DEBUG, DUMP and
// memory figures, never in what a write does — the members SPOP picks, the
// order replies list elements in and everything the AOF receives depend on
// the contents alone (see Set.popRanks) — so nodes whose thresholds differ
// still hold the same data. A new threshold applies to values as they
// change next, as in Redis.
var encLimits = [...]struct {
	names [2]string // the name and its Redis 6 (ziplist) alias
	v     atomic.Int64
	min   int64
	def   int64
}{
	limHashEntries: {names: [2]string{"hash-max-listpack-entries", "hash-max-ziplist-entries"}, def: 512},
	limHashValue:   {names: [2]string{"hash-max-listpack-value", "hash-max-ziplist-value"}, def: 64},
	limZsetEntries: {names: [2]string{"zset-max-listpack-entries", "zset-max-ziplist-entries"}, def: 128},
	limZsetValue:   {names: [2]string{"zset-max-listpack-value", "zset-max-ziplist-value"}, def: 64},
	limSetIntset:   {names: [2]string{"set-max-intset-entries"}, def: 512},
	limListSize:    {names: [2]string{"list-max-listpack-size", "list-max-ziplist-size"}, def: -2, min: -1 << 31},
}

const (
	limHashEntries = iota
	limHashValue
	limZsetEntries
	limZsetValue
	limSetIntset
	limListSize
)

// A set of at most setListpackEntries strings of at most setListpackValue
// bytes is kept as a slice (Redis 7.2's rule for its listpack sets). It is
// Geomys's own representation, not a setting: Redis 7.0 has no
// set-max-listpack-* and calls such a set a hashtable (see Set.Encoding).
const (
	setListpackEntries = 128
	setListpackValue   = 64
)

func init() {
	for i := range encLimits {
		encLimits[i].v.Store(encLimits[i].def)
	}
}

func hashMaxListpackEntries() int { return int(encLimits[limHashEntries].v.Load()) }
func hashMaxListpackValue() int   { return int(encLimits[limHashValue].v.Load()) }
func zsetMaxListpackEntries() int { return int(encLimits[limZsetEntries].v.Load()) }
func zsetMaxListpackValue() int   { return int(encLimits[limZsetValue].v.Load()) }
func setMaxIntsetEntries() int    { return int(encLimits[limSetIntset].v.Load()) }
func listMaxListpackSize() int    { return int(encLimits[limListSize].v.Load()) }

// EncodingLimit describes one threshold for CONFIG.
type EncodingLimit struct {
	Names    []string // canonical name first, then its alias if any
	Min, Max int64
	Default  int64
	Set      func(int64)
	Get      func() int64
}

// EncodingLimits lists the thresholds CONFIG GET/SET expose.
func EncodingLimits() []EncodingLimit {
	out := make([]EncodingLimit, len(encLimits))
	for i := range encLimits {
		l := &encLimits[i]
		names := []string{l.names[0]}
		if l.names[1] != "" {
			names = append(names, l.names[1])
		}
		max := int64(1<<63 - 1)
		if l.min < 0 {
			max = 1<<31 - 1
		}
		out[i] = EncodingLimit{Names: names, Min: l.min, Max: max, Default: l.def,
			Set: l.v.Store, Get: l.v.Load}
	}
	return out
}
