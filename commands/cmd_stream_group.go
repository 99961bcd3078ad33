package commands

import (
	"math"
	"strconv"
	"strings"
)

func init() {
	const g = "stream"
	register(
		&Command{Name: "xreadgroup", Keys: "RO access keyword=STREAMS,4 range=-1,1,2", Complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", Arity: -7, Flags: Write | Blocking | MovableKeys, Group: g, Since: "5.0.0",
			Summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
			Args:    "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]", Handler: xreadgroupCommand},
		&Command{Name: "xgroup", Hidden: Write, Complexity: "Depends on subcommand.", Arity: -2, Flags: Write, Group: g, Since: "5.0.0",
			Summary: "A container for consumer groups commands.", Args: "<CREATE | CREATECONSUMER | DELCONSUMER | DESTROY | SETID | HELP> ...",
			Handler: xgroupCommand},
		&Command{Name: "xack", Keys: "RW update index=1", Complexity: "O(1) for each message ID processed.", Arity: -4, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.",
			Args:    "key group id [id ...]", Handler: xackCommand},
		&Command{Name: "xpending", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the information and entries from a stream consumer group's pending entries list.",
			Args:    "key group [[IDLE min-idle-time] start end count [consumer]]", Handler: xpendingCommand},
		&Command{Name: "xclaim", Keys: "RW update index=1", Tips: "nondeterministic_output", Complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.", Arity: -6, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
			Args:    "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]",
			Handler: xclaimCommand},
		&Command{Name: "xautoclaim", Keys: "RW delete index=1", Tips: "nondeterministic_output", Complexity: "O(1) if COUNT is small.", Arity: -6, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
			Args:    "key group consumer min-idle-time start [COUNT count] [JUSTID]", Handler: xautoclaimCommand},
	)
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

// subcommandArity checks a container's subcommand like Redis' command table
// does: unknown names and wrong counts get Redis' errors.
func subcommandArity(c *Ctx, container string, arities map[string]int) (string, bool) {
	sub := strings.ToLower(string(c.Args[1]))
	ar, ok := arities[sub]
	if !ok {
		c.Err("ERR unknown subcommand '" + truncate(cString(c.Args[1]), 128) + "'. Try " + strings.ToUpper(container) + " HELP.")
		return sub, false
	}
	if ar > 0 && len(c.Args) != ar || ar < 0 && len(c.Args) < -ar {
		c.Err(ArityErr(container + "|" + sub))
		return sub, false
	}
	return sub, true
}

func subcommandSyntaxErr(c *Ctx) {
	c.Err("ERR unknown subcommand or wrong number of arguments for '" + truncate(cString(c.Args[1]), 128) +
		"'. Try " + strings.ToUpper(string(c.Args[0])) + " HELP.")
}

func noGroupErr(c *Ctx, key, group []byte) {
	c.Err(errNoGroupPrefix + cString(key) + "' or consumer group '" + cString(group) + "'")
}

func xgroupCommand(c *Ctx) {
	sub, ok := subcommandArity(c, "xgroup", map[string]int{"create": -5, "createconsumer": 5, "delconsumer": 5,
		"destroy": 4, "setid": -5, "help": 2})
	if !ok {
		return
	}
	if sub == "help" {
		c.R.Array(len(xgroupHelp))
		for _, l := range xgroupHelp {
			c.R.Simple(l)
		}
		return
	}
	args := c.Args
	mkstream := false
	entriesRead := int64(invalidEntriesRead)
	for i := 5; i < len(args); {
		switch {
		case sub == "create" && EqualFold(args[i], "mkstream"):
			mkstream = true
			i++
		case (sub == "create" || sub == "setid") && EqualFold(args[i], "entriesread") && i+1 < len(args):
			n, ok := parseLongLong(c, args[i+1])
			if !ok {
				return
			}
			if n < 0 && n != invalidEntriesRead {
				c.Err("ERR value for ENTRIESREAD must be positive or -1")
				return
			}
			entriesRead = n
			i += 2
		default:
			subcommandSyntaxErr(c)
			return
		}
	}
	key, gname := args[2], args[3]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	var g *streamCG
	if !mkstream {
		if s == nil {
			c.Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		if g = s.group(gname); g == nil && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
			c.Err("NOGROUP No such consumer group '" + cString(gname) + "' for key name '" + cString(key) + "'")
			return
		}
	}
	switch {
	case sub == "create" && len(args) <= 8:
		var id StreamID
		if string(args[4]) == "$" {
			if s != nil {
				id = s.lastID
			}
		} else if id, ok = strictID(c, args[4], 0); !ok {
			return
		}
		if s == nil {
			s = NewStream()
			c.Put(key, s, false)
			c.Dirty(1)
		}
		if s.createGroup(string(gname), id, entriesRead) == nil {
			c.Err("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.Dirty(1)
		// "$" is propagated as the id it stood for.
		c.PropagateStrings(append([]string{"XGROUP", "CREATE", string(key), string(gname), id.String()},
			xgroupOptions(mkstream, entriesRead)...)...)
		c.Notify(NotifyStream, "xgroup-create", key)
		c.R.OK()
	case sub == "setid" && (len(args) == 5 || len(args) == 7):
		var id StreamID
		if string(args[4]) == "$" {
			id = s.lastID
		} else if id, _, ok = parseStreamID(args[4], 0, false, false); !ok {
			c.Err(errStreamID)
			return
		}
		g.lastID, g.entriesRead = id, entriesRead
		c.Dirty(1)
		c.PropagateStrings("XGROUP", "SETID", string(key), string(gname), id.String(), "ENTRIESREAD", strconv.FormatInt(entriesRead, 10))
		c.Notify(NotifyStream, "xgroup-setid", key)
		c.R.OK()
	case sub == "destroy" && len(args) == 4:
		if g == nil {
			c.R.Int(0)
			return
		}
		s.destroyGroup(gname)
		c.Dirty(1)
		c.Notify(NotifyStream, "xgroup-destroy", key)
		c.R.Int(1)
		c.Signal(string(key)) // blocked XREADGROUPs of the group get their error
	case sub == "createconsumer" && len(args) == 5:
		cs, created := g.consumer(args[4], true, c.Now)
		if created {
			c.Dirty(1)
			c.Propagate(args...)
			propagateSeen(c, key, g, cs)
			c.Notify(NotifyStream, "xgroup-createconsumer", key)
		}
		c.R.Int(b2i(created))
	case sub == "delconsumer" && len(args) == 5:
		var pending int
		if cs := g.consumers[string(args[4])]; cs != nil {
			pending = g.deleteConsumer(cs)
			c.Dirty(1)
			c.Notify(NotifyStream, "xgroup-delconsumer", key)
		}
		c.R.Int(int64(pending))
	default:
		subcommandSyntaxErr(c)
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func xgroupOptions(mkstream bool, entriesRead int64) []string {
	var out []string
	if mkstream {
		out = append(out, "MKSTREAM")
	}
	return append(out, "ENTRIESREAD", strconv.FormatInt(entriesRead, 10))
}

func xackCommand(c *Ctx) {
	s, ok := getStream(c, c.Args[1], true)
	if !ok {
		return
	}
	var g *streamCG
	if s != nil {
		g = s.group(c.Args[2])
	}
	if g == nil {
		c.R.Int(0)
		return
	}
	ids := make([]StreamID, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		id, ok := strictID(c, a, 0)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	acked := 0
	for _, id := range ids {
		if nk := g.findNACK(id); nk != nil {
			g.removeNACK(nk)
			acked++
		}
	}
	c.Dirty(acked)
	c.R.Int(int64(acked))
}

func xpendingCommand(c *Ctx) {
	args := c.Args
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.SyntaxErr()
		return
	}
	var start, end StreamID
	var count, minIdle int64
	var consumerName []byte
	if len(args) >= 6 {
		si := 3
		if EqualFold(args[3], "idle") {
			n, ok := parseLongLong(c, args[4])
			if !ok {
				return
			}
			minIdle = n
			if len(args) < 8 {
				c.SyntaxErr()
				return
			}
			si += 2
		}
		n, ok := parseLongLong(c, args[si+2])
		if !ok {
			return
		}
		count = max(n, 0)
		var ex bool
		if start, ex, ok = parseIntervalID(c, args[si], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.incr(); !ok {
				c.Err("ERR invalid start ID for the interval")
				return
			}
		}
		if end, ex, ok = parseIntervalID(c, args[si+1], math.MaxUint64); !ok {
			return
		}
		if ex {
			if end, ok = end.decr(); !ok {
				c.Err("ERR invalid end ID for the interval")
				return
			}
		}
		if si+3 < len(args) {
			consumerName = args[si+3]
		}
	}
	s, ok := getStream(c, args[1], false)
	if !ok {
		return
	}
	var g *streamCG
	if s != nil {
		g = s.group(args[2])
	}
	if g == nil {
		noGroupErr(c, args[1], args[2])
		return
	}
	if justInfo {
		c.R.Array(4)
		c.R.Int(int64(len(g.pel)))
		if len(g.pel) == 0 {
			c.R.Null()
			c.R.Null()
			c.R.NullArray()
			return
		}
		replyStreamID(c, g.pel[0].id)
		replyStreamID(c, g.pel[len(g.pel)-1].id)
		names := g.consumerNames()
		n := 0
		for _, name := range names {
			if len(g.consumers[name].pel) > 0 {
				n++
			}
		}
		c.R.Array(n)
		for _, name := range names {
			if cs := g.consumers[name]; len(cs.pel) > 0 {
				c.R.Array(2)
				c.R.BulkString(name)
				c.R.BulkInt(int64(len(cs.pel)))
			}
		}
		return
	}
	var nacks []*streamNACK
	if consumerName != nil {
		cs := g.consumers[string(consumerName)]
		if cs == nil {
			c.R.Array(0)
			return
		}
		for i := cs.pendingIndex(start); i < len(cs.pel) && cs.pel[i].Cmp(end) <= 0; i++ {
			nacks = append(nacks, g.findNACK(cs.pel[i]))
		}
	} else {
		for i := g.pelIndex(start); i < len(g.pel) && g.pel[i].id.Cmp(end) <= 0; i++ {
			nacks = append(nacks, g.pel[i])
		}
	}
	now := c.Now
	var out []*streamNACK
	for _, nk := range nacks {
		if int64(len(out)) >= count {
			break
		}
		if minIdle != 0 && now-nk.deliveryTime < minIdle {
			continue
		}
		out = append(out, nk)
	}
	c.R.Array(len(out))
	for _, nk := range out {
		c.R.Array(4)
		replyStreamID(c, nk.id)
		c.R.BulkString(nk.consumer.name)
		c.R.Int(max(now-nk.deliveryTime, 0))
		c.R.Int(int64(nk.deliveryCount))
	}
}

func xclaimCommand(c *Ctx) {
	args := c.Args
	key := args[1]
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	var g *streamCG
	if s != nil {
		g = s.group(args[2])
	}
	if g == nil {
		noGroupErr(c, key, args[2])
		return
	}
	minIdle, ok := ParseInt(args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	j := 5
	for ; j < len(args); j++ {
		if _, _, ok := parseStreamID(args[j], 0, true, false); !ok {
			break
		}
	}
	lastIDArg := j - 1
	now := c.Now
	var lastID StreamID
	retry, delivery := int64(-1), int64(-1)
	force, justID := false, false
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case EqualFold(opt, "force"):
			force = true
		case EqualFold(opt, "justid"):
			justID = true
		case EqualFold(opt, "idle") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.Err("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			delivery = now - n
		case EqualFold(opt, "time") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.Err("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			delivery = n
		case EqualFold(opt, "retrycount") && more > 0:
			j++
			n, ok := ParseInt(args[j])
			if !ok {
				c.Err("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retry = n
		case EqualFold(opt, "lastid") && more > 0:
			j++
			if lastID, ok = strictID(c, args[j], 0); !ok {
				return
			}
		default:
			c.Err("ERR Unrecognized XCLAIM option '" + cString(opt) + "'")
			return
		}
	}
	propagateLastID := false
	if lastID.Cmp(g.lastID) > 0 {
		g.lastID = lastID
		propagateLastID = true
	}
	if delivery != -1 {
		// A time in the future is taken as now, as Redis does; an AOF
		// being loaded has no clock (Now is 0) and its TIMEs are the ones
		// Geomys propagated, so they are kept.
		if delivery < 0 || delivery > now && now != 0 {
			delivery = now
		}
	} else {
		delivery = now
	}
	var cs *streamConsumer
	var claimed []StreamID
	for j := 5; j <= lastIDArg; j++ {
		id, _, _ := parseStreamID(args[j], 0, true, false)
		nk := g.findNACK(id)
		if !s.exists(id) {
			if nk != nil {
				propagateXClaim(c, key, g, nk)
				propagateLastID = false
				g.removeNACK(nk)
				c.Dirty(1)
			}
			continue
		}
		if force && nk == nil {
			nk = &streamNACK{id: id}
			g.pel = insertNACK(g.pel, g.pelIndex(id), nk)
		}
		if nk == nil {
			continue
		}
		if nk.consumer != nil && minIdle != 0 && now-nk.deliveryTime < minIdle {
			continue
		}
		if cs == nil {
			var created bool
			cs, created = g.consumer(args[3], true, now)
			cs.seenTime = now
			if created {
				c.Notify(NotifyStream, "xgroup-createconsumer", args[1])
			}
		}
		nk.deliveryTime = delivery
		if retry >= 0 {
			nk.deliveryCount = uint64(retry)
		} else if !justID {
			nk.deliveryCount++
		}
		if nk.consumer != cs {
			if nk.consumer != nil {
				nk.consumer.removePending(id)
			}
			nk.consumer = cs
			cs.addPending(id)
		}
		claimed = append(claimed, id)
		propagateXClaim(c, key, g, nk)
		propagateLastID = false
		c.Dirty(1)
	}
	if propagateLastID {
		propagateGroupID(c, key, g)
		c.Dirty(1)
	}
	if cs != nil {
		propagateSeen(c, key, g, cs)
	}
	replyClaimed(c, s, claimed, justID)
}

func insertNACK(pel []*streamNACK, i int, nk *streamNACK) []*streamNACK {
	pel = append(pel, nil)
	copy(pel[i+1:], pel[i:])
	pel[i] = nk
	return pel
}

func replyClaimed(c *Ctx, s *Stream, ids []StreamID, justID bool) {
	c.R.Array(len(ids))
	for _, id := range ids {
		if justID {
			replyStreamID(c, id)
			continue
		}
		e, _ := s.lookup(id)
		replyStreamEntry(c, e)
	}
}

func xautoclaimCommand(c *Ctx) {
	args := c.Args
	key := args[1]
	minIdle, ok := ParseInt(args[4])
	if !ok {
		c.Err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := parseIntervalID(c, args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.incr(); !ok {
			c.Err("ERR invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case EqualFold(args[j], "count") && more > 0:
			n, ok := ParseInt(args[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case EqualFold(args[j], "justid"):
			justID = true
		default:
			c.SyntaxErr()
			return
		}
	}
	s, ok := getStream(c, key, true)
	if !ok {
		return
	}
	var g *streamCG
	if s != nil {
		g = s.group(args[2])
	}
	if g == nil {
		noGroupErr(c, key, args[2])
		return
	}
	attempts := count * 10
	now := c.Now
	pel := append([]*streamNACK(nil), g.pel[g.pelIndex(start):]...)
	var claimed, deleted []StreamID
	var cs *streamConsumer
	next := 0
	for next < len(pel) && attempts > 0 && count > 0 {
		attempts--
		nk := pel[next]
		next++
		if !s.exists(nk.id) {
			propagateXClaim(c, key, g, nk)
			g.removeNACK(nk)
			deleted = append(deleted, nk.id)
			count--
			c.Dirty(1)
			continue
		}
		if minIdle != 0 && now-nk.deliveryTime < minIdle {
			continue
		}
		if cs == nil {
			var created bool
			if cs, created = g.consumer(args[3], true, now); created {
				c.Notify(NotifyStream, "xgroup-createconsumer", args[1])
			}
		}
		cs.seenTime = now
		if nk.consumer != cs {
			nk.consumer.removePending(nk.id)
			nk.consumer = cs
			cs.addPending(nk.id)
		}
		nk.deliveryTime = now
		if !justID {
			nk.deliveryCount++
		}
		claimed = append(claimed, nk.id)
		count--
		propagateXClaim(c, key, g, nk)
		c.Dirty(1)
	}
	var cursor StreamID
	if next < len(pel) {
		cursor = pel[next].id
	}
	if cs != nil {
		propagateSeen(c, key, g, cs)
	}
	c.R.Array(3)
	replyStreamID(c, cursor)
	replyClaimed(c, s, claimed, justID)
	c.R.Array(len(deleted))
	for _, id := range deleted {
		replyStreamID(c, id)
	}
}
