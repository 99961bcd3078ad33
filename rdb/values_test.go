package rdb

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Payloads captured from redis-server 7.0.15's DUMP (see the comment on each
// for the command that built the value).
var redisDumps = []struct {
	name, hex string
	want      Value
	encode    func() []byte
}{
	{"SET sint 12345", "00c139300a009d94ea2793fc08b9",
		Value{Kind: KindString, Str: "12345"}, func() []byte { return DumpString("12345") }},
	{"SET sraw hello", "000568656c6c6f0a006372df766534200a",
		Value{Kind: KindString, Str: "hello"}, func() []byte { return DumpString("hello") }},
	{"SET slzf abcabc...abc-xyz (LZF)", "00c30d220361626361e01102032d78797a0a00a09b55ddf092a1c1",
		Value{Kind: KindString, Str: strings.Repeat("abc", 10) + "-xyz"},
		func() []byte { return DumpString(strings.Repeat("abc", 10) + "-xyz") }},
	{"RPUSH list a b 1 2 300 -5000 70000 3000000000",
		"1201022727000000080081610281620201010201c12c02f178ec03f270110104f4005ed0b20000000009ff0a00af99c5a7cda94d03",
		Value{Kind: KindList, Elems: []string{"a", "b", "1", "2", "300", "-5000", "70000", "3000000000"}},
		func() []byte {
			el := []string{"a", "b", "1", "2", "300", "-5000", "70000", "3000000000"}
			return DumpList(len(el), func(i int) string { return el[i] })
		}},
	{"HSET hash f1 v1 n 123", "10141400000004008266310382763103816e027b01ff0a000610d640c464167d",
		Value{Kind: KindHash, Elems: []string{"f1", "v1", "n", "123"}},
		func() []byte { return DumpListpack(TypeHashListpack, []string{"f1", "v1", "n", "123"}) }},
	{"SADD iset 1 2 3 70000", "0b180400000004000000010000000200000003000000701101000a00ef2e6521e385a22a",
		Value{Kind: KindSet, Elems: []string{"1", "2", "3", "70000"}},
		func() []byte { return DumpIntset([]int64{1, 2, 3, 70000}) }},
	{"ZADD zset 1 a 1.5 b -inf c 300 d",
		"1123230000000800816302842d696e6605816102010181620283312e3504816402c12c02ff0a00f5ee1057c124ef92",
		Value{Kind: KindZSet, Z: []ZEntry{{"c", math.Inf(-1)}, {"a", 1}, {"b", 1.5}, {"d", 300}}},
		func() []byte {
			return DumpListpack(TypeZSetListpack, []string{"c", FormatScore(math.Inf(-1)), "a", FormatScore(1),
				"b", FormatScore(1.5), "d", FormatScore(300)})
		}},
	{"SADD pset a", "020101610a006296e97e44d21a6d",
		Value{Kind: KindSet, Elems: []string{"a"}}, func() []byte { return DumpStrings(TypeSet, 1, []string{"a"}) }},
	{"RPUSH big qqq...(30 bytes): an LZF-compressed listpack node",
		"120102c30f27072700000001009e71e01400011fff0a007961b51f3b4507e8",
		Value{Kind: KindList, Elems: []string{strings.Repeat("q", 30)}},
		func() []byte { return DumpList(1, func(int) string { return strings.Repeat("q", 30) }) }},
}

func TestDecodeRedisDumps(t *testing.T) {
	for _, tc := range redisDumps {
		p, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		body, err := CheckFooter(p)
		if err != nil {
			t.Fatalf("%s: footer: %v", tc.name, err)
		}
		v, err := Decode(body)
		if err != nil {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		if !reflect.DeepEqual(*v, tc.want) {
			t.Errorf("%s: decoded %+v, want %+v", tc.name, *v, tc.want)
		}
		if got := tc.encode(); !reflect.DeepEqual(got, p) {
			t.Errorf("%s: our payload differs from redis-server's\n ours  %x\n redis %x", tc.name, got, p)
		}
	}
}

func TestListpackIntegerEncodings(t *testing.T) {
	// Each boundary of lpEncodeIntegerGetType, with the entry size Redis uses.
	cases := []struct {
		v    int64
		size int // encoding + data + back-length
	}{
		{0, 2}, {127, 2}, {128, 3}, {-1, 3}, {4095, 3}, {-4096, 3}, {4096, 4}, {-4097, 4},
		{32767, 4}, {-32768, 4}, {32768, 5}, {8388607, 5}, {-8388608, 5}, {8388608, 6},
		{math.MaxInt32, 6}, {math.MinInt32, 6}, {math.MaxInt32 + 1, 10}, {math.MinInt64, 10}, {math.MaxInt64, 10},
	}
	for _, c := range cases {
		lp := NewListpack()
		lp.Append(strconv.FormatInt(c.v, 10))
		b := lp.Bytes()
		if got := len(b) - 7; got != c.size {
			t.Errorf("%d: entry of %d bytes, want %d", c.v, got, c.size)
		}
		el, err := ReadListpack(b)
		if err != nil || len(el) != 1 || el[0] != strconv.FormatInt(c.v, 10) {
			t.Errorf("%d: read back %q, %v", c.v, el, err)
		}
	}
	// Non-canonical integers stay strings.
	for _, s := range []string{"01", "-0", "+1", " 1", "1 ", "99999999999999999999", ""} {
		lp := NewListpack()
		lp.Append(s)
		b := lp.Bytes()
		if b[6] != 0x80|byte(len(s)) {
			t.Errorf("%q: encoding byte %#x, want a 6-bit string", s, b[6])
		}
		if el, err := ReadListpack(b); err != nil || el[0] != s {
			t.Errorf("%q: read back %q, %v", s, el, err)
		}
	}
}

func TestListpackStringsAndBacklen(t *testing.T) {
	for _, n := range []int{0, 63, 64, 127, 128, 4095, 4096, 16383, 20000} {
		s := strings.Repeat("x", n)
		lp := NewListpack()
		lp.Append(s)
		lp.Append("tail")
		el, err := ReadListpack(lp.Bytes())
		if err != nil || len(el) != 2 || el[0] != s || el[1] != "tail" {
			t.Fatalf("string of %d bytes: %v", n, err)
		}
	}
}

func TestListpackRejectsDamage(t *testing.T) {
	lp := NewListpack()
	for _, s := range []string{"a", "12345", "hello", strings.Repeat("z", 100)} {
		lp.Append(s)
	}
	good := lp.Bytes()
	// Any damaged byte must give an error or at worst other elements, never
	// a panic; a damaged header (size, count) is always an error.
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x41
		if _, err := ReadListpack(bad); err == nil && i < 6 {
			t.Errorf("flipping header byte %d went unnoticed", i)
		}
	}
	if _, err := ReadListpack(good[:len(good)-1]); err == nil {
		t.Error("a truncated listpack was accepted")
	}
}

func TestIntset(t *testing.T) {
	for _, vals := range [][]int64{{1, 2, 3}, {-40000, 5}, {-1, math.MaxInt32 + 1}} {
		b := EncodeIntset(vals)
		got, err := ReadIntset(b)
		if err != nil || !reflect.DeepEqual(got, vals) {
			t.Errorf("%v: read back %v, %v", vals, got, err)
		}
	}
	if w := binary.LittleEndian.Uint32(EncodeIntset([]int64{1, 40000})); w != 4 {
		t.Errorf("width for 40000 = %d, want 4", w)
	}
	if _, err := ReadIntset(EncodeIntset([]int64{3, 2})); err == nil {
		t.Error("an unsorted intset was accepted")
	}
}

// A ziplist as Redis 6 writes it for RPUSH l a 1 300 (hand-assembled from
// the format: prevlen, encoding, data).
func TestZiplist(t *testing.T) {
	zl := []byte{20, 0, 0, 0, 15, 0, 0, 0, 3, 0,
		0x00, 0x01, 'a', // "a"
		0x03, 0xf2, // immediate 1
		0x02, 0xc0, 0x2c, 0x01, // int16 300
		0xff}
	el, err := ReadZiplist(zl)
	if err != nil || !reflect.DeepEqual(el, []string{"a", "1", "300"}) {
		t.Fatalf("ziplist = %q, %v", el, err)
	}
	// The same as a Redis 6 list payload (quicklist of ziplists).
	p := AppendLen([]byte{TypeListQuicklist}, 1)
	p = AppendString(p, string(zl))
	v, err := Decode(p)
	if err != nil || !reflect.DeepEqual(v.Elems, []string{"a", "1", "300"}) {
		t.Fatalf("quicklist v1 = %+v, %v", v, err)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 500; i++ {
		var b strings.Builder
		for b.Len() < r.IntN(5000)+21 {
			b.WriteString([]string{"foo", "bar", "x", "hello world", strconv.Itoa(r.IntN(100))}[r.IntN(5)])
		}
		s := b.String()
		c := lzfCompress([]byte(s), len(s)-4)
		if c == nil {
			continue
		}
		out, err := lzfDecompress(c, len(s))
		if err != nil || string(out) != s {
			t.Fatalf("round trip of %d bytes failed: %v", len(s), err)
		}
	}
	if c := lzfCompress([]byte("abcdefghijklmnopqrstuvwxyz"), 22); c != nil {
		t.Errorf("incompressible input compressed to %d bytes", len(c))
	}
}

func TestDecodeRefusesBadData(t *testing.T) {
	for name, body := range map[string][]byte{
		"empty":         {},
		"unknown type":  {99, 0},
		"stream":        {TypeStreamListpacks, 0},
		"empty list":    {TypeListQuicklist2, 0},
		"short string":  {TypeString, 5, 'a'},
		"nan score":     append(AppendString([]byte{TypeZSet, 1}, "m"), 253),
		"odd hash":      append([]byte{TypeHashListpack}, AppendString(nil, string(func() []byte { lp := NewListpack(); lp.Append("f"); return lp.Bytes() }()))...),
		"bad container": {TypeListQuicklist2, 1, 7, 0},
		"huge count":    {TypeSet, 0x80, 0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := Decode(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFormatScore(t *testing.T) {
	for f, want := range map[float64]string{
		1: "1", 1.5: "1.5", 0.1: "0.10000000000000001", 1e17: "100000000000000000",
		math.Inf(1): "inf", math.Inf(-1): "-inf", 1e300: "1.0000000000000001e+300", -0.0: "0",
	} {
		if got := FormatScore(f); got != want {
			t.Errorf("FormatScore(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestListpackElementSize(t *testing.T) {
	// What ElementSize predicts is what Append writes, for every encoding.
	elems := []string{"", "a", "0", "-0", "01", "127", "128", "-4096", "-4097", "32768", "8388608",
		"2147483648", "-9223372036854775808", "9223372036854775808", "99999999999999999999"}
	for _, n := range []int{62, 63, 64, 125, 126, 127, 4095, 4096, 16380, 16381, 20000} {
		elems = append(elems, strings.Repeat("x", n))
	}
	for _, s := range elems {
		lp := NewListpack()
		before := lp.Size()
		lp.Append(s)
		if got, want := ElementSize([]byte(s)), lp.Size()-before; got != want {
			t.Errorf("ElementSize of a %d-byte %.10q = %d, Append wrote %d", len(s), s, got, want)
		}
	}
	if got := NewListpack().Size(); got != EmptySize {
		t.Errorf("EmptySize = %d, an empty listpack is %d bytes", EmptySize, got)
	}
}
