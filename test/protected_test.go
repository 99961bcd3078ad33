package test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/internal/testutil"
)

// protected-mode (default yes) as redis-server 7: bound to every address
// with no password, a client from a non-loopback address reads the same
// DENIED text as from Redis, on the plain and on the TLS port, and is
// disconnected; loopback clients are served; CONFIG SET protected-mode no,
// or a password for the default user, lets the others in.
func TestProtectedMode(t *testing.T) {
	certs := makeCerts(t)
	n, tlsAddr := tlsNode(t, certs, "--bind", "0.0.0.0")
	redisAddr := testutil.StartRedis(t, "--bind", "0.0.0.0")
	ctx := ctxT(t)

	// Loopback clients are served by both.
	if err := n.client().Ping(ctx).Err(); err != nil {
		t.Fatalf("PING from loopback: %v", err)
	}
	got, err := n.client().ConfigGet(ctx, "protected-mode").Result()
	if err != nil || got["protected-mode"] != "yes" {
		t.Fatalf("CONFIG GET protected-mode = %v, %v; want yes", got, err)
	}

	t.Run("from another address", func(t *testing.T) {
		ip := nonLoopbackIP(t)
		if ip == nil {
			t.Skip("this machine has no non-loopback IPv4 address to connect from; the rule is covered by server.TestProtectedDenies")
		}
		dialFrom := func(addr string, cfg *tls.Config) net.Conn {
			t.Helper()
			_, port, _ := net.SplitHostPort(addr)
			d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 2 * time.Second}
			var conn net.Conn
			var err error
			if cfg != nil {
				conn, err = tls.DialWithDialer(d, "tcp", net.JoinHostPort(ip.String(), port), cfg)
			} else {
				conn, err = d.Dial("tcp", net.JoinHostPort(ip.String(), port))
			}
			if err != nil {
				t.Fatalf("dial %s from %s: %v", port, ip, err)
			}
			conn.Write([]byte("PING\r\n"))
			conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			return conn
		}
		// replyFrom is everything the server sends until it disconnects.
		replyFrom := func(addr string, cfg *tls.Config) string {
			t.Helper()
			conn := dialFrom(addr, cfg)
			defer conn.Close()
			b, err := io.ReadAll(conn)
			if err != nil && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("reading from %s: %v (got %q)", addr, err, b)
			}
			return string(b)
		}
		want := "-" + commands.ErrDenied + "\r\n"
		fromRedis := replyFrom(redisAddr, nil)
		if fromRedis != want {
			t.Fatalf("redis-server's reply differs from ours:\nredis:  %q\ngeomys: %q", fromRedis, want)
		}
		if got := replyFrom(n.addr(), nil); got != want {
			t.Errorf("plain port from %s: %q, want the DENIED text", ip, got)
		}
		cfg := certs.clientConfig(&certs.clientPair)
		cfg.ServerName = "127.0.0.1" // the certificate's address; we dial another
		if got := replyFrom(tlsAddr, cfg); got != want {
			t.Errorf("TLS port from %s: %q, want the DENIED text", ip, got)
		}
		info, _ := n.client().Info(ctx, "stats").Result()
		if !strings.Contains(info, "rejected_connections:2\r\n") {
			t.Errorf("INFO stats after two denied connections:\n%s", info)
		}
		// As the text says: CONFIG SET protected-mode no from loopback.
		if err := n.client().ConfigSet(ctx, "protected-mode", "no").Err(); err != nil {
			t.Fatal(err)
		}
		conn := dialFrom(n.addr(), nil)
		defer conn.Close()
		line, err := bufio.NewReader(conn).ReadString('\n')
		if line != "+PONG\r\n" {
			t.Errorf("after CONFIG SET protected-mode no, from %s: %q, %v; want +PONG", ip, line, err)
		}

		// Protected mode on again, but the default user gets a password:
		// Redis then serves other hosts (who must AUTH).
		admin := n.client()
		if err := admin.ConfigSet(ctx, "protected-mode", "yes").Err(); err != nil {
			t.Fatal(err)
		}
		if got := replyFrom(n.addr(), nil); got != want {
			t.Errorf("protected-mode yes again, from %s: %q, want the DENIED text", ip, got)
		}
		if err := admin.Do(ctx, "ACL", "SETUSER", "default", ">s3cret").Err(); err != nil {
			t.Fatal(err)
		}
		conn2 := dialFrom(n.addr(), nil) // sent PING
		defer conn2.Close()
		conn2.Write([]byte("AUTH s3cret\r\nPING\r\n"))
		br := bufio.NewReader(conn2)
		var replies []string
		for i := 0; i < 3; i++ {
			l, err := br.ReadString('\n')
			if err != nil {
				break
			}
			replies = append(replies, strings.TrimSpace(l))
		}
		if strings.Join(replies, "|") != "-NOAUTH Authentication required.|+OK|+PONG" {
			t.Errorf("with a password for default, from %s: %q; want NOAUTH, then OK and PONG", ip, replies)
		}
	})
}

// nonLoopbackIP is an IPv4 address of this machine other than loopback.
func nonLoopbackIP(t testing.TB) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.To4()
		}
	}
	return nil
}
