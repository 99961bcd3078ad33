package commands

import "math"

func init() {
	register(
		&Command{Name: "bitfield", GetKeys: bitfieldGetKeys, Keys: "RW access update variable_flags index=1 # This command allows both access and modification of the key", Complexity: "O(1) for each subcommand specified", Arity: -2, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "3.2.0",
			Summary: "Performs arbitrary bitfield integer operations on strings.",
			Args:    "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]",
			Handler: bitfieldCommand},
		&Command{Name: "bitfield_ro", Keys: "RO access index=1", Complexity: "O(1) for each subcommand specified", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "bitmap", Since: "6.0.0",
			Summary: "Performs arbitrary read-only bitfield integer operations on strings.",
			Args:    "key [GET encoding offset [GET encoding offset ...]]", Handler: bitfieldROCommand},
	)
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// Overflow behaviours of BITFIELD.
const (
	bfWrap = iota
	bfSat
	bfFail
)

// Bitfield operations.
const (
	bfGet = iota
	bfSet
	bfIncrBy
)

type bitfieldOp struct {
	offset   uint64
	value    int64 // SET value or INCRBY increment
	op       int
	overflow int
	bits     uint
	signed   bool
}

// setUnsignedBits writes the low nbits of v at bit offset off (bit 0 is the
// most significant bit of the first byte, as for SETBIT).
func setUnsignedBits(p []byte, off uint64, nbits uint, v uint64) {
	for j := uint(0); j < nbits; j++ {
		bit := v >> (nbits - 1 - j) & 1
		byt, shift := off>>3, 7-uint(off&7)
		p[byt] = p[byt]&^(1<<shift) | byte(bit)<<shift
		off++
	}
}

// getUnsignedBits reads nbits at bit offset off; bytes past p read as zero.
func getUnsignedBits[S ~string | ~[]byte](p S, off uint64, nbits uint) uint64 {
	var v uint64
	for j := uint(0); j < nbits; j++ {
		var b byte
		if byt := off >> 3; byt < uint64(len(p)) {
			b = p[byt] >> (7 - off&7) & 1
		}
		v = v<<1 | uint64(b)
		off++
	}
	return v
}

func getSignedBits[S ~string | ~[]byte](p S, off uint64, nbits uint) int64 {
	v := int64(getUnsignedBits(p, off, nbits))
	if nbits < 64 && v&(1<<(nbits-1)) != 0 {
		v |= -1 << nbits
	}
	return v
}

// checkUnsignedOverflow ports checkUnsignedBitfieldOverflow: 0 when value+incr
// fits nbits unsigned, else 1 (overflow) or -1 (underflow) with the value
// the overflow behaviour stores.
func checkUnsignedOverflow(value uint64, incr int64, nbits uint, ow int) (int, uint64) {
	maxv := uint64(1)<<nbits - 1
	maxincr := int64(maxv - value)
	minincr := int64(-value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << nbits) }
	if value > maxv || incr > 0 && incr > maxincr {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	}
	if incr < 0 && incr < minincr {
		switch ow {
		case bfWrap:
			return 1, wrap() // Redis reports a wrapped underflow as 1 too
		case bfSat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// checkSignedOverflow ports checkSignedBitfieldOverflow.
func checkSignedOverflow(value, incr int64, nbits uint, ow int) (int, int64) {
	maxv := int64(math.MaxInt64)
	if nbits != 64 {
		maxv = 1<<(nbits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if nbits < 64 {
			mask := uint64(math.MaxUint64) << nbits
			if c&(1<<(nbits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	if value > maxv || nbits != 64 && incr > maxincr || value >= 0 && incr > 0 && incr > maxincr {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return 1, maxv
		}
		return 1, 0
	}
	if value < minv || nbits != 64 && incr < minincr || value < 0 && incr < 0 && incr < minincr {
		switch ow {
		case bfWrap:
			return 1, wrap()
		case bfSat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}

// parseBitfieldType ports getBitfieldTypeFromArgument: i1..i64 or u1..u63.
// Redis reads the width as a C string, so it stops at a NUL byte.
func parseBitfieldType(arg []byte) (signed bool, nbits uint, ok bool) {
	if len(arg) == 0 || arg[0] != 'i' && arg[0] != 'u' {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	num := arg[1:]
	for i, ch := range num {
		if ch == 0 {
			num = num[:i]
			break
		}
	}
	n, ok := ParseInt(num)
	if !ok || n < 1 || signed && n > 64 || !signed && n > 63 {
		return false, 0, false
	}
	return signed, uint(n), true
}

func bitfieldCommand(c *Ctx)   { bitfieldGeneric(c, false) }
func bitfieldROCommand(c *Ctx) { bitfieldGeneric(c, true) }

// bitfieldGeneric ports Redis's bitfieldGeneric: every operation is parsed
// (and every error found) before the key is touched; a command with a SET or
// INCRBY first grows the string to the farthest bit it writes, even when an
// OVERFLOW FAIL then leaves the bits alone. Deterministic, so a change is
// propagated as received.
func bitfieldGeneric(c *Ctx, readOnly bool) {
	var ops []bitfieldOp
	overflow := bfWrap
	writes := false
	var highest uint64
	args := c.Args
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		sub := args[j]
		var op int
		switch {
		case EqualFold(sub, "get") && rem >= 2:
			op = bfGet
		case EqualFold(sub, "set") && rem >= 3:
			op = bfSet
		case EqualFold(sub, "incrby") && rem >= 3:
			op = bfIncrBy
		case EqualFold(sub, "overflow") && rem >= 1:
			j++
			switch name := args[j]; {
			case EqualFold(name, "wrap"):
				overflow = bfWrap
			case EqualFold(name, "sat"):
				overflow = bfSat
			case EqualFold(name, "fail"):
				overflow = bfFail
			default:
				c.Err("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.SyntaxErr()
			return
		}
		signed, nbits, ok := parseBitfieldType(args[j+1])
		if !ok {
			c.Err(errBitfieldType)
			return
		}
		off, ok := parseBitOffset(args[j+2], true, int(nbits))
		if !ok {
			c.Err(ErrBitOffset)
			return
		}
		var val int64
		if op != bfGet {
			writes = true
			highest = max(highest, off+uint64(nbits)-1)
			if val, ok = ParseInt(args[j+3]); !ok {
				c.Err(ErrNotInt)
				return
			}
			j++
		}
		ops = append(ops, bitfieldOp{offset: off, value: val, op: op, overflow: overflow, bits: nbits, signed: signed})
		j += 2
	}

	key := c.Args[1]
	if !writes {
		s, _, ok := getString(c, key)
		if !ok {
			return
		}
		c.R.Array(len(ops))
		for _, o := range ops {
			c.R.Int(bitfieldGet(s, o))
		}
		return
	}
	if readOnly {
		c.Err("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	m, created, grown, ok := bitTarget(c, key, highest)
	if !ok {
		return
	}
	p := m.b
	changed := false
	c.R.Array(len(ops))
	for _, o := range ops {
		if o.op == bfGet {
			c.R.Int(bitfieldGet(p, o))
			continue
		}
		reply, wrote, diff := bitfieldWrite(p, o)
		if !wrote {
			c.R.Null() // OVERFLOW FAIL
			continue
		}
		c.R.Int(reply)
		changed = changed || diff
	}
	if grown || changed {
		storeBits(c, key, m, created)
	}
}

func bitfieldGet[S ~string | ~[]byte](p S, o bitfieldOp) int64 {
	if o.signed {
		return getSignedBits(p, o.offset, o.bits)
	}
	return int64(getUnsignedBits(p, o.offset, o.bits))
}

// bitfieldWrite runs one SET or INCRBY on p. It returns the reply (the old
// value for SET, the new one for INCRBY), whether it wrote (not when OVERFLOW
// FAIL refused), and whether the bits changed.
func bitfieldWrite(p []byte, o bitfieldOp) (reply int64, wrote, changed bool) {
	if o.signed {
		old := getSignedBits(p, o.offset, o.bits)
		value, incr := o.value, int64(0)
		if o.op == bfIncrBy {
			value, incr = old, o.value
		}
		of, limit := checkSignedOverflow(value, incr, o.bits, o.overflow)
		if of != 0 && o.overflow == bfFail {
			return 0, false, false
		}
		nv := value + incr
		if of != 0 {
			nv = limit
		}
		reply = old
		if o.op == bfIncrBy {
			reply = nv
		}
		setUnsignedBits(p, o.offset, o.bits, uint64(nv))
		return reply, true, nv != old
	}
	old := getUnsignedBits(p, o.offset, o.bits)
	value, incr := uint64(o.value), int64(0)
	if o.op == bfIncrBy {
		value, incr = old, o.value
	}
	of, limit := checkUnsignedOverflow(value, incr, o.bits, o.overflow)
	if of != 0 && o.overflow == bfFail {
		return 0, false, false
	}
	nv := value + uint64(incr)
	if of != 0 {
		nv = limit
	}
	reply = int64(old)
	if o.op == bfIncrBy {
		reply = int64(nv)
	}
	setUnsignedBits(p, o.offset, o.bits, nv)
	return reply, true, nv != old
}
