package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MarkerPrefix starts the annotation the FSM writes after every applied batch
// ("#geomys:applied <raftIndex> <timestampMs>\r\n"). Load only replays the
// commands of an incr file that are followed by such a marker.
const MarkerPrefix = "geomys:applied"

// MaxAnnotationLen is the longest annotation text (the part after '#',
// without the line end) that redis-server 7 accepts: it reads annotation
// lines with fgets into a 1024-byte buffer, so "#" + text + "\r\n" must fit
// in 1023 bytes. Longer lines make redis-server (and redis-check-aof) reject
// the file with "Bad file format", and Load rejects them too.
const MaxAnnotationLen = 1020

// Default limits of the command reader used by Load.
const (
	DefaultMaxArgs    = 1 << 24 // arguments of one command
	DefaultMaxBulkLen = 1 << 29 // 512 MiB, Redis' proto-max-bulk-len default
)

const readBufSize = 256 << 10

// CorruptError reports a malformed or incomplete AOF file. Offset is the byte
// offset in File where the problem was found (for Truncated errors: where the
// incomplete record starts).
type CorruptError struct {
	File      string
	Offset    int64
	Reason    string
	Truncated bool // the file ends in the middle of a record
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("aof: %s: offset %d: %s", e.File, e.Offset, e.Reason)
}

// ErrBadAnnotation is returned by AppendAnnotation for text that Redis could
// not read back as one annotation line.
var ErrBadAnnotation = errors.New("aof: annotation must be at most 1020 bytes without CR or LF")

// AppendAnnotation appends "#" + text + "\r\n". It fails (leaving dst
// unchanged) if text contains CR or LF or is longer than MaxAnnotationLen.
func AppendAnnotation(dst []byte, text string) ([]byte, error) {
	if len(text) > MaxAnnotationLen || strings.ContainsAny(text, "\r\n") {
		return dst, ErrBadAnnotation
	}
	dst = append(dst, '#')
	dst = append(dst, text...)
	return append(dst, '\r', '\n'), nil
}

// AppendMarker appends the batch marker "#geomys:applied <index> <tsMs>\r\n".
func AppendMarker(dst []byte, index uint64, timestampMs int64) []byte {
	dst = append(dst, '#')
	dst = append(dst, MarkerPrefix...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, index, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, timestampMs, 10)
	return append(dst, '\r', '\n')
}

// IsMarker reports whether an annotation text (as passed to Load's note
// callback) is a batch marker.
func IsMarker(text string) bool {
	return strings.HasPrefix(text, MarkerPrefix) &&
		(len(text) == len(MarkerPrefix) || text[len(MarkerPrefix)] == ' ')
}

// ParseMarker parses the text of a marker annotation written by AppendMarker.
func ParseMarker(text string) (index uint64, timestampMs int64, ok bool) {
	if !IsMarker(text) {
		return 0, 0, false
	}
	f := strings.Fields(text[len(MarkerPrefix):])
	if len(f) < 2 {
		return 0, 0, false
	}
	i, err1 := strconv.ParseUint(f[0], 10, 64)
	ts, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return i, ts, true
}

// argBuf holds the arguments of one or more commands in one arena.
type argBuf struct {
	data []byte
	ends []int
}

func (ab *argBuf) reset() {
	ab.data = ab.data[:0]
	ab.ends = ab.ends[:0]
}

// args returns the n arguments starting at index first, as slices of the
// arena (capacity-limited so that appending to one cannot clobber another).
func (ab *argBuf) args(dst [][]byte, first, n int) [][]byte {
	dst = dst[:0]
	start := 0
	if first > 0 {
		start = ab.ends[first-1]
	}
	for i := first; i < first+n; i++ {
		end := ab.ends[i]
		dst = append(dst, ab.data[start:end:end])
		start = end
	}
	return dst
}

const (
	recCommand = iota + 1
	recAnnotation
)

// reader parses an AOF file: RESP arrays of bulk strings and '#' annotation
// lines. It never reads past size bytes.
type reader struct {
	br      *bufio.Reader
	name    string
	off     int64 // offset of the next unread byte
	size    int64
	maxArgs int
	maxBulk int64
}

func newReader(r io.Reader, name string, size int64, maxArgs int, maxBulk int64) *reader {
	return &reader{
		br:      bufio.NewReaderSize(io.LimitReader(r, size), readBufSize),
		name:    name,
		size:    size,
		maxArgs: maxArgs,
		maxBulk: maxBulk,
	}
}

func (r *reader) corrupt(off int64, format string, a ...any) error {
	return &CorruptError{File: r.name, Offset: off, Reason: fmt.Sprintf(format, a...)}
}

func (r *reader) truncated(off int64, what string) error {
	return &CorruptError{File: r.name, Offset: off, Truncated: true,
		Reason: "unexpected end of file in " + what}
}

// line reads one line including its '\n'. The returned slice is only valid
// until the next read.
func (r *reader) line(recStart int64, what string) ([]byte, error) {
	start := r.off
	l, err := r.br.ReadSlice('\n')
	r.off += int64(len(l))
	switch {
	case err == nil:
		return l, nil
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, r.corrupt(start, "%s line too long", what)
	case errors.Is(err, io.EOF):
		return nil, r.truncated(recStart, what)
	default:
		return nil, fmt.Errorf("aof: read %s at offset %d: %w", r.name, start, err)
	}
}

// parseCount parses "<digits>\r\n" after a one-byte prefix.
func parseCount(l []byte) (int64, bool) {
	if len(l) < 4 || l[len(l)-2] != '\r' {
		return 0, false
	}
	digits := l[1 : len(l)-2]
	if len(digits) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// next reads one record. For a command, its arguments are appended to ab and
// nargs is their number; for an annotation, text is the line after '#'
// without the line end. At a clean end of file it returns io.EOF.
func (r *reader) next(ab *argBuf) (kind int, nargs int, text string, err error) {
	recStart := r.off
	c, err := r.br.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, 0, "", io.EOF
		}
		return 0, 0, "", fmt.Errorf("aof: read %s at offset %d: %w", r.name, r.off, err)
	}
	if err := r.br.UnreadByte(); err != nil {
		return 0, 0, "", err
	}
	switch c {
	case '#':
		l, err := r.line(recStart, "annotation")
		if err != nil {
			return 0, 0, "", err
		}
		if len(l) > MaxAnnotationLen+3 {
			return 0, 0, "", r.corrupt(recStart, "annotation line of %d bytes is longer than redis-server accepts (1023)", len(l))
		}
		l = l[1 : len(l)-1]
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		return recAnnotation, 0, string(l), nil
	case '*':
	default:
		return 0, 0, "", r.corrupt(recStart, "expected '*' or '#', got %q", c)
	}

	l, err := r.line(recStart, "command header")
	if err != nil {
		return 0, 0, "", err
	}
	argc, ok := parseCount(l)
	if !ok || argc < 1 {
		return 0, 0, "", r.corrupt(recStart, "bad command header %q", trimLine(l))
	}
	if argc > int64(r.maxArgs) {
		return 0, 0, "", r.corrupt(recStart, "command has %d arguments, limit is %d", argc, r.maxArgs)
	}
	// Each argument takes at least 6 bytes ("$0\r\n\r\n"): a count that
	// cannot fit in the rest of the file means the file was cut short (or is
	// garbage, which the argument parsing below would find anyway).
	if argc*6 > r.size-r.off {
		return 0, 0, "", r.truncated(recStart, "command")
	}
	for i := int64(0); i < argc; i++ {
		argStart := r.off
		c, err := r.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, 0, "", r.truncated(recStart, "command")
			}
			return 0, 0, "", fmt.Errorf("aof: read %s at offset %d: %w", r.name, r.off, err)
		}
		if c != '$' {
			return 0, 0, "", r.corrupt(argStart, "expected '$', got %q", c)
		}
		if err := r.br.UnreadByte(); err != nil {
			return 0, 0, "", err
		}
		l, err := r.line(recStart, "command")
		if err != nil {
			return 0, 0, "", err
		}
		n, ok := parseCount(l)
		if !ok {
			return 0, 0, "", r.corrupt(argStart, "bad bulk length %q", trimLine(l))
		}
		if n > r.maxBulk {
			return 0, 0, "", r.corrupt(argStart, "bulk length %d exceeds limit %d", n, r.maxBulk)
		}
		if n+2 > r.size-r.off {
			return 0, 0, "", r.truncated(recStart, "command")
		}
		s := len(ab.data)
		ab.data = grow(ab.data, int(n)+2)
		buf := ab.data[s : s+int(n)+2]
		if _, err := io.ReadFull(r.br, buf); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, 0, "", r.truncated(recStart, "command")
			}
			return 0, 0, "", fmt.Errorf("aof: read %s at offset %d: %w", r.name, r.off, err)
		}
		r.off += n + 2
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return 0, 0, "", r.corrupt(r.off-2, "bulk string not terminated by CRLF")
		}
		ab.data = ab.data[:s+int(n)]
		ab.ends = append(ab.ends, len(ab.data))
	}
	return recCommand, int(argc), "", nil
}

// grow extends b by n bytes (contents of the new bytes unspecified).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

func trimLine(l []byte) string {
	if len(l) > 40 {
		l = l[:40]
	}
	return strings.TrimRight(string(l), "\r\n")
}
