package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Listpack builds a listpack (Redis' listpack.c format) entry by entry, with
// the encodings lpAppend picks, so the bytes equal what redis-server holds
// for the same elements.
type Listpack struct {
	b []byte // header placeholder, then the entries; no terminator yet
	n int
}

const lpHeader = 6

// NewListpack starts an empty listpack.
func NewListpack() *Listpack { return &Listpack{b: make([]byte, lpHeader, 64)} }

// Len is the number of entries.
func (lp *Listpack) Len() int { return lp.n }

// Size is the byte length the finished listpack has (header, entries and
// the end byte): lpBytes, which quicklist fill decisions use.
func (lp *Listpack) Size() int { return len(lp.b) + 1 }

// Append adds an element; strings that are canonical 64-bit integers are
// stored as integers, as lpAppend does.
func (lp *Listpack) Append(s string) {
	if v, ok := ParseInt(s); ok {
		lp.AppendInt(v)
		return
	}
	start := len(lp.b)
	n := len(s)
	switch {
	case n < 64:
		lp.b = append(lp.b, 0x80|byte(n))
	case n < 4096:
		lp.b = append(lp.b, 0xe0|byte(n>>8), byte(n))
	default:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xf0), uint32(n))
	}
	lp.b = append(lp.b, s...)
	lp.backlen(len(lp.b) - start)
}

// AppendInt adds an integer element in the smallest integer encoding.
func (lp *Listpack) AppendInt(v int64) {
	start := len(lp.b)
	switch {
	case v >= 0 && v <= 127:
		lp.b = append(lp.b, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		lp.b = append(lp.b, 0xc0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		lp.b = binary.LittleEndian.AppendUint16(append(lp.b, 0xf1), uint16(v))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		lp.b = append(lp.b, 0xf2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		lp.b = binary.LittleEndian.AppendUint32(append(lp.b, 0xf3), uint32(v))
	default:
		lp.b = binary.LittleEndian.AppendUint64(append(lp.b, 0xf4), uint64(v))
	}
	lp.backlen(len(lp.b) - start)
}

// IntSize is how many bytes AppendInt(v) adds: encoding and back-length.
func IntSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1 + 1
	case v >= -4096 && v <= 4095:
		return 2 + 1
	case v >= -32768 && v <= 32767:
		return 3 + 1
	case v >= -8388608 && v <= 8388607:
		return 4 + 1
	case v >= -2147483648 && v <= 2147483647:
		return 5 + 1
	}
	return 9 + 1
}

// ElementSize is how many bytes Append(s) adds, without building anything:
// Redis' stream nodes are cut on the listpack's size, so a stream sizes
// each entry as Redis would store it.
func ElementSize(s []byte) int {
	if len(s) <= 20 {
		if v, ok := ParseInt(string(s)); ok {
			return IntSize(v)
		}
	}
	l := len(s)
	switch {
	case l < 64:
		l++
	case l < 4096:
		l += 2
	default:
		l += 5
	}
	return l + backlenSize(l)
}

func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// EmptySize is lpBytes of a listpack with no entries: header and end byte.
const EmptySize = lpHeader + 1

// backlen appends the entry's back-length and counts the entry.
func (lp *Listpack) backlen(l int) {
	lp.b = appendBacklen(lp.b, l)
	lp.n++
}

// appendBacklen is lpEncodeBacklen: l in 7-bit groups, most significant
// first, every byte but the first with the high bit set.
func appendBacklen(b []byte, l int) []byte {
	switch {
	case l <= 127:
		return append(b, byte(l))
	case l < 16383:
		return append(b, byte(l>>7), byte(l&127)|128)
	case l < 2097151:
		return append(b, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case l < 268435455:
		return append(b, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	}
	return append(b, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128,
		byte((l>>7)&127)|128, byte(l&127)|128)
}

// Bytes finishes the listpack: total size and count in the header, and the
// end byte. The Listpack may not be appended to afterwards.
func (lp *Listpack) Bytes() []byte {
	b := append(lp.b, 0xff)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	count := lp.n
	if count >= 65535 {
		count = 65535 // "unknown": readers count the entries
	}
	binary.LittleEndian.PutUint16(b[4:], uint16(count))
	return b
}

var errListpack = errors.New("rdb: corrupt listpack")

// ReadListpack returns a listpack's elements, integers in decimal. It
// checks the whole structure (sizes, count, back-lengths, end byte), so a
// damaged payload is refused instead of being half loaded.
func ReadListpack(p []byte) ([]string, error) {
	if len(p) < lpHeader+1 || int(binary.LittleEndian.Uint32(p)) != len(p) || p[len(p)-1] != 0xff {
		return nil, errListpack
	}
	count := int(binary.LittleEndian.Uint16(p[4:]))
	var out []string
	if count != 65535 {
		out = make([]string, 0, count)
	}
	i := lpHeader
	for p[i] != 0xff {
		start := i
		var s string
		c := p[i]
		need := func(k int) bool { return i+k <= len(p)-1 }
		switch {
		case c&0x80 == 0:
			s = strconv.FormatInt(int64(c), 10)
			i++
		case c&0xc0 == 0x80:
			n := int(c & 0x3f)
			if !need(1 + n) {
				return nil, errListpack
			}
			s = string(p[i+1 : i+1+n])
			i += 1 + n
		case c&0xe0 == 0xc0:
			if !need(2) {
				return nil, errListpack
			}
			u := int64(c&0x1f)<<8 | int64(p[i+1])
			if u >= 1<<12 {
				u -= 1 << 13
			}
			s = strconv.FormatInt(u, 10)
			i += 2
		case c&0xf0 == 0xe0:
			if !need(2) {
				return nil, errListpack
			}
			n := int(c&0x0f)<<8 | int(p[i+1])
			if !need(2 + n) {
				return nil, errListpack
			}
			s = string(p[i+2 : i+2+n])
			i += 2 + n
		case c == 0xf0:
			if !need(5) {
				return nil, errListpack
			}
			n := int(binary.LittleEndian.Uint32(p[i+1:]))
			if n < 0 || !need(5+n) {
				return nil, errListpack
			}
			s = string(p[i+5 : i+5+n])
			i += 5 + n
		case c == 0xf1:
			if !need(3) {
				return nil, errListpack
			}
			s = strconv.FormatInt(int64(int16(binary.LittleEndian.Uint16(p[i+1:]))), 10)
			i += 3
		case c == 0xf2:
			if !need(4) {
				return nil, errListpack
			}
			u := int32(uint32(p[i+1])|uint32(p[i+2])<<8|uint32(p[i+3])<<16) << 8 >> 8
			s = strconv.FormatInt(int64(u), 10)
			i += 4
		case c == 0xf3:
			if !need(5) {
				return nil, errListpack
			}
			s = strconv.FormatInt(int64(int32(binary.LittleEndian.Uint32(p[i+1:]))), 10)
			i += 5
		case c == 0xf4:
			if !need(9) {
				return nil, errListpack
			}
			s = strconv.FormatInt(int64(binary.LittleEndian.Uint64(p[i+1:])), 10)
			i += 9
		default:
			return nil, errListpack
		}
		// The back-length must encode this entry's size.
		l := i - start
		var tmp [5]byte
		bl := appendBacklen(tmp[:0], l)
		if i+len(bl) > len(p)-1 || string(p[i:i+len(bl)]) != string(bl) {
			return nil, errListpack
		}
		i += len(bl)
		out = append(out, s)
	}
	if i != len(p)-1 || count != 65535 && count != len(out) {
		return nil, errListpack
	}
	return out, nil
}

// ParseInt is Redis' string2ll: it accepts only the canonical decimal form
// of a 64-bit integer (no sign but '-', no leading zeros, no "-0"), which
// is when Redis stores a string as an integer.
func ParseInt[T ~string | ~[]byte](s T) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		d := s[i] - '0'
		if d > 9 || v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-uint64(d) {
			return 0, false
		}
		v += uint64(d)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}
