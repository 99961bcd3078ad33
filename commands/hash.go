package commands

import (
	"bytes"
	"hash/maphash"
	"maps"

	"github.com/geomys/geomys/resp"
)

// Hash is a field -> value map with two encodings, like Redis:
//
//   - listpack: a compact slice of field/value pairs in insertion order,
//     searched linearly. Deleting a field keeps the order of the others, so
//     HGETALL, HKEYS, HSCAN ... answer in exactly the order Redis does. A
//     one-byte fingerprint per field, scanned with bytes.IndexByte, keeps a
//     lookup in a 512-field listpack to a few string comparisons.
//   - hashtable: the same slice plus a Go map from field to its index in the
//     slice, and each field's fixed scan position (see scan.go) for HSCAN.
//     Deleting swaps the last pair into the hole. The slice gives a stable
//     iteration order (HKEYS and HVALS agree) and O(1) random access for
//     HRANDFIELD.
//
// A hash is converted to hashtable past hash-max-listpack-entries fields or when
// a field or value longer than hash-max-listpack-value bytes is stored: Redis'
// defaults hash-max-listpack-entries 512 and hash-max-listpack-value 64 (as
// redis-server 7 reports them in CONFIG GET). It is never converted back.
type Hash struct {
	ents []hashEntry
	idx  map[string]int32 // nil while listpack-encoded
	pos  []uint64         // scan position of ents[i]; hashtable only
	fp   []byte           // fingerprint of ents[i].field; listpack only
}

// fpSeed keys the listpack fingerprints; they never leave the process.
var fpSeed = maphash.MakeSeed()

func fingerprint(field []byte) byte { return byte(maphash.Bytes(fpSeed, field)) }

type hashEntry struct {
	field, value string
}

func NewHash() *Hash { return &Hash{} }

func (h *Hash) Len() int { return len(h.ents) }

// IsListpack reports whether the hash still has the compact encoding.
func (h *Hash) IsListpack() bool { return h.idx == nil }

// find returns the index of field, or -1.
func (h *Hash) find(field []byte) int {
	if h.idx != nil {
		if i, ok := h.idx[string(field)]; ok {
			return int(i)
		}
		return -1
	}
	return h.scanFP(field, fingerprint(field))
}

// scanFP finds field in a listpack whose fingerprint is t.
func (h *Hash) scanFP(field []byte, t byte) int {
	for off := 0; ; {
		j := bytes.IndexByte(h.fp[off:], t)
		if j < 0 {
			return -1
		}
		i := off + j
		if h.ents[i].field == string(field) {
			return i
		}
		off = i + 1
	}
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) (string, bool) {
	if i := h.find(field); i >= 0 {
		return h.ents[i].value, true
	}
	return "", false
}

// Exists reports whether field is present.
func (h *Hash) Exists(field []byte) bool { return h.find(field) >= 0 }

// At returns pair i (0 <= i < Len) in iteration order.
func (h *Hash) At(i int) (field, value string) {
	e := &h.ents[i]
	return e.field, e.value
}

// Convert switches to the hashtable encoding (no-op if already there).
func (h *Hash) Convert() {
	if h.idx != nil {
		return
	}
	h.idx = make(map[string]int32, max(len(h.ents), min(hashMaxListpackEntries(), 1024)+1))
	h.pos = make([]uint64, len(h.ents), cap(h.ents))
	h.fp = nil
	for i := range h.ents {
		f := h.ents[i].field
		h.idx[f] = int32(i)
		h.pos[i] = scanPos(f)
	}
}

// hashTooLong reports whether a field or value of n bytes forces the hashtable encoding.
func hashTooLong(n int) bool { return n > hashMaxListpackValue() }

// Set stores value under field and reports whether the field is new.
// The hash converts itself when field or value is too long for a listpack
// or when it grows past hashMaxListpackEntries().
func (h *Hash) Set(field, value []byte) bool {
	if h.idx == nil && (hashTooLong(len(field)) || hashTooLong(len(value))) {
		h.Convert()
	}
	i, t := h.lookup(field)
	if i >= 0 {
		e := &h.ents[i]
		if e.value != string(value) {
			e.value = string(value)
		}
		return false
	}
	h.add(string(field), string(value), t)
	return true
}

// SetString is Set for a string value (HINCRBY, HINCRBYFLOAT results).
func (h *Hash) SetString(field []byte, value string) bool {
	if h.idx == nil && (hashTooLong(len(field)) || hashTooLong(len(value))) {
		h.Convert()
	}
	i, t := h.lookup(field)
	if i >= 0 {
		h.ents[i].value = value
		return false
	}
	h.add(string(field), value, t)
	return true
}

// lookup is find that also returns the fingerprint (listpack) for add.
func (h *Hash) lookup(field []byte) (int, byte) {
	if h.idx != nil {
		return h.find(field), 0
	}
	t := fingerprint(field)
	return h.scanFP(field, t), t
}

// add appends a field known to be absent; t is its fingerprint (listpack).
func (h *Hash) add(field, value string, t byte) {
	h.ents = append(h.ents, hashEntry{field, value})
	if h.idx != nil {
		h.idx[field] = int32(len(h.ents) - 1)
		h.pos = append(h.pos, scanPos(field))
		return
	}
	h.fp = append(h.fp, t)
	if len(h.ents) > hashMaxListpackEntries() {
		h.Convert()
	}
}

// Delete removes field and reports whether it was present.
func (h *Hash) Delete(field []byte) bool {
	i := h.find(field)
	if i < 0 {
		return false
	}
	last := len(h.ents) - 1
	if h.idx == nil {
		copy(h.ents[i:], h.ents[i+1:])
		h.ents[last] = hashEntry{}
		h.ents = h.ents[:last]
		copy(h.fp[i:], h.fp[i+1:])
		h.fp = h.fp[:last]
		return true
	}
	delete(h.idx, h.ents[i].field)
	if i != last {
		h.ents[i] = h.ents[last]
		h.pos[i] = h.pos[last]
		h.idx[h.ents[i].field] = int32(i)
	}
	h.ents[last] = hashEntry{}
	h.ents = h.ents[:last]
	h.pos = h.pos[:last]
	h.shrink()
	return true
}

// shrink gives memory back once a large hash lost most of its fields.
func (h *Hash) shrink() {
	n := len(h.ents)
	if c := cap(h.ents); c > 64 && n <= c/4 {
		ents := make([]hashEntry, n, 2*n)
		copy(ents, h.ents)
		pos := make([]uint64, n, 2*n)
		copy(pos, h.pos)
		h.ents, h.pos = ents, pos
		idx := make(map[string]int32, n) // a Go map never shrinks by itself
		for i := range ents {
			idx[ents[i].field] = int32(i)
		}
		h.idx = idx
	}
}

// Clone returns an independent copy.
func (h *Hash) Clone() *Hash {
	c := &Hash{ents: make([]hashEntry, len(h.ents))}
	copy(c.ents, h.ents)
	if h.idx != nil {
		c.idx = maps.Clone(h.idx)
		c.pos = make([]uint64, len(h.pos))
		copy(c.pos, h.pos)
	} else {
		c.fp = bytes.Clone(h.fp)
	}
	return c
}

func (h *Hash) TypeName() string       { return "hash" }
func (h *Hash) CloneValue() Collection { return h.Clone() }
func (h *Hash) Encoding() string {
	if h.idx == nil {
		return "listpack"
	}
	return "hashtable"
}

// AppendRewrite emits HSET key f v ... with up to rewriteBatch pairs each.
func (h *Hash) AppendRewrite(buf []byte, key string) []byte {
	args := make([]string, 0, 2+2*min(rewriteBatch, len(h.ents)))
	for i := 0; i < len(h.ents); i += rewriteBatch {
		end := min(i+rewriteBatch, len(h.ents))
		args = append(args[:0], "HSET", key)
		for _, e := range h.ents[i:end] {
			args = append(args, e.field, e.value)
		}
		buf = resp.AppendCommand(buf, args...)
	}
	return buf
}
