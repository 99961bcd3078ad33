package commands

import (
	"encoding/binary"
	"time"
)

func init() {
	register(&Command{Name: "xinfo", Hidden: ReadOnly, Complexity: "Depends on subcommand.", Arity: -2, Flags: ReadOnly, Group: "stream", Since: "5.0.0",
		Summary: "A container for stream introspection commands.", Args: "<CONSUMERS | GROUPS | STREAM | HELP> ...",
		Handler: xinfoCommand})
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// readNow is the clock for idle times: the entry's time in the FSM, the
// local clock on the read path.
func readNow(c *Ctx) int64 {
	if c.Now != 0 {
		return c.Now
	}
	return time.Now().UnixMilli()
}

func xinfoCommand(c *Ctx) {
	sub, ok := subcommandArity(c, "xinfo", map[string]int{"consumers": 4, "groups": 3, "stream": -3, "help": 2})
	if !ok {
		return
	}
	if sub == "help" {
		c.R.Array(len(xinfoHelp))
		for _, l := range xinfoHelp {
			c.R.Simple(l)
		}
		return
	}
	key := c.Args[2]
	s, ok := getStream(c, key, false)
	if !ok {
		return
	}
	if s == nil {
		c.Err(ErrNoSuchKey)
		return
	}
	switch sub {
	case "consumers":
		g := s.group(c.Args[3])
		if g == nil {
			c.Err("NOGROUP No such consumer group '" + cString(c.Args[3]) + "' for key name '" + cString(key) + "'")
			return
		}
		now := readNow(c)
		names := g.consumerNames()
		c.R.Array(len(names))
		for _, n := range names {
			cs := g.consumers[n]
			c.R.Map(3)
			c.R.BulkString("name")
			c.R.BulkString(cs.name)
			c.R.BulkString("pending")
			c.R.Int(int64(len(cs.pel)))
			c.R.BulkString("idle")
			c.R.Int(max(now-cs.seenTime, 0))
		}
	case "groups":
		c.R.Array(len(s.groups))
		for _, g := range s.groups {
			c.R.Map(6)
			c.R.BulkString("name")
			c.R.BulkString(g.name)
			c.R.BulkString("consumers")
			c.R.Int(int64(len(g.consumers)))
			c.R.BulkString("pending")
			c.R.Int(int64(len(g.pel)))
			c.R.BulkString("last-delivered-id")
			replyStreamID(c, g.lastID)
			replyEntriesReadAndLag(c, s, g)
		}
	case "stream":
		xinfoStream(c, s)
	}
}

func replyEntriesReadAndLag(c *Ctx, s *Stream, g *streamCG) {
	c.R.BulkString("entries-read")
	if g.entriesRead != invalidEntriesRead {
		c.R.Int(g.entriesRead)
	} else {
		c.R.Null()
	}
	c.R.BulkString("lag")
	if lag, ok := s.lag(g); ok {
		c.R.Int(lag)
	} else {
		c.R.Null()
	}
}

func xinfoStream(c *Ctx, s *Stream) {
	args := c.Args[2:]
	full := true
	count := int64(10)
	switch len(args) {
	case 1:
		full = false
	case 2, 4:
		if !EqualFold(args[1], "full") {
			subcommandSyntaxErr(c)
			return
		}
		if len(args) == 4 {
			if !EqualFold(args[2], "count") {
				subcommandSyntaxErr(c)
				return
			}
			n, ok := parseLongLong(c, args[3])
			if !ok {
				return
			}
			if n < 0 {
				n = 10
			}
			count = n
		}
	default:
		subcommandSyntaxErr(c)
		return
	}
	if full {
		c.R.Map(9)
	} else {
		c.R.Map(10)
	}
	c.R.BulkString("length")
	c.R.Int(s.length)
	c.R.BulkString("radix-tree-keys")
	c.R.Int(int64(len(s.blocks)))
	c.R.BulkString("radix-tree-nodes")
	c.R.Int(s.raxNodes())
	c.R.BulkString("last-generated-id")
	replyStreamID(c, s.lastID)
	c.R.BulkString("max-deleted-entry-id")
	replyStreamID(c, s.maxDeletedID)
	c.R.BulkString("entries-added")
	c.R.Int(s.entriesAdded)
	c.R.BulkString("recorded-first-entry-id")
	replyStreamID(c, s.firstID)
	if !full {
		c.R.BulkString("groups")
		c.R.Int(int64(len(s.groups)))
		c.R.BulkString("first-entry")
		if replyEdge(c, s, false) == 0 {
			c.R.Null()
		}
		c.R.BulkString("last-entry")
		if replyEdge(c, s, true) == 0 {
			c.R.Null()
		}
		return
	}
	c.R.BulkString("entries")
	replyRange(c, s, minStreamID, maxStreamID, count, false)
	c.R.BulkString("groups")
	c.R.Array(len(s.groups))
	for _, g := range s.groups {
		c.R.Map(7)
		c.R.BulkString("name")
		c.R.BulkString(g.name)
		c.R.BulkString("last-delivered-id")
		replyStreamID(c, g.lastID)
		replyEntriesReadAndLag(c, s, g)
		c.R.BulkString("pel-count")
		c.R.Int(int64(len(g.pel)))
		c.R.BulkString("pending")
		n := len(g.pel)
		if count > 0 && int64(n) > count {
			n = int(count)
		}
		c.R.Array(n)
		for _, nk := range g.pel[:n] {
			c.R.Array(4)
			replyStreamID(c, nk.id)
			c.R.BulkString(nk.consumer.name)
			c.R.Int(nk.deliveryTime)
			c.R.Int(int64(nk.deliveryCount))
		}
		c.R.BulkString("consumers")
		names := g.consumerNames()
		c.R.Array(len(names))
		for _, name := range names {
			cs := g.consumers[name]
			c.R.Map(4)
			c.R.BulkString("name")
			c.R.BulkString(cs.name)
			c.R.BulkString("seen-time")
			c.R.Int(cs.seenTime)
			c.R.BulkString("pel-count")
			c.R.Int(int64(len(cs.pel)))
			c.R.BulkString("pending")
			n := len(cs.pel)
			if count > 0 && int64(n) > count {
				n = int(count)
			}
			c.R.Array(n)
			for _, id := range cs.pel[:n] {
				nk := g.findNACK(id)
				c.R.Array(3)
				replyStreamID(c, id)
				c.R.Int(nk.deliveryTime)
				c.R.Int(int64(nk.deliveryCount))
			}
		}
	}
}

// replyEdge writes the first (or last) entry without an array around it.
func replyEdge(c *Ctx, s *Stream, last bool) int {
	n := 0
	s.scan(minStreamID, maxStreamID, last, func(e streamEntry) bool {
		replyStreamEntry(c, e)
		n++
		return false
	})
	return n
}

// raxNodes is the node count of the radix tree Redis would hold for the
// blocks' first ids (16-byte big-endian keys), which XINFO STREAM reports:
// a compressed node per run of bytes no key branches in, a node per
// branching point and one per key end.
func (s *Stream) raxNodes() int64 {
	keys := make([][16]byte, len(s.blocks))
	for i, b := range s.blocks {
		binary.BigEndian.PutUint64(keys[i][:8], b.first.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], b.first.Seq)
	}
	if len(keys) == 0 {
		return 1
	}
	return raxCount(keys, 0)
}

func raxCount(keys [][16]byte, depth int) int64 {
	if len(keys) == 1 {
		if depth == 16 {
			return 1
		}
		return 2
	}
	l := 0
	for depth+l < 16 {
		ch := keys[0][depth+l]
		same := true
		for _, k := range keys[1:] {
			if k[depth+l] != ch {
				same = false
				break
			}
		}
		if !same {
			break
		}
		l++
	}
	var n int64
	if l > 0 {
		n++ // compressed node holding the shared run
	}
	d := depth + l
	n++ // the branching node
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += raxCount(keys[i:j], d+1)
		i = j
	}
	return n
}
