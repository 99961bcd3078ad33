//go:build !unix

package server

import "net"

// socketOpen cannot peek here; alive falls back to a short read.
func socketOpen(net.Conn) (open, known bool) { return false, false }
