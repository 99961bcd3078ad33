package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// Raft log stores (--raft-log). The stable store (term, vote) is always
// raft.db; the log lives in raft.db too ("bolt") or in the segment files of
// wal/ ("wal"). The wal/ directory is the single mark of which one holds
// the log: while it exists the WAL is authoritative, whatever raft.db's log
// bucket still contains. A node started with the other store than the one
// its log is in converts it once, before Raft starts, so an upgrade (bolt to
// wal) and a step back (wal to bolt) both keep every entry.
const (
	LogWAL  = "wal"
	LogBolt = "bolt"
	// DefaultRaftLog is the store a node without a log starts with.
	DefaultRaftLog = LogWAL

	walDir     = "wal"
	walTmpDir  = "wal.tmp" // a conversion to the WAL in progress
	walOldDir  = "wal.old" // a conversion from the WAL finished, being removed
	copyBatch  = 4 << 20   // bytes of entries per append while converting
	segmentMax = 64 << 20  // raft-wal's default segment size
)

// logStore is the opened Raft log and how to close it.
type logStore struct {
	raft.LogStore
	kind  string
	close func() error
}

// openLogStore opens (and if needed converts to) the log store kind in dir.
// stable is raft.db, which also holds the bolt log.
func openLogStore(dir, kind string, stable *raftboltdb.BoltStore, logger hclog.Logger, log *slog.Logger) (*logStore, error) {
	if kind == "" {
		kind = DefaultRaftLog
	}
	// Leftovers of an interrupted conversion: a wal.tmp never became the
	// log; a wal.old already stopped being it.
	for _, d := range []string{walTmpDir, walOldDir} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return nil, fmt.Errorf("remove %s: %w", d, err)
		}
	}
	haveWAL, err := dirExists(filepath.Join(dir, walDir))
	if err != nil {
		return nil, err
	}
	switch kind {
	case LogWAL:
		if !haveWAL {
			if err := boltToWAL(dir, stable, logger, log); err != nil {
				return nil, err
			}
		}
		w, err := openWAL(filepath.Join(dir, walDir), logger)
		if err != nil {
			return nil, err
		}
		// A conversion that stopped after the switch may have left the
		// old entries in raft.db: the WAL is the log now.
		if err := clearLog(stable); err != nil {
			w.Close()
			return nil, fmt.Errorf("clear the bolt log after the switch to wal: %w", err)
		}
		return &logStore{LogStore: w, kind: LogWAL, close: w.Close}, nil
	case LogBolt:
		if haveWAL {
			if err := walToBolt(dir, stable, logger, log); err != nil {
				return nil, err
			}
		}
		return &logStore{LogStore: stable, kind: LogBolt, close: func() error { return nil }}, nil
	default:
		return nil, fmt.Errorf("unknown raft log store %q (wal or bolt)", kind)
	}
}

// boltToWAL copies raft.db's log into a new WAL next to it and then makes it
// the log by renaming it into place (the switch is that one rename).
func boltToWAL(dir string, stable *raftboltdb.BoltStore, logger hclog.Logger, log *slog.Logger) error {
	last, err := stable.LastIndex()
	if err != nil {
		return fmt.Errorf("read the bolt log: %w", err)
	}
	if last > 0 {
		first, _ := stable.FirstIndex()
		log.Warn("converting the Raft log from bolt to wal", "first", first, "last", last)
	}
	tmp := filepath.Join(dir, walTmpDir)
	w, err := openWAL(tmp, logger)
	if err != nil {
		return err
	}
	if last > 0 {
		if err := copyLogs(w, stable, last); err != nil {
			w.Close()
			return fmt.Errorf("copy the bolt log to wal: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("close the new wal: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, walDir)); err != nil {
		return fmt.Errorf("switch to the new wal: %w", err)
	}
	return syncDir(dir)
}

// walToBolt copies the WAL into raft.db's (emptied) log bucket, then removes
// the WAL. Until the removal the WAL stays authoritative, so a crash half
// way just converts again on the next start.
func walToBolt(dir string, stable *raftboltdb.BoltStore, logger hclog.Logger, log *slog.Logger) error {
	w, err := openWAL(filepath.Join(dir, walDir), logger)
	if err != nil {
		return err
	}
	first, _ := w.FirstIndex()
	last, err := w.LastIndex()
	if err != nil {
		w.Close()
		return fmt.Errorf("read the wal: %w", err)
	}
	if last > 0 {
		log.Warn("converting the Raft log from wal to bolt", "first", first, "last", last)
	}
	err = clearLog(stable)
	if err == nil && last > 0 {
		err = copyLogs(stable, w, last)
	}
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy the wal to the bolt log: %w", err)
	}
	old := filepath.Join(dir, walOldDir)
	if err := os.Rename(filepath.Join(dir, walDir), old); err != nil {
		return fmt.Errorf("retire the wal: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// copyLogs appends src's entries up to last to the empty dst, in batches.
// Only the run of entries that ends at last is copied: a bolt log can hold
// older entries before a gap (raft leaves them when a follower installs a
// snapshot), which the WAL, gapless, cannot take and Raft no longer needs.
func copyLogs(dst, src raft.LogStore, last uint64) error {
	first, err := src.FirstIndex()
	if err != nil {
		return err
	}
	start := last
	for start > first {
		var e raft.Log
		if err := src.GetLog(start-1, &e); errors.Is(err, raft.ErrLogNotFound) {
			break
		} else if err != nil {
			return fmt.Errorf("read entry %d: %w", start-1, err)
		}
		start--
	}
	var batch []*raft.Log
	size := 0
	for i := start; i <= last; i++ {
		e := new(raft.Log)
		if err := src.GetLog(i, e); err != nil {
			return fmt.Errorf("read entry %d: %w", i, err)
		}
		batch = append(batch, e)
		size += len(e.Data)
		if size >= copyBatch || i == last {
			if err := dst.StoreLogs(batch); err != nil {
				return fmt.Errorf("write entries %d-%d: %w", batch[0].Index, i, err)
			}
			batch, size = batch[:0], 0
		}
	}
	return nil
}

// clearLog empties raft.db's log bucket (the stable keys stay).
func clearLog(s *raftboltdb.BoltStore) error {
	first, err := s.FirstIndex()
	if err != nil {
		return err
	}
	last, err := s.LastIndex()
	if err != nil || last == 0 {
		return err
	}
	return s.DeleteRange(first, last)
}

func dirExists(path string) (bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", path, err)
	}
	return st.IsDir(), nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
