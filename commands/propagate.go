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
	db  int
	// Effect, when set, also receives every command structurally: a
	// script's speculative run collects its effects through it.
	Effect func(db int, args [][]byte)
}

func NewPropagation() *Propagation { return &Propagation{db: -1} }

// Reset clears the buffer; the selected db is kept because the AOF stream continues.
func (p *Propagation) Reset() { p.Buf = p.Buf[:0] }

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
	}
	p.selectDB(db)
	p.Buf = resp.AppendCommand(p.Buf, args...)
}

// CommandStrings is Command for string arguments.
func (p *Propagation) CommandStrings(db int, args ...string) {
	if p.Effect != nil {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		p.Effect(db, b)
	}
	p.selectDB(db)
	p.Buf = resp.AppendCommand(p.Buf, args...)
}

// Annotate appends a '#' line, which Redis' AOF loader skips.
func (p *Propagation) Annotate(line string) {
	p.Buf = append(p.Buf, '#')
	p.Buf = append(p.Buf, line...)
	p.Buf = append(p.Buf, '\r', '\n')
}
