// Package resp is Geomys's one implementation of the Redis protocol, RESP2
// and RESP3: the typed reply writer every handler answers with, the command
// encoder (AOF, replication, node-to-node requests), a reader of replies for
// clients of other servers (the follower proxy, scripts' redis.call, tests)
// and a small test client. It imports nothing of Geomys's own.
package resp

import (
	"math"
	"strconv"
)

// Writer is the one typed reply writer every handler uses. It encodes straight
// into RESP2 or RESP3 according to the protocol the client chose with HELLO, so
// handlers never need to know which one they are speaking.
type Writer struct {
	buf   []byte
	Proto int // 2 or 3
	errs  int // error replies written with Error, ever (INFO commandstats)
}

// NewWriter returns a writer for the given protocol version.
func NewWriter(proto int) *Writer { return &Writer{Proto: proto} }

func (r *Writer) Bytes() []byte { return r.buf }
func (r *Writer) Len() int      { return len(r.buf) }
func (r *Writer) Reset()        { r.buf = r.buf[:0] }

// Errors is how many error replies Error wrote, Reset and Truncate
// notwithstanding: a caller compares two readings to learn whether a
// command failed.
func (r *Writer) Errors() int { return r.errs }

// Truncate drops everything written after offset n (used to undo a partial reply).
func (r *Writer) Truncate(n int) { r.buf = r.buf[:n] }

func (r *Writer) header(prefix byte, n int64) {
	r.buf = append(r.buf, prefix)
	r.buf = strconv.AppendInt(r.buf, n, 10)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Writer) Raw(b []byte) { r.buf = append(r.buf, b...) }

func (r *Writer) Simple(s string) {
	r.buf = append(r.buf, '+')
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Writer) OK() { r.buf = append(r.buf, "+OK\r\n"...) }

// Error writes an error reply; msg carries its own prefix ("ERR ...", "WRONGTYPE ...").
func (r *Writer) Error(msg string) {
	r.errs++
	r.buf = append(r.buf, '-')
	for i := 0; i < len(msg); i++ { // an error line must stay one line
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r.buf = append(r.buf, c)
	}
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Writer) Int(n int64) { r.header(':', n) }

func (r *Writer) Bulk(b []byte) {
	r.header('$', int64(len(b)))
	r.buf = append(r.buf, b...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Writer) BulkString(s string) {
	r.header('$', int64(len(s)))
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string (e.g. CONFIG GET values).
func (r *Writer) BulkInt(n int64) {
	var tmp [24]byte
	r.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null is the missing-value reply: $-1 in RESP2, _ in RESP3.
func (r *Writer) Null() {
	if r.Proto >= 3 {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "$-1\r\n"...)
	}
}

// NullArray is the missing-array reply: *-1 in RESP2, _ in RESP3.
func (r *Writer) NullArray() {
	if r.Proto >= 3 {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "*-1\r\n"...)
	}
}

func (r *Writer) Array(n int) { r.header('*', int64(n)) }

// Map announces n key/value pairs; RESP2 sees a flat array of 2n items.
func (r *Writer) Map(n int) {
	if r.Proto >= 3 {
		r.header('%', int64(n))
	} else {
		r.header('*', int64(2*n))
	}
}

func (r *Writer) Set(n int) {
	if r.Proto >= 3 {
		r.header('~', int64(n))
	} else {
		r.header('*', int64(n))
	}
}

func (r *Writer) Push(n int) {
	if r.Proto >= 3 {
		r.header('>', int64(n))
	} else {
		r.header('*', int64(n))
	}
}

// Attribute announces n key/value pairs of RESP3 attributes, which come
// before the reply they describe. RESP2 has no attributes: nothing is
// written there, and the caller must not write the pairs either.
func (r *Writer) Attribute(n int) {
	if r.Proto >= 3 {
		r.header('|', int64(n))
	}
}

// Double writes a floating point reply; RESP2 sees it as a bulk string.
func (r *Writer) Double(f float64) {
	if r.Proto >= 3 {
		r.buf = append(r.buf, ',')
		r.buf = AppendFloat(r.buf, f)
		r.buf = append(r.buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	r.Bulk(AppendFloat(tmp[:0], f))
}

// DoubleText writes an already formatted double: a RESP3 double, or a bulk
// string in RESP2 (GEOPOS's coordinates, formatted as Redis does).
func (r *Writer) DoubleText(text []byte) {
	if r.Proto < 3 {
		r.Bulk(text)
		return
	}
	r.buf = append(r.buf, ',')
	r.buf = append(r.buf, text...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Writer) Bool(b bool) {
	switch {
	case r.Proto >= 3 && b:
		r.buf = append(r.buf, "#t\r\n"...)
	case r.Proto >= 3:
		r.buf = append(r.buf, "#f\r\n"...)
	case b:
		r.buf = append(r.buf, ":1\r\n"...)
	default:
		r.buf = append(r.buf, ":0\r\n"...)
	}
}

// BigNumber writes a RESP3 big number; RESP2 sees it as a bulk string.
func (r *Writer) BigNumber(digits string) {
	if r.Proto < 3 {
		r.BulkString(digits)
		return
	}
	r.buf = append(r.buf, '(')
	r.buf = append(r.buf, digits...)
	r.buf = append(r.buf, '\r', '\n')
}

// VerbatimFormat writes text with its three-letter format ("txt", "mkd")
// as a RESP3 verbatim string; RESP2 sees a bulk string.
func (r *Writer) VerbatimFormat(format, s string) {
	if r.Proto < 3 || len(format) != 3 {
		r.BulkString(s)
		return
	}
	r.header('=', int64(len(s)+4))
	r.buf = append(r.buf, format...)
	r.buf = append(r.buf, ':')
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// Verbatim writes text such as INFO output: a verbatim string in RESP3, bulk in RESP2.
func (r *Writer) Verbatim(s string) {
	if r.Proto < 3 {
		r.BulkString(s)
		return
	}
	r.header('=', int64(len(s)+4))
	r.buf = append(r.buf, "txt:"...)
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// AppendFloat formats a score the way Redis does: shortest round-trip form,
// "inf"/"-inf" for infinities.
func AppendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}
