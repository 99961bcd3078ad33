package cluster

import (
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
)

// snapshotSyncEvery is how much of a Raft snapshot is written between
// fsyncs, as the AOF base's (aof.incrementalSync).
const snapshotSyncEvery = 4 << 20

// syncingSnapshots is the file snapshot store with incremental fsyncs:
// raft's sink fsyncs only when it is closed, and hundreds of megabytes of
// dirty pages flushed at once made the Raft log's fsync of each write wait
// behind them (80 ms at 1,000,000 keys).
type syncingSnapshots struct {
	*raft.FileSnapshotStore
	dir string // the store's parent directory, as given to raft
}

func (s syncingSnapshots) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.FileSnapshotStore.Create(version, index, term, configuration, configurationIndex, trans)
	if err != nil {
		return nil, err
	}
	// raft writes the state to <dir>/snapshots/<id>.tmp/state.bin until
	// Close renames it; the fsyncs go through a descriptor of our own.
	path := filepath.Join(s.dir, "snapshots", sink.ID()+".tmp", "state.bin")
	return &syncingSink{SnapshotSink: sink, path: path}, nil
}

type syncingSink struct {
	raft.SnapshotSink
	path     string
	f        *os.File
	unsynced int
	failed   bool // the state file could not be opened: leave it to Close
}

func (s *syncingSink) Write(p []byte) (int, error) {
	n, err := s.SnapshotSink.Write(p)
	s.unsynced += n
	if err == nil && s.unsynced >= snapshotSyncEvery && !s.failed {
		s.unsynced = 0
		if s.f == nil {
			if s.f, err = os.Open(s.path); err != nil {
				s.failed = true
				return n, nil
			}
		}
		// Best effort: what the sink's own buffer holds is synced by Close.
		_ = s.f.Sync()
	}
	return n, err
}

func (s *syncingSink) Close() error {
	s.closeFile()
	return s.SnapshotSink.Close()
}

func (s *syncingSink) Cancel() error {
	s.closeFile()
	return s.SnapshotSink.Cancel()
}

func (s *syncingSink) closeFile() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
