package lualib

import (
	"math"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func TestFormatGMatchesC(t *testing.T) {
	cases := []struct {
		f    float64
		prec int
		want string
	}{
		{0.1, 14, "0.1"},
		{1.0 / 3, 14, "0.33333333333333"},
		{1e14, 14, "1e+14"},
		{123456789012345, 14, "1.2345678901234e+14"},
		{99999999999999.5, 14, "1e+14"},
		{1e-4, 14, "0.0001"},
		{1e-5, 14, "1e-05"},
		{math.Copysign(0, -1), 14, "-0"},
		{100, 14, "100"},
		{3.14159, 3, "3.14"},
		{5e-324, 14, "4.9406564584125e-324"},
		{math.Inf(1), 14, "inf"},
		{math.Inf(-1), 14, "-inf"},
		{math.NaN(), 14, "nan"},
	}
	for _, c := range cases {
		if got := FormatG(c.f, c.prec); got != c.want {
			t.Errorf("FormatG(%v, %d) = %q, want %q", c.f, c.prec, got, c.want)
		}
	}
}

func TestStrtodPrefixes(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		n    int
	}{
		{"12abc", 12, 2},
		{"-1.5e3,", -1500, 6},
		{"1e", 1, 1},
		{"1e+", 1, 1},
		{"1.", 1, 2},
		{".5", 0.5, 2},
		{"0x1F]", 31, 4},
		{"0x", 0, 1},
		{"0x1p4", 16, 5},
		{"-Infinity", math.Inf(-1), 9},
		{"infx", math.Inf(1), 3},
		{"  7", 7, 3},
		{"-", 0, 0},
		{"abc", 0, 0},
		{"1e400", math.Inf(1), 5},
	}
	for _, c := range cases {
		got, n := strtod(c.in, 0)
		if got != c.want || n != c.n {
			t.Errorf("strtod(%q) = %v, %d; want %v, %d", c.in, got, n, c.want, c.n)
		}
	}
	if f, n := strtod("nan(123)x", 0); !math.IsNaN(f) || n != 8 {
		t.Errorf("strtod(nan(123)x) = %v, %d", f, n)
	}
}

func TestStr2Number(t *testing.T) {
	for in, want := range map[string]float64{"10": 10, " 0x10 ": 16, "1e2\n": 100, "5\x00junk": 5} {
		if got, ok := StrToNumber(in); !ok || got != want {
			t.Errorf("StrToNumber(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", " ", "1x", "x1", "1 2"} {
		if _, ok := StrToNumber(in); ok {
			t.Errorf("StrToNumber(%q) accepted", in)
		}
	}
}

// eval runs src in a fresh state and returns its single result.
func eval(t *testing.T, src string) lua.LValue {
	t.Helper()
	L := newState()
	t.Cleanup(L.Close)
	if err := L.DoString(src); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return L.Get(-1)
}

func evalString(t *testing.T, src string) string {
	t.Helper()
	v := eval(t, src)
	s, ok := v.(lua.LString)
	if !ok {
		t.Fatalf("%s returned %s, not a string", src, v.Type())
	}
	return string(s)
}

func TestErrorsCarryTheCallersPosition(t *testing.T) {
	// luaL_error names the Lua line that called the library...
	got := evalString(t, "local ok, e = pcall(function()\n return bit.tohex()\nend) return e")
	if want := "<string>:2: bad argument #1 to 'tohex' (number expected, got no value)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// ...and nothing when a Go function such as pcall called it directly.
	got = evalString(t, "local ok, e = pcall(cjson.decode, '[') return e")
	if want := "Expected value but found T_END at character 2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = evalString(t, "local ok, e = pcall(bit.tohex) return e")
	if want := "bad argument #1 to '?' (number expected, got no value)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCJSONNull(t *testing.T) {
	v := eval(t, `return cjson.decode('[null]')[1]`)
	if _, ok := v.(*lua.LUserData); !ok {
		t.Fatalf("null decoded as %s, want userdata", v.Type())
	}
	if got := evalString(t, `return tostring(cjson.decode('null') == cjson.null and cjson.new().null == cjson.null)`); got != "true" {
		t.Errorf("cjson.null is not one value: %s", got)
	}
	if got := evalString(t, `return cjson.encode({cjson.null, cjson.new().null})`); got != "[null,null]" {
		t.Errorf("got %s", got)
	}
	if got := evalString(t, `return cmsgpack.pack(cjson.null)`); got != "\xc0" {
		t.Errorf("cmsgpack packed cjson.null as %q", got)
	}
}

func TestCJSONSettingsAreSeparatePerModule(t *testing.T) {
	got := evalString(t, `local j = cjson.new() j.encode_max_depth(1)
		local ok, e = pcall(j.encode, {{}})
		return e .. '|' .. cjson.encode({{}}) .. '|' .. cjson.encode_max_depth()`)
	if want := "Cannot serialise, excessive nesting (2)|[{}]|1000"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCJSONRoundTripsBytes(t *testing.T) {
	got := evalString(t, `local s = '' for i = 0, 255 do s = s .. string.char(i) end
		return tostring(cjson.decode(cjson.encode(s)) == s)`)
	if got != "true" {
		t.Error("a string of every byte did not survive encode and decode")
	}
}

func TestCMsgpackRoundTrip(t *testing.T) {
	got := evalString(t, `
		local v = {1, -1, 2^40, -2^40, 1.5, 0.1, 'x', string.rep('y', 300), true, false, {a = {b = {1, 2}}}}
		local u = cmsgpack.unpack(cmsgpack.pack(v))
		local parts = {}
		for i = 1, 10 do parts[i] = tostring(u[i] == v[i]) end
		parts[11] = tostring(u[11].a.b[2] == 2)
		return table.concat(parts, ',')`)
	if want := strings.Repeat("true,", 10) + "true"; got != want {
		t.Errorf("got %s", got)
	}
}

func TestCMsgpackStopsAtNestingLimit(t *testing.T) {
	// A self-referencing table packs 16 levels, then nil, like the C code.
	got := evalString(t, `local t = {} t[1] = t return cmsgpack.pack(t)`)
	if want := strings.Repeat("\x91", 16) + "\xc0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCMsgpackUnpackOneWalksAStream(t *testing.T) {
	got := evalString(t, `local s = cmsgpack.pack('a', 'b', 'c')
		local out, off, v = {}, 0, nil
		repeat off, v = cmsgpack.unpack_one(s, off) out[#out + 1] = v until off == -1
		return table.concat(out)`)
	if got != "abc" {
		t.Errorf("got %q", got)
	}
}

func TestBitNormalisesToInt32(t *testing.T) {
	cases := map[string]float64{
		`bit.tobit(0xffffffff)`:      -1,
		`bit.tobit(2^32 + 1)`:        1,
		`bit.tobit(-2^32 - 1)`:       -1,
		`bit.bnot(0)`:                -1,
		`bit.arshift(-1, 31)`:        -1,
		`bit.rshift(-1, 31)`:         1,
		`bit.rol(0x80000000, 1)`:     1,
		`bit.bswap(1)`:               16777216,
		`bit.tobit('0xffffffff')`:    -1,
		`bit.bxor(1, 2, 4, 8, 16)`:   31,
		`bit.tobit(3.5)`:             4,
		`bit.tobit(4.5)`:             4,
		`bit.lshift(0xff, 28)`:       -268435456,
		`bit.ror(1, 1)`:              -2147483648,
		`bit.arshift(-2^31, 33)`:     -1073741824,
		`bit.tobit(-0.0)`:            0,
		`bit.band(0xffff, 2^32 + 3)`: 3,
	}
	for expr, want := range cases {
		v := eval(t, "return "+expr)
		if n, ok := v.(lua.LNumber); !ok || float64(n) != want {
			t.Errorf("%s = %v, want %v", expr, v, want)
		}
	}
	got := evalString(t, `local ok, e = pcall(function() return bit.band() end) return e`)
	if want := "<string>:1: bad argument #1 to 'band' (number expected, got no value)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := evalString(t, `return bit.tohex(0xabc, -3) .. bit.tohex(0xabc, 3) .. bit.tohex(-2^31, -2^31)`); got != "ABCabc" {
		t.Errorf("tohex gave %q", got)
	}
}

func TestStructRoundTrip(t *testing.T) {
	L := newState()
	defer L.Close()
	const format = "<!4 b B h H i I l L T f d i3 I7 s c3"
	src := `local fmt = '` + format + `'
		local s = struct.pack(fmt, -1, 255, -300, 60000, -70000, 4000000000, -2^40, 2^50, 9, 0.5, 0.1, -5, 2^50, 'str', 'abc')
		return #s, struct.unpack(fmt, s)`
	if err := L.DoString(src); err != nil {
		t.Fatal(err)
	}
	want := []lua.LValue{
		// Alignment to min(size, 4) pads i3 by 2 and I7 by 3 bytes,
		// as the C code's arithmetic does: 74 bytes in all.
		lua.LNumber(74),
		lua.LNumber(-1), lua.LNumber(255), lua.LNumber(-300), lua.LNumber(60000),
		lua.LNumber(-70000), lua.LNumber(4000000000), lua.LNumber(-(1 << 40)), lua.LNumber(1 << 50),
		lua.LNumber(9), lua.LNumber(0.5), lua.LNumber(0.1), lua.LNumber(-5), lua.LNumber(1 << 50),
		lua.LString("str"), lua.LString("abc"), lua.LNumber(75),
	}
	if L.GetTop() != len(want) {
		t.Fatalf("got %d results, want %d", L.GetTop(), len(want))
	}
	for i, w := range want {
		if got := L.Get(i + 1); got != w {
			t.Errorf("result %d = %v, want %v", i+1, got, w)
		}
	}
	if v := eval(t, `return struct.size('<!4 b B h H i I l L T f d i3 I7')`); v != lua.LNumber(67) {
		t.Errorf("struct.size = %v, want 67", v)
	}
}
