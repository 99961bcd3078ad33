package server

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

// Client limits, as redis.conf's maxclients, timeout, tcp-keepalive,
// client-output-buffer-limit, client-query-buffer-limit and
// proto-max-bulk-len. The values live in atomics so that the paths that
// check them (accept, the end of each command, a subscriber's enqueue) pay
// one load and no lock.

// obufLimit is one class of client-output-buffer-limit: hard and soft
// bytes (0: none) and how long a client may stay over soft.
type obufLimit struct {
	hard, soft int64
	softFor    time.Duration
}

func (l *obufLimit) none() bool { return l.hard == 0 && l.soft == 0 }

// over reports whether a client whose buffer holds size bytes must be
// closed; since is when it first went over the soft limit (zero: it is
// under), which over updates. Redis' checkClientOutputBufferLimits.
func (l *obufLimit) over(size int64, since *time.Time) bool {
	if l.hard > 0 && size >= l.hard {
		return true
	}
	if l.soft == 0 || size < l.soft {
		*since = time.Time{}
		return false
	}
	now := time.Now()
	if since.IsZero() {
		*since = now
		return false
	}
	return now.Sub(*since) > l.softFor
}

type clientLimits struct {
	maxClients atomic.Int64
	idle       atomic.Int64 // timeout, seconds; 0: never
	keepAlive  atomic.Int64 // tcp-keepalive, seconds; 0: off
	normal     atomic.Pointer[obufLimit]
	pubsub     atomic.Pointer[obufLimit]
	replica    atomic.Pointer[obufLimit] // SYNC/PSYNC replicas' stream
	queryBuf   atomic.Int64              // client-query-buffer-limit
	maxBulk    atomic.Int64              // proto-max-bulk-len
}

func (l *clientLimits) init() {
	l.maxClients.Store(10000)
	l.keepAlive.Store(300)
	l.normal.Store(&obufLimit{})
	l.pubsub.Store(&obufLimit{hard: 32 << 20, soft: 8 << 20, softFor: 60 * time.Second})
	l.replica.Store(&obufLimit{hard: 256 << 20, soft: 64 << 20, softFor: 60 * time.Second})
	l.queryBuf.Store(resp.GuardDefaultMaxQueryBuffer)
	l.maxBulk.Store(resp.GuardDefaultMaxBulkLen)
}

// guardLimits are the framing limits new connections get.
func (l *clientLimits) guardLimits() resp.GuardLimits {
	return resp.GuardLimits{MaxQueryBuffer: l.queryBuf.Load(), MaxBulkLen: l.maxBulk.Load(), BigBulk: commands.BigValue}
}

// admit runs in accept: it refuses a connection over maxclients (Redis
// counts the clients already connected, so maxclients of them fit) and
// applies tcp-keepalive to the socket.
func (s *Server) admit(cl *Client, n int) bool {
	if int64(n) >= s.limits.maxClients.Load() {
		s.stats.rejected.Add(1)
		// The reply is flushed in the accept loop: over TLS that runs the
		// handshake, which a silent peer must not stretch out.
		cl.conn.NetConn().SetDeadline(time.Now().Add(time.Second))
		cl.conn.WriteError(commands.ErrMaxClients)
		return false
	}
	if tc, ok := rawConn(cl.conn.NetConn()).(*net.TCPConn); ok {
		setKeepAlive(tc, s.limits.keepAlive.Load())
	}
	return true
}

// setKeepAlive probes an idle peer as Redis' anetKeepAlive does: after
// secs of silence, then every secs/3, dropping it after 3 unanswered
// probes, so a vanished client is noticed in about twice secs.
func setKeepAlive(tc *net.TCPConn, secs int64) {
	if secs <= 0 {
		tc.SetKeepAlive(false)
		return
	}
	idle := time.Duration(secs) * time.Second
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: idle, Interval: max(idle/3, time.Second), Count: 3})
}

// closeAsync disconnects a client from another goroutine: closing the
// socket below the guard ends the connection's read, and its own
// goroutine then cleans up as for any disconnect.
func (cl *Client) closeAsync() {
	rawConn(cl.conn.NetConn()).Close()
}

// clientsCron closes idle clients (timeout), as Redis' clientsCron does
// once a second. Blocked clients, subscribers, MONITOR and other nodes'
// proxy links are exempt, as blocked, pub/sub, replica and master links are
// in Redis.
func (s *Server) clientsCron() {
	defer s.bg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		idle := s.limits.idle.Load()
		if idle <= 0 {
			continue
		}
		limit := time.Now().UnixMilli() - idle*1000
		for _, cl := range s.clientsSnapshot() {
			if cl.active.Load() >= limit || cl.blocked.Load() || cl.sub.nTotal.Load() > 0 || cl.exempt.Load() {
				continue
			}
			s.log.Info("Closing idle client", "client", cl.ID, "addr", cl.Addr)
			cl.closeAsync()
		}
	}
}

// checkOutputLimit enforces client-output-buffer-limit normal on the
// replies a pipeline has built so far; it reports whether cl was closed.
func (s *Server) checkOutputLimit(cl *Client) bool {
	lim := s.limits.normal.Load()
	if lim.none() || !lim.over(int64(cl.out.Len()), &cl.softOver) {
		return false
	}
	s.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits; raise client-output-buffer-limit normal if it is legitimate",
		"client", cl.ID, "addr", cl.Addr, "omem", cl.out.Len())
	s.countErrorsSoFar(cl) // replied, though never sent
	cl.out.Reset()
	cl.errMark = 0
	cl.closing = true
	return true
}

// parseObufLimits parses client-output-buffer-limit ("<class> <hard> <soft>
// <seconds>" repeated); it returns the classes given (normal, replica,
// pubsub) or Redis' error text.
func parseObufLimits(v string) (map[string]obufLimit, string) {
	f := strings.Fields(v)
	if len(f)%4 != 0 {
		return nil, "Wrong number of arguments in buffer limit configuration."
	}
	out := map[string]obufLimit{}
	for i := 0; i < len(f); i += 4 {
		class := strings.ToLower(f[i])
		switch class {
		case "normal", "pubsub":
		case "replica", "slave":
			class = "replica"
		default:
			return nil, "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := parseMemory(f[i+1])
		soft, ok2 := parseMemory(f[i+2])
		secs, err := strconv.ParseInt(f[i+3], 10, 64)
		if !ok1 || !ok2 || err != nil || secs < 0 {
			return nil, "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		out[class] = obufLimit{hard: hard, soft: soft, softFor: time.Duration(secs) * time.Second}
	}
	return out, ""
}

// obufValue renders the three classes as CONFIG GET shows them.
func obufValue(cur string, set map[string]obufLimit) string {
	all, _ := parseObufLimits(cur)
	for k, v := range set {
		all[k] = v
	}
	var b strings.Builder
	for i, class := range []string{"normal", "replica", "pubsub"} {
		l := all[class]
		if i > 0 {
			b.WriteByte(' ')
		}
		name := class
		if class == "replica" {
			name = "slave" // Redis 7.0 shows the old name
		}
		b.WriteString(name + " " + strconv.FormatInt(l.hard, 10) + " " + strconv.FormatInt(l.soft, 10) + " " +
			strconv.FormatInt(int64(l.softFor/time.Second), 10))
	}
	return b.String()
}

// applyLimit puts one of the limit parameters into effect.
func (s *Server) applyLimit(name, v string) {
	switch name {
	case "client-output-buffer-limit":
		set, _ := parseObufLimits(v)
		if l, ok := set["normal"]; ok {
			s.limits.normal.Store(&l)
		}
		if l, ok := set["pubsub"]; ok {
			s.limits.pubsub.Store(&l)
		}
		if l, ok := set["replica"]; ok {
			s.limits.replica.Store(&l)
		}
		return
	case "client-query-buffer-limit", "proto-max-bulk-len":
		n, _ := parseMemory(v)
		if name == "proto-max-bulk-len" {
			s.limits.maxBulk.Store(n)
		} else {
			s.limits.queryBuf.Store(n)
		}
		for _, l := range s.lns {
			resp.SetGuardLimits(l.ln, s.limits.guardLimits())
		}
		return
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	switch name {
	case "maxclients":
		s.limits.maxClients.Store(n)
	case "timeout":
		s.limits.idle.Store(n)
	case "tcp-keepalive":
		s.limits.keepAlive.Store(n)
	}
}

// initLimits applies the limit flags as CONFIG SET would.
func (s *Server) initLimits() error {
	s.limits.init()
	for _, kv := range [][2]string{{"maxclients", s.cfg.MaxClients}, {"timeout", s.cfg.Timeout},
		{"tcp-keepalive", s.cfg.TCPKeepAlive}, {"client-output-buffer-limit", s.cfg.ClientOutputBufferLimit},
		{"client-query-buffer-limit", s.cfg.ClientQueryBufferLimit}, {"proto-max-bulk-len", s.cfg.ProtoMaxBulkLen}} {
		if kv[1] == "" {
			continue
		}
		d := s.params.byName[kv[0]]
		v, msg := d.normalize(kv[1])
		if msg != "" {
			return fmt.Errorf("--%s %q: %s", kv[0], kv[1], msg)
		}
		if d.merge != nil {
			v = d.merge(s.params.values[d], v)
		}
		s.params.values[d] = v
		d.apply(s, kv[1])
	}
	return nil
}

// limitParams wires the limit parameters of the CONFIG table.
func limitParams(p *paramDef) {
	switch name := p.names[0]; name {
	case "client-output-buffer-limit":
		p.check = func(v string) string { _, msg := parseObufLimits(v); return msg }
		p.merge = func(cur, v string) string { set, _ := parseObufLimits(v); return obufValue(cur, set) }
		p.apply = func(s *Server, v string) { s.applyLimit(name, v) }
	case "maxclients", "timeout", "tcp-keepalive", "client-query-buffer-limit", "proto-max-bulk-len":
		p.apply = func(s *Server, v string) { s.applyLimit(name, v) }
	}
}
