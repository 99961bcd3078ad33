package cluster

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// TestWALStoreLargeEntries: an entry too large for a WAL record keeps its
// data in a file of its own, read back after a reopen and deleted with the
// entry; files no entry points at are removed on open.
func TestWALStoreLargeEntries(t *testing.T) {
	dir := t.TempDir()
	s, err := openWAL(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("b"), bigEntryMin+10)
	logs := make([]*raft.Log, 5)
	for i := range logs {
		logs[i] = &raft.Log{Index: uint64(i + 1), Term: 1, Type: raft.LogCommand, Data: []byte{byte('a' + i)}}
	}
	logs[2].Data = big
	logs[2].Extensions = []byte("ext")
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if len(logs[2].Data) != len(big) || string(logs[2].Extensions) != "ext" {
		t.Fatal("StoreLogs changed the caller's entry (raft's log cache keeps it)")
	}
	// Files a crash left: one for an entry never appended, one half written.
	for _, name := range []string{"entry-00000000000000000009.data", "entry-00000000000000000006.data.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = openWAL(dir, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "entry-*"))
	if len(files) != 1 || filepath.Base(files[0]) != "entry-00000000000000000003.data" {
		t.Fatalf("entry files after reopen: %v", files)
	}
	for i, want := range logs {
		var got raft.Log
		if err := s.GetLog(uint64(i+1), &got); err != nil {
			t.Fatalf("GetLog(%d): %v", i+1, err)
		}
		if !bytes.Equal(got.Data, want.Data) || !bytes.Equal(got.Extensions, want.Extensions) {
			t.Fatalf("entry %d: %d bytes, extensions %q; want %d, %q", i+1, len(got.Data), got.Extensions, len(want.Data), want.Extensions)
		}
	}
	if err := s.DeleteRange(1, 3); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "entry-*")); len(files) != 0 {
		t.Fatalf("entry files after their entries were deleted: %v", files)
	}
	if first, _ := s.FirstIndex(); first != 4 {
		t.Fatalf("FirstIndex %d, want 4", first)
	}
	// raft-wal itself still reads them from the tail segment.
	var gone raft.Log
	if err := s.GetLog(2, &gone); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("GetLog of a deleted entry: %v, want %v", err, raft.ErrLogNotFound)
	}
}
