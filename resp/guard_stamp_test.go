package resp

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection, the server's
// wrapped in a GuardConn.
func tcpPair(t testing.TB) (*GuardConn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return NewGuardConn(s, GuardLimits{}), c
}

// TestGuardArrivedIsReceiveTime: Arrived is when the bytes reached the
// machine, not when they were read. The kernel turns receive timestamps on
// for the whole system shortly after the first socket asks (a deferred
// static key), and a packet that came before is stamped as it is read, so
// a fresh machine gets a few tries.
func TestGuardArrivedIsReceiveTime(t *testing.T) {
	var msg string
	for try := 0; try < 5; try++ {
		ok, why := arrivedBeforeRead(t)
		if ok {
			return
		}
		msg = why
	}
	t.Fatal(msg)
}

// arrivedBeforeRead writes a request, reads it 50 ms later, and tells
// whether Arrived is the write's time rather than the read's.
func arrivedBeforeRead(t *testing.T) (bool, string) {
	g, c := tcpPair(t)
	if g.Arrived() != 0 {
		t.Fatalf("Arrived before any read: %d", g.Arrived())
	}
	before := time.Now().UnixNano()
	if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	readAt := time.Now().UnixNano()
	buf := make([]byte, 64)
	if n, err := g.Read(buf); err != nil || n != 14 {
		t.Fatalf("read %d, %v", n, err)
	}
	at := g.Arrived()
	if at < before || at > readAt-40*int64(time.Millisecond) {
		return false, fmt.Sprintf("Arrived %d: want between the write (%d) and well before the read (%d)", at, before, readAt)
	}
	// The stamp follows the latest read; the peer closing reads as EOF.
	io.WriteString(c, "*1\r\n$4\r\nPING\r\n")
	if _, err := g.Read(buf); err != nil || g.Arrived() <= at {
		t.Fatalf("second read: %v, Arrived %d after %d", err, g.Arrived(), at)
	}
	c.Close()
	if n, err := g.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after close: %d, %v", n, err)
	}
	return true, ""
}

// TestGuardDeadlineWithStamps: a read deadline still ends a read that
// waits (the stamped read goes through Go's poller).
func TestGuardDeadlineWithStamps(t *testing.T) {
	g, _ := tcpPair(t)
	g.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	start := time.Now()
	_, err := g.Read(make([]byte, 16))
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("err %v; want a timeout", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
}

// BenchmarkGuardStampedRead is the cost of reading with receive
// timestamps (recvmsg and its control message) against a plain read:
// one small request written and read per op.
func BenchmarkGuardStampedRead(b *testing.B) {
	for _, stamped := range []bool{false, true} {
		name := "plain"
		if stamped {
			name = "stamped"
		}
		b.Run(name, func(b *testing.B) {
			g, c := tcpPair(b)
			if !stamped {
				g.st = nil
			}
			req := []byte("*1\r\n$4\r\nPING\r\n")
			buf := make([]byte, 4096)
			b.ReportAllocs()
			for b.Loop() {
				c.Write(req)
				if _, err := g.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
