package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// RDB object types (Redis' rdb.h).
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeModule          = 6
	TypeModule2         = 7
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpacks = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeSetListpack     = 20 // Redis 7.2
)

// Quicklist node containers.
const (
	containerPlain  = 1
	containerPacked = 2
)

// AppendObjectString appends a string the way rdbSaveRawString writes it:
// a canonical integer of up to 11 characters that fits 32 bits as an
// integer encoding, a string longer than 20 bytes LZF-compressed when that
// saves at least four bytes, anything else as is. Blobs (listpacks,
// intsets) go through it too, as in Redis.
func AppendObjectString(b []byte, s string) []byte {
	if len(s) <= 11 {
		if v, ok := ParseInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			return appendIntEncoded(b, v)
		}
	}
	if len(s) > 20 {
		if c := lzfCompress([]byte(s), len(s)-4); c != nil {
			b = append(b, 0xc3)
			b = AppendLen(b, uint64(len(c)))
			b = AppendLen(b, uint64(len(s)))
			return append(b, c...)
		}
	}
	return AppendString(b, s)
}

// appendIntEncoded is rdbEncodeInteger for a value that fits 32 bits.
func appendIntEncoded(b []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, 0xc0, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xc1), uint16(v))
	}
	return binary.LittleEndian.AppendUint32(append(b, 0xc2), uint32(v))
}

// DumpString is DUMP's payload for a string value.
func DumpString(s string) []byte {
	return AppendFooter(AppendObjectString([]byte{TypeString}, s))
}

// QuicklistFits is Redis 7.0's _quicklistNodeAllowInsert: whether an
// element of sz bytes joins a node of nodeSize listpack bytes holding count
// elements under list-max-listpack-size fill. The node's size plus the
// element plus an 8-byte estimate of its overhead must stay within 4 KB
// times 2^(-fill-1) (fill clamped to -5) for a negative fill; a positive
// fill is a count of elements within the 8 KB safety limit.
func QuicklistFits(nodeSize, count, sz, fill int) bool {
	newSz := nodeSize + sz + 8
	if fill < 0 {
		return newSz <= 4096<<min(-fill-1, 4)
	}
	return newSz <= 8192 && count < fill
}

// DumpList is DUMP's payload for a list under the default
// list-max-listpack-size (-2).
func DumpList(n int, at func(i int) string) []byte { return DumpListFill(n, at, -2) }

// DumpListFill is DUMP's payload for a list: a quicklist of listpack nodes,
// split as Redis splits a list built by RPUSH under list-max-listpack-size
// fill.
func DumpListFill(n int, at func(i int) string, fill int) []byte {
	var nodes [][]byte
	var cur *Listpack
	for i := 0; i < n; i++ {
		s := at(i)
		if cur == nil || !QuicklistFits(cur.Size(), cur.Len(), len(s), fill) {
			if cur != nil {
				nodes = append(nodes, cur.Bytes())
			}
			cur = NewListpack()
		}
		cur.Append(s)
	}
	if cur != nil {
		nodes = append(nodes, cur.Bytes())
	}
	b := AppendLen([]byte{TypeListQuicklist2}, uint64(len(nodes)))
	for _, node := range nodes {
		b = AppendLen(b, containerPacked)
		b = AppendObjectString(b, string(node))
	}
	return AppendFooter(b)
}

// DumpListpack is DUMP's payload for a hash (pairs) or sorted set (member,
// score) in the listpack encoding; typ is TypeHashListpack or
// TypeZSetListpack.
func DumpListpack(typ byte, elems []string) []byte {
	lp := NewListpack()
	for _, e := range elems {
		lp.Append(e)
	}
	return AppendFooter(AppendObjectString([]byte{typ}, string(lp.Bytes())))
}

// DumpStrings is DUMP's payload for a hash in the hashtable encoding
// (TypeHash, elems are field/value pairs, n counts pairs) or a set
// (TypeSet, n counts members): a length and plain strings.
func DumpStrings(typ byte, n int, elems []string) []byte {
	b := AppendLen([]byte{typ}, uint64(n))
	for _, e := range elems {
		b = AppendObjectString(b, e)
	}
	return AppendFooter(b)
}

// DumpIntset is DUMP's payload for a set of sorted integers (intset).
func DumpIntset(vals []int64) []byte {
	return AppendFooter(AppendObjectString([]byte{TypeSetIntset}, string(EncodeIntset(vals))))
}

// DumpZSet2 is DUMP's payload for a sorted set in the skiplist encoding:
// members from the highest rank down (so loading appends at the head) with
// binary scores, as rdbSaveObject writes them.
func DumpZSet2(n int, at func(i int) (string, float64)) []byte {
	b := AppendLen([]byte{TypeZSet2}, uint64(n))
	for i := n - 1; i >= 0; i-- {
		m, score := at(i)
		b = AppendObjectString(b, m)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(score))
	}
	return AppendFooter(b)
}

// FormatScore is Redis 7.0's d2string, the text a listpack holds for a
// sorted-set score: integral values within ±LLONG_MAX/2 in decimal (as
// double2ll allows), else %.17g.
func FormatScore(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		return "0" // zsets keep -0 as 0
	case f >= -float64(math.MaxInt64/2) && f <= float64(math.MaxInt64/2) && f == float64(int64(f)):
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}
