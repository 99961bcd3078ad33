package scripting

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geomys/geomys/commands"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// functionChunk is what error messages call library code, as Redis 7 does.
const functionChunk = "user_function"

// Library is a loaded function library: its code ran once on a state of
// its own, registering its functions there.
type Library struct {
	Name  string
	Code  string
	Funcs []*Function // in registration order
	st    *state
	mu    sync.Mutex // one call at a time on the library's state
	// loaded: the code has run; the load-time API it may have kept no
	// longer registers functions.
	loaded bool
}

// Function is one registered function.
type Function struct {
	Name        string
	Description string // "" when none was given
	HasDesc     bool
	Flags       Flags
	FlagNames   []string // in Redis' fixed order
	lib         *Library
	fn          *lua.LFunction
}

// functionFlagOrder is the order FUNCTION LIST reports flags in.
var functionFlagOrder = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// LoadTimeout is how long a library's top level may run when FUNCTION
// LOAD or FUNCTION RESTORE checks it, as Redis' LOAD_TIMEOUT_MS.
const LoadTimeout = 500 * time.Millisecond

// LoadLibrary compiles code and runs its top level, which must register at
// least one function, for at most timeout (0: no limit). errMsg is Redis'
// error text.
func (e *Engine) LoadLibrary(code string, timeout time.Duration) (*Library, string) {
	_, name, errMsg := commands.LibraryHeader(code)
	if errMsg != "" {
		return nil, errMsg
	}
	body := "" // the header line stays, blank, so line numbers match
	if i := strings.IndexByte(code, '\n'); i >= 0 {
		body = "\n" + code[i+1:]
	}
	chunk, err := parse.Parse(strings.NewReader(body), functionChunk)
	if err != nil {
		return nil, "ERR Error compiling function: " + strings.Replace(parseErrorText(err, body), chunkName, functionChunk, 1)
	}
	proto, err := lua.Compile(chunk, functionChunk)
	if err != nil {
		return nil, "ERR Error compiling function: " + err.Error()
	}
	lib := &Library{Name: name, Code: code, st: newState()}
	L := lib.st.L
	// While loading, a library sees only the part of the redis API that
	// makes sense before any call: register_function, log and constants.
	loadEnv := L.NewTable()
	api := L.NewTable()
	api.RawSetString("register_function", L.NewFunction(func(L *lua.LState) int { return lib.register(L) }))
	// The full table is read-only: its metatable hides behind
	// __metatable, so its fields are read through it.
	full := lib.st.globals.RawGetString("redis")
	for _, k := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		api.RawSetString(k, L.GetField(full, k))
	}
	L.SetMetatable(api, missingGlobals(L))
	loadEnv.RawSetString("redis", readOnly(L, api))
	L.SetMetatable(loadEnv, missingGlobals(L))
	fn := L.NewFunctionFromProto(proto)
	env := readOnly(L, loadEnv)
	fn.Env = env
	L.Push(fn)
	var ctx context.Context
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
		defer cancel()
		L.SetContext(ctx)
		defer L.RemoveContext()
	}
	if err := L.PCall(0, 0, nil); err != nil {
		if ctx != nil && ctx.Err() != nil {
			return nil, "ERR Error registering functions: ERR FUNCTION LOAD timeout"
		}
		return nil, "ERR Error registering functions: " + luaErrorMessage(err)
	}
	if len(lib.Funcs) == 0 {
		return nil, "ERR No functions registered"
	}
	// As Redis swaps what the library's globals read through to once it
	// is loaded, every function the code made (local helpers too) now
	// sees the whole API.
	if mt, ok := env.Metatable.(*lua.LTable); ok {
		mt.RawSetString("__index", lib.st.globals)
	}
	lib.loaded = true
	for _, f := range lib.Funcs {
		f.fn.Env = lib.st.proxy
	}
	return lib, ""
}

// missingGlobals is the metatable that makes reading an unknown name an error.
func missingGlobals(L *lua.LState) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckString(2))
		return 0
	}))
	return mt
}

// luaErrorMessage is an error's text as Redis prints it without the
// script suffix: an error table's err, or "ERR <message>".
func luaErrorMessage(err error) string {
	var ae *lua.ApiError
	if errors.As(err, &ae) {
		if t, ok := ae.Object.(*lua.LTable); ok {
			if s, ok := t.RawGetString("err").(lua.LString); ok {
				return string(s)
			}
		}
		return "ERR " + ae.Object.String()
	}
	return "ERR " + err.Error()
}

// register is redis.register_function during FUNCTION LOAD.
func (lib *Library) register(L *lua.LState) int {
	if lib.loaded { // raised from C in Redis: no position
		L.Error(lua.LString("redis.register_function can only be called on FUNCTION LOAD command"), 0)
	}
	f := &Function{lib: lib}
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			raise(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			switch k.String() {
			case "function_name":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR function_name argument given to redis.register_function must be a string"
				}
				f.Name = string(s)
			case "callback":
				fn, ok := v.(*lua.LFunction)
				if !ok {
					bad = "ERR callback argument given to redis.register_function must be a function"
				}
				f.fn = fn
			case "description":
				s, ok := v.(lua.LString)
				if !ok {
					bad = "ERR description argument given to redis.register_function must be a string"
				}
				f.Description, f.HasDesc = string(s), true
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				bad = f.setFlags(ft)
			default:
				bad = "ERR unknown argument given to redis.register_function"
			}
		})
		if bad != "" {
			raise(L, bad)
		}
		if f.Name == "" {
			raise(L, "ERR redis.register_function must get a function name argument")
		}
		if f.fn == nil {
			raise(L, "ERR redis.register_function must get a callback argument")
		}
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			raise(L, "ERR first argument to redis.register_function must be a string")
		}
		fn, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			raise(L, "ERR second argument to redis.register_function must be a function")
		}
		f.Name, f.fn = string(name), fn
	default:
		raise(L, "ERR wrong number of arguments to redis.register_function")
	}
	if !commands.ValidFunctionName(f.Name) {
		raise(L, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, g := range lib.Funcs {
		if g.Name == f.Name {
			raise(L, "ERR Function already exists in the library")
		}
	}
	lib.Funcs = append(lib.Funcs, f)
	return 0
}

func (f *Function) setFlags(t *lua.LTable) string {
	set := map[string]bool{}
	bad := ""
	t.ForEach(func(_, v lua.LValue) {
		s, ok := v.(lua.LString)
		if !ok {
			bad = "ERR unknown flag given"
			return
		}
		switch string(s) {
		case "no-writes":
			f.Flags.NoWrites = true
		case "allow-oom":
			f.Flags.AllowOOM = true
		case "allow-stale":
			f.Flags.AllowStale = true
		case "no-cluster":
			f.Flags.NoCluster = true
		case "allow-cross-slot-keys":
			f.Flags.AllowCrossSlot = true
		default:
			bad = "ERR unknown flag given"
			return
		}
		set[string(s)] = true
	})
	for _, name := range functionFlagOrder {
		if set[name] {
			f.FlagNames = append(f.FlagNames, name)
		}
	}
	return bad
}

// Functions is the set of libraries this node has compiled, matching the
// replicated libraries of some version.
type Functions struct {
	mu      sync.Mutex
	version uint64
	libs    map[string]*Library
	funcs   map[string]*Function
}

// Sync makes the compiled libraries those of codes (at version), compiling
// what changed. A library that no longer compiles (it cannot happen for
// code the leader accepted) is skipped.
func (e *Engine) Sync(version uint64, codes func() map[string]string) {
	fs := &e.functions
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.version == version && fs.libs != nil {
		return
	}
	libs := map[string]*Library{}
	funcs := map[string]*Function{}
	for name, code := range codes() {
		lib := fs.libs[name]
		if lib == nil || lib.Code != code {
			var errMsg string
			// No time limit: the leader's FUNCTION LOAD ran it within
			// one, and this node must end up with the same libraries.
			if lib, errMsg = e.LoadLibrary(code, 0); errMsg != "" {
				continue
			}
		}
		libs[name] = lib
		for _, f := range lib.Funcs {
			funcs[strings.ToLower(f.Name)] = f
		}
	}
	fs.version, fs.libs, fs.funcs = version, libs, funcs
}

// Function looks up a registered function by name, case-insensitively as
// Redis' function dictionary does (library names are case-sensitive).
func (e *Engine) Function(name string) *Function {
	fs := &e.functions
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.funcs[strings.ToLower(name)]
}

// Library looks up a compiled library by name.
func (e *Engine) Library(name string) *Library {
	fs := &e.functions
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.libs[name]
}

// Libraries returns the compiled libraries ordered by name.
func (e *Engine) Libraries() []*Library {
	fs := &e.functions
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]*Library, 0, len(fs.libs))
	for _, name := range slices.Sorted(maps.Keys(fs.libs)) {
		out = append(out, fs.libs[name])
	}
	return out
}

// RunFunction calls f(KEYS, ARGV) as FCALL does and writes its reply into r.
func (e *Engine) RunFunction(f *Function, c *Call, r *commands.Reply) bool {
	f.lib.mu.Lock()
	defer f.lib.mu.Unlock()
	st := f.lib.st
	return e.runOn(st, f.fn, []lua.LValue{stringsTable(st.L, c.Keys), stringsTable(st.L, c.Argv)}, f.Name, functionChunk, c, r)
}

// Library is the name of the library that registered f.
func (f *Function) Library() string { return f.lib.Name }
