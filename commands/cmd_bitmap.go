package commands

import "math/bits"

func init() {
	register(
		&Command{Name: "setbit", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "2.2.0",
			Summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
			Args:    "key offset value", Handler: setbitCommand, Noop: setbitNoop},
		&Command{Name: "getbit", Keys: "RO access index=1", Complexity: "O(1)", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "2.2.0",
			Summary: "Returns a bit value by offset.", Args: "key offset", Handler: getbitCommand},
		&Command{Name: "bitcount", Keys: "RO access index=1", Complexity: "O(N)", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "2.6.0",
			Summary: "Counts the number of set bits (population counting) in a string.",
			Args:    "key [start end [BYTE | BIT]]", Handler: bitcountCommand},
		&Command{Name: "bitpos", Keys: "RO access index=1", Complexity: "O(N)", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "2.8.7",
			Summary: "Finds the first set (1) or clear (0) bit in a string.",
			Args:    "key bit [start [end [BYTE | BIT]]]", Handler: bitposCommand},
		&Command{Name: "bitop", Keys: "OW update index=2; RO access index=3 range=-1,1,0", Complexity: "O(N)", Arity: -4, Flags: Write | DenyOOM, FirstKey: 2, LastKey: -1, Step: 1, Group: "bitmap", Since: "2.6.0",
			Summary: "Performs bitwise operations on multiple strings, and stores the result.",
			Args:    "<AND | OR | XOR | NOT> destkey key [key ...]", Handler: bitopCommand},
	)
}

// Error texts of the bitmap commands, exactly as Redis words them.
const (
	ErrBitOffset = "ERR bit offset is not an integer or out of range"
	ErrBitValue  = "ERR bit is not an integer or out of range"
)

// parseBitOffset ports getBitOffsetFromArgument: a bit offset below 512MB*8;
// with hash, "#n" means n*bits (BITFIELD's typed offsets).
func parseBitOffset(arg []byte, hash bool, nbits int) (uint64, bool) {
	useHash := hash && nbits > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	off, ok := ParseInt(arg)
	if !ok {
		return 0, false
	}
	if useHash {
		off *= int64(nbits) // wraps like Redis's long long, then fails below
	}
	if off < 0 || off>>3 >= MaxStringLen {
		return 0, false
	}
	return uint64(off), true
}

// bitTarget ports lookupStringForBitCommand: key's string, to be changed in
// place (unshare), grown with zero bytes so that bit maxbit exists; a new
// value, not stored yet, when the key is missing (created). grown reports
// whether the key is created or lengthened.
func bitTarget(c *Ctx, key []byte, maxbit uint64) (m *mutString, created, grown, ok bool) {
	m, ok = c.unshare(key)
	if !ok {
		return nil, false, false, false
	}
	need := int(maxbit>>3) + 1
	if m == nil {
		return newMutString(make([]byte, need)), true, true, true
	}
	grown = need > len(m.b)
	m.grow(need)
	return m, false, grown, true
}

// storeBits records a bitmap command's change: a created value is stored
// (keeping no TTL: the key did not exist), a changed one announced.
func storeBits(c *Ctx, key []byte, m *mutString, created bool) {
	if created {
		c.Put(key, m, true)
	} else {
		c.changedInPlace(key, m)
	}
	c.Dirty(1)
	c.Notify(NotifyString, "setbit", key)
}

func setbitCommand(c *Ctx) {
	key := c.Args[1]
	off, ok := parseBitOffset(c.Args[2], false, 0)
	if !ok {
		c.Err(ErrBitOffset)
		return
	}
	on, ok := ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Err(ErrBitValue)
		return
	}
	// Unshared even when the bit is already set: only the encoding
	// changes then, as in Redis.
	m, created, grown, ok := bitTarget(c, key, off)
	if !ok {
		return
	}
	byt, shift := int(off>>3), 7-uint(off&7)
	old := m.b[byt] >> shift & 1
	if grown || int64(old) != on {
		m.b[byt] = m.b[byt]&^(1<<shift) | byte(on)<<shift
		storeBits(c, key, m, created)
	}
	c.R.Int(int64(old))
}

func getbitCommand(c *Ctx) {
	off, ok := parseBitOffset(c.Args[2], false, 0)
	if !ok {
		c.Err(ErrBitOffset)
		return
	}
	s, _, ok := getString(c, c.Args[1])
	if !ok {
		return
	}
	var bit int64
	if byt := off >> 3; byt < uint64(len(s)) {
		bit = int64(s[byt] >> (7 - off&7) & 1)
	}
	c.R.Int(bit)
}

// parseBitUnit reads the optional BYTE | BIT argument.
func parseBitUnit(c *Ctx, arg []byte) (isBit, ok bool) {
	switch {
	case EqualFold(arg, "bit"):
		return true, true
	case EqualFold(arg, "byte"):
		return false, true
	}
	c.SyntaxErr()
	return false, false
}

// bitRange turns a start/end pair into a byte range of a string of n bytes,
// with masks of the bits outside the range in the first and last byte when
// the unit is bits (Redis's first/last_byte_neg_mask).
func bitRange(start, end int64, n int, isBit bool) (s, e int64, firstMask, lastMask byte) {
	total := int64(n)
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isBit && start <= end {
		firstMask = ^byte(1<<(8-start&7) - 1)
		lastMask = byte(1<<(7-end&7) - 1)
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask
}

func popcount(b string) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		b = b[8:]
	}
	for i := 0; i < len(b); i++ {
		n += bits.OnesCount8(b[i])
	}
	return int64(n)
}

// BITCOUNT key [start end [BYTE|BIT]]. As in Redis 7 (before 8.0), the key
// is looked up first: a missing key counts 0 whatever the arguments, and a
// range with both ends negative and start > end counts 0 before BYTE|BIT is
// read.
func bitcountCommand(c *Ctx) {
	s, found, ok := getString(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.R.Int(0)
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	switch len(c.Args) {
	case 4, 5:
		if start, ok = ParseInt(c.Args[2]); !ok {
			c.Err(ErrNotInt)
			return
		}
		if end, ok = ParseInt(c.Args[3]); !ok {
			c.Err(ErrNotInt)
			return
		}
		if start < 0 && end < 0 && start > end {
			c.R.Int(0)
			return
		}
		isBit := false
		if len(c.Args) == 5 {
			if isBit, ok = parseBitUnit(c, c.Args[4]); !ok {
				return
			}
		}
		start, end, firstMask, lastMask = bitRange(start, end, len(s), isBit)
	case 2:
		start, end = 0, int64(len(s))-1
	default:
		c.SyntaxErr()
		return
	}
	if start > end {
		c.R.Int(0)
		return
	}
	n := popcount(s[start : end+1])
	n -= int64(bits.OnesCount8(s[start]&firstMask) + bits.OnesCount8(s[end]&lastMask))
	c.R.Int(n)
}

// firstBit ports redisBitpos: the position of the first bit equal to bit in
// b; for 0 a string of ones is taken as zero padded (len*8), for 1 a string
// of zeros gives -1.
func firstBit(b string, bit int64) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i := 0; i < len(b); i++ {
		if b[i] != skip {
			x := b[i]
			if bit == 0 {
				x = ^x
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(x))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) * 8
}

// BITPOS key bit [start [end [BYTE|BIT]]]. As in Redis 7 (before 8.0), only
// the bit is checked before the key is looked up: a missing key is an endless
// run of zeros whatever the range.
func bitposCommand(c *Ctx) {
	bit, ok := ParseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.Err("ERR The bit argument must be 1 or 0.")
		return
	}
	s, found, ok := getString(c, c.Args[1])
	if !ok {
		return
	}
	if !found {
		c.R.Int(-bit)
		return
	}
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch n := len(c.Args); n {
	case 4, 5, 6:
		if start, ok = ParseInt(c.Args[3]); !ok {
			c.Err(ErrNotInt)
			return
		}
		isBit := false
		if n == 6 {
			if isBit, ok = parseBitUnit(c, c.Args[5]); !ok {
				return
			}
		}
		end = int64(len(s)) - 1
		if n >= 5 {
			if end, ok = ParseInt(c.Args[4]); !ok {
				c.Err(ErrNotInt)
				return
			}
			endGiven = true
		}
		start, end, firstMask, lastMask = bitRange(start, end, len(s), isBit)
	case 3:
		start, end = 0, int64(len(s))-1
	default:
		c.SyntaxErr()
		return
	}
	if start > end {
		c.R.Int(-1)
		return
	}
	pos, start, nbytes := bitposRange(s, bit, start, end, firstMask, lastMask)
	// With an explicit end the string is not zero padded past it.
	if endGiven && bit == 0 && pos == nbytes<<3 {
		c.R.Int(-1)
		return
	}
	if pos != -1 {
		pos += start << 3
	}
	c.R.Int(pos)
}

// bitposRange searches s[start..end], masking the bits outside the range in
// the edge bytes; it returns the position relative to the byte it stopped
// counting from, that byte, and the bytes left from there, as Redis does.
func bitposRange(s string, bit, start, end int64, firstMask, lastMask byte) (pos, from, nbytes int64) {
	nbytes = end - start + 1
	mask := func(b, m byte) byte {
		if bit == 1 {
			return b &^ m
		}
		return b | m
	}
	if firstMask != 0 {
		tmp := mask(s[start], firstMask)
		if lastMask != 0 && nbytes == 1 {
			tmp = mask(tmp, lastMask)
		}
		pos = firstBit(string([]byte{tmp}), bit)
		if nbytes == 1 || pos != -1 && pos != 8 {
			return pos, start, nbytes
		}
		start++
		nbytes--
	}
	cur := nbytes
	if lastMask != 0 {
		cur--
	}
	if cur > 0 {
		pos = firstBit(s[start:start+cur], bit)
		if nbytes == cur || pos != -1 && pos != cur<<3 {
			return pos, start, nbytes
		}
		start += cur
		nbytes -= cur
	}
	pos = firstBit(string([]byte{mask(s[end], lastMask)}), bit)
	return pos, start, nbytes
}

// BITOP AND|OR|XOR|NOT destkey key...: deterministic, propagated as received.
func bitopCommand(c *Ctx) {
	op := c.Args[1]
	var kind byte
	switch {
	case EqualFold(op, "and"):
		kind = '&'
	case EqualFold(op, "or"):
		kind = '|'
	case EqualFold(op, "xor"):
		kind = '^'
	case EqualFold(op, "not"):
		kind = '~'
	default:
		c.SyntaxErr()
		return
	}
	if kind == '~' && len(c.Args) != 4 {
		c.Err("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([]string, 0, len(c.Args)-3)
	maxlen := 0
	for _, key := range c.Args[3:] {
		s, _, ok := getString(c, key)
		if !ok {
			return
		}
		srcs = append(srcs, s)
		maxlen = max(maxlen, len(s))
	}
	dest := c.Args[2]
	if maxlen == 0 {
		if c.Delete(dest) {
			c.Dirty(1)
			c.Notify(NotifyGeneric, "del", dest)
		}
		c.R.Int(0)
		return
	}
	res := make([]byte, maxlen)
	at := func(s string, j int) byte {
		if j < len(s) {
			return s[j]
		}
		return 0
	}
	for j := range res {
		out := at(srcs[0], j)
		switch kind {
		case '~':
			out = ^out
		case '&':
			for _, s := range srcs[1:] {
				out &= at(s, j)
			}
		case '|':
			for _, s := range srcs[1:] {
				out |= at(s, j)
			}
		case '^':
			for _, s := range srcs[1:] {
				out ^= at(s, j)
			}
		}
		res[j] = out
	}
	c.Put(dest, newMutString(res), false)
	c.Dirty(1)
	c.Notify(NotifyString, "set", dest)
	c.R.Int(int64(maxlen))
}
