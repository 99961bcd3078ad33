package server

import "github.com/geomys/geomys/commands"

// subState is a connection's pub/sub subscriptions.
type subState struct{}

// refuseWhileSubscribed answers commands a RESP2 connection in subscribed
// mode may not run; it reports whether it refused cmd.
func (s *Server) refuseWhileSubscribed(cl *Client, cmd *commands.Command, args [][]byte) bool {
	return false
}
