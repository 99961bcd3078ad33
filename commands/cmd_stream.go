package commands

func init() {
	const g = "stream"
	register(
		&Command{Name: "xadd", Keys: "RW update index=1 # UPDATE instead of INSERT because of the optional trimming feature", Tips: "nondeterministic_output", Complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", Arity: -5, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Appends a new message to a stream. Creates the key if it doesn't exist.",
			Args:    "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]", Handler: xaddCommand},
		&Command{Name: "xlen", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Return the number of messages in a stream.", Args: "key", Handler: xlenCommand},
		&Command{Name: "xrange", Keys: "RO access index=1", Complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the messages from a stream within a range of IDs.", Args: "key start end [COUNT count]",
			Handler: func(c *Ctx) { xrangeGeneric(c, false) }},
		&Command{Name: "xrevrange", Keys: "RO access index=1", Complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the messages from a stream within a range of IDs in reverse order.", Args: "key end start [COUNT count]",
			Handler: func(c *Ctx) { xrangeGeneric(c, true) }},
		&Command{Name: "xdel", Keys: "RW delete index=1", Complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the number of messages after removing them from a stream.", Args: "key id [id ...]", Handler: xdelCommand},
		&Command{Name: "xtrim", Keys: "RW delete index=1", Tips: "nondeterministic_output", Complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", Arity: -4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Deletes messages from the beginning of a stream.",
			Args:    "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]", Handler: xtrimCommand},
		&Command{Name: "xsetid", Keys: "RW update index=1", Complexity: "O(1)", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "An internal command for replicating stream values.",
			Args:    "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", Handler: xsetidCommand},
		&Command{Name: "xread", Keys: "RO access keyword=STREAMS,1 range=-1,1,2", Complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", Arity: -4, Flags: ReadOnly | Blocking | MovableKeys, Group: g, Since: "5.0.0",
			Summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
			Args:    "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", Handler: xreadCommand},
	)
}

// getStream looks key up as a stream (nil when missing; ok false after
// WRONGTYPE).
func getStream(c *Ctx, key []byte, update bool) (*Stream, bool) {
	return lookupAs[*Stream](c, key, update)
}

func replyStreamID(c *Ctx, id StreamID) {
	var tmp [48]byte
	c.R.Bulk(id.Append(tmp[:0]))
}

func replyStreamEntry(c *Ctx, e streamEntry) {
	c.R.Array(2)
	replyStreamID(c, e.id)
	c.R.Array(len(e.fields))
	for _, f := range e.fields {
		c.R.Bulk(f)
	}
}

func xaddCommand(c *Ctx) {
	lim := c.takeStreamNode()
	a, ok := parseAddTrim(c, true, lim)
	if !ok {
		return
	}
	fieldPos := a.idIndex + 1
	if n := len(c.Args) - fieldPos; n < 2 || n%2 == 1 {
		c.Err(ArityErr("xadd"))
		return
	}
	if a.idGiven && a.seqGiven && a.id.IsZero() {
		c.Err(errXAddZero)
		return
	}
	key := c.Args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	if s == nil && a.noMkStream {
		c.R.Null()
		return
	}
	created := s == nil
	if created {
		s = NewStream()
	}
	if s.lastID == maxStreamID {
		c.Err(errXAddExhausted)
		return
	}
	var id StreamID
	switch {
	case a.idGiven && a.seqGiven:
		id = a.id
	case a.idGiven:
		if s.lastID.Ms == a.id.Ms {
			if s.lastID.Seq == maxStreamID.Seq {
				c.Err(errXAddSmaller)
				return
			}
			id = StreamID{a.id.Ms, s.lastID.Seq + 1}
		} else {
			id = a.id
		}
	default:
		// '*': the log entry's clock, so every node picks the same id.
		if ms := uint64(c.Now); ms > s.lastID.Ms {
			id = StreamID{ms, 0}
		} else {
			id, _ = s.lastID.incr()
		}
	}
	if id.Cmp(s.lastID) <= 0 {
		c.Err(errXAddSmaller)
		return
	}
	s.appendEntry(id, c.Args[fieldPos:], lim)
	if created {
		c.Put(key, s, false)
	}
	replyStreamID(c, id)
	c.Dirty(1)
	c.Notify(NotifyStream, "xadd", key)
	var trim []string
	if a.strategy != trimNone {
		if s.trimWith(&a) > 0 {
			c.Notify(NotifyStream, "xtrim", key)
		}
		trim = s.trimPropagation(&a)
	}
	// Propagate the id actually used and an exact trim, as Redis does.
	// On the stack for the usual few fields (Propagate keeps nothing).
	var stack [16][]byte
	var idBuf [44]byte
	prop := stack[:0]
	prop = append(prop, wordXADD, key)
	if a.noMkStream {
		prop = append(prop, wordNOMKSTREAM)
	}
	for _, t := range trim {
		prop = append(prop, []byte(t))
	}
	prop = append(prop, id.Append(idBuf[:0]))
	prop = append(prop, c.Args[fieldPos:]...)
	if lim != DefaultStreamNodeLimits {
		c.PropagateNote(streamNodeNote(lim)) // for the AOF's loader (stream_node.go)
	}
	c.Propagate(prop...)
	c.Signal(string(key))
}

var (
	wordXADD       = []byte("XADD")
	wordNOMKSTREAM = []byte("NOMKSTREAM")
)

func xlenCommand(c *Ctx) {
	s, ok := getStream(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.R.Int(0)
		return
	}
	c.R.Int(s.length)
}

// parseIntervalID is Redis' streamParseIntervalIDOrReply: "(" makes the
// bound exclusive.
func parseIntervalID(c *Ctx, b []byte, missingSeq uint64) (id StreamID, exclude, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, _, ok = parseStreamID(b[1:], missingSeq, true, false)
		exclude = true
	} else {
		id, _, ok = parseStreamID(b, missingSeq, false, false)
	}
	if !ok {
		c.Err(errStreamID)
	}
	return id, exclude, ok
}

func xrangeGeneric(c *Ctx, rev bool) {
	startArg, endArg := c.Args[2], c.Args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, startEx, ok := parseIntervalID(c, startArg, 0)
	if !ok {
		return
	}
	if startEx {
		if start, ok = start.incr(); !ok {
			c.Err("ERR invalid start ID for the interval")
			return
		}
	}
	end, endEx, ok := parseIntervalID(c, endArg, maxStreamID.Seq)
	if !ok {
		return
	}
	if endEx {
		if end, ok = end.decr(); !ok {
			c.Err("ERR invalid end ID for the interval")
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if EqualFold(c.Args[j], "count") && j+1 < len(c.Args) {
			n, ok := parseLongLong(c, c.Args[j+1])
			if !ok {
				return
			}
			count = max(n, 0)
			j++
		} else {
			c.SyntaxErr()
			return
		}
	}
	s, ok := getStream(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.R.Array(0)
		return
	}
	if count == 0 {
		c.R.NullArray()
		return
	}
	replyRange(c, s, start, end, count, rev)
}

// replyRange writes the entries of [start, end] (count <= 0: all).
func replyRange(c *Ctx, s *Stream, start, end StreamID, count int64, rev bool) int {
	var entries []streamEntry
	s.scan(start, end, rev, func(e streamEntry) bool {
		e.fields = append([][]byte(nil), e.fields...)
		entries = append(entries, e)
		return count <= 0 || int64(len(entries)) < count
	})
	c.R.Array(len(entries))
	for _, e := range entries {
		replyStreamEntry(c, e)
	}
	return len(entries)
}

func xdelCommand(c *Ctx) {
	s, ok := getStream(c, c.Args[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.R.Int(0)
		return
	}
	ids := make([]StreamID, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		id, ok := strictID(c, a, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	deleted := 0
	first := false
	for _, id := range ids {
		if s.deleteID(id) {
			if id == s.firstID {
				first = true
			}
			if id.Cmp(s.maxDeletedID) > 0 {
				s.maxDeletedID = id
			}
			deleted++
		}
	}
	if deleted > 0 {
		if s.length == 0 {
			s.firstID = StreamID{}
		} else if first {
			s.updateFirstID()
		}
		c.Dirty(deleted)
		c.Notify(NotifyStream, "xdel", c.Args[1])
	}
	c.R.Int(int64(deleted))
}

func xtrimCommand(c *Ctx) {
	a, ok := parseAddTrim(c, false, c.streamNode())
	if !ok {
		return
	}
	s, ok := getStream(c, c.Args[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.R.Int(0)
		return
	}
	deleted := s.trimWith(&a)
	if deleted > 0 {
		c.Dirty(int(deleted))
		args := append([]string{"XTRIM", string(c.Args[1])}, s.trimPropagation(&a)...)
		c.PropagateStrings(args...)
		c.Notify(NotifyStream, "xtrim", c.Args[1])
	}
	c.R.Int(deleted)
}

func xsetidCommand(c *Ctx) {
	id, ok := strictID(c, c.Args[2], 0)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel StreamID
	for i := 3; i < len(c.Args); i += 2 {
		more := len(c.Args) - 1 - i
		switch {
		case EqualFold(c.Args[i], "entriesadded") && more > 0:
			n, ok := parseLongLong(c, c.Args[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.Err("ERR entries_added must be positive")
				return
			}
			entriesAdded = n
		case EqualFold(c.Args[i], "maxdeletedid") && more > 0:
			if maxDel, ok = strictID(c, c.Args[i+1], 0); !ok {
				return
			}
			if id.Cmp(maxDel) < 0 {
				c.Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.SyntaxErr()
			return
		}
	}
	s, ok := getStream(c, c.Args[1], true)
	if !ok {
		return
	}
	if s == nil {
		c.Err(ErrNoSuchKey)
		return
	}
	if s.length > 0 {
		if id.Cmp(s.lastEntryID()) < 0 {
			c.Err("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.length > entriesAdded {
			c.Err("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	if id.Cmp(s.maxDeletedID) < 0 {
		c.Err("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
		return
	}
	s.lastID = id
	if entriesAdded != -1 {
		s.entriesAdded = entriesAdded
	}
	if !maxDel.IsZero() {
		s.maxDeletedID = maxDel
	}
	c.Dirty(1)
	c.Notify(NotifyStream, "xsetid", c.Args[1])
	c.R.OK()
}
