package commands

import (
	"strconv"
	"strings"
)

func init() {
	register(
		&Command{Name: "pfadd", Keys: "RW insert index=1", Complexity: "O(1) to add every element.", Arity: -2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "hyperloglog", Since: "2.8.9",
			Summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
			Args:    "key [element [element ...]]", Handler: pfaddCommand, Noop: pfaddNoop},
		// PFCOUNT caches the cardinality it computes in the value, as Redis
		// does, so a later GET returns Redis's bytes. Redis flags it readonly
		// yet propagates the cache update (CMD_MAY_REPLICATE); here it is
		// MayReplicate: it runs from the Raft log on every node, so every
		// node caches the same bytes, and it propagates itself (PFCOUNT key,
		// which a stock redis-server replays the same way) only when the
		// cache was stale. Like Redis, read-only scripts may not call it, so
		// it never runs on the read path; if it did, it would count without
		// caching and leave the dataset alone.
		&Command{Name: "pfcount", Keys: "RW access index=1 range=-1,1,0 # RW because it may change the internal representation of the key, and propagate to replicas", Complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.", Arity: -2, Flags: ReadOnly | MayReplicate, FirstKey: 1, LastKey: -1, Step: 1, Group: "hyperloglog", Since: "2.8.9",
			Summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
			Args:    "key [key ...]", Handler: pfcountCommand},
		&Command{Name: "pfmerge", Keys: "RW access insert index=1; RO access index=2 range=-1,1,0", Complexity: "O(N) to merge N HyperLogLogs, but with high constant times.", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Group: "hyperloglog", Since: "2.8.9",
			Summary: "Merges one or more HyperLogLog values into a single key.",
			Args:    "destkey [sourcekey [sourcekey ...]]", Handler: pfmergeCommand},
		&Command{Name: "pfdebug", Keys: "RW access index=2", Complexity: "N/A", Arity: 3, Flags: Write | DenyOOM | Admin, FirstKey: 2, LastKey: 2, Step: 1, Group: "hyperloglog", Since: "2.8.9",
			Summary: "Internal commands for debugging HyperLogLog values.",
			Args:    "subcommand key", Handler: pfdebugCommand},
		&Command{Name: "pfselftest", Complexity: "N/A", Arity: 1, Flags: Admin, Group: "hyperloglog", Since: "2.8.9",
			Summary: "An internal command for testing HyperLogLog values.", Handler: pfselftestCommand},
	)
}

// lookupHLL looks key up as an HLL string: found false for a missing key, ok
// false with the error written for another type or a string that is no HLL.
// s is a view (viewString), valid until the value changes.
func lookupHLL(c *Ctx, key []byte) (s string, found, ok bool) {
	v, found := c.Lookup(key)
	if !found {
		return "", false, true
	}
	s, isStr := viewString(v)
	if !isStr {
		c.WrongType()
		return "", true, false
	}
	if !isHLL(s) {
		c.Err(ErrNotHLL)
		return "", true, false
	}
	return s, true, true
}

// unshareHLL is lookupHLL for a change in place (Ctx.unshare): m is nil
// for a missing key.
func unshareHLL(c *Ctx, key []byte) (m *mutString, ok bool) {
	v, found := c.Lookup(key)
	if !found {
		return nil, true
	}
	s, isStr := viewString(v)
	if !isStr {
		c.WrongType()
		return nil, false
	}
	if !isHLL(s) {
		c.Err(ErrNotHLL)
		return nil, false
	}
	return c.unshareFound(key, v), true
}

// storeHLL records a change of key's HLL m: a new value is stored, a
// changed one (already changed in place) announced.
func storeHLL(c *Ctx, key []byte, m *mutString, created bool, dirty int) {
	if created {
		c.Put(key, m, true)
	} else {
		c.changedInPlace(key, m)
	}
	c.Dirty(dirty)
}

// PFADD is deterministic as received, so it propagates itself. A dense HLL
// changes in place, a register at a time; a sparse one mostly in place too.
func pfaddCommand(c *Ctx) {
	key := c.Args[1]
	m, ok := unshareHLL(c, key)
	if !ok {
		return
	}
	updated, created := 0, m == nil
	if created {
		m = newMutString(newHLL())
		updated = 1
	}
	for _, ele := range c.Args[2:] {
		var ret int
		m.b, ret = hllAdd(m.b, ele)
		if ret < 0 {
			// Redis keeps what the earlier elements changed; so does the
			// replay of this same command.
			if updated > 0 {
				storeHLL(c, key, m, created, updated)
			}
			c.Err(ErrInvalidHLL)
			return
		}
		updated += ret
	}
	if updated > 0 {
		hllInvalidateCache(m.b)
		storeHLL(c, key, m, created, updated)
		c.Notify(NotifyString, "pfadd", key)
		c.R.Int(1)
		return
	}
	c.R.Int(0)
}

func pfcountCommand(c *Ctx) {
	if len(c.Args) > 2 {
		// The union of several HLLs: merged in memory, nothing cached.
		var max [hllRegisters]uint8
		for _, key := range c.Args[1:] {
			s, found, ok := lookupHLL(c, key)
			if !ok {
				return
			}
			if found && !hllMergeInto(&max, s) {
				c.Err(ErrInvalidHLL)
				return
			}
		}
		c.R.Int(int64(hllRawEstimate(&max)))
		return
	}
	key := c.Args[1]
	s, found, ok := lookupHLL(c, key)
	if !ok {
		return
	}
	if !found {
		c.R.Int(0)
		return
	}
	var m *mutString
	if c.Writable() {
		m, _ = c.unshare(key) // Redis unshares the string before looking at it
		s = m.view()
	}
	if card, valid := hllCachedCard(s); valid {
		c.R.Int(int64(card))
		return
	}
	card, valid := hllCount(s)
	if !valid {
		c.Err(ErrInvalidHLL)
		return
	}
	if m != nil {
		hllSetCachedCard(m.b, card)
		storeHLL(c, key, m, false, 1) // propagated as received: a replay caches the same bytes
	}
	c.R.Int(int64(card))
}

// PFMERGE destkey [sourcekey ...]: the destination takes part in the union.
func pfmergeCommand(c *Ctx) {
	var max [hllRegisters]uint8
	useDense := false
	for _, key := range c.Args[1:] {
		s, found, ok := lookupHLL(c, key)
		if !ok {
			return
		}
		if !found {
			continue
		}
		if s[4] == hllDense {
			useDense = true
		}
		if !hllMergeInto(&max, s) {
			c.Err(ErrInvalidHLL)
			return
		}
	}
	dest := c.Args[1]
	m, _ := c.unshare(dest) // an HLL or nothing: checked above
	created := m == nil
	if created {
		m = newMutString(newHLL())
	}
	b := m.b
	if useDense {
		if b = hllSparseToDense(b); b == nil {
			c.Err(ErrInvalidHLL)
			return
		}
	}
	// Register by register, as Redis does: a sparse destination may turn
	// dense half way.
	for i, v := range max {
		if v == 0 {
			continue
		}
		if b[4] == hllDense {
			hllDenseSet(b[hllHdrSize:], i, v)
		} else {
			b, _ = hllSparseSet(b, i, v)
		}
	}
	hllInvalidateCache(b)
	m.b = b
	storeHLL(c, dest, m, created, 1)
	c.Notify(NotifyString, "pfadd", dest)
	c.R.OK()
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. GETREG and TODENSE turn a
// sparse value dense, and are then propagated as received.
func pfdebugCommand(c *Ctx) {
	sub, key := c.Args[1], c.Args[2]
	v, found := c.Lookup(key)
	if !found {
		c.Err("ERR The specified key does not exist")
		return
	}
	s, isStr := viewString(v)
	if !isStr {
		c.WrongType()
		return
	}
	if !isHLL(s) {
		c.Err(ErrNotHLL)
		return
	}
	m, _ := c.unshare(key)
	s = m.view()
	toDense := func() (string, bool) {
		if s[4] != hllSparse {
			return s, false
		}
		d := hllSparseToDense(m.b)
		if d == nil {
			return "", false
		}
		m.b = d
		storeHLL(c, key, m, false, 1)
		return m.view(), true
	}
	switch {
	case EqualFold(sub, "getreg"):
		d, _ := toDense()
		if d == "" {
			c.Err(ErrInvalidHLL)
			return
		}
		regs := []byte(d[hllHdrSize:])
		c.R.Array(hllRegisters)
		for i := 0; i < hllRegisters; i++ {
			c.R.Int(int64(hllDenseGet(regs, i)))
		}
	case EqualFold(sub, "decode"):
		if s[4] != hllSparse {
			c.Err("ERR HLL encoding is not sparse")
			return
		}
		c.R.BulkString(hllDecode(s))
	case EqualFold(sub, "encoding"):
		if s[4] == hllDense {
			c.R.Simple("dense")
		} else {
			c.R.Simple("sparse")
		}
	case EqualFold(sub, "todense"):
		d, conv := toDense()
		if d == "" {
			c.Err(ErrInvalidHLL)
			return
		}
		if conv {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
	default:
		c.Err("ERR Unknown PFDEBUG subcommand '" + cString(sub) + "'")
	}
}

// hllDecode lists a sparse value's opcodes as PFDEBUG DECODE does.
func hllDecode(s string) string {
	var out strings.Builder
	b := []byte(s)
	for p := hllHdrSize; p < len(b); {
		ch := b[p]
		switch {
		case spIsZero(ch):
			out.WriteString("z:" + strconv.Itoa(spZeroLen(ch)) + " ")
			p++
		case spIsXZero(ch):
			out.WriteString("Z:" + strconv.Itoa(spXZeroLen(b, p)) + " ")
			p += 2
		default:
			out.WriteString("v:" + strconv.Itoa(spValValue(ch)) + "," + strconv.Itoa(spValLen(ch)) + " ")
			p++
		}
	}
	return strings.Trim(out.String(), " ")
}

// PFSELFTEST checks the register packing and that the sparse and dense
// representations agree on every register and on the estimate.
func pfselftestCommand(c *Ctx) {
	if msg := hllSelfTest(); msg != "" {
		c.Err("ERR TESTFAILED " + msg)
		return
	}
	c.R.OK()
}

func hllSelfTest() string {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	for i := 0; i < hllRegisters; i++ {
		hllDenseSetReg(regs, i, uint8((i*7+3)&hllRegisterMax))
	}
	for i := 0; i < hllRegisters; i++ {
		if got, want := hllDenseGet(regs, i), uint8((i*7+3)&hllRegisterMax); got != want {
			return "Register error at " + strconv.Itoa(i)
		}
	}
	sparse := newHLL()
	dense := hllSparseToDense(newHLL())
	var ele [8]byte
	for n := 0; n < 5000; n++ {
		x := uint64(n)*0x9e3779b97f4a7c15 + 1
		for j := range ele {
			ele[j] = byte(x >> (8 * j))
		}
		sparse, _ = hllAdd(sparse, ele[:])
		dense, _ = hllAdd(dense, ele[:])
		if n%500 != 0 {
			continue
		}
		a, okA := hllCount(string(sparse))
		d, okD := hllCount(string(dense))
		if !okA || !okD || a != d {
			return "Sparse and dense estimates differ after " + strconv.Itoa(n+1) + " elements"
		}
	}
	return ""
}
