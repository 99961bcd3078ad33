package proxy

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/redcon"
)

// fakeLeader is a small RESP server standing in for the leader's client
// port: it answers the proxy handshake, SELECT, SET/GET per database, and
// DROP (closes the connection without answering), and counts connections.
type fakeLeader struct {
	addr  string
	conns atomic.Int64
	mu    sync.Mutex
	data  map[string]string
	srv   *redcon.Server
	// origins is the declared origin (RAFT.ORIGIN) each SET ran under;
	// declared counts the declarations.
	origins  []string
	declared atomic.Int64
}

type fakeConn struct {
	db     string
	proxy  bool
	origin string
}

func startFakeLeader(t *testing.T) *fakeLeader {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeLeader{addr: ln.Addr().String(), data: map[string]string{}}
	f.srv = redcon.NewServer(f.addr, f.handle, func(c redcon.Conn) bool {
		f.conns.Add(1)
		c.SetContext(&fakeConn{db: "0"})
		return true
	}, nil)
	go f.srv.Serve(ln)
	t.Cleanup(func() { f.srv.Close() })
	return f
}

func (f *fakeLeader) handle(c redcon.Conn, cmd redcon.Command) {
	st := c.Context().(*fakeConn)
	name := strings.ToUpper(string(cmd.Args[0]))
	if !st.proxy && name != "RAFT.PROXY" {
		c.WriteError("ERR not a proxy link")
		return
	}
	switch name {
	case "RAFT.PROXY":
		st.proxy = true
		c.WriteString("OK")
	case "HELLO":
		c.WriteArray(2)
		c.WriteBulkString("proto")
		c.WriteInt(3)
	case "SELECT":
		st.db = string(cmd.Args[1])
		c.WriteString("OK")
	case OriginCommand:
		f.declared.Add(1)
		if len(cmd.Args) == 3 && string(cmd.Args[1]) == "old" {
			c.WriteError("ERR unknown command 'RAFT.ORIGIN'") // a leader of an earlier version
			return
		}
		st.origin = ""
		if len(cmd.Args) == 3 {
			st.origin = string(cmd.Args[1]) + "/" + string(cmd.Args[2])
		}
		c.WriteString("OK")
	case "SET":
		f.mu.Lock()
		f.origins = append(f.origins, st.origin)
		f.data[st.db+"/"+string(cmd.Args[1])] = string(cmd.Args[2])
		f.mu.Unlock()
		c.WriteString("OK")
	case "GET":
		f.mu.Lock()
		v, ok := f.data[st.db+"/"+string(cmd.Args[1])]
		f.mu.Unlock()
		if !ok {
			c.WriteNull()
			return
		}
		c.WriteBulkString(v)
	case "DROP":
		c.Close()
	default:
		c.WriteError("ERR unknown command")
	}
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

func TestRelayBatchInOrder(t *testing.T) {
	f := startFakeLeader(t)
	var p Pool
	defer p.Close()
	u, err := p.Get(f.addr, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Select(3, time.Second); err != nil || u.DB() != 3 {
		t.Fatalf("Select: %v (db %d)", err, u.DB())
	}
	var got []string
	n, sent, err := u.Relay([][][]byte{args("SET", "k", "v"), args("GET", "k"), args("GET", "nope")}, time.Now().Add(time.Second), nil,
		func(i int, b []byte) { got = append(got, string(b)) })
	if err != nil || n != 3 || !sent {
		t.Fatalf("Relay = %d, %v, %v", n, sent, err)
	}
	if want := []string{"+OK\r\n", "$1\r\nv\r\n", "$-1\r\n"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("replies %q, want %q", got, want)
	}
	if f.data["3/k"] != "v" {
		t.Fatalf("the write went to %v, not db 3", f.data)
	}
	p.Put(u)
	// The pooled connection is reused, still on db 3.
	u2, err := p.Get(f.addr, 2, time.Second)
	if err != nil || u2 != u || f.conns.Load() != 1 {
		t.Fatalf("pool did not reuse the idle connection (%d dials, %v)", f.conns.Load(), err)
	}
	p.Put(u2)
}

// A connection the leader closed while idle is never used for a request:
// its outcome would be unknown.
func TestPoolDropsConnectionsTheLeaderClosed(t *testing.T) {
	f := startFakeLeader(t)
	var p Pool
	defer p.Close()
	u, err := p.Get(f.addr, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	u.Queue(args("DROP"))
	if err := u.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the leader's close reaches us
	p.Put(u)
	u2, err := p.Get(f.addr, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if u2 == u || f.conns.Load() != 2 {
		t.Fatalf("a closed connection came back from the pool (%d dials)", f.conns.Load())
	}
	if n, _, err := u2.Relay([][][]byte{args("GET", "k")}, time.Now().Add(time.Second), nil, func(int, []byte) {}); err != nil || n != 1 {
		t.Fatalf("relay on the fresh connection: %d, %v", n, err)
	}
}

// A leader that goes away mid-batch: the account says what was answered.
func TestRelayAccountsForALostLeader(t *testing.T) {
	f := startFakeLeader(t)
	u, err := Dial(f.addr, 2, time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	n, sent, err := u.Relay([][][]byte{args("SET", "a", "1"), args("DROP"), args("SET", "b", "2")}, time.Now().Add(time.Second), nil, func(int, []byte) {})
	if err == nil || n != 1 || !sent {
		t.Fatalf("Relay = %d answered, sent %v, err %v; want 1, true, an error", n, sent, err)
	}
	if Failure(true, sent) != ErrLeaderLost || Failure(false, sent) != ErrLeaderLostRead || Failure(true, false) != ErrNoLeader {
		t.Fatal("Failure maps outcomes to the wrong replies")
	}
}

// A new leader address drops the connections to the old one; RESP3 links
// are separate from RESP2 ones.
func TestPoolFollowsTheLeader(t *testing.T) {
	a, b := startFakeLeader(t), startFakeLeader(t)
	var p Pool
	defer p.Close()
	u2, _ := p.Get(a.addr, 2, time.Second)
	u3, err := p.Get(a.addr, 3, time.Second)
	if err != nil {
		t.Fatalf("RESP3 link: %v", err)
	}
	p.Put(u2)
	p.Put(u3)
	if got, _ := p.Get(a.addr, 3, time.Second); got != u3 {
		t.Fatal("a RESP3 request did not get the RESP3 link")
	}
	if got, _ := p.Get(b.addr, 2, time.Second); got == u2 {
		t.Fatal("a connection to the old leader served the new one")
	}
}

func TestDialRefusedHandshake(t *testing.T) {
	f := startFakeLeader(t)
	old := Handshake
	Handshake = []string{"PING"}
	defer func() { Handshake = old }()
	if _, err := Dial(f.addr, 2, time.Second, ""); err == nil || !strings.Contains(err.Error(), "refused the proxy handshake") {
		t.Fatalf("Dial with a refused handshake: %v", err)
	}
}

// An origin declaration travels with the next batch, its reply is dropped
// before the batch's own, and it is sent again only when it changes; a
// leader that refuses it still relays the batch.
func TestRelayDeclaresOrigin(t *testing.T) {
	f := startFakeLeader(t)
	u, err := Dial(f.addr, 2, time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	relay := func(origin string, id int64, key string) {
		t.Helper()
		u.SetOrigin(origin, id)
		var got []string
		n, _, err := u.Relay([][][]byte{args("SET", key, "v"), args("GET", key)}, time.Now().Add(time.Second), nil,
			func(i int, b []byte) { got = append(got, string(b)) })
		if err != nil || n != 2 || strings.Join(got, "|") != "+OK\r\n|$1\r\nv\r\n" {
			t.Fatalf("relay after SetOrigin(%q, %d) = %d %v %q", origin, id, n, err, got)
		}
	}
	relay("run1", 7, "a")
	relay("run1", 7, "b") // unchanged: not declared again
	relay("", 0, "c")
	relay("old", 9, "d")
	if err := u.Select(2, time.Second); err != nil { // FlushRead after a declaration
		t.Fatal(err)
	}
	u.SetOrigin("run2", 8)
	u.Queue(args("SET", "e", "v"))
	if r, err := u.FlushRead(nil); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("FlushRead after SetOrigin = %q, %v", r, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := []string{"run1/7", "run1/7", "", "", "run2/8"}; strings.Join(f.origins, ",") != strings.Join(want, ",") {
		t.Errorf("origins of the writes = %q, want %q", f.origins, want)
	}
	if n := f.declared.Load(); n != 4 {
		t.Errorf("%d declarations sent, want 4", n)
	}
}
