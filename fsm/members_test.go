package fsm

import (
	"bytes"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

type memSink struct {
	bytes.Buffer
}

func (s *memSink) ID() string    { return "test" }
func (s *memSink) Cancel() error { return nil }
func (s *memSink) Close() error  { return nil }

// TestMembersSurviveRestartAndSnapshot: the member map is rebuilt from the
// AOF on restart and travels inside snapshots to another node.
func TestMembersSurviveRestartAndSnapshot(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Fsync: "always", Logger: slog.New(slog.DiscardHandler)}
	f, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	out := f.ApplyBatch([]*raft.Log{
		{Index: 1, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs(MemberCommand, "add", "a", "h1:6379", "h1:16379"), bs("SET", "k", "v"))},
		{Index: 2, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs(MemberCommand, "add", "b", "h2:6379", "h2:16379"))},
		{Index: 3, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs(MemberCommand, "add", "c", "h3:6379", "h3:16379"), bs(MemberCommand, "remove", "b"))},
		{Index: 4, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs(MemberCommand, "add", "bad id", "x", "y"))},
	})
	if r := out[0].(*Result); string(r.Reply) != "+OK\r\n+OK\r\n" {
		t.Fatalf("reply %q", r.Reply)
	}
	if r := out[3].(*Result); !bytes.HasPrefix(r.Reply, []byte("-ERR")) {
		t.Fatalf("a member id with a space was accepted: %q", r.Reply)
	}
	want := []Member{{"a", "h1:6379", "h1:16379"}, {"c", "h3:6379", "h3:16379"}}
	if got := f.Members(); !reflect.DeepEqual(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	f, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.Members(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart members %v, want %v", got, want)
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
	if got := other.Members(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after snapshot install members %v, want %v", got, want)
	}
	if got := other.AppliedIndex(); got != 4 {
		t.Fatalf("applied index after install %d, want 4", got)
	}
}
