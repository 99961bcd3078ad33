package fsm

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// TestReloadDuringSnapshot: DEBUG RELOAD (plain and NOSAVE) keeps the data,
// a snapshot begun before it still dumps the dataset as it was at its start,
// and a restart from the AOF finds what the reloads left.
func TestReloadDuringSnapshot(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, Fsync: "no", Logger: slog.New(slog.DiscardHandler)}
	f, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	idx := uint64(0)
	apply := func(cmds ...[][]byte) string {
		t.Helper()
		idx++
		out := f.ApplyBatch([]*raft.Log{{Index: idx, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(cmds...)}})
		return string(out[0].(*Result).Reply)
	}
	apply(bs("SET", "s", "v"), bs("RPUSH", "l", "a", "b"), bs("HSET", "h", "f", "1"), bs("ZADD", "z", "1.5", "m"),
		bs("SADD", "set", "1", "x"), bs("XADD", "x", "1-1", "f", "v"), bs("PEXPIREAT", "s", "99999999999999"))
	atStart := digestOf(f)

	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if r := apply(bs(ReloadCommand)); r != "+OK\r\n" {
		t.Fatalf("reload: %q", r)
	}
	if d := digestOf(f); d != atStart {
		t.Fatalf("digest changed by a plain reload")
	}
	apply(bs("SET", "later", "1"), bs("DEL", "h"))
	beforeNosave := digestOf(f)
	if r := apply(bs(ReloadCommand, "nosave")); r != "+OK\r\n" {
		t.Fatalf("reload nosave: %q", r)
	}
	// What a node has persisted is its dataset: NOSAVE loads it as it is.
	if d := digestOf(f); d != beforeNosave {
		t.Fatalf("RELOAD NOSAVE changed the dataset")
	}
	if r := apply(bs(ReloadCommand, "noflush")); r != "-ERR Error trying to load the RDB dump\r\n" {
		t.Fatalf("reload noflush over the same keys: %q", r)
	}
	if r := apply(bs(ReloadCommand, "bogus")); r != "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n" {
		t.Fatalf("reload bogus: %q", r)
	}
	apply(bs("SET", "final", "1"))
	final := digestOf(f)

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
	if d := digestOf(other); d != atStart {
		t.Errorf("the snapshot begun before the reloads does not hold the dataset of its start")
	}

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	f, err = Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if d := digestOf(f); d != final {
		t.Errorf("after a restart from the AOF the dataset differs from before it")
	}
	if got := f.AppliedIndex(); got != idx {
		t.Errorf("applied index after restart %d, want %d (reload entries must not be replayed)", got, idx)
	}
}
