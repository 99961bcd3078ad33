package server

import (
	"net"
	"testing"
)

// Redis 7's protected-mode rule: without a password, only loopback peers.
func TestProtectedDenies(t *testing.T) {
	tcp := func(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000} }
	cases := []struct {
		protected, password bool
		remote              net.Addr
		deny                bool
	}{
		{true, false, tcp("127.0.0.1"), false},
		{true, false, tcp("127.0.0.53"), false},
		{true, false, tcp("::1"), false},
		{true, false, tcp("::ffff:127.0.0.1"), false},
		{true, false, tcp("192.0.2.7"), true},
		{true, false, tcp("10.1.2.3"), true},
		{true, false, tcp("2001:db8::1"), true},
		{true, false, tcp("0.0.0.0"), true},
		{true, false, nil, true},
		{true, true, tcp("192.0.2.7"), false},
		{false, false, tcp("192.0.2.7"), false},
		{true, false, &net.UnixAddr{Name: "@x", Net: "unix"}, false},
	}
	for _, c := range cases {
		if got := protectedDenies(c.protected, c.password, c.remote); got != c.deny {
			t.Errorf("protectedDenies(protected=%v, password=%v, %v) = %v, want %v", c.protected, c.password, c.remote, got, c.deny)
		}
	}
}
