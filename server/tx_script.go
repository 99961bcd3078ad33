package server

import (
	"sync"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/scripting"
)

// A transaction that calls scripts runs the way a script does: on the
// leader, at the head of the log, speculatively, with its effects proposed as
// one transaction entry. Its WATCH check runs at that same point. Commands
// the server answers itself (PING, SELECT, SCRIPT LOAD, ...) run while the
// transaction is prepared, in order, as in an ordinary EXEC.

// txStep is one queued command, ready to run inside the speculation.
type txStep struct {
	cmd   *commands.Command
	args  [][]byte
	db    int
	reply []byte                                        // pre-rendered (server commands, script errors)
	run   func(c *commands.Ctx, r *commands.Reply) bool // scripts and functions
}

func hasScriptCall(queued []queuedCmd) bool {
	for _, q := range queued {
		if isScriptCall(q.cmd.Name) {
			return true
		}
	}
	return false
}

func (s *Server) execWithScripts(cl *Client, queued []queuedCmd, watched bool) {
	if err := s.node.ReadReady(s.ctx()); err != nil {
		cl.out.Error(clusterError(err))
		return
	}
	steps := make([]txStep, len(queued))
	var lead [][][]byte
	// Server commands answer into a buffer of their own each (see tx.go).
	s.countErrorsSoFar(cl)
	saved, savedMark := cl.out, cl.errMark
	for i, q := range queued {
		st := txStep{cmd: q.cmd, args: q.args, db: cl.db}
		switch {
		case isScriptCall(q.cmd.Name):
			run, load, errMsg := s.prepareTxScript(cl, q.cmd.Name, q.args)
			if errMsg != "" {
				r := commands.NewReply(cl.proto)
				r.Error(errMsg)
				st.reply = r.Bytes()
			}
			st.run = run
			if load != nil {
				lead = append(lead, load)
			}
		case q.cmd.Is(commands.Server):
			cl.out, cl.errMark = commands.Reply{Proto: cl.proto}, 0
			s.serverCommand(cl, q.cmd, q.args)
			st.reply = cl.out.Bytes()
		}
		steps[i] = st
	}
	cl.out, cl.errMark = saved, savedMark

	var (
		mu        sync.Mutex
		abandoned bool
		broken    bool
		reply     []byte
	)
	from := s.originOf(cl)
	prepare := func(sp *fsm.Speculation) []byte {
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			return nil
		}
		if watched && watchBrokenIn(cl, sp.Store()) {
			broken = true
			return nil
		}
		return from.stamp(sp.Run(lead, func(c *commands.Ctx) bool {
			keep := true
			r := commands.NewReply(cl.proto)
			r.Array(len(steps))
			for _, st := range steps {
				c.DB = c.Store.DBs[st.db]
				switch {
				case st.reply != nil:
					r.Raw(st.reply)
				case st.run != nil:
					keep = st.run(c, r) && keep
				default:
					c.R = r
					c.Begin(c.DB, st.args)
					st.cmd.Handler(c)
					c.Finish()
					if c.Blocked() != nil {
						if st.cmd.Name == "blmove" || st.cmd.Name == "brpoplpush" {
							r.Null()
						} else {
							r.NullArray()
						}
					}
				}
			}
			reply = r.Bytes()
			return keep
		}))
	}
	start := time.Now()
	res, err := s.node.ApplyPrepared(prepare)
	mu.Lock()
	abandoned = true
	mu.Unlock()
	switch {
	case err != nil:
		cl.out.Error(clusterError(err))
		return
	case broken:
		cl.out.NullArray()
		return
	case reply == nil:
		cl.out.Error("TRYAGAIN the transaction was not run; retry")
		return
	case res == nil:
		if err := s.node.LinearizableRead(s.ctx()); err != nil {
			cl.out.Error(clusterError(err))
			return
		}
	}
	cl.out.Raw(reply)
	var exec []time.Duration
	if res != nil {
		exec = res.Exec
	}
	s.recordTx(queued, reply, exec, time.Since(start))
	if res != nil {
		s.waiters.awaitServed(res.Ready)
	}
}

// prepareTxScript resolves a script or function call queued in MULTI into
// what runs inside the speculation; load is the cache entry an EVAL adds.
func (s *Server) prepareTxScript(cl *Client, name string, args [][]byte) (run func(c *commands.Ctx, r *commands.Reply) bool, load [][]byte, errMsg string) {
	if name == "fcall" || name == "fcall_ro" {
		f, keys, argv, errMsg := s.parseFunctionCall(name == "fcall_ro", args)
		if errMsg != "" {
			return nil, nil, errMsg
		}
		check := s.scriptACL(cl)
		cmd := copyArgs(args)
		return func(c *commands.Ctx, r *commands.Reply) bool {
			return s.scripts.RunFunction(f, &scripting.Call{Keys: keys, Argv: argv, ReadOnly: f.Flags.NoWrites, ClientProto: cl.proto, Ctx: c, Monitor: s.scriptMonitor(), ACL: check, Called: s.cstats.record, Failed: s.cstats.countErrorLine, AllowNoScript: s.denyScriptsOff.Load(), Command: cmd}, r)
		}, nil, ""
	}
	inv, errMsg := s.parseScriptCall(cl, name, args)
	if errMsg != "" {
		return nil, nil, errMsg
	}
	if name == "eval" || name == "eval_ro" {
		if !s.fsm.ScriptsExist([]string{inv.sha})[0] {
			load = [][]byte{[]byte(fsm.ScriptCommand), []byte("load"), []byte(inv.body)}
		}
	}
	return func(c *commands.Ctx, r *commands.Reply) bool {
		return s.scripts.Run(s.scriptCall(cl, inv.acl, inv.sha, inv.proto, inv.keys, inv.argv, c, inv.readOnly), r)
	}, load, ""
}
