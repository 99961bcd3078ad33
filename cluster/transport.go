package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// streamLayer is raft's TCP stream layer with two differences from
// raft.NewTCPTransport: the advertised address may be a host name (what
// peers on other machines dial), and outgoing connections leave from the
// bound IP, so on a multi-homed host (or several nodes on distinct loopback
// addresses) a peer sees which node is calling.
//
// With PeerTLS (--tls-cluster) both ends are authenticated: the listener
// requires a client certificate of the cluster CA and the dialer checks the
// peer's, so a host without one can neither send nor receive Raft traffic.
//
// The listener also carries big entries' data (blobs.go): a connection
// whose first byte is blobConnByte is served by onBlob, the others are
// raft's.
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	dialer    net.Dialer
	tls       *PeerTLS

	raftConns chan net.Conn // accepted connections that are raft's
	onBlob    func(net.Conn)
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // the accept loop and the connections it serves
	mu        sync.Mutex
	conns     map[net.Conn]struct{} // being sorted or served as blob connections
}

// firstByteTimeout bounds the wait for an accepted connection's first
// byte: raft and the blob sender both write theirs as soon as they dial.
const firstByteTimeout = 30 * time.Second

// PeerTLS is the mutual TLS node-to-node traffic uses: Server for the Raft
// listener (requires and checks client certificates), Client for dialing
// peers' Raft and RESP ports (shows the node certificate, checks theirs).
type PeerTLS struct {
	Server *tls.Config
	Client *tls.Config
}

// DialPeer connects to a peer's address, over TLS when t is set; the
// handshake is done before it returns, within timeout, so a refused
// certificate is an error here and not on some later read.
func (t *PeerTLS) DialPeer(d *net.Dialer, addr string, timeout time.Duration) (net.Conn, error) {
	dd := *d
	dd.Timeout = timeout
	if t == nil || t.Client == nil {
		return dd.Dial("tcp", addr)
	}
	td := tls.Dialer{NetDialer: &dd, Config: t.Client}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := td.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tls to %s: %w", addr, err)
	}
	return c, nil
}

type namedAddr string

func (a namedAddr) Network() string { return "tcp" }
func (a namedAddr) String() string  { return string(a) }

func newStreamLayer(bind, advertise string, peer *PeerTLS) (*streamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &streamLayer{ln: ln, advertise: namedAddr(advertise), tls: peer,
		raftConns: make(chan net.Conn), done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsUnspecified() {
		l.dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return l, nil
}

// serve starts accepting: blob connections go to onBlob (in the
// connection's own goroutine, closed when it returns), the others to
// Accept.
func (l *streamLayer) serve(onBlob func(net.Conn)) {
	l.onBlob = onBlob
	l.wg.Add(1)
	go l.acceptLoop()
}

func (l *streamLayer) acceptLoop() {
	defer l.wg.Done()
	var delay time.Duration
	for {
		c, err := l.ln.Accept()
		if err != nil {
			// As raft's own accept loop: back off and retry (out of file
			// descriptors passes) until Close.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-l.done:
				return
			case <-time.After(delay):
				continue
			}
		}
		delay = 0
		if l.tls != nil {
			c = tls.Server(c, l.tls.Server)
		}
		if !l.track(c) {
			c.Close()
			return
		}
		l.wg.Add(1)
		go l.sort(c)
	}
}

// sort reads a connection's first byte in its own goroutine (a slow or
// silent peer, or a TLS handshake, never holds up the accept loop) and
// hands the connection to raft or to onBlob.
func (l *streamLayer) sort(c net.Conn) {
	defer l.wg.Done()
	var first [1]byte
	c.SetReadDeadline(time.Now().Add(firstByteTimeout))
	_, err := c.Read(first[:])
	c.SetReadDeadline(time.Time{})
	if err != nil {
		l.untrack(c)
		c.Close()
		return
	}
	if first[0] == blobConnByte {
		l.onBlob(c)
		l.untrack(c)
		c.Close()
		return
	}
	l.untrack(c)
	select {
	case l.raftConns <- &peekedConn{Conn: c, first: first[0], unread: true}:
	case <-l.done:
		c.Close()
	}
}

func (l *streamLayer) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns == nil {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *streamLayer) untrack(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns, c)
}

// Accept returns raft's connections. With TLS their handshake ran in sort,
// so a peer without a valid certificate never reaches raft.
func (l *streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.raftConns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting, closes the connections being sorted or served as
// blob connections and waits for their goroutines.
func (l *streamLayer) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.ln.Close()
		l.mu.Lock()
		for c := range l.conns {
			c.Close()
		}
		l.conns = nil
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

// peekedConn is an accepted connection whose first byte sort has read.
type peekedConn struct {
	net.Conn
	first  byte
	unread bool
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if c.unread && len(p) > 0 {
		p[0] = c.first
		c.unread = false
		return 1, nil
	}
	return c.Conn.Read(p)
}

// NetConn is the connection under the peeked one (as tls.Conn's).
func (c *peekedConn) NetConn() net.Conn { return c.Conn }

func (l *streamLayer) Addr() net.Addr { return l.advertise }

func (l *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return l.tls.DialPeer(&l.dialer, string(addr), timeout)
}

// advertiseAddr picks what peers dial when no --raft-advertise is given: the
// bound address, unless it is a wildcard, which peers cannot dial.
func advertiseAddr(bind, advertise string) (string, error) {
	if advertise != "" {
		return advertise, nil
	}
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return "", fmt.Errorf("raft address %q: %w", bind, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return "", fmt.Errorf("raft address %q binds every interface; give --raft-advertise host:port so peers know where to dial", bind)
	}
	return net.JoinHostPort(host, port), nil
}
