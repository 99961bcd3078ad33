package rdb

import "testing"

// Redis' own check value for its crc64 (src/crc64.c).
func TestCRC64MatchesRedis(t *testing.T) {
	if got := CRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x, want 0xe9c6d914c4b8d9ca", got)
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 16383, 16384, 70000} {
		s := string(make([]byte, n))
		b := AppendString(nil, s)
		got, rest, err := ReadString(b)
		if err != nil || got != s || len(rest) != 0 {
			t.Fatalf("len %d: got %d bytes, rest %d, err %v", n, len(got), len(rest), err)
		}
	}
}

func TestFooter(t *testing.T) {
	p := AppendFooter([]byte("body"))
	if body, err := CheckFooter(p); err != nil || string(body) != "body" {
		t.Fatalf("CheckFooter = %q, %v", body, err)
	}
	p[0] ^= 1
	if _, err := CheckFooter(p); err == nil {
		t.Fatal("a corrupted payload passed the checksum")
	}
}

func TestLZF(t *testing.T) {
	// "aaaaaaaaaa" as liblzf compresses it: a literal 'a' then a back
	// reference of length 9 at distance 1.
	in := []byte{0x00, 'a', 0xe0, 0x00, 0x00}
	out, err := lzfDecompress(in, 10)
	if err != nil || string(out) != "aaaaaaaaaa" {
		t.Fatalf("lzf = %q, %v", out, err)
	}
}
