//go:build !linux

package resp

import (
	"net"
	"time"
)

// stamper: receive timestamps are read on Linux only; elsewhere a read is
// stamped with the time it returned.
type stamper struct{ c net.Conn }

func newStamper(c net.Conn) *stamper { return &stamper{c} }

func (s *stamper) read(p []byte) (int, int64, error) {
	n, err := s.c.Read(p)
	return n, time.Now().UnixNano(), err
}
