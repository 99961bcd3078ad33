package rdb

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// StreamID is a stream entry id.
type StreamID struct{ Ms, Seq uint64 }

func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// StreamEntry is one entry, its fields and values alternating. Deleted
// marks an entry XDEL or an exact trim removed, which Redis keeps in its
// node until the whole node goes.
type StreamEntry struct {
	ID      StreamID
	Fields  []string
	Deleted bool
}

// StreamNode is one listpack of a stream's radix tree: its key (the id of
// the first entry it was created with), the field names of its master
// entry, and every entry it holds, deleted ones included.
type StreamNode struct {
	Master       StreamID
	MasterFields []string
	Entries      []StreamEntry
}

// StreamPending is an entry of a group's pending list.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount uint64
	Consumer      string
	owned         bool // a consumer listed it (names may be empty)
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        string
	LastID      StreamID
	EntriesRead int64 // -1: unknown (RDB type 15)
	Pending     []StreamPending
	Consumers   []StreamConsumer
}

// Stream is a stream value as an RDB file holds it. Entries are the live
// entries of Nodes, in order; Length is the entry count the payload states.
type Stream struct {
	Nodes        []StreamNode
	Entries      []StreamEntry
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Groups       []StreamGroup
}

// Stream entry flags in listpacks.
const (
	streamItemDeleted    = 1
	streamItemSameFields = 2
)

var (
	errStream      = errors.New("rdb: bad stream listpack")
	errStreamNode  = errors.New("rdb: stream node key is not the size of a stream ID")
	errStreamPEL   = errors.New("rdb: duplicated stream PEL entry")
	errStreamOwner = errors.New("rdb: consumer entry not found in group global PEL")
)

// ReadStream reads a stream value of type 15, 19 or 21 (the listpacks of
// its radix tree, its metadata and consumer groups) and what follows it.
// Type 15 carries no first id, max deleted id, entries added or entries
// read: FirstID, MaxDeletedID and EntriesAdded are left zero and
// EntriesRead -1 for the caller to derive as Redis does. What Redis'
// loader refuses (a node key of the wrong size, a pending entry listed
// twice or owned by a consumer but absent from its group's list) is an
// error, and so is what only its deep sanitization would catch (an entry
// that does not parse, a pending entry without a consumer).
func ReadStream(typ byte, p []byte) (*Stream, []byte, error) {
	s := &Stream{}
	var err error
	num := func() uint64 {
		var n uint64
		if err == nil {
			n, _, p, err = ReadLen(p)
		}
		return n
	}
	id := func() StreamID { return StreamID{num(), num()} }
	raw := func() StreamID {
		if err != nil {
			return StreamID{}
		}
		if len(p) < 16 {
			err = errShort
			return StreamID{}
		}
		v := StreamID{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])}
		p = p[16:]
		return v
	}
	ms := func() int64 {
		if err != nil {
			return 0
		}
		if len(p) < 8 {
			err = errShort
			return 0
		}
		v := int64(binary.LittleEndian.Uint64(p))
		p = p[8:]
		return v
	}
	str := func() string {
		var v string
		if err == nil {
			v, p, err = ReadString(p)
		}
		return v
	}
	nodes := num()
	for i := uint64(0); i < nodes && err == nil; i++ {
		key := str()
		lp := str()
		if err != nil {
			break
		}
		if len(key) != 16 {
			return nil, nil, errStreamNode
		}
		master := StreamID{binary.BigEndian.Uint64([]byte(key)), binary.BigEndian.Uint64([]byte(key[8:]))}
		elems, lerr := ReadListpack([]byte(lp))
		if lerr != nil {
			return nil, nil, lerr
		}
		if err := s.addNode(master, elems); err != nil {
			return nil, nil, err
		}
	}
	s.Length = num()
	s.LastID = id()
	if typ >= TypeStreamListpacks2 {
		s.FirstID = id()
		s.MaxDeletedID = id()
		s.EntriesAdded = num()
	}
	groups := num()
	for i := uint64(0); i < groups && err == nil; i++ {
		g := StreamGroup{Name: str(), LastID: id(), EntriesRead: -1}
		if typ >= TypeStreamListpacks2 {
			g.EntriesRead = int64(num())
		}
		pending := num()
		at := map[StreamID]int{}
		for j := uint64(0); j < pending && err == nil; j++ {
			pe := StreamPending{ID: raw(), DeliveryTime: ms(), DeliveryCount: num()}
			if _, dup := at[pe.ID]; dup && err == nil {
				err = errStreamPEL
			}
			at[pe.ID] = len(g.Pending)
			g.Pending = append(g.Pending, pe)
		}
		consumers := num()
		for j := uint64(0); j < consumers && err == nil; j++ {
			c := StreamConsumer{Name: str(), SeenTime: ms()}
			if typ >= TypeStreamListpacks3 {
				ms() // active time
			}
			n := num()
			for k := uint64(0); k < n && err == nil; k++ {
				pid := raw()
				x, ok := at[pid]
				switch {
				case err != nil:
				case !ok:
					err = errStreamOwner
				case g.Pending[x].owned:
					err = errStreamPEL
				default:
					g.Pending[x].Consumer, g.Pending[x].owned = c.Name, true
				}
			}
			g.Consumers = append(g.Consumers, c)
		}
		for _, pe := range g.Pending {
			if !pe.owned && err == nil {
				err = errStreamOwner
			}
		}
		s.Groups = append(s.Groups, g)
	}
	if err != nil {
		return nil, nil, err
	}
	return s, p, nil
}

// addNode decodes one listpack: the master entry (count, deleted, master
// fields, 0), then per entry flags, id deltas, fields or values, lp-count.
func (s *Stream) addNode(master StreamID, e []string) error {
	at := 0
	next := func() (int64, error) {
		if at >= len(e) {
			return 0, errStream
		}
		n, err := strconv.ParseInt(e[at], 10, 64)
		at++
		return n, err
	}
	count, err := next()
	if err != nil {
		return errStream
	}
	deleted, err := next()
	if err != nil {
		return errStream
	}
	nf, err := next()
	if err != nil || nf < 0 || at+int(nf) >= len(e) {
		return errStream
	}
	mfields := e[at : at+int(nf)]
	at += int(nf) + 1 // the master entry's terminating 0
	if count+deleted <= 0 || at > len(e) {
		return errStream
	}
	node := StreamNode{Master: master, MasterFields: mfields}
	for i := int64(0); i < count+deleted; i++ {
		flags, err1 := next()
		dms, err2 := next()
		dseq, err3 := next()
		if err1 != nil || err2 != nil || err3 != nil {
			return errStream
		}
		var fields []string
		if flags&streamItemSameFields != 0 {
			if at+len(mfields) > len(e) {
				return errStream
			}
			fields = make([]string, 0, 2*len(mfields))
			for j, f := range mfields {
				fields = append(fields, f, e[at+j])
			}
			at += len(mfields)
		} else {
			n, err := next()
			if err != nil || n < 0 || at+2*int(n) > len(e) {
				return errStream
			}
			fields = append([]string(nil), e[at:at+2*int(n)]...)
			at += 2 * int(n)
		}
		at++ // lp-count
		if len(fields) == 0 || at > len(e) {
			return errStream
		}
		en := StreamEntry{ID: StreamID{master.Ms + uint64(dms), master.Seq + uint64(dseq)}, Fields: fields,
			Deleted: flags&streamItemDeleted != 0}
		node.Entries = append(node.Entries, en)
		if !en.Deleted {
			s.Entries = append(s.Entries, en)
		}
	}
	if at != len(e) {
		return errStream
	}
	s.Nodes = append(s.Nodes, node)
	return nil
}
