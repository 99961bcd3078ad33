package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

var errZiplist = errors.New("rdb: corrupt ziplist")

// ReadZiplist decodes a ziplist, the small-value encoding of Redis before
// 7.0, which RESTORE still accepts in payloads from older servers.
func ReadZiplist(p []byte) ([]string, error) {
	if len(p) < 11 || int(binary.LittleEndian.Uint32(p)) != len(p) || p[len(p)-1] != 0xff {
		return nil, errZiplist
	}
	count := int(binary.LittleEndian.Uint16(p[8:]))
	var out []string
	i, end := 10, len(p)-1
	for i < end {
		// prevlen: one byte, or 0xfe and four bytes.
		if p[i] == 0xfe {
			i += 5
		} else {
			i++
		}
		if i >= end {
			return nil, errZiplist
		}
		c := p[i]
		var s string
		switch c >> 6 {
		case 0:
			n := int(c & 0x3f)
			if i+1+n > end {
				return nil, errZiplist
			}
			s, i = string(p[i+1:i+1+n]), i+1+n
		case 1:
			if i+2 > end {
				return nil, errZiplist
			}
			n := int(c&0x3f)<<8 | int(p[i+1])
			if i+2+n > end {
				return nil, errZiplist
			}
			s, i = string(p[i+2:i+2+n]), i+2+n
		case 2:
			if i+5 > end {
				return nil, errZiplist
			}
			n := int(binary.BigEndian.Uint32(p[i+1:]))
			if n < 0 || i+5+n > end {
				return nil, errZiplist
			}
			s, i = string(p[i+5:i+5+n]), i+5+n
		default:
			var v int64
			var w int
			switch c {
			case 0xc0:
				w = 2
			case 0xd0:
				w = 4
			case 0xe0:
				w = 8
			case 0xf0:
				w = 3
			case 0xfe:
				w = 1
			default:
				if c >= 0xf1 && c <= 0xfd {
					v = int64(c&0x0f) - 1
				} else {
					return nil, errZiplist
				}
			}
			if i+1+w > end {
				return nil, errZiplist
			}
			q := p[i+1:]
			switch w {
			case 1:
				v = int64(int8(q[0]))
			case 2:
				v = int64(int16(binary.LittleEndian.Uint16(q)))
			case 3:
				v = int64(int32(uint32(q[0])<<8|uint32(q[1])<<16|uint32(q[2])<<24) >> 8)
			case 4:
				v = int64(int32(binary.LittleEndian.Uint32(q)))
			case 8:
				v = int64(binary.LittleEndian.Uint64(q))
			}
			s, i = strconv.FormatInt(v, 10), i+1+w
		}
		out = append(out, s)
	}
	if i != end || count != 65535 && count != len(out) {
		return nil, errZiplist
	}
	return out, nil
}
