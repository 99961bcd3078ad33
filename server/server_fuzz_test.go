package server

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// startFuzzServer starts a server over a fake cluster and a real FSM and
// AOF, behind the real guard, for the fuzz target; every input then gets
// its own connection.
func startFuzzServer(f *testing.F) string { return startTestServer(f).Addr().String() }

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
