package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

type event struct {
	off    int64 // record offset, for errors
	first  int   // first argument index in the batch argBuf
	n      int   // number of arguments; 0 for an annotation
	note   string
	isNote bool
}

// Load replays the AOF: the base file, then every incr file in manifest
// order. fn is called for each command (args and the slices in it are only
// valid during the call), note (may be nil) for each annotation line with the
// text after '#' and without the line end.
//
// Like redis-server, which replays each file with a fresh client, Load calls
// fn with SELECT 0 before the first record of every file: the database
// selected at the end of one file does not carry over into the next.
//
// The base file is replayed as a whole. Commands of an incr file are only
// replayed once the marker annotation (MarkerPrefix) that ends their batch
// has been read. In the last incr file, whatever follows the last marker (an
// incomplete batch, a record cut short by a crash, or a tail of zero bytes)
// is cut off the file with a warning, like redis-server with
// aof-load-truncated yes. Anything else that is malformed, a missing file, or
// an incomplete batch in an incr file that is not the last one, is a
// *CorruptError naming the file and byte offset, and nothing more is
// replayed. An error returned by fn stops Load and is returned wrapped.
//
// Load must not run concurrently with Append, StartRewrite or InstallBase.
func (a *AOF) Load(fn func(args [][]byte) error, note func(annotation string)) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrClosed
	}
	m := a.man.clone()
	a.mu.Unlock()

	if note == nil {
		note = func(string) {}
	}
	if m.base != nil {
		if err := a.loadFile(m.base.name, false, false, fn, note); err != nil {
			return err
		}
	}
	for i, fi := range m.incrs {
		if err := a.loadFile(fi.name, true, i == len(m.incrs)-1, fn, note); err != nil {
			return err
		}
	}
	a.mu.Lock()
	a.loaded = true
	a.mu.Unlock()
	return nil
}

func selectZero() [][]byte { return [][]byte{[]byte("SELECT"), []byte("0")} }

func (a *AOF) loadFile(name string, incr, last bool, fn func([][]byte) error, note func(string)) error {
	f, err := os.Open(a.path(name))
	if err != nil {
		return fmt.Errorf("aof: open %s named in the manifest: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("aof: stat %s: %w", name, err)
	}
	size := st.Size()
	if !incr {
		var sig [5]byte
		if n, _ := f.ReadAt(sig[:], 0); n == 5 && string(sig[:]) == "REDIS" {
			return &CorruptError{File: name, Offset: 0, Reason: "base file is in RDB format (aof-use-rdb-preamble), which Geomys does not read"}
		}
	}
	r := newReader(f, name, size, a.maxArgs, a.maxBulk)
	var (
		ab      argBuf
		argv    [][]byte
		events  []event
		started bool
		goodEnd int64 // end of the last marker line (incr files)
	)
	deliver := func(ev event) error {
		if !started {
			started = true
			if err := fn(selectZero()); err != nil {
				return fmt.Errorf("aof: replay %s: implicit SELECT 0 at file start: %w", name, err)
			}
		}
		if ev.isNote {
			note(ev.note)
			return nil
		}
		argv = ab.args(argv, ev.first, ev.n)
		if err := fn(argv); err != nil {
			return fmt.Errorf("aof: replay %s: command at offset %d: %w", name, ev.off, err)
		}
		return nil
	}
	for {
		recStart := r.off
		if !incr {
			ab.reset()
		}
		kind, n, text, err := r.next(&ab)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ce *CorruptError
			if last && errors.As(err, &ce) {
				if ce.Truncated {
					return a.truncateTail(name, goodEnd, size, ce.Reason)
				}
				if zero, zerr := zeroTail(f, ce.Offset, size); zerr == nil && zero {
					return a.truncateTail(name, goodEnd, size, "zero bytes at the end of the file")
				}
			}
			return err
		}
		ev := event{off: recStart}
		if kind == recAnnotation {
			ev.isNote, ev.note = true, text
		} else {
			ev.first, ev.n = len(ab.ends)-n, n
		}
		if !incr {
			if err := deliver(ev); err != nil {
				return err
			}
			continue
		}
		events = append(events, ev)
		if ev.isNote && IsMarker(text) {
			for _, ev := range events {
				if err := deliver(ev); err != nil {
					return err
				}
			}
			events = events[:0]
			ab.reset()
			goodEnd = r.off
		}
	}
	if len(events) > 0 {
		if last {
			return a.truncateTail(name, goodEnd, size, "incomplete batch: no "+MarkerPrefix+" marker after it")
		}
		return &CorruptError{File: name, Offset: goodEnd,
			Reason: "records after the last " + MarkerPrefix + " marker in an incr file that is not the last one"}
	}
	return nil
}

// zeroTail reports whether bytes [off, size) of f are all zero.
func zeroTail(f *os.File, off, size int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off < size {
		n := int64(len(buf))
		if size-off < n {
			n = size - off
		}
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return false, err
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return false, nil
			}
		}
		off += n
	}
	return true, nil
}

// truncateTail cuts the last incr file back to off (the end of its last
// complete batch).
func (a *AOF) truncateTail(name string, off, size int64, reason string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log.Warn(fmt.Sprintf("AOF %s loaded anyway: incomplete last batch, truncated at offset %d (a crash during a write; nothing acknowledged is lost, nothing to do)", name, off),
		"file", name, "offset", off, "removed_bytes", size-off, "reason", reason)
	var err error
	if a.f != nil && a.man.incrs[len(a.man.incrs)-1].name == name {
		if err = a.f.Truncate(off); err == nil {
			err = a.f.Sync()
		}
		if err == nil {
			a.incrSize.Add(off - a.fSize)
			a.fSize = off
		}
	} else {
		err = os.Truncate(a.path(name), off)
	}
	if err != nil {
		return fmt.Errorf("aof: truncate %s at offset %d: %w", name, off, err)
	}
	return nil
}

// Replay feeds the records of data, which is in the format of an AOF file
// (a rewrite's output), to fn and note, as Load does with the files: what
// DEBUG RELOAD reads back after dumping the dataset in memory.
func Replay(data []byte, fn func(args [][]byte) error, note func(annotation string)) error {
	r := newReader(bytes.NewReader(data), "(dump)", int64(len(data)), math.MaxInt32, math.MaxInt64)
	var ab argBuf
	var argv [][]byte
	for {
		ab.reset()
		kind, n, text, err := r.next(&ab)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if kind == recAnnotation {
			note(text)
			continue
		}
		argv = ab.args(argv, len(ab.ends)-n, n)
		if err := fn(argv); err != nil {
			return err
		}
	}
}
