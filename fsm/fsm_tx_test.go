package fsm

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
	"github.com/hashicorp/raft"
)

// entryTime stamps every entry these tests build, so the AOF markers are
// known in advance.
const entryTime = 1700000000000

// c2 and c3 are commands of db 0 from a RESP2 or RESP3 connection.
func c2(args ...string) Cmd { return Cmd{DB: 0, Proto: 2, Args: bs(args...)} }
func c3(args ...string) Cmd { return Cmd{DB: 0, Proto: 3, Args: bs(args...)} }

func inDB(db int, c Cmd) Cmd { c.DB = db; return c }

// entryOf encodes cmds as the server does, with EntryWriter.
func entryOf(cmds ...Cmd) []byte {
	var w EntryWriter
	w.Reset(entryTime)
	for _, c := range cmds {
		w.Add(c.DB, c.Proto, c.Args)
	}
	return w.Bytes()
}

func openTxFSM(t *testing.T, dir string) *FSM {
	t.Helper()
	f, err := Open(Options{Dir: dir, Fsync: "no", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// incrAOF is the content of the AOF file entries are appended to.
func incrAOF(t *testing.T, f *FSM) string {
	t.Helper()
	_, incrs := f.aof.Files()
	if len(incrs) == 0 {
		t.Fatal("the AOF has no incremental file")
	}
	b, err := os.ReadFile(filepath.Join(f.aof.Dir(), incrs[len(incrs)-1]))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cmd is the RESP form of a command as the AOF holds it.
func cmd(args ...string) string { return string(resp.AppendCommand(nil, args...)) }

func marker(index uint64) string {
	return "#" + markerPrefix + strconv.FormatUint(index, 10) + " " + strconv.Itoa(entryTime) + "\r\n"
}

const (
	multi = "*1\r\n$5\r\nMULTI\r\n"
	exec  = "*1\r\n$4\r\nEXEC\r\n"
)

func digestOf(f *FSM) [20]byte {
	var d [20]byte
	f.View(func(s *commands.Store) { d = s.Digest(entryTime) })
	return d
}

// TestTransactionEntries applies entries one by one and checks, for each,
// the rendered reply byte for byte and exactly what it appended to the AOF:
// a transaction's propagated writes, and only those, between MULTI and EXEC.
func TestTransactionEntries(t *testing.T) {
	f := openTxFSM(t, t.TempDir())
	defer f.Close()
	cases := []struct {
		name  string
		data  []byte
		reply string
		aof   string // appended by this entry, marker included
		block *commands.BlockRequest
	}{
		{
			// The first write of the file selects db 0 before MULTI, as
			// Redis 7 propagates a transaction in its first command's db.
			name:  "writes, a server reply and a read inside MULTI",
			data:  entryOf(c2(".multi", "4"), c2("SET", "a", "1"), c2(".reply", "+PONG\r\n"), c2("GET", "a"), c2("INCR", "n")),
			reply: "*4\r\n+OK\r\n+PONG\r\n$1\r\n1\r\n:1\r\n",
			aof:   cmd("SELECT", "0") + multi + cmd("SET", "a", "1") + cmd("INCR", "n") + exec + marker(1),
		},
		{
			name:  "plain writes around a transaction that writes nothing (RESP3 blocking nils)",
			data:  entryOf(c3("SET", "p", "1"), c3(".multi", "2"), c3("BLPOP", "nolist", "0"), c3("BLMOVE", "nolist", "dst", "LEFT", "LEFT", "0"), c3("DEL", "p")),
			reply: "+OK\r\n*2\r\n_\r\n_\r\n:1\r\n",
			aof:   cmd("SET", "p", "1") + cmd("DEL", "p") + marker(2),
		},
		{
			name:  "blocking commands inside MULTI answer nil (RESP2)",
			data:  entryOf(c2(".multi", "3"), c2("BRPOPLPUSH", "nolist", "dst", "0"), c2("BLPOP", "nolist", "0"), c2("BZPOPMIN", "nozset", "0")),
			reply: "*3\r\n$-1\r\n*-1\r\n*-1\r\n",
		},
		{
			name:  "a blocking command outside MULTI asks to block and replies nothing",
			data:  entryOf(c2("BLPOP", "nolist", "5")),
			block: &commands.BlockRequest{Keys: []string{"nolist"}, Timeout: 5000},
		},
		{
			name:  "unknown commands, and reads outside MULTI, are refused in and out of a transaction",
			data:  entryOf(c2("NOSUCH", "x"), c2("GET", "a"), c2(".multi", "2"), c2("NOSUCH"), c2("SET", "u", "1"), c2(".reply", "+OK\r\n")),
			reply: "-ERR unknown command 'NOSUCH'\r\n-ERR unknown command 'GET'\r\n*2\r\n-ERR unknown command 'NOSUCH'\r\n+OK\r\n-ERR unknown internal command\r\n",
			// One write: Redis 7 propagates it without MULTI/EXEC.
			aof: cmd("SET", "u", "1") + marker(5),
		},
		{
			name:  "a failing command inside MULTI propagates nothing",
			data:  entryOf(c2(".multi", "2"), c2("SET", "s", "x"), c2("INCR", "s")),
			reply: "*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n",
			aof:   cmd("SET", "s", "x") + marker(6),
		},
		{
			name:  "two transactions in other dbs and a plain write between them",
			data:  entryOf(inDB(1, c2(".multi", "1")), inDB(1, c2("SET", "k", "v")), c2("SET", "k0", "v"), inDB(2, c2(".multi", "2")), inDB(2, c2("SET", "k", "v")), inDB(2, c2("EXISTS", "k"))),
			reply: "*1\r\n+OK\r\n+OK\r\n*2\r\n+OK\r\n:1\r\n",
			aof: cmd("SELECT", "1") + cmd("SET", "k", "v") +
				cmd("SELECT", "0") + cmd("SET", "k0", "v") +
				cmd("SELECT", "2") + cmd("SET", "k", "v") + marker(7),
		},
		{
			name:  "an empty transaction",
			data:  entryOf(c2(".multi", "0"), c2("INCR", "n")),
			reply: "*0\r\n:2\r\n",
			aof:   cmd("SELECT", "0") + cmd("INCR", "n") + marker(8),
		},
		{
			// Headers the server never writes: the commands after one are
			// not skipped but run as plain commands (so the read is
			// refused). skipTx in applyEntry is never set to anything but 0.
			name: "malformed transaction headers",
			data: entryOf(c2(".multi"), c2("SET", "h1", "1"), c2(".multi", "x"), c2("GET", "h1"), c2(".multi", "-1"), c2("SET", "h2", "1")),
			reply: "-ERR malformed transaction in log entry\r\n+OK\r\n" +
				"-ERR malformed transaction in log entry\r\n-ERR unknown command 'GET'\r\n" +
				"-ERR malformed transaction in log entry\r\n+OK\r\n",
			aof: cmd("SET", "h1", "1") + cmd("SET", "h2", "1") + marker(9),
		},
		{
			// A command of an impossible db inside MULTI still counts as
			// one of the transaction's commands: the GET after it is
			// outside the transaction, hence refused, and EXEC closes
			// before the plain SET.
			name: "a malformed command inside MULTI",
			data: entryOf(c2(".multi", "2"), inDB(commands.NumDBs, c2("SET", "x", "1")), c2("SET", "y", "1"), c2("GET", "y"), c2("SET", "z", "1")),
			reply: "*2\r\n-ERR malformed command in log entry\r\n+OK\r\n" +
				"-ERR unknown command 'GET'\r\n+OK\r\n",
			aof: cmd("SET", "y", "1") + cmd("SET", "z", "1") + marker(10),
		},
		{
			// Also one the server never writes. The array announces three
			// replies and holds two, and the writes are not bracketed: a
			// known defect of applyEntry, which is harmless only because no
			// such entry is ever proposed.
			name:  "a transaction whose count runs past the entry",
			data:  entryOf(c2(".multi", "3"), c2("SET", "c", "1"), c2("INCR", "c")),
			reply: "*3\r\n+OK\r\n:2\r\n",
			aof:   cmd("SET", "c", "1") + cmd("INCR", "c") + marker(11),
		},
		{
			name:  "an entry that does not decode",
			data:  []byte{entryMagic, entryVersion + 1, 0},
			reply: "-ERR malformed log entry\r\n",
		},
	}
	for i, tc := range cases {
		index := uint64(i + 1)
		before := incrAOF(t, f)
		out := f.Apply(&raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: tc.data})
		res, ok := out.(*Result)
		if !ok {
			t.Fatalf("%s: result %#v", tc.name, out)
		}
		if string(res.Reply) != tc.reply {
			t.Errorf("%s: reply\n got %q\nwant %q", tc.name, res.Reply, tc.reply)
		}
		switch {
		case tc.block == nil && res.Block != nil:
			t.Errorf("%s: asks to block on %v", tc.name, res.Block.Keys)
		case tc.block != nil && (res.Block == nil || len(res.Block.Keys) != 1 || res.Block.Keys[0] != tc.block.Keys[0] || res.Block.Timeout != tc.block.Timeout):
			t.Errorf("%s: block request %+v, want %+v", tc.name, res.Block, tc.block)
		}
		if got := incrAOF(t, f)[len(before):]; got != tc.aof {
			t.Errorf("%s: appended to the AOF\n got %q\nwant %q", tc.name, got, tc.aof)
		}
		if got := f.AppliedIndex(); got != index {
			t.Errorf("%s: applied index %d, want %d", tc.name, got, index)
		}
	}
}

// TestTransactionBatchAndReplay: a batch entry renders one reply per
// connection entry, each transaction bracketed on its own under one marker;
// a log index already applied (Raft replaying what the AOF holds) is skipped
// and leaves nothing; the AOF written loads back into the same dataset.
func TestTransactionBatchAndReplay(t *testing.T) {
	dir := t.TempDir()
	f := openTxFSM(t, dir)
	tx := entryOf(c2(".multi", "2"), c2("RPUSH", "l", "a", "b"), c2("LPOP", "l"))
	plain := entryOf(c2("SET", "k", "v"))
	tx2 := entryOf(c3(".multi", "2"), c3("LLEN", "l"), c3("HSET", "h", "f", "1"))
	out := f.ApplyBatch([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand, Data: EncodeBatch([][]byte{tx, plain, tx2})}})
	br, ok := out[0].(*BatchResult)
	if !ok || len(br.Results) != 3 {
		t.Fatalf("result %#v", out[0])
	}
	for i, want := range []string{"*2\r\n:2\r\n$1\r\na\r\n", "+OK\r\n", "*2\r\n:1\r\n:1\r\n"} {
		if got := string(br.Results[i].Reply); got != want {
			t.Errorf("entry %d: reply %q, want %q", i, got, want)
		}
	}
	wantAOF := cmd("SELECT", "0") + multi + cmd("RPUSH", "l", "a", "b") + cmd("LPOP", "l") + exec +
		cmd("SET", "k", "v") + cmd("HSET", "h", "f", "1") + marker(1)
	if got := incrAOF(t, f); got != wantAOF {
		t.Fatalf("AOF\n got %q\nwant %q", got, wantAOF)
	}
	if out := f.ApplyBatch([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand, Data: tx}}); out[0] != nil {
		t.Errorf("a replayed index produced %#v", out[0])
	}
	if got := incrAOF(t, f); got != wantAOF {
		t.Errorf("a replayed transaction reached the AOF: %q", got[len(wantAOF):])
	}
	want := digestOf(f)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f = openTxFSM(t, dir)
	defer f.Close()
	if digestOf(f) != want {
		t.Error("the dataset loaded from the AOF differs from the one that wrote it")
	}
	if got := f.AppliedIndex(); got != 1 {
		t.Errorf("applied index after reload %d, want 1", got)
	}
	if out := f.ApplyBatch([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand, Data: tx}}); out[0] != nil || digestOf(f) != want {
		t.Error("an index the AOF already holds was applied again after a restart")
	}
}
