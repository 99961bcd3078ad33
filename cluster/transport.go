package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
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
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	dialer    net.Dialer
	tls       *PeerTLS
}

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
	l := &streamLayer{ln: ln, advertise: namedAddr(advertise), tls: peer}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsUnspecified() {
		l.dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return l, nil
}

// Accept returns TLS connections whose handshake runs on first use, in
// raft's per-connection goroutine: a peer without a valid certificate fails
// there (raft logs it) and never holds up the accept loop.
func (l *streamLayer) Accept() (net.Conn, error) {
	c, err := l.ln.Accept()
	if err != nil || l.tls == nil {
		return c, err
	}
	return tls.Server(c, l.tls.Server), nil
}

func (l *streamLayer) Close() error   { return l.ln.Close() }
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
