package commands

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Shared argument parsing and number formatting, following the C library
// functions Redis builds on (string2ll, string2ull, strtod, strtold, printf).

// MaxStringLen is Redis' default proto-max-bulk-len (512MB): no string value
// may grow past it.
const MaxStringLen = 512 * 1024 * 1024

// ExpireTimeErr is Redis' addReplyErrorExpireTime for command name (lower case).
func ExpireTimeErr(name string) string {
	return "ERR invalid expire time in '" + name + "' command"
}

// parseIntString is ParseInt for a stored string value (Redis' string2ll).
func parseIntString(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 20 || s[0] == '+' || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	if len(s) > 1 && s[0] == '-' && s[1] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseIntArg is Redis' getIntFromObjectOrReply: an integer that must fit a C int.
func parseIntArg(c *Ctx, b []byte) (int, bool) {
	n, ok := ParseInt(b)
	if !ok {
		c.Err(ErrNotInt)
		return 0, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Err(errInt32Range)
		return 0, false
	}
	return int(n), true
}

// parseDBIndex parses a database number argument (MOVE, COPY ... DB).
func parseDBIndex(c *Ctx, b []byte) (*DB, bool) {
	id, ok := parseIntArg(c, b)
	if !ok {
		return nil, false
	}
	if id < 0 || id >= NumDBs {
		c.Err(ErrDBIndex)
		return nil, false
	}
	return c.Store.DBs[id], true
}

// cString is what a C function sees of an argument: the bytes up to the first NUL.
func cString(b []byte) string {
	for i, ch := range b {
		if ch == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func isSpaceC(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

// ParseCursor parses a SCAN cursor like Redis 7.0's parseScanCursorOrReply:
// strtoul on the C string, refused when it starts with a blank, does not
// convert in full or overflows. So "+5" is 5, "-1" wraps to 2^64-1 and ""
// is 0, as in redis-server 7.0.
func ParseCursor(b []byte) (uint64, bool) {
	s := cString(b)
	if s == "" {
		return 0, true // strtoul converts nothing and stops at the terminator
	}
	if isSpaceC(s[0]) {
		return 0, false
	}
	i := 0
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var n uint64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		if n > (math.MaxUint64-uint64(d))/10 {
			return 0, false // ERANGE
		}
		n = n*10 + uint64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// --- floating point ---

// cNumber is a number as strtod/strtold scanned it, before conversion.
type cNumber struct {
	neg  bool
	inf  bool
	nan  bool
	hex  bool   // mant is hexadecimal and exp a power of two
	mant string // significant digits, radix point removed
	exp  int64  // value = mant * base^exp (base 10, or 2 when hex)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isHexDigit(ch byte) bool {
	return ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'
}

// scanExponent reads [sign] digits at s[i:], saturating far beyond any
// representable exponent; n is 0 when there are no digits.
func scanExponent(s string, i int) (e int64, n int) {
	j := i
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	start := j
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if e < 1e9 {
			e = e*10 + int64(s[j]-'0')
		}
		j++
	}
	if j == start {
		return 0, 0
	}
	if neg {
		e = -e
	}
	return e, j - i
}

// scanCNumber scans the longest prefix of s that strtod/strtold (C locale)
// would convert, without skipping leading blanks. n is the number of bytes
// used, 0 when nothing converts.
func scanCNumber(s string) (num cNumber, n int) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		num.neg = s[i] == '-'
		i++
	}
	rest := s[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		num.inf = true
		return num, i + 8
	case hasPrefixFold(rest, "inf"):
		num.inf = true
		return num, i + 3
	case hasPrefixFold(rest, "nan"):
		num.nan = true
		i += 3
		if i < len(s) && s[i] == '(' {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j < len(s) && s[j] == ')' {
				i = j + 1
			}
		}
		return num, i
	}
	digit := func(ch byte) bool { return ch >= '0' && ch <= '9' }
	if len(rest) >= 3 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') &&
		(isHexDigit(rest[2]) || rest[2] == '.' && len(rest) >= 4 && isHexDigit(rest[3])) {
		num.hex = true
		digit = isHexDigit
		i += 2
	}
	var mant strings.Builder
	var frac int64
	ndigits := 0
	for i < len(s) && digit(s[i]) {
		mant.WriteByte(s[i])
		ndigits++
		i++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && digit(s[j]) {
			mant.WriteByte(s[j])
			frac++
			ndigits++
			j++
		}
		if ndigits > 0 {
			i = j
		}
	}
	if ndigits == 0 {
		return cNumber{}, 0
	}
	expChar := byte('e')
	if num.hex {
		expChar = 'p'
	}
	var e int64
	if i < len(s) && (s[i]|0x20) == expChar {
		if v, n := scanExponent(s, i+1); n > 0 {
			e = v
			i += 1 + n
		}
	}
	num.mant = mant.String()
	if num.hex {
		num.exp = e - 4*frac
	} else {
		num.exp = e - frac
	}
	return num, i
}

// Limits of the x87 80-bit long double Redis uses for INCRBYFLOAT, as binary
// exponents of big.Float.MantExp (x = m * 2^e with 0.5 <= |m| < 1).
const (
	ldMaxExp = 16384  // LDBL_MAX = (1 - 2^-64) * 2^16384
	ldMinExp = -16444 // smallest subnormal 2^-16445 = 0.5 * 2^-16444
)

// LongDoublePrec is the mantissa width of an x87 long double.
const LongDoublePrec = 64

func newLongDouble() *big.Float {
	return new(big.Float).SetPrec(LongDoublePrec).SetMode(big.ToNearestEven)
}

// toBigFloat converts a finite scanned number to a big.Float rounded to prec
// bits. ok is false when the magnitude is far outside [2^minExp, 2^maxExp]
// (then big is +-1 for overflow or 0 for underflow) so huge exponents never
// cost time.
func (num cNumber) toBigFloat(prec uint, minExp, maxExp int64) (f *big.Float, over, under bool) {
	f = new(big.Float).SetPrec(prec).SetMode(big.ToNearestEven)
	mant := strings.TrimLeft(num.mant, "0")
	if mant == "" {
		if num.neg {
			f.Neg(f)
		}
		return f, false, false
	}
	if num.hex {
		bits := int64(len(mant))*4 + num.exp // value < 2^bits
		if bits > maxExp+1 {
			return f, true, false
		}
		if bits < minExp-8 {
			return f, false, true
		}
		m, _ := new(big.Int).SetString(mant, 16)
		exact := new(big.Float).SetInt(m) // exact: precision grows to fit
		f.SetMantExp(exact, int(num.exp))
	} else {
		// 10^(dec-1) <= value < 10^dec, and 2^3.32 < 10: both bounds below
		// are conservative (integer division truncates toward zero).
		dec := int64(len(mant)) + num.exp
		if (dec-1)*332/100 > maxExp+1 {
			return f, true, false
		}
		if dec*332/100 < minExp-8 {
			return f, false, true
		}
		// Parse at twice the precision, then round once more: double rounding
		// differs from a correctly rounded strtold only in vanishingly rare cases.
		wide := new(big.Float).SetPrec(2 * prec).SetMode(big.ToNearestEven)
		if _, _, err := wide.Parse(mant+"e"+strconv.FormatInt(num.exp, 10), 10); err != nil {
			return f, false, true
		}
		f.Set(wide)
	}
	if num.neg {
		f.Neg(f)
	}
	e := int64(f.MantExp(nil))
	switch {
	case e > maxExp:
		return f, true, false
	case e < minExp:
		return f, false, true
	}
	return f, false, false
}

// LongDoubleInRange reports whether a long double computation result is
// finite (not beyond LDBL_MAX).
func LongDoubleInRange(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	return f.Sign() == 0 || int64(f.MantExp(nil)) <= ldMaxExp
}

// ParseLongDouble parses a value like Redis' string2ld (strtold on a copy of
// the argument): no leading blanks, the whole argument must convert, no NaN,
// no overflow or underflow to zero, at most 5119 bytes. The result is rounded
// to a 64-bit mantissa like an x87 long double; it may be +-Inf ("inf").
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return nil, false
	}
	if isSpaceC(b[0]) {
		return nil, false
	}
	num, n := scanCNumber(string(b))
	if n == 0 || n != len(b) { // nothing converted, trailing garbage or a NUL
		return nil, false
	}
	switch {
	case num.nan:
		return nil, false
	case num.inf:
		return newLongDouble().SetInf(num.neg), true
	}
	f, over, under := num.toBigFloat(LongDoublePrec, ldMinExp, ldMaxExp)
	if over || under {
		return nil, false // ERANGE with HUGE_VAL or 0
	}
	return f, true
}

// FormatLongDouble formats like Redis' ld2string in LD_STR_HUMAN mode:
// printf("%.17Lf"), trailing zeros and a trailing '.' removed, "-0" -> "0".
func FormatLongDouble(f *big.Float) string {
	if f.IsInf() {
		if f.Sign() > 0 {
			return "inf"
		}
		return "-inf"
	}
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parsePlainDecimal is ParseFloat's fast path for what scores and
// coordinates mostly look like: an optional '-', digits, and optionally a
// '.' followed by digits, with at most 15 digits in all. The digits then
// make an integer below 2^53 and the divisor a power of ten that float64
// holds exactly, so one division rounds correctly, as strtod does
// (Clinger's fast path). ok is false for anything else.
func parsePlainDecimal(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	var mant uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		ch := b[i]
		switch {
		case ch >= '0' && ch <= '9':
			mant = mant*10 + uint64(ch-'0')
			digits++
			if dot {
				frac++
			}
		case ch == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 || dot && frac == 0 {
		return 0, false
	}
	f := float64(mant) / pow10[frac]
	if neg {
		f = -f
	}
	return f, true
}

// ParseFloat parses a double like Redis' string2d (strtod): no leading
// blanks, the whole argument must convert (an embedded NUL does not), no NaN,
// no overflow to +-HUGE_VAL and no underflow to zero; "inf" is accepted.
func ParseFloat(b []byte) (float64, bool) {
	if f, ok := parsePlainDecimal(b); ok {
		return f, true
	}
	if len(b) == 0 || isSpaceC(b[0]) {
		return 0, false
	}
	s := string(b)
	num, n := scanCNumber(s)
	if n == 0 || n != len(s) {
		return 0, false
	}
	switch {
	case num.nan:
		return 0, false
	case num.inf:
		if num.neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	var f float64
	if num.hex {
		bf, over, under := num.toBigFloat(4*uint(len(num.mant))+1, -1100, 1100)
		if over {
			return 0, false
		}
		if under {
			return 0, false
		}
		f, _ = bf.Float64()
	} else {
		mant := strings.TrimLeft(num.mant, "0")
		if mant == "" {
			if num.neg {
				return math.Copysign(0, -1), true
			}
			return 0, true
		}
		var err error
		f, err = strconv.ParseFloat(mant+"e"+strconv.FormatInt(num.exp, 10), 64)
		if err != nil && !math.IsInf(f, 0) {
			return 0, false
		}
		if num.neg {
			f = -f
		}
	}
	if math.IsInf(f, 0) || f == 0 && strings.Trim(num.mant, "0") != "" {
		return 0, false // ERANGE
	}
	return f, true
}
