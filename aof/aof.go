package aof

import (
	"errors"
	"fmt"
	"github.com/geomys/geomys/internal/hist"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fsync policies, as Redis' appendfsync.
const (
	FsyncAlways   = "always"
	FsyncEverySec = "everysec"
	FsyncNo       = "no"
)

// DefaultName is Redis' default appendfilename.
const DefaultName = "appendonly.aof"

// Options configures Open.
type Options struct {
	// Dir is the AOF directory itself (Redis' <dir>/<appenddirname>). It is
	// created if missing.
	Dir string
	// Fsync is "always", "everysec" (the default when empty) or "no".
	Fsync string
	// Logger receives warnings (truncated tails, failed background fsyncs)
	// and notices (files created and removed). Default slog.Default().
	Logger *slog.Logger
	// Name is the file name prefix, Redis' appendfilename. Default
	// "appendonly.aof".
	Name string
	// MaxArgs and MaxBulkLen bound what Load accepts for one command
	// (defaults DefaultMaxArgs, DefaultMaxBulkLen).
	MaxArgs    int
	MaxBulkLen int64
	// SyncInterval is the everysec period (default 1s; for tests).
	SyncInterval time.Duration
}

var (
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("aof: closed")
	// ErrNotLoaded is returned by Append and StartRewrite while the last
	// incr file is non-empty and Load has not run yet: its tail may be a
	// torn batch that Load must cut off before anything is appended.
	ErrNotLoaded = errors.New("aof: Load must run before appending to a non-empty AOF")
	// ErrRewriteInProgress is returned by StartRewrite while another rewrite
	// has not been committed or aborted.
	ErrRewriteInProgress = errors.New("aof: rewrite already in progress")
	// ErrRewriteCanceled is returned by Commit when InstallBase or Close
	// canceled the rewrite.
	ErrRewriteCanceled = errors.New("aof: rewrite canceled")
)

// AOF is a Redis 7 multi-part append-only file directory.
type AOF struct {
	dir      string
	name     string
	fsync    string
	log      *slog.Logger
	maxArgs  int
	maxBulk  int64
	interval time.Duration

	// syncMu serializes fsyncs of the current incr file with switching and
	// closing it. Lock order: syncMu, then mu.
	syncMu sync.Mutex

	mu       sync.Mutex
	man      *manifest
	f        *os.File // current (last) incr file, opened O_APPEND
	fSize    int64    // size of f
	dirty    bool     // written since the last fsync
	loaded   bool     // Append allowed (see ErrNotLoaded)
	closed   bool
	broken   error // a failed write could not be undone: no more appends
	bgErr    error // last background fsync failed
	rw       *Rewrite
	tempSeq  int
	baseSize atomic.Int64
	incrSize atomic.Int64 // sum of all incr files in the manifest
	fsyncs   hist.Histogram
	rewrites atomic.Int64 // rewrites committed since Open

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (or creates) the AOF directory. A new directory gets an empty
// base and an empty incr file and a manifest pointing at both, like the one
// redis-server creates when it starts with an empty dataset. Files the
// manifest does not reference (left by a crash in a rewrite) and temp-* files
// are removed. The last incr file is opened for appending; if it is not empty
// Load must run before Append.
func Open(opts Options) (*AOF, error) {
	a := &AOF{
		dir:      opts.Dir,
		name:     opts.Name,
		fsync:    opts.Fsync,
		log:      opts.Logger,
		maxArgs:  opts.MaxArgs,
		maxBulk:  opts.MaxBulkLen,
		interval: opts.SyncInterval,
	}
	if a.dir == "" {
		return nil, errors.New("aof: Options.Dir is required")
	}
	if a.name == "" {
		a.name = DefaultName
	}
	if strings.ContainsAny(a.name, " \t\r\n\"'/\\") {
		return nil, fmt.Errorf("aof: invalid file name %q", a.name)
	}
	switch a.fsync {
	case "":
		a.fsync = FsyncEverySec
	default:
		if !ValidFsync(a.fsync) {
			return nil, fmt.Errorf("aof: invalid fsync policy %q (want always, everysec or no)", a.fsync)
		}
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.log = a.log.With("component", "aof")
	if a.maxArgs <= 0 {
		a.maxArgs = DefaultMaxArgs
	}
	if a.maxBulk <= 0 {
		a.maxBulk = DefaultMaxBulkLen
	}
	if a.interval <= 0 {
		a.interval = time.Second
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return nil, fmt.Errorf("aof: create dir: %w", err)
	}
	if err := a.openFiles(); err != nil {
		return nil, err
	}
	// The everysec goroutine runs whatever the policy: SetFsync may switch
	// to everysec later, and under another policy it does nothing.
	a.stop = make(chan struct{})
	a.done = make(chan struct{})
	go a.syncLoop()
	return a, nil
}

// ValidFsync reports whether p is an fsync policy Open and SetFsync take.
func ValidFsync(p string) bool {
	return p == FsyncAlways || p == FsyncEverySec || p == FsyncNo
}

func (a *AOF) manifestName() string { return a.name + ".manifest" }
func (a *AOF) path(name string) string {
	return filepath.Join(a.dir, name)
}
func (a *AOF) baseName(seq int64) string {
	return a.name + "." + strconv.FormatInt(seq, 10) + ".base.aof"
}
func (a *AOF) incrName(seq int64) string {
	return a.name + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

// ownFile matches the names of base and incr files this directory may hold.
func (a *AOF) ownFile() *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(a.name) + `\.[0-9]+\.(base\.(aof|rdb)|incr\.aof)$`)
}

func (a *AOF) openFiles() error {
	data, err := os.ReadFile(a.path(a.manifestName()))
	var m *manifest
	switch {
	case err == nil:
		m, err = parseManifest(data, a.manifestName())
		if err != nil {
			return err
		}
	case errors.Is(err, os.ErrNotExist):
		m, err = a.initDir()
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("aof: read manifest: %w", err)
	}
	dirty := false
	if len(m.history) > 0 {
		// Redis keeps replaced files as history until it deletes them;
		// we never load them.
		for _, h := range m.history {
			a.remove(h.name, "history file")
		}
		m.history = nil
		dirty = true
	}
	if len(m.incrs) == 0 {
		m.incrSeq++
		fi := fileInfo{name: a.incrName(m.incrSeq), seq: m.incrSeq, typ: typeIncr}
		f, err := os.OpenFile(a.path(fi.name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("aof: create incr file: %w", err)
		}
		f.Close()
		m.incrs = append(m.incrs, fi)
		dirty = true
		a.log.Info("created AOF incr file", "file", fi.name)
	}
	if dirty {
		if err := writeManifest(a.dir, a.manifestName(), m); err != nil {
			return err
		}
	}
	a.gc(m)

	var baseSize, incrSize int64
	if m.base != nil {
		st, err := os.Stat(a.path(m.base.name))
		if err != nil {
			return fmt.Errorf("aof: base file %s named in the manifest: %w", m.base.name, err)
		}
		baseSize = st.Size()
	}
	for _, fi := range m.incrs {
		st, err := os.Stat(a.path(fi.name))
		if err != nil {
			return fmt.Errorf("aof: incr file %s named in the manifest: %w", fi.name, err)
		}
		incrSize += st.Size()
	}
	last := m.incrs[len(m.incrs)-1]
	f, err := os.OpenFile(a.path(last.name), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("aof: open incr file %s for appending: %w", last.name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("aof: stat %s: %w", last.name, err)
	}
	a.man = m
	a.f = f
	a.fSize = st.Size()
	a.loaded = a.fSize == 0
	a.baseSize.Store(baseSize)
	a.incrSize.Store(incrSize)
	return nil
}

// initDir creates the files of a new AOF: an empty base, an empty incr file
// and the manifest. It refuses to do so over non-empty AOF files without a
// manifest (a lost manifest must not silently become an empty dataset).
func (a *AOF) initDir() (*manifest, error) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, fmt.Errorf("aof: read dir: %w", err)
	}
	own := a.ownFile()
	for _, e := range ents {
		if !own.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("aof: stat %s: %w", e.Name(), err)
		}
		if info.Size() > 0 {
			return nil, fmt.Errorf("aof: %s: found non-empty AOF file %s but no manifest %s", a.dir, e.Name(), a.manifestName())
		}
	}
	m := &manifest{baseSeq: 1, incrSeq: 1}
	m.base = &fileInfo{name: a.baseName(1), seq: 1, typ: typeBase}
	m.incrs = []fileInfo{{name: a.incrName(1), seq: 1, typ: typeIncr}}
	for _, name := range []string{m.base.name, m.incrs[0].name} {
		f, err := os.OpenFile(a.path(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("aof: create %s: %w", name, err)
		}
		f.Close()
	}
	if err := writeManifest(a.dir, a.manifestName(), m); err != nil {
		return nil, err
	}
	a.log.Info("created new AOF", "dir", a.dir, "base", m.base.name, "incr", m.incrs[0].name)
	return m, nil
}

// gc removes temp-* files and base/incr files the manifest does not name.
func (a *AOF) gc(m *manifest) {
	ents, err := os.ReadDir(a.dir)
	if err != nil {
		a.log.Warn("cannot list AOF dir for cleanup; check the data dir's permissions, old AOF files may remain until then", "dir", a.dir, "err", err)
		return
	}
	keep := map[string]bool{}
	for _, n := range m.files() {
		keep[n] = true
	}
	own := a.ownFile()
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || keep[n] {
			continue
		}
		if strings.HasPrefix(n, "temp-") || own.MatchString(n) {
			a.remove(n, "leftover file")
		}
	}
}

func (a *AOF) remove(name, what string) {
	if err := os.Remove(a.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.log.Warn("cannot remove AOF "+what+"; check the data dir's permissions, or remove the file by hand once Geomys stops", "file", name, "err", err)
		return
	}
	a.log.Info("removed AOF "+what, "file", name)
}

// Dir returns the AOF directory.
func (a *AOF) Dir() string { return a.dir }

// Fsync returns the fsync policy in use.
func (a *AOF) Fsync() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fsync
}

// SetFsync changes the fsync policy for the appends that follow, as CONFIG
// SET appendfsync does in Redis. What was written before and not yet
// fsynced goes to disk with the next fsync the new policy makes: the next
// Append under "always" (fdatasync covers the whole file), the next tick
// under "everysec", the kernel's writeback under "no".
func (a *AOF) SetFsync(p string) error {
	if !ValidFsync(p) {
		return fmt.Errorf("aof: invalid fsync policy %q (want always, everysec or no)", p)
	}
	a.mu.Lock()
	a.fsync = p
	a.mu.Unlock()
	return nil
}

// Sizes returns the size of the base file and the total size of the incr
// files (INFO persistence: aof_base_size is base, aof_current_size is
// base+incr). Lock-free.
func (a *AOF) Sizes() (base, incr int64) {
	return a.baseSize.Load(), a.incrSize.Load()
}

// Files returns the names of the base file ("" if none) and the incr files
// the manifest currently lists, in replay order.
func (a *AOF) Files() (base string, incrs []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.man.base != nil {
		base = a.man.base.name
	}
	for _, fi := range a.man.incrs {
		incrs = append(incrs, fi.name)
	}
	return base, incrs
}

// RewriteInProgress reports whether StartRewrite has been called and the
// rewrite is neither committed nor aborted.
func (a *AOF) RewriteInProgress() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rw != nil
}

// Append writes b to the current incr file with one write and, with fsync
// "always", fsyncs it before returning. b should hold whole batches, each
// ending with a marker annotation. It must not run concurrently with Load or
// InstallBase; it may run concurrently with a Rewrite's Write/Commit.
//
// When Append returns an error, nothing of b is in the file: a partial write
// is cut back off (as Redis does) and writes are refused while the last
// background fsync failed; the caller should keep b and retry it (prepended
// to the next buffer) rather than skip it, or the AOF gets a gap. If a failed
// write cannot be cut back, or an "always" fsync fails (then b may be in the
// file), the AOF is unusable: every later Append fails until InstallBase.
func (a *AOF) Append(b []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.appendable(); err != nil {
		return err
	}
	n, err := a.f.Write(b)
	return a.appended(n, err)
}

// AppendParts is Append for a batch given in parts, written one after the
// other: a big value goes to the file from where it is instead of being
// copied into one buffer first.
func (a *AOF) AppendParts(parts [][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.appendable(); err != nil {
		return err
	}
	total := 0
	for _, p := range parts {
		n, err := a.f.Write(p)
		total += n
		if err != nil {
			return a.appended(total, err)
		}
	}
	return a.appended(total, nil)
}

// appendable is why Append must not write now, if anything.
func (a *AOF) appendable() error {
	switch {
	case a.closed:
		return ErrClosed
	case a.broken != nil:
		return fmt.Errorf("aof: unusable after failed write: %w", a.broken)
	case !a.loaded:
		return ErrNotLoaded
	case a.bgErr != nil:
		return fmt.Errorf("aof: background fsync failed: %w", a.bgErr)
	}
	return nil
}

// appended finishes an Append that wrote n bytes and met err.
func (a *AOF) appended(n int, err error) error {
	if err != nil {
		werr := fmt.Errorf("aof: write %s: %w", a.f.Name(), err)
		if n > 0 {
			if terr := a.f.Truncate(a.fSize); terr != nil {
				a.broken = fmt.Errorf("%w (and truncating the partial write failed: %w)", werr, terr)
				a.log.Error("cannot remove partial write from AOF; check the disk holding the data dir, then restart the node (the load repairs the tail)", "file", a.f.Name(), "offset", a.fSize, "err", terr)
			}
		}
		return werr
	}
	a.fSize += int64(n)
	a.incrSize.Add(int64(n))
	if a.fsync == FsyncAlways {
		if err := a.datasync(a.f); err != nil {
			// Like Redis with appendfsync always: we cannot know what
			// reached the disk, so refuse further writes.
			a.broken = fmt.Errorf("aof: fsync %s: %w", a.f.Name(), err)
			return a.broken
		}
		return nil
	}
	a.dirty = true
	return nil
}

// datasync is fdatasync, timed for FsyncLatency.
func (a *AOF) datasync(f *os.File) error {
	start := time.Now()
	err := fdatasync(f)
	a.fsyncs.Observe(time.Since(start))
	return err
}

// FsyncLatency is how long the AOF's fsyncs took, since Open.
func (a *AOF) FsyncLatency() hist.Snapshot { return a.fsyncs.Snapshot() }

// Rewrites is the number of rewrites committed since Open.
func (a *AOF) Rewrites() int64 { return a.rewrites.Load() }

// Sync flushes the current incr file to disk (fsync), whatever the policy.
func (a *AOF) Sync() error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrClosed
	}
	f := a.f
	a.dirty = false
	a.mu.Unlock()
	if err := a.datasync(f); err != nil {
		a.mu.Lock()
		a.dirty = true
		a.mu.Unlock()
		return fmt.Errorf("aof: fsync %s: %w", f.Name(), err)
	}
	return nil
}

// syncLoop is the everysec fsync goroutine.
func (a *AOF) syncLoop() {
	defer close(a.done)
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		a.backgroundSync()
	}
}

func (a *AOF) backgroundSync() {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	if a.closed || !a.dirty || a.fsync != FsyncEverySec {
		a.mu.Unlock()
		return
	}
	f := a.f
	a.dirty = false
	a.mu.Unlock()
	err := a.datasync(f)
	a.mu.Lock()
	if err != nil {
		if a.bgErr == nil {
			a.log.Error("background AOF fsync failed; refusing appends until it succeeds: check free space and the disk holding the data dir", "file", f.Name(), "err", err)
		}
		a.bgErr = err
		a.dirty = true
	} else if a.bgErr != nil {
		a.log.Warn("background AOF fsync succeeded again; nothing to do, but check the disk's health and free space", "file", f.Name())
		a.bgErr = nil
	}
	a.mu.Unlock()
}

// Close stops the fsync goroutine, fsyncs and closes the current incr file
// and cancels a rewrite in progress. It is safe to call more than once.
func (a *AOF) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.close() })
	return a.closeErr
}

func (a *AOF) close() error {
	if a.stop != nil {
		close(a.stop)
		<-a.done
	}
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.rw != nil {
		a.rw.canceled = true
		a.rw = nil
	}
	var errs []error
	if err := a.datasync(a.f); err != nil {
		errs = append(errs, fmt.Errorf("aof: fsync %s: %w", a.f.Name(), err))
	}
	if err := a.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("aof: close %s: %w", a.f.Name(), err))
	}
	return errors.Join(errs...)
}

// OpenBase opens the current base file for reading, e.g. to send it to a
// follower as a Raft snapshot. The returned file stays readable even if a
// later rewrite or InstallBase removes it. Without a base (only possible for
// a manifest written by redis-server itself) it returns an empty reader.
func (a *AOF) OpenBase() (io.ReadCloser, int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, 0, ErrClosed
	}
	if a.man.base == nil {
		return io.NopCloser(strings.NewReader("")), 0, nil
	}
	f, err := os.Open(a.path(a.man.base.name))
	if err != nil {
		return nil, 0, fmt.Errorf("aof: open base: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("aof: stat base: %w", err)
	}
	return f, st.Size(), nil
}
