package commands

import (
	"errors"

	"github.com/geomys/geomys/rdb"
)

// DumpValue serializes v as DUMP does on redis-server 7.0, whose RESTORE
// (and 7.2's) loads it: the same encodings Redis 7.0 would hold the value in,
// so for strings, lists, listpack hashes, intsets, sorted sets and streams
// (stream_dump.go) the bytes are the ones redis-server produces. Large hashes and non-integer sets are
// written in the plain encoding, whose member order (Redis' dict order)
// differs from redis-server's but loads to the same value.
func DumpValue(v any) []byte {
	switch v := v.(type) {
	case string:
		return rdb.DumpString(v)
	case *mutString:
		return rdb.DumpString(v.view())
	case *List:
		return rdb.DumpListFill(v.Len(), v.At, listMaxListpackSize())
	case *Hash:
		elems := make([]string, 0, 2*v.Len())
		v.Each(func(f, val string) bool {
			elems = append(elems, f, val)
			return true
		})
		if v.IsListpack() {
			return rdb.DumpListpack(rdb.TypeHashListpack, elems)
		}
		return rdb.DumpStrings(rdb.TypeHash, v.Len(), elems)
	case *Set:
		if v.enc == encIntset {
			return rdb.DumpIntset(v.ints)
		}
		// Redis 7.0 has no listpack sets: it keeps small sets of strings in
		// a hashtable and dumps them as a plain set.
		return rdb.DumpStrings(rdb.TypeSet, v.Len(), v.Members())
	case *Stream:
		return dumpStream(v)
	case *ZSet:
		n := v.Len()
		entries := make([]zEntry, 0, n)
		v.Range(0, n, false, func(e zEntry) { entries = append(entries, e) })
		if v.zsl == nil {
			elems := make([]string, 0, 2*n)
			for _, e := range entries {
				elems = append(elems, e.member, rdb.FormatScore(e.score))
			}
			return rdb.DumpListpack(rdb.TypeZSetListpack, elems)
		}
		return rdb.DumpZSet2(n, func(i int) (string, float64) { return entries[i].member, entries[i].score })
	}
	return nil
}

var errDuplicate = errors.New("duplicate member in payload")

// RestoreValue builds a Geomys value from a DUMP payload (footer included).
// Errors: rdb.ErrBadPayload for a wrong version or checksum, anything else
// for a payload that does not load.
func RestoreValue(payload []byte) (any, error) {
	body, err := rdb.CheckFooter(payload)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		switch typ := body[0]; typ {
		case rdb.TypeStreamListpacks, rdb.TypeStreamListpacks2, rdb.TypeStreamListpacks3:
			s, err := restoreStream(typ, body[1:])
			if err != nil {
				return nil, errors.Join(rdb.ErrBadData, err)
			}
			return s, nil
		}
	}
	dv, err := rdb.Decode(body)
	if err != nil {
		return nil, err
	}
	switch dv.Kind {
	case rdb.KindString:
		return dv.Str, nil
	case rdb.KindList:
		l := NewList()
		l.Reserve(len(dv.Elems))
		for _, e := range dv.Elems {
			l.PushBack(e)
		}
		return l, nil
	case rdb.KindSet:
		s := NewSetFor(dv.Elems[0], len(dv.Elems))
		for _, m := range dv.Elems {
			if !setAdd(s, m) {
				return nil, errDuplicate
			}
		}
		return s, nil
	case rdb.KindHash:
		h := NewHash()
		for i := 0; i < len(dv.Elems); i += 2 {
			if !h.SetString([]byte(dv.Elems[i]), dv.Elems[i+1]) {
				return nil, errDuplicate
			}
		}
		return h, nil
	case rdb.KindZSet:
		z := NewZSet()
		for _, e := range dv.Z {
			if _, dup := z.Score(e.Member); dup {
				return nil, errDuplicate
			}
			z.Insert(e.Member, e.Score)
		}
		return z, nil
	}
	return nil, rdb.ErrBadData
}
