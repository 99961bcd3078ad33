package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/rdb"
	"github.com/geomys/geomys/scripting"
)

// Functions (FUNCTION, FCALL, FCALL_RO). Libraries are replicated data (the
// FSM keeps their code); each node compiles them when they change, and an
// FCALL runs like EVAL of the function: a write on the leader at the head of
// the log, replicated by its effects; a no-writes function on the read path.

// syncFunctions brings the compiled libraries up to the replicated ones.
func (s *Server) syncFunctions() {
	s.scripts.Sync(s.fsm.LibraryVersion(), func() map[string]string {
		_, libs := s.fsm.Libraries()
		return libs
	})
}

// parseFunctionCall resolves FCALL/FCALL_RO's function and splits its keys
// and arguments; errMsg is Redis' error text, checked in Redis' order.
func (s *Server) parseFunctionCall(ro bool, args [][]byte) (f *scripting.Function, keys, argv [][]byte, errMsg string) {
	s.syncFunctions()
	if f = s.scripts.Function(string(args[1])); f == nil {
		return nil, nil, nil, "ERR Function not found"
	}
	numkeys, ok := commands.ParseInt(args[2])
	switch {
	case !ok:
		return nil, nil, nil, "ERR Bad number of keys provided"
	case numkeys < 0:
		return nil, nil, nil, "ERR Number of keys can't be negative"
	case numkeys > int64(len(args)-3):
		return nil, nil, nil, "ERR Number of keys can't be greater than number of args"
	}
	if ro && !f.Flags.NoWrites {
		return nil, nil, nil, "ERR Can not execute a script with write flag using *_ro command."
	}
	return f, args[3 : 3+numkeys], args[3+numkeys:], ""
}

// copyArgs copies a command out of the request buffer it was read into.
func copyArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = append([]byte(nil), a...)
	}
	return out
}

func fcallCommand(s *Server, cl *Client, args [][]byte) {
	s.flushScripts(cl) // a pipeline of FCALLs waits for each (their errors are written at once)
	f, keys, argv, errMsg := s.parseFunctionCall(commands.EqualFold(args[0], "fcall_ro"), args)
	if errMsg != "" {
		cl.out.Error(errMsg)
		return
	}
	check := s.trackScriptReads(cl, s.scriptACL(cl), keys)
	cmd := copyArgs(args)
	run := func(readOnly bool) func(c *commands.Ctx, r *commands.Reply) bool {
		return func(c *commands.Ctx, r *commands.Reply) bool {
			return s.scripts.RunFunction(f, &scripting.Call{Keys: keys, Argv: argv, ReadOnly: readOnly, ClientProto: cl.proto, Ctx: c, Monitor: s.scriptMonitor(), ACL: check, Called: s.cstats.record, Failed: s.cstats.countErrorLine, Rejected: s.cstats.reject, AllowNoScript: s.denyScriptsOff.Load(), Command: cmd}, r)
		}
	}
	if f.Flags.NoWrites {
		s.runScriptRead(cl, run(true))
		return
	}
	if s.readOnlyReplica() {
		cl.out.Error(errReadOnlyReplica)
		return
	}
	if s.replicasShort() {
		cl.out.Error(errNoReplicas)
		return
	}
	if !f.Flags.AllowOOM && s.outOfMemory() {
		cl.out.Error(commands.ErrOOM)
		return
	}
	s.runScriptWrite(cl, nil, run(false))
}

func functionCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	s.syncFunctions()
	switch sub {
	case "load":
		functionLoad(s, cl, args)
	case "delete":
		if len(args) != 3 {
			cl.out.Error(commands.ArityErr("function|delete"))
			return
		}
		if s.scripts.Library(string(args[2])) == nil {
			cl.out.Error("ERR Library not found")
			return
		}
		s.applyFunctionChange(cl, [][]byte{[]byte(fsm.FunctionCommand), []byte("delete"), args[2]})
	case "flush":
		if len(args) > 3 { // Redis' addReplySubcommandSyntaxError
			cl.out.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) + "'. Try FUNCTION HELP.")
			return
		}
		if len(args) == 3 && !commands.EqualFold(args[2], "sync") && !commands.EqualFold(args[2], "async") {
			cl.out.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
			return
		}
		s.applyFunctionChange(cl, [][]byte{[]byte(fsm.FunctionCommand), []byte("flush")})
	case "list":
		functionList(s, cl, args)
	case "stats":
		if len(args) != 2 {
			cl.out.Error(commands.ArityErr("function|stats"))
			return
		}
		libs := s.scripts.Libraries()
		nf := 0
		for _, l := range libs {
			nf += len(l.Funcs)
		}
		cur, running := s.scripts.Current()
		if running && !cur.Function {
			cl.out.Error(scripting.ErrBusyEval)
			return
		}
		cl.out.Map(2)
		cl.out.BulkString("running_script")
		if running {
			cl.out.Map(3)
			cl.out.BulkString("name")
			cl.out.BulkString(cur.Name)
			cl.out.BulkString("command")
			cl.out.Array(len(cur.Command))
			for _, a := range cur.Command {
				cl.out.Bulk(a)
			}
			cl.out.BulkString("duration_ms")
			cl.out.Int(cur.Duration.Milliseconds())
		} else {
			cl.out.Null()
		}
		cl.out.BulkString("engines")
		cl.out.Map(1)
		cl.out.BulkString("LUA")
		cl.out.Map(2)
		cl.out.BulkString("libraries_count")
		cl.out.Int(int64(len(libs)))
		cl.out.BulkString("functions_count")
		cl.out.Int(int64(nf))
	case "kill":
		if len(args) != 2 {
			cl.out.Error(commands.ArityErr("function|kill"))
			return
		}
		if msg := s.scripts.Kill(true); msg != "" {
			cl.out.Error(msg)
			return
		}
		cl.out.OK()
	case "dump", "restore":
		functionDumpRestore(s, cl, sub, args)
	case "help":
		help := []string{
			"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"LOAD [REPLACE] <FUNCTION CODE>",
			"    Create a new library with the given library name and code.",
			"DELETE <LIBRARY NAME>",
			"    Delete the given library.",
			"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
			"    Return general information on all the libraries:",
			"    * Library name",
			"    * The engine used to run the Library",
			"    * Library description",
			"    * Functions list",
			"    * Library code (if WITHCODE is given)",
			"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
			"STATS",
			"    Return information about the current function running:",
			"    * Function name",
			"    * Command used to run the function",
			"    * Duration in MS that the function is running",
			"    If no function is running, return nil",
			"    In addition, returns a list of available engines.",
			"KILL",
			"    Kill the current running function.",
			"FLUSH [ASYNC|SYNC]",
			"    Delete all the libraries.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the libraries.",
			"    * SYNC: Synchronously flush the libraries.",
			"DUMP",
			"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
			"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
			"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
			"    control how to handle existing libraries (default APPEND):",
			"    * FLUSH: delete all existing libraries.",
			"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
			"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
			"      libraries with the new libraries (notice that even on this option there is a chance of failure",
			"      in case of functions name collision with another library).",
			"HELP",
			"    Prints this help.",
		}
		cl.out.Array(len(help))
		for _, h := range help {
			cl.out.Simple(h)
		}
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try FUNCTION HELP.")
	}
}

func functionLoad(s *Server, cl *Client, args [][]byte) {
	replace := false
	for _, opt := range args[2 : len(args)-1] {
		if !commands.EqualFold(opt, "replace") {
			cl.out.Error("ERR Unknown option given: " + string(opt))
			return
		}
		replace = true
	}
	code := string(args[len(args)-1])
	lib, errMsg := s.scripts.LoadLibrary(code, scripting.LoadTimeout)
	if errMsg != "" {
		cl.out.Error(errMsg)
		return
	}
	if err := checkLibraryFits(s.scripts, lib, replace, false); err != "" {
		cl.out.Error(err)
		return
	}
	if msg := s.applyInternal(cl, [][]byte{[]byte(fsm.FunctionCommand), []byte("load"), []byte(lib.Name), []byte(code)}); msg != "" {
		cl.out.Error(msg)
		return
	}
	cl.out.BulkString(lib.Name)
}

// checkLibraryFits refuses a library whose name or functions are taken.
// Redis words a taken name without quotes for FUNCTION RESTORE.
func checkLibraryFits(e *scripting.Engine, lib *scripting.Library, replace, restore bool) string {
	if old := e.Library(lib.Name); old != nil && !replace {
		if restore {
			return "ERR Library " + lib.Name + " already exists"
		}
		return "ERR Library '" + lib.Name + "' already exists"
	}
	for _, f := range lib.Funcs {
		if other := e.Function(f.Name); other != nil && other.Library() != lib.Name {
			return "ERR Function " + f.Name + " already exists"
		}
	}
	return ""
}

// applyFunctionChange proposes a library change and answers OK.
func (s *Server) applyFunctionChange(cl *Client, args [][]byte) {
	if msg := s.applyInternal(cl, args); msg != "" {
		cl.out.Error(msg)
		return
	}
	cl.out.OK()
}

func functionList(s *Server, cl *Client, args [][]byte) {
	var pattern []byte
	withCode := false
	for i := 2; i < len(args); i++ {
		switch {
		case commands.EqualFold(args[i], "withcode") && !withCode:
			withCode = true
		case commands.EqualFold(args[i], "libraryname") && pattern == nil:
			if i+1 >= len(args) {
				cl.out.Error("ERR library name argument was not given")
				return
			}
			i++
			pattern = args[i]
		default:
			cl.out.Error("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	var libs []*scripting.Library
	for _, l := range s.scripts.Libraries() {
		if pattern == nil || commands.GlobMatch(string(pattern), l.Name, true) {
			libs = append(libs, l)
		}
	}
	out := &cl.out
	out.Array(len(libs))
	for _, l := range libs {
		if withCode {
			out.Map(4)
		} else {
			out.Map(3)
		}
		out.BulkString("library_name")
		out.BulkString(l.Name)
		out.BulkString("engine")
		out.BulkString("LUA")
		out.BulkString("functions")
		out.Array(len(l.Funcs))
		for _, f := range l.Funcs {
			out.Map(3)
			out.BulkString("name")
			out.BulkString(f.Name)
			out.BulkString("description")
			if f.HasDesc {
				out.BulkString(f.Description)
			} else {
				out.Null()
			}
			out.BulkString("flags")
			out.Set(len(f.FlagNames))
			for _, fl := range f.FlagNames {
				out.Simple(fl)
			}
		}
		if withCode {
			out.BulkString("library_code")
			out.BulkString(l.Code)
		}
	}
}

// functionDumpRestore is FUNCTION DUMP and FUNCTION RESTORE, in Redis'
// payload format, so libraries move between Geomys and Redis.
func functionDumpRestore(s *Server, cl *Client, sub string, args [][]byte) {
	if sub == "dump" {
		if len(args) != 2 {
			cl.out.Error(commands.ArityErr("function|dump"))
			return
		}
		var p []byte
		for _, l := range s.scripts.Libraries() {
			p = append(p, rdb.OpFunction2)
			p = rdb.AppendString(p, l.Code)
		}
		cl.out.Bulk(rdb.AppendFooter(p))
		return
	}
	if len(args) < 3 {
		cl.out.Error(commands.ArityErr("function|restore"))
		return
	}
	if len(args) > 4 { // Redis' addReplySubcommandSyntaxError
		cl.out.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) + "'. Try FUNCTION HELP.")
		return
	}
	policy := "append"
	if len(args) == 4 {
		policy = strings.ToLower(string(args[3]))
		if policy != "flush" && policy != "append" && policy != "replace" {
			cl.out.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	body, err := rdb.CheckFooter(args[2])
	if err != nil {
		cl.out.Error("ERR " + err.Error())
		return
	}
	var libs []*scripting.Library
	for len(body) > 0 {
		if body[0] != rdb.OpFunction2 {
			cl.out.Error("ERR given type is not a function")
			return
		}
		code, rest, err := rdb.ReadString(body[1:])
		if err != nil {
			cl.out.Error("ERR payload version or checksum are wrong")
			return
		}
		body = rest
		lib, errMsg := s.scripts.LoadLibrary(code, scripting.LoadTimeout)
		if errMsg != "" {
			cl.out.Error(errMsg)
			return
		}
		libs = append(libs, lib)
	}
	var cmds [][][]byte
	if policy == "flush" {
		cmds = append(cmds, [][]byte{[]byte(fsm.FunctionCommand), []byte("flush")})
	} else {
		for _, lib := range libs {
			if msg := checkLibraryFits(s.scripts, lib, policy == "replace", true); msg != "" {
				cl.out.Error(msg)
				return
			}
		}
	}
	for _, lib := range libs {
		cmds = append(cmds, [][]byte{[]byte(fsm.FunctionCommand), []byte("load"), []byte(lib.Name), []byte(lib.Code)})
	}
	if msg := s.applyInternal(cl, cmds...); msg != "" {
		cl.out.Error(msg)
		return
	}
	cl.out.OK()
}
