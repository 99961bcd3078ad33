package fsm

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/geomys/geomys/commands"
)

// A log entry carries one pipeline's worth of write commands from one
// connection plus the leader's clock, so that every node executes them with
// the same notion of "now".
//
// Layout: 'G' version(1) uvarint(timeMs) uvarint(n) n×{db byte, proto byte,
// uvarint(argc), argc×{uvarint(len), bytes}}, then optionally the origin
// trailer (AppendOrigin).
const (
	entryMagic   = 'G'
	entryVersion = 1
)

// Cmd is one decoded command. Args alias the log entry's data.
type Cmd struct {
	DB    int
	Proto int
	// Retry: the command is run again for a client it blocked (Ctx.Retry).
	Retry bool
	// Read: a read that rode along with its connection's pipelined writes
	// (ProtoRead).
	Read bool
	Args [][]byte
}

// ProtoRetry, or'ed into the proto byte a command is added with, marks a
// blocked command's re-run. A version that does not know it reads a
// protocol above 3 and answers as RESP3; only the sender reads the reply,
// and the handlers that look at it change nothing in the dataset when it
// makes a difference.
const ProtoRetry = 0x80

// ProtoRead, or'ed into the proto byte, marks a read the leader put in the
// entry between its connection's pipelined writes, so that its reply shows
// exactly the writes before it (W1 R1 W2 R2 ...) without a Raft round of
// its own. It changes nothing anywhere: only the node whose client waits
// for the entry runs it, as a read (applyRead); every other node, and any
// replay, skips it. A version that does not know the flag answers an error
// for it (a read is no logged command), also changing nothing.
const ProtoRead = 0x40

// EntryWriter builds an entry incrementally without intermediate allocations.
type EntryWriter struct {
	buf   []byte
	count int
	hdr   int // offset where the count is patched in
	last  int // size of the last entry handed over: the next buffer's
}

// maxEntryHint caps the buffer Reset allocates after a hand-over; a bigger
// entry grows it by appending.
const maxEntryHint = 64 << 10

// Reset starts a new entry stamped with timeMs.
func (w *EntryWriter) Reset(timeMs int64) {
	if w.buf == nil {
		w.buf = make([]byte, 0, min(max(w.last, 64), maxEntryHint))
	}
	w.buf = append(w.buf[:0], entryMagic, entryVersion)
	w.buf = binary.AppendUvarint(w.buf, uint64(timeMs))
	w.hdr = len(w.buf)
	w.buf = append(w.buf, 0, 0, 0, 0) // fixed-width count, patched in Bytes
	w.count = 0
}

// Add appends a command.
func (w *EntryWriter) Add(db, proto int, args [][]byte) {
	w.buf = append(w.buf, byte(db), byte(proto))
	w.buf = binary.AppendUvarint(w.buf, uint64(len(args)))
	for _, a := range args {
		w.buf = binary.AppendUvarint(w.buf, uint64(len(a)))
		w.buf = append(w.buf, a...)
	}
	w.count++
}

// AddFrom appends the commands o holds.
func (w *EntryWriter) AddFrom(o *EntryWriter) {
	w.buf = append(w.buf, o.buf[o.hdr+4:]...)
	w.count += o.count
}

// AddAround appends a command whose argument i lies at full[off:] and
// returns true, if what goes before and after it in the entry fits in the
// room full has around it: the entry is then built in full around the
// argument, which is not copied (a big value read into a buffer with room
// around it, resp.BigArgHead). Otherwise it adds nothing and returns false.
func (w *EntryWriter) AddAround(db, proto int, args [][]byte, i int, full []byte, off int) bool {
	arg := args[i]
	if off+len(arg) > len(full) || len(arg) == 0 || &full[off] != &arg[0] {
		return false
	}
	pre := len(w.buf) + 2 + uvarintLen(len(args)) + uvarintLen(len(arg))
	post := 0
	for j, a := range args {
		if j < i {
			pre += uvarintLen(len(a)) + len(a)
		} else if j > i {
			post += uvarintLen(len(a)) + len(a)
		}
	}
	end := off + len(arg)
	if pre > off || post > len(full)-end {
		return false
	}
	var tmp [2 + 2*binary.MaxVarintLen64]byte
	head := append(tmp[:0], byte(db), byte(proto))
	head = binary.AppendUvarint(head, uint64(len(args)))
	// What precedes the argument, written backwards from it.
	at := off
	put := func(b []byte) {
		at -= len(b)
		copy(full[at:], b)
	}
	put(binary.AppendUvarint(tmp[len(head):len(head)], uint64(len(arg))))
	for j := i - 1; j >= 0; j-- {
		put(args[j])
		put(binary.AppendUvarint(tmp[len(head):len(head)], uint64(len(args[j]))))
	}
	put(head)
	put(w.buf)
	buf := full[at:end]
	for _, a := range args[i+1:] {
		buf = binary.AppendUvarint(buf, uint64(len(a)))
		buf = append(buf, a...)
	}
	w.buf = buf
	w.count++
	return true
}

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return len(binary.AppendUvarint(b[:0], uint64(n)))
}

// Trim drops a buffer grown past max bytes, so an idle connection that once
// sent a huge pipeline does not keep it.
func (w *EntryWriter) Trim(max int) {
	if cap(w.buf) > max {
		w.buf = nil
	}
}

func (w *EntryWriter) Len() int  { return w.count }
func (w *EntryWriter) Size() int { return len(w.buf) }

// Bytes hands over the encoded entry (raft keeps it after Apply returns):
// the writer lets go of its buffer, so the entry is never copied (a large
// value used to be, once more), and starts a new one at the next Reset.
func (w *EntryWriter) Bytes() []byte {
	binary.BigEndian.PutUint32(w.buf[w.hdr:], uint32(w.count))
	b := w.buf
	w.buf, w.last, w.count = nil, len(b), 0
	return b
}

// DecodeEntry returns the commands of an entry built by an EntryWriter
// (SLOWLOG shows a slow entry's commands).
func DecodeEntry(data []byte) ([]Cmd, error) {
	_, cmds, _, _, err := decodeEntry(data, nil, nil)
	return cmds, err
}

// The origin trailer names the connection that sent an entry's commands:
// 'O' uvarint(len(run)) run uvarint(client), where run is the sending
// server's run id (unique per process, so a client id of an earlier run
// never matches) and client that server's client id. It is only there when
// the sender asks not to be told about its own writes (CLIENT TRACKING
// NOLOOP): nothing in the dataset depends on it, and a version that does not
// know it ignores what follows the commands, so it needs no new version.
const originMagic = 'O'

// AppendOrigin returns entry (handed over by an EntryWriter) with the
// origin trailer; entry's spare capacity may be used.
func AppendOrigin(entry []byte, run string, client int64) []byte {
	entry = append(entry, originMagic)
	entry = binary.AppendUvarint(entry, uint64(len(run)))
	entry = append(entry, run...)
	return binary.AppendUvarint(entry, uint64(client))
}

// The stream node trailer gives the stream-node-max-entries and
// stream-node-max-bytes of the leader that built the entry: 'S'
// uvarint(entries) uvarint(bytes). Its XADDs append with them on every node
// (commands/stream_node.go says why); without it they use Redis' defaults,
// so the trailer is only there when the leader's setting differs. A version
// that does not know it ignores it, and would cut blocks at the defaults.
const streamNodeMagic = 'S'

// AppendStreamNode returns entry with the stream node trailer for l, or
// entry unchanged when l is the default.
func AppendStreamNode(entry []byte, l commands.StreamNodeLimits) []byte {
	if l == commands.DefaultStreamNodeLimits || len(entry) == 0 {
		return entry
	}
	entry = append(entry, streamNodeMagic)
	entry = binary.AppendUvarint(entry, uint64(l.Entries))
	return binary.AppendUvarint(entry, uint64(l.Bytes))
}

// trailers is what follows an entry's commands.
type trailers struct {
	run        []byte
	client     int64
	hasOrigin  bool
	streamNode commands.StreamNodeLimits
}

// parseTrailers reads the trailers that follow an entry's commands, in any
// order, up to one this version does not understand.
func parseTrailers(tail []byte) trailers {
	t := trailers{streamNode: commands.DefaultStreamNodeLimits}
	for len(tail) > 0 {
		switch tail[0] {
		case originMagic:
			p := tail[1:]
			l, n := binary.Uvarint(p)
			if n <= 0 || l > uint64(len(p)-n) {
				return t
			}
			run := p[n : n+int(l)]
			p = p[n+int(l):]
			id, n := binary.Uvarint(p)
			if n <= 0 {
				return t
			}
			t.run, t.client, t.hasOrigin = run, int64(id), true
			tail = p[n:]
		case streamNodeMagic:
			p := tail[1:]
			e, n := binary.Uvarint(p)
			if n <= 0 {
				return t
			}
			p = p[n:]
			b, n := binary.Uvarint(p)
			if n <= 0 {
				return t
			}
			t.streamNode = commands.StreamNodeLimits{Entries: int64(e), Bytes: int64(b)}
			tail = p[n:]
		default:
			return t
		}
	}
	return t
}

var errBadEntry = errors.New("fsm: malformed log entry")

// decodeEntry parses data into cmds, and their Args into one slab of
// argument slices (reusing both backing arrays: one allocation per command
// was most of what applying a SET allocated). Each command's Args is capped
// at its own length, so appending to it never writes into the next one's;
// a handler that keeps its Args beyond the entry copies the slice. tail is
// what follows the commands (the origin trailer, if any).
func decodeEntry(data []byte, cmds []Cmd, slab [][]byte) (timeMs int64, out []Cmd, args [][]byte, tail []byte, err error) {
	if len(data) < 2 || data[0] != entryMagic || data[1] != entryVersion {
		return 0, nil, slab, nil, errBadEntry
	}
	p := data[2:]
	t, n := binary.Uvarint(p)
	if n <= 0 || len(p) < n+4 {
		return 0, nil, slab, nil, errBadEntry
	}
	p = p[n:]
	count := int(binary.BigEndian.Uint32(p))
	p = p[4:]
	out, args = cmds[:0], slab[:0]
	// A script's effects can be a million commands in one entry: grow once
	// to the size the count says (bounded by what the bytes can hold: two
	// per command at least) rather than by repeated doubling, which copies
	// these pointer-holding slices again and again.
	if count > cap(out) && count <= len(p)/2 {
		out = make([]Cmd, 0, count)
	}
	for i := 0; i < count; i++ {
		if len(p) < 2 {
			return 0, nil, args, nil, errBadEntry
		}
		c := Cmd{DB: int(p[0]), Proto: int(p[1] &^ (ProtoRetry | ProtoRead)),
			Retry: p[1]&ProtoRetry != 0, Read: p[1]&ProtoRead != 0}
		p = p[2:]
		argc, n := binary.Uvarint(p)
		if n <= 0 || argc > uint64(len(p)) {
			return 0, nil, args, nil, errBadEntry
		}
		p = p[n:]
		if i == 0 && count > 1 && int(argc) <= len(p)/count && len(args)+count*int(argc) > cap(args) {
			// Assume the commands are alike (they are when a script
			// repeats one call); append grows further if not.
			args = slices.Grow(args, count*int(argc))
		}
		start := len(args)
		for range argc {
			l, n := binary.Uvarint(p)
			if n <= 0 || l > uint64(len(p)-n) {
				return 0, nil, args, nil, errBadEntry
			}
			args = append(args, p[n:n+int(l):n+int(l)])
			p = p[n+int(l):]
		}
		c.Args = args[start:len(args):len(args)]
		out = append(out, c)
	}
	return int64(t), out, args, p, nil
}

// A batch entry carries several connections' entries in one Raft log entry,
// so Raft's per-entry costs are paid once for all the writes that arrived
// together: 'B' version(1) uvarint(n) n×{uvarint(len), entry}.
const batchMagic = 'B'

// EncodeBatch packs entries (each built by an EntryWriter) into one.
func EncodeBatch(entries [][]byte) []byte {
	size := 2 + binary.MaxVarintLen64
	for _, e := range entries {
		size += binary.MaxVarintLen64 + len(e)
	}
	b := make([]byte, 0, size)
	b = append(b, batchMagic, entryVersion)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b
}

// splitBatch returns the entries of a batch entry (aliasing data),
// appended to out[:0].
func splitBatch(data []byte, out [][]byte) ([][]byte, error) {
	if len(data) < 2 || data[0] != batchMagic || data[1] != entryVersion {
		return nil, errBadEntry
	}
	p := data[2:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return nil, errBadEntry
	}
	p = p[k:]
	out = out[:0]
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return nil, errBadEntry
		}
		out = append(out, p[k:k+int(l)])
		p = p[k+int(l):]
	}
	return out, nil
}
