package commands

import (
	"strconv"

	"github.com/geomys/geomys/resp"
)

// Propagation collects the deterministic form of what a write did, RESP
// encoded, for the AOF. It is what Redis would feed to its AOF and replicas:
// absolute expiry times, explicit DELs for keys that expired on access.
type Propagation struct {
	Buf []byte
	// Refs are big arguments that lie in Stable: each is written to the AOF
	// at its offset in Buf, straight from the log entry, instead of being
	// copied into Buf (a 100 MB SET's value was, once more).
	Refs []Ref
	// Stable is the data of the log entry being applied (nil elsewhere).
	Stable []byte
	db     int
	// n counts the commands appended (SELECTs and annotations aside).
	n int
	// Effect, when set, receives every command structurally instead of
	// Buf: a script's speculative run collects its effects through it, and
	// nothing reads its Buf (a million-command script used to build one
	// for nothing).
	Effect func(db int, args [][]byte)
}

func NewPropagation() *Propagation { return &Propagation{db: -1} }

// Reset clears the buffer; the selected db is kept because the AOF stream continues.
func (p *Propagation) Reset() { p.Buf, p.Refs = p.Buf[:0], p.Refs[:0] }

// Ref is an argument's bytes that belong at offset At of a Propagation's
// Buf.
type Ref struct {
	At   int
	Data []byte
}

// ShiftRefs moves the Refs at or after offset from by n bytes (bytes were
// inserted into Buf there).
func (p *Propagation) ShiftRefs(from, n int) {
	for i := range p.Refs {
		if p.Refs[i].At >= from {
			p.Refs[i].At += n
		}
	}
}

// Parts returns buf cut at refs with the refs' data between: what to write.
func Parts(buf []byte, refs []Ref) [][]byte {
	parts := make([][]byte, 0, 2*len(refs)+1)
	at := 0
	for _, r := range refs {
		parts = append(parts, buf[at:r.At], r.Data)
		at = r.At
	}
	return append(parts, buf[at:])
}

// ForgetDB makes the next command emit SELECT (after the AOF switched files).
func (p *Propagation) ForgetDB() { p.db = -1 }

func (p *Propagation) selectDB(db int) {
	if db == p.db {
		return
	}
	p.db = db
	n := strconv.Itoa(db)
	p.Buf = append(p.Buf, "*2\r\n$6\r\nSELECT\r\n$"...)
	p.Buf = strconv.AppendInt(p.Buf, int64(len(n)), 10)
	p.Buf = append(p.Buf, "\r\n"...)
	p.Buf = append(p.Buf, n...)
	p.Buf = append(p.Buf, "\r\n"...)
}

// Command appends one command run against db.
func (p *Propagation) Command(db int, args ...[]byte) {
	if p.Effect != nil {
		// A copy, so that args does not escape: the variadic slice of
		// every propagating handler can then live on its stack.
		p.Effect(db, append([][]byte(nil), args...))
		p.n++
		return
	}
	p.selectDB(db)
	p.n++
	for _, a := range args {
		if len(a) >= BigValue && within(a, p.Stable) {
			p.commandRefs(args)
			return
		}
	}
	p.Buf = resp.AppendCommand(p.Buf, args...)
}

// commandRefs is Command for args of which some are big ones in Stable.
func (p *Propagation) commandRefs(args [][]byte) {
	p.Buf = append(p.Buf, '*')
	p.Buf = strconv.AppendInt(p.Buf, int64(len(args)), 10)
	p.Buf = append(p.Buf, '\r', '\n')
	for _, a := range args {
		p.Buf = append(p.Buf, '$')
		p.Buf = strconv.AppendInt(p.Buf, int64(len(a)), 10)
		p.Buf = append(p.Buf, '\r', '\n')
		if len(a) >= BigValue && within(a, p.Stable) {
			p.Refs = append(p.Refs, Ref{At: len(p.Buf), Data: a})
		} else {
			p.Buf = append(p.Buf, a...)
		}
		p.Buf = append(p.Buf, '\r', '\n')
	}
}

// CommandStrings is Command for string arguments.
func (p *Propagation) CommandStrings(db int, args ...string) {
	if p.Effect != nil {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		p.Effect(db, b)
		p.n++
		return
	}
	p.selectDB(db)
	p.n++
	p.Buf = resp.AppendCommand(p.Buf, args...)
}

// Commands counts the commands appended so far (SELECTs aside).
func (p *Propagation) Commands() int { return p.n }

// Annotate appends a '#' line, which Redis' AOF loader skips.
func (p *Propagation) Annotate(line string) {
	p.Buf = append(p.Buf, '#')
	p.Buf = append(p.Buf, line...)
	p.Buf = append(p.Buf, '\r', '\n')
}

// DB is the db the stream's last command ran in (-1: none since the last
// ForgetDB): what a reader of the stream has selected.
func (p *Propagation) DB() int { return p.db }
