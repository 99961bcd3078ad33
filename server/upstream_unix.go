//go:build unix

package server

import (
	"net"
	"syscall"
)

// socketOpen peeks at the socket without blocking: open means nothing is
// waiting to be read and the peer has not closed it. (Go fails a read whose
// deadline has passed without trying it, so a past deadline cannot tell.)
func socketOpen(c net.Conn) (open, known bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false, true
	}
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = e == syscall.EAGAIN || e == syscall.EWOULDBLOCK // else data, end of stream or an error
		return true
	})
	return open && err == nil, true
}
