package commands

import (
	"encoding/binary"
	"math"
	"sort"
	"strconv"

	"github.com/geomys/geomys/rdb"
	"github.com/geomys/geomys/resp"
)

// StreamID is a stream entry id: milliseconds and a sequence number.
type StreamID struct{ Ms, Seq uint64 }

var (
	minStreamID = StreamID{}
	maxStreamID = StreamID{math.MaxUint64, math.MaxUint64}
)

func (a StreamID) Cmp(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// incr is Redis' streamIncrID: false when a is the largest id.
func (a StreamID) incr() (StreamID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return StreamID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{}, false
}

// decr is Redis' streamDecrID: false when a is 0-0.
func (a StreamID) decr() (StreamID, bool) {
	switch {
	case a.Seq > 0:
		return StreamID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{}, false
}

func (a StreamID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

func (a StreamID) String() string { return string(a.Append(nil)) }

// A block is the equivalent of one of Redis' listpack nodes: approximate
// trimming (~) removes whole blocks, so where blocks start is part of the
// replicated state; it depends only on the entries appended and the node
// limits the log gives each XADD (stream_node.go), so every node and every
// replay cuts them at the same places.

// streamBlock holds a run of entries in one byte slice. Each entry is a flag
// byte (1 = deleted), the id as uvarint(ms - first.Ms) and uvarint(seq), the
// number of strings (fields and values) and each string length-prefixed.
// offs has every entry's start so ranges can run backwards.
type streamBlock struct {
	first StreamID // id of the block's first entry (deleted or not)
	data  []byte
	offs  []uint32
	live  int
	// After a snapshot or rewrite is loaded, deleted entries are gone but
	// still count as in Redis' node (and in the nodes that never reloaded):
	// padCount and padBytes stand for them, tail for the last one's id.
	padCount int
	padBytes int
	tail     StreamID
	// lpBytes is the size of Redis' listpack for the same node but for
	// the master entry's count and deleted counters (size adds them), which
	// decides where Redis starts the next node; master holds the field
	// names of the node's master entry (its first entry's), which Redis
	// leaves out of later entries with the same names (SAMEFIELDS).
	lpBytes int
	master  [][]byte
}

func (b *streamBlock) total() int { return len(b.offs) + b.padCount }

// size is lpBytes of Redis' listpack: the counters of live and deleted
// entries grow by a byte or more as they pass 127, 4095, ...
func (b *streamBlock) size() int {
	return b.lpBytes + b.padBytes + rdb.IntSize(int64(b.live)) + rdb.IntSize(int64(b.total()-b.live))
}

// lastAny is the id of the block's last entry, deleted or not.
func (b *streamBlock) lastAny() StreamID {
	id := b.id(len(b.offs) - 1)
	if b.tail.Cmp(id) > 0 {
		return b.tail
	}
	return id
}

// streamEntry is one decoded entry; fields alias the block's bytes and stay
// valid while the handler runs.
type streamEntry struct {
	id     StreamID
	fields [][]byte
}

func (b *streamBlock) deleted(i int) bool { return b.data[b.offs[i]] == 1 }

func (b *streamBlock) id(i int) StreamID {
	p := b.data[b.offs[i]+1:]
	d, n := binary.Uvarint(p)
	seq, _ := binary.Uvarint(p[n:])
	return StreamID{b.first.Ms + d, seq}
}

func (b *streamBlock) entry(i int, fields [][]byte) streamEntry {
	p := b.data[b.offs[i]+1:]
	d, n := binary.Uvarint(p)
	p = p[n:]
	seq, n := binary.Uvarint(p)
	p = p[n:]
	cnt, n := binary.Uvarint(p)
	p = p[n:]
	fields = fields[:0]
	for j := uint64(0); j < cnt; j++ {
		l, n := binary.Uvarint(p)
		p = p[n:]
		fields = append(fields, p[:l:l])
		p = p[l:]
	}
	return streamEntry{StreamID{b.first.Ms + d, seq}, fields}
}

// search returns the index of the first entry with id >= id.
func (b *streamBlock) search(id StreamID) int {
	return sort.Search(len(b.offs), func(i int) bool { return b.id(i).Cmp(id) >= 0 })
}

func (b *streamBlock) clone() *streamBlock {
	return &streamBlock{first: b.first, data: append([]byte(nil), b.data...),
		offs: append([]uint32(nil), b.offs...), live: b.live, padCount: b.padCount, padBytes: b.padBytes, tail: b.tail,
		lpBytes: b.lpBytes, master: b.master}
}

// streamCG is a consumer group; see stream_group.go.

// Stream is the stream value: blocks of entries in id order plus the
// metadata Redis keeps (last id, entries added, max deleted id, first id)
// and the consumer groups.
type Stream struct {
	blocks       []*streamBlock
	length       int64
	lastID       StreamID
	firstID      StreamID
	maxDeletedID StreamID
	entriesAdded int64
	groups       []*streamCG   // sorted by name
	relayout     []streamEntry // entries awaiting their block while an AOF loads
	acct         int64         // accounted bytes (memacct.go)
}

// acctBytes and setAcctBytes keep the bytes the stream's key counts in used
// memory in the stream itself (selfAccounted): every XADD re-measures its
// stream, and a map entry per key was one more cache miss per write.
func (s *Stream) acctBytes() int64     { return s.acct }
func (s *Stream) setAcctBytes(n int64) { s.acct = n }

func NewStream() *Stream { return &Stream{} }

func (s *Stream) Len() int64 { return s.length }

func (s *Stream) TypeName() string { return "stream" }
func (s *Stream) Encoding() string { return "stream" }

func (s *Stream) CloneValue() Collection {
	n := *s
	n.blocks = make([]*streamBlock, len(s.blocks))
	for i, b := range s.blocks {
		n.blocks[i] = b.clone()
	}
	n.groups = make([]*streamCG, len(s.groups))
	for i, g := range s.groups {
		n.groups[i] = g.clone()
	}
	return &n
}

// appendEntry adds an entry with an id greater than lastID (checked by the
// caller) and fields (an even number of strings), in a new block when the
// last one is full by lim.
func (s *Stream) appendEntry(id StreamID, fields [][]byte, lim StreamNodeLimits) {
	size := 0
	for _, f := range fields {
		size += len(f)
	}
	var b *streamBlock
	if n := len(s.blocks); n > 0 {
		b = s.blocks[n-1]
		if lim.full(b, size) {
			b = nil
		}
	}
	if b == nil {
		b = &streamBlock{first: id}
		s.blocks = append(s.blocks, b)
	}
	b.appendRaw(streamEntry{id, fields})
	if s.length == 0 {
		s.firstID = id
	}
	s.length++
	s.lastID = id
	s.entriesAdded++
}

func (b *streamBlock) appendRaw(e streamEntry) {
	b.lpAdd(e)
	b.offs = append(b.offs, uint32(len(b.data)))
	d := b.data
	d = append(d, 0)
	d = binary.AppendUvarint(d, e.id.Ms-b.first.Ms)
	d = binary.AppendUvarint(d, e.id.Seq)
	d = binary.AppendUvarint(d, uint64(len(e.fields)))
	for _, f := range e.fields {
		d = binary.AppendUvarint(d, uint64(len(f)))
		d = append(d, f...)
	}
	b.data = d
	b.live++
}

// setMaster starts the node's listpack with its master entry: count,
// deleted, the number of fields, their names and a terminator
// (streamAppendItem).
func (b *streamBlock) setMaster(names [][]byte) {
	b.master = make([][]byte, len(names))
	n := rdb.EmptySize + rdb.IntSize(int64(len(names))) + rdb.IntSize(0)
	for i, name := range names {
		b.master[i] = append([]byte(nil), name...)
		n += rdb.ElementSize(name)
	}
	b.lpBytes = n
}

// setMasterFrom is setMaster with the names of an entry's field-value
// pairs, copied into one buffer: a new stream's first XADD allocates less.
func (b *streamBlock) setMasterFrom(fields [][]byte) {
	pairs := len(fields) / 2
	b.master = make([][]byte, pairs)
	size := 0
	for i := 0; i < len(fields); i += 2 {
		size += len(fields[i])
	}
	buf := make([]byte, 0, size)
	n := rdb.EmptySize + rdb.IntSize(int64(pairs)) + rdb.IntSize(0)
	for i := 0; i < pairs; i++ {
		name := fields[2*i]
		start := len(buf)
		buf = append(buf, name...)
		b.master[i] = buf[start:len(buf):len(buf)]
		n += rdb.ElementSize(name)
	}
	b.lpBytes = n
}

// lpAdd grows lpBytes by what streamAppendItem writes for e: flags, the id
// as differences from the node's first id, the number of fields and the
// names unless they are the master's, the values, and the element count.
// The master entry's counters are counted by size.
func (b *streamBlock) lpAdd(e streamEntry) {
	if b.master == nil {
		b.setMasterFrom(e.fields)
	}
	pairs := len(e.fields) / 2
	same := pairs == len(b.master)
	for i := 0; same && i < pairs; i++ {
		same = string(e.fields[2*i]) == string(b.master[i])
	}
	const sameFields = 2 // STREAM_ITEM_FLAG_SAMEFIELDS
	flags, count := int64(0), int64(3+pairs)
	if same {
		flags = sameFields
	} else {
		count += int64(pairs) + 1
	}
	// Both differences are unsigned subtractions Redis stores as int64.
	n := rdb.IntSize(flags) + rdb.IntSize(int64(e.id.Ms-b.first.Ms)) + rdb.IntSize(int64(e.id.Seq-b.first.Seq))
	if !same {
		n += rdb.IntSize(int64(pairs))
	}
	for i, f := range e.fields {
		if i%2 == 1 || !same {
			n += rdb.ElementSize(f)
		}
	}
	b.lpBytes += n + rdb.IntSize(count)
}

// blockFor returns the index of the block that may hold id: the last one
// whose first id is <= id (0 when id is before every block).
func (s *Stream) blockFor(id StreamID) int {
	i := sort.Search(len(s.blocks), func(i int) bool { return s.blocks[i].first.Cmp(id) > 0 })
	if i > 0 {
		i--
	}
	return i
}

// scan calls fn for each live entry with start <= id <= end, ascending or
// (rev) descending, until fn returns false.
func (s *Stream) scan(start, end StreamID, rev bool, fn func(e streamEntry) bool) {
	if start.Cmp(end) > 0 || len(s.blocks) == 0 {
		return
	}
	var fields [][]byte
	if !rev {
		for bi := s.blockFor(start); bi < len(s.blocks); bi++ {
			b := s.blocks[bi]
			for i := b.search(start); i < len(b.offs); i++ {
				if b.deleted(i) {
					continue
				}
				e := b.entry(i, fields)
				fields = e.fields
				if e.id.Cmp(end) > 0 {
					return
				}
				if !fn(e) {
					return
				}
			}
		}
		return
	}
	for bi := s.blockFor(end); bi >= 0; bi-- {
		b := s.blocks[bi]
		i := b.search(end)
		if i == len(b.offs) || b.id(i).Cmp(end) > 0 {
			i--
		}
		for ; i >= 0; i-- {
			if b.deleted(i) {
				continue
			}
			e := b.entry(i, fields)
			fields = e.fields
			if e.id.Cmp(start) < 0 {
				return
			}
			if !fn(e) {
				return
			}
		}
	}
}

// lookup finds a live entry by id.
func (s *Stream) lookup(id StreamID) (streamEntry, bool) {
	var out streamEntry
	found := false
	s.scan(id, id, false, func(e streamEntry) bool {
		out, found = e, true
		return false
	})
	return out, found
}

func (s *Stream) exists(id StreamID) bool {
	if len(s.blocks) == 0 {
		return false
	}
	b := s.blocks[s.blockFor(id)]
	i := b.search(id)
	return i < len(b.offs) && !b.deleted(i) && b.id(i) == id
}

// deleteID removes a live entry (XDEL); reports whether there was one.
func (s *Stream) deleteID(id StreamID) bool {
	if len(s.blocks) == 0 {
		return false
	}
	bi := s.blockFor(id)
	b := s.blocks[bi]
	i := b.search(id)
	if i == len(b.offs) || b.deleted(i) || b.id(i) != id {
		return false
	}
	b.data[b.offs[i]] = 1
	b.live--
	s.length--
	if b.live == 0 {
		s.blocks = append(s.blocks[:bi], s.blocks[bi+1:]...)
	}
	return true
}

// updateFirstID recomputes the first entry's id after deletions, 0-0 for an
// empty stream, as Redis does after XDEL and trimming.
func (s *Stream) updateFirstID() {
	s.firstID = StreamID{}
	s.scan(minStreamID, maxStreamID, false, func(e streamEntry) bool {
		s.firstID = e.id
		return false
	})
}

// lastEntryID is the id of the last live entry (0-0 when empty).
func (s *Stream) lastEntryID() StreamID {
	var id StreamID
	s.scan(minStreamID, maxStreamID, true, func(e streamEntry) bool {
		id = e.id
		return false
	})
	return id
}

// trim is Redis' streamTrim: with maxlen >= 0 keep at most maxlen entries,
// else drop entries below minid. approx removes whole blocks only; limit
// (approx only, 0 = none) caps the entries removed. Returns how many went.
func (s *Stream) trim(maxlen int64, minid StreamID, approx bool, limit int64) int64 {
	var deleted int64
	for len(s.blocks) > 0 {
		if maxlen >= 0 && s.length <= maxlen {
			break
		}
		b := s.blocks[0]
		entries := int64(b.live)
		if limit > 0 && deleted+entries > limit {
			break
		}
		var remove bool
		if maxlen >= 0 {
			remove = s.length-entries >= maxlen
		} else {
			remove = b.lastAny().Cmp(minid) < 0
		}
		if remove {
			s.blocks = s.blocks[1:]
			s.length -= entries
			deleted += entries
			continue
		}
		if approx {
			break
		}
		for i := range b.offs {
			if maxlen >= 0 {
				if s.length <= maxlen {
					break
				}
			} else if b.id(i).Cmp(minid) >= 0 {
				break
			}
			if !b.deleted(i) {
				b.data[b.offs[i]] = 1
				b.live--
				s.length--
				deleted++
			}
		}
		break
	}
	if len(s.blocks) > 0 && s.blocks[0].live == 0 {
		s.blocks = s.blocks[1:]
	}
	if s.length == 0 {
		s.firstID = StreamID{}
	} else {
		s.updateFirstID()
	}
	return deleted
}

// AppendRewrite emits what Redis' AOF rewrite emits for a stream: XADD per
// entry (or the XADD MAXLEN 0 trick for an empty stream), XSETID with the
// metadata, XGROUP CREATE ... ENTRIESREAD per group and XCLAIM ... FORCE per
// pending entry or XGROUP CREATECONSUMER for consumers with none. A stock
// redis-server loads that; what it cannot carry exactly (consumers' seen
// times, pending entries whose entry was deleted) follows in an annotation
// that Redis skips and Geomys applies (see loadStreamNote), so a snapshot
// restores the groups exactly on every node.
func (s *Stream) AppendRewrite(buf []byte, key string) []byte {
	var idb []byte
	if s.length > 0 {
		args := make([][]byte, 0, 8)
		s.scan(minStreamID, maxStreamID, false, func(e streamEntry) bool {
			idb = e.id.Append(idb[:0])
			args = append(args[:0], []byte("XADD"), []byte(key), idb)
			args = append(args, e.fields...)
			buf = resp.AppendCommand(buf, args...)
			return true
		})
	} else {
		buf = resp.AppendCommand(buf, "XADD", key, "MAXLEN", "0", "0-1", "x", "y")
	}
	buf = resp.AppendCommand(buf, "XSETID", key, s.lastID.String(), "ENTRIESADDED",
		strconv.FormatInt(s.entriesAdded, 10), "MAXDELETEDID", s.maxDeletedID.String())
	buf = s.appendLayoutNotes(buf, key)
	for _, g := range s.groups {
		buf = resp.AppendCommand(buf, "XGROUP", "CREATE", key, g.name, g.lastID.String(),
			"ENTRIESREAD", strconv.FormatInt(g.entriesRead, 10))
		for _, cn := range g.consumerNames() {
			cs := g.consumers[cn]
			if len(cs.pel) == 0 {
				buf = resp.AppendCommand(buf, "XGROUP", "CREATECONSUMER", key, g.name, cs.name)
				continue
			}
			for _, id := range cs.pel {
				nk := g.pel[g.pelIndex(id)]
				buf = resp.AppendCommand(buf, "XCLAIM", key, g.name, cs.name, "0", id.String(),
					"TIME", strconv.FormatInt(nk.deliveryTime, 10), "RETRYCOUNT",
					strconv.FormatUint(nk.deliveryCount, 10), "JUSTID", "FORCE")
			}
		}
	}
	if len(s.groups) > 0 {
		buf = s.appendGroupsNote(buf, key)
	}
	return buf
}
