package rdb

import (
	"encoding/binary"
	"errors"
)

// EncodeIntset lays sorted, distinct integers out as Redis' intset: the
// element width (2, 4 or 8 bytes, the smallest that holds every element),
// the count, then the elements, all little-endian.
func EncodeIntset(vals []int64) []byte {
	width := 2
	for _, v := range vals {
		switch {
		case v < -2147483648 || v > 2147483647:
			width = 8
		case (v < -32768 || v > 32767) && width < 4:
			width = 4
		}
	}
	b := make([]byte, 8, 8+width*len(vals))
	binary.LittleEndian.PutUint32(b, uint32(width))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

var errIntset = errors.New("rdb: corrupt intset")

// ReadIntset decodes an intset, checking its size and that the elements
// are strictly increasing (as intsetValidateIntegrity does).
func ReadIntset(p []byte) ([]int64, error) {
	if len(p) < 8 {
		return nil, errIntset
	}
	width := int(binary.LittleEndian.Uint32(p))
	n := int(binary.LittleEndian.Uint32(p[4:]))
	if width != 2 && width != 4 && width != 8 || n < 0 || len(p)-8 != n*width {
		return nil, errIntset
	}
	out := make([]int64, n)
	for i := range out {
		q := p[8+i*width:]
		switch width {
		case 2:
			out[i] = int64(int16(binary.LittleEndian.Uint16(q)))
		case 4:
			out[i] = int64(int32(binary.LittleEndian.Uint32(q)))
		default:
			out[i] = int64(binary.LittleEndian.Uint64(q))
		}
		if i > 0 && out[i] <= out[i-1] {
			return nil, errIntset
		}
	}
	return out, nil
}
