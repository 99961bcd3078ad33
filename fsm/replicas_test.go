package fsm

import (
	"bytes"
	"testing"

	"github.com/geomys/geomys/rdb"
	"github.com/hashicorp/raft"
)

// TestReplicaStream checks what an attached replica receives: an RDB of the
// entries applied before it attached, then exactly the later entries'
// commands, a SELECT first, without the AOF's annotations.
func TestReplicaStream(t *testing.T) {
	f := openTxFSM(t, t.TempDir())
	defer f.Close()
	apply := func(index uint64, cmds ...Cmd) {
		f.Apply(&raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: entryOf(cmds...)})
	}
	apply(1, c2("set", "before", "1"))
	var got bytes.Buffer
	lost := false
	sync := f.AttachReplica("7.0.15", "0123456789012345678901234567890123456789", func(p []byte) { got.Write(p) }, func() { lost = true })
	keys := 0
	if _, err := rdb.ReadFile(sync.RDB, func(r rdb.Record) error { keys++; return nil }); err != nil || keys != 1 || sync.Index != 1 {
		t.Fatalf("rdb: %d keys at index %d, err %v", keys, sync.Index, err)
	}
	apply(2, c2("set", "after", "2"))
	apply(3, inDB(2, c2("incr", "n")), c2("del", "before"))
	want := cmd("SELECT", "0") + cmd("SET", "after", "2") + cmd("SELECT", "2") + cmd("incr", "n") +
		cmd("SELECT", "0") + cmd("del", "before")
	if got.String() != want {
		t.Fatalf("stream\n got %q\nwant %q", got.String(), want)
	}
	sync.Detach()
	apply(4, c2("set", "late", "3"))
	if got.String() != want {
		t.Fatal("a detached replica still receives entries")
	}
	if lost {
		t.Fatal("lost called without a snapshot restore")
	}
}

func TestReplicaStreamDropsAnnotations(t *testing.T) {
	in := "#geomys:applied 3 17\r\n" + cmd("SET", "k", "v\r\n#x") + "#note\r\n" + cmd("PING")
	if got := string(replicaStream(nil, []byte(in))); got != cmd("SET", "k", "v\r\n#x")+cmd("PING") {
		t.Fatalf("got %q", got)
	}
}
