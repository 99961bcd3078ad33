package commands

import (
	"math"
	"strconv"
)

// Reply is the one typed reply writer every handler uses. It encodes straight
// into RESP2 or RESP3 according to the protocol the client chose with HELLO, so
// handlers never need to know which one they are speaking.
type Reply struct {
	buf   []byte
	Proto int // 2 or 3
}

// NewReply returns a writer for the given protocol version.
func NewReply(proto int) *Reply { return &Reply{Proto: proto} }

func (r *Reply) Bytes() []byte { return r.buf }
func (r *Reply) Len() int      { return len(r.buf) }
func (r *Reply) Reset()        { r.buf = r.buf[:0] }

// Truncate drops everything written after offset n (used to undo a partial reply).
func (r *Reply) Truncate(n int) { r.buf = r.buf[:n] }

func (r *Reply) header(prefix byte, n int64) {
	r.buf = append(r.buf, prefix)
	r.buf = strconv.AppendInt(r.buf, n, 10)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Reply) Raw(b []byte) { r.buf = append(r.buf, b...) }

func (r *Reply) Simple(s string) {
	r.buf = append(r.buf, '+')
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Reply) OK() { r.buf = append(r.buf, "+OK\r\n"...) }

// Error writes an error reply; msg carries its own prefix ("ERR ...", "WRONGTYPE ...").
func (r *Reply) Error(msg string) {
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

func (r *Reply) Int(n int64) { r.header(':', n) }

func (r *Reply) Bulk(b []byte) {
	r.header('$', int64(len(b)))
	r.buf = append(r.buf, b...)
	r.buf = append(r.buf, '\r', '\n')
}

func (r *Reply) BulkString(s string) {
	r.header('$', int64(len(s)))
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// BulkInt writes an integer as a bulk string (e.g. CONFIG GET values).
func (r *Reply) BulkInt(n int64) {
	var tmp [24]byte
	r.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null is the missing-value reply: $-1 in RESP2, _ in RESP3.
func (r *Reply) Null() {
	if r.Proto >= 3 {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "$-1\r\n"...)
	}
}

// NullArray is the missing-array reply: *-1 in RESP2, _ in RESP3.
func (r *Reply) NullArray() {
	if r.Proto >= 3 {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "*-1\r\n"...)
	}
}

func (r *Reply) Array(n int) { r.header('*', int64(n)) }

// Map announces n key/value pairs; RESP2 sees a flat array of 2n items.
func (r *Reply) Map(n int) {
	if r.Proto >= 3 {
		r.header('%', int64(n))
	} else {
		r.header('*', int64(2*n))
	}
}

func (r *Reply) Set(n int) {
	if r.Proto >= 3 {
		r.header('~', int64(n))
	} else {
		r.header('*', int64(n))
	}
}

func (r *Reply) Push(n int) {
	if r.Proto >= 3 {
		r.header('>', int64(n))
	} else {
		r.header('*', int64(n))
	}
}

// Double writes a floating point reply; RESP2 sees it as a bulk string.
func (r *Reply) Double(f float64) {
	if r.Proto >= 3 {
		r.buf = append(r.buf, ',')
		r.buf = AppendFloat(r.buf, f)
		r.buf = append(r.buf, '\r', '\n')
		return
	}
	var tmp [32]byte
	r.Bulk(AppendFloat(tmp[:0], f))
}

func (r *Reply) Bool(b bool) {
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

// Verbatim writes text such as INFO output: a verbatim string in RESP3, bulk in RESP2.
func (r *Reply) Verbatim(s string) {
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
