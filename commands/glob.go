package commands

// GlobMatch reports whether str matches the glob-style pattern the way Redis'
// stringmatchlen does (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE):
//
//	"*"      any sequence of bytes, including none
//	"?"      any single byte
//	"[abc]"  one of the listed bytes; "[^abc]" none of them; "[a-z]" a
//	         range (reversed ranges work too); "\x" inside is a literal x
//	"\x"     the literal byte x
//
// It is a faithful port, quirks included: an unterminated [ matches as if
// closed at the end of the pattern, "[a-]" is the range a..], a trailing
// backslash matches itself, and recursion is capped at 1000 nested stars.
// Matching is byte-wise; nocase folds ASCII letters only.
func GlobMatch[T ~string | ~[]byte](pattern, str T, nocase bool) bool {
	skipLonger := false
	return globMatch(pattern, str, 0, 0, nocase, &skipLonger, 0)
}

func globLower(ch byte) byte {
	if ch >= 'A' && ch <= 'Z' {
		return ch + 'a' - 'A'
	}
	return ch
}

// globMatch matches pat[p:] against str[s:]. Reading past the end of the
// pattern yields 0, which is what the C code finds at the sds terminator.
func globMatch[T ~string | ~[]byte](pat, str T, p, s int, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	for p < len(pat) && s < len(str) {
		switch pat[p] {
		case '*':
			for p < len(pat) && at(p+1) == '*' {
				p++
			}
			if len(pat)-p == 1 {
				return true
			}
			for s < len(str) {
				if globMatch(pat, str, p+1, s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s++
			}
			// The rest of the pattern matches nowhere in the rest of the
			// string, so no earlier star can help by matching more.
			*skipLonger = true
			return false
		case '?':
			s++
		case '[':
			p++
			not := at(p) == '^'
			if not {
				p++
			}
			match := false
			for {
				if at(p) == '\\' && len(pat)-p >= 2 {
					p++
					if pat[p] == str[s] {
						match = true
					}
				} else if at(p) == ']' {
					break
				} else if len(pat)-p == 0 {
					p--
					break
				} else if len(pat)-p >= 3 && pat[p+1] == '-' {
					start, end, ch := pat[p], pat[p+2], str[s]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, ch = globLower(start), globLower(end), globLower(ch)
					}
					p += 2
					if ch >= start && ch <= end {
						match = true
					}
				} else if pat[p] == str[s] || nocase && globLower(pat[p]) == globLower(str[s]) {
					match = true
				}
				p++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s++
		case '\\':
			if len(pat)-p >= 2 {
				p++
			}
			fallthrough
		default:
			if pat[p] != str[s] && !(nocase && globLower(pat[p]) == globLower(str[s])) {
				return false
			}
			s++
		}
		p++
		if s == len(str) {
			for p < len(pat) && pat[p] == '*' {
				p++
			}
			break
		}
	}
	return p == len(pat) && s == len(str)
}
