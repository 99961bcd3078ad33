package server

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

// protectedListener is Redis' protected mode at the door: while it is on
// and the default user has no password, a client from another host reads
// the DENIED text and is disconnected without ever becoming a client.
// Redis decides per connection, with the settings of that moment, so
// CONFIG SET protected-mode (or setting a password) applies to the next
// connection.
type protectedListener struct {
	net.Listener
	s *Server
}

func (l *protectedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !protectedDenies(l.s.protected.Load(), l.s.hasPassword(), c.RemoteAddr()) {
			return c, nil
		}
		l.s.stats.rejected.Add(1)
		// In its own goroutine: a TLS handshake or a slow peer must not
		// hold up the accept loop.
		go deny(c)
	}
}

var deniedReply = []byte("-" + commands.ErrDenied + "\r\n")

func deny(c net.Conn) {
	c.SetDeadline(time.Now().Add(2 * time.Second))
	c.Write(deniedReply)
	c.Close()
}

// hasPassword is Redis' test: the default user is not nopass (a password
// set with requirepass or ACL SETUSER, or resetpass), whether enabled or not.
func (s *Server) hasPassword() bool {
	us := s.users()
	if us == nil {
		return false
	}
	d := us.Get("default")
	return d != nil && !d.NoPass
}

// protectedDenies is Redis 7's rule (networking.c, clientAcceptHandler):
// with protected mode on and no password, only loopback clients (127.0.0.0/8
// and ::1, and Unix sockets) are served, whatever address the server is
// bound to. An address that is not known to be local is refused, as Redis
// refuses it.
func protectedDenies(protected, hasPassword bool, remote net.Addr) bool {
	if !protected || hasPassword {
		return false
	}
	var ip net.IP
	switch a := remote.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UnixAddr:
		return false
	default:
		if remote != nil {
			host, _, err := net.SplitHostPort(remote.String())
			if err == nil {
				ip = net.ParseIP(host)
			}
		}
	}
	return ip == nil || !ip.IsLoopback()
}

// peerVerified reports whether cl came over TLS with a certificate that
// chains to the cluster CA: what node-to-node commands need with
// tls-cluster (a client certificate is only ever accepted verified).
func peerVerified(cl *Client) bool {
	tc := tlsConn(cl)
	return tc != nil && len(tc.ConnectionState().VerifiedChains) > 0
}

// rawConn is the socket under a client connection's guard and TLS layers:
// what keepalive applies to, and what another goroutine closes to end the
// connection at once (a TLS Close would first send close_notify, which can
// wait on a peer that does not read).
func rawConn(nc net.Conn) net.Conn {
	if g, ok := nc.(*resp.GuardConn); ok {
		nc = g.NetConn()
	}
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	return nc
}

// tlsConn is cl's TLS connection, nil for a plain one.
func tlsConn(cl *Client) *tls.Conn {
	nc := cl.conn.NetConn()
	if g, ok := nc.(*resp.GuardConn); ok {
		nc = g.NetConn()
	}
	tc, _ := nc.(*tls.Conn)
	return tc
}
