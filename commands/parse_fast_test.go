package commands

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The fast path of ParseFloat gives the bits strconv (correctly rounded, as
// glibc's strtod) gives, and leaves everything else to the full parser.
func TestParsePlainDecimalMatchesFullParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(s string) {
		t.Helper()
		got, ok := parsePlainDecimal([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: fast path %v (%x), strconv %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	for _, s := range []string{"0", "-0", "13.361389", "38.115556", "-180", "0.1", "999999999999999", "1.00000000000001", "-0.00000000000001"} {
		if _, ok := parsePlainDecimal([]byte(s)); !ok {
			t.Fatalf("%q not taken by the fast path", s)
		}
		check(s)
	}
	for _, s := range []string{"", "-", ".5", "5.", "1e5", "+1", " 1", "1 ", "1234567890123456", "inf", "0x10", "1.2.3", "--1", "1\x00"} {
		if _, ok := parsePlainDecimal([]byte(s)); ok {
			t.Fatalf("%q taken by the fast path", s)
		}
	}
	for i := 0; i < 200000; i++ {
		n := rng.Uint64N(1_000_000_000_000_000)
		s := strconv.FormatUint(n, 10)
		if p := rng.IntN(len(s) + 1); p > 0 && p < len(s) {
			s = s[:p] + "." + s[p:]
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		check(s)
	}
	if f, _ := ParseFloat([]byte("-0")); !math.Signbit(f) {
		t.Fatal("-0 lost its sign")
	}
}
