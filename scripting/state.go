package scripting

import (
	"math"

	"github.com/geomys/geomys/scripting/lualib"
	lua "github.com/yuin/gopher-lua"
)

// state is one pooled Lua state with Redis' sandbox built in: the libraries
// a Redis script may use, the redis.* API, and globals that can be read but
// neither created nor replaced ("Script attempted to access nonexistent
// global variable", "Attempt to modify a readonly table", as Redis 7).
type state struct {
	L       *lua.LState
	globals *lua.LTable // the real globals: libraries, KEYS, ARGV
	proxy   *lua.LTable // what scripts see as their environment
	cur     *exec       // the script running on this state
	// broken: a script's failure escaped gopher-lua's recovery; the state
	// is not used again.
	broken bool
	// rand is math.random's state, seeded afresh for every run.
	rand redisRand
}

// removedGlobals are base functions Redis does not give scripts.
var removedGlobals = []string{"dofile", "loadfile", "_printregs", "module", "require", "print"}

func newState() *state {
	// A large registry: cmsgpack.unpack of a few thousand values needs it
	// long before Redis's own limits.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistrySize: 1024 * 20, RegistryMaxSize: 1 << 16})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.CoroutineLibName, lua.OpenCoroutine}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	lualib.OpenAll(L)
	if m, ok := L.GetGlobal("math").(*lua.LTable); ok {
		m.RawSetString("huge", lua.LNumber(math.Inf(1))) // gopher-lua has MaxFloat64
	}
	s := &state{L: L, globals: L.G.Global}
	if m, ok := L.GetGlobal("math").(*lua.LTable); ok {
		s.rand.install(L, m)
	}
	for _, name := range removedGlobals {
		s.globals.RawSetString(name, lua.LNil)
	}
	limitStackFunctions(L, s.globals)
	s.globals.RawSetString("redis", s.redisTable())
	s.globals.RawSetString("pcall", L.NewFunction(s.pcall))
	s.globals.RawSetString("error", L.NewFunction(luaError))
	s.globals.RawSetString("tostring", L.NewFunction(luaToString(s.globals.RawGetString("tostring"))))
	s.globals.RawSetString("tonumber", L.NewFunction(luaToNumber(s.globals.RawGetString("tonumber"))))
	s.globals.RawSetString("setmetatable", L.NewFunction(luaSetMetatable(s.globals.RawGetString("setmetatable"))))
	if str, ok := s.globals.RawGetString("string").(*lua.LTable); ok {
		str.RawSetString("dump", L.NewFunction(stringDump))
	}
	callableTypes(L, s.globals)
	// Library tables are read-only too, so one script cannot change what the
	// next one (on this pooled state) finds.
	for _, name := range []string{"string", "table", "math", "coroutine", "redis", "cjson", "cmsgpack", "bit", "struct"} {
		if t, ok := s.globals.RawGetString(name).(*lua.LTable); ok {
			s.globals.RawSetString(name, readOnly(L, t))
		}
	}
	s.proxy = readOnly(L, s.globals)
	missing := L.NewTable()
	missing.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckString(2))
		return 0
	}))
	L.SetMetatable(s.globals, missing)
	s.globals.RawSetString("_G", s.proxy)
	return s
}

const errReadonly = "Attempt to modify a readonly table"

// readonlyMark is the metatable field that tells setmetatable a table is
// one of readOnly's (scripts never see the metatable itself).
const readonlyMark = "__geomys_readonly"

// readOnly returns an empty table that reads through to t and refuses writes.
// getmetatable gives a table that refuses writes too, as Redis' read-only
// metatables do.
func readOnly(L *lua.LState, t *lua.LTable) *lua.LTable {
	p := L.NewTable()
	mt := readonlyMeta(L, sealed(L))
	mt.RawSetString("__index", t)
	L.SetMetatable(p, mt)
	return p
}

// sealed returns an empty table that refuses writes and the change of its
// metatable.
func sealed(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	L.SetMetatable(t, readonlyMeta(L, lua.LFalse))
	return t
}

// readonlyMeta is the metatable of a read-only table; getmetatable gives
// shown instead of it.
func readonlyMeta(L *lua.LState, shown lua.LValue) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(errReadonly)
		return 0
	}))
	mt.RawSetString("__metatable", shown)
	mt.RawSetString(readonlyMark, lua.LTrue)
	return mt
}

// luaSetMetatable is setmetatable refusing read-only tables with Redis'
// error (raised from C there, so without a position).
func luaSetMetatable(orig lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString(readonlyMark) == lua.LTrue {
				L.Error(lua.LString(errReadonly), 0)
			}
		}
		L.Insert(orig, 1)
		L.Call(L.GetTop()-1, 1)
		return 1
	}
}

// callableTypes gives a call of nil, a boolean or a number Lua 5.1's error,
// "attempt to call a nil value", where gopher-lua says "attempt to call a
// non-function object" without the type (scripts match on the text: a
// failed loadstring's nil called at once is the common case). gopher-lua
// looks up __call in a per-type metatable before it fails, so one that
// raises 5.1's text — at the calling line, as the VM would — changes nothing
// else; getmetatable keeps answering nil for these types, as in 5.1.
// 5.1 also names the variable when it knows it ("attempt to call global
// 'f' (a nil value)"); gopher-lua keeps no record of where the callee came
// from, so the generic wording stands for those too. Tables, strings and
// userdata keep gopher-lua's text: their metatables are their own.
func callableTypes(L *lua.LState, globals *lua.LTable) {
	mt := L.NewTable()
	mt.RawSetString("__call", L.NewFunction(func(L *lua.LState) int {
		msg := lua.LString("attempt to call a " + L.Get(1).Type().String() + " value")
		// Called from Go (pcall(nil)): 5.1 names no position then.
		if dbg, ok := L.GetStack(1); ok {
			if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
				L.Error(msg, 0)
			}
		}
		L.Error(msg, 1)
		return 0
	}))
	for _, v := range []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0)} {
		L.SetMetatable(v, mt)
	}
	globals.RawSetString("getmetatable", L.NewFunction(func(L *lua.LState) int {
		switch v := L.CheckAny(1).(type) {
		case *lua.LNilType, lua.LBool, lua.LNumber:
			L.Push(lua.LNil)
		default:
			L.Push(L.GetMetatable(v))
		}
		return 1
	}))
}

// stringDump stands for Lua 5.1's string.dump: a binary chunk header that
// loadstring refuses, as Redis' Lua refuses to load binary code.
func stringDump(L *lua.LState) int {
	L.CheckFunction(1)
	L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"))
	return 1
}

// stringsTable makes a Lua array of strings (KEYS, ARGV).
func stringsTable(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(lua.LString(it))
	}
	return t
}

// pcall is Redis' own: an error table caught from redis.call and friends
// comes back as its err string, so a script can print or compare it. A
// killed script is not caught.
func (s *state) pcall(L *lua.LState) int {
	top := L.GetTop()
	if top == 0 {
		L.ArgError(1, "value expected")
	}
	if err := L.PCall(top-1, lua.MultRet, nil); err != nil {
		var ev lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			ev = ae.Object
		}
		if s.cur != nil && s.cur.run.killed.Load() {
			L.Error(ev, 0)
		}
		if t, ok := ev.(*lua.LTable); ok {
			if msg, ok := t.RawGetString("err").(lua.LString); ok {
				ev = msg
			}
		}
		L.SetTop(0)
		L.Push(lua.LFalse)
		L.Push(ev)
		return 2
	}
	L.Insert(lua.LTrue, 1)
	return L.GetTop()
}

// luaError is Lua 5.1's error(): a string or number message gets the
// position of the Lua function level frames up, unless that frame is not
// Lua code (error called straight through pcall).
func luaError(L *lua.LState) int {
	obj := L.Get(1)
	level := L.OptInt(2, 1)
	switch v := obj.(type) {
	case lua.LString, lua.LNumber:
		msg := v.String()
		if n, ok := v.(lua.LNumber); ok {
			msg = numberString(float64(n))
		}
		if level > 0 {
			if dbg, ok := L.GetStack(level); ok {
				if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.What != "G" && dbg.CurrentLine > 0 {
					msg = dbg.Source + ":" + itoa(dbg.CurrentLine) + ": " + msg
				}
			}
		}
		obj = lua.LString(msg)
	}
	L.Error(obj, 0)
	return 0
}

// luaToString is tostring with numbers printed as C Lua prints them
// ("%.14g", "inf", "-0"); everything else goes to gopher-lua's own.
func luaToString(orig lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok && L.GetTop() >= 1 {
			L.Push(lua.LString(lualib.NumberToString(float64(n))))
			return 1
		}
		return callOriginal(L, orig)
	}
}

// luaToNumber is tonumber with C Lua's decimal syntax (exponents, spaces,
// hex); other bases go to gopher-lua's own.
func luaToNumber(orig lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		if s, ok := L.Get(1).(lua.LString); ok && L.GetTop() == 1 {
			if f, ok := lualib.StrToNumber(string(s)); ok {
				L.Push(lua.LNumber(f))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		}
		return callOriginal(L, orig)
	}
}

// callOriginal calls the library function a wrapper replaces with the
// wrapper's arguments and returns its one result.
func callOriginal(L *lua.LState, orig lua.LValue) int {
	top := L.GetTop()
	L.Push(orig)
	for i := 1; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top, 1)
	return 1
}
