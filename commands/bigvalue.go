package commands

import (
	"sync/atomic"
	"unsafe"
)

// BigValue is the size from which a deleted string counts in BigFreed, and
// from which a value is kept and propagated from the log entry's bytes
// rather than copied (KeepString, Propagation.Command).
const BigValue = 1 << 20

var bigFreed atomic.Int64

// BigFreed is how many bytes of big string values deletes have let go of
// since start. Go only returns a freed value's memory to the OS after a
// collection, which a quiet server may never run: the server forces one
// when this grows (server/memory.go).
func BigFreed() int64 { return bigFreed.Load() }

// within reports whether b lies inside buf's memory.
func within(b, buf []byte) bool {
	if len(b) == 0 || len(buf) == 0 {
		return false
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(buf))
}

// KeepString returns an argument as a string for the dataset. A big one
// that lies inside the log entry being applied (Ctx.Entry) is referenced,
// not copied: an entry is never written again once proposed, so the string
// stays immutable, and the entry's other bytes it keeps alive are few (the
// value must be most of the entry). A 100 MB SET otherwise held the value
// twice while it was applied, and once more for as long as the key lived
// if the entry's memory was not returned.
func (c *Ctx) KeepString(b []byte) string {
	if len(b) >= BigValue && 2*len(b) >= len(c.Entry) && within(b, c.Entry) {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return string(b)
}
