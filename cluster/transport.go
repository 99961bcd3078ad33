package cluster

import (
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
type streamLayer struct {
	ln        net.Listener
	advertise net.Addr
	dialer    net.Dialer
}

type namedAddr string

func (a namedAddr) Network() string { return "tcp" }
func (a namedAddr) String() string  { return string(a) }

func newStreamLayer(bind, advertise string) (*streamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, err
	}
	l := &streamLayer{ln: ln, advertise: namedAddr(advertise)}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsUnspecified() {
		l.dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return l, nil
}

func (l *streamLayer) Accept() (net.Conn, error) { return l.ln.Accept() }
func (l *streamLayer) Close() error              { return l.ln.Close() }
func (l *streamLayer) Addr() net.Addr            { return l.advertise }

func (l *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := l.dialer
	d.Timeout = timeout
	return d.Dial("tcp", string(addr))
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
