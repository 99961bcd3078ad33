package commands

func init() {
	const g = "stream"
	register(
		&Command{Name: "xadd", Arity: -5, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Appends a new message to a stream. Creates the key if it doesn't exist.",
			Args:    "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]", Handler: xaddCommand},
		&Command{Name: "xlen", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Return the number of messages in a stream.", Args: "key", Handler: xlenCommand},
		&Command{Name: "xrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the messages from a stream within a range of IDs.", Args: "key start end [COUNT count]",
			Handler: func(c *Ctx) { xrangeGeneric(c, false) }},
		&Command{Name: "xrevrange", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the messages from a stream within a range of IDs in reverse order.", Args: "key end start [COUNT count]",
			Handler: func(c *Ctx) { xrangeGeneric(c, true) }},
		&Command{Name: "xdel", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the number of messages after removing them from a stream.", Args: "key id [id ...]", Handler: xdelCommand},
		&Command{Name: "xtrim", Arity: -4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Deletes messages from the beginning of a stream.",
			Args:    "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]", Handler: xtrimCommand},
		&Command{Name: "xsetid", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "An internal command for replicating stream values.",
			Args:    "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]", Handler: xsetidCommand},
		&Command{Name: "xread", Arity: -4, Flags: ReadOnly | Blocking | MovableKeys, Group: g, Since: "5.0.0",
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
	a, ok := parseAddTrim(c, true)
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
	s.appendEntry(id, c.Args[fieldPos:])
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
	prop := make([][]byte, 0, len(c.Args)+4)
	prop = append(prop, []byte("XADD"), key)
	if a.noMkStream {
		prop = append(prop, []byte("NOMKSTREAM"))
	}
	for _, t := range trim {
		prop = append(prop, []byte(t))
	}
	prop = append(prop, id.Append(nil))
	prop = append(prop, c.Args[fieldPos:]...)
	c.Propagate(prop...)
	c.Signal(string(key))
}

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
	a, ok := parseAddTrim(c, false)
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
