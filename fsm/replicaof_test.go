package fsm

import (
	"bytes"
	"io"
	"log/slog"
	"testing"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// TestReplicaOfState: the master REPLICAOF names is log state: its replies,
// a restart and a snapshot install keep it, entries of the master's link
// are passed to SYNC replicas while the node's own writes are not, and a
// link entry applied after REPLICAOF NO ONE changes nothing.
func TestReplicaOfState(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Fsync: "always", Logger: slog.New(slog.DiscardHandler)}
	f, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	index := uint64(0)
	apply := func(cmds ...Cmd) string {
		index++
		return string(f.Apply(&raft.Log{Index: index, Term: 1, Type: raft.LogCommand, Data: entryOf(cmds...)}).(*Result).Reply)
	}
	var stream bytes.Buffer
	sync := f.AttachReplica("7.2.4", "0123456789012345678901234567890123456789", func(p []byte) { stream.Write(p) }, func() {})
	defer sync.Detach()

	if got := apply(c2(ReplicaOfCommand, "127.0.0.1", "6379")); got != "+OK\r\n" {
		t.Fatalf("replicaof = %q", got)
	}
	if got := apply(c2(ReplicaOfCommand, "127.0.0.1", "6379")); got != "+OK Already connected to specified master\r\n" {
		t.Fatalf("replicaof again = %q", got)
	}
	if m := f.Master(); m == nil || m.Host != "127.0.0.1" || m.Port != 6379 {
		t.Fatalf("master = %+v", m)
	}
	apply(c2(MasterCommand, "120"), c2("SET", "from", "master"))
	apply(c2("SET", "own", "write")) // a leftover of the node's own (a transaction running REPLICAOF)
	if f.MasterOffset() != 120 {
		t.Fatalf("master offset = %d", f.MasterOffset())
	}
	if want := cmd("SELECT", "0") + cmd("SET", "from", "master"); stream.String() != want {
		t.Fatalf("replica stream\n got %q\nwant %q", stream.String(), want)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	f, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if m := f.Master(); m == nil || m.Port != 6379 {
		t.Fatalf("after restart master = %+v", m)
	}
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	other, err := Open(Options{Dir: t.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if m := other.Master(); m == nil || m.Host != "127.0.0.1" || m.Port != 6379 {
		t.Fatalf("after snapshot install master = %+v", m)
	}

	index = f.AppliedIndex()
	if got := apply(c2(ReplicaOfCommand)); got != "+OK\r\n" || f.Master() != nil {
		t.Fatalf("replicaof no one = %q, master %+v", got, f.Master())
	}
	apply(c2(MasterCommand, "200"), c2("SET", "late", "1"))
	f.View(func(s *commands.Store) {
		if _, _, ok := s.DBs[0].Peek("late"); ok {
			t.Fatal("a link entry applied after REPLICAOF NO ONE wrote")
		}
	})
}
