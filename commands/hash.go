package commands

import (
	"maps"
	"strings"
	"unsafe"

	"github.com/geomys/geomys/resp"
)

// Hash is a field -> value map with two encodings, like Redis:
//
//   - listpack: one immutable string holding the field/value pairs in
//     insertion order, each as a uvarint length and its bytes, searched
//     linearly (at most hash-max-listpack-entries pairs). A small hash costs
//     this one allocation next to the Hash itself, as Redis' listpack does,
//     instead of a slice and a string per field and value. A change builds
//     a new string (as Redis reallocates its listpack), so a string handed
//     out by Get or At never changes under its holder and a clone for a
//     snapshot shares the bytes. Deleting a field keeps the order of the
//     others, so HGETALL, HKEYS, HSCAN ... answer in exactly the order Redis
//     does.
//   - hashtable (hashTable): a slice of pairs plus a Go map from field to its
//     index in the slice, and each field's fixed scan position (see scan.go)
//     for HSCAN. Deleting swaps the last pair into the hole. The slice gives
//     a stable iteration order (HKEYS and HVALS agree) and O(1) random
//     access for HRANDFIELD.
//
// A hash is converted to hashtable past hash-max-listpack-entries fields or when
// a field or value longer than hash-max-listpack-value bytes is stored: Redis'
// defaults hash-max-listpack-entries 512 and hash-max-listpack-value 64 (as
// redis-server 7 reports them in CONFIG GET). It is never converted back.
//
// A million two-field hashes are a million of these headers: it is kept to
// 16 bytes (a Go size class, next to the listpack's own allocation) by
// holding either the listpack string's data pointer or the *hashTable in one
// word, the listpack's 32-bit length and accounted bytes in the other, and
// by counting the pairs when asked.
type Hash struct {
	p    unsafe.Pointer // listpack: an immutable string's bytes; hashtable: the *hashTable
	meta uint64         // listpack: length | accounted bytes<<32 (memacct.go); hashtable: tableMeta
}

const (
	tableMeta = 1<<64 - 1
	// maxListpack bounds a listpack's bytes (and accounted bytes) to 32
	// bits, short of the all-ones length that marks a hashtable.
	maxListpack = 1<<32 - 2
)

// table returns the hashtable, nil while listpack-encoded.
func (h *Hash) table() *hashTable {
	if h.meta == tableMeta {
		return (*hashTable)(h.p)
	}
	return nil
}

// listpack returns the pairs' string ("" once converted).
func (h *Hash) listpack() string {
	if h.meta == tableMeta {
		return ""
	}
	return unsafe.String((*byte)(h.p), uint32(h.meta))
}

func (h *Hash) setListpack(s string) {
	h.p = unsafe.Pointer(unsafe.StringData(s))
	h.meta = h.meta&^(1<<32-1) | uint64(len(s))
}

type hashTable struct {
	ents []hashEntry
	idx  map[string]int32
	pos  []uint64 // scan position of ents[i]
	acct int64    // accounted bytes (memacct.go)
}

// acctBytes and setAcctBytes keep the bytes the hash's key counts in used
// memory in the hash itself (selfAccounted), not in a map entry per key.
func (h *Hash) acctBytes() int64 {
	if t := h.table(); t != nil {
		return t.acct
	}
	return int64(h.meta >> 32)
}

func (h *Hash) setAcctBytes(n int64) {
	if n > maxListpack { // only with limits raised far past Redis' defaults
		h.Convert()
	}
	if t := h.table(); t != nil {
		t.acct = n
		return
	}
	h.meta = uint64(n)<<32 | h.meta&(1<<32-1)
}

type hashEntry struct {
	field, value string
}

func NewHash() *Hash { return &Hash{} }

// Len is the number of fields; linear in a listpack's size.
func (h *Hash) Len() int {
	if t := h.table(); t != nil {
		return len(t.ents)
	}
	n := 0
	lp := h.listpack()
	for off := 0; off < len(lp); n++ {
		_, fe := lpString(lp, off)
		_, off = lpString(lp, fe)
	}
	return n
}

// IsListpack reports whether the hash still has the compact encoding.
func (h *Hash) IsListpack() bool { return h.table() == nil }

// lpString reads the length-prefixed string at off of lp and returns where
// its bytes start and end.
func lpString(lp string, off int) (start, end int) {
	if b := lp[off]; b < 0x80 { // every string up to 127 bytes: inlined
		return off + 1, off + 1 + int(b)
	}
	return lpStringLong(lp, off)
}

func lpStringLong(lp string, off int) (start, end int) {
	var n, shift uint
	for {
		b := lp[off]
		off++
		n |= uint(b&0x7f) << shift
		if b < 0x80 {
			return off, off + int(n)
		}
		shift += 7
	}
}

func uvarintLen(n int) int {
	k := 1
	for ; n >= 0x80; n >>= 7 {
		k++
	}
	return k
}

func writeLP(sb *strings.Builder, s []byte) {
	n := uint(len(s))
	for ; n >= 0x80; n >>= 7 {
		sb.WriteByte(byte(n) | 0x80)
	}
	sb.WriteByte(byte(n))
	sb.Write(s)
}

// lpFind locates field in the listpack: the pair spans lp[start:end] and its
// value's encoding starts at vstart. start is -1 when field is absent, and
// end is then the number of pairs.
func (h *Hash) lpFind(field []byte) (start, vstart, end int) {
	lp := h.listpack()
	n := 0
	for off := 0; off < len(lp); n++ {
		fs, fe := lpString(lp, off)
		_, ve := lpString(lp, fe)
		// Length, then last byte (fields often share a prefix), then all.
		if fe-fs == len(field) && (len(field) == 0 || lp[fe-1] == field[len(field)-1]) && lp[fs:fe] == string(field) {
			return off, fe, ve
		}
		off = ve
	}
	return -1, 0, n
}

// lpSplice replaces lp[start:end] with the encoded strings of parts.
func (h *Hash) lpSplice(start, end int, parts ...[]byte) {
	lp := h.listpack()
	size := len(lp) - (end - start)
	for _, p := range parts {
		size += uvarintLen(len(p)) + len(p)
	}
	if size == 0 {
		h.setListpack("")
		return
	}
	var sb strings.Builder
	sb.Grow(size)
	sb.WriteString(lp[:start])
	for _, p := range parts {
		writeLP(&sb, p)
	}
	sb.WriteString(lp[end:])
	h.setListpack(sb.String())
}

// Each calls fn with every pair in iteration order until it returns false.
func (h *Hash) Each(fn func(field, value string) bool) {
	if t := h.table(); t != nil {
		for i := range t.ents {
			e := &t.ents[i]
			if !fn(e.field, e.value) {
				return
			}
		}
		return
	}
	lp := h.listpack()
	for off := 0; off < len(lp); {
		fs, fe := lpString(lp, off)
		vs, ve := lpString(lp, fe)
		if !fn(lp[fs:fe], lp[vs:ve]) {
			return
		}
		off = ve
	}
}

// entries returns the pairs in iteration order, for callers that index
// them. The hashtable's own slice is returned: callers must not keep it
// across a change.
func (h *Hash) entries() []hashEntry {
	if t := h.table(); t != nil {
		return t.ents
	}
	ents := make([]hashEntry, 0, h.Len())
	h.Each(func(f, v string) bool {
		ents = append(ents, hashEntry{f, v})
		return true
	})
	return ents
}

// Get returns the value of field.
func (h *Hash) Get(field []byte) (string, bool) {
	if t := h.table(); t != nil {
		if i, ok := t.idx[string(field)]; ok {
			return t.ents[i].value, true
		}
		return "", false
	}
	start, vstart, end := h.lpFind(field)
	if start < 0 {
		return "", false
	}
	lp := h.listpack()
	vs, _ := lpString(lp, vstart)
	return lp[vs:end], true
}

// Exists reports whether field is present.
func (h *Hash) Exists(field []byte) bool {
	_, ok := h.Get(field)
	return ok
}

// At returns pair i (0 <= i < Len) in iteration order; linear in i for a
// listpack.
func (h *Hash) At(i int) (field, value string) {
	if t := h.table(); t != nil {
		e := &t.ents[i]
		return e.field, e.value
	}
	h.Each(func(f, v string) bool {
		if i == 0 {
			field, value = f, v
			return false
		}
		i--
		return true
	})
	return field, value
}

// Convert switches to the hashtable encoding (no-op if already there). The
// pairs keep pointing into the listpack's bytes: no copy per field.
func (h *Hash) Convert() {
	if h.table() != nil {
		return
	}
	ents := h.entries()
	t := &hashTable{
		ents: ents,
		idx:  make(map[string]int32, max(len(ents), min(hashMaxListpackEntries(), 1024)+1)),
		pos:  make([]uint64, len(ents), cap(ents)),
	}
	for i := range ents {
		f := ents[i].field
		t.idx[f] = int32(i)
		t.pos[i] = scanPos(f)
	}
	t.acct = h.acctBytes()
	h.p, h.meta = unsafe.Pointer(t), tableMeta
}

// hashTooLong reports whether a field or value of n bytes forces the hashtable encoding.
func hashTooLong(n int) bool { return n > hashMaxListpackValue() }

// Set stores value under field and reports whether the field is new.
// The hash converts itself when field or value is too long for a listpack
// or when it grows past hashMaxListpackEntries().
func (h *Hash) Set(field, value []byte) bool {
	if h.table() == nil {
		if hashTooLong(len(field)) || hashTooLong(len(value)) {
			h.Convert()
		} else {
			return h.lpSet(field, value)
		}
	}
	return h.table().set(field, value, "")
}

// SetString is Set for a string value (HINCRBY, HINCRBYFLOAT results).
func (h *Hash) SetString(field []byte, value string) bool {
	if h.table() == nil {
		if hashTooLong(len(field)) || hashTooLong(len(value)) {
			h.Convert()
		} else {
			return h.lpSet(field, []byte(value))
		}
	}
	return h.table().set(field, nil, value)
}

// lpSet is Set on a listpack whose field and value fit.
func (h *Hash) lpSet(field, value []byte) bool {
	start, vstart, end := h.lpFind(field)
	lp := h.listpack()
	if start >= 0 {
		if vs, _ := lpString(lp, vstart); lp[vs:end] != string(value) {
			if len(lp)+len(value)+10 > maxListpack {
				h.Convert()
				return h.table().set(field, value, "")
			}
			h.lpSplice(vstart, end, value)
		}
		return false
	}
	if end+1 > hashMaxListpackEntries() || len(lp)+len(field)+len(value)+20 > maxListpack {
		h.Convert()
		return h.table().set(field, value, "")
	}
	h.lpSplice(len(lp), len(lp), field, value)
	return true
}

// set stores value (the bytes, or str when value is nil) under field.
func (t *hashTable) set(field, value []byte, str string) bool {
	if i, ok := t.idx[string(field)]; ok {
		e := &t.ents[i]
		if value == nil {
			e.value = str
		} else if e.value != string(value) {
			e.value = string(value)
		}
		return false
	}
	if value != nil {
		str = string(value)
	}
	f := string(field)
	t.ents = append(t.ents, hashEntry{f, str})
	t.idx[f] = int32(len(t.ents) - 1)
	t.pos = append(t.pos, scanPos(f))
	return true
}

// Delete removes field and reports whether it was present.
func (h *Hash) Delete(field []byte) bool {
	if t := h.table(); t != nil {
		return t.delete(field)
	}
	start, _, end := h.lpFind(field)
	if start < 0 {
		return false
	}
	h.lpSplice(start, end)
	return true
}

func (t *hashTable) delete(field []byte) bool {
	j, ok := t.idx[string(field)]
	if !ok {
		return false
	}
	i := int(j)
	last := len(t.ents) - 1
	delete(t.idx, t.ents[i].field)
	if i != last {
		t.ents[i] = t.ents[last]
		t.pos[i] = t.pos[last]
		t.idx[t.ents[i].field] = int32(i)
	}
	t.ents[last] = hashEntry{}
	t.ents = t.ents[:last]
	t.pos = t.pos[:last]
	t.shrink()
	return true
}

// shrink gives memory back once a large hash lost most of its fields.
func (t *hashTable) shrink() {
	n := len(t.ents)
	if c := cap(t.ents); c > 64 && n <= c/4 {
		ents := make([]hashEntry, n, 2*n)
		copy(ents, t.ents)
		pos := make([]uint64, n, 2*n)
		copy(pos, t.pos)
		t.ents, t.pos = ents, pos
		idx := make(map[string]int32, n) // a Go map never shrinks by itself
		for i := range ents {
			idx[ents[i].field] = int32(i)
		}
		t.idx = idx
	}
}

// Clone returns an independent copy. A listpack's string is immutable, so
// the copy shares it.
func (h *Hash) Clone() *Hash {
	ht := h.table()
	if ht == nil {
		return &Hash{p: h.p, meta: h.meta}
	}
	t := &hashTable{
		ents: make([]hashEntry, len(ht.ents)),
		idx:  maps.Clone(ht.idx),
		pos:  make([]uint64, len(ht.pos)),
		acct: ht.acct,
	}
	copy(t.ents, ht.ents)
	copy(t.pos, ht.pos)
	return &Hash{p: unsafe.Pointer(t), meta: tableMeta}
}

func (h *Hash) TypeName() string       { return "hash" }
func (h *Hash) CloneValue() Collection { return h.Clone() }
func (h *Hash) Encoding() string {
	if h.table() == nil {
		return "listpack"
	}
	return "hashtable"
}

// AppendRewrite emits HSET key f v ... with up to rewriteBatch pairs each.
func (h *Hash) AppendRewrite(buf []byte, key string) []byte {
	n := h.Len()
	if n == 0 {
		return buf
	}
	if t := h.table(); t != nil {
		return appendHSets(buf, key, t.ents)
	}
	// A snapshot rewrites a million small hashes: their arguments stay on
	// the stack instead of leaving a slice of garbage each for the GC.
	var small [2 + 2*8]string
	args := small[:0]
	if n > 8 {
		args = make([]string, 0, 2+2*min(rewriteBatch, n))
	}
	args = append(args, "HSET", key)
	h.Each(func(f, v string) bool {
		buf, args = emitFull(buf, append(args, f, v), 2+2*rewriteBatch)
		return true
	})
	return emitRest(buf, args)
}

// appendHSets emits HSETs of up to rewriteBatch pairs for ents.
func appendHSets(buf []byte, key string, ents []hashEntry) []byte {
	args := make([]string, 0, 2+2*min(rewriteBatch, len(ents)))
	for i := 0; i < len(ents); i += rewriteBatch {
		args = append(args[:0], "HSET", key)
		for _, e := range ents[i:min(i+rewriteBatch, len(ents))] {
			args = append(args, e.field, e.value)
		}
		buf = resp.AppendCommand(buf, args...)
	}
	return buf
}
