package commands

import (
	"math/bits"

	"github.com/geomys/geomys/rdb"
)

// MEMORY USAGE reports what redis-server 7.0 (with jemalloc) would use for
// the same key and value, computed with Redis' objectComputeSize rules:
// tools size keys against Redis' numbers (asynq's memory report, for one),
// and Geomys' own Go structures are not comparable byte for byte anyway.
// Like Redis it samples at most `samples` elements of a big value (the first
// ones in iteration order, so the answer is the same on every call) and
// scales up.

const (
	robjSize      = 16
	dictEntrySize = 24
	dictSize      = 56
	quicklistSize = 48 // as objectComputeSize counts it on 7.0 (its figures are 8 bytes over 40)
	qlNodeSize    = 32
	zsetSize      = 16
	zskiplistSize = 32
)

// jeSize rounds an allocation up to jemalloc's size class.
func jeSize(n int) int {
	if n <= 8 {
		return 8
	}
	if n <= 128 {
		return (n + 15) &^ 15
	}
	p := 1 << (bits.Len(uint(n-1)) - 1) // p < n <= 2p
	step := p / 4
	return (n + step - 1) / step * step
}

// sdsAlloc is the allocation of an sds string of n bytes (header, data, NUL)
// as sdsnewlen makes it: keys, and the fields, values and members of a
// hashtable hash, set or skiplist sorted set, are all sds type 5 (a 1-byte
// header) below 32 bytes, but for the empty string (type 8).
func sdsAlloc(n int) int {
	hdr := 9
	switch {
	case n > 0 && n < 32:
		hdr = 1
	case n < 256:
		hdr = 3
	case n < 65536:
		hdr = 5
	}
	return jeSize(hdr + n + 1)
}

// dictSlots is the bucket count Redis' dict has for n entries.
func dictSlots(n int) int {
	s := 4
	for s < n {
		s <<= 1
	}
	return s
}

// memoryUsage is MEMORY USAGE's number for key holding v.
func memoryUsage(key string, v any, samples int) int {
	return sdsAlloc(len(key)) + dictEntrySize + valueSize(v, samples)
}

// sampled scales the bytes of the first k elements (each costing size(i))
// to all n.
func sampled(n, samples int, size func(i int) int) int {
	k := min(n, samples)
	if k == 0 {
		return 0
	}
	total := 0
	for i := 0; i < k; i++ {
		total += size(i)
	}
	return int(float64(total) / float64(k) * float64(n))
}

func valueSize(v any, samples int) int {
	if m, ok := v.(*mutString); ok {
		v = m.view()
	}
	switch v := v.(type) {
	case string:
		if _, ok := parseIntString(v); ok { // kept as a long
			return robjSize
		}
		if len(v) <= 44 {
			return jeSize(robjSize + 3 + len(v) + 1) // embstr
		}
		return robjSize + sdsAlloc(len(v))
	case *List:
		// A quicklist of 8 KB listpack nodes, as DUMP lays it out.
		size := robjSize + quicklistSize
		var lp *rdb.Listpack
		nodes := 0
		for i := 0; i < v.Len() && nodes < samples; i++ {
			s := v.At(i)
			if lp == nil || lp.Size()+len(s)+8 > 8192 {
				if lp != nil {
					size += qlNodeSize + jeSize(lp.Size())
					nodes++
				}
				lp = rdb.NewListpack()
			}
			lp.Append(s)
		}
		if lp != nil && nodes < samples {
			size += qlNodeSize + jeSize(lp.Size())
		}
		return size
	case *Hash:
		if v.IsListpack() {
			lp := rdb.NewListpack()
			v.Each(func(f, val string) bool {
				lp.Append(f)
				lp.Append(val)
				return true
			})
			return robjSize + jeSize(lp.Size())
		}
		return robjSize + dictSize + 8*dictSlots(v.Len()) + sampled(v.Len(), samples, func(i int) int {
			f, val := v.At(i)
			return dictEntrySize + sdsAlloc(len(f)) + sdsAlloc(len(val))
		})
	case *Set:
		switch v.enc {
		case encIntset:
			return robjSize + jeSize(len(rdb.EncodeIntset(v.ints)))
		}
		// A hashtable, small or not: Redis 7.0 has no listpack sets.
		members := v.Members()
		return robjSize + dictSize + 8*dictSlots(len(members)) + sampled(len(members), samples, func(i int) int {
			return dictEntrySize + sdsAlloc(len(members[i]))
		})
	case *ZSet:
		n := v.Len()
		if v.zsl == nil {
			lp := rdb.NewListpack()
			for _, e := range v.lp {
				lp.Append(e.member)
				lp.Append(rdb.FormatScore(e.score))
			}
			return robjSize + jeSize(lp.Size())
		}
		var first []zEntry
		v.Range(0, min(n, samples), false, func(e zEntry) { first = append(first, e) })
		header := jeSize(24 + 32*16) // a node with every level
		return robjSize + zsetSize + zskiplistSize + dictSize + 8*dictSlots(n) + header +
			sampled(n, len(first), func(i int) int {
				// Node: ele, score, backward and (for most nodes) one level.
				return sdsAlloc(len(first[i].member)) + dictEntrySize + jeSize(24+16)
			})
	}
	return 0
}
