package lualib

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// OpenBit registers the global `bit`, LuaBitOp 1.0.2 as Redis embeds it.
func OpenBit(L *lua.LState) {
	fns := map[string]lua.LGFunction{
		"tobit":   bitTobit,
		"bnot":    bitBnot,
		"band":    bitOp(func(a, b uint32) uint32 { return a & b }),
		"bor":     bitOp(func(a, b uint32) uint32 { return a | b }),
		"bxor":    bitOp(func(a, b uint32) uint32 { return a ^ b }),
		"lshift":  bitShift(func(b, n uint32) uint32 { return b << n }),
		"rshift":  bitShift(func(b, n uint32) uint32 { return b >> n }),
		"arshift": bitShift(func(b, n uint32) uint32 { return uint32(int32(b) >> n) }),
		"rol":     bitShift(func(b, n uint32) uint32 { return b<<n | b>>(32-n) }),
		"ror":     bitShift(func(b, n uint32) uint32 { return b<<(32-n) | b>>n }),
		"bswap":   bitBswap,
		"tohex":   bitTohex,
	}
	L.SetGlobal("bit", L.SetFuncs(L.NewTable(), fns))
}

// barg normalises argument n to 32 bits exactly as LuaBitOp does on a
// double-number Lua: adding 2^52+2^51 rounds to the nearest integer (ties
// to even) and leaves it, modulo 2^32, in the low word of the double.
func barg(L *lua.LState, n int) uint32 {
	f, isNum := toNumber(L.Get(n))
	b := uint32(math.Float64bits(f + 6755399441055744.0))
	if b == 0 && !isNum {
		typeError(L, n, "number")
	}
	return b
}

func bret(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func bitTobit(L *lua.LState) int { return bret(L, barg(L, 1)) }

func bitBnot(L *lua.LState) int { return bret(L, ^barg(L, 1)) }

// bitOp folds the arguments from the last down to the second into the first,
// the order in which LuaBitOp checks them.
func bitOp(op func(a, b uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := barg(L, 1)
		for i := L.GetTop(); i > 1; i-- {
			b = op(b, barg(L, i))
		}
		return bret(L, b)
	}
}

func bitShift(op func(b, n uint32) uint32) lua.LGFunction {
	return func(L *lua.LState) int {
		b := barg(L, 1)
		n := barg(L, 2) & 31
		return bret(L, op(b, n))
	}
}

func bitBswap(L *lua.LState) int {
	b := barg(L, 1)
	return bret(L, b>>24|(b>>8)&0xff00|(b&0xff00)<<8|b<<24)
}

// bitTohex prints the low n hex digits, upper case when n is negative.
func bitTohex(L *lua.LState) int {
	b := barg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(barg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	if n > 8 {
		n = 8
	}
	if n < 0 {
		// -2^31 has no positive counterpart; C would try to allocate
		// 2 GiB here. An empty string is the sane reading.
		n = 0
	}
	buf := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf))
	return 1
}
