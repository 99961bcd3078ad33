package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
)

// MONITOR. Every command this node runs for a client (relayed ones included,
// and those that scripts call) is written to each monitor as Redis formats
// it. The lines go through the monitor's subscriber queue (pubsub.go), so a
// monitor that does not read is disconnected at the pub/sub output limit
// instead of growing memory without bound. With no monitor attached the cost
// is one atomic load per command.

type monitorSet struct {
	n   atomic.Int32
	mu  sync.RWMutex
	set map[*subscriber]struct{}
}

func (m *monitorSet) add(sb *subscriber) {
	m.mu.Lock()
	if m.set == nil {
		m.set = map[*subscriber]struct{}{}
	}
	if _, ok := m.set[sb]; !ok {
		m.set[sb] = struct{}{}
		m.n.Add(1)
	}
	m.mu.Unlock()
}

func (m *monitorSet) remove(sb *subscriber) {
	m.mu.Lock()
	if _, ok := m.set[sb]; ok {
		delete(m.set, sb)
		m.n.Add(-1)
	}
	m.mu.Unlock()
}

// feed sends one command to every monitor; who is the client's address, or
// "lua".
func (m *monitorSet) feed(db int, who string, args [][]byte) { m.feedExcept(db, who, args, nil) }

// feedExcept is feed leaving out one monitor.
func (m *monitorSet) feedExcept(db int, who string, args [][]byte, except *subscriber) {
	line := monitorLine(time.Now(), db, who, args)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for sb := range m.set {
		if sb != except {
			sb.enqueue(line)
		}
	}
}

// feedClient is MONITOR's hook in dispatch: commands that are not admin
// commands (Redis hides those) and are not being queued in MULTI.
func (s *Server) feedClient(cl *Client, cmd *commands.Command, args [][]byte) {
	if cmd.Is(commands.Admin) || cmd.Name == "exec" {
		return
	}
	if cl.monitoring && cmd.Name == "reset" {
		// Redis feeds monitors after the command ran, and RESET has then
		// taken this client out of them: it gets RESET, not its own line.
		s.monitors.feedExcept(cl.db, cl.Addr, redactArgs(args), cl.sub.sb)
		return
	}
	s.monitors.feed(cl.db, cl.Addr, redactArgs(args))
}

// scriptMonitor is the hook scripts call for each redis.call while a
// monitor is attached.
func (s *Server) scriptMonitor() func(db int, args [][]byte) {
	if s.monitors.n.Load() == 0 {
		return nil
	}
	return func(db int, args [][]byte) { s.monitors.feed(db, "lua", args) }
}

// monitorLine is replicationFeedMonitors' line:
// +<sec>.<usec> [<db> <addr>] "arg" "arg"
func monitorLine(now time.Time, db int, who string, args [][]byte) []byte {
	b := make([]byte, 0, 64)
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	for i := len(us); i < 6; i++ {
		b = append(b, '0')
	}
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, who...)
	b = append(b, "] "...)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

// appendRepr is Redis' sdscatrepr: a quoted string with C escapes.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c <= 0x7e {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}

func monitorCommand(s *Server, cl *Client, args [][]byte) {
	if cl.monitoring {
		return // Redis ignores a second MONITOR, without a reply
	}
	sb := s.subscriberOf(cl)
	sb.wmu.Lock()
	cl.out.OK()
	s.monitors.add(sb)
	s.sendNow(sb, cl)
	sb.wmu.Unlock()
	cl.monitoring = true
	cl.exempt.Store(true)
	cl.sub.startWriter()
}

// stopMonitor ends monitor mode (RESET, a closed connection).
func (s *Server) stopMonitor(cl *Client) {
	if !cl.monitoring {
		return
	}
	s.monitors.remove(cl.sub.sb)
	cl.monitoring = false
	cl.exempt.Store(cl.proxyLink)
}
