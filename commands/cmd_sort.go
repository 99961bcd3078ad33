package commands

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

func init() {
	const g = "generic"
	register(
		&Command{Name: "sort", GetKeys: sortGetKeys, Keys: "RO access index=1; RO access unknown unknown # For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort; OW update unknown unknown # For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", Complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", Arity: -2, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
			Args:    "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]",
			Handler: func(c *Ctx) { sortGeneric(c, false) }},
		&Command{Name: "sort_ro", GetKeys: sortROGetKeys, Keys: "RO access index=1; RO access unknown unknown # For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", Complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", Arity: -2, Flags: ReadOnly | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "7.0.0",
			Summary: "Returns the sorted elements of a list, a set, or a sorted set.",
			Args:    "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]",
			Handler: func(c *Ctx) { sortGeneric(c, true) }},
	)
}

type sortItem struct {
	obj   string
	score float64
	cmp   string
	has   bool // cmp was found (ALPHA with BY)
}

// sortLookup is Redis' lookupKeyByPattern: "#" is the element itself; the
// first '*' is replaced by the element; "key->field" reads a hash field.
// A pattern without '*' finds nothing.
func sortLookup(c *Ctx, pattern []byte, subst string) (string, bool) {
	if string(pattern) == "#" {
		return subst, true
	}
	p := bytes.IndexByte(pattern, '*')
	if p < 0 {
		return "", false
	}
	var field []byte
	keyEnd := len(pattern)
	if f := bytes.Index(pattern[p+1:], []byte("->")); f >= 0 && p+1+f+2 < len(pattern) {
		field = pattern[p+1+f+2:]
		keyEnd = p + 1 + f
	}
	key := make([]byte, 0, keyEnd+len(subst))
	key = append(append(append(key, pattern[:p]...), subst...), pattern[p+1:keyEnd]...)
	v, ok := c.Lookup(key)
	if !ok {
		return "", false
	}
	if field != nil {
		h, ok := v.(*Hash)
		if !ok {
			return "", false
		}
		return h.Get(field)
	}
	return asString(v) // GET patterns' results may be stored (STORE)
}

// sortStrtod converts a weight like Redis' SORT: C strtod over the whole
// value, refusing NaN and results out of range (ERANGE).
func sortStrtod(s string) (float64, bool) {
	f, ok := parseStrtod([]byte(s))
	if !ok {
		return 0, false
	}
	lower := strings.ToLower(cString([]byte(s)))
	if math.IsInf(f, 0) && !strings.Contains(lower, "inf") {
		return 0, false // overflow
	}
	if (f == 0 || math.Abs(f) < 0x1p-1022) && !zeroMantissa(lower) {
		return 0, false // underflow: nonzero digits gave zero or a subnormal
	}
	return f, true
}

// zeroMantissa reports whether a number's digits before its exponent are
// all zeros.
func zeroMantissa(s string) bool {
	s = strings.TrimLeft(s, " \t\n\v\f\r+-")
	digits, exp := "123456789", "e"
	if strings.HasPrefix(s, "0x") {
		s, digits, exp = s[2:], "123456789abcdef", "p"
	}
	if i := strings.Index(s, exp); i >= 0 {
		s = s[:i]
	}
	return !strings.ContainsAny(s, digits)
}

// sortGeneric is Redis' sortCommandGeneric.
func sortGeneric(c *Ctx, readonly bool) {
	args := c.Args
	var desc, alpha, dontsort bool
	var limitStart, limitCount int64 = 0, -1
	var sortBy, storeKey []byte
	var getOps [][]byte
	for j := 2; j < len(args); j++ {
		a := args[j]
		left := len(args) - j - 1
		switch {
		case EqualFold(a, "asc"):
			desc = false
		case EqualFold(a, "desc"):
			desc = true
		case EqualFold(a, "alpha"):
			alpha = true
		case EqualFold(a, "limit") && left >= 2:
			s, ok1 := ParseInt(args[j+1])
			n, ok2 := ParseInt(args[j+2])
			if !ok1 || !ok2 {
				c.Err(ErrNotInt)
				return
			}
			limitStart, limitCount = s, n
			j += 2
		case !readonly && EqualFold(a, "store") && left >= 1:
			storeKey = args[j+1]
			j++
		case EqualFold(a, "by") && left >= 1:
			sortBy = args[j+1]
			// A pattern without '*' is constant: nothing to sort by.
			dontsort = bytes.IndexByte(sortBy, '*') < 0
			j++
		case EqualFold(a, "get") && left >= 1:
			getOps = append(getOps, args[j+1])
			j++
		default:
			c.SyntaxErr()
			return
		}
	}
	v, found := c.Lookup(args[1])
	var set *Set
	var list *List
	var zs *ZSet
	if found {
		switch x := v.(type) {
		case *Set:
			set = x
		case *List:
			list = x
		case *ZSet:
			zs = x
		default:
			c.WrongType()
			return
		}
	} else {
		list = NewList()
	}
	// An unsorted set would be stored, or handed to a script, in an order
	// that depends on its representation: Redis sorts it (ALPHA) then.
	if dontsort && set != nil && (storeKey != nil || c.Script) {
		dontsort, alpha, sortBy = false, true, nil
	}
	var vlen int
	switch {
	case list != nil:
		vlen = list.Len()
	case set != nil:
		vlen = set.Len()
	default:
		vlen = zs.Len()
	}
	start := min(max(limitStart, 0), int64(vlen))
	limitCount = min(max(limitCount, -1), int64(vlen))
	end := start + limitCount - 1
	if limitCount < 0 {
		end = int64(vlen) - 1
	}
	if start >= int64(vlen) {
		start, end = int64(vlen)-1, int64(vlen)-2
	}
	if end >= int64(vlen) {
		end = int64(vlen) - 1
	}
	if (zs != nil || list != nil) && dontsort && (start != 0 || end != int64(vlen)-1) {
		vlen = int(end - start + 1)
	}
	vec := make([]sortItem, 0, max(vlen, 0))
	switch {
	case list != nil && dontsort:
		if end >= start {
			n := list.Len()
			for k := 0; k < vlen; k++ {
				i := int(start) + k
				if desc {
					i = n - int(start) - 1 - k
				}
				if i < 0 || i >= n {
					break
				}
				vec = append(vec, sortItem{obj: list.At(i)})
			}
			end -= start
			start = 0
		}
	case list != nil:
		for i := 0; i < list.Len(); i++ {
			vec = append(vec, sortItem{obj: list.At(i)})
		}
	case set != nil:
		set.Each(func(m string) bool {
			vec = append(vec, sortItem{obj: m})
			return true
		})
		if !dontsort {
			// Every node must sort to the same order, also among equal
			// weights, whatever the set's representation.
			slices.SortFunc(vec, func(a, b sortItem) int { return strings.Compare(a.obj, b.obj) })
		}
	case dontsort:
		n := zs.Len()
		if desc {
			zs.Range(n-int(start)-vlen, n-int(start), true, func(e zEntry) { vec = append(vec, sortItem{obj: e.member}) })
		} else {
			zs.Range(int(start), int(start)+vlen, false, func(e zEntry) { vec = append(vec, sortItem{obj: e.member}) })
		}
		end -= start
		start = 0
	default:
		zs.Range(0, zs.Len(), false, func(e zEntry) { vec = append(vec, sortItem{obj: e.member}) })
	}

	convErr := false
	if !dontsort {
		for i := range vec {
			it := &vec[i]
			byval := it.obj
			if sortBy != nil {
				s, ok := sortLookup(c, sortBy, it.obj)
				if !ok {
					continue
				}
				byval = s
			}
			if alpha {
				if sortBy != nil {
					it.cmp, it.has = byval, true
				}
			} else if f, ok := sortStrtod(byval); ok {
				it.score = f
			} else {
				convErr = true
			}
		}
		cmp := func(a, b *sortItem) int {
			r := 0
			switch {
			case !alpha:
				if a.score > b.score {
					r = 1
				} else if a.score < b.score {
					r = -1
				} else {
					r = strings.Compare(a.obj, b.obj)
				}
			case sortBy != nil:
				switch {
				case !a.has || !b.has:
					if a.has == b.has {
						r = 0
					} else if !a.has {
						r = -1
					} else {
						r = 1
					}
				default:
					r = strings.Compare(a.cmp, b.cmp)
				}
			default:
				r = strings.Compare(a.obj, b.obj)
			}
			if desc {
				r = -r
			}
			return r
		}
		if sortBy != nil && (start != 0 || end != int64(len(vec))-1) {
			pqsort(len(vec), func(i, j int) int { return cmp(&vec[i], &vec[j]) },
				func(i, j int) { vec[i], vec[j] = vec[j], vec[i] }, int(start), int(end))
		} else {
			// glibc's qsort is a merge sort: stable.
			slices.SortStableFunc(vec, func(a, b sortItem) int { return cmp(&a, &b) })
		}
	}

	count := int(end - start + 1)
	outLen := count
	if len(getOps) > 0 {
		outLen = len(getOps) * count
	}
	if convErr {
		c.Err("ERR One or more scores can't be converted into double")
		return
	}
	if storeKey == nil {
		c.R.Array(outLen)
		for j := start; j <= end; j++ {
			if len(getOps) == 0 {
				c.R.BulkString(vec[j].obj)
			}
			for _, op := range getOps {
				if s, ok := sortLookup(c, op, vec[j].obj); ok {
					c.R.BulkString(s)
				} else {
					c.R.Null()
				}
			}
		}
		return
	}
	out := NewList()
	for j := start; j <= end; j++ {
		if len(getOps) == 0 {
			out.PushBack(vec[j].obj)
		}
		for _, op := range getOps {
			s, _ := sortLookup(c, op, vec[j].obj)
			out.PushBack(s)
		}
	}
	// Propagated as the list it stored: a replica or the AOF need not sort
	// again (and see the same weights) to get the same list.
	if outLen > 0 {
		c.Put(storeKey, out, false)
		c.Signal(string(storeKey))
		c.Dirty(outLen)
		c.Propagate([]byte("DEL"), storeKey)
		for i := 0; i < out.Len(); i += rewriteBatch {
			cmd := [][]byte{[]byte("RPUSH"), storeKey}
			for k := i; k < min(i+rewriteBatch, out.Len()); k++ {
				cmd = append(cmd, []byte(out.At(k)))
			}
			c.Propagate(cmd...)
		}
		c.Notify(NotifyList, "sortstore", storeKey)
	} else if c.Delete(storeKey) {
		c.Dirty(1)
		c.Propagate([]byte("DEL"), storeKey)
		c.Notify(NotifyGeneric, "del", storeKey)
	}
	c.R.Int(int64(outLen))
}
