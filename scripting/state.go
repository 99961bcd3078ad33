package scripting

import (
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
}

// removedGlobals are base functions Redis does not give scripts.
var removedGlobals = []string{"dofile", "loadfile", "_printregs", "module", "require"}

func newState() *state {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	openExtraLibs(L)
	s := &state{L: L, globals: L.G.Global}
	for _, name := range removedGlobals {
		s.globals.RawSetString(name, lua.LNil)
	}
	s.globals.RawSetString("redis", s.redisTable())
	// Library tables are read-only too, so one script cannot change what the
	// next one (on this pooled state) finds.
	for _, name := range []string{"string", "table", "math", "redis", "cjson", "cmsgpack", "bit", "struct"} {
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

// openExtraLibs opens the libraries Redis adds to Lua (cjson, cmsgpack, bit,
// struct); set by lualib's registration.
var openExtraLibs = func(L *lua.LState) {}

// readOnly returns an empty table that reads through to t and refuses writes.
func readOnly(L *lua.LState, t *lua.LTable) *lua.LTable {
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	return p
}

// stringsTable makes a Lua array of strings (KEYS, ARGV).
func stringsTable(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(lua.LString(it))
	}
	return t
}
