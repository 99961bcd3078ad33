package commands

import (
	"encoding/binary"
	"math"
)

// HyperLogLog values are plain strings holding Redis's own representation,
// so GET, DUMP-less copies, AOF rewrites and a stock redis-server all see the
// same bytes Redis would hold for the same inputs:
//
//	"HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached card (8, LE)
//
// followed by 16384 six-bit registers, either packed (dense, 12288 bytes) or
// run-length coded (sparse: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL
// 1vvvvvxx). The top bit of the cached cardinality marks it stale. The
// algorithms below follow Redis 7's hyperloglog.c step by step, including how
// a sparse value is split, merged and promoted to dense, because any
// difference would show in the bytes.

const (
	hllP            = 14
	hllQ            = 64 - hllP
	hllRegisters    = 1 << hllP
	hllPMask        = hllRegisters - 1
	hllBits         = 6
	hllRegisterMax  = 1<<hllBits - 1
	hllHdrSize      = 16
	hllDenseSize    = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense        = 0
	hllSparse       = 1
	hllMaxEncoding  = 1
	hllSparseMaxLen = 3000 // hll-sparse-max-bytes, header included

	hllSparseValMaxValue = 32
	hllSparseValMaxLen   = 4
	hllSparseZeroMaxLen  = 64
	hllSparseXZeroMaxLen = 16384

	// hllSeed is the seed Redis gives MurmurHash64A for HLL elements.
	hllSeed = 0xadc83b19
	// hllAlphaInf is 0.5/ln(2), the estimator's constant.
	hllAlphaInf = 0.721347520444481703680
)

// Error texts of the HyperLogLog commands.
const (
	ErrNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	ErrInvalidHLL = "INVALIDOBJ Corrupted HLL object detected"
)

// murmurHash64A is MurmurHash2-64A with Redis's little-endian word loads.
func murmurHash64A(key []byte, seed uint32) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := uint64(seed) ^ uint64(len(key))*m
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element maps to and the length of the
// 000..1 run that follows the index bits (1..Q+1).
func hllPatLen(ele []byte) (index int, count uint8) {
	hash := murmurHash64A(ele, hllSeed)
	index = int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ // the loop ends by bit Q at the latest
	count = 1
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

// --- header ---

// isHLL reports whether s passes Redis's isHLLObjectOrReply checks.
func isHLL(s string) bool {
	if len(s) < hllHdrSize || s[:4] != "HYLL" || s[4] > hllMaxEncoding {
		return false
	}
	return s[4] != hllDense || len(s) == hllDenseSize
}

func hllInvalidateCache(b []byte) { b[15] |= 0x80 }

// hllCachedCard returns the cached cardinality when it is valid.
func hllCachedCard(s string) (uint64, bool) {
	if s[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64([]byte(s[8:16])), true
}

func hllSetCachedCard(b []byte, card uint64) { binary.LittleEndian.PutUint64(b[8:16], card) }

// newHLL returns an empty sparse HLL: the header and XZERO:16384.
func newHLL() []byte {
	b := make([]byte, hllHdrSize+2, hllHdrSize+16)
	copy(b, "HYLL")
	b[4] = hllSparse
	b[16], b[17] = 0x40|byte((hllSparseXZeroMaxLen-1)>>8), byte((hllSparseXZeroMaxLen-1)&0xff)
	return b
}

// --- dense registers ---

func hllDenseGet(regs []byte, i int) uint8 {
	pos := i * hllBits
	byt, fb := pos/8, uint(pos&7)
	b0 := uint(regs[byt])
	var b1 uint
	if byt+1 < len(regs) {
		b1 = uint(regs[byt+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

func hllDenseSetReg(regs []byte, i int, val uint8) {
	pos := i * hllBits
	byt, fb := pos/8, uint(pos&7)
	v := uint(val)
	regs[byt] &^= byte(hllRegisterMax << fb)
	regs[byt] |= byte(v << fb)
	if byt+1 < len(regs) { // beyond the last register Redis touches only the sds terminator
		regs[byt+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[byt+1] |= byte(v >> (8 - fb))
	}
}

// hllDenseSet raises register i to count; reports whether it changed.
func hllDenseSet(regs []byte, i int, count uint8) bool {
	if count > hllDenseGet(regs, i) {
		hllDenseSetReg(regs, i, count)
		return true
	}
	return false
}

// --- sparse opcodes ---

func spIsZero(c byte) bool  { return c&0xc0 == 0 }
func spIsXZero(c byte) bool { return c&0xc0 == 0x40 }
func spIsVal(c byte) bool   { return c&0x80 != 0 }
func spZeroLen(c byte) int  { return int(c&0x3f) + 1 }
func spValValue(c byte) int { return int(c>>2&0x1f) + 1 }
func spValLen(c byte) int   { return int(c&0x3) + 1 }
func spVal(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }
func spZero(n int) byte     { return byte(n - 1) }

// spXZeroLen reads an XZERO at b[p]; a missing second byte reads as 0, like
// the sds terminator Redis reads there.
func spXZeroLen(b []byte, p int) int {
	var lo int
	if p+1 < len(b) {
		lo = int(b[p+1])
	}
	return (int(b[p]&0x3f)<<8 | lo) + 1
}

func appendXZero(seq []byte, n int) []byte {
	n--
	return append(seq, byte(n>>8)|0x40, byte(n&0xff))
}

// appendZeros appends the ZERO or XZERO for a run of n zero registers.
func appendZeros(seq []byte, n int) []byte {
	if n > hllSparseZeroMaxLen {
		return appendXZero(seq, n)
	}
	return append(seq, spZero(n))
}

// hllSparseToDense converts a sparse value to dense, keeping the header's
// magic, unused bytes and cached cardinality; nil when the sparse data does
// not describe exactly 16384 registers.
func hllSparseToDense(b []byte) []byte {
	if b[4] == hllDense {
		return b
	}
	d := make([]byte, hllDenseSize)
	copy(d, b[:hllHdrSize])
	d[4] = hllDense
	regs := d[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(b); {
		c := b[p]
		switch {
		case spIsZero(c):
			idx += spZeroLen(c)
			p++
		case spIsXZero(c):
			idx += spXZeroLen(b, p)
			p += 2
		default:
			n, v := spValLen(c), spValValue(c)
			if n+idx > hllRegisters {
				p = len(b) // overflow: stop, and fail below
				break
			}
			for ; n > 0; n-- {
				hllDenseSetReg(regs, idx, uint8(v))
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return nil
	}
	return d
}

// hllSparseFind finds the opcode of the sparse value b that covers register
// index: its position p, the previous opcode's (-1 for none), the first
// register it covers and how many. span is 0, or p >= len(b), when b ends
// before it (a corrupted value).
func hllSparseFind(b []byte, index int) (p, prev, first, span int) {
	p, prev = hllHdrSize, -1
	for p < len(b) {
		oplen := 1
		c := b[p]
		switch {
		case spIsZero(c):
			span = spZeroLen(c)
		case spIsVal(c):
			span = spValLen(c)
		default:
			span = spXZeroLen(b, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	return p, prev, first, span
}

// hllSparseSet raises register index to count in the sparse value b. It
// returns the new value (possibly promoted to dense) and 1 when a register
// changed, 0 when not, -1 when b is corrupted (b is then unchanged).
func hllSparseSet(b []byte, index int, count uint8) ([]byte, int) {
	if count > hllSparseValMaxValue {
		return hllPromote(b, index, count)
	}
	// Step 1: find the opcode covering the register.
	end := len(b)
	p, prev, first, span := hllSparseFind(b, index)
	if span == 0 || p >= end {
		return b, -1
	}
	c := b[p]
	isZero, isXZero, isVal := spIsZero(c), spIsXZero(c), spIsVal(c)
	var runlen int
	switch {
	case isZero:
		runlen = spZeroLen(c)
	case isXZero:
		runlen = spXZeroLen(b, p)
	default:
		runlen = spValLen(c)
	}

	// Step 2: the trivial cases change one byte in place.
	if isVal {
		old := spValValue(c)
		if old >= int(count) {
			return b, 0
		}
		if runlen == 1 {
			b[p] = spVal(int(count), 1)
			return hllSparseMerge(b, prev), 1
		}
	}
	if isZero && runlen == 1 {
		b[p] = spVal(int(count), 1)
		return hllSparseMerge(b, prev), 1
	}

	// The general case splits the opcode into up to three.
	var buf [5]byte
	seq := buf[:0]
	last := first + span - 1
	if isZero || isXZero {
		if index != first {
			seq = appendZeros(seq, index-first)
		}
		seq = append(seq, spVal(int(count), 1))
		if index != last {
			seq = appendZeros(seq, last-index)
		}
	} else {
		cur := spValValue(c)
		if index != first {
			seq = append(seq, spVal(cur, index-first))
		}
		seq = append(seq, spVal(int(count), 1))
		if index != last {
			seq = append(seq, spVal(cur, last-index))
		}
	}

	// Step 3: splice the new sequence in, or promote when it would grow past
	// hll-sparse-max-bytes.
	oldlen := 1
	if isXZero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && len(b)+delta > hllSparseMaxLen {
		return hllPromote(b, index, count)
	}
	newLen := len(b) + delta
	// The value becomes b[:p] + seq + the opcodes after the old one, cut or
	// zero-padded to newLen: a truncated final XZERO makes Redis's length
	// arithmetic drop a byte, and the same arithmetic keeps even a corrupted
	// value byte-identical.
	tail := min(p+oldlen, end)
	size := p + len(seq) + end - tail
	if n := max(size, newLen); n > cap(b) {
		// Room for more opcodes, as sdsMakeRoomFor leaves, so that the next
		// splices happen in place.
		grown := make([]byte, len(b), max(n, min(2*n, hllSparseMaxLen+8)))
		copy(grown, b)
		b = grown
	}
	b = b[:max(size, newLen)]
	copy(b[p+len(seq):], b[tail:end])
	copy(b[p:], seq)
	clear(b[size:])
	return hllSparseMerge(b[:newLen], prev), 1
}

// hllSparseMerge is Step 4 of Redis's hllSparseSet: starting at the opcode
// before the change, it joins up to five adjacent VAL opcodes of the same
// value, then marks the cached cardinality stale.
func hllSparseMerge(b []byte, prev int) []byte {
	p := prev
	if p < 0 {
		p = hllHdrSize
	}
	end := len(b)
	for scan := 5; p < end && scan > 0; {
		scan--
		c := b[p]
		if spIsXZero(c) {
			p += 2
			continue
		}
		if spIsZero(c) {
			p++
			continue
		}
		if p+1 < end && spIsVal(b[p+1]) {
			v1, v2 := spValValue(c), spValValue(b[p+1])
			if v1 == v2 {
				if n := spValLen(c) + spValLen(b[p+1]); n <= hllSparseValMaxLen {
					b[p+1] = spVal(v1, n)
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	hllInvalidateCache(b)
	return b
}

// hllPromote converts to dense and then sets the register, which must change.
func hllPromote(b []byte, index int, count uint8) ([]byte, int) {
	d := hllSparseToDense(b)
	if d == nil {
		return b, -1
	}
	hllDenseSet(d[hllHdrSize:], index, count)
	return d, 1
}

// hllAdd adds ele to the HLL b (already validated); see hllSparseSet for the
// results. A dense value is changed in place.
func hllAdd(b []byte, ele []byte) ([]byte, int) {
	index, count := hllPatLen(ele)
	switch b[4] {
	case hllDense:
		if hllDenseSet(b[hllHdrSize:], index, count) {
			return b, 1
		}
		return b, 0
	case hllSparse:
		return hllSparseSet(b, index, count)
	}
	return b, -1
}

// --- counting ---

// hllHisto counts the registers of each value; ok is false for a sparse
// value whose opcodes do not cover exactly 16384 registers.
func hllHisto(s string, h *[64]int) (ok bool) {
	if s[4] == hllDense {
		regs := s[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			pos := i * hllBits
			byt, fb := pos/8, uint(pos&7)
			b0 := uint(regs[byt])
			var b1 uint
			if byt+1 < len(regs) {
				b1 = uint(regs[byt+1])
			}
			h[(b0>>fb|b1<<(8-fb))&hllRegisterMax]++
		}
		return true
	}
	idx := 0
	for p := hllHdrSize; p < len(s); {
		c := s[p]
		switch {
		case spIsZero(c):
			n := spZeroLen(c)
			idx += n
			h[0] += n
			p++
		case spIsXZero(c):
			var lo int
			if p+1 < len(s) {
				lo = int(s[p+1])
			}
			n := (int(c&0x3f)<<8 | lo) + 1
			idx += n
			h[0] += n
			p += 2
		default:
			n := spValLen(c)
			idx += n
			h[spValValue(c)] += n
			p++
		}
	}
	return idx == hllRegisters
}

// hllSigma and hllTau are the helper functions of Otmar Ertl's "New
// cardinality estimation algorithms for HyperLogLog sketches", as Redis 5+
// computes them. The float64() conversions keep every product rounded on its
// own, as the C code is, so no fused multiply-add changes a result bit.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zp == z {
			return z / 3
		}
	}
}

// hllEstimate is Redis's hllCount from a register histogram.
func hllEstimate(h *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := float64(m * hllTau((m-float64(h[hllQ+1]))/m))
	for j := hllQ; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * hllSigma(float64(h[0])/m))
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

// hllCount estimates the cardinality of a validated HLL string; ok is false
// when it is corrupted.
func hllCount(s string) (uint64, bool) {
	var h [64]int
	if !hllHisto(s, &h) {
		return 0, false
	}
	return hllEstimate(&h), true
}

// hllMergeInto raises max[i] to every register of the validated HLL s; false
// when s is a corrupted sparse value.
func hllMergeInto(max *[hllRegisters]uint8, s string) bool {
	if s[4] == hllDense {
		regs := []byte(s[hllHdrSize:])
		for i := 0; i < hllRegisters; i++ {
			if v := hllDenseGet(regs, i); v > max[i] {
				max[i] = v
			}
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(s); {
		c := s[p]
		switch {
		case spIsZero(c):
			i += spZeroLen(c)
			p++
		case spIsXZero(c):
			var lo int
			if p+1 < len(s) {
				lo = int(s[p+1])
			}
			i += (int(c&0x3f)<<8 | lo) + 1
			p += 2
		default:
			n, v := spValLen(c), uint8(spValValue(c))
			if n+i > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if v > max[i] {
					max[i] = v
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// hllRawEstimate estimates the cardinality of merged raw registers (PFCOUNT
// of several keys).
func hllRawEstimate(max *[hllRegisters]uint8) uint64 {
	var h [64]int
	for _, v := range max {
		h[v]++
	}
	return hllEstimate(&h)
}

// hllWouldChange reports whether adding ele to the validated HLL b would
// raise a register, without changing b or allocating; ok is false when a
// sparse b is corrupted where hllSparseSet would find it so.
func hllWouldChange(b []byte, ele []byte) (change, ok bool) {
	index, count := hllPatLen(ele)
	switch b[4] {
	case hllDense:
		return count > hllDenseGet(b[hllHdrSize:], index), true
	case hllSparse:
		if count > hllSparseValMaxValue {
			return true, true // no sparse register holds that much
		}
		p, _, _, span := hllSparseFind(b, index)
		if span == 0 || p >= len(b) {
			return false, false
		}
		if c := b[p]; spIsVal(c) {
			return spValValue(c) < int(count), true
		}
		return true, true // a zero register: count is at least 1
	}
	return false, false
}
