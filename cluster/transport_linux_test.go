package cluster

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestStreamLayerNoDelay: both ends of a Raft connection send small
// AppendEntries and their answers at once (TCP_NODELAY): with Nagle's
// algorithm a pipelined follower's answer could wait for the last one's
// ACK, adding delayed-ACK time to every commit.
func TestStreamLayerNoDelay(t *testing.T) {
	l, err := newStreamLayer("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.serve(func(net.Conn) { t.Error("a raft connection was taken for a blob connection") })
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	out, err := l.Dial(raft.ServerAddress(l.ln.Addr().String()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	// Raft's first byte, an RPC type, makes it a raft connection.
	if _, err := out.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	in := <-accepted
	if in == nil {
		t.Fatal("accept failed")
	}
	defer in.Close()
	var first [1]byte
	if _, err := in.Read(first[:]); err != nil || first[0] != 0 {
		t.Fatalf("raft's first byte: %v %v", first, err)
	}
	in = in.(*peekedConn).NetConn()
	for name, c := range map[string]net.Conn{"dialed": out, "accepted": in} {
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var v int
		var serr error
		if err := raw.Control(func(fd uintptr) {
			v, serr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
		}); err != nil || serr != nil {
			t.Fatalf("%s: getsockopt: %v %v", name, err, serr)
		}
		if v == 0 {
			t.Errorf("%s Raft connection has TCP_NODELAY off", name)
		}
	}
}
