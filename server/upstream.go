package server

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/geomys/geomys/resp"
	"net"
	"os"
	"sync"
	"time"
)

// upstream is one connection from this node to the leader's RESP port, used
// by the follower proxy. It speaks the protocol version of the clients it
// serves, so the leader's replies are relayed byte for byte.
type upstream struct {
	conn  net.Conn
	r     *bufio.Reader
	buf   []byte
	addr  string
	proto int
	db    int
}

// dialUpstream connects to the leader and marks the connection as a proxy
// link, so the far side answers TRYAGAIN rather than forwarding again when it
// is no longer the leader (no request travels in a loop).
func dialUpstream(addr string, proto int, timeout time.Duration) (*upstream, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	u := &upstream{conn: conn, r: bufio.NewReaderSize(conn, 32<<10), addr: addr, proto: proto}
	u.add([][]byte{[]byte("RAFT.PROXY")})
	handshakes := 1
	if proto == 3 {
		u.add([][]byte{[]byte("HELLO"), []byte("3")})
		handshakes++
	}
	conn.SetDeadline(time.Now().Add(timeout))
	if err := u.flush(); err != nil {
		conn.Close()
		return nil, err
	}
	for i := 0; i < handshakes; i++ {
		reply, err := u.readReply(nil)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if reply[0] == '-' {
			conn.Close()
			return nil, fmt.Errorf("leader refused the proxy handshake: %s", reply[1:len(reply)-2])
		}
	}
	conn.SetDeadline(time.Time{})
	return u, nil
}

func (u *upstream) add(args [][]byte) { u.buf = resp.AppendCommand(u.buf, args...) }

func (u *upstream) flush() error {
	_, err := u.conn.Write(u.buf)
	u.buf = u.buf[:0]
	return err
}

func (u *upstream) close() { u.conn.Close() }

// alive tells an idle pooled connection from one the leader has closed, so a
// request is never sent into a dead socket (its outcome would be unknown).
func (u *upstream) alive() bool {
	if u.r.Buffered() > 0 {
		return false // unsolicited bytes: not in a state we can use
	}
	if open, known := socketOpen(u.conn); known {
		return open
	}
	// A deadline in the past fails a read before it is tried, so wait a
	// little for the end of stream to show.
	u.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := u.r.Peek(1)
	u.conn.SetReadDeadline(time.Time{})
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// readReply appends one complete RESP2/RESP3 value, raw, to dst.
func (u *upstream) readReply(dst []byte) ([]byte, error) { return resp.ReadReply(u.r, dst) }

// upstreamPool keeps idle connections to the current leader, per protocol
// version. A connection serves one request batch at a time and goes back
// only after every reply of that batch was read, so replies can never be
// handed to the wrong client.
type upstreamPool struct {
	mu   sync.Mutex
	addr string
	idle [4][]*upstream // by protocol version
}

const maxIdleUpstreams = 64

func (p *upstreamPool) get(addr string, proto int, timeout time.Duration) (*upstream, error) {
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
		u.close()
		p.mu.Lock()
	}
	p.mu.Unlock()
	return dialUpstream(addr, proto, timeout)
}

func (p *upstreamPool) put(u *upstream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.addr != p.addr || len(p.idle[u.proto]) >= maxIdleUpstreams {
		u.close()
		return
	}
	p.idle[u.proto] = append(p.idle[u.proto], u)
}

func (p *upstreamPool) resetLocked(addr string) {
	for i := range p.idle {
		for _, u := range p.idle[i] {
			u.close()
		}
		p.idle[i] = nil
	}
	p.addr = addr
}

func (p *upstreamPool) close() {
	p.mu.Lock()
	p.resetLocked("")
	p.mu.Unlock()
}
