package server

import "github.com/geomys/geomys/commands"

// txState is a connection's MULTI/WATCH state.
type txState struct{}

// queueInMulti queues cmd when the client is inside MULTI; it reports whether
// the command was handled (queued or refused) here.
func (s *Server) queueInMulti(cl *Client, cmd *commands.Command, args [][]byte) bool { return false }
