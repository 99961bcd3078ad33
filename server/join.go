package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/geomys/geomys/proxy"
	"github.com/geomys/geomys/resp"
)

// joinLoop asks the member given with --join to add this node, until the
// node appears in the Raft configuration. It only runs for a node that
// started without Raft state: a member restarting with its data never joins
// again. Asking again is harmless (adding an existing member is a no-op).
func (s *Server) joinLoop() {
	defer s.bg.Done()
	args := []string{"RAFT.NODE", "ADD", s.node.ID(), s.node.RaftAddr(), s.cfg.ClientAddr}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for attempt := 1; ; attempt++ {
		if s.node.InConfig() {
			s.log.Info("joined the cluster", "via", s.cfg.Join)
			return
		}
		reply, err := s.callMember(s.cfg.Join, args, s.cfg.RequestTimeout+2*time.Second)
		if target, ok := strings.CutPrefix(string(reply), "-MOVED 0 "); ok && err == nil {
			// A member in redirect mode names its leader: ask there.
			reply, err = s.callMember(strings.TrimSpace(target), args, s.cfg.RequestTimeout+2*time.Second)
		}
		switch {
		case err != nil:
			s.log.Warn("join: cannot reach member; check that --join names a running member's client address and that the network allows it (retrying)", "addr", s.cfg.Join, "attempt", attempt, "err", err)
		case strings.HasPrefix(string(reply), "-WRONGPASS"), strings.HasPrefix(string(reply), "-NOPERM"):
			s.log.Error("join refused: this node's --cluster-secret is not the cluster's; start every member with the same one", "addr", s.cfg.Join, "attempt", attempt, "reply", string(reply[1:len(reply)-2]))
		case reply[0] == '-':
			s.log.Warn("join refused; read the reply, fix this node's flags (--node-id, --raft-advertise) or the cluster, and restart (retrying)", "addr", s.cfg.Join, "attempt", attempt, "reply", string(reply[1:len(reply)-2]))
		}
		select {
		case <-s.done:
			return
		case <-t.C:
		}
	}
}

// callMember sends one command to another member on a new connection
// (over TLS with tls-cluster), authenticated with the cluster secret when
// there is one, and returns the raw reply.
func (s *Server) callMember(addr string, args []string, timeout time.Duration) ([]byte, error) {
	conn, err := s.dialPeer(addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c := resp.NewClient(conn)
	defer c.Close()
	c.Timeout = timeout
	if s.cfg.ClusterSecret != "" {
		reply, err := c.Do(proxy.AuthCommand, s.cfg.ClusterSecret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", addr, err)
		}
		if reply != "+OK\r\n" {
			return []byte(reply), nil
		}
	}
	reply, err := c.Do(args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return []byte(reply), nil
}
