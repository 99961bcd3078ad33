package cluster

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
)

// Disk full. When the Raft log cannot be written, hashicorp/raft fails the
// entries and the leader steps down; the election that follows must write
// the new term, and a failed term write panics. So the node keeps a reserve
// file next to the log: a failed log write deletes it, which leaves room for
// the term and vote writes (and the AOF), and the server refuses writes
// (-MISCONF) while the log is failing. Once a second the node writes the
// reserve again once the disk has room for it and as much again (rewriting
// it into the space its removal freed would prove nothing); writes then
// resume.

// diskReserve is the size of the reserve file: several of the largest
// entries the server proposes (1 MB each) plus the log store's own
// bookkeeping.
const diskReserve = 8 << 20

const reserveName = "disk-reserve"

// LogWriteError is a failed write of the Raft log (disk full, I/O error):
// the entry was not appended, so it was certainly not applied.
type LogWriteError struct{ Err error }

func (e *LogWriteError) Error() string { return "raft log write: " + e.Err.Error() }
func (e *LogWriteError) Unwrap() error { return e.Err }

type diskGuard struct {
	path string
	size int64
	log  *slog.Logger
	mu   sync.Mutex // serializes writes of the reserve
	err  atomic.Pointer[error]
}

func newDiskGuard(dir string, size int64, log *slog.Logger) *diskGuard {
	return &diskGuard{path: filepath.Join(dir, reserveName), size: size, log: log}
}

// failing is the last log write's error while the log cannot be written.
func (d *diskGuard) failing() error {
	if p := d.err.Load(); p != nil {
		return *p
	}
	return nil
}

func (d *diskGuard) failed(err error) {
	if d.err.Swap(&err) == nil {
		d.log.Error("Raft log write failed; write commands are refused (-MISCONF) until it can be written again: free space on its disk", "err", err)
	}
	os.Remove(d.path)
}

// fill writes the reserve file in full and syncs it; on failure it removes
// what it wrote, so the space stays available.
func (d *diskGuard) fill() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, err := os.Stat(d.path); err == nil && st.Size() == d.size {
		return nil
	}
	f, err := os.OpenFile(d.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", d.path, err)
	}
	_, err = io.CopyN(f, zeros{}, d.size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(d.path)
		return fmt.Errorf("write %s: %w", d.path, err)
	}
	return nil
}

// retry writes the reserve again while the log is failing; success means
// there is room, and writes resume.
func (d *diskGuard) retry() {
	if d.failing() == nil {
		return
	}
	if st, err := os.Stat(d.path); err != nil || st.Size() != d.size {
		if free, ok := diskFree(filepath.Dir(d.path)); ok && free < 2*d.size {
			return
		}
	}
	if err := d.fill(); err != nil {
		return
	}
	d.err.Store(nil)
	d.log.Warn("Raft log disk has room again; writes resume")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// guardedLogs wraps the Raft log store twice: inside raft's LogCache, to
// see the store's own error (the cache flattens it to text), and outside, to
// hand hashicorp/raft a LogWriteError carrying it.
type guardedLogs struct {
	raft.LogStore
	d     *diskGuard
	outer bool
	// clock, on the outer wrapper, times each write (stages.go).
	clock *stageClock
}

func (g guardedLogs) StoreLog(l *raft.Log) error { return g.StoreLogs([]*raft.Log{l}) }

func (g guardedLogs) StoreLogs(logs []*raft.Log) error {
	var start int64
	if g.clock != nil {
		start = time.Now().UnixNano()
	}
	err := g.LogStore.StoreLogs(logs)
	if g.clock != nil && err == nil {
		g.clock.stored(logs, start, time.Now().UnixNano())
	}
	switch {
	case err == nil:
		return nil
	case !g.outer:
		g.d.failed(err)
		return err
	}
	if cause := g.d.failing(); cause != nil {
		err = cause
	}
	return &LogWriteError{Err: err}
}

// retryDisk retries the reserve and the AOF's pending writes.
func (n *Node) retryDisk() {
	n.disk.retry()
	n.fsm.RetryAOF()
}

// LogWriteError is the error of the last Raft log write while the log
// cannot be written (nil otherwise): the server then refuses writes.
func (n *Node) LogWriteError() error { return n.disk.failing() }

// IsLogWriteError reports whether err is a failed Raft log write.
func IsLogWriteError(err error) bool {
	var lw *LogWriteError
	return errors.As(err, &lw)
}
