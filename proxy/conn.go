// Package proxy is the follower's link to the leader: RESP connections to
// the leader's client port, marked as proxy links (RAFT.PROXY) so the far
// side never relays again, pooled per protocol version and database, and the
// relay of a batch of commands with an exact account of what was sent and
// answered — from which the server tells a client TRYAGAIN (certainly not
// executed) or UNCERTAIN (a write may have been applied). The server decides
// what to relay; this package only moves bytes, so it is tested against any
// RESP server, no Raft needed.
package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/geomys/geomys/resp"
)

// Conn is one connection from this node to the leader's RESP port. It
// speaks the protocol version of the clients it serves, so the leader's
// replies are relayed byte for byte.
type Conn struct {
	conn  net.Conn
	r     *bufio.Reader
	buf   []byte
	addr  string
	proto int
	db    int
	// origin is the client this link last declared it relays for
	// (SetOrigin); acks counts those declarations' replies not read yet.
	origin string
	acks   int
	// id is the far side's client id for this link (CLIENT ID in the
	// handshake): what CLIENT UNBLOCK names there for a client parked on it.
	id int64
}

// RemoteID is the leader's client id for this link.
func (u *Conn) RemoteID() int64 { return u.id }

// Handshake is the command that marks a connection as a proxy link, so the
// far side answers TRYAGAIN rather than forwarding again when it is no
// longer the leader (no request travels in a loop).
var Handshake = []string{"RAFT.PROXY"}

// AuthCommand is how a node proves to another that it is a member: the
// cluster secret (--cluster-secret) makes the connection the cluster's
// internal identity, which the far side trusts to have checked the
// client's ACL permissions already.
const AuthCommand = "RAFT.AUTH"

// ErrRefused is a handshake the leader answered with an error (a wrong
// cluster secret, say), as opposed to one that could not be sent.
var ErrRefused = errors.New("leader refused the proxy handshake")

// Dial connects to the leader and marks the connection as a proxy link,
// authenticated with the cluster secret when there is one.
func Dial(addr string, proto int, timeout time.Duration, secret string) (*Conn, error) {
	return DialTLS(addr, proto, timeout, secret, nil)
}

// DialTLS is Dial over TLS when cfg is set (tls-cluster: the leader's TLS
// port, showing this node's certificate).
func DialTLS(addr string, proto int, timeout time.Duration, secret string, cfg *tls.Config) (*Conn, error) {
	conn, err := dial(addr, timeout, cfg)
	if err != nil {
		return nil, err
	}
	u := &Conn{conn: conn, r: bufio.NewReaderSize(conn, 32<<10), addr: addr, proto: proto}
	handshakes := 1
	if secret != "" {
		u.buf = resp.AppendCommand(u.buf, AuthCommand, secret)
		handshakes++
	}
	u.buf = resp.AppendCommand(u.buf, Handshake...)
	idReply := handshakes // the reply to CLIENT ID, counted from 0
	u.buf = resp.AppendCommand(u.buf, "CLIENT", "ID")
	handshakes++
	if proto == 3 {
		u.buf = resp.AppendCommand(u.buf, "HELLO", "3")
		handshakes++
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if err := u.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	for i := 0; i < handshakes; i++ {
		reply, err := u.ReadReply(nil)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if i == idReply {
			// Only CLIENT UNBLOCK of a client parked on this link needs it.
			u.id, _ = resp.Integer(reply)
			continue
		}
		if reply[0] == '-' {
			conn.Close()
			return nil, fmt.Errorf("%w: %s", ErrRefused, reply[1:len(reply)-2])
		}
	}
	conn.SetDeadline(time.Time{})
	return u, nil
}

// dial opens a connection, completing the TLS handshake (if any) within
// timeout so that a refused certificate is a dial error.
func dial(addr string, timeout time.Duration, cfg *tls.Config) (net.Conn, error) {
	if cfg == nil {
		return net.DialTimeout("tcp", addr, timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tls to %s: %w", addr, err)
	}
	return c, nil
}

// Queue adds a command to the next Flush.
func (u *Conn) Queue(args [][]byte) { u.buf = resp.AppendCommand(u.buf, args...) }

// Flush sends the queued commands.
func (u *Conn) Flush() error {
	_, err := u.conn.Write(u.buf)
	u.buf = u.buf[:0]
	return err
}

// FlushRead sends the queued commands and reads one reply.
func (u *Conn) FlushRead(dst []byte) ([]byte, error) {
	if err := u.Flush(); err != nil {
		return dst, err
	}
	return u.ReadReply(dst)
}

// Close closes the connection (the leader drops its state with it).
func (u *Conn) Close() { u.conn.Close() }

// SetDeadline bounds the next reads and writes; zero clears it.
func (u *Conn) SetDeadline(t time.Time) { u.conn.SetDeadline(t) }

// DB is the database the connection has selected on the leader.
func (u *Conn) DB() int { return u.db }

// SetDB records a SELECT the caller relayed and saw succeed.
func (u *Conn) SetDB(db int) { u.db = db }

// Select switches the connection to db on the leader, if it is not there.
func (u *Conn) Select(db int, timeout time.Duration) error {
	if u.db == db {
		return nil
	}
	u.Queue([][]byte{[]byte("SELECT"), []byte(strconv.Itoa(db))})
	u.conn.SetDeadline(time.Now().Add(timeout))
	reply, err := u.FlushRead(nil)
	u.conn.SetDeadline(time.Time{})
	if err != nil {
		return err
	}
	if string(reply) != "+OK\r\n" {
		return fmt.Errorf("leader refused SELECT %d: %q", db, reply)
	}
	u.db = db
	return nil
}

// OriginCommand names, on a proxy link, the client of the relaying node
// whose commands follow: OriginCommand run-id client-id, or alone for none.
const OriginCommand = "RAFT.ORIGIN"

// SetOrigin declares that the next commands relay for client id of the
// server whose run id is run ("" for nobody in particular), when that is not
// what the link last declared. The declaration goes out with the next
// commands, not in a round trip of its own, and its reply is read and
// dropped before theirs: a leader that does not know the command answers an
// error that changes nothing else.
func (u *Conn) SetOrigin(run string, id int64) {
	o := ""
	if run != "" {
		o = run + " " + strconv.FormatInt(id, 10)
	}
	if o == u.origin {
		return
	}
	if run == "" {
		u.Queue([][]byte{[]byte(OriginCommand)})
	} else {
		u.Queue([][]byte{[]byte(OriginCommand), []byte(run), strconv.AppendInt(nil, id, 10)})
	}
	u.origin = o
	u.acks++
}

// alive tells an idle pooled connection from one the leader has closed, so a
// request is never sent into a dead socket (its outcome would be unknown).
func (u *Conn) alive() bool {
	if u.r.Buffered() > 0 {
		return false // unsolicited bytes: not in a state we can use
	}
	raw := u.conn
	if tc, ok := raw.(*tls.Conn); ok {
		// The socket under TLS: pending bytes there are records the TLS
		// layer has not read (an alert, a close), so the link is dropped
		// for a fresh one, which is always safe.
		raw = tc.NetConn()
	}
	if open, known := socketOpen(raw); known {
		return open
	}
	// A deadline in the past fails a read before it is tried, so wait a
	// little for the end of stream to show.
	u.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := u.r.Peek(1)
	u.conn.SetReadDeadline(time.Time{})
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// ReadReply appends one complete RESP2/RESP3 value, raw, to dst, after
// dropping the replies of origin declarations sent before it.
func (u *Conn) ReadReply(dst []byte) ([]byte, error) {
	for u.acks > 0 {
		if _, err := resp.ReadReply(u.r, nil); err != nil {
			return dst, err
		}
		u.acks--
	}
	return resp.ReadReply(u.r, dst)
}

// Pool keeps idle connections to the current leader, per protocol version.
// A connection serves one request batch at a time and goes back only after
// every reply of that batch was read, so replies can never be handed to the
// wrong client.
type Pool struct {
	// Secret is the cluster secret new connections authenticate with.
	Secret string
	// TLS, when set before first use, makes the links TLS (tls-cluster).
	TLS  *tls.Config
	mu   sync.Mutex
	addr string
	idle [4][]*Conn // by protocol version
}

const maxIdle = 64

// Get takes an idle connection to addr that is still open, or dials one.
// Connections to an earlier leader are dropped.
func (p *Pool) Get(addr string, proto int, timeout time.Duration) (*Conn, error) {
	p.mu.Lock()
	if addr != p.addr {
		p.resetLocked(addr)
	}
	for len(p.idle[proto]) > 0 {
		last := len(p.idle[proto]) - 1
		u := p.idle[proto][last]
		p.idle[proto] = p.idle[proto][:last]
		p.mu.Unlock()
		if u.alive() {
			return u, nil
		}
		u.Close()
		p.mu.Lock()
	}
	p.mu.Unlock()
	return DialTLS(addr, proto, timeout, p.Secret, p.TLS)
}

// Put returns a connection whose every reply was read.
func (p *Pool) Put(u *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.addr != p.addr || len(p.idle[u.proto]) >= maxIdle {
		u.Close()
		return
	}
	p.idle[u.proto] = append(p.idle[u.proto], u)
}

func (p *Pool) resetLocked(addr string) {
	for i := range p.idle {
		for _, u := range p.idle[i] {
			u.Close()
		}
		p.idle[i] = nil
	}
	p.addr = addr
}

// Close drops every idle connection.
func (p *Pool) Close() {
	p.mu.Lock()
	p.resetLocked("")
	p.mu.Unlock()
}

// Relay sends batch on u in one round trip and hands each reply, in order,
// to reply. sent reports whether the batch left this node; answered counts
// the replies read before an error. Replies alias one buffer, reused: reply
// must copy what it keeps. deadline bounds the whole exchange.
func (u *Conn) Relay(batch [][][]byte, deadline time.Time, buf []byte, reply func(i int, b []byte)) (answered int, sent bool, err error) {
	for _, args := range batch {
		u.Queue(args)
	}
	u.conn.SetDeadline(deadline)
	defer u.conn.SetDeadline(time.Time{})
	if err := u.Flush(); err != nil {
		return 0, true, err // part of it may have left
	}
	for i := range batch {
		b, err := u.ReadReply(buf[:0])
		if err != nil {
			return i, true, err
		}
		buf = b
		reply(i, b)
	}
	return len(batch), true, nil
}

// Error replies of the proxy. TRYAGAIN: certainly not executed. UNCERTAIN:
// a write reached the leader but its answer did not come back.
const (
	ErrNoLeader       = "TRYAGAIN no leader available, the command was not executed; retry"
	ErrLeaderLostRead = "TRYAGAIN the leader did not answer; retry"
	ErrLeaderLost     = "UNCERTAIN the leader did not answer; the write may or may not have been applied"
)

// Failure is the error reply for a relayed command whose answer did not
// come back: a write that may have left is UNCERTAIN, anything else TRYAGAIN.
func Failure(write, sent bool) string {
	switch {
	case !sent:
		return ErrNoLeader
	case write:
		return ErrLeaderLost
	default:
		return ErrLeaderLostRead
	}
}
