package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer accepts connections on ip:0 and echoes each line back.
func echoServer(t *testing.T, ip string) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	var wg sync.WaitGroup
	conns := make(map[net.Conn]struct{})
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// testNet is three nodes a, b, c on 127.0.0.{21,22,23}, each with an echo
// server standing in for its Raft port and a proxy in front of it.
type testNet struct {
	net   *Net
	ips   map[string]string
	proxy map[string]string
}

func newTestNet(t *testing.T) *testNet {
	t.Helper()
	tn := &testNet{
		net:   NewNet(),
		ips:   map[string]string{"a": "127.0.0.21", "b": "127.0.0.22", "c": "127.0.0.23"},
		proxy: make(map[string]string),
	}
	t.Cleanup(tn.net.Close)
	for _, name := range []string{"a", "b", "c"} {
		ip := tn.ips[name]
		addr, err := tn.net.AddNode(name, ip, ip+":0", echoServer(t, ip))
		if err != nil {
			t.Fatal(err)
		}
		tn.proxy[name] = addr
	}
	return tn
}

// dial connects from node from's IP to node to's proxy.
func (tn *testNet) dial(t *testing.T, from, to string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(tn.ips[from])}, Timeout: time.Second}
	c, err := d.Dial("tcp", tn.proxy[to])
	if err != nil {
		t.Fatalf("dial %s->%s: %v", from, to, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip reports whether a line sent on c comes back.
func roundTrip(c net.Conn, msg string) error {
	c.SetDeadline(time.Now().Add(time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
		return err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(got) != msg {
		return fmt.Errorf("echo = %q, want %q", got, msg)
	}
	return nil
}

// closedByPeer reports whether c has been closed from the other side: a read
// returns EOF or a reset rather than timing out.
func closedByPeer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	defer c.SetReadDeadline(time.Time{})
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

func (tn *testNet) mustReach(t *testing.T, from, to string) net.Conn {
	t.Helper()
	c := tn.dial(t, from, to)
	if err := roundTrip(c, from+"->"+to); err != nil {
		t.Fatalf("%s->%s should be connected: %v", from, to, err)
	}
	return c
}

func (tn *testNet) mustNotReach(t *testing.T, from, to string) {
	t.Helper()
	c := tn.dial(t, from, to)
	if err := roundTrip(c, from+"->"+to); err == nil {
		t.Fatalf("%s->%s should be cut, but the echo came back", from, to)
	}
	if !closedByPeer(c) {
		t.Fatalf("%s->%s should be closed at once by the proxy", from, to)
	}
}

func TestProxyConnectivity(t *testing.T) {
	tn := newTestNet(t)
	for _, from := range []string{"a", "b", "c"} {
		for _, to := range []string{"a", "b", "c"} {
			tn.mustReach(t, from, to)
		}
	}
	// A source IP that belongs to no node is never filtered.
	tn.net.Isolate("a")
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.29")}}
	c, err := d.Dial("tcp", tn.proxy["a"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c, "stranger"); err != nil {
		t.Fatalf("unknown source should pass: %v", err)
	}
}

func TestProxyIsolateAndHeal(t *testing.T) {
	tn := newTestNet(t)
	ab := tn.mustReach(t, "a", "b")
	ba := tn.mustReach(t, "b", "a")
	bc := tn.mustReach(t, "b", "c")

	tn.net.Isolate("a")
	if !closedByPeer(ab) || !closedByPeer(ba) {
		t.Fatal("existing connections to and from a must be closed on Isolate")
	}
	if err := roundTrip(bc, "still"); err != nil {
		t.Fatalf("b->c must survive isolating a: %v", err)
	}
	tn.mustNotReach(t, "a", "b")
	tn.mustNotReach(t, "c", "a")
	tn.mustReach(t, "a", "a")
	tn.mustReach(t, "c", "b")

	tn.net.Heal()
	tn.mustReach(t, "a", "b")
	tn.mustReach(t, "c", "a")
}

func TestProxyPartition(t *testing.T) {
	tn := newTestNet(t)
	ac := tn.mustReach(t, "a", "c")
	ab := tn.mustReach(t, "a", "b")

	tn.net.Partition([]string{"a", "b"}, []string{"c"})
	if !closedByPeer(ac) {
		t.Fatal("a->c must be closed by the partition")
	}
	if err := roundTrip(ab, "same side"); err != nil {
		t.Fatalf("a->b must survive the partition: %v", err)
	}
	tn.mustReach(t, "b", "a")
	tn.mustNotReach(t, "c", "a")
	tn.mustNotReach(t, "b", "c")

	// A node left out of every group is isolated.
	tn.net.Partition([]string{"a", "b"})
	tn.mustNotReach(t, "c", "b")
	tn.mustReach(t, "a", "b")

	tn.net.Heal()
	tn.mustReach(t, "c", "a")
	tn.mustReach(t, "b", "c")
}

func TestProxyHalfClose(t *testing.T) {
	tn := newTestNet(t)
	c := tn.dial(t, "a", "b")
	if _, err := io.WriteString(c, "bye\n"); err != nil {
		t.Fatal(err)
	}
	// After our half-close the echo must still come back, followed by EOF
	// once the server finishes its side.
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read after half-close: %v", err)
	}
	if string(got) != "bye\n" {
		t.Fatalf("got %q after half-close, want %q", got, "bye\n")
	}
}

func TestProxyCloseWaits(t *testing.T) {
	ip := "127.0.0.24"
	target := echoServer(t, ip)
	before := runtime.NumGoroutine()
	n := NewNet()
	addr, err := n.AddNode("x", ip, ip+":0", target)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c, "hi"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		n.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if !closedByPeer(c) {
		t.Fatal("Close must close proxied connections")
	}
	if _, err := n.AddNode("y", "127.0.0.25", "127.0.0.25:0", addr); err == nil {
		t.Fatal("AddNode after Close must fail")
	}
	// The proxy's own goroutines are gone when Close returns; the echo
	// server's handler for the proxied connection exits on its own
	// shortly after, so allow it a moment.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before NewNet", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestProxyChurn flips the topology while every pair of nodes keeps
// reconnecting and exchanging messages, for the race detector's benefit and
// to show the proxy recovers fully after Heal.
func TestProxyChurn(t *testing.T) {
	tn := newTestNet(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, from := range []string{"a", "b", "c"} {
		for _, to := range []string{"a", "b", "c"} {
			if from == to {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(tn.ips[from])}, Timeout: time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c, err := d.Dial("tcp", tn.proxy[to])
					if err != nil {
						continue
					}
					for j := 0; j < 5 && roundTrip(c, fmt.Sprint(i, j)) == nil; j++ {
					}
					c.Close()
				}
			}()
		}
	}
	for i := 0; i < 20; i++ {
		switch i % 3 {
		case 0:
			tn.net.Isolate([]string{"a", "b", "c"}[(i/3)%3])
		case 1:
			tn.net.Partition([]string{"a"}, []string{"b", "c"})
		default:
			tn.net.Heal()
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	tn.net.Heal()
	for _, from := range []string{"a", "b", "c"} {
		for _, to := range []string{"a", "b", "c"} {
			tn.mustReach(t, from, to)
		}
	}
}
