package server

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/geomys/geomys/cluster"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/scripting"
	lua "github.com/yuin/gopher-lua"
)

// Scripting, replicated by effects as Redis 7 replicates it. A write script
// runs on the leader only, at the head of the log (cluster.ApplyPrepared:
// every earlier entry applied, nothing in between), against the live
// dataset; fsm.Speculate keeps what its commands propagated and its reply,
// and undoes the run. The effects are proposed as one transaction entry, so
// every node — the leader too — applies exactly the same writes, atomically,
// and the AOF holds them between MULTI and EXEC like Redis' own. Lua itself
// never runs inside the FSM, so nothing a script does that could differ
// between nodes (table order, math.random, time) can split them, and a
// runaway script holds up only the leader, where SCRIPT KILL reaches it.
// Read-only scripts (EVAL_RO, EVALSHA_RO, "#!lua flags=no-writes") take the
// read path.

const (
	errNoScript = "NOSCRIPT No matching script. Please use EVAL."
)

// scriptInvocation is a parsed EVAL/EVALSHA call.
type scriptInvocation struct {
	sha, body string
	proto     *lua.FunctionProto
	flags     scripting.Flags
	keys      [][]byte
	argv      [][]byte
	readOnly  bool
	// acl checks the script's commands as the caller's user (scriptACL).
	acl func(*commands.Command, [][]byte) string
}

// isScriptCall tells the commands that run a script or a function.
func isScriptCall(name string) bool {
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

// isScripting tells the commands that go where scripts run (the leader):
// script calls and the script cache and library administration.
func isScripting(name string) bool {
	return isScriptCall(name) || name == "script" || name == "function"
}

// scriptRoute is where a scripting command goes from this node: read-only
// scripts stay local in stale mode; everything else needs the leader (it
// holds the one place where scripts run against the head of the log).
func (s *Server) scriptRoute(cl *Client, cmd *commands.Command) route {
	if cmd.Is(commands.ReadOnly) && s.cfg.ReadConsistency == "stale" {
		return routeLocal
	}
	return s.leaderRoute(cl)
}

func (s *Server) parseScriptCall(cl *Client, name string, args [][]byte) (*scriptInvocation, string) {
	inv := &scriptInvocation{readOnly: strings.HasSuffix(name, "_ro"), acl: s.scriptACL(cl)}
	numkeys, ok := commands.ParseInt(args[2])
	switch {
	case !ok:
		return nil, commands.ErrNotInt
	case numkeys < 0:
		return nil, "ERR Number of keys can't be negative"
	case numkeys > int64(len(args)-3):
		return nil, "ERR Number of keys can't be greater than number of args"
	}
	inv.keys, inv.argv = args[3:3+numkeys], args[3+numkeys:]
	inv.acl = s.trackScriptReads(cl, inv.acl, inv.keys)
	if strings.HasPrefix(name, "evalsha") {
		inv.sha = strings.ToLower(string(args[1]))
		body, ok := s.fsm.Script(inv.sha)
		if !ok && len(cl.scripts) > 0 {
			// An EVAL of it may be pending in this pipeline, its cache
			// entry not applied yet.
			s.flushScripts(cl)
			body, ok = s.fsm.Script(inv.sha)
		}
		if !ok {
			return nil, errNoScript
		}
		inv.body = body
	} else {
		inv.body = string(args[1])
		inv.sha = fsm.ScriptSHA(args[1])
	}
	code, flags, errMsg := scripting.ParseShebang(inv.body)
	if errMsg != "" {
		return nil, errMsg
	}
	inv.flags = flags
	if inv.readOnly && flags.Shebang && !flags.NoWrites {
		return nil, "ERR Can not execute a script with write flag using *_ro command."
	}
	inv.readOnly = inv.readOnly || flags.NoWrites
	p, err := s.scripts.Compile(inv.sha, code)
	if err != nil {
		return nil, "ERR " + err.Error()
	}
	inv.proto = p
	return inv, ""
}

func evalCommand(s *Server, cl *Client, args [][]byte) {
	name := strings.ToLower(string(args[0]))
	inv, errMsg := s.parseScriptCall(cl, name, args)
	if errMsg != "" {
		s.flushScripts(cl)
		cl.out.Error(errMsg)
		return
	}
	if inv.readOnly {
		s.runReadOnlyScript(cl, inv)
		return
	}
	if inv.flags.Shebang && s.readOnlyReplica() {
		s.flushScripts(cl)
		cl.out.Error(errReadOnlyReplica)
		return
	}
	if inv.flags.Shebang && s.replicasShort() {
		// A script that declares it may write needs the replicas up front.
		s.flushScripts(cl)
		cl.out.Error(errNoReplicas)
		return
	}
	if inv.flags.Shebang && !inv.flags.AllowOOM && s.outOfMemory() {
		// A script that declares it may write is deny-oom, as in Redis.
		s.flushScripts(cl)
		cl.out.Error(commands.ErrOOM)
		return
	}
	s.runWriteScript(cl, inv, !strings.HasPrefix(name, "evalsha"))
}

// runReadOnlyScript runs a script on the read path: confirmed as a
// linearizable read unless the node serves stale reads.
func (s *Server) runReadOnlyScript(cl *Client, inv *scriptInvocation) {
	s.runScriptRead(cl, func(c *commands.Ctx, r *commands.Reply) bool {
		return s.scripts.Run(s.scriptCall(cl, inv.acl, inv.sha, inv.proto, inv.keys, inv.argv, c, true), r)
	})
}

// runScriptRead runs a read-only script or function under the read lock.
func (s *Server) runScriptRead(cl *Client, run func(c *commands.Ctx, r *commands.Reply) bool) {
	s.flushScripts(cl)
	if s.cfg.ReadConsistency != "stale" && !cl.readOK {
		if err := s.node.LinearizableRead(s.ctx()); err != nil {
			cl.out.Error(clusterError(err))
			return
		}
		cl.readOK = true
	}
	c := &commands.Ctx{Now: time.Now().UnixMilli(), Session: cl}
	c.Store = s.fsm.RLock()
	defer s.fsm.RUnlock()
	c.DB = c.Store.DBs[cl.db]
	run(c, &cl.out)
}

func (s *Server) scriptCall(cl *Client, check func(*commands.Command, [][]byte) string, sha string, proto *lua.FunctionProto, keys, argv [][]byte, c *commands.Ctx, readOnly bool) *scripting.Call {
	return &scripting.Call{SHA: sha, Proto: proto, Keys: keys, Argv: argv,
		ReadOnly: readOnly, ReplicaReadOnly: s.readOnlyReplica(), ClientProto: cl.proto, Ctx: c, Monitor: s.scriptMonitor(), ACL: check,
		Called: s.cstats.record, Rejected: s.cstats.reject, Failed: s.cstats.countErrorLine, AllowNoScript: s.denyScriptsOff.Load()}
}

// runWriteScript runs a script speculatively at the head of the log and
// proposes its effects (see the top of this file). cache says the body
// joins the replicated script cache with the same entry (EVAL).
func (s *Server) runWriteScript(cl *Client, inv *scriptInvocation, cache bool) {
	var lead [][][]byte
	if cache && !s.fsm.ScriptsExist([]string{inv.sha})[0] {
		lead = [][][]byte{{[]byte(fsm.ScriptCommand), []byte("load"), []byte(inv.body)}}
	}
	// Only a script without a shebang is checked command by command (Redis'
	// compatibility mode); one with flags was judged before it started.
	denyOOM := !inv.flags.Shebang && s.outOfMemory()
	noReplicas := !inv.flags.Shebang && s.replicasShort()
	s.runScriptWrite(cl, lead, func(c *commands.Ctx, r *commands.Reply) bool {
		call := s.scriptCall(cl, inv.acl, inv.sha, inv.proto, inv.keys, inv.argv, c, false)
		call.DenyOOM, call.NoReplicas = denyOOM, noReplicas
		return s.scripts.Run(call, r)
	})
}

// scriptRun is one write script submitted for its place at the head of the
// log. prepare runs on the proposer's goroutine; the connection reads reply
// only after the proposal was answered (or abandoned, under mu).
type scriptRun struct {
	mu        sync.Mutex
	abandoned bool
	reply     []byte
	lead      [][][]byte
	run       func(c *commands.Ctx, r *commands.Reply) bool
	proto     int
	db        int
	from      origin // named in the entry (NOLOOP)
	h         cluster.Pending
	// cmd is the command that ran the script (EVAL, FCALL...): an error
	// reply counts as its failed call once the reply is known.
	cmd *commands.Command
}

func (sr *scriptRun) prepare(sp *fsm.Speculation) []byte {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if sr.abandoned {
		return nil
	}
	return sr.from.stamp(sp.Run(sr.lead, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[sr.db]
		r := commands.NewReply(sr.proto)
		keep := sr.run(c, r)
		sr.reply = r.Bytes()
		return keep
	}))
}

// maxPendingScripts bounds the scripts of one pipeline in flight at once.
const maxPendingScripts = 256

// runScriptWrite submits run to be run speculatively at the head of the log
// (after lead); its reply is written when the connection's pending scripts
// are flushed, so a pipeline of scripts shares speculations and fsyncs.
func (s *Server) runScriptWrite(cl *Client, lead [][][]byte, run func(c *commands.Ctx, r *commands.Reply) bool) {
	if err := s.node.ReadReady(s.ctx()); err != nil {
		s.flushScripts(cl)
		cl.out.Error(clusterError(err))
		return
	}
	sr := &scriptRun{lead: lead, run: run, proto: cl.proto, db: cl.db, from: s.originOf(cl), cmd: cl.lastCmd.Load()}
	sr.h = s.node.SubmitPrepared(sr.prepare)
	cl.scripts = append(cl.scripts, sr)
	if len(cl.scripts) >= maxPendingScripts {
		s.flushScripts(cl)
	}
}

// flushScripts waits for the connection's pending scripts, in order, and
// writes their replies.
func (s *Server) flushScripts(cl *Client) {
	for i, sr := range cl.scripts {
		res, err := sr.h.Wait()
		sr.mu.Lock()
		sr.abandoned = true
		reply := sr.reply
		sr.mu.Unlock()
		switch {
		case err != nil:
			cl.out.Error(clusterError(err))
		case reply == nil:
			cl.out.Error("TRYAGAIN the script was not run; retry")
		case res == nil && !cl.readOK:
			// Nothing to apply: the script only read. It read the head
			// of the log; confirm this node still leads before answering.
			if err := s.node.LinearizableRead(s.ctx()); err != nil {
				cl.out.Error(clusterError(err))
				break
			}
			cl.readOK = true
			cl.out.Raw(reply)
		default:
			cl.out.Raw(reply)
		}
		if res != nil {
			s.waiters.awaitServed(res.Ready)
		}
		if len(reply) > 0 && reply[0] == '-' && sr.cmd != nil {
			s.cstats.fail(sr.cmd)
		}
		cl.scripts[i] = nil
	}
	cl.scripts = cl.scripts[:0]
}

func scriptCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "load" && len(args) == 3:
		body := args[2]
		sha := fsm.ScriptSHA(body)
		code, _, errMsg := scripting.ParseShebang(string(body))
		if errMsg != "" {
			cl.out.Error(errMsg)
			return
		}
		if _, err := s.scripts.Compile(sha, code); err != nil {
			cl.out.Error("ERR " + err.Error())
			return
		}
		if !s.fsm.ScriptsExist([]string{sha})[0] {
			if err := s.applyInternal(cl, [][]byte{[]byte(fsm.ScriptCommand), []byte("load"), body}); err != "" {
				cl.out.Error(err)
				return
			}
		}
		cl.out.BulkString(sha)
	case sub == "exists" && len(args) >= 3:
		shas := make([]string, len(args)-2)
		for i, a := range args[2:] {
			shas[i] = string(a)
		}
		exist := s.fsm.ScriptsExist(shas)
		cl.out.Array(len(exist))
		for _, ok := range exist {
			if ok {
				cl.out.Int(1)
			} else {
				cl.out.Int(0)
			}
		}
	case sub == "flush" && len(args) <= 3:
		if len(args) == 3 && !commands.EqualFold(args[2], "sync") && !commands.EqualFold(args[2], "async") {
			cl.out.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
			return
		}
		if err := s.applyInternal(cl, [][]byte{[]byte(fsm.ScriptCommand), []byte("flush")}); err != "" {
			cl.out.Error(err)
			return
		}
		s.scripts.Flush()
		cl.out.OK()
	case sub == "kill" && len(args) == 2:
		if msg := s.scripts.Kill(false); msg != "" {
			cl.out.Error(msg)
			return
		}
		cl.out.OK()
	case sub == "debug" && len(args) == 3:
		// The Lua debugger (LDB) needs a connection that steps through a
		// script while it runs; scripts here run inside the Raft log, so
		// only turning it off is meaningful.
		switch {
		case commands.EqualFold(args[2], "no"):
			cl.out.OK()
		case commands.EqualFold(args[2], "yes"), commands.EqualFold(args[2], "sync"):
			cl.out.Error(commands.ErrScriptDebugUnsupported)
		default:
			cl.out.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
		}
	case sub == "help" && len(args) == 2:
		help := []string{
			"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"DEBUG (YES|SYNC|NO)",
			"    Set the debug mode for subsequent scripts executed.",
			"EXISTS <sha1> [<sha1> ...]",
			"    Return information about the existence of the scripts in the script cache.",
			"FLUSH [ASYNC|SYNC]",
			"    Flush the Lua scripts cache. Very dangerous on replicas.",
			"    When called without the optional mode argument, the behavior is determined by the",
			"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
			"    * ASYNC: Asynchronously flush the scripts cache.",
			"    * SYNC: Synchronously flush the scripts cache.",
			"KILL",
			"    Kill the currently executing Lua script.",
			"LOAD <script>",
			"    Load a script into the scripts cache without executing it.",
			"HELP",
			"    Prints this help.",
		}
		cl.out.Array(len(help))
		for _, h := range help {
			cl.out.Simple(h)
		}
	case sub == "debug" || sub == "load" || sub == "exists" || sub == "flush" || sub == "kill" || sub == "help":
		cl.out.Error(commands.ArityErr("script|" + sub))
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try SCRIPT HELP.")
	}
}

// applyInternal proposes internal commands as one entry; it returns the
// error reply to give, or "".
func (s *Server) applyInternal(cl *Client, cmds ...[][]byte) string {
	msg, _ := s.applyInternalIf(cl, nil, cmds...)
	return msg
}

// applyInternalIf is applyInternal with a precondition checked at the head
// of the log (cluster ApplyChecked); proposed is false when it said no.
func (s *Server) applyInternalIf(cl *Client, check func() bool, cmds ...[][]byte) (msg string, proposed bool) {
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	for _, args := range cmds {
		w.Add(cl.db, cl.proto, args)
	}
	res, err := s.node.ApplyChecked(w.Bytes(), check)
	if errors.Is(err, cluster.ErrCheckFailed) {
		return "", false
	}
	if err != nil {
		return clusterError(err), true
	}
	if len(res.Reply) > 0 && res.Reply[0] == '-' {
		line, _, _ := strings.Cut(string(res.Reply[1:]), "\r\n")
		return line, true
	}
	return "", true
}

// refuseWhileBusy answers BUSY while a script has run past the threshold,
// except for what may stop it.
func (s *Server) refuseWhileBusy(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if !s.scripts.Running() || s.scripts.Busy() < time.Duration(s.busyThreshold.Load())*time.Millisecond {
		return false
	}
	// Redis' allow_busy commands, and the node-to-node links, which must
	// stay up.
	switch {
	case (cmd.Name == "script" || cmd.Name == "function") && len(args) == 2 && commands.EqualFold(args[1], "kill"),
		cmd.Name == "function" && len(args) == 2 && commands.EqualFold(args[1], "stats"),
		cmd.Name == "shutdown", cmd.Name == "auth", cmd.Name == "hello", cmd.Name == "quit", cmd.Name == "reset",
		cmd.Name == "multi", cmd.Name == "discard", cmd.Name == "watch", cmd.Name == "unwatch",
		cmd.Name == "raft.info", cmd.Name == "raft.proxy", cmd.Name == "raft.termcheck", cmd.Name == "raft.origin", cmd.Name == "raft.applied":
		return false
	}
	s.flushWrites(cl)
	if cmd.Name == "exec" && cl.tx.active {
		s.resetTx(cl)
		cl.out.Error("EXECABORT Transaction discarded because of: " + s.scripts.BusyError())
		return true
	}
	cl.txQueueError()
	cl.out.Error(s.scripts.BusyError())
	return true
}

// isPipelinedScript tells the commands whose replies may wait behind a
// pending script: the next EVAL/EVALSHA of a pipeline is submitted right
// behind the last one instead of waiting for it.
func isPipelinedScript(name string) bool {
	return name == "eval" || name == "evalsha"
}
