package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// SLOWLOG and the latency monitor. Commands are timed only while one of them
// is enabled (timing), so a node with both off pays one atomic load per
// command. A write's duration is the time its log entry took to commit and
// apply (flushWrites): that is when it executes, and what its client waits.

// Redis' limits on what an entry keeps of a command (slowlog.h).
const (
	slowlogMaxArgc   = 32
	slowlogMaxString = 128
)

type slowEntry struct {
	id       int64
	at       int64 // unix seconds
	duration int64 // µs
	args     []string
	addr     string
	name     string
}

// slowlog is Redis' slowlog list, newest first.
type slowlog struct {
	threshold atomic.Int64 // µs; negative disables it
	maxLen    atomic.Int64

	mu      sync.Mutex
	entries []slowEntry
	nextID  int64
}

func (l *slowlog) add(cl *Client, args [][]byte, d time.Duration) {
	us := d.Microseconds()
	th := l.threshold.Load()
	if th < 0 || us < th {
		return
	}
	max := int(l.maxLen.Load())
	argc := min(len(args), slowlogMaxArgc)
	e := slowEntry{at: time.Now().Unix(), duration: us, args: make([]string, argc), addr: cl.Addr, name: cl.name}
	for i := 0; i < argc; i++ {
		if i == argc-1 && argc < len(args) {
			e.args[i] = "... (" + strconv.Itoa(len(args)-argc+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > slowlogMaxString {
			e.args[i] = string(a[:slowlogMaxString]) + "... (" + strconv.Itoa(len(a)-slowlogMaxString) + " more bytes)"
		} else {
			e.args[i] = string(a)
		}
	}
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append([]slowEntry{e}, l.entries...)
	if len(l.entries) > max {
		clear(l.entries[max:])
		l.entries = l.entries[:max]
	}
	l.mu.Unlock()
}

// trim applies a lowered slowlog-max-len at once, as Redis does.
func (l *slowlog) trim() {
	max := int(l.maxLen.Load())
	l.mu.Lock()
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
	l.mu.Unlock()
}

func slowlogCommand(s *Server, cl *Client, args [][]byte) {
	sub, ok := checkSubcommand(cl, "slowlog", args, map[string]int{"get": -2, "len": 2, "reset": 2, "help": 2})
	if !ok {
		return
	}
	l := &s.slow
	switch {
	case sub == "help" && len(args) == 2:
		helpReply(cl, "SLOWLOG",
			"GET [<count>]",
			"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
			"    Entries are made of:",
			"    id, timestamp, time in microseconds, arguments array, client IP and port,",
			"    client name",
			"LEN",
			"    Return the length of the slowlog.",
			"RESET",
			"    Reset the slowlog.")
	case sub == "reset" && len(args) == 2:
		l.mu.Lock()
		l.entries = nil
		l.mu.Unlock()
		cl.out.OK()
	case sub == "len" && len(args) == 2:
		l.mu.Lock()
		n := len(l.entries)
		l.mu.Unlock()
		cl.out.Int(int64(n))
	case sub == "get" && (len(args) == 2 || len(args) == 3):
		count := int64(10)
		if len(args) == 3 {
			n, ok := commands.ParseInt(args[2])
			if !ok || n < -1 {
				cl.out.Error("ERR count should be greater than or equal to -1")
				return
			}
			count = n
		}
		l.mu.Lock()
		entries := l.entries
		if count >= 0 && int64(len(entries)) > count {
			entries = entries[:count]
		}
		entries = append([]slowEntry(nil), entries...)
		l.mu.Unlock()
		cl.out.Array(len(entries))
		for _, e := range entries {
			cl.out.Array(6)
			cl.out.Int(e.id)
			cl.out.Int(e.at)
			cl.out.Int(e.duration)
			cl.out.Array(len(e.args))
			for _, a := range e.args {
				cl.out.BulkString(a)
			}
			cl.out.BulkString(e.addr)
			cl.out.BulkString(e.name)
		}
	default:
		subcommandError(cl, "SLOWLOG", args)
	}
}

// checkSubcommand answers an unknown subcommand or a wrong argument count
// as Redis does for a container command's subcommands (arity as in the
// command table); it returns the subcommand, lower case.
func checkSubcommand(cl *Client, container string, args [][]byte, arity map[string]int) (string, bool) {
	sub := strings.ToLower(string(args[1]))
	a, ok := arity[sub]
	switch {
	case !ok:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try " + strings.ToUpper(container) + " HELP.")
		return "", false
	case a > 0 && len(args) != a, a < 0 && len(args) < -a:
		cl.out.Error("ERR wrong number of arguments for '" + container + "|" + sub + "' command")
		return "", false
	}
	return sub, true
}

// subcommandError is Redis' addReplySubcommandSyntaxError, or its arity
// error for a known subcommand.
func subcommandError(cl *Client, container string, args [][]byte) {
	cl.out.Error("ERR unknown subcommand or wrong number of arguments for '" + clip(args[1]) + "'. Try " + container + " HELP.")
}

// helpReply is Redis' addReplyHelp: a header, the lines, then HELP's own.
func helpReply(cl *Client, container string, lines ...string) {
	cl.out.Array(len(lines) + 3)
	cl.out.Simple(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		cl.out.Simple(l)
	}
	cl.out.Simple("HELP")
	cl.out.Simple("    Prints this help.")
}

// observe records a command's duration in the slowlog and latency monitor.
func (s *Server) observe(cl *Client, cmd *commands.Command, args [][]byte, d time.Duration) {
	if cmd == nil {
		return
	}
	switch cmd.Name {
	case "exec", "monitor":
		return // Redis' skip_slowlog command, and a MONITOR that never ends
	}
	s.slow.add(cl, redactArgs(args), d)
	s.latency.addCommand(cmd, d)
}

// observeEntry records the commands of a log entry by how long each took
// to execute (exec, from the FSM): not by how long the entry took to
// commit, which under load would put every write in the slowlog, as no
// Redis execution time does.
func (s *Server) observeEntry(cl *Client, data []byte, exec []time.Duration) {
	slowest := time.Duration(0)
	for _, d := range exec {
		slowest = max(slowest, d)
	}
	slow := s.slow.threshold.Load()
	if (slow < 0 || slowest.Microseconds() < slow) && (s.latency.threshold.Load() <= 0 || slowest.Milliseconds() < s.latency.threshold.Load()) {
		return
	}
	cmds, err := fsm.DecodeEntry(data)
	if err != nil || len(cmds) != len(exec) {
		return
	}
	for i, c := range cmds {
		if def := commands.Lookup(c.Args[0]); def != nil {
			s.observe(cl, def, c.Args, exec[i])
		}
	}
}

// updateTiming turns command timing on when the slowlog or the latency
// monitor wants it.
func (s *Server) updateTiming() {
	s.timing.Store(s.slow.threshold.Load() >= 0 || s.latency.threshold.Load() > 0)
}
