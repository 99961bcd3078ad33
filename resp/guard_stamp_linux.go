package resp

import (
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// stamper reads a TCP connection with recvmsg, taking the kernel's receive
// time of what each read returned (SO_TIMESTAMPNS): the order in which
// commands reached the machine, across connections, which the order their
// goroutines got to run in is not (blocked clients are served in it).
// The read goes through syscall.RawConn, so Go's poller, deadlines
// included, still waits for the data.
type stamper struct {
	raw syscall.RawConn
	fn  func(fd uintptr) bool // read, made once: no closure per call
	// Set by fn's caller for fn (one read at a time: the owner's Read or
	// the watch, serialized by readMu).
	p       []byte
	n, oobn int
	err     error
	oob     [64]byte
}

// newStamper turns on receive timestamps for c; nil when c is no TCP
// connection or the option cannot be set (reads then go through c.Read).
func newStamper(c net.Conn) *stamper {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return nil
	}
	s := &stamper{raw: raw}
	s.fn = func(fd uintptr) bool {
		s.n, s.oobn, _, _, s.err = syscall.Recvmsg(int(fd), s.p, s.oob[:], 0)
		return s.err != syscall.EAGAIN
	}
	return s
}

// read is c.Read, also returning when the bytes arrived (Unix nanoseconds;
// the time of the read when the kernel gave none).
func (s *stamper) read(p []byte) (int, int64, error) {
	s.p = p
	err := s.raw.Read(s.fn)
	s.p = nil
	if err != nil {
		return 0, 0, err // a deadline, or the connection closed here
	}
	if s.err != nil {
		return 0, 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("recvmsg", s.err)}
	}
	if s.n == 0 {
		return 0, 0, io.EOF
	}
	return s.n, s.stamp(), nil
}

// stamp finds SCM_TIMESTAMPNS in the control data of the last read.
func (s *stamper) stamp() int64 {
	const hdr = syscall.SizeofCmsghdr
	if s.oobn >= hdr+int(unsafe.Sizeof(syscall.Timespec{})) {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&s.oob[0]))
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS {
			ts := (*syscall.Timespec)(unsafe.Pointer(&s.oob[syscall.CmsgLen(0)]))
			return ts.Nano()
		}
	}
	return time.Now().UnixNano()
}
