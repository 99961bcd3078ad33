package commands

import (
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// streamNACK is a pending entry: delivered to a consumer, not acknowledged.
type streamNACK struct {
	id            StreamID
	deliveryTime  int64 // unix ms, from the log entry's clock
	deliveryCount uint64
	consumer      *streamConsumer
}

type streamConsumer struct {
	name     string
	seenTime int64      // unix ms of its last read or claim (c.Now)
	pel      []StreamID // its pending ids, ascending
}

// streamCG is a consumer group. Its state is replicated data: every field
// changes only in write commands, with times from the log entry.
type streamCG struct {
	name        string
	lastID      StreamID
	entriesRead int64         // -1 when unknown (Redis' SCG_INVALID_ENTRIES_READ)
	pel         []*streamNACK // ascending by id
	consumers   map[string]*streamConsumer
}

const invalidEntriesRead = -1

func (g *streamCG) clone() *streamCG {
	n := &streamCG{name: g.name, lastID: g.lastID, entriesRead: g.entriesRead,
		consumers: make(map[string]*streamConsumer, len(g.consumers)), pel: make([]*streamNACK, len(g.pel))}
	for k, c := range g.consumers {
		n.consumers[k] = &streamConsumer{name: c.name, seenTime: c.seenTime, pel: slices.Clone(c.pel)}
	}
	for i, nk := range g.pel {
		cp := *nk
		cp.consumer = n.consumers[nk.consumer.name]
		n.pel[i] = &cp
	}
	return n
}

func (g *streamCG) consumerNames() []string {
	names := make([]string, 0, len(g.consumers))
	for k := range g.consumers {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// pelIndex returns the index of the first pending entry with id >= id.
func (g *streamCG) pelIndex(id StreamID) int {
	return sort.Search(len(g.pel), func(i int) bool { return g.pel[i].id.Cmp(id) >= 0 })
}

func (g *streamCG) findNACK(id StreamID) *streamNACK {
	i := g.pelIndex(id)
	if i < len(g.pel) && g.pel[i].id == id {
		return g.pel[i]
	}
	return nil
}

// addNACK inserts a new pending entry owned by cs.
func (g *streamCG) addNACK(nk *streamNACK) {
	i := g.pelIndex(nk.id)
	if i < len(g.pel) && g.pel[i].id == nk.id {
		g.pel[i] = nk
	} else {
		g.pel = slices.Insert(g.pel, i, nk)
	}
	nk.consumer.addPending(nk.id)
}

// removeNACK drops a pending entry from the group and its consumer.
func (g *streamCG) removeNACK(nk *streamNACK) {
	i := g.pelIndex(nk.id)
	if i < len(g.pel) && g.pel[i] == nk {
		g.pel = slices.Delete(g.pel, i, i+1)
	}
	nk.consumer.removePending(nk.id)
}

func (cs *streamConsumer) pendingIndex(id StreamID) int {
	return sort.Search(len(cs.pel), func(i int) bool { return cs.pel[i].Cmp(id) >= 0 })
}

func (cs *streamConsumer) addPending(id StreamID) {
	i := cs.pendingIndex(id)
	if i < len(cs.pel) && cs.pel[i] == id {
		return
	}
	cs.pel = slices.Insert(cs.pel, i, id)
}

func (cs *streamConsumer) removePending(id StreamID) {
	i := cs.pendingIndex(id)
	if i < len(cs.pel) && cs.pel[i] == id {
		cs.pel = slices.Delete(cs.pel, i, i+1)
	}
}

func (s *Stream) group(name []byte) *streamCG {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
	if i < len(s.groups) && s.groups[i].name == string(name) {
		return s.groups[i]
	}
	return nil
}

// createGroup adds a group; nil when the name is taken.
func (s *Stream) createGroup(name string, id StreamID, entriesRead int64) *streamCG {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= name })
	if i < len(s.groups) && s.groups[i].name == name {
		return nil
	}
	g := &streamCG{name: name, lastID: id, entriesRead: entriesRead, consumers: map[string]*streamConsumer{}}
	s.groups = slices.Insert(s.groups, i, g)
	return g
}

func (s *Stream) destroyGroup(name []byte) bool {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
	if i < len(s.groups) && s.groups[i].name == string(name) {
		s.groups = slices.Delete(s.groups, i, i+1)
		return true
	}
	return false
}

// consumer looks a consumer up, creating it (seen now) when create is set.
func (g *streamCG) consumer(name []byte, create bool, now int64) (cs *streamConsumer, created bool) {
	if cs = g.consumers[string(name)]; cs != nil || !create {
		return cs, false
	}
	cs = &streamConsumer{name: string(name), seenTime: now}
	g.consumers[cs.name] = cs
	return cs, true
}

// deleteConsumer removes a consumer and its pending entries; returns how
// many were pending.
func (g *streamCG) deleteConsumer(cs *streamConsumer) int {
	n := len(cs.pel)
	for _, id := range cs.pel {
		i := g.pelIndex(id)
		if i < len(g.pel) && g.pel[i].id == id {
			g.pel = slices.Delete(g.pel, i, i+1)
		}
	}
	delete(g.consumers, cs.name)
	return n
}

// --- lag and entries-read, as Redis 7.0 computes them ---

// rangeHasTombstones is Redis' streamRangeHasTombstones(s, start, NULL-or-end).
func (s *Stream) rangeHasTombstones(start StreamID, end StreamID) bool {
	if s.length == 0 || s.maxDeletedID.IsZero() {
		return false
	}
	if s.firstID.Cmp(s.maxDeletedID) > 0 {
		return false
	}
	return start.Cmp(s.maxDeletedID) <= 0 && s.maxDeletedID.Cmp(end) <= 0
}

// estimateDistance is Redis' streamEstimateDistanceFromFirstEverEntry.
func (s *Stream) estimateDistance(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Cmp(s.lastID) < 1 {
		return s.entriesAdded
	}
	cmpLast := id.Cmp(s.lastID)
	if cmpLast == 0 {
		return s.entriesAdded
	} else if cmpLast > 0 {
		return invalidEntriesRead
	}
	cmpFirst := id.Cmp(s.firstID)
	if s.maxDeletedID.IsZero() || s.maxDeletedID.Cmp(s.firstID) < 0 {
		if cmpFirst < 0 {
			return s.entriesAdded - s.length
		} else if cmpFirst == 0 {
			return s.entriesAdded - s.length + 1
		}
	}
	return invalidEntriesRead
}

// lag is Redis' streamReplyWithCGLag; ok false means a null reply.
func (s *Stream) lag(g *streamCG) (int64, bool) {
	if s.entriesAdded == 0 {
		return 0, true
	}
	if g.entriesRead != invalidEntriesRead && !s.rangeHasTombstones(g.lastID, maxStreamID) {
		return s.entriesAdded - g.entriesRead, true
	}
	if er := s.estimateDistance(g.lastID); er != invalidEntriesRead {
		return s.entriesAdded - er, true
	}
	return 0, false
}

// --- the rewrite annotation that carries what Redis' commands cannot ---

// streamNotePrefix starts the annotation lines of a stream's group state. A
// line is limited to what redis-server accepts (1023 bytes); a consumer or
// pending entry whose names don't fit keeps what the commands give it.
const streamNotePrefix = "geomys:xgroup "

const maxStreamNote = 1000

// appendGroupsNote writes one annotation per consumer ("c" key group
// consumer seen-time) and per pending entry whose stream entry is gone
// ("p" key group consumer id delivery-time count), which XCLAIM would drop.
func (s *Stream) appendGroupsNote(buf []byte, key string) []byte {
	hk := hex.EncodeToString([]byte(key))
	for _, g := range s.groups {
		hg := hex.EncodeToString([]byte(g.name))
		for _, cn := range g.consumerNames() {
			cs := g.consumers[cn]
			hc := hex.EncodeToString([]byte(cn))
			if line := consumerNote(key, g.name, cs); len(line) <= maxStreamNote {
				buf = appendNote(buf, line)
			}
			for _, id := range cs.pel {
				if s.exists(id) {
					continue
				}
				nk := g.findNACK(id)
				line := streamNotePrefix + "p " + hk + " " + hg + " " + hc + " " + id.String() + " " +
					strconv.FormatInt(nk.deliveryTime, 10) + " " + strconv.FormatUint(nk.deliveryCount, 10)
				if len(line) <= maxStreamNote {
					buf = appendNote(buf, line)
				}
			}
		}
	}
	return buf
}

// consumerNote is the annotation that restores a consumer's seen time.
func consumerNote(key, group string, cs *streamConsumer) string {
	return streamNotePrefix + "c " + hex.EncodeToString([]byte(key)) + " " + hex.EncodeToString([]byte(group)) + " " +
		hex.EncodeToString([]byte(cs.name)) + " " + strconv.FormatInt(cs.seenTime, 10)
}

func appendNote(buf []byte, line string) []byte {
	buf = append(buf, '#')
	buf = append(buf, line...)
	return append(buf, '\r', '\n')
}

// LoadStreamNote applies a stream group annotation found while loading an
// AOF into db; it reports whether note was one.
func LoadStreamNote(db *DB, note string) bool {
	if loadStreamNodeNote(db.store, note) {
		return true
	}
	rest, ok := strings.CutPrefix(note, streamNotePrefix)
	if !ok {
		return false
	}
	f := strings.Fields(rest)
	if (len(f) == 7 || len(f) == 8) && f[0] == "n" {
		loadLayoutNote(db, f)
		return true
	}
	if len(f) < 5 {
		return true
	}
	key, err1 := hex.DecodeString(f[1])
	gname, err2 := hex.DecodeString(f[2])
	cname, err3 := hex.DecodeString(f[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return true
	}
	s, ok := db.keys[string(key)].(*Stream)
	if !ok {
		return true
	}
	g := s.group(gname)
	if g == nil {
		return true
	}
	cs, _ := g.consumer(cname, true, 0)
	switch {
	case f[0] == "c":
		if t, err := strconv.ParseInt(f[4], 10, 64); err == nil {
			cs.seenTime = t
		}
	case f[0] == "p" && len(f) == 7:
		id, ok := parseStreamIDString(f[4])
		t, err1 := strconv.ParseInt(f[5], 10, 64)
		n, err2 := strconv.ParseUint(f[6], 10, 64)
		if ok && err1 == nil && err2 == nil && g.findNACK(id) == nil {
			g.addNACK(&streamNACK{id: id, deliveryTime: t, deliveryCount: n, consumer: cs})
		}
	}
	return true
}

func parseStreamIDString(s string) (StreamID, bool) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return StreamID{}, false
	}
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	return StreamID{a, b}, err1 == nil && err2 == nil
}

// appendLayoutNotes records where each block starts, how many entries it
// holds live and in all, its size and last id, so that a loaded snapshot
// cuts blocks where the nodes that never reloaded do: approximate trimming
// removes whole blocks, and every node must trim alike.
func (s *Stream) appendLayoutNotes(buf []byte, key string) []byte {
	hk := hex.EncodeToString([]byte(key))
	for _, b := range s.blocks {
		line := streamNotePrefix + "n " + hk + " " + b.first.String() + " " + strconv.Itoa(b.live) + " " +
			strconv.Itoa(b.total()) + " " + strconv.Itoa(b.size()) + " " + b.lastAny().String()
		if len(line) > maxStreamNote {
			return buf
		}
		// The master entry's names, when the first live entry (which the
		// loaded block starts from) does not have them: an entry appended
		// later is sized against them. Too long, they are left out.
		if m := b.masterNote(); m != "" && len(line)+1+len(m) <= maxStreamNote {
			line += " " + m
		}
		buf = appendNote(buf, line)
	}
	return buf
}

// masterNote is "m" and the master's names in hex, comma-separated, or ""
// when the block's first live entry has the same names.
func (b *streamBlock) masterNote() string {
	for i := range b.offs {
		if b.deleted(i) {
			continue
		}
		e := b.entry(i, nil)
		same := len(e.fields)/2 == len(b.master)
		for j := 0; same && j < len(b.master); j++ {
			same = string(e.fields[2*j]) == string(b.master[j])
		}
		if same {
			return ""
		}
		break
	}
	parts := make([]string, len(b.master))
	for i, name := range b.master {
		parts[i] = hex.EncodeToString(name)
	}
	return "m" + strings.Join(parts, ",")
}

// loadLayoutNote rebuilds the next block of a loaded stream from a layout
// note: the first note of a key takes the entries out of the blocks the
// XADDs made, each note then refills one block.
func loadLayoutNote(db *DB, f []string) {
	key, err := hex.DecodeString(f[1])
	if err != nil {
		return
	}
	s, ok := db.keys[string(key)].(*Stream)
	if !ok {
		return
	}
	first, ok1 := parseStreamIDString(f[2])
	live, err1 := strconv.Atoi(f[3])
	total, err2 := strconv.Atoi(f[4])
	size, err3 := strconv.Atoi(f[5])
	tail, ok2 := parseStreamIDString(f[6])
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return
	}
	if s.relayout == nil {
		var all []streamEntry
		s.scan(minStreamID, maxStreamID, false, func(e streamEntry) bool {
			e.fields = append([][]byte(nil), e.fields...)
			all = append(all, e)
			return true
		})
		s.relayout = all
		s.blocks = s.blocks[:0:0]
	}
	if live > len(s.relayout) {
		live = len(s.relayout)
	}
	b := &streamBlock{first: first}
	if len(f) > 7 && strings.HasPrefix(f[7], "m") {
		var names [][]byte
		for _, h := range strings.Split(f[7][1:], ",") {
			name, err := hex.DecodeString(h)
			if err != nil {
				names = nil
				break
			}
			names = append(names, name)
		}
		if names != nil {
			b.setMaster(names)
		}
	}
	for _, e := range s.relayout[:live] {
		b.appendRaw(e)
	}
	s.relayout = s.relayout[live:]
	b.padCount = max(total-len(b.offs), 0)
	b.padBytes = max(size-b.size(), 0)
	b.tail = tail
	s.blocks = append(s.blocks, b)
	if len(s.relayout) == 0 {
		s.relayout = nil
	}
}
