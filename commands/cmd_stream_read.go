package commands

import (
	"strconv"
)

// xreadOpts is what XREAD and XREADGROUP's options parse to.
type xreadOpts struct {
	timeout    int64 // -1: no BLOCK
	count      int64
	streamsArg int
	nstreams   int
	group      []byte
	consumer   []byte
	noack      bool
}

// XReadBlockArg returns the index of the timeout argument of XREAD or
// XREADGROUP's BLOCK option, -1 when the command has none, scanning the
// options as Redis' parser does.
func XReadBlockArg(args [][]byte) int {
	at := -1
	group := len(args[0]) == len("xreadgroup")
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case EqualFold(args[i], "block") && more > 0:
			i++
			at = i
		case EqualFold(args[i], "count") && more > 0:
			i++
		case EqualFold(args[i], "streams") && more > 0:
			return at
		case group && EqualFold(args[i], "group") && more >= 2:
			i += 2
		case group && EqualFold(args[i], "noack"):
		default:
			return at
		}
	}
	return at
}

// MayBlock reports whether a command flagged Blocking may block with these
// arguments: XREAD and XREADGROUP only with BLOCK; without it XREAD is a
// plain read and XREADGROUP a plain write.
func MayBlock(cmd *Command, args [][]byte) bool {
	switch cmd.Name {
	case "xread", "xreadgroup":
		return XReadBlockArg(args) >= 0
	}
	return true
}

// XReadScriptError is the error a script gets for XREAD/XREADGROUP with
// BLOCK ("" when the command is fine in a script).
func XReadScriptError(cmd *Command, args [][]byte) string {
	if (cmd.Name == "xread" || cmd.Name == "xreadgroup") && XReadBlockArg(args) >= 0 {
		return "ERR " + string(args[0]) + " command is not allowed with BLOCK option from scripts"
	}
	return ""
}

func parseXRead(c *Ctx, xreadgroup bool) (o xreadOpts, ok bool) {
	o.timeout = -1
	args := c.Args
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		a := args[i]
		switch {
		case EqualFold(a, "block") && more > 0:
			i++
			t, msg := parseMsTimeout(args[i])
			if msg != "" {
				c.Err(msg)
				return o, false
			}
			o.timeout = t
		case EqualFold(a, "count") && more > 0:
			i++
			n, ok := parseLongLong(c, args[i])
			if !ok {
				return o, false
			}
			o.count = max(n, 0)
		case EqualFold(a, "streams") && more > 0:
			o.streamsArg = i + 1
			n := len(args) - o.streamsArg
			if n%2 != 0 {
				sym := "$"
				if xreadgroup {
					sym = ">"
				}
				c.Err("ERR Unbalanced " + cString(args[0]) + " list of streams: for each stream key an ID or '" + sym + "' must be specified.")
				return o, false
			}
			o.nstreams = n / 2
			i = len(args)
		case EqualFold(a, "group") && more >= 2:
			if !xreadgroup {
				c.Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return o, false
			}
			o.group, o.consumer = args[i+1], args[i+2]
			i += 2
		case EqualFold(a, "noack"):
			if !xreadgroup {
				c.Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return o, false
			}
			o.noack = true
		default:
			c.SyntaxErr()
			return o, false
		}
	}
	if o.streamsArg == 0 {
		c.SyntaxErr()
		return o, false
	}
	if xreadgroup && o.group == nil {
		c.Err("ERR Missing GROUP option for XREADGROUP")
		return o, false
	}
	return o, true
}

func xreadCommand(c *Ctx)      { xreadGeneric(c, false) }
func xreadgroupCommand(c *Ctx) { xreadGeneric(c, true) }

// xreadGeneric is Redis' xreadCommand for both XREAD and XREADGROUP.
func xreadGeneric(c *Ctx, xreadgroup bool) {
	o, ok := parseXRead(c, xreadgroup)
	if !ok {
		return
	}
	keys := c.Args[o.streamsArg : o.streamsArg+o.nstreams]
	idArgs := c.Args[o.streamsArg+o.nstreams:]
	ids := make([]StreamID, o.nstreams)
	streams := make([]*Stream, o.nstreams)
	groups := make([]*streamCG, o.nstreams)
	dollar := false
	for i, key := range keys {
		if c.Retry {
			// A blocked client looks again. A consumer group lives in its
			// stream, so XREADGROUP's wait ends when the key is gone or no
			// longer a stream (Redis' unblockDeletedStreamReadgroupClients);
			// XREAD waits on for a stream to appear there.
			if v, found := c.Peek(key); !found || !isStream(v) {
				if xreadgroup {
					c.Err(ErrStreamKeyGone)
					return
				}
				continue
			}
		}
		s, ok := getStream(c, key, xreadgroup)
		if !ok {
			return
		}
		streams[i] = s
		if xreadgroup {
			if s != nil {
				groups[i] = s.group(o.group)
			}
			if groups[i] == nil && c.Retry {
				c.Err(ErrStreamGroupGone)
				return
			}
			if groups[i] == nil {
				c.Err(errNoGroupPrefix + cString(key) + "' or consumer group '" + cString(o.group) + "' in XREADGROUP with GROUP option")
				return
			}
		}
		switch string(idArgs[i]) {
		case "$":
			if xreadgroup {
				c.Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				ids[i] = s.lastID
			}
			dollar = true
			continue
		case ">":
			if !xreadgroup {
				c.Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[i] = maxStreamID
			continue
		}
		if ids[i], ok = strictID(c, idArgs[i], 0); !ok {
			return
		}
	}

	served := 0
	for i, key := range keys {
		s := streams[i]
		if s == nil {
			continue
		}
		gt := ids[i]
		sync, history := false, false
		if xreadgroup {
			if gt != maxStreamID {
				sync, history = true, true
			} else if s.length > 0 && s.lastEntryID().Cmp(groups[i].lastID) > 0 {
				sync, gt = true, groups[i].lastID
			}
		} else if s.length > 0 && s.lastEntryID().Cmp(gt) > 0 {
			sync = true
		}
		if !sync {
			continue
		}
		served++
		start, _ := gt.incr()
		if !xreadgroup {
			replyReadStream(c, key, func() { replyRange(c, s, start, maxStreamID, o.count, false) })
			continue
		}
		replyReadStream(c, key, func() { serveGroup(c, s, key, groups[i], o, start, history) })
	}
	if served > 0 {
		finishReadReply(c, served)
		return
	}
	if o.timeout != -1 {
		var rerun [][]byte
		if dollar {
			// '$' means after what the stream holds now, also on re-runs.
			rerun = append([][]byte(nil), c.Args...)
			for i := range idArgs {
				if string(idArgs[i]) == "$" {
					rerun[o.streamsArg+o.nstreams+i] = []byte(ids[i].String())
				}
			}
		}
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = string(k)
		}
		c.BlockWith(names, o.timeout, rerun, streamsReady(names, ids, o.group)) // the server replies on timeout
		c.block.Observes = o.group == nil
		return
	}
	c.R.NullArray()
}

// The reply of XREAD is an array of [key, entries] pairs in RESP2 and a
// map in RESP3; its length is only known at the end, so the streams are
// written to a side buffer first.
func replyReadStream(c *Ctx, key []byte, body func()) {
	if c.xread == nil {
		c.xread = &Reply{}
	}
	c.xread.Proto = c.R.Proto
	outer := c.R
	c.R = c.xread
	if c.R.Proto < 3 {
		c.R.Array(2)
	}
	c.R.Bulk(key)
	body()
	c.R = outer
}

func finishReadReply(c *Ctx, n int) {
	if c.R.Proto < 3 {
		c.R.Array(n)
	} else {
		c.R.Map(n)
	}
	c.R.Raw(c.xread.Bytes())
	c.xread.Reset()
}

// serveGroup is streamReplyWithRange for a consumer group: new entries
// (history false) move the group's last id and enter the PEL; history
// re-delivers the consumer's pending entries from start.
func serveGroup(c *Ctx, s *Stream, key []byte, g *streamCG, o xreadOpts, start StreamID, history bool) {
	cs, created := g.consumer(o.consumer, true, c.Now)
	cs.seenTime = c.Now
	if created {
		c.Propagate([]byte("XGROUP"), []byte("CREATECONSUMER"), key, []byte(g.name), o.consumer)
		c.Notify(NotifyStream, "xgroup-createconsumer", key)
	}
	c.Dirty(1)
	if history {
		var out []streamEntry
		var pend []StreamID
		for i := cs.pendingIndex(start); i < len(cs.pel); i++ {
			if o.count > 0 && int64(len(pend)) >= o.count {
				break
			}
			id := cs.pel[i]
			pend = append(pend, id)
			e, ok := s.lookup(id)
			if ok {
				e.fields = append([][]byte(nil), e.fields...)
				nk := g.findNACK(id)
				nk.deliveryTime = c.Now
				nk.deliveryCount++
				propagateXClaim(c, key, g, nk)
			} else {
				e = streamEntry{id: id}
			}
			out = append(out, e)
		}
		c.R.Array(len(out))
		for _, e := range out {
			if e.fields == nil {
				c.R.Array(2)
				replyStreamID(c, e.id)
				c.R.NullArray()
				continue
			}
			replyStreamEntry(c, e)
		}
		propagateSeen(c, key, g, cs)
		return
	}
	var entries []streamEntry
	s.scan(start, maxStreamID, false, func(e streamEntry) bool {
		e.fields = append([][]byte(nil), e.fields...)
		entries = append(entries, e)
		return o.count <= 0 || int64(len(entries)) < o.count
	})
	moved := false
	for _, e := range entries {
		if e.id.Cmp(g.lastID) > 0 {
			if g.entriesRead != invalidEntriesRead && !s.rangeHasTombstones(e.id, maxStreamID) {
				g.entriesRead++
			} else if s.entriesAdded != 0 {
				g.entriesRead = s.estimateDistance(e.id)
			}
			g.lastID = e.id
			moved = true
		}
		if o.noack {
			continue
		}
		if nk := g.findNACK(e.id); nk != nil {
			nk.consumer.removePending(e.id)
			nk.consumer, nk.deliveryTime, nk.deliveryCount = cs, c.Now, 1
			cs.addPending(e.id)
		} else {
			g.addNACK(&streamNACK{id: e.id, deliveryTime: c.Now, deliveryCount: 1, consumer: cs})
		}
	}
	c.R.Array(len(entries))
	for _, e := range entries {
		replyStreamEntry(c, e)
		if !o.noack {
			propagateXClaim(c, key, g, g.findNACK(e.id))
		}
	}
	if moved {
		propagateGroupID(c, key, g)
	}
	propagateSeen(c, key, g, cs)
}

// propagateXClaim is Redis' streamPropagateXCLAIM: an idempotent XCLAIM that
// recreates the pending entry exactly.
func propagateXClaim(c *Ctx, key []byte, g *streamCG, nk *streamNACK) {
	c.PropagateStrings("XCLAIM", string(key), g.name, nk.consumer.name, "0", nk.id.String(),
		"TIME", strconv.FormatInt(nk.deliveryTime, 10), "RETRYCOUNT", strconv.FormatUint(nk.deliveryCount, 10),
		"FORCE", "JUSTID", "LASTID", g.lastID.String())
}

// propagateGroupID is Redis' streamPropagateGroupID.
func propagateGroupID(c *Ctx, key []byte, g *streamCG) {
	c.PropagateStrings("XGROUP", "SETID", string(key), g.name, g.lastID.String(),
		"ENTRIESREAD", strconv.FormatInt(g.entriesRead, 10))
}

// propagateSeen records a consumer's seen time after the commands that set
// it: replayed commands run at time 0, so the annotation restores it.
func propagateSeen(c *Ctx, key []byte, g *streamCG, cs *streamConsumer) {
	line := consumerNote(string(key), g.name, cs)
	if len(line) <= maxStreamNote {
		c.PropagateNote(line)
	}
}

// streamsReady reports whether a blocked XREAD (or XREADGROUP ... >) would
// be served: a stream has an entry after its id (after the group's last
// delivered id), or, for XREADGROUP, the stream or the group is gone (the
// retry ends the wait with an error).
func streamsReady(keys []string, ids []StreamID, group []byte) func(db *DB) bool {
	gname := string(group)
	return func(db *DB) bool {
		for i, k := range keys {
			v, _, ok := db.Peek(k)
			if !ok {
				if group != nil {
					return true
				}
				continue
			}
			s, isStream := v.(*Stream)
			if !isStream {
				if group != nil {
					return true // the retry answers that the stream is gone
				}
				continue
			}
			after := ids[i]
			if group != nil {
				g := s.group([]byte(gname))
				if g == nil {
					return true
				}
				after = g.lastID
			}
			if s.length > 0 && s.lastEntryID().Cmp(after) > 0 {
				return true
			}
		}
		return false
	}
}

func isStream(v any) bool {
	_, ok := v.(*Stream)
	return ok
}
