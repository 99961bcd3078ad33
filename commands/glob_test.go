package commands

import (
	"strings"
	"testing"
	"time"
)

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, str string
		nocase, want bool
	}{
		{"*", "", false, false}, // as stringmatchlen; KEYS * and MATCH * bypass it
		{"*", "anything", false, true},
		{"**", "x", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a", "", false, false},
		{"a*", "", false, false},
		{"*a", "ba", false, true},
		{"*a*", "xyz", false, false},
		{"a*b*c", "aXbYc", false, true},
		{"a*b*c", "aXbY", false, false},
		{"a*b", "ab", false, true},
		{"a**", "a", false, true},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"?", "", false, false},
		{"h*llo", "hllo", false, true},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[a-b]llo", "hcllo", false, false},
		{"h[b-a]llo", "hallo", false, true}, // reversed range
		{"h\\*llo", "h*llo", false, true},
		{"h\\*llo", "hello", false, false},
		{"\\?", "?", false, true},
		{"\\?", "a", false, false},
		{"[\\]]", "]", false, true},
		{"[\\-]", "-", false, true},
		{"[\\^]", "^", false, true},
		{"[]", "]", false, false},
		{"[a-]", "_", false, true}, // the range a..] (Redis quirk)
		{"[a-]", "-", false, false},
		{"[abc", "a", false, true}, // unterminated class
		{"[abc", "ab", false, false},
		{"[^", "x", false, true},
		{"[", "x", false, false},
		{"a\\", "a\\", false, true}, // a trailing backslash is literal
		{"a\\", "a", false, false},
		{"*\\", "ab\\", false, true},
		{"user:[0-9]*", "user:42:name", false, true},
		{"user:[0-9]*", "user:x", false, false},
		{"HELLO", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"h[A-Z]llo", "hello", true, true},
		{"h[E]llo", "hello", true, true},
		{"\x00*", "\x00abc", false, true},
		{"a\x00b", "a\x00b", false, true},
	} {
		if got := GlobMatch(tc.pattern, tc.str, tc.nocase); got != tc.want {
			t.Errorf("GlobMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.str, tc.nocase, got, tc.want)
		}
		if got := GlobMatch([]byte(tc.pattern), []byte(tc.str), tc.nocase); got != tc.want {
			t.Errorf("GlobMatch([]byte %q, %q) = %v, want %v", tc.pattern, tc.str, got, tc.want)
		}
	}
}

func TestGlobPathological(t *testing.T) {
	// Redis' regression test for nested stars: the skip-longer-matches rule
	// keeps this linear-ish instead of exponential.
	pattern := strings.Repeat("a*", 40) + "b"
	str := strings.Repeat("a", 5000)
	start := time.Now()
	if GlobMatch(pattern, str, false) {
		t.Fatal("matched")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// More than 1000 nested stars never match.
	deep := strings.Repeat("*x", 1100)
	if GlobMatch(deep, strings.Repeat("x", 1100), false) {
		t.Fatal("nesting limit not applied")
	}
	if !GlobMatch(strings.Repeat("*x", 900), strings.Repeat("x", 900), false) {
		t.Fatal("900 nested stars should match")
	}
}
