// Package scripting runs Redis Lua scripts (EVAL and friends) with
// gopher-lua, Lua 5.1 like Redis embeds. It knows how to compile and cache
// scripts, build the sandbox Redis gives them (protected globals, the redis.*
// API, cjson, cmsgpack, bit, struct) and convert between Lua values and RESP.
// It runs a script's redis.call against a commands.Ctx; where that Ctx comes
// from — a speculative run at the head of the Raft log for a write script,
// the read path for a read-only one — is the caller's business (server).
package scripting

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// chunkName is what error messages call a script, as Redis 7 does.
const chunkName = "user_script"

func init() {
	// Redis compiles a script as the body of a function without
	// parameters, so there is no Lua 5.0 "arg" table; gopher-lua would build
	// one (a table and a map) on every call of a vararg chunk.
	lua.CompatVarArg = false
}

// Engine compiles scripts once and runs them on pooled Lua states: a cached
// script costs its prototype, not a state per client.
type Engine struct {
	mu     sync.Mutex
	protos map[string]*lua.FunctionProto // sha → compiled body
	states sync.Pool

	// The script running now, if any (one write script at a time runs at the
	// head of the log; read-only ones may run beside it).
	runMu   sync.Mutex
	running map[*run]struct{}
	nrun    atomic.Int32
	oldest  atomic.Int64 // unix ns the oldest running script started; 0 when none

	functions Functions
}

// Running reports whether any script is executing (cheap: the hot path asks).
func (e *Engine) Running() bool { return e.nrun.Load() > 0 }

// NewEngine returns an empty engine.
func NewEngine() *Engine {
	e := &Engine{protos: map[string]*lua.FunctionProto{}, running: map[*run]struct{}{}}
	e.states.New = func() any { return newState() }
	return e
}

// Compile returns the cached prototype for sha, compiling body on first use.
// The error is Redis' compile error text, without the "ERR " prefix.
func (e *Engine) Compile(sha, body string) (*lua.FunctionProto, error) {
	e.mu.Lock()
	p := e.protos[sha]
	e.mu.Unlock()
	if p != nil {
		return p, nil
	}
	chunk, err := parse.Parse(strings.NewReader(body), chunkName)
	if err != nil {
		return nil, errors.New("Error compiling script (new function): " + parseErrorText(err, body))
	}
	p, err = lua.Compile(chunk, chunkName)
	if err != nil {
		return nil, errors.New("Error compiling script (new function): " + chunkName + ": " + err.Error())
	}
	e.mu.Lock()
	e.protos[sha] = p
	e.mu.Unlock()
	return p, nil
}

// Cached reports whether sha is compiled on this node.
func (e *Engine) Cached(sha string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.protos[sha] != nil
}

// Flush forgets every compiled script.
func (e *Engine) Flush() {
	e.mu.Lock()
	clear(e.protos)
	e.mu.Unlock()
}

// parseErrorText words a gopher-lua syntax error like Lua's own
// ("user_script:1: ... near '...'") as far as the two parsers allow.
func parseErrorText(err error, body string) string {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	line, near := pe.Pos.Line, pe.Token
	if line < 0 || near == "" || near == "EOF" {
		line, near = strings.Count(strings.TrimRight(body, "\n"), "\n")+1, "<eof>"
	}
	msg := strings.TrimSpace(pe.Message)
	switch {
	case msg == "syntax error":
		msg = "unexpected symbol"
	case strings.HasPrefix(msg, "unterminated string"):
		msg, near = "unfinished string", "<eof>"
	}
	return chunkName + ":" + itoa(line) + ": " + msg + " near '" + near + "'"
}

// Call is one script invocation.
type Call struct {
	SHA   string
	Proto *lua.FunctionProto
	Keys  [][]byte
	Argv  [][]byte
	// ReadOnly refuses write commands (EVAL_RO, no-writes scripts, and every
	// script run on the read path).
	ReadOnly bool
	// DenyOOM: used memory was over maxmemory when the script started, so
	// (as in Redis) its first command that may grow memory fails unless it
	// already wrote something.
	DenyOOM bool
	// ReplicaReadOnly: the node is a read-only replica of a Redis master
	// (REPLICAOF), so a write command fails as it does for a client.
	ReplicaReadOnly bool
	// NoReplicas: fewer replicas than min-replicas-to-write are in good
	// contact, so a write command fails with NOREPLICAS.
	NoReplicas bool
	// ClientProto is the RESP version the caller speaks (HELLO).
	ClientProto int
	// Ctx runs the script's commands; its DB is the caller's database.
	Ctx *commands.Ctx
	// Server runs the commands the data layer does not (PING, TIME, ...);
	// it reports false for a command a script may not call.
	Server func(name string, args [][]byte, r *commands.Reply) bool
	// Monitor, when set, is told about every command the script calls
	// (MONITOR's "[db lua]" lines).
	Monitor func(db int, args [][]byte)
	// Called, when set, is told about every command the script ran, how
	// long it took and whether it answered an error (commandstats, which
	// count a script's commands as Redis does).
	Called func(def *commands.Command, d time.Duration, failed bool)
	// Rejected, when set, is told about every command refused before it
	// ran (arity, ACL, read-only, OOM...).
	Rejected func(def *commands.Command)
	// Failed, when set, is told at the script's end the error line
	// ("CODE text") of each command the script called that failed, or was
	// refused, and whose error is not in the script's reply (errorstats,
	// which count such an error once; the reply's are counted as it is
	// sent).
	Failed func(line string)
	// Register, set while FUNCTION LOAD runs a library, is
	// redis.register_function.
	Register lua.LGFunction
	// Command is the caller's command, for FUNCTION STATS.
	Command [][]byte
	// ACL, when set, checks each command the script calls against the
	// calling user's permissions; it returns the error to fail the call
	// with, or "".
	ACL func(def *commands.Command, args [][]byte) string
	// AllowNoScript lets the script call commands flagged no-script
	// (DEBUG SET-DISABLE-DENY-SCRIPTS 1): of those, DEBUG PROTOCOL answers.
	AllowNoScript bool
}

// run is a script in execution, as SCRIPT KILL and BUSY see it.
type run struct {
	started time.Time
	// name is the function's name (or the script's sha), command the
	// caller's command (FUNCTION STATS); function tells FCALL from EVAL.
	name     string
	command  [][]byte
	function bool
	wrote    atomic.Bool
	cancel   context.CancelFunc
	killed   atomic.Bool
}

// Busy reports how long the longest-running script has been running. It
// takes no lock: every command asks while scripts run.
func (e *Engine) Busy() time.Duration {
	t := e.oldest.Load()
	if t == 0 {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - t)
}

// setOldestLocked recomputes the oldest start after a script ended.
func (e *Engine) setOldestLocked() {
	var oldest int64
	for r := range e.running {
		if t := r.started.UnixNano(); oldest == 0 || t < oldest {
			oldest = t
		}
	}
	e.oldest.Store(oldest)
}

// Redis' replies to a command refused while a script runs too long, by
// what runs: an EVAL script or a function.
const (
	ErrBusyEval     = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	ErrBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// Running describes the longest-running script, as FUNCTION STATS shows it.
type Running struct {
	Name     string
	Command  [][]byte
	Duration time.Duration
	Function bool
}

// Current returns the longest-running script, if one runs.
func (e *Engine) Current() (Running, bool) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	var old *run
	for r := range e.running {
		if old == nil || r.started.Before(old.started) {
			old = r
		}
	}
	if old == nil {
		return Running{}, false
	}
	return Running{Name: old.name, Command: old.command, Duration: time.Since(old.started), Function: old.function}, true
}

// BusyError is the BUSY reply for what runs now: functions and EVAL
// scripts name their own KILL.
func (e *Engine) BusyError() string {
	if cur, ok := e.Current(); ok && cur.Function {
		return ErrBusyFunction
	}
	return ErrBusyEval
}

// Kill stops running scripts that have not written, as SCRIPT KILL
// (function false) and FUNCTION KILL do; each kills only its own kind. It
// returns the error reply to give, or "" when a script was killed.
func (e *Engine) Kill(function bool) string {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if len(e.running) == 0 {
		return "NOTBUSY No scripts in execution right now."
	}
	for r := range e.running {
		switch {
		case r.function && !function:
			return ErrBusyFunction
		case !r.function && function:
			return ErrBusyEval
		}
	}
	for r := range e.running {
		if r.wrote.Load() {
			return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
		}
	}
	for r := range e.running {
		r.killed.Store(true)
		r.cancel()
	}
	return ""
}

// Abort stops every running script, as shutting down does.
func (e *Engine) Abort() {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	for r := range e.running {
		r.killed.Store(true)
		r.cancel()
	}
}

// Run executes c and writes its reply into r, as Redis would reply to EVAL.
// It reports false when the script was stopped (SCRIPT KILL, shutdown):
// whatever it did must not stand.
func (e *Engine) Run(c *Call, r *commands.Reply) bool {
	st := e.states.Get().(*state)
	defer func() {
		if !st.broken {
			e.states.Put(st)
		}
	}()
	L := st.L
	st.globals.RawSetString("KEYS", stringsTable(L, c.Keys))
	st.globals.RawSetString("ARGV", stringsTable(L, c.Argv))
	fn := L.NewFunctionFromProto(c.Proto)
	fn.Env = st.proxy
	return e.runOn(st, fn, nil, c.SHA, chunkName, c, r)
}

// runOn calls fn(args...) on st as the script named name (its sha, or a
// function's name) and writes the reply into r.
func (e *Engine) runOn(st *state, fn *lua.LFunction, args []lua.LValue, name, chunk string, c *Call, r *commands.Reply) bool {
	L := st.L
	// Unseeded, math.random differs from run to run as on Redis 7; the
	// seed comes from the run's own source (the log entry's on a write).
	if c.Ctx != nil && c.Ctx.Rand != nil {
		st.rand.seed(int32(c.Ctx.Rand.Uint32()))
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn := &run{started: time.Now(), cancel: cancel, name: name, command: c.Command, function: chunk == functionChunk}
	e.runMu.Lock()
	e.running[rn] = struct{}{}
	if e.nrun.Add(1) == 1 {
		e.oldest.Store(rn.started.UnixNano())
	}
	e.runMu.Unlock()
	defer func() {
		e.runMu.Lock()
		delete(e.running, rn)
		if e.nrun.Add(-1) == 0 {
			e.oldest.Store(0)
		} else if rn.started.UnixNano() == e.oldest.Load() {
			e.setOldestLocked()
		}
		e.runMu.Unlock()
		cancel()
	}()
	L.SetContext(ctx)
	defer L.RemoveContext()

	x := &exec{call: c, run: rn, resp: 2, db: c.Ctx.DB}
	st.cur = x
	defer func() { st.cur = nil }()

	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	line := 0
	handler := L.NewFunction(func(L *lua.LState) int {
		line = userLine(L, chunk)
		L.Push(L.Get(1))
		return 1
	})
	err := protectedCall(st, len(args), handler)
	if err != nil {
		L.SetTop(0)
		var ae *lua.ApiError
		if errors.As(err, &ae) && !rn.killed.Load() {
			if t, ok := ae.Object.(*lua.LTable); ok {
				delete(x.cmdErrs, t) // the script's error reply carries it
			}
		}
		r.Error(errorText(name, chunk, err, line, rn))
		x.countCmdErrs()
		return !rn.killed.Load()
	}
	writeLua(L.Get(-1), r, x.resp, 0, x.cmdErrs)
	L.SetTop(0)
	x.countCmdErrs()
	return true
}

// countCmdErrs tells the caller about the errors of commands the script
// called that its reply does not carry (a caught redis.pcall's, a
// redis.call's the script caught with pcall): Redis counts every one in
// errorstats once, when the command fails.
func (x *exec) countCmdErrs() {
	if x.call.Failed == nil {
		return
	}
	for _, line := range x.cmdErrs {
		x.call.Failed(line)
	}
}

// errorText words a script's failure as Redis 7.0 does: an error table's
// err as it is, anything else as "ERR <value>", then
// " script: <sha>, on @user_script:<line>." where the error was raised.
func errorText(name, chunk string, err error, line int, rn *run) string {
	msg := "ERR " + err.Error()
	var ae *lua.ApiError
	switch {
	case rn.killed.Load():
		msg = "ERR Script killed by user with SCRIPT KILL..."
	case errors.As(err, &ae):
		switch v := ae.Object.(type) {
		case *lua.LTable:
			s, ok := v.RawGetString("err").(lua.LString)
			if !ok {
				return "ERR Error running script " + name + ", execution failure"
			}
			msg = string(s)
		case lua.LNumber:
			msg = "ERR " + numberString(float64(v))
		default:
			msg = "ERR " + ae.Object.String()
		}
	}
	if line <= 0 {
		return msg
	}
	return msg + " script: " + name + ", on @" + chunk + ":" + itoa(line) + "."
}

// userLine is the line the innermost user_script frame is at.
func userLine(L *lua.LState, chunk string) int {
	for lv := 0; lv < 64; lv++ {
		dbg, ok := L.GetStack(lv)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			continue
		}
		if dbg.Source == chunk && dbg.CurrentLine > 0 {
			return dbg.CurrentLine
		}
	}
	return 0
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
