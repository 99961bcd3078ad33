package server

import (
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/geomys/geomys/resp"
)

// benchServerSET sends pipelines of pipe SETs on one connection to a server
// over a real FSM (fake cluster: no Raft, no fsync) and reports allocations
// per write: what the dispatch path (RESP in, entry, apply, reply out) costs.
func benchServerSET(b *testing.B, pipe int) {
	s := startTestServer(b)
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var req []byte
	for i := 0; i < pipe; i++ {
		req = resp.AppendCommand(req, "SET", "key:"+strconv.Itoa(i), "xxx")
	}
	want := make([]byte, 5*pipe) // pipe × "+OK\r\n"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, want); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if string(want[:5]) != "+OK\r\n" {
		b.Fatalf("reply %q", want[:5])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pipe), "ns/write")
}

func BenchmarkServerSET_P1(b *testing.B)  { benchServerSET(b, 1) }
func BenchmarkServerSET_P16(b *testing.B) { benchServerSET(b, 16) }
