package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File types in the manifest, as Redis 7 writes them.
const (
	typeBase    = 'b'
	typeHistory = 'h'
	typeIncr    = 'i'
)

// manifestMaxLine is Redis' MANIFEST_MAX_LINE.
const manifestMaxLine = 1024

type fileInfo struct {
	name string
	seq  int64
	typ  byte
}

// manifest mirrors Redis' aofManifest: at most one base, history files
// (only read: Geomys deletes old files instead of keeping them as history),
// and incr files in increasing seq order.
type manifest struct {
	base    *fileInfo
	history []fileInfo
	incrs   []fileInfo
	baseSeq int64 // seq of the current base (next base gets baseSeq+1)
	incrSeq int64 // seq of the last incr (next incr gets incrSeq+1)
}

func (m *manifest) clone() *manifest {
	c := *m
	if m.base != nil {
		b := *m.base
		c.base = &b
	}
	c.history = append([]fileInfo(nil), m.history...)
	c.incrs = append([]fileInfo(nil), m.incrs...)
	return &c
}

// files returns the names the manifest refers to (base, history, incrs).
func (m *manifest) files() []string {
	var out []string
	if m.base != nil {
		out = append(out, m.base.name)
	}
	for _, h := range m.history {
		out = append(out, h.name)
	}
	for _, i := range m.incrs {
		out = append(out, i.name)
	}
	return out
}

// encode formats the manifest exactly as Redis' getAofManifestAsString:
// base first, then history, then incr files, one "file <name> seq <n> type
// <t>\n" line each.
func (m *manifest) encode() []byte {
	var b bytes.Buffer
	line := func(fi fileInfo) {
		fmt.Fprintf(&b, "file %s seq %d type %c\n", fi.name, fi.seq, fi.typ)
	}
	if m.base != nil {
		line(*m.base)
	}
	for _, h := range m.history {
		line(h)
	}
	for _, i := range m.incrs {
		line(i)
	}
	return b.Bytes()
}

// parseManifest follows Redis 7.0's aofLoadManifestFromFile: comment lines
// starting with '#' are skipped, lines are at most 1024 bytes, each line is an
// even number (>= 6) of space-separated key/value tokens, keys are
// case-insensitive, unknown keys are ignored, file/seq/type are required, the
// file must be a plain name, at most one base, incr seqs strictly increase.
func parseManifest(data []byte, name string) (*manifest, error) {
	m := &manifest{}
	if len(data) == 0 {
		return nil, fmt.Errorf("aof: %s: found an empty AOF manifest", name)
	}
	br := bufio.NewReader(bytes.NewReader(data))
	var maxIncr int64
	for lineNum := 1; ; lineNum++ {
		raw, err := br.ReadString('\n')
		if raw == "" && errors.Is(err, io.EOF) {
			break
		}
		bad := func(reason string) error {
			return fmt.Errorf("aof: %s: line %d: %s: %q", name, lineNum, reason, strings.TrimRight(raw, "\r\n"))
		}
		if raw[0] == '#' {
			continue
		}
		if len(raw) > manifestMaxLine || !strings.HasSuffix(raw, "\n") {
			return nil, bad("line too long or not terminated")
		}
		line := strings.Trim(raw, " \t\r\n")
		if line == "" {
			return nil, bad("invalid AOF manifest file format")
		}
		if strings.ContainsAny(line, "\"'") {
			return nil, bad("quoted manifest values are not supported")
		}
		argv := strings.Fields(line)
		if len(argv) < 6 || len(argv)%2 != 0 {
			return nil, bad("invalid AOF manifest file format")
		}
		var fi fileInfo
		for i := 0; i < len(argv); i += 2 {
			k, v := argv[i], argv[i+1]
			switch {
			case strings.EqualFold(k, "file"):
				if strings.ContainsAny(v, `/\`) {
					return nil, bad("file can't be a path, just a filename")
				}
				fi.name = v
			case strings.EqualFold(k, "seq"):
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, bad("invalid seq")
				}
				fi.seq = n
			case strings.EqualFold(k, "type"):
				fi.typ = v[0]
			}
		}
		if fi.name == "" || fi.seq <= 0 || fi.typ == 0 {
			return nil, bad("invalid AOF manifest file format")
		}
		switch fi.typ {
		case typeBase:
			if m.base != nil {
				return nil, bad("found duplicate base file information")
			}
			b := fi
			m.base = &b
			m.baseSeq = fi.seq
		case typeHistory:
			m.history = append(m.history, fi)
		case typeIncr:
			if fi.seq <= maxIncr {
				return nil, bad("found a non-monotonic sequence number")
			}
			maxIncr = fi.seq
			m.incrs = append(m.incrs, fi)
			m.incrSeq = fi.seq
		default:
			return nil, bad("unknown AOF file type")
		}
	}
	return m, nil
}

// writeManifest atomically replaces the manifest: write a temp file, fsync
// it, rename it over the manifest, fsync the directory (as Redis'
// writeAofManifestFile does).
func writeManifest(dir, name string, m *manifest) error {
	final := filepath.Join(dir, name)
	tmp := filepath.Join(dir, "temp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("aof: create temp manifest: %w", err)
	}
	if _, err := f.Write(m.encode()); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("aof: write temp manifest %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("aof: fsync temp manifest %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("aof: close temp manifest %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("aof: rename manifest: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("aof: open dir for fsync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("aof: fsync dir %s: %w", dir, err)
	}
	return nil
}
