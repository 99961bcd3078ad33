package commands

import "sync/atomic"

// BigValue is the size from which a deleted string counts in BigFreed.
const BigValue = 1 << 20

var bigFreed atomic.Int64

// BigFreed is how many bytes of big string values deletes have let go of
// since start. Go only returns a freed value's memory to the OS after a
// collection, which a quiet server may never run: the server forces one
// when this grows (server/memory.go).
func BigFreed() int64 { return bigFreed.Load() }
