// Package lualib provides the C libraries Redis 7 links into its Lua 5.1
// scripting environment (cjson, cmsgpack, bit, struct), reimplemented in Go
// for gopher-lua. Scripts written for Redis (BullMQ, Sidekiq, rate limiters)
// depend on the exact bytes these libraries produce and on the wording of
// their errors, so each file follows its C original closely, including the
// quirks a script could observe.
//
// Known differences from Redis, all from gopher-lua rather than from the
// libraries: tables iterate in insertion order, not hash order, so objects
// and maps with several keys come out in another (equally valid) order;
// tostring(cjson.null) is "userdata: 0x..." where Redis prints
// "userdata: (nil)"; and a library function called with method syntax
// (cjson:encode(x)) numbers its arguments from the receiver in errors.
//
// Like the C libraries, cjson's settings live in the Lua state, so they
// outlast the script that changed them for as long as the state lives. The
// state's registry should be allowed to grow past 8000 slots
// (lua.Options.RegistryMaxSize), or cmsgpack.unpack of thousands of values
// fails with gopher-lua's "registry overflow" before Redis's own limit.
package lualib

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// OpenAll registers cjson, cmsgpack, bit and struct as globals, as Redis does
// when it creates its scripting environment.
func OpenAll(L *lua.LState) {
	OpenCJSON(L)
	OpenCMsgpack(L)
	OpenBit(L)
	OpenStruct(L)
}

// luaMaxCStack is LUAI_MAXCSTACK of Lua 5.1: the most slots a C function may
// hold on the Lua stack. The C libraries hit it on deep nesting, and their
// errors at that point are part of what a script sees.
const luaMaxCStack = 8000

// raise throws msg the way luaL_error does from a C function: prefixed with
// the position of the Lua code that called the library function, or bare
// when the caller is itself a Go function (pcall(bit.tohex), say).
func raise(L *lua.LState, format string, args ...any) {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
			msg = fmt.Sprintf("%s:%d: %s", dbg.Source, dbg.CurrentLine, msg)
		}
	}
	L.Error(lua.LString(msg), 0)
}

// funcName is the name Lua 5.1 reports for the running library function in
// argument errors: the name it was called by, or "?" when called from Go.
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	if dbg.Name == "" || strings.HasPrefix(dbg.Name, "(") || strings.HasPrefix(dbg.Name, "<") {
		return "?"
	}
	return dbg.Name
}

// argError is luaL_argerror.
func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #%d to '%s' (%s)", n, funcName(L), msg)
}

// typeName is luaL_typename: "no value" past the last argument.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, want string) {
	argError(L, n, fmt.Sprintf("%s expected, got %s", want, typeName(L, n)))
}

// toNumber is lua_tonumber: numbers, and strings that read as numbers.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return StrToNumber(string(x))
	}
	return 0, false
}

// checkNumber is luaL_checknumber.
func checkNumber(L *lua.LState, n int) float64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return f
}

// checkInteger is luaL_checkinteger: the number truncated toward zero.
func checkInteger(L *lua.LState, n int) int64 {
	return toInteger(checkNumber(L, n))
}

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if L.Get(n) == lua.LNil {
		return def
	}
	return checkInteger(L, n)
}

// toInteger converts like a C cast from double to a 64-bit integer on x86-64,
// where out-of-range values and NaN become the minimum int64.
func toInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// checkLString is luaL_checklstring: strings, and numbers converted as Lua
// converts them.
func checkLString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return NumberToString(float64(v))
	}
	typeError(L, n, "string")
	return ""
}

// NumberToString is Lua 5.1's number to string conversion, "%.14g".
func NumberToString(f float64) string {
	return FormatG(f, 14)
}

// FormatG is C's printf("%.<prec>g") as glibc prints it.
func FormatG(f float64, prec int) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	if prec < 1 {
		prec = 1
	}
	e := strconv.FormatFloat(f, 'e', prec-1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	if x < -4 || x >= prec {
		return trimZeros(mant) + "e" + exp
	}
	return trimZeros(strconv.FormatFloat(f, 'f', prec-1-x, 64))
}

// trimZeros drops the trailing zeros of a fraction, and its point if
// nothing is left after it, as %g does.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// StrToNumber is Lua 5.1's luaO_str2d over glibc's strtod: the whole string,
// up to a NUL as C sees it, must be a number apart from surrounding spaces.
func StrToNumber(s string) (float64, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	f, n := strtod(s, 0)
	if n == 0 {
		return 0, false
	}
	for n < len(s) && isSpace(s[n]) {
		n++
	}
	return f, n == len(s)
}

func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// strtod reads the longest prefix of s[start:] that glibc's strtod accepts
// (decimal, hexadecimal, inf, infinity, nan, nan(...)), returning its value
// and how many bytes it took; 0 bytes means no number was there.
func strtod(s string, start int) (float64, int) {
	i := start
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8 - start
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3 - start
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(s) && s[j] == '(' {
			k := j + 1
			for k < len(s) && (isDigit(s[k]) || (s[k]|0x20 >= 'a' && s[k]|0x20 <= 'z') || s[k] == '_') {
				k++
			}
			if k < len(s) && s[k] == ')' {
				j = k + 1
			}
		}
		nan := math.NaN()
		if neg {
			nan = math.Copysign(nan, -1)
		}
		return nan, j - start
	case len(rest) > 2 && rest[0] == '0' && rest[1]|0x20 == 'x' &&
		(isHex(rest[2]) || (rest[2] == '.' && len(rest) > 3 && isHex(rest[3]))):
		f, n := hexFloat(rest[2:])
		return sign(f), i + 2 + n - start
	}
	j := i
	digits := 0
	for j < len(s) && isDigit(s[j]) {
		j++
		digits++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if j < len(s) && s[j]|0x20 == 'e' {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(s[i:j], 64)
	if err != nil && !isRangeErr(err) {
		return 0, 0
	}
	return sign(f), j - start
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// hexFloat reads the digits after "0x": hex digits, an optional fraction and
// an optional binary exponent.
func hexFloat(s string) (float64, int) {
	j := 0
	for j < len(s) && isHex(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isHex(s[j]) {
			j++
		}
	}
	mant := s[:j]
	exp := "p0"
	if j < len(s) && s[j]|0x20 == 'p' {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			exp = s[j:k]
			j = k
		}
	}
	f, err := strconv.ParseFloat("0x"+mant+exp, 64)
	if err != nil && !isRangeErr(err) {
		return 0, 0
	}
	return f, j
}
