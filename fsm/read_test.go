package fsm

import (
	"testing"

	"github.com/hashicorp/raft"
)

// rd marks c as a read riding in its entry, as the server adds it.
func rd(c Cmd) Cmd { c.Proto |= ProtoRead; return c }

// entryWithReadsAt is entryOf with the entry's time.
func entryWithReadsAt(ms int64, cmds ...Cmd) []byte {
	var w EntryWriter
	w.Reset(ms)
	for _, c := range cmds {
		w.Add(c.DB, c.Proto, c.Args)
	}
	return w.Bytes()
}

// TestReadsRideEntries: reads in an entry answer, on the node that reads
// the entry's result, exactly the writes before them, at the entry's time,
// in the client's protocol; they count hits and misses and report a key
// they find expired without deleting it. On a node that does not read the
// result they are skipped, and either way the AOF and the dataset are
// exactly those of the writes alone.
func TestReadsRideEntries(t *testing.T) {
	const t1, t2 = entryTime, entryTime + 50
	withReads := [][]byte{
		entryWithReadsAt(t1, c2("SET", "k", "1"), rd(c2("GET", "k")), c2("SET", "k", "2"), rd(c2("GET", "k")),
			c2("SET", "e", "v", "PX", "10"), rd(c2("PTTL", "e")), c3("HSET", "h", "f", "v"), rd(c3("HGETALL", "h")),
			rd(c2("GET", "nope")), rd(c2("GET", "h")), rd(inDB(2, c2("EXISTS", "k")))),
		// e expired 40 ms before this entry: its reads miss it, the write
		// after them deletes it (and propagates the DEL) as writes do.
		entryWithReadsAt(t2, c2("INCR", "n"), rd(c2("GET", "e")), rd(c2("EXISTS", "e")), c2("APPEND", "e", "x"), rd(c2("GET", "e"))),
		// A command that may not ride is refused, changing nothing.
		entryWithReadsAt(t2, c2("SET", "z", "1"), rd(c2("PFCOUNT", "z")), rd(c2("SET", "z", "2")), rd(c2("GET", "z"))),
	}
	writesOnly := [][]byte{
		entryWithReadsAt(t1, c2("SET", "k", "1"), c2("SET", "k", "2"), c2("SET", "e", "v", "PX", "10"), c3("HSET", "h", "f", "v")),
		entryWithReadsAt(t2, c2("INCR", "n"), c2("APPEND", "e", "x")),
		entryWithReadsAt(t2, c2("SET", "z", "1")),
	}
	logsOf := func(entries [][]byte) []*raft.Log {
		var logs []*raft.Log
		for i, e := range entries {
			logs = append(logs, &raft.Log{Index: uint64(i + 1), Term: 1, Type: raft.LogCommand, Data: e})
		}
		return logs
	}
	fRead, fSkip, fWrites := openTxFSM(t, t.TempDir()), openTxFSM(t, t.TempDir()), openTxFSM(t, t.TempDir())
	defer fRead.Close()
	defer fSkip.Close()
	defer fWrites.Close()
	out := fRead.ApplyBatchFor(logsOf(withReads), nil)
	if skipped := fSkip.ApplyBatchFor(logsOf(withReads), noneReplied); skipped[0] != nil {
		t.Errorf("an unread entry gave a result: %#v", skipped[0])
	}
	fWrites.ApplyBatchFor(logsOf(writesOnly), noneReplied)

	want := []string{
		"+OK\r\n$1\r\n1\r\n+OK\r\n$1\r\n2\r\n+OK\r\n:10\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n$-1\r\n" +
			"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:0\r\n",
		":1\r\n$-1\r\n:0\r\n:1\r\n$1\r\nx\r\n",
		"+OK\r\n-ERR unknown command 'PFCOUNT'\r\n-ERR unknown command 'SET'\r\n$1\r\n1\r\n",
	}
	for i, o := range out {
		if got := replyOf(o); got != want[i] {
			t.Errorf("entry %d answered\n%q\nwant\n%q", i+1, got, want[i])
		}
	}
	// Hits: GET k twice, PTTL e, HGETALL h, GET h (wrong type); misses:
	// GET nope, EXISTS k in db 2.
	if r := out[0].(*Result); r.Hits != 5 || r.Misses != 2 || len(r.Expired) != 0 {
		t.Errorf("entry 1: hits %d, misses %d, expired %v", r.Hits, r.Misses, r.Expired)
	}
	// GET e and EXISTS e met e expired; the last GET found APPEND's new e.
	if r := out[1].(*Result); r.Hits != 1 || r.Misses != 2 || len(r.Expired) != 2 || r.Expired[0].Key != "e" {
		t.Errorf("entry 2: hits %d, misses %d, expired %v", r.Hits, r.Misses, r.Expired)
	}
	for _, o := range out {
		o.(*Result).Release()
	}
	for _, f := range []struct {
		name string
		f    *FSM
	}{{"reads skipped", fSkip}, {"reads run", fRead}} {
		if got, want := incrAOF(t, f.f), incrAOF(t, fWrites); got != want {
			t.Errorf("%s: AOF\n%q\nwant the writes' alone\n%q", f.name, got, want)
		}
		if digestOf(f.f) != digestOf(fWrites) {
			t.Errorf("%s: the dataset differs from the writes' alone", f.name)
		}
	}
}
