package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Kind is the data type of a decoded value.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindHash
	KindZSet
)

// ZEntry is a sorted-set member and its score.
type ZEntry struct {
	Member string
	Score  float64
}

// Value is a value decoded from a DUMP payload, independent of how the
// payload encoded it.
type Value struct {
	Kind  Kind
	Str   string   // KindString
	Elems []string // list elements in order, set members, hash field/value pairs
	Z     []ZEntry // KindZSet, in payload order
}

// ErrBadData is RESTORE's complaint about a payload it cannot load.
var ErrBadData = errors.New("Bad data format")

// Decode reads the value in a payload's body (the footer already checked
// and removed). Every structure is checked; any damage, an unknown type, a
// stream or module value, or an empty collection (which Redis refuses to
// load too) gives ErrBadData.
func Decode(body []byte) (*Value, error) {
	if len(body) == 0 {
		return nil, ErrBadData
	}
	v, err := decode(body[0], body[1:])
	if err != nil {
		return nil, errors.Join(ErrBadData, err)
	}
	if v.Kind != KindString && len(v.Elems) == 0 && len(v.Z) == 0 {
		return nil, ErrBadData
	}
	return v, nil
}

func decode(typ byte, p []byte) (*Value, error) {
	switch typ {
	case TypeString:
		s, _, err := ReadString(p)
		return &Value{Kind: KindString, Str: s}, err
	case TypeList, TypeSet:
		elems, _, err := readStrings(p, 1)
		kind := KindList
		if typ == TypeSet {
			kind = KindSet
		}
		return &Value{Kind: kind, Elems: elems}, err
	case TypeHash:
		elems, _, err := readStrings(p, 2)
		return &Value{Kind: KindHash, Elems: elems}, err
	case TypeZSet, TypeZSet2:
		return readZSet(typ, p)
	case TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return readList(typ, p)
	case TypeSetIntset:
		blob, _, err := ReadString(p)
		if err != nil {
			return nil, err
		}
		ints, err := ReadIntset([]byte(blob))
		if err != nil {
			return nil, err
		}
		v := &Value{Kind: KindSet, Elems: make([]string, len(ints))}
		for i, n := range ints {
			v.Elems[i] = strconv.FormatInt(n, 10)
		}
		return v, nil
	case TypeSetListpack, TypeHashListpack, TypeZSetListpack, TypeHashZiplist, TypeZSetZiplist:
		blob, _, err := ReadString(p)
		if err != nil {
			return nil, err
		}
		var elems []string
		if typ == TypeHashZiplist || typ == TypeZSetZiplist {
			elems, err = ReadZiplist([]byte(blob))
		} else {
			elems, err = ReadListpack([]byte(blob))
		}
		if err != nil {
			return nil, err
		}
		switch typ {
		case TypeSetListpack:
			return &Value{Kind: KindSet, Elems: elems}, nil
		case TypeHashListpack, TypeHashZiplist:
			if len(elems)%2 != 0 {
				return nil, errListpack
			}
			return &Value{Kind: KindHash, Elems: elems}, nil
		}
		return zsetFromPairs(elems)
	}
	return nil, errors.New("rdb: unsupported value type " + strconv.Itoa(int(typ)))
}

// readStrings reads a length, then per entry `per` strings.
func readStrings(p []byte, per int) ([]string, []byte, error) {
	n, _, p, err := ReadLen(p)
	if err != nil {
		return nil, nil, err
	}
	if n > uint64(len(p)) { // every string takes at least one byte
		return nil, nil, errShort
	}
	out := make([]string, 0, int(n)*per)
	for i := 0; i < int(n)*per; i++ {
		var s string
		if s, p, err = ReadString(p); err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return out, p, nil
}

func readZSet(typ byte, p []byte) (*Value, error) {
	n, _, p, err := ReadLen(p)
	if err != nil {
		return nil, err
	}
	if n > uint64(len(p)) {
		return nil, errShort
	}
	v := &Value{Kind: KindZSet, Z: make([]ZEntry, 0, n)}
	for i := uint64(0); i < n; i++ {
		var e ZEntry
		if e.Member, p, err = ReadString(p); err != nil {
			return nil, err
		}
		if typ == TypeZSet2 {
			if len(p) < 8 {
				return nil, errShort
			}
			e.Score = math.Float64frombits(binary.LittleEndian.Uint64(p))
			p = p[8:]
		} else if e.Score, p, err = readOldDouble(p); err != nil {
			return nil, err
		}
		if math.IsNaN(e.Score) {
			return nil, errors.New("rdb: NaN score")
		}
		v.Z = append(v.Z, e)
	}
	return v, nil
}

// readOldDouble reads rdbLoadDoubleValue's format: a length byte (253 nan,
// 254 +inf, 255 -inf) and the number as text.
func readOldDouble(p []byte) (float64, []byte, error) {
	if len(p) == 0 {
		return 0, nil, errShort
	}
	switch n := int(p[0]); n {
	case 253:
		return math.NaN(), p[1:], nil
	case 254:
		return math.Inf(1), p[1:], nil
	case 255:
		return math.Inf(-1), p[1:], nil
	default:
		if len(p) < 1+n {
			return 0, nil, errShort
		}
		f, err := strconv.ParseFloat(string(p[1:1+n]), 64)
		return f, p[1+n:], err
	}
}

func zsetFromPairs(elems []string) (*Value, error) {
	if len(elems)%2 != 0 {
		return nil, errListpack
	}
	v := &Value{Kind: KindZSet, Z: make([]ZEntry, 0, len(elems)/2)}
	for i := 0; i < len(elems); i += 2 {
		f, err := strconv.ParseFloat(elems[i+1], 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsNaN(f) {
			return nil, errors.New("rdb: bad score in listpack")
		}
		v.Z = append(v.Z, ZEntry{elems[i], f})
	}
	return v, nil
}

// readList reads the three list encodings: one ziplist, a quicklist of
// ziplists (Redis 3.2 to 6.2), and a quicklist of listpack or plain nodes
// (Redis 7).
func readList(typ byte, p []byte) (*Value, error) {
	v := &Value{Kind: KindList}
	if typ == TypeListZiplist {
		blob, _, err := ReadString(p)
		if err != nil {
			return nil, err
		}
		v.Elems, err = ReadZiplist([]byte(blob))
		return v, err
	}
	nodes, _, p, err := ReadLen(p)
	if err != nil {
		return nil, err
	}
	if nodes > uint64(len(p)) {
		return nil, errShort
	}
	for i := uint64(0); i < nodes; i++ {
		container := uint64(containerPacked)
		if typ == TypeListQuicklist2 {
			if container, _, p, err = ReadLen(p); err != nil {
				return nil, err
			}
			if container != containerPacked && container != containerPlain {
				return nil, errors.New("rdb: unknown quicklist container")
			}
		}
		var blob string
		if blob, p, err = ReadString(p); err != nil {
			return nil, err
		}
		if container == containerPlain {
			v.Elems = append(v.Elems, blob)
			continue
		}
		var elems []string
		if typ == TypeListQuicklist {
			elems, err = ReadZiplist([]byte(blob))
		} else {
			elems, err = ReadListpack([]byte(blob))
		}
		if err != nil {
			return nil, err
		}
		v.Elems = append(v.Elems, elems...) // empty nodes are skipped, as Redis does
	}
	return v, nil
}
