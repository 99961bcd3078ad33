package server

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"
)

func freeLoopbackPort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startFuzzServer starts one real Geomys node (Raft, FSM, AOF, guard) for
// the fuzz target; every input then gets its own connection.
func startFuzzServer(f *testing.F) string {
	port := freeLoopbackPort(f)
	s, err := New(Config{
		Bind: "127.0.0.1", Port: port, Dir: f.TempDir(), NodeID: "fuzz",
		RaftAddr: "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(f)), AppendFsync: "no",
		LogLevel: "warning", Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	served := make(chan struct{})
	go func() { s.Serve(); close(served) }()
	f.Cleanup(func() { s.Close(); <-served })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitReady(ctx); err != nil {
		f.Fatal(err)
	}
	return s.Addr().String()
}

// FuzzServer feeds arbitrary bytes to a real node over TCP and then checks
// that the node still answers a fresh connection: nothing from the network may
// crash or hang it.
func FuzzServer(f *testing.F) {
	for _, seed := range []string{
		"PING\r\n",
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n",
		"*999999999999\r\n",
		"*1\r\n$99999999999999999999\r\n",
		"*2\r\n$-5\r\nab\r\n",
		"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$3\r\n0.1\r\n",
		"*4\r\n$4\r\nLPOS\r\n$1\r\nq\r\n$1\r\na\r\n",
		"SET k v EX 9999999999999999\r\nGETRANGE k -9223372036854775808 9223372036854775807\r\n",
		"CLIENT SETNAME x\r\nCLIENT LIST\r\nCOMMAND DOCS get\r\nINFO everything\r\nCONFIG GET *\r\n",
		"SETRANGE k 536870911 x\r\n",
		"\"unbalanced\r\n",
	} {
		f.Add([]byte(seed))
	}
	addr := startFuzzServer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write(data)
		conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				break
			}
		}
		conn.Close()

		check, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("node stopped accepting after input %q: %v", data, err)
		}
		defer check.Close()
		check.SetDeadline(time.Now().Add(5 * time.Second))
		check.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		line, err := bufio.NewReader(check).ReadString('\n')
		if err != nil || line != "+PONG\r\n" {
			t.Fatalf("node does not answer PING after input %q: %q %v", data, line, err)
		}
	})
}
