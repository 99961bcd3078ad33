package lualib

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The C library's sizes on x86-64 Linux, which is what Redis runs on.
const (
	structMaxIntSize = 32 // MAXINTSIZE
	structMaxAlign   = 8  // MAXALIGN: the alignment of a double
	structIntSize    = 4
	structLongSize   = 8
)

// OpenStruct registers the global `struct`, Roberto Ierusalimschy's struct
// library (struct.c 1.4 with Redis's overflow fixes).
func OpenStruct(L *lua.LState) {
	fns := map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	}
	L.SetGlobal("struct", L.SetFuncs(L.NewTable(), fns))
}

// structFormat walks a format string, as the C code walks its char pointer.
type structFormat struct {
	L      *lua.LState
	fmt    string
	pos    int
	little bool
	align  int
}

func newStructFormat(L *lua.LState) *structFormat {
	f := checkLString(L, 1)
	if i := strings.IndexByte(f, 0); i >= 0 {
		f = f[:i] // the C code sees a NUL-terminated string
	}
	return &structFormat{L: L, fmt: f, little: true, align: 1}
}

func (f *structFormat) more() bool { return f.pos < len(f.fmt) }

func (f *structFormat) next() byte {
	c := f.fmt[f.pos]
	f.pos++
	return c
}

// getnum reads an optional decimal count after an option.
func (f *structFormat) getnum(def int) int {
	if !f.more() || !isDigit(f.fmt[f.pos]) {
		return def
	}
	a := 0
	for f.more() && isDigit(f.fmt[f.pos]) {
		d := int(f.fmt[f.pos] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			raise(f.L, "integral size overflow")
		}
		a = a*10 + d
		f.pos++
	}
	return a
}

// optsize is the size of one option; zero for those that take no room.
func (f *structFormat) optsize(opt byte) int {
	switch opt {
	case 'B', 'b', 'x':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return structLongSize
	case 'f':
		return 4
	case 'c':
		return f.getnum(1)
	case 'i', 'I':
		sz := f.getnum(structIntSize)
		if sz > structMaxIntSize {
			raise(f.L, "integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

// toalign is the padding before an option of the given size at offset n.
func (f *structFormat) toalign(n uint64, opt byte, size int) uint64 {
	if size == 0 || opt == 'c' {
		return 0
	}
	s := uint64(size)
	if s > uint64(f.align) {
		s = uint64(f.align)
	}
	return (s - (n & (s - 1))) & (s - 1)
}

// control handles the options that change state rather than data.
func (f *structFormat) control(opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.little = false
	case '<':
		f.little = true
	case '!':
		a := f.getnum(structMaxAlign)
		if a <= 0 || a&(a-1) != 0 {
			raise(f.L, "alignment %d is not a power of 2", a)
		}
		f.align = a
	default:
		argError(f.L, 1, "invalid format option '"+string(opt)+"'")
	}
}

func isIntOpt(opt byte) bool {
	return strings.IndexByte("bBhHlLTiI", opt) >= 0
}

func structPack(L *lua.LState) int {
	f := newStructFormat(L)
	// The C code pushes a nil mark here, so a missing first value
	// reads as nil rather than as no value.
	L.Push(lua.LNil)
	arg := 2
	var out []byte
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pad := f.toalign(uint64(len(out)), opt, size)
		for ; pad > 0; pad-- {
			out = append(out, 0)
		}
		switch {
		case isIntOpt(opt):
			out = putInteger(out, checkNumber(L, arg), f.little, size)
			arg++
		case opt == 'x':
			out = append(out, 0)
		case opt == 'f':
			bits := math.Float32bits(float32(checkNumber(L, arg)))
			arg++
			out = appendUint(out, uint64(bits), 4, f.little)
		case opt == 'd':
			bits := math.Float64bits(checkNumber(L, arg))
			arg++
			out = appendUint(out, bits, 8, f.little)
		case opt == 'c' || opt == 's':
			s := checkLString(L, arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				// The C code has already moved past the argument it names.
				argError(L, arg, "string too short")
			}
			out = append(out, s[:size]...)
			if opt == 's' {
				out = append(out, 0)
			}
		default:
			f.control(opt)
		}
	}
	L.Push(lua.LString(out))
	return 1
}

// putInteger stores n in size bytes, converting as the C code's casts do on
// x86-64: negatives through a signed 64-bit integer, the rest unsigned.
func putInteger(out []byte, n float64, little bool, size int) []byte {
	var v uint64
	if n < 0 {
		v = uint64(toInteger(n))
	} else {
		v = toUint64(n)
	}
	return appendUint(out, v, size, little)
}

// toUint64 is a C cast from double to uint64_t as GCC compiles it for x86-64,
// which turns values of 2^64 and more into 0.
func toUint64(n float64) uint64 {
	if n < 9223372036854775808.0 {
		return uint64(toInteger(n))
	}
	return uint64(toInteger(n-9223372036854775808.0)) ^ (1 << 63)
}

// appendUint writes the low size bytes of v (zeros beyond its 8 bytes).
func appendUint(out []byte, v uint64, size int, little bool) []byte {
	buf := make([]byte, size)
	for i := 0; i < size; i++ {
		idx := i
		if !little {
			idx = size - 1 - i
		}
		buf[idx] = byte(v)
		v >>= 8
	}
	return append(out, buf...)
}

// getInteger reads size bytes; only the last 8 survive, as in the C code.
func getInteger(b []byte, little, signed bool, size int) float64 {
	var l uint64
	for i := 0; i < size; i++ {
		idx := i
		if little {
			idx = size - 1 - i
		}
		l = l<<8 | uint64(b[idx])
	}
	if !signed {
		return float64(l)
	}
	// x86 masks the shift count to 6 bits, which gives meaning to the C
	// code's oversized shifts for sizes above 8.
	mask := ^uint64(0) << (uint(size*8-1) & 63)
	if l&mask != 0 {
		l |= mask
	}
	return float64(int64(l))
}

func structUnpack(L *lua.LState) int {
	f := newStructFormat(L)
	data := checkLString(L, 2)
	ld := uint64(len(data))
	pos := uint64(optInteger(L, 3, 1))
	if pos == 0 {
		argError(L, 3, "offset must be 1 or greater")
	}
	pos--
	base := L.GetTop()
	var results []lua.LValue
	for f.more() {
		opt := f.next()
		size := uint64(f.optsize(opt))
		pos += f.toalign(pos, opt, int(size))
		if size > ld || pos > ld-size {
			argError(L, 2, "data string too short")
		}
		if base+len(results)+2 > luaMaxCStack {
			raise(L, "stack overflow (too many results)")
		}
		switch {
		case isIntOpt(opt):
			signed := opt >= 'a' && opt <= 'z'
			results = append(results, lua.LNumber(getInteger([]byte(data[pos:pos+size]), f.little, signed, int(size))))
		case opt == 'x':
		case opt == 'f':
			bits := uint32(readUint(data[pos:pos+4], f.little))
			results = append(results, lua.LNumber(math.Float32frombits(bits)))
		case opt == 'd':
			bits := readUint(data[pos:pos+8], f.little)
			results = append(results, lua.LNumber(math.Float64frombits(bits)))
		case opt == 'c':
			if size == 0 {
				var prev float64
				ok := false
				if len(results) > 0 {
					prev, ok = toNumber(results[len(results)-1])
				}
				if !ok {
					raise(L, "format 'c0' needs a previous size")
				}
				size = toUint64(prev)
				results = results[:len(results)-1]
				if size > ld || pos > ld-size {
					argError(L, 2, "data string too short")
				}
			}
			results = append(results, lua.LString(data[pos:pos+size]))
		case opt == 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				raise(L, "unfinished string in data")
			}
			size = uint64(e) + 1
			results = append(results, lua.LString(data[pos:pos+uint64(e)]))
		default:
			f.control(opt)
		}
		pos += size
	}
	for _, v := range results {
		L.Push(v)
	}
	L.Push(lua.LNumber(int64(pos + 1)))
	return len(results) + 1
}

func readUint(b string, little bool) uint64 {
	var buf [8]byte
	copy(buf[:], b)
	if little {
		return binary.LittleEndian.Uint64(buf[:])
	}
	return binary.BigEndian.Uint64(buf[:]) >> (8 * (8 - uint(len(b))))
}

func structSize(L *lua.LState) int {
	f := newStructFormat(L)
	var pos uint64
	for f.more() {
		opt := f.next()
		size := f.optsize(opt)
		pos += f.toalign(pos, opt, size)
		if opt == 's' {
			argError(L, 1, "option 's' has no fixed size")
		} else if opt == 'c' && size == 0 {
			argError(L, 1, "option 'c0' has no fixed size")
		}
		if !isAlnum(opt) {
			f.control(opt)
		}
		pos += uint64(size)
	}
	L.Push(lua.LNumber(int64(pos)))
	return 1
}

func isAlnum(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
