package commands

// ScanCache holds a connection's view of a keyspace walk for SCAN: Go maps have
// no stable cursor, so the first call of a walk lists the keys once and later
// cursors index into that list.
type ScanCache struct {
	Gen  uint64
	DB   int
	Keys []string
}
