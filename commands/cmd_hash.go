package commands

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

func init() {
	const g = "hash"
	register(
		&Command{Name: "hset", Keys: "RW update index=1", Complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Creates or modifies the value of a field in a hash.",
			Args:    "key field value [field value ...]", Handler: hsetCommand},
		&Command{Name: "hsetnx", Keys: "RW insert index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Sets the value of a field in a hash only when the field doesn't exist.",
			Args:    "key field value", Handler: hsetnxCommand, Noop: hsetnxNoop},
		&Command{Name: "hmset", Keys: "RW update index=1", Complexity: "O(N) where N is the number of fields being set.", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Sets the values of multiple fields.",
			Args:    "key field value [field value ...]", Handler: hmsetCommand},
		&Command{Name: "hget", Keys: "RO access index=1", Complexity: "O(1)", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the value of a field in a hash.",
			Args:    "key field", Handler: hgetCommand},
		&Command{Name: "hmget", Keys: "RO access index=1", Complexity: "O(N) where N is the number of fields being requested.", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the values of all fields in a hash.",
			Args:    "key field [field ...]", Handler: hmgetCommand},
		&Command{Name: "hgetall", Keys: "RO access index=1", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the size of the hash.", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns all fields and values in a hash.",
			Args:    "key", Handler: hgetallCommand},
		&Command{Name: "hdel", Keys: "RW delete index=1", Complexity: "O(N) where N is the number of fields to be removed.", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
			Args:    "key field [field ...]", Handler: hdelCommand, Noop: hdelNoop},
		&Command{Name: "hlen", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the number of fields in a hash.",
			Args:    "key", Handler: hlenCommand},
		&Command{Name: "hexists", Keys: "RO index=1", Complexity: "O(1)", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Determines whether a field exists in a hash.",
			Args:    "key field", Handler: hexistsCommand},
		&Command{Name: "hkeys", Keys: "RO access index=1", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the size of the hash.", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns all fields in a hash.",
			Args:    "key", Handler: hkeysCommand},
		&Command{Name: "hvals", Keys: "RO access index=1", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the size of the hash.", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns all values in a hash.",
			Args:    "key", Handler: hvalsCommand},
		&Command{Name: "hincrby", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
			Args:    "key field increment", Handler: hincrbyCommand},
		&Command{Name: "hincrbyfloat", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.6.0",
			Summary: "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
			Args:    "key field increment", Handler: hincrbyfloatCommand},
		&Command{Name: "hstrlen", Keys: "RO index=1", Complexity: "O(1)", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Returns the length of the value of a field.",
			Args:    "key field", Handler: hstrlenCommand},
		&Command{Name: "hrandfield", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(N) where N is the number of fields returned", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Returns one or more random fields from a hash.",
			Args:    "key [count [WITHVALUES]]", Handler: hrandfieldCommand},
		&Command{Name: "hscan", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.0",
			Summary: "Iterates over fields and values of a hash.",
			Args:    "key cursor [MATCH pattern] [COUNT count] [NOVALUES]", Handler: hscanCommand},
	)
}

var wordHSET = []byte("HSET")

// getHash looks key up as a hash. h is nil when the key is missing; ok is
// false (WRONGTYPE already written) when it holds another type. update uses
// LookupForUpdate, for a handler that will change the hash in place.
func getHash(c *Ctx, key []byte, update bool) (h *Hash, ok bool) {
	return lookupAs[*Hash](c, key, update)
}

// --- HSET, HMSET, HSETNX ---

func hsetCommand(c *Ctx)  { hsetGeneric(c, "hset", false) }
func hmsetCommand(c *Ctx) { hsetGeneric(c, "hmset", true) }

func hsetGeneric(c *Ctx, name string, mset bool) {
	if len(c.Args)%2 != 0 {
		c.Err(ArityErr(name))
		return
	}
	key := c.Args[1]
	h, ok := getHash(c, key, true)
	if !ok {
		return
	}
	pairs := c.Args[2:]
	if h == nil {
		h = NewHash()
		c.Put(key, h, false)
	}
	// Like Redis' hashTypeTryConversion: any long argument converts first.
	if h.IsListpack() {
		for _, a := range pairs {
			if hashTooLong(len(a)) {
				h.Convert()
				break
			}
		}
	}
	added := 0
	for i := 0; i < len(pairs); i += 2 {
		if h.Set(pairs[i], pairs[i+1]) {
			added++
		}
	}
	if mset {
		c.R.OK()
	} else {
		c.R.Int(int64(added))
	}
	c.Dirty(len(pairs) / 2)
	c.Notify(NotifyHash, "hset", key)
}

func hsetnxCommand(c *Ctx) {
	key, field := c.Args[1], c.Args[2]
	h, ok := getHash(c, key, false)
	if !ok {
		return
	}
	if h != nil && h.Exists(field) {
		c.R.Int(0)
		return
	}
	if h == nil {
		h = NewHash()
		c.Put(key, h, false)
	} else {
		c.LookupForUpdate(key)
	}
	h.Set(field, c.Args[3])
	c.R.Int(1)
	c.Dirty(1)
	c.Notify(NotifyHash, "hset", key)
}

// --- HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN (reads) ---

func hgetCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h != nil {
		if v, found := h.Get(c.Args[2]); found {
			c.R.BulkString(v)
			return
		}
	}
	c.R.Null()
}

func hmgetCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	fields := c.Args[2:]
	c.R.Array(len(fields))
	for _, f := range fields {
		if h != nil {
			if v, found := h.Get(f); found {
				c.R.BulkString(v)
				continue
			}
		}
		c.R.Null()
	}
}

func hgetallCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.R.Map(0)
		return
	}
	c.R.Map(h.Len())
	h.Each(func(f, v string) bool {
		c.R.BulkString(f)
		c.R.BulkString(v)
		return true
	})
}

func hkeysCommand(c *Ctx) { hkeysVals(c, true) }
func hvalsCommand(c *Ctx) { hkeysVals(c, false) }

func hkeysVals(c *Ctx, keys bool) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.R.Array(0)
		return
	}
	c.R.Array(h.Len())
	h.Each(func(f, v string) bool {
		if keys {
			c.R.BulkString(f)
		} else {
			c.R.BulkString(v)
		}
		return true
	})
}

func hlenCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	switch {
	case !ok:
	case h == nil:
		c.R.Int(0)
	default:
		c.R.Int(int64(h.Len()))
	}
}

func hexistsCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	switch {
	case !ok:
	case h != nil && h.Exists(c.Args[2]):
		c.R.Int(1)
	default:
		c.R.Int(0)
	}
}

func hstrlenCommand(c *Ctx) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	n := 0
	if h != nil {
		v, _ := h.Get(c.Args[2])
		n = len(v)
	}
	c.R.Int(int64(n))
}

// --- HDEL ---

func hdelCommand(c *Ctx) {
	key := c.Args[1]
	h, ok := getHash(c, key, false)
	if !ok {
		return
	}
	if h == nil {
		c.R.Int(0)
		return
	}
	fields := c.Args[2:]
	// Take the before-image only when something will really change.
	first := -1
	for i, f := range fields {
		if h.Exists(f) {
			first = i
			break
		}
	}
	if first < 0 {
		c.R.Int(0)
		return
	}
	c.LookupForUpdate(key)
	deleted, removed := 0, false
	for _, f := range fields[first:] {
		if h.Delete(f) {
			deleted++
			if h.Len() == 0 {
				removed = c.Delete(key)
				break
			}
		}
	}
	c.R.Int(int64(deleted))
	c.Dirty(deleted)
	c.Notify(NotifyHash, "hdel", key)
	if removed {
		c.Notify(NotifyGeneric, "del", key)
	}
}

// --- HINCRBY, HINCRBYFLOAT ---

func hincrbyCommand(c *Ctx) {
	incr, ok := ParseInt(c.Args[3])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, ok := getHash(c, key, false)
	if !ok {
		return
	}
	var value int64
	if h != nil {
		if s, found := h.Get(field); found {
			if value, ok = parseIntString(s); !ok {
				c.Err(errHashNotInt)
				return
			}
		}
	}
	if incr < 0 && value < 0 && incr < math.MinInt64-value ||
		incr > 0 && value > 0 && incr > math.MaxInt64-value {
		c.Err(ErrOverflow)
		return
	}
	value += incr
	var tmp [24]byte
	res := string(strconv.AppendInt(tmp[:0], value, 10))
	hashStore(c, key, h, field, res)
	c.R.Int(value)
	c.Notify(NotifyHash, "hincrby", key)
}

// hashStore sets field to value in h (nil: a new hash is created at key).
func hashStore(c *Ctx, key []byte, h *Hash, field []byte, value string) {
	if h == nil {
		h = NewHash()
		c.Put(key, h, false)
	} else {
		c.LookupForUpdate(key)
	}
	h.SetString(field, value)
	c.Dirty(1)
}

// HINCRBYFLOAT uses the long double arithmetic and formatting of INCRBYFLOAT
// and propagates HSET key field <result>, as Redis does, so every replay
// stores the same bytes.
func hincrbyfloatCommand(c *Ctx) {
	incr, ok := ParseLongDouble(c.Args[3])
	if !ok {
		c.Err(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Err(errNaNOrInfinity)
		return
	}
	key, field := c.Args[1], c.Args[2]
	h, ok := getHash(c, key, false)
	if !ok {
		return
	}
	value := newLongDouble()
	if h != nil {
		if s, found := h.Get(field); found {
			if value, ok = ParseLongDouble([]byte(s)); !ok {
				c.Err(errHashNotFloat)
				return
			}
		}
	}
	if value.IsInf() {
		c.Err(ErrNaNOrInf)
		return
	}
	sum := newLongDouble().Add(value, incr)
	if !LongDoubleInRange(sum) {
		c.Err(ErrNaNOrInf)
		return
	}
	res := FormatLongDouble(sum)
	hashStore(c, key, h, field, res)
	c.R.BulkString(res)
	c.Notify(NotifyHash, "hincrbyfloat", key)
	c.Propagate(wordHSET, key, field, []byte(res))
}

// --- HRANDFIELD (a read: node-local randomness) ---

func hrandfieldCommand(c *Ctx) {
	args := c.Args
	if len(args) >= 3 {
		l, ok := ParseInt(args[2])
		if !ok {
			c.Err(ErrNotInt)
			return
		}
		if l == math.MinInt64 { // Redis 7.2 takes -LONG_MAX..LONG_MAX
			c.Err(errInt64Range)
			return
		}
		withValues := false
		if len(args) > 4 || len(args) == 4 && !EqualFold(args[3], "withvalues") {
			c.SyntaxErr()
			return
		}
		if len(args) == 4 {
			withValues = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.Err(errOutOfRange)
				return
			}
		}
		hrandfieldWithCount(c, l, withValues)
		return
	}
	h, ok := getHash(c, args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.R.Null()
		return
	}
	f, _ := h.At(randN(c, h.Len()))
	c.R.BulkString(f)
}

// randN and randPerm use the entry's generator when a read runs inside the
// FSM (MULTI), and math/rand/v2's node-local one otherwise.
func randN(c *Ctx, n int) int {
	if c.Rand != nil {
		return c.Rand.IntN(n)
	}
	return rand.IntN(n)
}

func randPerm(c *Ctx, n int) []int {
	if c.Rand != nil {
		return c.Rand.Perm(n)
	}
	return rand.Perm(n)
}

func hrandfieldWithCount(c *Ctx, l int64, withValues bool) {
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil || l == 0 {
		c.R.Array(0)
		return
	}
	resp3 := c.R.Proto >= 3
	ents := h.entries()
	emit := func(i int) {
		e := &ents[i]
		if withValues && resp3 {
			c.R.Array(2)
		}
		c.R.BulkString(e.field)
		if withValues {
			c.R.BulkString(e.value)
		}
	}
	header := func(n int) {
		if withValues && !resp3 {
			c.R.Array(2 * n)
		} else {
			c.R.Array(n)
		}
	}
	size := h.Len()
	// A negative count may repeat fields, in random order.
	if l < 0 || l == 1 {
		count := int(l)
		if l < 0 {
			count = int(-l)
		}
		header(count)
		for range count {
			emit(randN(c, size))
		}
		return
	}
	count := int(l)
	if count >= size { // the whole hash
		header(size)
		for i := range size {
			emit(i)
		}
		return
	}
	header(count)
	if count*3 > size || h.IsListpack() {
		// Pick a random subset and return it in hash order, as Redis does
		// for a listpack.
		perm := randPerm(c, size)[:count]
		slices.Sort(perm)
		for _, i := range perm {
			emit(i)
		}
		return
	}
	seen := make(map[int]struct{}, count)
	for len(seen) < count {
		i := randN(c, size)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		emit(i)
	}
}

// --- HSCAN ---

// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]. A listpack
// hash is returned whole with cursor 0, like Redis. A hashtable walks the
// fields in the order of their fixed scan positions (scan.go), so a field
// present for the whole walk is returned exactly once; the cursor is the
// position to continue from. Each call costs one pass over the fields (their
// positions are stored, so it is cheap), which is why batches grow with the
// hash.
func hscanCommand(c *Ctx) {
	cursor, ok := ParseCursor(c.Args[2])
	if !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	h, ok := getHash(c, c.Args[1], false)
	if !ok {
		return
	}
	if h == nil {
		c.R.Array(2)
		c.R.BulkString("0")
		c.R.Array(0)
		return
	}
	o, ok := parseScanOpts(c, 3, true)
	if !ok {
		return
	}
	count, pattern, usePattern, noValues := o.count, o.pattern, o.match, o.noValues
	var idx []int
	var next uint64
	ents := h.entries()
	if h.IsListpack() {
		idx = make([]int, 0, len(ents))
		for i := range ents {
			idx = append(idx, i)
		}
	} else {
		// COUNT is a hint: each call costs a pass over the fields, so a
		// batch holds at least 1/32 of them and a walk takes ~32 calls.
		batch := max(min(count, math.MaxInt32), int64(h.Len()/32))
		idx, next = h.table().scanStep(cursor, int(batch))
	}
	if usePattern {
		kept := idx[:0]
		for _, i := range idx {
			if GlobMatch(pattern, ents[i].field, false) {
				kept = append(kept, i)
			}
		}
		idx = kept
	}
	c.R.Array(2)
	c.R.BulkString(formatCursor(next))
	if noValues {
		c.R.Array(len(idx))
	} else {
		c.R.Array(2 * len(idx))
	}
	for _, i := range idx {
		c.R.BulkString(ents[i].field)
		if !noValues {
			c.R.BulkString(ents[i].value)
		}
	}
}

// scanStep returns the indices of the fields with the lowest scan positions
// at or after cursor, about count of them (fields sharing the last position
// are all included), sorted by position, and the cursor to continue from (0
// when the walk is over). Hashtable encoding only.
func (h *hashTable) scanStep(cursor uint64, count int) (idx []int, next uint64) {
	if cursor >= scanPosEnd {
		return nil, 0
	}
	// Max-heap on position of the count+1 lowest positions >= cursor.
	limit := count + 1
	heap := make([]int, 0, min(limit, len(h.ents)))
	less := func(a, b int) bool { return h.pos[a] > h.pos[b] }
	for i, p := range h.pos {
		if p < cursor || len(heap) == limit && p >= h.pos[heap[0]] {
			continue
		}
		if len(heap) < limit {
			heap = append(heap, i)
			for j := len(heap) - 1; j > 0; {
				parent := (j - 1) / 2
				if !less(heap[j], heap[parent]) {
					break
				}
				heap[j], heap[parent] = heap[parent], heap[j]
				j = parent
			}
			continue
		}
		heap[0] = i
		for j := 0; ; {
			l, r, top := 2*j+1, 2*j+2, j
			if l < len(heap) && less(heap[l], heap[top]) {
				top = l
			}
			if r < len(heap) && less(heap[r], heap[top]) {
				top = r
			}
			if top == j {
				break
			}
			heap[j], heap[top] = heap[top], heap[j]
			j = top
		}
	}
	if len(heap) < limit {
		next = 0 // every remaining field fits in this batch
	} else {
		// Fields at the highest position kept may have been left out, so
		// the batch ends just before it.
		next = h.pos[heap[0]]
		kept := heap[:0]
		for _, i := range heap {
			if h.pos[i] < next {
				kept = append(kept, i)
			}
		}
		heap = kept
		if len(heap) == 0 { // count+1 fields share one position: take all
			for i, p := range h.pos {
				if p == next {
					heap = append(heap, i)
				}
			}
			next++
			if next >= scanPosEnd {
				next = 0
			}
		}
	}
	slices.SortFunc(heap, func(a, b int) int {
		if h.pos[a] != h.pos[b] {
			if h.pos[a] < h.pos[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(h.ents[a].field, h.ents[b].field)
	})
	return heap, next
}
