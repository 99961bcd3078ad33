package test

import (
	"net"
	"strings"
	"testing"
	"time"
)

// rawExchange writes each part on one connection to addr, pausing between
// parts so that they arrive in separate reads, and returns what came back.
func rawExchange(t *testing.T, addr string, parts ...string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range parts {
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var out []byte
	buf := make([]byte, 4096)
	for {
		k, err := c.Read(buf)
		out = append(out, buf[:k]...)
		if err != nil {
			return string(out)
		}
	}
}

// TestNegativeMultibulkCount: Redis ignores a multibulk header whose count is
// <= 0 and keeps the connection, also when the header is split across reads.
func TestNegativeMultibulkCount(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	ping := "*1\r\n$4\r\nPING\r\n"
	for _, parts := range [][]string{
		{"*-10\r\n" + ping},
		{"*-1", "0\r", "\n" + ping},
		{ping + "*0\r\n*-5\r\n" + ping, "*-", "7\r\n" + ping},
		{"*-10\r\nPING\r\n", "*-1\r\n*1\r\n$4\r\nECHO\r\n"},
	} {
		want := rawExchange(t, ref, parts...)
		if got := rawExchange(t, n.addr(), parts...); got != want {
			t.Errorf("%q: geomys %q, redis %q", parts, got, want)
		}
	}
}

// infoHeaders returns the section headers of an INFO reply, without Geomys'
// own raft section.
func infoHeaders(reply string) string {
	var h []string
	for _, l := range strings.Split(reply, "\r\n") {
		if strings.HasPrefix(l, "# ") && l != "# Raft" {
			h = append(h, l)
		}
	}
	return strings.Join(h, ",")
}

// TestInfoSectionSelection: INFO with no argument, several sections, and
// all/everything/default selects the sections Redis 7.0 does, in its order.
func TestInfoSectionSelection(t *testing.T) {
	n := startNode(t)
	ref := startRedis(t)
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		for _, args := range [][]string{
			{}, {"default"}, {"all"}, {"everything"}, {"keyspace", "server"}, {"commandstats"},
			{"cpu", "CPU"}, {"modules"}, {"Latencystats"}, {"errorstats"}, {"all", "commandstats"},
			{"default", "commandstats"}, {"server", "default"}, {"cluster", "stats"}, {"nosuch"}, {"nosuch", "clients"},
		} {
			cmd := append([]string{"INFO"}, args...)
			got, want := g.do(cmd...), r.do(cmd...)
			if gh, wh := infoHeaders(got), infoHeaders(want); gh != wh {
				t.Errorf("RESP%d %q: geomys sections %q, redis %q", proto, cmd, gh, wh)
			}
			if want == "$0\r\n\r\n" || strings.HasPrefix(want, "=4\r\ntxt:") {
				if got != want {
					t.Errorf("RESP%d %q: geomys %q, redis %q", proto, cmd, got, want)
				}
			}
		}
	}
}
