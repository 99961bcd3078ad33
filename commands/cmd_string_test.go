package commands

import (
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/resp"
)

// Reply and AOF builders for the string and keyspace tests.
const (
	skOK   = "+OK\r\n"
	skNull = "$-1\r\n"
)

func skBulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
func skInt(n int64) string   { return ":" + strconv.FormatInt(n, 10) + "\r\n" }
func skErr(msg string) string {
	return "-" + msg + "\r\n"
}
func skArr(items ...string) string {
	return "*" + strconv.Itoa(len(items)) + "\r\n" + strings.Join(items, "")
}
func skCmd(args ...string) string { return string(resp.AppendCommand(nil, args...)) }
func skMs(ms int64) string        { return strconv.FormatInt(ms, 10) }

// skAOF fails unless the commands propagated since the last check are want.
func skAOF(t *testing.T, h *harness, want ...string) {
	t.Helper()
	got := h.aof()
	if w := strings.Join(want, ""); got != w {
		t.Fatalf("propagated %q, want %q", got, w)
	}
}

// skList stores a list at key in the harness' current db (without going
// through the list commands).
func skList(h *harness, key string, elems ...string) {
	l := NewList()
	for _, e := range elems {
		l.PushBack(e)
	}
	h.store.DBs[h.db].set(key, l)
}

// skListIs fails unless key in the current db holds exactly elems.
func skListIs(t *testing.T, h *harness, key string, elems ...string) {
	t.Helper()
	v, _, ok := h.store.DBs[h.db].Peek(key)
	l, isList := v.(*List)
	if !ok || !isList {
		t.Fatalf("%s is %T, not a list", key, v)
	}
	got := make([]string, l.Len())
	for i := range got {
		got[i] = l.At(i)
	}
	if strings.Join(got, ",") != strings.Join(elems, ",") {
		t.Fatalf("%s = %q, want %q", key, got, elems)
	}
}

// newSKHarness returns a harness whose AOF stream already selected db 0.
func newSKHarness(t *testing.T) *harness {
	h := newHarness(t)
	h.prop.CommandStrings(0, "PING")
	h.aof()
	return h
}

func TestStringGetSet(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skNull, "GET", "k")
	h.expect(skOK, "SET", "k", "v")
	skAOF(t, h, skCmd("SET", "k", "v"))
	h.expect(skBulk("v"), "GET", "k")
	h.expect(skOK, "set", "k", "")
	h.expect(skBulk(""), "GET", "k")
	skAOF(t, h, skCmd("SET", "k", ""))

	// SET overwrites a value of another type; GET refuses one.
	skList(h, "l", "a")
	h.expect(skErr(ErrWrongType), "GET", "l")
	h.expect(skOK, "SET", "l", "x")
	h.expect(skBulk("x"), "GET", "l")

	h.expect(skErr("ERR wrong number of arguments for 'set' command"), "SET", "k")
	h.expect(skErr("ERR wrong number of arguments for 'get' command"), "GET")

	// The protocol decides how a missing value looks.
	h.proto = 3
	h.expect("_\r\n", "GET", "missing")
}

func TestStringSetOptions(t *testing.T) {
	h := newSKHarness(t)
	now := h.now

	h.expect(skNull, "SET", "k", "v", "XX")
	h.expect(skOK, "SET", "k", "v", "NX")
	h.expect(skNull, "SET", "k", "w", "nx")
	h.expect(skOK, "SET", "k", "w", "XX")
	skAOF(t, h, skCmd("SET", "k", "v"), skCmd("SET", "k", "w"))

	// GET returns the old value whether or not NX/XX let the set happen.
	h.expect(skBulk("w"), "SET", "k", "x", "GET")
	h.expect(skBulk("x"), "SET", "k", "y", "NX", "GET")
	h.expect(skBulk("x"), "GET", "k")
	h.expect(skNull, "SET", "new", "1", "GET")
	h.expect(skNull, "SET", "nope", "1", "XX", "GET")
	h.expect(skNull, "GET", "nope")
	skAOF(t, h, skCmd("SET", "k", "x"), skCmd("SET", "new", "1"))
	skList(h, "l", "a")
	h.aof()
	h.expect(skErr(ErrWrongType), "SET", "l", "v", "GET")
	h.expect("+list\r\n", "TYPE", "l")
	skAOF(t, h)

	// Relative expiry is propagated as an absolute PXAT.
	h.expect(skOK, "SET", "e", "v", "EX", "10")
	h.expect(skInt(10000), "PTTL", "e")
	skAOF(t, h, skCmd("SET", "e", "v", "PXAT", skMs(now+10000)))
	h.expect(skOK, "SET", "e", "v", "px", "1500")
	skAOF(t, h, skCmd("SET", "e", "v", "PXAT", skMs(now+1500)))
	h.expect(skOK, "SET", "e", "v", "EXAT", skMs(now/1000+100))
	skAOF(t, h, skCmd("SET", "e", "v", "PXAT", skMs((now/1000+100)*1000)))
	h.expect(skOK, "SET", "e", "v", "PXAT", skMs(now+7))
	h.expect(skInt(7), "PTTL", "e")
	skAOF(t, h, skCmd("SET", "e", "v", "PXAT", skMs(now+7)))

	// KEEPTTL keeps it; a plain SET drops it.
	h.expect(skOK, "SET", "e", "w", "KEEPTTL")
	h.expect(skInt(7), "PTTL", "e")
	h.expect(skBulk("w"), "SET", "e", "x", "KEEPTTL", "GET")
	skAOF(t, h, skCmd("SET", "e", "w", "KEEPTTL"), skCmd("SET", "e", "x", "KEEPTTL"))
	h.expect(skOK, "SET", "e", "y")
	h.expect(skInt(-1), "PTTL", "e")
	skAOF(t, h, skCmd("SET", "e", "y"))

	// A past EXAT/PXAT leaves no key behind.
	h.expect(skOK, "SET", "e", "z", "PXAT", skMs(now))
	h.expect(skNull, "GET", "e")
	skAOF(t, h, skCmd("DEL", "e"))
	h.expect(skOK, "SET", "e", "z", "EXAT", "1")
	h.expect(skInt(0), "EXISTS", "e")
	skAOF(t, h)

	// Option combinations Redis refuses.
	for _, args := range [][]string{
		{"SET", "k", "v", "NX", "XX"},
		{"SET", "k", "v", "XX", "NX"},
		{"SET", "k", "v", "EX", "10", "PX", "10"},
		{"SET", "k", "v", "PX", "10", "EXAT", "10"},
		{"SET", "k", "v", "KEEPTTL", "EX", "10"},
		{"SET", "k", "v", "PXAT", "10", "KEEPTTL"},
		{"SET", "k", "v", "EX"},
		{"SET", "k", "v", "PERSIST"},
		{"SET", "k", "v", "bogus"},
	} {
		h.expect(skErr(ErrSyntax), args...)
	}
	// Repeating an option is fine; the last expire wins.
	h.expect(skNull, "SET", "k2", "v", "EX", "1", "EX", "2", "NX", "NX", "GET", "GET")
	h.expect(skInt(2000), "PTTL", "k2")
	h.expect(skOK, "SET", "k2", "v", "PX", "1", "px", "3", "XX", "XX")
	h.expect(skInt(3), "PTTL", "k2")
	h.aof()

	// Expire values.
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"SET", "k", "v", "EX", "0"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "PX", "-1"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "EX", "9223372036854776"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "PX", "9223372036854775807"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "EXAT", "0"}, "ERR invalid expire time in 'set' command"},
		{[]string{"SET", "k", "v", "EX", "1.5"}, ErrNotInt},
		{[]string{"SET", "k", "v", "EX", "x"}, ErrNotInt},
		{[]string{"SETEX", "k", "0", "v"}, "ERR invalid expire time in 'setex' command"},
		{[]string{"PSETEX", "k", "-5", "v"}, "ERR invalid expire time in 'psetex' command"},
		{[]string{"SETEX", "k", "ten", "v"}, ErrNotInt},
	} {
		h.expect(skErr(tc.err), tc.args...)
	}
	// The expire is checked before GET runs and before anything changes.
	h.expect(skErr("ERR invalid expire time in 'set' command"), "SET", "l", "v", "GET", "EX", "0")
	skAOF(t, h)
	// The largest EXAT that does not overflow is accepted.
	h.expect(skOK, "SET", "big", "v", "EXAT", "9223372036854775")
	h.expect(skInt(9223372036854775000), "PEXPIRETIME", "big")
}

func TestStringExpiryBoundary(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skOK, "SET", "k", "v", "PX", "100")
	h.aof()
	h.now += 99
	h.expect(skBulk("v"), "GET", "k")
	h.expect(skInt(1), "PTTL", "k")
	h.expect(skInt(0), "TTL", "k") // (1+500)/1000
	h.now++
	// Reads just don't see it; the first write that touches it deletes it
	// and propagates the DEL, like a Redis primary.
	h.expect(skNull, "GET", "k")
	h.expect(skInt(-2), "PTTL", "k")
	h.expect(skInt(1), "DBSIZE")
	skAOF(t, h)
	h.expect(skInt(1), "INCR", "k")
	skAOF(t, h, skCmd("DEL", "k"), skCmd("INCR", "k"))
	h.expect(skInt(1), "DBSIZE")
}

func TestStringSetnxSetexPsetex(t *testing.T) {
	h := newSKHarness(t)
	now := h.now
	h.expect(skInt(1), "SETNX", "k", "v")
	h.expect(skInt(0), "SETNX", "k", "w")
	h.expect(skBulk("v"), "GET", "k")
	skAOF(t, h, skCmd("SET", "k", "v"))

	h.expect(skOK, "SETEX", "k", "10", "w")
	h.expect(skInt(10), "TTL", "k")
	h.expect(skBulk("w"), "GET", "k")
	skAOF(t, h, skCmd("SET", "k", "w", "PXAT", skMs(now+10000)))
	h.expect(skOK, "PSETEX", "k", "250", "x")
	h.expect(skInt(250), "PTTL", "k")
	skAOF(t, h, skCmd("SET", "k", "x", "PXAT", skMs(now+250)))
	skList(h, "l", "a")
	h.expect(skOK, "SETEX", "l", "5", "s")
	h.expect("+string\r\n", "TYPE", "l")
}

func TestStringGetsetGetdelGetex(t *testing.T) {
	h := newSKHarness(t)
	now := h.now
	h.expect(skNull, "GETSET", "k", "a")
	h.expect(skBulk("a"), "GETSET", "k", "b")
	skAOF(t, h, skCmd("SET", "k", "a"), skCmd("SET", "k", "b"))
	h.do("EXPIRE", "k", "100")
	h.expect(skBulk("b"), "GETSET", "k", "c")
	h.expect(skInt(-1), "TTL", "k") // GETSET drops the TTL
	skList(h, "l", "a")
	h.aof()
	h.expect(skErr(ErrWrongType), "GETSET", "l", "x")
	h.expect(skErr(ErrWrongType), "GETDEL", "l")
	h.expect(skErr(ErrWrongType), "GETEX", "l")
	skAOF(t, h)

	h.expect(skBulk("c"), "GETDEL", "k")
	h.expect(skNull, "GETDEL", "k")
	h.expect(skInt(0), "EXISTS", "k")
	skAOF(t, h, skCmd("DEL", "k"))

	h.do("SET", "k", "v")
	h.aof()
	h.expect(skBulk("v"), "GETEX", "k")
	h.expect(skNull, "GETEX", "missing", "EX", "10")
	skAOF(t, h)
	h.expect(skBulk("v"), "GETEX", "k", "EX", "10")
	h.expect(skInt(10000), "PTTL", "k")
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+10000)))
	h.expect(skBulk("v"), "GETEX", "k", "PX", "20")
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs(now+20)))
	h.expect(skBulk("v"), "GETEX", "k", "EXAT", skMs(now/1000+50))
	skAOF(t, h, skCmd("PEXPIREAT", "k", skMs((now/1000+50)*1000)))
	h.expect(skBulk("v"), "GETEX", "k", "PERSIST")
	h.expect(skInt(-1), "TTL", "k")
	skAOF(t, h, skCmd("PERSIST", "k"))
	h.expect(skBulk("v"), "GETEX", "k", "PERSIST") // nothing to remove
	skAOF(t, h)
	h.expect(skBulk("v"), "GETEX", "k", "PXAT", skMs(now-1))
	h.expect(skInt(0), "EXISTS", "k")
	skAOF(t, h, skCmd("DEL", "k"))

	h.do("SET", "k", "v")
	for _, args := range [][]string{
		{"GETEX", "k", "NX"},
		{"GETEX", "k", "KEEPTTL"},
		{"GETEX", "k", "EX", "10", "PERSIST"},
		{"GETEX", "k", "PERSIST", "PX", "10"},
		{"GETEX", "k", "EX", "10", "PX", "10"},
		{"GETEX", "k", "EX"},
	} {
		h.expect(skErr(ErrSyntax), args...)
	}
	h.expect(skErr("ERR invalid expire time in 'getex' command"), "GETEX", "k", "EX", "0")
	h.expect(skErr(ErrNotInt), "GETEX", "k", "EX", "soon")
	// Like Redis, a missing key answers null before the time is checked.
	h.expect(skNull, "GETEX", "missing", "EX", "0")
}

func TestStringMsetMget(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skOK, "MSET", "a", "1", "b", "2", "a", "3")
	skAOF(t, h, skCmd("MSET", "a", "1", "b", "2", "a", "3"))
	skList(h, "l", "x")
	h.expect(skArr(skBulk("3"), skBulk("2"), skNull, skNull), "MGET", "a", "b", "l", "c")
	h.expect(skErr("ERR wrong number of arguments for 'mset' command"), "MSET", "a", "1", "b")
	h.expect(skErr("ERR wrong number of arguments for 'msetnx' command"), "MSETNX", "a", "1", "b")
	h.do("EXPIRE", "a", "100")
	h.aof()
	h.expect(skInt(0), "MSETNX", "c", "1", "a", "2")
	h.expect(skInt(0), "EXISTS", "c")
	skAOF(t, h)
	h.expect(skInt(1), "MSETNX", "c", "1", "d", "2")
	skAOF(t, h, skCmd("MSETNX", "c", "1", "d", "2"))
	h.expect(skOK, "MSET", "a", "x")
	h.expect(skInt(-1), "TTL", "a")
	h.expect(skArr(skBulk("1"), skBulk("2")), "MGET", "c", "d")
}

func TestStringAppendStrlen(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skInt(0), "STRLEN", "k")
	h.expect(skInt(5), "APPEND", "k", "Hello")
	h.expect(skInt(11), "APPEND", "k", " World")
	h.expect(skBulk("Hello World"), "GET", "k")
	h.expect(skInt(11), "STRLEN", "k")
	skAOF(t, h, skCmd("APPEND", "k", "Hello"), skCmd("APPEND", "k", " World"))
	h.do("EXPIRE", "k", "100")
	h.expect(skInt(12), "APPEND", "k", "!")
	h.expect(skInt(100), "TTL", "k") // APPEND keeps the TTL
	skList(h, "l", "a")
	h.expect(skErr(ErrWrongType), "APPEND", "l", "x")
	h.expect(skErr(ErrWrongType), "STRLEN", "l")
}

func TestStringGetrangeSetrange(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "k", "This is a string")
	for _, tc := range []struct{ start, end, want string }{
		{"0", "3", "This"},
		{"-3", "-1", "ing"},
		{"0", "-1", "This is a string"},
		{"10", "100", "string"},
		{"-100", "3", "This"},
		{"5", "3", ""},
		{"-1", "-5", ""},
		{"16", "20", ""},
		{"0", "-100", "T"}, // end clamps to 0, as in Redis 7
	} {
		h.expect(skBulk(tc.want), "GETRANGE", "k", tc.start, tc.end)
	}
	h.expect(skBulk(""), "GETRANGE", "missing", "0", "-1")
	h.do("SET", "e", "")
	h.expect(skBulk(""), "GETRANGE", "e", "0", "-1")
	h.expect(skErr(ErrNotInt), "GETRANGE", "k", "a", "1")
	h.expect(skErr(ErrNotInt), "GETRANGE", "k", "0", "9223372036854775808")
	skList(h, "l", "a")
	h.expect(skErr(ErrWrongType), "GETRANGE", "l", "0", "1")
	h.aof()

	h.do("SET", "s", "Hello World")
	h.aof()
	h.expect(skInt(11), "SETRANGE", "s", "6", "Redis")
	h.expect(skBulk("Hello Redis"), "GET", "s")
	skAOF(t, h, skCmd("SETRANGE", "s", "6", "Redis"))
	h.expect(skInt(13), "SETRANGE", "s", "11", "!!")
	h.expect(skBulk("Hello Redis!!"), "GET", "s")
	h.expect(skInt(13), "SETRANGE", "s", "0", "")
	h.expect(skInt(11), "SETRANGE", "p", "6", "Redis")
	h.expect(skBulk("\x00\x00\x00\x00\x00\x00Redis"), "GET", "p")
	h.expect(skInt(0), "SETRANGE", "q", "5", "")
	h.expect(skInt(0), "EXISTS", "q")
	skAOF(t, h, skCmd("SETRANGE", "s", "11", "!!"), skCmd("SETRANGE", "p", "6", "Redis"))

	h.do("EXPIRE", "s", "100")
	h.expect(skInt(13), "SETRANGE", "s", "0", "J")
	h.expect(skInt(100), "TTL", "s")
	h.expect(skBulk("Jello Redis!!"), "GET", "s")

	h.expect(skErr("ERR offset is out of range"), "SETRANGE", "s", "-1", "x")
	h.expect(skErr(ErrNotInt), "SETRANGE", "s", "x", "x")
	h.expect(skErr(ErrStringTooLong), "SETRANGE", "s", "536870912", "x")
	h.expect(skErr(ErrStringTooLong), "SETRANGE", "new", "536870911", "xy")
	h.expect(skErr(ErrStringTooLong), "SETRANGE", "new", "9223372036854775807", "x")
	h.expect(skErr(ErrWrongType), "SETRANGE", "l", "0", "x")
	h.expect(skErr(ErrWrongType), "SETRANGE", "l", "0", "")
	h.expect(skInt(0), "EXISTS", "new")
}

func TestStringIncrDecr(t *testing.T) {
	h := newSKHarness(t)
	h.expect(skInt(1), "INCR", "n")
	h.expect(skInt(0), "DECR", "n")
	h.expect(skInt(-10), "DECRBY", "n", "10")
	h.expect(skInt(32), "INCRBY", "n", "42")
	h.expect(skBulk("32"), "GET", "n")
	skAOF(t, h, skCmd("INCR", "n"), skCmd("DECR", "n"), skCmd("DECRBY", "n", "10"), skCmd("INCRBY", "n", "42"))
	h.do("EXPIRE", "n", "100")
	h.expect(skInt(33), "INCR", "n")
	h.expect(skInt(100), "TTL", "n") // the TTL survives

	for _, v := range []string{"abc", " 1", "1 ", "+1", "01", "1.0", "", "-0", "9223372036854775808"} {
		h.do("SET", "bad", v)
		h.expect(skErr(ErrNotInt), "INCR", "bad")
	}
	h.expect(skErr(ErrNotInt), "INCRBY", "n", "1x")
	h.expect(skErr(ErrNotInt), "DECRBY", "n", "")
	h.do("SET", "max", "9223372036854775807")
	h.expect(skErr(ErrOverflow), "INCR", "max")
	h.expect(skErr(ErrOverflow), "INCRBY", "max", "9223372036854775807")
	h.expect(skInt(9223372036854775806), "DECR", "max")
	h.expect(skErr(ErrOverflow), "INCRBY", "max", "2")
	h.do("SET", "min", "-9223372036854775808")
	h.expect(skErr(ErrOverflow), "DECR", "min")
	h.expect(skErr(ErrOverflow), "INCRBY", "min", "-1")
	h.expect(skInt(-1), "INCRBY", "min", "9223372036854775807")
	h.expect(skErr("ERR decrement would overflow"), "DECRBY", "min", "-9223372036854775808")
	skList(h, "l", "a")
	h.expect(skErr(ErrWrongType), "INCR", "l")
	h.aof()
	h.expect(skErr(ErrOverflow), "INCRBY", "max", "2")
	skAOF(t, h)
}

func TestStringIncrByFloat(t *testing.T) {
	h := newSKHarness(t)
	h.do("SET", "k", "10.50")
	h.aof()
	h.expect(skBulk("10.6"), "INCRBYFLOAT", "k", "0.1")
	skAOF(t, h, skCmd("SET", "k", "10.6", "KEEPTTL"))
	h.expect(skBulk("5.6"), "INCRBYFLOAT", "k", "-5")
	h.do("SET", "k", "5.0e3")
	h.expect(skBulk("5200"), "INCRBYFLOAT", "k", "2.0e2")

	// Long double arithmetic: three tenths make 0.3, not 0.30000000000000004.
	h.expect(skBulk("0.1"), "INCRBYFLOAT", "f", "0.1")
	h.expect(skBulk("0.2"), "INCRBYFLOAT", "f", "0.1")
	h.expect(skBulk("0.3"), "INCRBYFLOAT", "f", "0.1")
	for _, tc := range []struct{ start, incr, want string }{
		{"1", "0.25", "1.25"},
		{"1.5", "1.5", "3"},
		{"17179869184", "1.5", "17179869185.5"},
		{"17179869184", "17179869184", "34359738368"},
		{"0", "-0", "0"},
		{"1", "-1", "0"},
		{"0", "-0.000000000000000001", "0"}, // "-0.00000000000000000" -> "0"
		{"0", "0x10", "16"},
		{"0", "0x1.8p1", "3"},
		{"0", "1e3", "1000"},
		{"0", ".5", "0.5"},
		{"0", "5.", "5"},
		{"0", "+2", "2"},
		{"0", "1E-2", "0.01"},
		{"3.0e3", "1", "3001"},
		{"0", "123456789012345678", "123456789012345678"}, // 64-bit mantissa
		{"0", "1.00000000000000000001", "1"},
		{"0", "0.000000000000000006", "0.00000000000000001"}, // %.17Lf rounds
		{"0", "0.000000000000000004", "0"},
		{"0", "-0.000000000000000006", "-0.00000000000000001"},
	} {
		h.do("SET", "t", tc.start)
		h.expect(skBulk(tc.want), "INCRBYFLOAT", "t", tc.incr)
	}
	// Huge values print every digit of the binary value, like printf.
	h.do("SET", "t", "0")
	got := h.do("INCRBYFLOAT", "t", "1e4000")
	if want := "$4000\r\n99999999999999999999654638730996"; !strings.HasPrefix(got, want) {
		t.Errorf("1e4000: got %.60q..., want prefix %q", got, want)
	}

	h.do("EXPIRE", "k", "100")
	h.expect(skBulk("5201"), "INCRBYFLOAT", "k", "1")
	h.expect(skInt(100), "TTL", "k")

	for _, bad := range []string{"abc", " 1", "1 ", "1e", "0x", "nan", "-nan", "1e5000", "1e-5000", "", "1\x002", "inf1", "1..2", "0x1p", "."} {
		h.do("SET", "t", "1")
		h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "t", bad)
		if bad != "" {
			h.do("SET", "t", bad)
			h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "t", "1")
		}
	}
	h.do("SET", "t", "1")
	h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "t", strings.Repeat("1", 5120))
	h.expect(skBulk("1"), "INCRBYFLOAT", "z", strings.Repeat("0", 5118)+"1")
	h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "z", strings.Repeat("1", 5000)) // > LDBL_MAX
	// "1\0002" written by SETRANGE is not a float (Redis' own test).
	h.do("SET", "t", "1")
	h.do("SETRANGE", "t", "2", "2")
	h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "t", "1")

	h.aof()
	h.do("SET", "t", "0")
	h.aof()
	for _, inc := range []string{"+inf", "-inf", "inf", "Infinity"} {
		h.expect(skErr(ErrNaNOrInf), "INCRBYFLOAT", "t", inc)
	}
	h.do("SET", "t", "1e4932")
	h.aof()
	h.expect(skErr(ErrNaNOrInf), "INCRBYFLOAT", "t", "1e4932") // beyond LDBL_MAX
	h.expect(skErr(ErrNaNOrInf), "INCRBYFLOAT", "t", "1.1e4932")
	h.expect(skErr(ErrNotFloat), "INCRBYFLOAT", "t", "1.2e4932") // not a long double
	skAOF(t, h)
	skList(h, "l", "a")
	h.expect(skErr(ErrWrongType), "INCRBYFLOAT", "l", "1")
}

func TestStringParseHelpers(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.5", 1.5, true},
		{"-0", 0, true},
		{"inf", 0, true},
		{"-Infinity", 0, true},
		{"0x10", 16, true},
		{"0x1p-2", 0.25, true},
		{"1e308", 1e308, true},
		{"4.9e-324", 4.9e-324, true},
		{"1e309", 0, false},
		{"1e-400", 0, false},
		{"0e-400", 0, true},
		{"nan", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1\x00", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"1e+", 0, false},
		{"0x", 0, false},
	} {
		got, ok := ParseFloat([]byte(tc.in))
		if ok != tc.ok || ok && tc.want != 0 && got != tc.want {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"007", 7, true},
		{"18446744073709551615", 18446744073709551615, true},
		{"18446744073709551616", 0, false},
		{"-1", 18446744073709551615, true}, // strtoul wraps
		{"+5", 5, true},
		{" 5", 0, false},
		{"5 ", 0, false},
		{"", 0, true},
		{"+", 0, false},
		{"x", 0, false},
		{"7\x00junk", 7, true}, // a C string ends at the NUL
	} {
		got, ok := ParseCursor([]byte(tc.in))
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseCursor(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStringCommandTable(t *testing.T) {
	for _, tc := range []struct {
		name              string
		arity             int
		flags             Flags
		first, last, step int
	}{
		{"get", 2, ReadOnly | Fast, 1, 1, 1},
		{"set", -3, Write | DenyOOM, 1, 1, 1},
		{"setnx", 3, Write | DenyOOM | Fast, 1, 1, 1},
		{"setex", 4, Write | DenyOOM, 1, 1, 1},
		{"psetex", 4, Write | DenyOOM, 1, 1, 1},
		{"getset", 3, Write | DenyOOM | Fast, 1, 1, 1},
		{"getdel", 2, Write | Fast, 1, 1, 1},
		{"getex", -2, Write | Fast, 1, 1, 1},
		{"mset", -3, Write | DenyOOM, 1, -1, 2},
		{"msetnx", -3, Write | DenyOOM, 1, -1, 2},
		{"mget", -2, ReadOnly | Fast, 1, -1, 1},
		{"append", 3, Write | DenyOOM | Fast, 1, 1, 1},
		{"strlen", 2, ReadOnly | Fast, 1, 1, 1},
		{"getrange", 4, ReadOnly, 1, 1, 1},
		{"setrange", 4, Write | DenyOOM, 1, 1, 1},
		{"incr", 2, Write | DenyOOM | Fast, 1, 1, 1},
		{"decr", 2, Write | DenyOOM | Fast, 1, 1, 1},
		{"incrby", 3, Write | DenyOOM | Fast, 1, 1, 1},
		{"decrby", 3, Write | DenyOOM | Fast, 1, 1, 1},
		{"incrbyfloat", 3, Write | DenyOOM | Fast, 1, 1, 1},
	} {
		c := Lookup([]byte(tc.name))
		if c == nil {
			t.Errorf("%s: not registered", tc.name)
			continue
		}
		if c.Arity != tc.arity || c.Flags != tc.flags || c.FirstKey != tc.first || c.LastKey != tc.last || c.Step != tc.step {
			t.Errorf("%s: arity %d flags %v keys %d,%d,%d", tc.name, c.Arity, c.Flags.Names(), c.FirstKey, c.LastKey, c.Step)
		}
		if c.Group != "string" || c.Summary == "" || c.Since == "" {
			t.Errorf("%s: incomplete declaration", tc.name)
		}
	}
	keys, ok := Lookup([]byte("MSET")).KeysWithFlags([][]byte{[]byte("MSET"), []byte("a"), []byte("1"), []byte("b"), []byte("2")})
	if !ok || len(keys) != 2 || keys[0].Pos != 1 || keys[1].Pos != 3 || keys[0].Flags != KeyOW|KeyUpdate {
		t.Errorf("MSET keys = %+v", keys)
	}
}
