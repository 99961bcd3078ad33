package server

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
)

// CLIENT PAUSE / UNPAUSE. A paused command waits on its connection's own
// goroutine; with no pause the cost is one atomic load per command.
type pauseState struct {
	on      atomic.Bool
	mu      sync.Mutex
	until   time.Time
	all     bool          // ALL; otherwise WRITE
	changed chan struct{} // closed when the pause is lifted or changed
}

// pausedCommand reports whether cmd waits under a WRITE pause: writes and
// commands that may replicate (scripts that may write, PUBLISH, PFCOUNT).
func pausedCommand(cmd *commands.Command) bool {
	switch cmd.Name {
	case "eval", "evalsha", "fcall":
		return true
	}
	return cmd.Logged()
}

// waitPause holds cl while a pause covers cmd.
func (s *Server) waitPause(cl *Client, cmd *commands.Command) {
	p := &s.pause
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
		if !p.all && !pausedCommand(cmd) {
			p.mu.Unlock()
			return
		}
		ch := p.changed
		p.mu.Unlock()
		cl.blocked.Store(true)
		waited := time.Now()
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		case <-s.done:
		}
		t.Stop()
		cl.blocked.Store(false)
		cl.flushSpent += time.Since(waited) // not the command's own time in SLOWLOG

		if s.closed.Load() {
			return
		}
	}
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
	cl.out.OK()
}
