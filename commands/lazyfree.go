package commands

// Redis frees a value that UNLINK deletes in a background thread when
// freeing it takes more than LAZYFREE_THRESHOLD allocations, and the whole
// keyspace on FLUSHDB/FLUSHALL ASYNC; INFO's lazyfreed_objects counts what
// was freed that way. Geomys leaves every value to the Go collector, so
// nothing is ever pending (lazyfree_pending_objects is 0), and counts what
// Redis would have handed to its thread, for monitoring that watches it.
const lazyfreeThreshold = 64

// quicklistNodeBytes is the size of a quicklist node under Redis' default
// list-max-listpack-size (-2: 8 KB).
const quicklistNodeBytes = 8192

// freeEffort is Redis' lazyfreeGetFreeEffort: about how many allocations
// freeing v takes.
func freeEffort(db *DB, key string, v any) int64 {
	switch v := v.(type) {
	case *List:
		if v.Encoding() == "quicklist" {
			return db.KeySize(key)/quicklistNodeBytes + 1
		}
	case *Set:
		if v.Encoding() == "hashtable" {
			return int64(v.Len())
		}
	case *Hash:
		if v.Encoding() == "hashtable" {
			return int64(v.Len())
		}
	case *ZSet:
		if v.Encoding() == "skiplist" {
			return int64(v.Len())
		}
	case *Stream:
		// Every block is one allocation, and so is every consumer group and
		// each entry of its PEL (Redis takes the first group's as typical).
		n := int64(len(v.blocks))
		if len(v.groups) > 0 {
			n += int64(len(v.groups)) * int64(1+len(v.groups[0].pel))
		}
		return n
	}
	return 1
}

// unlinkCommand is DEL, counting the values Redis would free in the
// background.
func unlinkCommand(c *Ctx) {
	n := 0
	for _, key := range c.Args[1:] {
		v, _, ok := c.DB.Peek(string(key))
		effort := int64(0)
		if ok {
			effort = freeEffort(c.DB, string(key), v)
		}
		if c.Delete(key) {
			n++
			if effort > lazyfreeThreshold {
				c.Store.LazyfreedObjects++
			}
			c.Notify(NotifyGeneric, "del", key)
		}
	}
	c.Dirty(n)
	c.R.Int(int64(n))
}

// isAsyncFlush reports FLUSHDB/FLUSHALL ASYNC.
func isAsyncFlush(c *Ctx) bool {
	return len(c.Args) == 2 && EqualFold(c.Args[1], "async")
}
