package server

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/scripting"
)

// CLIENT PAUSE / UNPAUSE. A paused command waits on its connection's own
// goroutine; with no pause the cost is one atomic load per command.
type pauseState struct {
	on      atomic.Bool
	mu      sync.Mutex
	until   time.Time
	all     bool          // ALL; otherwise WRITE
	changed chan struct{} // closed when the pause is lifted or changed
	// waiting counts the clients held by the pause: Redis counts them in
	// INFO's blocked_clients.
	waiting atomic.Int32
}

// pausedUnderWrite reports whether a WRITE pause holds cmd, as Redis'
// is_may_replicate_command: writes and commands that may replicate
// (PUBLISH, PFCOUNT), scripts and functions unless flagged no-writes, and
// EXEC of a transaction holding any of those.
func (s *Server) pausedUnderWrite(cl *Client, cmd *commands.Command, args [][]byte) bool {
	switch cmd.Name {
	case "exec":
		for _, q := range cl.tx.queued {
			if s.pausedUnderWrite(cl, q.cmd, q.args) {
				return true
			}
		}
		return false
	case "eval", "evalsha":
		body := string(args[1])
		if cmd.Name == "evalsha" {
			b, ok := s.fsm.Script(strings.ToLower(body))
			if !ok {
				return true // its NOSCRIPT error waits like the script would
			}
			body = b
		}
		_, f, msg := scripting.ParseShebang(body)
		return msg != "" || !f.NoWrites
	case "fcall":
		s.syncFunctions()
		f := s.scripts.Function(string(args[1]))
		return f == nil || !f.Flags.NoWrites
	}
	return cmd.Logged()
}

// waitPause holds cl while a pause covers cmd.
func (s *Server) waitPause(cl *Client, cmd *commands.Command, args [][]byte) {
	p := &s.pause
	write := s.pausedUnderWrite(cl, cmd, args)
	for {
		p.mu.Lock()
		if !p.on.Load() {
			p.mu.Unlock()
			return
		}
		left := time.Until(p.until)
		if left <= 0 {
			p.on.Store(false)
			p.mu.Unlock()
			return
		}
		if !p.all && !write {
			p.mu.Unlock()
			return
		}
		ch := p.changed
		p.mu.Unlock()
		cl.blocked.Store(true)
		p.waiting.Add(1)
		waited := time.Now()
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		case <-s.done:
		}
		t.Stop()
		p.waiting.Add(-1)
		cl.blocked.Store(false)
		cl.flushSpent += time.Since(waited) // not the command's own time in SLOWLOG

		if s.closed.Load() {
			return
		}
	}
}

// writesPaused reports whether a pause (WRITE or ALL) is in force: Redis
// expires no key meanwhile, actively or on access, so that the dataset
// does not change under a pause (failover).
func (p *pauseState) writesPaused() bool {
	if !p.on.Load() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.on.Load() && time.Now().Before(p.until)
}

func clientPause(s *Server, cl *Client, args [][]byte) {
	ms, ok := commands.ParseInt(args[2])
	if !ok {
		cl.out.Error("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		cl.out.Error("ERR timeout is negative")
		return
	}
	all := true
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "write":
			all = false
		case "all":
		default:
			cl.out.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	} else if len(args) > 4 {
		cl.out.Error(commands.ErrSyntax)
		return
	}
	p := &s.pause
	p.mu.Lock()
	until := time.Now().Add(time.Duration(ms) * time.Millisecond)
	if !p.on.Load() || until.After(p.until) {
		p.until = until // a longer pause already set is kept, as Redis does
	}
	p.all = all
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
	p.on.Store(true)
	p.mu.Unlock()
	cl.out.OK()
}

func clientUnpause(s *Server, cl *Client) {
	p := &s.pause
	p.mu.Lock()
	p.on.Store(false)
	if p.changed != nil {
		close(p.changed)
		p.changed = nil
	}
	p.mu.Unlock()
	s.node.ExpireNow()
	cl.out.OK()
}
