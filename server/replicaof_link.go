package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/rdb"
	"github.com/geomys/geomys/redisimport"
	"github.com/geomys/geomys/resp"
)

// The link to the Redis master REPLICAOF named: one goroutine, run by the
// leader only, started and stopped by linkManager as the replicated master
// address and leadership change. It speaks the replica side of Redis'
// protocol (PING, REPLCONF listening-port, REPLCONF capa eof psync2, PSYNC
// ? -1), loads the RDB the master sends — after a FLUSHALL — and then the
// command stream, all as log entries headed by [".master", offset], so
// every node applies the master's writes and the READONLY refusal, which
// is for clients, does not apply to them. A lost link is retried with
// backoff, with a full resync each time (Geomys keeps no PSYNC backlog id
// of the master across links).

const (
	linkDialTimeout = 5 * time.Second
	// linkReadTimeout is repl-timeout: a master pings every 10s.
	linkReadTimeout = 60 * time.Second
	linkAckEvery    = time.Second
	linkMaxBackoff  = 5 * time.Second
	// An entry of the master's commands stays under the client path's
	// limits (dispatch.go).
	linkEntryCommands = maxEntryCommands
	linkEntryBytes    = maxEntryBytes
)

var errLinkStopped = errors.New("replication link stopped")

// replLink is the server's one link and its state for INFO and ROLE.
type replLink struct {
	mu     sync.Mutex
	target fsm.Master // what the running link follows
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	up        atomic.Bool
	syncing   atomic.Bool
	connected atomic.Bool  // the TCP connection is open (ROLE: connecting/sync)
	lastIO    atomic.Int64 // unix seconds the master last sent something
	downSince atomic.Int64 // unix seconds the link went down

	// This node's replica-read-only no and replica-serve-stale-data no.
	writable, noStale atomic.Bool
}

type linkStatus struct {
	state             string
	up, syncing       bool
	lastIO, downSince int64
}

func nowUnix() int64 { return time.Now().Unix() }

// kick has the manager look at the master and leadership now.
func (l *replLink) kick() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// status reports the link to m (a link to another master is not it).
func (l *replLink) status(m *fsm.Master) linkStatus {
	l.mu.Lock()
	running := l.cancel != nil && l.target == *m
	l.mu.Unlock()
	st := linkStatus{state: "connect", downSince: l.downSince.Load()}
	if !running {
		return st
	}
	st.up, st.syncing, st.lastIO = l.up.Load(), l.syncing.Load(), l.lastIO.Load()
	switch {
	case st.up:
		st.state = "connected"
	case st.syncing:
		st.state = "sync"
	case l.connected.Load():
		st.state = "connecting"
	}
	return st
}

// linkManager starts, moves and stops the link: it runs while this node
// leads and the log names a master.
func (s *Server) linkManager() {
	defer s.bg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		var want *fsm.Master
		if m := s.fsm.Master(); m != nil && s.node.IsLeader() {
			want = m
		}
		s.link.mu.Lock()
		if s.link.cancel != nil && (want == nil || *want != s.link.target) {
			s.stopLinkLocked()
		}
		if want != nil && s.link.cancel == nil {
			ctx, cancel := context.WithCancel(s.life)
			s.link.target, s.link.cancel, s.link.done = *want, cancel, make(chan struct{})
			s.link.downSince.Store(nowUnix())
			go s.runLink(ctx, *want, s.link.done)
		}
		s.link.mu.Unlock()
		select {
		case <-s.done:
			s.link.mu.Lock()
			s.stopLinkLocked()
			s.link.mu.Unlock()
			return
		case <-t.C:
		case <-s.link.wake:
		}
	}
}

func (s *Server) stopLinkLocked() {
	if s.link.cancel == nil {
		return
	}
	s.link.cancel()
	<-s.link.done
	s.link.cancel, s.link.done = nil, nil
	s.link.up.Store(false)
	s.link.syncing.Store(false)
	s.link.connected.Store(false)
}

// runLink keeps the link to m up until ctx ends.
func (s *Server) runLink(ctx context.Context, m fsm.Master, done chan struct{}) {
	defer close(done)
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		synced, err := s.followMaster(ctx, addr)
		if s.link.up.Swap(false) || s.link.downSince.Load() == 0 {
			s.link.downSince.Store(nowUnix())
		}
		s.link.syncing.Store(false)
		s.link.connected.Store(false)
		if ctx.Err() != nil {
			return
		}
		if synced {
			backoff = 100 * time.Millisecond
		}
		s.log.Warn("link with the master lost; retrying with a full resync", "master", addr, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, linkMaxBackoff)
	}
}

// masterConn is one connection to the master.
type masterConn struct {
	c       net.Conn
	r       *bufio.Reader
	read    atomic.Int64 // bytes read from c
	wmu     sync.Mutex
	applied atomic.Int64 // the master's offset the applied entries reach
}

func (mc *masterConn) Read(p []byte) (int, error) {
	mc.c.SetReadDeadline(time.Now().Add(linkReadTimeout))
	n, err := mc.c.Read(p)
	mc.read.Add(int64(n))
	return n, err
}

func (mc *masterConn) send(args ...string) error {
	mc.wmu.Lock()
	defer mc.wmu.Unlock()
	mc.c.SetWriteDeadline(time.Now().Add(linkReadTimeout))
	_, err := mc.c.Write(resp.AppendCommand(nil, args...))
	return err
}

// do sends a handshake command and reads its reply line.
func (mc *masterConn) do(args ...string) (string, error) {
	if err := mc.send(args...); err != nil {
		return "", err
	}
	var line string
	for line == "" { // newlines are the master's keepalives
		l, err := mc.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(l, "\r\n")
	}
	if strings.HasPrefix(line, "-") {
		return line, fmt.Errorf("%s: master answered %s", args[0], line[1:])
	}
	return line, nil
}

// followMaster runs one link: handshake, full sync, stream. synced says it
// got as far as the stream.
func (s *Server) followMaster(ctx context.Context, addr string) (synced bool, err error) {
	d := net.Dialer{Timeout: linkDialTimeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	s.link.connected.Store(true)
	mc := &masterConn{c: c}
	mc.r = bufio.NewReaderSize(mc, 1<<16)
	if _, err := mc.do("PING"); err != nil {
		return false, err
	}
	port := strconv.Itoa(s.cfg.Port)
	if _, p, err := net.SplitHostPort(s.Addr().String()); err == nil {
		port = p
	}
	if _, err := mc.do("REPLCONF", "listening-port", port); err != nil {
		return false, err
	}
	// capa is answered even by a master that does not know one.
	if _, err := mc.do("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return false, err
	}
	line, err := mc.do("PSYNC", "?", "-1")
	if err != nil {
		return false, err
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		return false, fmt.Errorf("PSYNC: unexpected reply %q", line)
	}
	offset, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return false, fmt.Errorf("PSYNC: bad offset in %q", line)
	}
	s.link.syncing.Store(true)
	s.log.Info("full resync from the master", "master", addr, "replid", f[1], "offset", offset)
	data, err := readRDB(mc.r)
	if err != nil {
		return false, fmt.Errorf("receive RDB: %w", err)
	}
	s.link.lastIO.Store(nowUnix())
	if err := s.loadMasterRDB(ctx, data, offset); err != nil {
		return false, fmt.Errorf("load RDB: %w", err)
	}
	mc.applied.Store(offset)
	s.link.syncing.Store(false)
	s.link.up.Store(true)
	s.link.downSince.Store(0)
	s.log.Info("master-replica sync done: streaming the master's commands", "master", addr, "bytes", len(data))
	ackDone := make(chan struct{})
	defer close(ackDone)
	go func() {
		t := time.NewTicker(linkAckEvery)
		defer t.Stop()
		for {
			select {
			case <-ackDone:
				return
			case <-t.C:
				mc.send("REPLCONF", "ACK", strconv.FormatInt(mc.applied.Load(), 10))
			}
		}
	}()
	return true, s.streamMaster(ctx, mc, offset)
}

// readRDB reads the RDB payload after +FULLRESYNC: "$<len>" then the
// bytes, or (diskless) "$EOF:<40-byte mark>" then the bytes and the mark.
// Newlines before it are the master's keepalives while it prepares it.
func readRDB(r *bufio.Reader) ([]byte, error) {
	var line string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if l = strings.TrimRight(l, "\r\n"); l != "" {
			line = l
			break
		}
	}
	if !strings.HasPrefix(line, "$") {
		return nil, fmt.Errorf("unexpected %q instead of the RDB", line)
	}
	if mark, ok := strings.CutPrefix(line, "$EOF:"); ok {
		if len(mark) != 40 {
			return nil, fmt.Errorf("bad EOF mark %q", mark)
		}
		var buf bytes.Buffer
		chunk := make([]byte, 1<<16)
		for {
			n, err := r.Read(chunk)
			buf.Write(chunk[:n])
			if b := buf.Bytes(); len(b) >= 40 && string(b[len(b)-40:]) == mark {
				return b[:len(b)-40], nil
			}
			if err != nil {
				return nil, err
			}
		}
	}
	n, err := strconv.ParseInt(line[1:], 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad RDB length %q", line)
	}
	data := make([]byte, n)
	_, err = io.ReadFull(r, data)
	return data, err
}

// masterBatch gathers the master's commands into one log entry, headed by
// [".master", offset] with the offset they bring the dataset to.
type masterBatch struct {
	s    *Server
	db   int // the master's selected database
	cmds []masterCmd
	size int
}

type masterCmd struct {
	db   int
	args [][]byte
}

func (b *masterBatch) add(args [][]byte) { b.addAt(b.db, args) }

func (b *masterBatch) addAt(db int, args [][]byte) {
	b.cmds = append(b.cmds, masterCmd{db, args})
	for _, a := range args {
		b.size += len(a) + 8
	}
}

func (b *masterBatch) full() bool {
	return len(b.cmds) >= linkEntryCommands || b.size >= linkEntryBytes
}

// flush applies the gathered commands as one entry reaching offset.
func (b *masterBatch) flush(offset int64) error {
	if len(b.cmds) == 0 {
		return nil
	}
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	w.Add(0, 2, [][]byte{[]byte(fsm.MasterCommand), []byte(strconv.FormatInt(offset, 10))})
	for _, c := range b.cmds {
		w.Add(c.db, 2, c.args)
	}
	clear(b.cmds)
	b.cmds, b.size = b.cmds[:0], 0
	res, err := b.s.node.Apply(w.Bytes())
	if err != nil {
		return err
	}
	if msg := firstError(res.Reply); msg != "" {
		b.s.log.Warn("a command from the master was refused", "reply", msg)
	}
	res.Release()
	return nil
}

// firstError is the first error among an entry's replies ("" if none).
func firstError(reply []byte) string {
	for len(reply) > 0 {
		it, rest, err := resp.Next(reply)
		if err != nil {
			return ""
		}
		if it.Kind == '-' {
			return string(it.Line)
		}
		reply = rest
	}
	return ""
}

// loadMasterRDB empties the dataset and loads the master's RDB through the
// log, in entries of bounded size.
func (s *Server) loadMasterRDB(ctx context.Context, data []byte, offset int64) error {
	b := &masterBatch{s: s}
	b.add([][]byte{[]byte("FLUSHALL")})
	b.add([][]byte{[]byte(fsm.FunctionCommand), []byte("flush")})
	send := func(args ...[]byte) error {
		if ctx.Err() != nil {
			return errLinkStopped
		}
		if cmd, ok := functionEntry(args); ok {
			b.add(cmd)
		} else {
			b.add(args)
		}
		if b.full() {
			return b.flush(offset)
		}
		return nil
	}
	selectDB := func(db int) error {
		if db < 0 || db >= commands.NumDBs {
			return fmt.Errorf("database %d out of range", db)
		}
		b.db = db
		return nil
	}
	if _, err := rdb.ReadFile(data, func(r rdb.Record) error { return redisimport.Commands(r, selectDB, send) }); err != nil {
		return err
	}
	return b.flush(offset)
}

// functionEntry turns the FUNCTION commands a master sends into the log's
// internal ones (FUNCTION is run by the server, not the state machine).
func functionEntry(args [][]byte) ([][]byte, bool) {
	if len(args) < 2 || !commands.EqualFold(args[0], "function") {
		return nil, false
	}
	fn := []byte(fsm.FunctionCommand)
	switch {
	case commands.EqualFold(args[1], "load"):
		code := args[len(args)-1]
		if name := libraryName(code); name != "" {
			return [][]byte{fn, []byte("load"), []byte(name), code}, true
		}
	case commands.EqualFold(args[1], "delete") && len(args) == 3:
		return [][]byte{fn, []byte("delete"), args[2]}, true
	case commands.EqualFold(args[1], "flush"):
		return [][]byte{fn, []byte("flush")}, true
	}
	return nil, false
}

// libraryName reads name= from a library's shebang line.
func libraryName(code []byte) string {
	first, _, _ := bytes.Cut(code, []byte("\n"))
	for _, f := range strings.Fields(string(first)) {
		if n, ok := strings.CutPrefix(f, "name="); ok {
			return n
		}
	}
	return ""
}

// streamMaster applies the master's command stream: a batch of what
// arrived together becomes one entry; a MULTI/EXEC block stays in one.
func (s *Server) streamMaster(ctx context.Context, mc *masterConn, offset int64) error {
	b := &masterBatch{s: s}
	var tx []masterCmd
	inTx := false
	flush := func(at int64) error {
		if err := b.flush(at); err != nil {
			return err
		}
		mc.applied.Store(at)
		return nil
	}
	for {
		if ctx.Err() != nil {
			return errLinkStopped
		}
		raw, err := resp.ReadReply(mc.r, nil)
		if err != nil {
			return err
		}
		s.link.lastIO.Store(nowUnix())
		before := offset
		offset += int64(len(raw))
		args, err := commandArgs(raw)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			continue
		}
		switch name := strings.ToLower(string(args[0])); {
		case name == "ping":
		case name == "replconf":
			if len(args) >= 2 && commands.EqualFold(args[1], "getack") {
				// The ACK is for what came before the GETACK, as Redis'.
				if err := flush(before); err != nil {
					return err
				}
				if err := mc.send("REPLCONF", "ACK", strconv.FormatInt(before, 10)); err != nil {
					return err
				}
			}
		case name == "select" && len(args) == 2:
			if n, ok := commands.ParseInt(args[1]); ok && n >= 0 && n < commands.NumDBs {
				b.db = int(n)
			}
		case name == "multi":
			inTx, tx = true, tx[:0]
		case name == "exec" && inTx:
			inTx = false
			b.add([][]byte{[]byte(fsm.MultiCommand), []byte(strconv.Itoa(len(tx)))})
			for _, c := range tx {
				b.addAt(c.db, c.args)
			}
		case inTx:
			tx = append(tx, masterCmd{b.db, masterArgs(args)})
		default:
			b.add(masterArgs(args))
		}
		if !inTx && (mc.r.Buffered() == 0 || b.full()) {
			if err := flush(offset); err != nil {
				return err
			}
		}
	}
}

// masterArgs is a command of the master's as the log takes it.
func masterArgs(args [][]byte) [][]byte {
	if cmd, ok := functionEntry(args); ok {
		return cmd
	}
	return args
}

// commandArgs splits one command of the stream (a RESP array of bulks).
func commandArgs(raw []byte) ([][]byte, error) {
	it, rest, err := resp.Next(raw)
	if err != nil {
		return nil, err
	}
	if it.Kind != '*' {
		return nil, nil // a stray newline or inline text: nothing to run
	}
	args := make([][]byte, 0, max(it.N, 0))
	for i := 0; i < it.N; i++ {
		var a resp.Item
		if a, rest, err = resp.Next(rest); err != nil {
			return nil, err
		}
		args = append(args, a.Bulk)
	}
	return args, nil
}
