package commands

func init() {
	register(&Command{Name: "lcs", Keys: "RO access index=1 range=1,1,0", Complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 2, Step: 1, Group: "string", Since: "7.0.0",
		Summary: "Finds the longest common substring.",
		Args:    "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]", Handler: lcsCommand})
}

// lcsMaxTable is Redis' default proto-max-bulk-len, which also bounds the
// transient table LCS builds.
const lcsMaxTable = 512 << 20

// lcsCommand is Redis' LCS: the classic dynamic programming table, walked
// back from the end, so the string and the match ranges come out as Redis'.
func lcsCommand(c *Ctx) {
	var strs [2]string
	for i := range strs {
		v, found := c.Lookup(c.Args[1+i])
		if !found {
			continue
		}
		s, ok := viewString(v)
		if !ok {
			c.Err("ERR The specified keys must contain string values")
			return
		}
		strs[i] = s
	}
	a, b := strs[0], strs[1]
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for j := 3; j < len(c.Args); j++ {
		opt := c.Args[j]
		switch {
		case EqualFold(opt, "idx"):
			getIdx = true
		case EqualFold(opt, "len"):
			getLen = true
		case EqualFold(opt, "withmatchlen"):
			withMatchLen = true
		case EqualFold(opt, "minmatchlen") && j+1 < len(c.Args):
			n, ok := ParseInt(c.Args[j+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			minMatchLen = max(n, 0)
			j++
		default:
			c.SyntaxErr()
			return
		}
	}
	if getIdx && getLen {
		c.Err("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	alen, blen := len(a), len(b)
	if uint64(alen+1)*uint64(blen+1)*4 > lcsMaxTable {
		c.Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	w := blen + 1
	lcs := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				lcs[i*w+j] = lcs[(i-1)*w+j-1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i-1)*w+j], lcs[i*w+j-1])
			}
		}
	}
	total := int(lcs[alen*w+blen])
	if getLen {
		c.R.Int(int64(total))
		return
	}
	result := make([]byte, total)
	type match struct{ a0, a1, b0, b1 int }
	var matches []match
	idx := total
	aStart, aEnd, bStart, bEnd := alen, 0, 0, 0 // aStart == alen: no range open
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if aStart == alen {
				aStart, aEnd, bStart, bEnd = i-1, i-1, j-1, j-1
			} else if aStart == i && bStart == j {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if lcs[(i-1)*w+j] > lcs[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != alen {
				emit = true
			}
		}
		if emit {
			if n := int64(aEnd - aStart + 1); minMatchLen == 0 || n >= minMatchLen {
				matches = append(matches, match{aStart, aEnd, bStart, bEnd})
			}
			aStart = alen
		}
	}
	if !getIdx {
		c.R.Bulk(result)
		return
	}
	c.R.Map(2)
	c.R.BulkString("matches")
	c.R.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.R.Array(3)
		} else {
			c.R.Array(2)
		}
		c.R.Array(2)
		c.R.Int(int64(m.a0))
		c.R.Int(int64(m.a1))
		c.R.Array(2)
		c.R.Int(int64(m.b0))
		c.R.Int(int64(m.b1))
		if withMatchLen {
			c.R.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	c.R.BulkString("len")
	c.R.Int(int64(total))
}
