package scripting

import (
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// luaMaxCStack is Lua 5.1's LUAI_MAXCSTACK: the most values a library
// function may push, so the most unpack and string.byte return. gopher-lua
// has no such bound; past its registry's size it panics, and when a script
// fills the registry its own error recovery overflows it again, so without
// these limits one EVAL could take the server down.
const luaMaxCStack = 8000

// limitStackFunctions gives unpack and string.byte Lua 5.1's limits and
// error texts.
func limitStackFunctions(L *lua.LState, globals *lua.LTable) {
	globals.RawSetString("unpack", L.NewFunction(luaUnpack))
	if str, ok := globals.RawGetString("string").(*lua.LTable); ok {
		if orig, ok := str.RawGetString("byte").(*lua.LFunction); ok {
			str.RawSetString("byte", L.NewFunction(luaByte(orig)))
		}
	}
}

// luaUnpack is Lua 5.1's unpack.
func luaUnpack(L *lua.LState) int {
	t := L.CheckTable(1)
	i := L.OptInt(2, 1)
	e := L.OptInt(3, t.Len())
	if i > e {
		return 0
	}
	n := e - i + 1
	if n <= 0 || n > luaMaxCStack-L.GetTop() {
		L.RaiseError("too many results to unpack")
	}
	for j := i; j <= e; j++ {
		L.Push(t.RawGetInt(j))
	}
	return n
}

// luaByte refuses the slices Lua 5.1's string.byte refuses, then calls orig.
func luaByte(orig *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		s := L.CheckString(1)
		i := bytePos(L.OptInt(2, 1), len(s))
		j := bytePos(L.OptInt(3, i), len(s))
		i, j = max(i, 1), min(j, len(s))
		if n := j - i + 1; n > 0 && n > luaMaxCStack-L.GetTop() {
			L.RaiseError("stack overflow (string slice too long)")
		}
		top := L.GetTop()
		L.Push(orig)
		for k := 1; k <= top; k++ {
			L.Push(L.Get(k))
		}
		L.Call(top, lua.MultRet)
		return L.GetTop() - top
	}
}

// bytePos is Lua 5.1's posrelat: a negative position counts from the end.
func bytePos(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	return pos
}

// protectedCall is L.PCall that also catches what gopher-lua's recovery
// lets through (a registry overflowed again while the error is pushed):
// the script fails with that error and the state is marked broken, so it
// is not used again.
func protectedCall(st *state, nargs int, handler *lua.LFunction) (err error) {
	defer func() {
		if p := recover(); p != nil {
			st.broken = true
			if ae, ok := p.(*lua.ApiError); ok {
				err = ae
				return
			}
			err = fmt.Errorf("%v", p)
		}
	}()
	return st.L.PCall(nargs, 1, handler)
}
