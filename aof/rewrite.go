package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Rewrite is an AOF rewrite in progress (BGREWRITEAOF): a new base file
// being written while Appends go to the incr file StartRewrite opened.
// Write, Commit and Abort may be called from a goroutine other than the one
// that calls Append, but not concurrently with each other.
type Rewrite struct {
	a         *AOF
	tmp       *os.File
	bw        *bufio.Writer
	firstIncr int64 // seq of the incr file opened by StartRewrite
	written   int64
	synced    int64 // bytes of the new base made durable so far
	finished  bool
	canceled  bool // guarded by a.mu
	err       error
}

// StartRewrite marks the point in time of a rewrite. Call it while holding
// the lock that orders Appends: every Append after it goes to a new incr
// file, which the manifest lists at once (so a crash during the rewrite
// loses nothing), and the returned Rewrite writes a temp base file that
// should contain the dataset as of this moment. The previous incr file is
// fsynced (before the manifest changes, Appends wait for it) and closed.
// Only one rewrite may be in progress.
func (a *AOF) StartRewrite() (*Rewrite, error) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	if err := a.usable(); err != nil {
		a.mu.Unlock()
		return nil, err
	}
	if a.rw != nil {
		a.mu.Unlock()
		return nil, ErrRewriteInProgress
	}
	// Make the current incr file durable before the manifest lists a newer
	// one: only the last incr file may end in a torn batch that Load repairs.
	if err := a.datasync(a.f); err != nil {
		a.broken = fmt.Errorf("aof: fsync %s: %w", a.f.Name(), err)
		a.mu.Unlock()
		return nil, a.broken
	}
	a.dirty, a.bgErr = false, nil
	tmp, err := os.CreateTemp(a.dir, "temp-rewriteaof-*.aof")
	if err != nil {
		a.mu.Unlock()
		return nil, fmt.Errorf("aof: create temp base: %w", err)
	}
	nm := a.man.clone()
	nm.incrSeq++
	fi := fileInfo{name: a.incrName(nm.incrSeq), seq: nm.incrSeq, typ: typeIncr}
	nm.incrs = append(nm.incrs, fi)
	nf, err := a.newIncr(fi.name, nm)
	if err != nil {
		a.mu.Unlock()
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	old := a.f
	a.man, a.f, a.fSize = nm, nf, 0
	rw := &Rewrite{a: a, tmp: tmp, bw: bufio.NewWriterSize(tmp, 1<<20), firstIncr: fi.seq}
	a.rw = rw
	a.mu.Unlock()
	if err := old.Close(); err != nil {
		a.log.Warn("close of previous incr file failed; check the disk holding the data dir (the data is safe in the new file)", "file", old.Name(), "err", err)
	}
	a.log.Info("AOF rewrite started: created incr file", "file", fi.name, "temp_base", filepath.Base(tmp.Name()))
	return rw, nil
}

// usable is called with a.mu held.
func (a *AOF) usable() error {
	switch {
	case a.closed:
		return ErrClosed
	case a.broken != nil:
		return fmt.Errorf("aof: unusable after failed write: %w", a.broken)
	case !a.loaded:
		return ErrNotLoaded
	}
	return nil
}

// newIncr creates an empty incr file and persists manifest nm that lists it.
// Called with a.mu held.
func (a *AOF) newIncr(name string, nm *manifest) (*os.File, error) {
	nf, err := os.OpenFile(a.path(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("aof: create incr file: %w", err)
	}
	if err := writeManifest(a.dir, a.manifestName(), nm); err != nil {
		nf.Close()
		os.Remove(nf.Name())
		return nil, err
	}
	return nf, nil
}

// Write appends p to the new base file (buffered).
func (r *Rewrite) Write(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.finished {
		return 0, errors.New("aof: write to a finished rewrite")
	}
	n, err := r.bw.Write(p)
	r.written += int64(n)
	if err != nil {
		r.err = fmt.Errorf("aof: write temp base %s: %w", r.tmp.Name(), err)
		return n, r.err
	}
	if r.written-r.synced >= incrementalSync {
		if err := r.bw.Flush(); err != nil {
			r.err = fmt.Errorf("aof: write temp base %s: %w", r.tmp.Name(), err)
			return n, r.err
		}
		if err := fdatasync(r.tmp); err != nil {
			r.err = fmt.Errorf("aof: fsync temp base %s: %w", r.tmp.Name(), err)
			return n, r.err
		}
		r.synced = r.written
	}
	return n, nil
}

// incrementalSync is how much of a new base is written between fsyncs, as
// Redis' aof-rewrite-incremental-fsync: left to the final fsync, hundreds of
// megabytes of dirty pages made the Raft log's fsync of every write wait
// behind them (40-80 ms) while a snapshot was written.
const incrementalSync = 4 << 20

// Size returns the number of bytes written to the new base so far.
func (r *Rewrite) Size() int64 { return r.written }

// Commit fsyncs the new base, then atomically switches the manifest to the
// new base plus the incr files opened since StartRewrite, then removes the
// old base and incr files. On error the rewrite is aborted and the AOF keeps
// its previous files (plus the incr file StartRewrite added).
func (r *Rewrite) Commit() error {
	if r.finished {
		return errors.New("aof: rewrite already finished")
	}
	r.finished = true
	a := r.a
	err := r.err
	if err == nil {
		if ferr := r.bw.Flush(); ferr != nil {
			err = fmt.Errorf("aof: write temp base %s: %w", r.tmp.Name(), ferr)
		}
	}
	if err == nil {
		if serr := r.tmp.Sync(); serr != nil {
			err = fmt.Errorf("aof: fsync temp base %s: %w", r.tmp.Name(), serr)
		}
	}
	if cerr := r.tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("aof: close temp base %s: %w", r.tmp.Name(), cerr)
	}
	if err != nil {
		r.cleanup()
		return err
	}

	a.mu.Lock()
	if r.canceled || a.rw != r {
		a.mu.Unlock()
		os.Remove(r.tmp.Name())
		return ErrRewriteCanceled
	}
	a.rw = nil
	nm := a.man.clone()
	nm.baseSeq++
	nb := fileInfo{name: a.baseName(nm.baseSeq), seq: nm.baseSeq, typ: typeBase}
	nm.base = &nb
	var old []string
	if a.man.base != nil {
		old = append(old, a.man.base.name)
	}
	nm.incrs = nm.incrs[:0]
	var incrSize int64
	for _, fi := range a.man.incrs {
		if fi.seq < r.firstIncr {
			old = append(old, fi.name)
			continue
		}
		nm.incrs = append(nm.incrs, fi)
	}
	if err := os.Rename(r.tmp.Name(), a.path(nb.name)); err != nil {
		a.mu.Unlock()
		os.Remove(r.tmp.Name())
		return fmt.Errorf("aof: rename new base: %w", err)
	}
	if err := writeManifest(a.dir, a.manifestName(), nm); err != nil {
		a.mu.Unlock()
		os.Remove(a.path(nb.name))
		return err
	}
	for _, fi := range nm.incrs {
		if st, err := os.Stat(a.path(fi.name)); err == nil {
			incrSize += st.Size()
		}
	}
	a.man = nm
	a.baseSize.Store(r.written)
	a.incrSize.Store(incrSize)
	a.rewrites.Add(1)
	a.mu.Unlock()
	a.log.Info("AOF rewrite committed", "base", nb.name, "base_size", r.written)
	for _, name := range old {
		a.remove(name, "file replaced by rewrite")
	}
	return nil
}

// Abort abandons the rewrite and removes its temp base. The incr file
// StartRewrite opened stays (the manifest then lists several incr files, as
// after a failed BGREWRITEAOF). Abort after Commit is a no-op.
func (r *Rewrite) Abort() {
	if r.finished {
		return
	}
	r.finished = true
	r.tmp.Close()
	r.cleanup()
}

func (r *Rewrite) cleanup() {
	os.Remove(r.tmp.Name())
	a := r.a
	a.mu.Lock()
	if a.rw == r {
		a.rw = nil
	}
	a.mu.Unlock()
	a.log.Info("AOF rewrite aborted", "temp_base", filepath.Base(r.tmp.Name()))
}

// InstallBase replaces the whole AOF with a base read from rd (a snapshot
// from the Raft leader, as produced by OpenBase): the data is written to a
// temp file and fsynced, then a new base and a new empty incr file are
// switched in by one manifest update, and the old files are removed. A
// rewrite in progress is canceled (its Commit returns ErrRewriteCanceled).
// Appends must not run concurrently (they would land in a file that is about
// to be deleted). Afterwards Append is allowed without Load; Load replays the
// new base.
func (a *AOF) InstallBase(rd io.Reader) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrClosed
	}
	a.mu.Unlock()
	tmp, err := os.CreateTemp(a.dir, "temp-installbase-*.aof")
	if err != nil {
		return fmt.Errorf("aof: create temp base: %w", err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	n, err := io.Copy(bw, rd)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("aof: write received base: %w", err)
	}

	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		os.Remove(tmp.Name())
		return ErrClosed
	}
	if a.rw != nil {
		a.rw.canceled = true
		a.rw = nil
		a.log.Warn("AOF rewrite canceled by InstallBase (a snapshot from the leader replaced the data); nothing to do, the next rewrite runs as scheduled")
	}
	nm := a.man.clone()
	nm.baseSeq++
	nb := fileInfo{name: a.baseName(nm.baseSeq), seq: nm.baseSeq, typ: typeBase}
	nm.base = &nb
	nm.incrSeq++
	ni := fileInfo{name: a.incrName(nm.incrSeq), seq: nm.incrSeq, typ: typeIncr}
	nm.incrs = []fileInfo{ni}
	nm.history = nil
	if err := os.Rename(tmp.Name(), a.path(nb.name)); err != nil {
		a.mu.Unlock()
		os.Remove(tmp.Name())
		return fmt.Errorf("aof: rename received base: %w", err)
	}
	nf, err := a.newIncr(ni.name, nm)
	if err != nil {
		a.mu.Unlock()
		os.Remove(a.path(nb.name))
		return err
	}
	old := a.man.files()
	oldF := a.f
	a.man, a.f, a.fSize, a.dirty = nm, nf, 0, false
	a.loaded = true
	a.broken, a.bgErr = nil, nil
	a.baseSize.Store(n)
	a.incrSize.Store(0)
	a.mu.Unlock()
	oldF.Close()
	a.log.Info("AOF base installed", "base", nb.name, "base_size", n, "incr", ni.name)
	for _, name := range old {
		a.remove(name, "file replaced by installed base")
	}
	return nil
}
