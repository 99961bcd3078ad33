package lualib

import (
	"encoding/binary"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpackMaxNesting is LUACMSGPACK_MAX_NESTING: tables nested deeper than
// this are packed as nil, which is how the C code survives cycles.
const cmsgpackMaxNesting = 16

// OpenCMsgpack registers the global `cmsgpack`, lua-cmsgpack 0.4.0 as Redis
// embeds it (with str8 support added by Redis, and no bin or ext types).
func OpenCMsgpack(L *lua.LState) {
	fns := map[string]lua.LGFunction{
		"pack":         mpPack,
		"unpack":       mpUnpack,
		"unpack_one":   mpUnpackOne,
		"unpack_limit": mpUnpackLimit,
	}
	t := L.SetFuncs(L.NewTable(), fns)
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	t.RawSetString("_COPYRIGHT", lua.LString("Copyright (C) 2012, Salvatore Sanfilippo"))
	t.RawSetString("_DESCRIPTION", lua.LString("MessagePack C implementation for Lua"))
	L.SetGlobal("cmsgpack", t)
}

func mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		argError(L, 0, "MessagePack pack needs input.")
	}
	var buf []byte
	for i := 1; i <= n; i++ {
		buf = mpEncode(buf, L.Get(i), 0)
	}
	L.Push(lua.LString(buf))
	return 1
}

func mpEncode(buf []byte, v lua.LValue, level int) []byte {
	switch x := v.(type) {
	case lua.LString:
		return mpEncodeBytes(buf, string(x))
	case lua.LBool:
		if x {
			return append(buf, 0xc3)
		}
		return append(buf, 0xc2)
	case lua.LNumber:
		return mpEncodeNumber(buf, float64(x))
	case *lua.LTable:
		if level == cmsgpackMaxNesting {
			return append(buf, 0xc0)
		}
		if n, ok := mpArrayLen(x); ok {
			buf = mpEncodeHeader(buf, 0x90, 0xdc, n)
			for i := 1; i <= n; i++ {
				buf = mpEncode(buf, x.RawGetInt(i), level+1)
			}
			return buf
		}
		count := 0
		for k, _ := x.Next(lua.LNil); k != lua.LNil; k, _ = x.Next(k) {
			count++
		}
		buf = mpEncodeHeader(buf, 0x80, 0xde, count)
		for k, val := x.Next(lua.LNil); k != lua.LNil; k, val = x.Next(k) {
			buf = mpEncode(buf, k, level+1)
			buf = mpEncode(buf, val, level+1)
		}
		return buf
	}
	// nil, functions, userdata (cjson.null among them), threads.
	return append(buf, 0xc0)
}

func mpEncodeBytes(buf []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		buf = append(buf, 0xa0|byte(n))
	case n <= 0xff:
		buf = append(buf, 0xd9, byte(n))
	case n <= 0xffff:
		buf = append(buf, 0xda, byte(n>>8), byte(n))
	default:
		buf = binary.BigEndian.AppendUint32(append(buf, 0xdb), uint32(n))
	}
	return append(buf, s...)
}

// mpEncodeNumber packs integral numbers that fit an int64 as the smallest
// msgpack integer, the rest as float32 when that loses nothing, else float64.
func mpEncodeNumber(buf []byte, d float64) []byte {
	if !math.IsInf(d, 0) && !math.IsNaN(d) && float64(toInteger(d)) == d {
		return mpEncodeInt(buf, toInteger(d))
	}
	if f := float32(d); float64(f) == d {
		return binary.BigEndian.AppendUint32(append(buf, 0xca), math.Float32bits(f))
	}
	return binary.BigEndian.AppendUint64(append(buf, 0xcb), math.Float64bits(d))
}

func mpEncodeInt(buf []byte, n int64) []byte {
	if n >= 0 {
		switch {
		case n <= 127:
			return append(buf, byte(n))
		case n <= 0xff:
			return append(buf, 0xcc, byte(n))
		case n <= 0xffff:
			return binary.BigEndian.AppendUint16(append(buf, 0xcd), uint16(n))
		case n <= 0xffffffff:
			return binary.BigEndian.AppendUint32(append(buf, 0xce), uint32(n))
		}
		return binary.BigEndian.AppendUint64(append(buf, 0xcf), uint64(n))
	}
	switch {
	case n >= -32:
		return append(buf, byte(n))
	case n >= -128:
		return append(buf, 0xd0, byte(n))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(buf, 0xd1), uint16(n))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(buf, 0xd2), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(buf, 0xd3), uint64(n))
}

// mpEncodeHeader writes an array or map header: fix, 16-bit or 32-bit.
func mpEncodeHeader(buf []byte, fix, b16 byte, n int) []byte {
	switch {
	case n <= 15:
		return append(buf, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(buf, b16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(buf, b16+1), uint32(n))
}

// mpArrayLen is table_is_an_array: every key a positive number that fits a
// C int, and as many keys as the largest one, which makes them 1..n.
func mpArrayLen(t *lua.LTable) (int, bool) {
	count, max := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		key, ok := k.(lua.LNumber)
		n := float64(key)
		if !ok || n <= 0 || n > math.MaxInt32 || n != math.Trunc(n) {
			return 0, false
		}
		if int(n) > max {
			max = int(n)
		}
		count++
	}
	return max, max == count
}

// Decoding errors, as the C cursor records them.
const (
	mpOK = iota
	mpEOF
	mpBadFormat
)

// mpDecoder is the C code's cursor, plus a count of the Lua stack slots the
// C code would hold, since running out of them is an error a script sees.
type mpDecoder struct {
	L    *lua.LState
	s    string
	p    int
	err  int
	top  int
	name string
}

func (d *mpDecoder) left() int { return len(d.s) - d.p }

func (d *mpDecoder) need(n int) bool {
	if d.left() < n {
		d.err = mpEOF
		return false
	}
	return true
}

func (d *mpDecoder) u8(i int) uint64 { return uint64(d.s[d.p+i]) }

func (d *mpDecoder) be(i, n int) uint64 {
	var v uint64
	for j := 0; j < n; j++ {
		v = v<<8 | d.u8(i+j)
	}
	return v
}

// decode reads one value. On error it returns nil and sets d.err.
func (d *mpDecoder) decode() lua.LValue {
	if !d.need(1) {
		return nil
	}
	if d.top+1 > luaMaxCStack {
		raise(d.L, "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)")
	}
	c := d.s[d.p]
	fixed := func(n int, v lua.LValue) lua.LValue {
		if !d.need(n) {
			return nil
		}
		d.p += n
		return v
	}
	switch {
	case c == 0xcc:
		if !d.need(2) {
			return nil
		}
		return fixed(2, lua.LNumber(d.u8(1)))
	case c == 0xd0:
		if !d.need(2) {
			return nil
		}
		return fixed(2, lua.LNumber(int8(d.u8(1))))
	case c == 0xcd:
		if !d.need(3) {
			return nil
		}
		return fixed(3, lua.LNumber(d.be(1, 2)))
	case c == 0xd1:
		if !d.need(3) {
			return nil
		}
		return fixed(3, lua.LNumber(int16(d.be(1, 2))))
	case c == 0xce:
		if !d.need(5) {
			return nil
		}
		return fixed(5, lua.LNumber(d.be(1, 4)))
	case c == 0xd2:
		if !d.need(5) {
			return nil
		}
		return fixed(5, lua.LNumber(int32(d.be(1, 4))))
	case c == 0xcf || c == 0xd3:
		// Both go through lua_pushinteger, a signed 64-bit integer, so
		// uint64 values above 2^63 come back negative.
		if !d.need(9) {
			return nil
		}
		return fixed(9, lua.LNumber(int64(d.be(1, 8))))
	case c == 0xc0:
		return fixed(1, lua.LNil)
	case c == 0xc3:
		return fixed(1, lua.LTrue)
	case c == 0xc2:
		return fixed(1, lua.LFalse)
	case c == 0xca:
		if !d.need(5) {
			return nil
		}
		return fixed(5, lua.LNumber(math.Float32frombits(uint32(d.be(1, 4)))))
	case c == 0xcb:
		if !d.need(9) {
			return nil
		}
		return fixed(9, lua.LNumber(math.Float64frombits(d.be(1, 8))))
	case c == 0xd9:
		return d.str(1)
	case c == 0xda:
		return d.str(2)
	case c == 0xdb:
		return d.str(4)
	case c == 0xdc || c == 0xdd || c == 0xde || c == 0xdf:
		w := 2
		if c&1 == 1 {
			w = 4
		}
		if !d.need(1 + w) {
			return nil
		}
		n := d.be(1, w)
		d.p += 1 + w
		if c <= 0xdd {
			return d.array(n)
		}
		return d.hash(n)
	case c&0x80 == 0:
		return fixed(1, lua.LNumber(c))
	case c&0xe0 == 0xe0:
		return fixed(1, lua.LNumber(int8(c)))
	case c&0xe0 == 0xa0:
		n := int(c & 0x1f)
		if !d.need(1 + n) {
			return nil
		}
		v := lua.LString(d.s[d.p+1 : d.p+1+n])
		d.p += 1 + n
		return v
	case c&0xf0 == 0x90:
		d.p++
		return d.array(uint64(c & 0xf))
	case c&0xf0 == 0x80:
		d.p++
		return d.hash(uint64(c & 0xf))
	}
	d.err = mpBadFormat
	return nil
}

// str reads a string whose length takes w bytes after the type byte.
func (d *mpDecoder) str(w int) lua.LValue {
	if !d.need(1 + w) {
		return nil
	}
	n := d.be(1, w)
	if uint64(d.left()) < uint64(1+w)+n {
		d.err = mpEOF
		return nil
	}
	start := d.p + 1 + w
	d.p = start + int(n)
	return lua.LString(d.s[start:d.p])
}

func (d *mpDecoder) array(n uint64) lua.LValue {
	t := d.L.NewTable()
	d.top++ // the table
	defer func() { d.top-- }()
	if d.top+1 > luaMaxCStack {
		raise(d.L, "stack overflow (in function mp_decode_to_lua_array)")
	}
	d.top++ // each index, pushed before its value
	defer func() { d.top-- }()
	for i := uint64(1); i <= n; i++ {
		v := d.decode()
		if d.err != mpOK {
			return nil
		}
		t.RawSetInt(int(i), v)
	}
	return t
}

func (d *mpDecoder) hash(n uint64) lua.LValue {
	t := d.L.NewTable()
	d.top++ // the table
	defer func() { d.top-- }()
	for ; n > 0; n-- {
		k := d.decode()
		if d.err != mpOK {
			return nil
		}
		d.top++ // the key, while the value is decoded
		v := d.decode()
		d.top--
		if d.err != mpOK {
			return nil
		}
		// lua_settable raises these from inside the C function, where
		// Lua adds no position.
		if k == lua.LNil {
			d.L.Error(lua.LString("table index is nil"), 0)
		}
		if f, ok := k.(lua.LNumber); ok && math.IsNaN(float64(f)) {
			d.L.Error(lua.LString("table index is NaN"), 0)
		}
		t.RawSet(k, v)
	}
	return t
}

// mpUnpackFull decodes up to limit values from offset; limit and offset
// both zero mean all values, returned without the next offset.
func mpUnpackFull(L *lua.LState, limit, offset int) int {
	s := checkLString(L, 1)
	if offset < 0 || limit < 0 {
		// The C code prints the input length where the limit belongs.
		raise(L, "Invalid request to unpack with offset of %d and limit of %d.", offset, int32(len(s)))
	}
	if offset > len(s) {
		raise(L, "Start offset %d greater than input length %d.", offset, int32(len(s)))
	}
	decodeAll := limit == 0 && offset == 0
	if decodeAll {
		limit = math.MaxInt32
	}
	d := &mpDecoder{L: L, s: s, p: offset, top: 1}
	var out []lua.LValue
	for cnt := 0; d.left() > 0 && cnt < limit; cnt++ {
		v := d.decode()
		switch d.err {
		case mpEOF:
			raise(L, "Missing bytes in input.")
		case mpBadFormat:
			raise(L, "Bad data format in input.")
		}
		out = append(out, v)
		d.top++
	}
	L.SetTop(1)
	if !decodeAll {
		next := len(s) - d.left()
		if d.left() == 0 {
			next = -1
		}
		L.Push(lua.LNumber(next))
	}
	for _, v := range out {
		L.Push(v)
	}
	if decodeAll {
		return len(out)
	}
	return len(out) + 1
}

func mpUnpack(L *lua.LState) int {
	return mpUnpackFull(L, 0, 0)
}

func mpUnpackOne(L *lua.LState) int {
	offset := int(int32(optInteger(L, 2, 0)))
	L.SetTop(1)
	return mpUnpackFull(L, 1, offset)
}

func mpUnpackLimit(L *lua.LState) int {
	limit := int(int32(checkInteger(L, 2)))
	offset := int(int32(optInteger(L, 3, 0)))
	L.SetTop(1)
	return mpUnpackFull(L, limit, offset)
}
