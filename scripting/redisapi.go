package scripting

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/scripting/lualib"
	lua "github.com/yuin/gopher-lua"
)

// Texts of the errors redis.call raises, as Redis 7.0 words them.
const (
	errUnknownCommand  = "ERR Unknown Redis command called from script"
	errWrongArity      = "ERR Wrong number of args calling Redis command from script"
	errNotAllowed      = "ERR This Redis command is not allowed from script"
	errReadOnly        = "ERR Write commands are not allowed from read-only scripts."
	errReadOnlyReplica = "READONLY You can't write against a read only replica."
	errNoReplicas      = "NOREPLICAS Not enough good replicas to write."
	errNoArgs          = "Please specify at least one argument for this redis lib call"
	errBadArgs         = "Lua redis lib command arguments must be strings or integers"
)

// exec is one script's execution state on a Lua state.
type exec struct {
	call  *Call
	run   *run
	resp  int // redis.setresp
	db    *commands.DB
	reply commands.Reply // scratch for each command's reply
	// cmdErrs are the error tables redis.call and redis.pcall made of
	// commands' errors (refusals included), with their lines: Redis counts
	// those in errorstats when the command fails, and not again when the
	// script replies with one (runOn).
	cmdErrs map[*lua.LTable]string
}

// Redis' redis.log levels and redis.set_repl flags.
var redisConstants = map[string]lua.LNumber{
	"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
	"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
}

// RedisVersion is what redis.REDIS_VERSION reports.
var RedisVersion = "7.0.15"

func (s *state) redisTable() *lua.LTable {
	L := s.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"call":  func(L *lua.LState) int { return s.redisCall(L, true) },
		"pcall": func(L *lua.LState) int { return s.redisCall(L, false) },
		"error_reply": func(L *lua.LState) int {
			msg, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				raise(L, "ERR wrong number or type of arguments")
			}
			m := string(msg)
			if !strings.HasPrefix(m, "-") {
				m = "-" + m
			}
			L.Push(errorTable(L, m))
			return 1
		},
		"status_reply": func(L *lua.LState) int {
			msg, ok := L.Get(1).(lua.LString)
			if L.GetTop() != 1 || !ok {
				raise(L, "ERR wrong number or type of arguments")
			}
			r := L.NewTable()
			r.RawSetString("ok", msg)
			L.Push(r)
			return 1
		},
		"sha1hex": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR wrong number of arguments")
			}
			sum := sha1.Sum([]byte(L.Get(1).String()))
			L.Push(lua.LString(hex.EncodeToString(sum[:])))
			return 1
		},
		"log": func(L *lua.LState) int {
			if L.GetTop() < 2 {
				raise(L, "ERR redis.log() requires two arguments or more.")
			}
			level, ok := L.Get(1).(lua.LNumber)
			if !ok {
				raise(L, "ERR First argument must be a number (log level).")
			}
			if level < 0 || level > 3 {
				raise(L, "ERR Invalid debug level.")
			}
			return 0
		},
		"setresp": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR redis.setresp() requires one argument.")
			}
			v, _ := L.Get(1).(lua.LNumber)
			n := int(v)
			if n != 2 && n != 3 {
				raise(L, "ERR RESP version must be 2 or 3.")
			}
			if s.cur != nil {
				s.cur.resp = n
			}
			return 0
		},
		// Every node applies exactly what the leader's run propagated, so
		// there is no replication mode to choose: set_repl is accepted and
		// writes are always replicated.
		"set_repl": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				raise(L, "ERR redis.set_repl() requires one argument.")
			}
			if v, ok := L.Get(1).(lua.LNumber); !ok || v < 0 || v > 3 || v != lua.LNumber(int(v)) {
				raise(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
			}
			return 0
		},
		"replicate_commands": func(L *lua.LState) int { L.Push(lua.LTrue); return 1 },
		"breakpoint":         func(L *lua.LState) int { L.Push(lua.LFalse); return 1 },
		"debug":              func(L *lua.LState) int { return 0 },
		"acl_check_cmd":      s.aclCheckCmd,
		"register_function":  func(L *lua.LState) int { return s.registerFunction(L) },
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	for name, v := range redisConstants {
		t.RawSetString(name, v)
	}
	t.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(RedisVersion)))
	return t
}

func versionNum(v string) int {
	n, part := 0, 0
	for i := 0; i <= len(v); i++ {
		if i == len(v) || v[i] == '.' {
			n = n<<8 | part
			part = 0
			continue
		}
		part = part*10 + int(v[i]-'0')
	}
	return n
}

// registerFunction is only valid while FUNCTION LOAD runs a library.
func (s *state) registerFunction(L *lua.LState) int {
	if s.cur == nil || s.cur.call.Register == nil {
		// Outside FUNCTION LOAD Redis has no redis.register_function at
		// all: calling it is calling a nil field, and says so.
		L.RaiseError("attempt to call field 'register_function' (a nil value)")
	}
	return s.cur.call.Register(L)
}

// raise fails the script with a Redis error reply, the way redis.call does:
// the error object is a table {err=msg}.
func raise(L *lua.LState, msg string) {
	L.Error(errorTable(L, "-"+msg), 1)
}

// errorTable is Redis' luaPushError: msg is "-CODE text", "CODE text" or
// plain text; the table's err always starts with an error code ("ERR" when
// msg has none).
func errorTable(L *lua.LState, msg string) *lua.LTable {
	var final string
	if rest, ok := strings.CutPrefix(msg, "-"); ok {
		code, text, found := strings.Cut(rest, " ")
		if !found {
			code, text = "ERR", rest
		}
		final = code + " " + strings.TrimRight(text, "\r\n")
	} else {
		final = "ERR " + strings.TrimRight(msg, "\r\n")
	}
	t := L.NewTable()
	t.RawSetString("err", lua.LString(final))
	return t
}

// callArgs takes a redis.* call's arguments: strings, and numbers as Redis
// formats them; msg is what is wrong otherwise.
func callArgs(L *lua.LState) (args [][]byte, msg string) {
	n := L.GetTop()
	if n == 0 {
		return nil, errNoArgs
	}
	args = make([][]byte, n)
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			args[i-1] = []byte(v)
		case lua.LNumber:
			args[i-1] = []byte(numberString(float64(v)))
		default:
			return nil, errBadArgs
		}
	}
	return args, ""
}

// aclCheckCmd is redis.acl_check_cmd: whether the script's user may run
// the command with these arguments.
func (s *state) aclCheckCmd(L *lua.LState) int {
	args, msg := callArgs(L)
	if msg != "" {
		raise(L, "ERR "+msg)
	}
	n := len(args)
	def := commands.Lookup(args[0])
	if def != nil && n > 1 && def.HasSubcommands() && def.Subcommand(args[1]) == nil {
		def = nil
	}
	if def == nil {
		raise(L, "ERR Invalid command passed to redis.acl_check_cmd()")
	}
	x := s.cur
	L.Push(lua.LBool(x == nil || x.call.ACL == nil || x.call.ACL(def, args) == ""))
	return 1
}

// redisCall is redis.call (raising=true) and redis.pcall.
func (s *state) redisCall(L *lua.LState, raising bool) int {
	x := s.cur
	// msg is a reply's error line ("CODE text"), or one of our own texts
	// (which get "ERR " like Redis' luaPushError gives them).
	fail := func(msg string) int {
		t := errorTable(L, "-"+msg)
		if raising {
			L.Error(t, 1)
		}
		L.Push(t)
		return 1
	}
	// cmdFail fails the call with a command's error (or its refusal).
	cmdFail := func(msg string) int {
		t := errorTable(L, "-"+msg)
		if x.cmdErrs == nil {
			x.cmdErrs = map[*lua.LTable]string{}
		}
		x.cmdErrs[t] = string(t.RawGetString("err").(lua.LString))
		if raising {
			L.Error(t, 1)
		}
		L.Push(t)
		return 1
	}
	args, msg := callArgs(L)
	if msg != "" {
		return fail("ERR " + msg)
	}
	n := len(args)
	if x == nil {
		return fail(errNotAllowed)
	}
	def := commands.Lookup(args[0])
	if def == nil {
		return cmdFail(errUnknownCommand)
	}
	// A command refused before it runs counts as a rejected call of it
	// (INFO commandstats), as Redis' scriptCall counts it.
	reject := func(msg string) int {
		if x.call.Rejected != nil {
			x.call.Rejected(def)
		}
		return cmdFail(msg)
	}
	if !def.ArityOK(n) {
		return reject(errWrongArity)
	}
	if def.Is(commands.NoScript) && !x.call.AllowNoScript {
		return reject(errNotAllowed)
	}
	if x.call.ACL != nil {
		if msg := x.call.ACL(def, args); msg != "" {
			return reject(msg)
		}
	}
	// Like Redis, a read-only script may not call a may-replicate command
	// (PFCOUNT) either.
	if def.Logged() && (x.call.ReadOnly || x.call.Ctx.Prop == nil) {
		return reject(errReadOnly)
	}
	if x.call.ReplicaReadOnly && def.Is(commands.Write) && !x.run.wrote.Load() {
		return reject(errReadOnlyReplica)
	}
	if x.call.NoReplicas && def.Is(commands.Write) {
		return reject(errNoReplicas)
	}
	if x.call.DenyOOM && def.Is(commands.DenyOOM) && !x.run.wrote.Load() {
		return reject(commands.ErrOOM)
	}
	if x.call.Monitor != nil {
		x.call.Monitor(x.db.ID, args)
	}
	r := &x.reply
	r.Reset()
	r.Proto = x.resp
	var start time.Time
	if x.call.Called != nil {
		start = time.Now()
	}
	switch {
	case commands.XReadScriptError(def, args) != "":
		r.Error(commands.XReadScriptError(def, args))
	case def.Handler != nil:
		c := x.call.Ctx
		c.R = r
		c.Begin(x.db, args)
		c.Script = true
		def.Handler(c)
		c.Script = false
		c.Finish()
		if c.DirtyCount() > 0 {
			x.run.wrote.Store(true)
		}
		if c.Blocked() != nil {
			// Nothing blocks inside a script: it gets the timeout's reply.
			r.Reset()
			if def.Name == "blmove" || def.Name == "brpoplpush" {
				r.Null()
			} else {
				r.NullArray()
			}
		}
	case !s.serverCommand(x, def.Name, args, r):
		return cmdFail(errNotAllowed)
	}
	if x.call.Called != nil {
		b := r.Bytes()
		x.call.Called(def, time.Since(start), len(b) > 0 && b[0] == '-')
	}
	v, errMsg := replyToLua(L, r.Bytes())
	if errMsg != "" {
		return cmdFail(errMsg)
	}
	L.Push(v)
	return 1
}

// serverCommand runs the few connection commands a script may call itself;
// the rest go to the caller's hook.
func (s *state) serverCommand(x *exec, name string, args [][]byte, r *commands.Reply) bool {
	switch name {
	case "ping":
		if len(args) > 1 {
			r.Bulk(args[1])
		} else {
			r.Simple("PONG")
		}
	case "echo":
		r.Bulk(args[1])
	case "debug":
		switch {
		case len(args) == 3 && commands.EqualFold(args[1], "protocol"):
			commands.DebugProtocol(r, string(args[2]))
		case len(args) == 3 && commands.EqualFold(args[1], "sleep"):
			// The script's clock stays where it started (Redis's tests
			// check that); the sleep itself holds the log, as a script
			// holds Redis's event loop.
			secs, _ := strconv.ParseFloat(string(args[2]), 64)
			if secs > 0 {
				time.Sleep(time.Duration(min(secs, 10) * float64(time.Second)))
			}
			r.OK()
		default:
			return false
		}
	case "time":
		now := x.call.Ctx.Now
		r.Array(2)
		r.BulkString(strconv.FormatInt(now/1000, 10))
		r.BulkString(strconv.FormatInt(now%1000*1000, 10))
	case "select":
		n, ok := commands.ParseInt(args[1])
		switch {
		case !ok:
			r.Error(commands.ErrNotInt)
		case n < 0 || n >= commands.NumDBs:
			r.Error(commands.ErrDBIndex)
		default:
			x.db = x.call.Ctx.Store.DBs[n]
			r.OK()
		}
	default:
		return x.call.Server != nil && x.call.Server(name, args, r)
	}
	return true
}

// numberString converts a Lua number argument as Redis 7.0 does ("%.17g").
func numberString(f float64) string {
	if f == float64(int64(f)) && f < 1e17 && f > -1e17 {
		return strconv.FormatInt(int64(f), 10)
	}
	return lualib.FormatG(f, 17)
}
