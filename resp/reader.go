package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits a reader enforces on a peer's replies, as Redis' own client code
// bounds what it accepts.
const (
	MaxBulkLen      = 512 << 20 // proto-max-bulk-len's default
	MaxAggregateLen = 1 << 31
	maxDepth        = 512
)

// ErrMalformed is wrapped by every error about bytes that are not RESP.
var ErrMalformed = errors.New("resp: malformed reply")

// ReadReply appends one complete RESP2/RESP3 reply — nested aggregates
// included, attributes kept before the value they describe — raw, to dst.
func ReadReply(r *bufio.Reader, dst []byte) ([]byte, error) { return readReply(r, dst, 0) }

func readReply(r *bufio.Reader, dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, fmt.Errorf("%w: nested too deep", ErrMalformed)
	}
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return dst, fmt.Errorf("%w: header line too long", ErrMalformed)
		}
		return append(dst, line...), err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return dst, fmt.Errorf("%w: bad line %q", ErrMalformed, line)
	}
	dst = append(dst, line...)
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':', '_', ',', '#', '(':
		return dst, nil
	case '$', '=', '!':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > MaxBulkLen {
			return dst, fmt.Errorf("%w: bad bulk length %q", ErrMalformed, body)
		}
		if n < 0 {
			return dst, nil
		}
		start := len(dst)
		dst = append(dst, make([]byte, n+2)...)
		k, err := io.ReadFull(r, dst[start:])
		return dst[:start+k], err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(string(body))
		if err != nil || n > MaxAggregateLen {
			return dst, fmt.Errorf("%w: bad aggregate length %q", ErrMalformed, body)
		}
		if kind == '%' || kind == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if dst, err = readReply(r, dst, depth+1); err != nil {
				return dst, err
			}
		}
		if kind == '|' { // an attribute precedes the reply it describes
			return readReply(r, dst, depth+1)
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%w: unknown type %q", ErrMalformed, kind)
}

// Integer reads a whole reply that is a RESP integer (":<n>\r\n").
func Integer(reply []byte) (int64, bool) {
	if len(reply) < 4 || reply[0] != ':' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(reply[1:len(reply)-2]), 10, 64)
	return n, err == nil
}

// Item is one value at the start of a buffer of replies, as Next finds it.
type Item struct {
	Kind byte   // '+', '-', ':', '$', '*', '%', '~', '>', '_', ',', '#', '(', '=', '!', '|'
	Line []byte // simple values: the text after the type byte
	Bulk []byte // bulk kinds ('$', '=', '!'): the payload; nil for a null bulk
	N    int    // aggregates: the number of elements (pairs for '%' and '|'); -1 for a null
}

// Next reads the item at the start of b — for an aggregate only its header:
// its N elements follow in rest — without copying.
func Next(b []byte) (it Item, rest []byte, err error) {
	i := 0
	for i+1 < len(b) && !(b[i] == '\r' && b[i+1] == '\n') {
		i++
	}
	if len(b) < 3 || i+1 >= len(b) {
		return it, nil, fmt.Errorf("%w: incomplete", ErrMalformed)
	}
	it.Kind, it.Line, rest = b[0], b[1:i], b[i+2:]
	switch it.Kind {
	case '$', '=', '!':
		n, err := strconv.Atoi(string(it.Line))
		if err != nil || n < -1 {
			return it, nil, fmt.Errorf("%w: bad bulk length %q", ErrMalformed, it.Line)
		}
		if n < 0 {
			return it, rest, nil
		}
		if len(rest) < n+2 {
			return it, nil, fmt.Errorf("%w: incomplete bulk", ErrMalformed)
		}
		it.Bulk, rest = rest[:n:n], rest[n+2:]
	case '*', '%', '~', '>', '|':
		n, err := strconv.Atoi(string(it.Line))
		if err != nil || n < -1 {
			return it, nil, fmt.Errorf("%w: bad aggregate length %q", ErrMalformed, it.Line)
		}
		it.N = n
	}
	return it, rest, nil
}
