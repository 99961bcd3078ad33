package commands

import (
	"math"
	"testing"
)

// What the bitmap commands propagate: themselves as received, whenever the
// dataset changed, including a BITFIELD whose only effect is to create or
// grow the string (OVERFLOW FAIL), which Redis 7.0 forgot to propagate.
func TestBitmapPropagation(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skInt(0), "setbit", "b", "3", "1")
	skAOF(t, h, skCmd("setbit", "b", "3", "1"))
	h.expect(skInt(1), "setbit", "b", "3", "1")
	skAOF(t, h)
	h.expect(skArr(skNull), "bitfield", "f", "overflow", "fail", "incrby", "u2", "30", "9")
	skAOF(t, h, skCmd("bitfield", "f", "overflow", "fail", "incrby", "u2", "30", "9"))
	h.expect(skBulk("\x00\x00\x00\x00"), "get", "f")
	h.expect(skArr(skNull), "bitfield", "f", "overflow", "fail", "incrby", "u2", "30", "9")
	skAOF(t, h)
	h.expect(skArr(skInt(0)), "bitfield", "f", "set", "u8", "0", "0")
	skAOF(t, h)
	h.expect(skInt(0), "bitop", "and", "d", "nokey")
	skAOF(t, h)
	h.expect(skInt(1), "bitop", "not", "d", "b")
	skAOF(t, h, skCmd("bitop", "not", "d", "b"))
	h.expect(skInt(0), "bitop", "or", "d", "nokey")
	skAOF(t, h, skCmd("bitop", "or", "d", "nokey"))
	h.expect(skInt(0), "exists", "d")
}

func TestBitfieldOverflow(t *testing.T) {
	for _, tc := range []struct {
		value     uint64
		incr      int64
		bits      uint
		ow        int
		of        int
		limit     uint64
		checkLimt bool
	}{
		{250, 10, 8, bfWrap, 1, 4, true},
		{250, 10, 8, bfSat, 1, 255, true},
		{250, 5, 8, bfSat, 0, 0, false},
		{5, -10, 8, bfWrap, 1, 251, true},
		{5, -10, 8, bfSat, -1, 0, true},
		{5, -10, 8, bfFail, -1, 0, false},
		{300, 0, 8, bfWrap, 1, 44, true},
		{math.MaxUint64, 0, 63, bfSat, 1, 1<<63 - 1, true},
	} {
		of, limit := checkUnsignedOverflow(tc.value, tc.incr, tc.bits, tc.ow)
		if of != tc.of || tc.checkLimt && limit != tc.limit {
			t.Errorf("unsigned %d%+d in %d bits (%d): %d %d, want %d %d", tc.value, tc.incr, tc.bits, tc.ow, of, limit, tc.of, tc.limit)
		}
	}
	for _, tc := range []struct {
		value, incr int64
		bits        uint
		ow          int
		of          int
		limit       int64
	}{
		{120, 10, 8, bfWrap, 1, -126},
		{120, 10, 8, bfSat, 1, 127},
		{-120, -10, 8, bfWrap, 1, 126},
		{-120, -10, 8, bfSat, -1, -128},
		{math.MaxInt64, 1, 64, bfWrap, 1, math.MinInt64},
		{math.MaxInt64, 1, 64, bfSat, 1, math.MaxInt64},
		{math.MinInt64, -1, 64, bfSat, -1, math.MinInt64},
		{math.MinInt64, math.MaxInt64, 64, bfSat, 0, 0},
		{-100, 0, 4, bfWrap, 1, -4},
		{100, 0, 4, bfSat, 1, 7},
		{3, 4, 4, bfFail, 0, 0},
	} {
		of, limit := checkSignedOverflow(tc.value, tc.incr, tc.bits, tc.ow)
		if of != tc.of || limit != tc.limit {
			t.Errorf("signed %d%+d in %d bits (%d): %d %d, want %d %d", tc.value, tc.incr, tc.bits, tc.ow, of, limit, tc.of, tc.limit)
		}
	}
}

func TestBitfieldBits(t *testing.T) {
	p := make([]byte, 2)
	setUnsignedBits(p, 7, 5, 23) // Redis's own example: 00000001 01110000
	if p[0] != 0x01 || p[1] != 0x70 {
		t.Fatalf("%08b %08b", p[0], p[1])
	}
	if v := getUnsignedBits(p, 7, 5); v != 23 {
		t.Fatalf("read back %d", v)
	}
	if v := getSignedBits(p, 7, 5); v != -9 {
		t.Fatalf("signed read %d", v)
	}
	if v := getUnsignedBits("\xff", 4, 8); v != 0xf0 {
		t.Fatalf("past the end: %x", v)
	}
	for _, tc := range []struct {
		arg    string
		signed bool
		bits   uint
		ok     bool
	}{
		{"i64", true, 64, true}, {"u63", false, 63, true}, {"u64", false, 0, false}, {"i65", false, 0, false},
		{"i0", false, 0, false}, {"x8", false, 0, false}, {"", false, 0, false}, {"i", false, 0, false},
		{"i8\x00z", true, 8, true}, {"i08", false, 0, false}, {"I8", false, 0, false},
	} {
		s, b, ok := parseBitfieldType([]byte(tc.arg))
		if ok != tc.ok || ok && (s != tc.signed || b != tc.bits) {
			t.Errorf("%q: %v %d %v", tc.arg, s, b, ok)
		}
	}
	for _, tc := range []struct {
		arg  string
		hash bool
		bits int
		off  uint64
		ok   bool
	}{
		{"8", false, 0, 8, true}, {"#2", true, 8, 16, true}, {"#2", false, 8, 0, false},
		{"4294967295", false, 0, 4294967295, true}, {"4294967296", false, 0, 0, false},
		{"-1", false, 0, 0, false}, {"#-1", true, 8, 0, false}, {"#9223372036854775807", true, 64, 0, false},
	} {
		off, ok := parseBitOffset([]byte(tc.arg), tc.hash, tc.bits)
		if ok != tc.ok || off != tc.off {
			t.Errorf("offset %q: %d %v", tc.arg, off, ok)
		}
	}
}
