package scripting

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// redisRand is Redis's math.random and math.randomseed (rand.c, eval.c):
// drand48's 48-bit generator, so a script that seeds it gets the numbers
// it gets on Redis, whatever the platform.
type redisRand struct{ x uint64 }

const (
	rand48Mask = 1<<48 - 1
	rand48Max  = math.MaxInt32 // REDIS_LRAND48_MAX
)

func (r *redisRand) seed(v int32) { r.x = (uint64(uint32(v))<<16 | 0x330E) & rand48Mask }

func (r *redisRand) next() int32 {
	r.x = (0x5DEECE66D*r.x + 0xB) & rand48Mask
	return int32(r.x >> 17)
}

// install replaces math.random and math.randomseed in math.
func (r *redisRand) install(L *lua.LState, math *lua.LTable) {
	math.RawSetString("random", L.NewFunction(r.random))
	math.RawSetString("randomseed", L.NewFunction(r.randomseed))
}

func (r *redisRand) random(L *lua.LState) int {
	f := float64(r.next()%rand48Max) / rand48Max
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		u := checkInt(L, 1, "random")
		if u < 1 {
			L.RaiseError("bad argument #1 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u)) + 1))
	case 2:
		l, u := checkInt(L, 1, "random"), checkInt(L, 2, "random")
		if l > u {
			L.RaiseError("bad argument #2 to 'random' (interval is empty)")
		}
		L.Push(lua.LNumber(math.Floor(f*float64(u-l+1)) + float64(l)))
	default:
		L.RaiseError("wrong number of arguments")
	}
	return 1
}

func (r *redisRand) randomseed(L *lua.LState) int {
	r.seed(checkInt(L, 1, "randomseed"))
	return 0
}

// checkInt is Lua 5.1's luaL_checkint: a number, or a string that reads as
// one, cut to an int as C casts it.
func checkInt(L *lua.LState, n int, fn string) int32 {
	v := L.Get(n)
	if num, ok := v.(lua.LNumber); ok {
		return int32(int64(num))
	}
	if s, ok := v.(lua.LString); ok {
		if num, ok := strToNumber(string(s)); ok {
			return int32(int64(num))
		}
	}
	got := v.Type().String()
	if n > L.GetTop() {
		got = "no value"
	}
	L.RaiseError("bad argument #%d to '%s' (number expected, got %s)", n, fn, got)
	return 0
}

// strToNumber is Lua 5.1's string-to-number coercion (strtod, or a 0x hex
// integer), surrounding spaces allowed.
func strToNumber(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f, true
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		if n, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
			return float64(n), true
		}
	}
	return 0, false
}
