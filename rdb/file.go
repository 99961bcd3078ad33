package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Opcodes of whole RDB files.
const (
	opFunctionPreGA = 246
	opModuleAux     = 247
	opIdle          = 248
	opFreq          = 249
	opAux           = 250
	opResizeDB      = 251
	opExpireTimeMs  = 252
	opExpireTime    = 253
	opSelectDB      = 254
	opEOF           = 255
)

// Stream value types (decoded by ReadStream, not Decode).
const (
	TypeStreamListpacks2 = 19
	TypeStreamListpacks3 = 21
)

// Record is one item of an RDB file: a key (DB, Key, ExpireMs, Type and
// Body, the value's bytes after the type byte: with the type and a footer
// it is a DUMP payload) or a function library (Function, its code).
type Record struct {
	DB       int
	Key      string
	ExpireMs int64 // 0: none
	Type     byte
	Body     []byte
	Function string
}

// ReadFile reads a whole RDB file (a dump.rdb, or the preamble of an AOF)
// from p: the header, AUX fields, SELECTDB, RESIZEDB, expire times, LRU/LFU
// hints, FUNCTION2 libraries and keys, up to EOF and its checksum, which is
// verified unless zero. It calls fn per key and library and returns what
// follows the RDB (an AOF's commands after a preamble).
func ReadFile(p []byte, fn func(Record) error) (rest []byte, err error) {
	if len(p) < 9 || string(p[:5]) != "REDIS" {
		return nil, errors.New("rdb: not an RDB file (no REDIS signature)")
	}
	ver, err := strconv.Atoi(string(p[5:9]))
	if err != nil || ver < 1 || ver > MaxVersion {
		return nil, fmt.Errorf("rdb: unsupported RDB version %q", p[5:9])
	}
	start := p
	p = p[9:]
	db := 0
	var expire int64
	for {
		if len(p) == 0 {
			return nil, errShort
		}
		op := p[0]
		p = p[1:]
		switch op {
		case opEOF:
			if ver >= 5 {
				if len(p) < 8 {
					return nil, errShort
				}
				sum := binary.LittleEndian.Uint64(p)
				if sum != 0 && sum != CRC64(start[:len(start)-len(p)]) {
					return nil, errors.New("rdb: wrong checksum at the end of the RDB file")
				}
				p = p[8:]
			}
			return p, nil
		case opAux:
			if _, p, err = ReadString(p); err == nil {
				_, p, err = ReadString(p)
			}
		case opResizeDB:
			if _, _, p, err = ReadLen(p); err == nil {
				_, _, p, err = ReadLen(p)
			}
		case opSelectDB:
			var n uint64
			n, _, p, err = ReadLen(p)
			db = int(n)
		case opExpireTimeMs:
			if len(p) < 8 {
				return nil, errShort
			}
			expire, p = int64(binary.LittleEndian.Uint64(p)), p[8:]
		case opExpireTime:
			if len(p) < 4 {
				return nil, errShort
			}
			expire, p = int64(binary.LittleEndian.Uint32(p))*1000, p[4:]
		case opIdle:
			_, _, p, err = ReadLen(p)
		case opFreq:
			if len(p) < 1 {
				return nil, errShort
			}
			p = p[1:]
		case OpFunction2:
			var code string
			if code, p, err = ReadString(p); err == nil {
				err = fn(Record{Function: code})
			}
		case opFunctionPreGA, opModuleAux, TypeModule, TypeModule2:
			return nil, fmt.Errorf("rdb: the file holds module data or pre-release functions (opcode %d), which Geomys cannot load", op)
		default:
			var key string
			if key, p, err = ReadString(p); err != nil {
				break
			}
			before := p
			if p, err = skipValue(op, p); err != nil {
				return nil, fmt.Errorf("rdb: key %q: %w", key, err)
			}
			err = fn(Record{DB: db, Key: key, ExpireMs: expire, Type: op, Body: before[:len(before)-len(p)]})
			expire = 0
		}
		if err != nil {
			return nil, err
		}
	}
}

// skipValue returns what follows a value of type typ.
func skipValue(typ byte, p []byte) ([]byte, error) {
	var err error
	strings := func(n uint64, extra func() error) error {
		for i := uint64(0); i < n && err == nil; i++ {
			if _, p, err = ReadString(p); err == nil && extra != nil {
				err = extra()
			}
		}
		return err
	}
	count := func() uint64 {
		var n uint64
		n, _, p, err = ReadLen(p)
		return n
	}
	switch typ {
	case TypeString, TypeListZiplist, TypeSetIntset, TypeZSetZiplist, TypeHashZiplist, TypeHashZipmap,
		TypeHashListpack, TypeZSetListpack, TypeSetListpack:
		_, p, err = ReadString(p)
	case TypeList, TypeSet, TypeListQuicklist:
		if n := count(); err == nil {
			err = strings(n, nil)
		}
	case TypeHash:
		if n := count(); err == nil {
			err = strings(2*n, nil)
		}
	case TypeZSet:
		if n := count(); err == nil {
			err = strings(n, func() (e error) { _, p, e = readOldDouble(p); return e })
		}
	case TypeZSet2:
		if n := count(); err == nil {
			err = strings(n, func() error {
				if len(p) < 8 {
					return errShort
				}
				p = p[8:]
				return nil
			})
		}
	case TypeListQuicklist2:
		if n := count(); err == nil {
			for i := uint64(0); i < n && err == nil; i++ {
				if _, _, p, err = ReadLen(p); err == nil {
					_, p, err = ReadString(p)
				}
			}
		}
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		_, p, err = ReadStream(typ, p)
	default:
		return nil, fmt.Errorf("rdb: unknown value type %d", typ)
	}
	return p, err
}
