package cluster

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// TestLogStoreConversion: a bolt log with a gap (older entries left before a
// snapshot install) becomes a WAL of the entries after the gap, and the
// WAL goes back into raft.db; leftovers of an interrupted conversion go.
func TestLogStoreConversion(t *testing.T) {
	dir := t.TempDir()
	bolt, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	var logs []*raft.Log
	for _, i := range []uint64{1, 2, 3, 20, 21, 22, 23} {
		logs = append(logs, &raft.Log{Index: i, Term: 2, Type: raft.LogCommand, Data: []byte{byte(i)}})
	}
	if err := bolt.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := bolt.SetUint64([]byte("CurrentTerm"), 2); err != nil {
		t.Fatal(err)
	}
	// A conversion that stopped before its switch.
	if err := os.MkdirAll(filepath.Join(dir, walTmpDir), 0o755); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)

	s, err := openLogStore(dir, LogWAL, bolt, hclog.NewNullLogger(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, "wal", s, 20, 23)
	if last, _ := bolt.LastIndex(); last != 0 {
		t.Fatalf("raft.db still holds a log up to %d", last)
	}
	if term, _ := bolt.GetUint64([]byte("CurrentTerm")); term != 2 {
		t.Fatalf("stable store lost its term: %d", term)
	}
	if _, err := os.Stat(filepath.Join(dir, walTmpDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("wal.tmp left: %v", err)
	}
	if err := s.StoreLogs([]*raft.Log{{Index: 24, Term: 2, Type: raft.LogCommand, Data: []byte{24}}}); err != nil {
		t.Fatal(err)
	}
	s.close()

	s, err = openLogStore(dir, LogBolt, bolt, hclog.NewNullLogger(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, "bolt", s, 20, 24)
	if _, err := os.Stat(filepath.Join(dir, walDir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("wal/ left after converting to bolt: %v", err)
	}
}

func wantRange(t *testing.T, name string, s *logStore, first, last uint64) {
	t.Helper()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != first || l != last {
		t.Fatalf("%s log holds %d..%d, want %d..%d", name, f, l, first, last)
	}
	for i := first; i <= last; i++ {
		var e raft.Log
		if err := s.GetLog(i, &e); err != nil || e.Term != 2 || len(e.Data) != 1 || e.Data[0] != byte(i) {
			t.Fatalf("%s entry %d: %+v, %v", name, i, e, err)
		}
	}
}
