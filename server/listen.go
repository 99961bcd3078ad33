package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/geomys/geomys/resp"

	"github.com/tidwall/redcon"
)

// listener is one port clients connect to: the plain one (--port) or the
// TLS one (--tls-port). Both serve the same server with the same handlers,
// each through its own redcon.Server (redcon serves one listener each).
type listener struct {
	ln  net.Listener
	srv *redcon.Server
	tls bool
}

// listen opens the configured ports and serves them. The first to stop
// (an error, or Close) is what Serve reports.
func (s *Server) listen() error {
	type port struct {
		n   int
		tls *tls.Config
	}
	var ports []port
	if s.cfg.Port != 0 {
		ports = append(ports, port{n: s.cfg.Port})
	}
	if s.cfg.TLSPort != 0 {
		if s.cfg.TLSConfigs == nil || s.cfg.TLSConfigs.Clients == nil {
			return errors.New("--tls-port needs --tls-cert-file and --tls-key-file")
		}
		ports = append(ports, port{n: s.cfg.TLSPort, tls: s.cfg.TLSConfigs.Clients})
	}
	if len(ports) == 0 {
		return errors.New("--port 0 serves TLS only: give --tls-port too")
	}
	for _, p := range ports {
		addr := net.JoinHostPort(s.cfg.Bind, strconv.Itoa(p.n))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("listen on %s: %w", addr, err)
		}
		if p.tls != nil {
			ln = tls.NewListener(ln, p.tls)
		}
		// The protected-mode gate sits above TLS, so a refused client reads
		// the DENIED text over the TLS session it opened, as from Redis.
		ln = resp.GuardListener(&protectedListener{Listener: ln, s: s}, s.limits.guardLimits())
		s.lns = append(s.lns, listener{ln: ln, srv: redcon.NewServer(addr, s.serveRESP, s.accept, s.closedConn), tls: p.tls != nil})
	}
	var once sync.Once
	s.serving.Add(len(s.lns))
	for _, l := range s.lns {
		go func(l listener) {
			defer s.serving.Done()
			err := l.srv.Serve(l.ln)
			once.Do(func() { s.served <- err })
			if !s.closed.Load() {
				// One port failing stops the node rather than leaving it
				// half reachable.
				s.closeListeners()
			}
		}(l)
	}
	return nil
}

// closeListeners stops accepting on every port. Closing the listener too
// covers a redcon Serve that had not begun: it then returns at once.
func (s *Server) closeListeners() {
	for _, l := range s.lns {
		l.srv.Close()
		l.ln.Close()
	}
}

// peerTLS is the client side of node-to-node TLS (nil: plain TCP).
func (s *Server) peerTLS() *tls.Config {
	if s.cfg.TLSConfigs == nil {
		return nil
	}
	return s.cfg.TLSConfigs.PeerClient
}

// dialPeer connects to another node's RESP port: its TLS port, showing this
// node's certificate, with tls-cluster.
func (s *Server) dialPeer(addr string, timeout time.Duration) (net.Conn, error) {
	cfg := s.peerTLS()
	if cfg == nil {
		return net.DialTimeout("tcp", addr, timeout)
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tls to %s: %w", addr, err)
	}
	return c, nil
}
