package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/segment"
)

// walStore is raft-wal with room for entries larger than its records.
// raft-wal appends a record of any size but reads back none larger than
// segment.MaxEntrySize (64 MiB): a bigger one is "corrupt", and the node
// cannot even start again (raft reads the last entry on start). A Redis
// string may be 512 MB, so such an entry's data goes to a file of its own
// beside the segments (written and fsynced before the entry is appended),
// and the WAL record carries only bigMark in its Extensions.
type walStore struct {
	*wal.WAL
	dir string
}

const (
	// Well below segment.MaxEntrySize, so a record's other fields always
	// fit; an entry this large costs two more fsyncs (its file and the
	// directory), little beside writing its bytes.
	bigEntryMin    = segment.MaxEntrySize / 8
	bigEntryPrefix = "entry-"
	bigEntrySuffix = ".data"
)

// bigMark heads the Extensions of a record whose data is in its own file;
// the entry's own Extensions follow it.
var bigMark = []byte("\x00geomys-big-entry\x00")

func openWAL(dir string, logger hclog.Logger) (*walStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	w, err := wal.Open(dir, wal.WithLogger(logger.Named("wal")), wal.WithSegmentSize(segmentMax))
	if err != nil {
		return nil, fmt.Errorf("open raft log %s: %w", dir, err)
	}
	s := &walStore{WAL: w, dir: dir}
	first, err := w.FirstIndex()
	if err == nil {
		var last uint64
		last, err = w.LastIndex()
		if err == nil {
			// Files of entries that never were appended (a crash between the
			// file and the record) or were deleted (a crash mid-DeleteRange).
			err = s.removeBig(true, func(i uint64) bool { return last == 0 || i < first || i > last })
		}
	}
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open raft log %s: %w", dir, err)
	}
	return s, nil
}

// StoreLog stores one entry (through StoreLogs, for large ones).
func (s *walStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs appends logs, moving large entries' data to their own files.
// The caller's entries are not changed: raft's log cache keeps them.
func (s *walStore) StoreLogs(logs []*raft.Log) error {
	var out []*raft.Log
	for i, l := range logs {
		if len(l.Data)+len(l.Extensions) < bigEntryMin {
			continue
		}
		if out == nil {
			out = slices.Clone(logs)
		}
		if err := s.writeBig(l.Index, l.Data); err != nil {
			return err
		}
		c := *l
		c.Data = nil
		c.Extensions = append(slices.Clip(bigMark), l.Extensions...)
		out[i] = &c
	}
	if out == nil {
		return s.WAL.StoreLogs(logs)
	}
	// The files' names must be durable before a record points at them.
	if err := syncDir(s.dir); err != nil {
		return err
	}
	return s.WAL.StoreLogs(out)
}

// GetLog reads an entry, with its data from its own file if it has one.
func (s *walStore) GetLog(index uint64, l *raft.Log) error {
	// raft-wal drops a compacted head only with its whole segment and
	// still reads those entries from the tail segment. Raft must not see
	// them: a follower that needs them gets a snapshot, as with bolt,
	// rather than the whole history (replayed, with its expired writes).
	if first, err := s.WAL.FirstIndex(); err != nil {
		return err
	} else if index < first {
		return raft.ErrLogNotFound
	}
	if err := s.WAL.GetLog(index, l); err != nil {
		return err
	}
	if !bytes.HasPrefix(l.Extensions, bigMark) {
		return nil
	}
	data, err := os.ReadFile(s.bigPath(index))
	if err != nil {
		return fmt.Errorf("raft log entry %d: %w", index, err)
	}
	l.Data = data
	l.Extensions = l.Extensions[len(bigMark):]
	if len(l.Extensions) == 0 {
		l.Extensions = nil
	}
	return nil
}

// DeleteRange deletes entries min..max and their files.
func (s *walStore) DeleteRange(min, max uint64) error {
	if err := s.WAL.DeleteRange(min, max); err != nil {
		return err
	}
	// Not the unfinished files: raft compacts the head while it appends.
	return s.removeBig(false, func(i uint64) bool { return i >= min && i <= max })
}

func (s *walStore) bigPath(index uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s%020d%s", bigEntryPrefix, index, bigEntrySuffix))
}

func (s *walStore) writeBig(index uint64, data []byte) error {
	path := s.bigPath(index)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("raft log entry %d: %w", index, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("raft log entry %d: %w", index, err)
	}
	return nil
}

// removeBig removes the entry files whose index drop selects, and with
// unfinished those a crash left half written.
func (s *walStore) removeBig(unfinished bool, drop func(index uint64) bool) error {
	names, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", s.dir, err)
	}
	for _, e := range names {
		name := e.Name()
		if !strings.HasPrefix(name, bigEntryPrefix) {
			continue
		}
		num, done := strings.CutSuffix(strings.TrimPrefix(name, bigEntryPrefix), bigEntrySuffix)
		index, perr := strconv.ParseUint(num, 10, 64)
		if (done && perr == nil && drop(index)) || (unfinished && (!done || perr != nil)) {
			if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove %s: %w", name, err)
			}
		}
	}
	return nil
}
