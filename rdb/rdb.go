// Package rdb speaks the parts of Redis' RDB serialization that travel in
// replies: the payloads of DUMP and FUNCTION DUMP (length-prefixed strings,
// LZF, the version and CRC-64 footer), so values and libraries move between
// Geomys and Redis with DUMP/RESTORE.
package rdb

import (
	"encoding/binary"
	"errors"
	"hash/crc64"
)

// Version is the RDB format version written in payload footers: Redis 7.0's,
// which Redis 7.0 and later accept.
const Version = 10

// MaxVersion is the newest payload version accepted (Redis 7.2's).
const MaxVersion = 11

// Opcodes used in payloads.
const (
	OpFunction2 = 245 // a function library: its code as a string
)

// ErrBadPayload is RESTORE's complaint about a footer that does not match.
var ErrBadPayload = errors.New("DUMP payload version or checksum are wrong")

// jones is Redis' CRC-64 (Jones polynomial, reflected, no final xor), in
// the reversed form hash/crc64 takes.
var jones = crc64.MakeTable(0x95AC9329AC4BC9B5)

// CRC64 is Redis' crc64(0, p).
func CRC64(p []byte) uint64 { return ^crc64.Update(^uint64(0), jones, p) }

// AppendFooter appends the version and the checksum of everything before it.
func AppendFooter(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(b))
}

// CheckFooter verifies a payload's footer and returns the body before it.
func CheckFooter(p []byte) ([]byte, error) {
	if len(p) < 10 {
		return nil, ErrBadPayload
	}
	body := p[:len(p)-10]
	ver := binary.LittleEndian.Uint16(p[len(p)-10:])
	sum := binary.LittleEndian.Uint64(p[len(p)-8:])
	// Unlike an RDB file, a payload with a zero checksum is not exempt
	// (verifyDumpPayload compares it like any other).
	if ver > MaxVersion || sum != CRC64(p[:len(p)-8]) {
		return nil, ErrBadPayload
	}
	return body, nil
}

// AppendLen appends an RDB length.
func AppendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0x81), n)
	}
}

// AppendString appends a raw (uncompressed) RDB string.
func AppendString(b []byte, s string) []byte {
	return append(AppendLen(b, uint64(len(s))), s...)
}

var errShort = errors.New("rdb: payload ends early")

// ReadLen reads an RDB length; encoded reports a special string encoding
// (the low six bits then say which).
func ReadLen(p []byte) (n uint64, encoded bool, rest []byte, err error) {
	if len(p) == 0 {
		return 0, false, nil, errShort
	}
	switch p[0] >> 6 {
	case 0:
		return uint64(p[0] & 0x3f), false, p[1:], nil
	case 1:
		if len(p) < 2 {
			return 0, false, nil, errShort
		}
		return uint64(p[0]&0x3f)<<8 | uint64(p[1]), false, p[2:], nil
	case 2:
		switch {
		case p[0] == 0x80 && len(p) >= 5:
			return uint64(binary.BigEndian.Uint32(p[1:])), false, p[5:], nil
		case p[0] == 0x81 && len(p) >= 9:
			return binary.BigEndian.Uint64(p[1:]), false, p[9:], nil
		}
		return 0, false, nil, errShort
	default:
		return uint64(p[0] & 0x3f), true, p[1:], nil
	}
}

// ReadString reads an RDB string in any of its encodings.
func ReadString(p []byte) (string, []byte, error) {
	n, enc, p, err := ReadLen(p)
	if err != nil {
		return "", nil, err
	}
	if !enc {
		if uint64(len(p)) < n {
			return "", nil, errShort
		}
		return string(p[:n]), p[n:], nil
	}
	switch n {
	case 0: // int8
		if len(p) < 1 {
			return "", nil, errShort
		}
		return itoa(int64(int8(p[0]))), p[1:], nil
	case 1: // int16
		if len(p) < 2 {
			return "", nil, errShort
		}
		return itoa(int64(int16(binary.LittleEndian.Uint16(p)))), p[2:], nil
	case 2: // int32
		if len(p) < 4 {
			return "", nil, errShort
		}
		return itoa(int64(int32(binary.LittleEndian.Uint32(p)))), p[4:], nil
	case 3: // LZF
		clen, _, p, err := ReadLen(p)
		if err != nil {
			return "", nil, err
		}
		ulen, _, p, err := ReadLen(p)
		if err != nil {
			return "", nil, err
		}
		if uint64(len(p)) < clen {
			return "", nil, errShort
		}
		out, err := lzfDecompress(p[:clen], int(ulen))
		if err != nil {
			return "", nil, err
		}
		return string(out), p[clen:], nil
	}
	return "", nil, errors.New("rdb: unknown string encoding")
}

func itoa(n int64) string {
	var b [24]byte
	return string(binaryAppendInt(b[:0], n))
}

func binaryAppendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

var errLZF = errors.New("rdb: corrupt LZF string")

// lzfDecompress expands liblzf's format (what Redis compresses strings with).
func lzfDecompress(in []byte, size int) ([]byte, error) {
	out := make([]byte, 0, size)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 { // literal run of ctrl+1 bytes
			n := ctrl + 1
			if i+n > len(in) {
				return nil, errLZF
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, errLZF
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errLZF
		}
		back := len(out) - ((ctrl&0x1f)<<8 | int(in[i])) - 1
		i++
		if back < 0 {
			return nil, errLZF
		}
		for j := 0; j < n+2; j++ {
			out = append(out, out[back+j])
		}
	}
	if len(out) != size {
		return nil, errLZF
	}
	return out, nil
}
