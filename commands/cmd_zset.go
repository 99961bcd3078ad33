package commands

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func init() {
	const g = "sorted-set"
	rd := ReadOnly
	register(
		&Command{Name: "zadd", Keys: "RW update index=1", Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.", Arity: -4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist.",
			Args:    "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]", Handler: zaddCommand, Noop: zaddNoop},
		&Command{Name: "zincrby", Keys: "RW access update index=1", Complexity: "O(log(N)) where N is the number of elements in the sorted set.", Arity: 4, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Increments the score of a member in a sorted set.",
			Args:    "key increment member", Handler: zincrbyCommand},
		&Command{Name: "zrem", Keys: "RW delete index=1", Complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed.",
			Args:    "key member [member ...]", Handler: zremCommand, Noop: zremNoop},
		&Command{Name: "zscore", Keys: "RO access index=1", Complexity: "O(1)", Arity: 3, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Returns the score of a member in a sorted set.",
			Args:    "key member", Handler: zscoreCommand},
		&Command{Name: "zmscore", Keys: "RO access index=1", Complexity: "O(N) where N is the number of members being requested.", Arity: -3, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Returns the score of one or more members in a sorted set.",
			Args:    "key member [member ...]", Handler: zmscoreCommand},
		&Command{Name: "zcard", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Returns the number of members in a sorted set.",
			Args:    "key", Handler: zcardCommand},
		&Command{Name: "zcount", Keys: "RO access index=1", Complexity: "O(log(N)) with N being the number of elements in the sorted set.", Arity: 4, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the count of members in a sorted set that have scores within a range.",
			Args:    "key min max", Handler: zcountCommand},
		&Command{Name: "zlexcount", Keys: "RO access index=1", Complexity: "O(log(N)) with N being the number of elements in the sorted set.", Arity: 4, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.9",
			Summary: "Returns the number of members in a sorted set within a lexicographical range.",
			Args:    "key min max", Handler: zlexcountCommand},
		&Command{Name: "zrank", Keys: "RO access index=1", Complexity: "O(log(N))", Arity: 3, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the index of a member in a sorted set ordered by ascending scores.",
			Args:    "key member", Handler: zrankCommand},
		&Command{Name: "zrevrank", Keys: "RO access index=1", Complexity: "O(log(N))", Arity: 3, Flags: rd | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Returns the index of a member in a sorted set ordered by descending scores.",
			Args:    "key member", Handler: zrevrankCommand},
		&Command{Name: "zrange", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Returns members in a sorted set within a range of indexes.",
			Args:    "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]", Handler: zrangeCommand},
		&Command{Name: "zrangebyscore", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.5",
			Summary: "Returns members in a sorted set within a range of scores.",
			Args:    "key min max [WITHSCORES] [LIMIT offset count]", Handler: zrangebyscoreCommand},
		&Command{Name: "zrevrangebyscore", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.2.0",
			Summary: "Returns members in a sorted set within a range of scores in reverse order.",
			Args:    "key max min [WITHSCORES] [LIMIT offset count]", Handler: zrevrangebyscoreCommand},
		&Command{Name: "zrangebylex", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.9",
			Summary: "Returns members in a sorted set within a lexicographical range.",
			Args:    "key min max [LIMIT offset count]", Handler: zrangebylexCommand},
		&Command{Name: "zrevrangebylex", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.9",
			Summary: "Returns members in a sorted set within a lexicographical range in reverse order.",
			Args:    "key max min [LIMIT offset count]", Handler: zrevrangebylexCommand},
		&Command{Name: "zrevrange", Keys: "RO access index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", Arity: -4, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Returns members in a sorted set within a range of indexes in reverse order.",
			Args:    "key start stop [WITHSCORES]", Handler: zrevrangeCommand},
		&Command{Name: "zrangestore", Keys: "OW update index=1; RO access index=2", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Stores a range of members from sorted set in a key.",
			Args:    "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]", Handler: zrangestoreCommand},
		&Command{Name: "zpopmin", Keys: "RW access delete index=1", Complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
			Args:    "key [count]", Handler: zpopminCommand},
		&Command{Name: "zpopmax", Keys: "RW access delete index=1", Complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped.",
			Args:    "key [count]", Handler: zpopmaxCommand},
		&Command{Name: "bzpopmin", Keys: "RW access delete index=1 range=-2,1,0", Complexity: "O(log(N)) with N being the number of elements in the sorted set.", Arity: -3, Flags: Write | NoScript | Fast | Blocking, FirstKey: 1, LastKey: -2, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
			Args:    "key [key ...] timeout", Handler: bzpopminCommand},
		&Command{Name: "bzpopmax", Keys: "RW access delete index=1 range=-2,1,0", Complexity: "O(log(N)) with N being the number of elements in the sorted set.", Arity: -3, Flags: Write | NoScript | Fast | Blocking, FirstKey: 1, LastKey: -2, Step: 1, Group: g, Since: "5.0.0",
			Summary: "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.  Deletes the sorted set if the last element was popped.",
			Args:    "key [key ...] timeout", Handler: bzpopmaxCommand},
		// ZMPOP, BZMPOP and the multi-key set operations have movable keys
		// (after numkeys): like Redis 7's COMMAND INFO they report 0,0,0, or
		// the destination only for the *STORE forms.
		&Command{Name: "zmpop", Keys: "RW access delete index=1 keynum=0,1,1", Complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", Arity: -4, Flags: Write | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.",
			Args:    "numkeys key [key ...] <MIN | MAX> [COUNT count]", Handler: zmpopCommand},
		&Command{Name: "bzmpop", Keys: "RW access delete index=2 keynum=0,1,1", Complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", Arity: -5, Flags: Write | Blocking | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.",
			Args:    "timeout numkeys key [key ...] <MIN | MAX> [COUNT count]", Handler: bzmpopCommand},
		&Command{Name: "zunion", Keys: "RO access index=1 keynum=0,1,1", Complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", Arity: -3, Flags: rd | MovableKeys, Group: g, Since: "6.2.0",
			Summary: "Returns the union of multiple sorted sets.",
			Args:    "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]", Handler: zunionCommand},
		&Command{Name: "zinter", Keys: "RO access index=1 keynum=0,1,1", Complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", Arity: -3, Flags: rd | MovableKeys, Group: g, Since: "6.2.0",
			Summary: "Returns the intersect of multiple sorted sets.",
			Args:    "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]", Handler: zinterCommand},
		&Command{Name: "zdiff", Keys: "RO access index=1 keynum=0,1,1", Complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", Arity: -3, Flags: rd | MovableKeys, Group: g, Since: "6.2.0",
			Summary: "Returns the difference between multiple sorted sets.",
			Args:    "numkeys key [key ...] [WITHSCORES]", Handler: zdiffCommand},
		&Command{Name: "zunionstore", Keys: "OW update index=1; RO access index=2 keynum=0,1,1", Complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Stores the union of multiple sorted sets in a key.",
			Args:    "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]", Handler: zunionstoreCommand},
		&Command{Name: "zinterstore", Keys: "OW update index=1; RO access index=2 keynum=0,1,1", Complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Stores the intersect of multiple sorted sets in a key.",
			Args:    "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]", Handler: zinterstoreCommand},
		&Command{Name: "zdiffstore", Keys: "OW update index=1; RO access index=2 keynum=0,1,1", Complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", Arity: -4, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Stores the difference of multiple sorted sets in a key.",
			Args:    "destination numkeys key [key ...]", Handler: zdiffstoreCommand},
		&Command{Name: "zintercard", Keys: "RO access index=1 keynum=0,1,1", Complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", Arity: -3, Flags: rd | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Returns the number of members of the intersect of multiple sorted sets.",
			Args:    "numkeys key [key ...] [LIMIT limit]", Handler: zintercardCommand},
		&Command{Name: "zremrangebyscore", Keys: "RW delete index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed.",
			Args:    "key min max", Handler: zremrangebyscoreCommand},
		&Command{Name: "zremrangebyrank", Keys: "RW delete index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed.",
			Args:    "key start stop", Handler: zremrangebyrankCommand},
		&Command{Name: "zremrangebylex", Keys: "RW delete index=1", Complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.9",
			Summary: "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed.",
			Args:    "key min max", Handler: zremrangebylexCommand},
		&Command{Name: "zrandmember", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(N) where N is the number of elements returned", Arity: -2, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Returns one or more random members from a sorted set.",
			Args:    "key [count [WITHSCORES]]", Handler: zrandmemberCommand},
		&Command{Name: "zscan", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", Arity: -3, Flags: rd, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.0",
			Summary: "Iterates over members and scores of a sorted set.",
			Args:    "key cursor [MATCH pattern] [COUNT count]", Handler: zscanCommand},
	)
}

var (
	bZPOPMIN = []byte("ZPOPMIN")
	bZPOPMAX = []byte("ZPOPMAX")
)

// getZSet looks key up as a sorted set, like getList.
func getZSet(c *Ctx, key []byte, update bool) (z *ZSet, ok bool) {
	return lookupAs[*ZSet](c, key, update)
}

// zsetRemoved finishes a removal of n members, notified as event: an
// emptied set is deleted.
func zsetRemoved(c *Ctx, key []byte, z *ZSet, n int, event string) {
	c.Notify(NotifyZset, event, key)
	if z.Len() == 0 {
		c.Delete(key)
		c.Notify(NotifyGeneric, "del", key)
	}
	c.Dirty(n)
}

// parseStrtod parses a range bound like Redis' zslParseRange, which uses a
// bare strtod: leading blanks are skipped, the whole C string must convert
// (an empty one is 0), overflow gives +-inf and underflow 0; NaN is refused.
func parseStrtod(b []byte) (float64, bool) {
	s := cString(b)
	i := 0
	for i < len(s) && isSpaceC(s[i]) {
		i++
	}
	num, n := scanCNumber(s[i:])
	if n == 0 {
		return 0, s == ""
	}
	if i+n != len(s) || num.nan {
		return 0, false
	}
	if num.inf {
		if num.neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	var f float64
	if num.hex {
		bf, over, under := num.toBigFloat(4*uint(len(num.mant))+1, -1100, 1100)
		switch {
		case over:
			f = math.Inf(1)
		case under:
			f = 0
		default:
			f, _ = bf.Float64()
			f = math.Abs(f)
		}
	} else {
		mant := strings.TrimLeft(num.mant, "0")
		if mant != "" {
			f, _ = strconv.ParseFloat(mant+"e"+strconv.FormatInt(num.exp, 10), 64)
		}
	}
	if num.neg {
		f = -f
	}
	return f, true
}

func parseScoreBound(b []byte) (v float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		v, ok = parseStrtod(b[1:])
		return v, true, ok
	}
	v, ok = parseStrtod(b)
	return v, false, ok
}

// parseScoreRange is Redis' zslParseRange.
func parseScoreRange(minb, maxb []byte) (r scoreRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseScoreBound(minb)
	r.max, r.maxex, ok2 = parseScoreBound(maxb)
	return r, ok1 && ok2
}

func parseLexItem(b []byte) (s string, kind int, ex, ok bool) {
	if len(b) == 0 {
		return "", 0, false, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return "", 0, false, false
		}
		if b[0] == '+' {
			return "", 1, true, true
		}
		return "", -1, true, true
	case '(':
		return string(b[1:]), 0, true, true
	case '[':
		return string(b[1:]), 0, false, true
	}
	return "", 0, false, false
}

// parseLexRange is Redis' zslParseLexRange.
func parseLexRange(minb, maxb []byte) (r lexRange, ok bool) {
	var ok1, ok2 bool
	r.min, r.minKind, r.minex, ok1 = parseLexItem(minb)
	r.max, r.maxKind, r.maxex, ok2 = parseLexItem(maxb)
	return r, ok1 && ok2
}

// parseLong is getLongFromObjectOrReply.
func parseLong(c *Ctx, b []byte) (int64, bool) {
	n, ok := ParseInt(b)
	if !ok {
		c.Err(ErrNotInt)
	}
	return n, ok
}

// writeEntryHeader announces n entries, flat with scores in RESP2 and as
// [member, score] pairs in RESP3.
func writeEntryHeader(c *Ctx, n int, withscores bool) {
	if withscores && c.R.Proto == 2 {
		c.R.Array(2 * n)
	} else {
		c.R.Array(n)
	}
}

func writeEntry(c *Ctx, e zEntry, withscores bool) {
	if withscores && c.R.Proto > 2 {
		c.R.Array(2)
	}
	c.R.BulkString(e.member)
	if withscores {
		c.R.Double(e.score)
	}
}

// --- ZADD, ZINCRBY ---

func zaddCommand(c *Ctx)    { zaddGeneric(c, false) }
func zincrbyCommand(c *Ctx) { zaddGeneric(c, true) }

// zaddOpts are ZADD's flags.
type zaddOpts struct{ nx, xx, gt, lt, ch, incr bool }

func zaddGeneric(c *Ctx, incr bool) {
	args := c.Args
	o, idx, msg := parseZadd(args, incr)
	if msg != "" {
		c.Err(msg)
		return
	}
	elements := (len(args) - idx) / 2
	var stack [8]float64
	scores := stack[:0]
	for j := 0; j < elements; j++ {
		f, ok := ParseFloat(args[idx+2*j])
		if !ok {
			c.Err(ErrNotFloat)
			return
		}
		scores = append(scores, f)
	}
	zaddApply(c, args[1], o, scores, args[idx:], 2)
}

// parseZadd reads ZADD's flags: the options, where the score-member pairs
// start, or the error Redis gives for the flags and the pairs' count.
func parseZadd(args [][]byte, incr bool) (o zaddOpts, idx int, msg string) {
	o.incr = incr
	idx = 2
loop:
	for ; idx < len(args); idx++ {
		a := args[idx]
		switch {
		case EqualFold(a, "nx"):
			o.nx = true
		case EqualFold(a, "xx"):
			o.xx = true
		case EqualFold(a, "ch"):
			o.ch = true
		case EqualFold(a, "incr"):
			o.incr = true
		case EqualFold(a, "gt"):
			o.gt = true
		case EqualFold(a, "lt"):
			o.lt = true
		default:
			break loop
		}
	}
	elements := len(args) - idx
	switch {
	case elements%2 != 0 || elements == 0:
		msg = ErrSyntax
	case o.nx && o.xx:
		msg = errZaddXXNX
	case o.gt && o.nx || o.lt && o.nx || o.gt && o.lt:
		msg = errZaddGTLTNX
	case o.incr && elements > 2:
		msg = errZaddIncrPair
	}
	return o, idx, msg
}

// zaddApply is ZADD once the arguments are parsed: the member of scores[j]
// is elems[stride*j+stride-1] (ZADD's score-member pairs, GEOADD's
// longitude-latitude-member triples, whose scores come from the positions
// without a round trip through text).
func zaddApply(c *Ctx, key []byte, o zaddOpts, scores []float64, elems [][]byte, stride int) {
	nx, xx, gt, lt, ch, incr := o.nx, o.xx, o.gt, o.lt, o.ch, o.incr
	z, ok := getZSet(c, key, true)
	if !ok {
		return
	}
	added, updated, processed := 0, 0, 0
	var score float64
	nanErr := false
	if z == nil && !xx {
		z = NewZSet()
		c.Put(key, z, false)
	}
	if z != nil {
		for j := range scores {
			s := scores[j]
			member := elems[stride*j+stride-1]
			cur, exists := z.ScoreBytes(member)
			if exists {
				if nx {
					continue
				}
				if incr {
					s += cur
					if math.IsNaN(s) {
						nanErr = true
						break
					}
				}
				if lt && s >= cur || gt && s <= cur {
					continue
				}
				processed++
				score = s
				if s != cur {
					z.Update(string(member), cur, s)
					updated++
				}
			} else if !xx {
				z.Insert(string(member), s)
				added++
				processed++
				score = s
			}
		}
		if z.Len() == 0 { // a new key that got nothing (an error before any add)
			c.Delete(key)
		}
	}
	if added+updated > 0 {
		c.Dirty(added + updated)
		if added > 0 {
			c.Signal(string(key))
		}
		if incr {
			c.Notify(NotifyZset, "zincr", key)
		} else {
			c.Notify(NotifyZset, "zadd", key)
		}
	}
	if nanErr {
		c.Err(errZNaN)
		return
	}
	if incr {
		if processed > 0 {
			c.R.Double(score)
		} else {
			c.R.Null()
		}
		return
	}
	if ch {
		c.R.Int(int64(added + updated))
	} else {
		c.R.Int(int64(added))
	}
}

// --- ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK ---

func zremCommand(c *Ctx) {
	key := c.Args[1]
	z, ok := getZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		c.R.Int(0)
		return
	}
	n := 0
	for _, m := range c.Args[2:] {
		if z.Remove(string(m)) {
			n++
			if z.Len() == 0 {
				break
			}
		}
	}
	if n > 0 {
		zsetRemoved(c, key, z, n, "zrem")
	}
	c.R.Int(int64(n))
}

func zscoreCommand(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.R.Null()
		return
	}
	if s, found := z.ScoreBytes(c.Args[2]); found {
		c.R.Double(s)
	} else {
		c.R.Null()
	}
}

func zmscoreCommand(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	c.R.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		if z == nil {
			c.R.Null()
			continue
		}
		if s, found := z.ScoreBytes(m); found {
			c.R.Double(s)
		} else {
			c.R.Null()
		}
	}
}

func zcardCommand(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	switch {
	case !ok:
	case z == nil:
		c.R.Int(0)
	default:
		c.R.Int(int64(z.Len()))
	}
}

func zcountCommand(c *Ctx) {
	r, valid := parseScoreRange(c.Args[2], c.Args[3])
	if !valid {
		c.Err(errZMinMaxFloat)
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	switch {
	case !ok:
	case z == nil:
		c.R.Int(0)
	default:
		lo, hi := z.ScoreRange(r)
		c.R.Int(int64(hi - lo))
	}
}

func zlexcountCommand(c *Ctx) {
	r, valid := parseLexRange(c.Args[2], c.Args[3])
	if !valid {
		c.Err(errZMinMaxLex)
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	switch {
	case !ok:
	case z == nil:
		c.R.Int(0)
	default:
		lo, hi := z.LexRange(r)
		c.R.Int(int64(hi - lo))
	}
}

func zrankCommand(c *Ctx)    { zrankGeneric(c, false) }
func zrevrankCommand(c *Ctx) { zrankGeneric(c, true) }

// zrankGeneric is ZRANK/ZREVRANK key member, as in Redis 7.0 (7.2's
// WITHSCORE is not taken: the arity is exactly 3).
func zrankGeneric(c *Ctx, rev bool) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.R.Null()
		return
	}
	rank, _, found := z.Rank(string(c.Args[2]))
	if !found {
		c.R.Null()
		return
	}
	if rev {
		rank = z.Len() - 1 - rank
	}
	c.R.Int(int64(rank))
}

// --- the ZRANGE family ---

type zrangeType int

const (
	zrangeAuto zrangeType = iota
	zrangeRank
	zrangeScore
	zrangeLex
)

func zrangeCommand(c *Ctx)           { zrangeGeneric(c, 1, false, zrangeAuto, 0) }
func zrangebyscoreCommand(c *Ctx)    { zrangeGeneric(c, 1, false, zrangeScore, 1) }
func zrevrangebyscoreCommand(c *Ctx) { zrangeGeneric(c, 1, false, zrangeScore, -1) }
func zrangebylexCommand(c *Ctx)      { zrangeGeneric(c, 1, false, zrangeLex, 1) }
func zrevrangebylexCommand(c *Ctx)   { zrangeGeneric(c, 1, false, zrangeLex, -1) }
func zrevrangeCommand(c *Ctx)        { zrangeGeneric(c, 1, false, zrangeRank, -1) }
func zrangestoreCommand(c *Ctx)      { zrangeGeneric(c, 2, true, zrangeAuto, 0) }

// zrangeGeneric is Redis' zrangeGenericCommand: argStart is the source key's
// index; direction 0 means REV may be given, 1 forward, -1 reverse.
func zrangeGeneric(c *Ctx, argStart int, store bool, rt zrangeType, direction int) {
	args := c.Args
	key := args[argStart]
	minIdx, maxIdx := argStart+1, argStart+2
	withscores := false
	offset, limit := int64(0), int64(-1)
	for j := argStart + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !store && EqualFold(a, "withscores"):
			withscores = true
		case EqualFold(a, "limit") && left >= 2:
			var ok bool
			if offset, ok = parseLong(c, args[j+1]); !ok {
				return
			}
			if limit, ok = parseLong(c, args[j+2]); !ok {
				return
			}
			j += 2
		case direction == 0 && EqualFold(a, "rev"):
			direction = -1
		case rt == zrangeAuto && EqualFold(a, "bylex"):
			rt = zrangeLex
		case rt == zrangeAuto && EqualFold(a, "byscore"):
			rt = zrangeScore
		default:
			c.SyntaxErr()
			return
		}
	}
	if direction == 0 {
		direction = 1
	}
	if rt == zrangeAuto {
		rt = zrangeRank
	}
	if limit != -1 && rt == zrangeRank {
		c.Err(errZLimitRank)
		return
	}
	if withscores && rt == zrangeLex {
		c.Err(errZWithscoresLex)
		return
	}
	rev := direction < 0
	if rev && rt != zrangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var sr scoreRange
	var lr lexRange
	switch rt {
	case zrangeRank:
		var ok bool
		if start, ok = parseLong(c, args[minIdx]); !ok {
			return
		}
		if end, ok = parseLong(c, args[maxIdx]); !ok {
			return
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(args[minIdx], args[maxIdx]); !ok {
			c.Err(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		var ok bool
		if lr, ok = parseLexRange(args[minIdx], args[maxIdx]); !ok {
			c.Err(errZMinMaxLex)
			return
		}
	}
	z, ok := getZSet(c, key, false)
	if !ok {
		return
	}
	// The ranks [i, j) to emit: ascending from i, or descending from j-1.
	i, j := 0, 0
	if z != nil {
		switch rt {
		case zrangeRank:
			n := z.Len()
			if s, e, nonEmpty := normRange(start, end, n); nonEmpty {
				if rev {
					i, j = n-1-e, n-s
				} else {
					i, j = s, e+1
				}
			}
		case zrangeScore, zrangeLex:
			var lo, hi int
			if rt == zrangeScore {
				lo, hi = z.ScoreRange(sr)
			} else {
				lo, hi = z.LexRange(lr)
			}
			i, j = applyLimit(lo, hi, offset, limit, rev)
		}
	}
	if store {
		dst := args[1]
		ents := make([]zEntry, 0, j-i)
		if z != nil {
			z.Range(i, j, false, func(e zEntry) { ents = append(ents, e) })
		}
		zstoreResult(c, dst, ents, "zrangestore")
		return
	}
	if z == nil {
		c.R.Array(0)
		return
	}
	writeEntryHeader(c, j-i, withscores)
	z.Range(i, j, rev, func(e zEntry) { writeEntry(c, e, withscores) })
}

// applyLimit narrows the in-range ranks [lo, hi) by LIMIT offset count as
// Redis walks them: forward from lo, or backward from hi-1 when rev. A
// negative offset skips everything; a negative count means no limit.
func applyLimit(lo, hi int, offset, limit int64, rev bool) (int, int) {
	if offset < 0 || offset >= int64(hi-lo) {
		return 0, 0
	}
	n := int64(hi-lo) - offset
	if limit >= 0 && limit < n {
		n = limit
	}
	if rev {
		top := hi - int(offset)
		return top - int(n), top
	}
	start := lo + int(offset)
	return start, start + int(n)
}

// zstoreResult stores ents (sorted, distinct) at dst and replies with the
// count; an empty result deletes dst. Propagated as received.
// event is the command's name, notified for a stored result.
func zstoreResult(c *Ctx, dst []byte, ents []zEntry, event string) {
	if len(ents) == 0 {
		if c.Delete(dst) {
			c.Dirty(1)
			c.Notify(NotifyGeneric, "del", dst)
		}
		c.R.Int(0)
		return
	}
	c.Put(dst, zsetFromSorted(ents), false)
	c.Signal(string(dst))
	c.Dirty(1)
	c.R.Int(int64(len(ents)))
	c.Notify(NotifyZset, event, dst)
}

// --- ZPOPMIN, ZPOPMAX, BZPOPMIN, BZPOPMAX, ZMPOP, BZMPOP ---

// zpopServe is Redis' genericZpopCommand: it pops from the first existing
// key among keys. count -1 means no COUNT given. emitKey adds the key to the
// reply (BZPOP*, *ZMPOP); nested replies [member, score] pairs; nilEmpty
// replies a null array instead of an empty one when no key exists. It
// returns the key popped from (nil if none) and whether a reply was written.
// zpopServe pops up to count members of the first sorted set of keys; it
// returns that key and how many it popped (nil, 0 when it popped nothing).
func zpopServe(c *Ctx, keys [][]byte, max bool, emitKey bool, count int64, nested, nilEmpty bool) ([]byte, int64) {
	var z *ZSet
	var key []byte
	for _, k := range keys {
		zz, ok := getZSet(c, k, true)
		if !ok {
			return nil, 0
		}
		if zz != nil {
			z, key = zz, k
			break
		}
	}
	if z == nil {
		if nilEmpty {
			c.R.NullArray()
		} else {
			c.R.Array(0)
		}
		return nil, 0
	}
	if count == 0 {
		c.R.Array(0)
		return nil, 0
	}
	if count == -1 {
		count = 1
	}
	n := int(min(count, int64(z.Len())))
	switch {
	case !nested && !emitKey:
		c.R.Array(2 * n)
	case nested && !emitKey:
		c.R.Array(n)
	case !nested && emitKey:
		c.R.Array(2*n + 1)
		c.R.Bulk(key)
	default:
		c.R.Array(2)
		c.R.Bulk(key)
		c.R.Array(n)
	}
	l := z.Len()
	emit := func(e zEntry) {
		if nested {
			c.R.Array(2)
		}
		c.R.BulkString(e.member)
		c.R.Double(e.score)
	}
	if max {
		z.Range(l-n, l, true, emit)
		z.RemoveRange(l-n, l)
	} else {
		z.Range(0, n, false, emit)
		z.RemoveRange(0, n)
	}
	if max {
		zsetRemoved(c, key, z, n, "zpopmax")
	} else {
		zsetRemoved(c, key, z, n, "zpopmin")
	}
	return key, int64(n)
}

func zpopminCommand(c *Ctx) { zpopGeneric(c, false) }
func zpopmaxCommand(c *Ctx) { zpopGeneric(c, true) }

func zpopGeneric(c *Ctx, max bool) {
	if len(c.Args) > 3 {
		c.SyntaxErr()
		return
	}
	count := int64(-1)
	if len(c.Args) == 3 {
		n, ok := ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errMustBePositive)
			return
		}
		count = n
	}
	zpopServe(c, c.Args[1:2], max, false, count, c.R.Proto > 2 && count != -1, false)
}

// parseZMPop parses [timeout] numkeys key ... MIN|MAX [COUNT count] with
// numkeys at index at, as Redis' zmpopGenericCommand.
func parseZMPop(args [][]byte, at int) (keys [][]byte, max bool, count int64, errMsg string) {
	numkeys, valid := ParseInt(args[at])
	if !valid || numkeys < 1 {
		return nil, false, 0, errNumkeys
	}
	if numkeys >= int64(len(args)-at-1) {
		return nil, false, 0, ErrSyntax
	}
	whereAt := at + int(numkeys) + 1
	switch {
	case EqualFold(args[whereAt], "min"):
	case EqualFold(args[whereAt], "max"):
		max = true
	default:
		return nil, false, 0, ErrSyntax
	}
	count = -1
	for j := whereAt + 1; j < len(args); j++ {
		if count == -1 && EqualFold(args[j], "count") && j < len(args)-1 {
			j++
			v, isInt := ParseInt(args[j])
			if !isInt || v < 1 {
				return nil, false, 0, errMPopCount
			}
			count = v
			continue
		}
		return nil, false, 0, ErrSyntax
	}
	if count == -1 {
		count = 1
	}
	return args[at+1 : whereAt], max, count, ""
}

func zpopPropagate(c *Ctx, key []byte, max bool, count int64) {
	op := bZPOPMIN
	if max {
		op = bZPOPMAX
	}
	if count < 0 {
		c.Propagate(op, key)
		return
	}
	var tmp [20]byte
	c.Propagate(op, key, strconv.AppendInt(tmp[:0], count, 10))
}

func zmpopCommand(c *Ctx) {
	keys, max, count, errMsg := parseZMPop(c.Args, 1)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	// Propagated with the count popped, as Redis does.
	if key, n := zpopServe(c, keys, max, true, count, true, true); key != nil {
		zpopPropagate(c, key, max, n)
	}
}

func isZSet(v any) bool { _, ok := v.(*ZSet); return ok }

func bzpopminCommand(c *Ctx) { bzpopGeneric(c, false) }
func bzpopmaxCommand(c *Ctx) { bzpopGeneric(c, true) }

func bzpopGeneric(c *Ctx, max bool) {
	args := c.Args
	ms, errMsg := parseTimeout(args[len(args)-1], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	keys := args[1 : len(args)-1]
	if !zblockingServe(c, keys, max, -1, false) {
		c.Block(blockKeys(keys), ms)
	}
}

// zblockingServe serves a blocking pop when one of keys holds a sorted set;
// it reports whether it wrote a reply (a pop or WRONGTYPE).
func zblockingServe(c *Ctx, keys [][]byte, max bool, count int64, nested bool) bool {
	for _, key := range keys {
		if retrySkips(c, key, isZSet) {
			continue
		}
		z, ok := getZSet(c, key, true)
		if !ok {
			return true
		}
		if z == nil || z.Len() == 0 {
			continue
		}
		_, n := zpopServe(c, [][]byte{key}, max, true, count, nested, true)
		if count >= 0 {
			count = n // the count popped, as Redis propagates it
		}
		zpopPropagate(c, key, max, count)
		return true
	}
	return false
}

func bzmpopCommand(c *Ctx) {
	keys, max, count, errMsg := parseZMPop(c.Args, 2)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	ms, errMsg := parseTimeout(c.Args[1], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	if !zblockingServe(c, keys, max, count, true) {
		c.Block(blockKeys(keys), ms)
	}
}

// ZMPopKeys returns the key arguments of ZMPOP or BZMPOP (movable keys);
// nil when args don't parse or cmd is another command.
func ZMPopKeys(cmd *Command, args [][]byte) [][]byte {
	at := 1
	switch cmd.Name {
	case "zmpop":
	case "bzmpop":
		at = 2
	default:
		return nil
	}
	if len(args) <= at {
		return nil
	}
	n, ok := ParseInt(args[at])
	if !ok || n < 1 || n >= int64(len(args)-at-1) {
		return nil
	}
	return args[at+1 : at+1+int(n)]
}

// --- ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZREMRANGEBYLEX ---

func zremrangebyscoreCommand(c *Ctx) { zremrangeGeneric(c, zrangeScore) }
func zremrangebyrankCommand(c *Ctx)  { zremrangeGeneric(c, zrangeRank) }
func zremrangebylexCommand(c *Ctx)   { zremrangeGeneric(c, zrangeLex) }

func zremrangeGeneric(c *Ctx, rt zrangeType) {
	key := c.Args[1]
	var start, end int64
	var sr scoreRange
	var lr lexRange
	switch rt {
	case zrangeRank:
		var ok bool
		if start, ok = parseLong(c, c.Args[2]); !ok {
			return
		}
		if end, ok = parseLong(c, c.Args[3]); !ok {
			return
		}
	case zrangeScore:
		var ok bool
		if sr, ok = parseScoreRange(c.Args[2], c.Args[3]); !ok {
			c.Err(errZMinMaxFloat)
			return
		}
	case zrangeLex:
		var ok bool
		if lr, ok = parseLexRange(c.Args[2], c.Args[3]); !ok {
			c.Err(errZMinMaxLex)
			return
		}
	}
	z, ok := getZSet(c, key, true)
	if !ok {
		return
	}
	if z == nil {
		c.R.Int(0)
		return
	}
	var i, j int
	switch rt {
	case zrangeRank:
		s, e, nonEmpty := normRange(start, end, z.Len())
		if !nonEmpty {
			c.R.Int(0)
			return
		}
		i, j = s, e+1
	case zrangeScore:
		i, j = z.ScoreRange(sr)
	case zrangeLex:
		i, j = z.LexRange(lr)
	}
	n := z.RemoveRange(i, j)
	if n > 0 {
		zsetRemoved(c, key, z, n, [...]string{zrangeRank: "zremrangebyrank", zrangeScore: "zremrangebyscore", zrangeLex: "zremrangebylex"}[rt])
	}
	c.R.Int(int64(n))
}

// --- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ---

const (
	zopUnion = iota
	zopInter
	zopDiff
)

const (
	aggSum = iota
	aggMin
	aggMax
)

// zsrc is one input of a set operation: a sorted set, or nil for a missing key.
type zsrc struct {
	z      *ZSet
	weight float64
}

func (s *zsrc) length() int {
	if s.z == nil {
		return 0
	}
	return s.z.Len()
}

func (s *zsrc) score(m string) (float64, bool) {
	if s.z == nil {
		return 0, false
	}
	return s.z.Score(m)
}

func zunionCommand(c *Ctx)      { zsetopGeneric(c, nil, 1, zopUnion, false) }
func zinterCommand(c *Ctx)      { zsetopGeneric(c, nil, 1, zopInter, false) }
func zdiffCommand(c *Ctx)       { zsetopGeneric(c, nil, 1, zopDiff, false) }
func zunionstoreCommand(c *Ctx) { zsetopGeneric(c, c.Args[1], 2, zopUnion, false) }
func zinterstoreCommand(c *Ctx) { zsetopGeneric(c, c.Args[1], 2, zopInter, false) }
func zdiffstoreCommand(c *Ctx)  { zsetopGeneric(c, c.Args[1], 2, zopDiff, false) }
func zintercardCommand(c *Ctx)  { zsetopGeneric(c, nil, 1, zopInter, true) }

func aggregate(target *float64, v float64, agg int) {
	switch agg {
	case aggSum:
		*target += v
		if math.IsNaN(*target) {
			*target = 0
		}
	case aggMin:
		if v < *target {
			*target = v
		}
	case aggMax:
		if v > *target {
			*target = v
		}
	}
}

// zsetopGeneric is Redis' zunionInterDiffGenericCommand.
func zsetopGeneric(c *Ctx, dst []byte, numkeysIdx int, op int, cardOnly bool) {
	args := c.Args
	setnum, ok := parseLong(c, args[numkeysIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.Err("ERR at least 1 input key is needed for '" + strings.ToLower(string(args[0])) + "' command")
		return
	}
	if setnum > int64(len(args)-numkeysIdx-1) {
		c.SyntaxErr()
		return
	}
	n := int(setnum)
	src := make([]zsrc, n)
	j := numkeysIdx + 1
	for i := 0; i < n; i, j = i+1, j+1 {
		src[i].weight = 1
		v, found := c.Lookup(args[j])
		if !found {
			continue
		}
		z, isZ := v.(*ZSet)
		if !isZ {
			if sz, conv := setAsZSet(v); conv {
				z = sz
			} else {
				c.WrongType()
				return
			}
		}
		src[i].z = z
	}
	agg := aggSum
	withscores := false
	limit := int64(0)
	for j < len(args) {
		remaining := len(args) - j
		a := args[j]
		switch {
		case op != zopDiff && !cardOnly && remaining >= n+1 && EqualFold(a, "weights"):
			j++
			for i := 0; i < n; i, j = i+1, j+1 {
				w, ok := ParseFloat(args[j])
				if !ok {
					c.Err(errZWeightFloat)
					return
				}
				src[i].weight = w
			}
		case op != zopDiff && !cardOnly && remaining >= 2 && EqualFold(a, "aggregate"):
			j++
			switch {
			case EqualFold(args[j], "sum"):
				agg = aggSum
			case EqualFold(args[j], "min"):
				agg = aggMin
			case EqualFold(args[j], "max"):
				agg = aggMax
			default:
				c.SyntaxErr()
				return
			}
			j++
		case dst == nil && !cardOnly && EqualFold(a, "withscores"):
			j++
			withscores = true
		case cardOnly && remaining >= 2 && EqualFold(a, "limit"):
			j++
			v, ok := ParseInt(args[j])
			if !ok || v < 0 {
				c.Err(errLimitNeg)
				return
			}
			limit = v
			j++
		default:
			c.SyntaxErr()
			return
		}
	}
	if op != zopDiff {
		slices.SortStableFunc(src, func(a, b zsrc) int { return a.length() - b.length() })
	}

	var ents []zEntry
	cardinality := int64(0)
	switch op {
	case zopInter:
		if src[0].length() == 0 {
			break
		}
		src[0].z.Range(0, src[0].z.Len(), false, func(e zEntry) {
			if cardOnly && limit > 0 && cardinality >= limit {
				return
			}
			score := src[0].weight * e.score
			if math.IsNaN(score) {
				score = 0
			}
			k := 1
			for ; k < n; k++ {
				v, found := src[k].score(e.member)
				if !found {
					break
				}
				aggregate(&score, v*src[k].weight, agg)
			}
			if k == n {
				if cardOnly {
					cardinality++
				} else {
					ents = append(ents, zEntry{e.member, score})
				}
			}
		})
	case zopUnion:
		acc := map[string]int{} // member -> index in ents
		for i := range src {
			if src[i].length() == 0 {
				continue
			}
			w := src[i].weight
			src[i].z.Range(0, src[i].z.Len(), false, func(e zEntry) {
				score := w * e.score
				if math.IsNaN(score) {
					score = 0
				}
				if at, seen := acc[e.member]; seen {
					aggregate(&ents[at].score, score, agg)
					return
				}
				acc[e.member] = len(ents)
				ents = append(ents, zEntry{e.member, score})
			})
		}
	case zopDiff:
		if src[0].length() == 0 {
			break
		}
		src[0].z.Range(0, src[0].z.Len(), false, func(e zEntry) {
			for k := 1; k < n; k++ {
				if _, found := src[k].score(e.member); found {
					return
				}
			}
			ents = append(ents, e)
		})
	}
	if cardOnly {
		c.R.Int(cardinality)
		return
	}
	sort.Slice(ents, func(a, b int) bool {
		return zLess(ents[a].score, ents[a].member, ents[b].score, ents[b].member)
	})
	if dst != nil {
		zstoreResult(c, dst, ents, [...]string{zopUnion: "zunionstore", zopInter: "zinterstore", zopDiff: "zdiffstore"}[op])
		return
	}
	writeEntryHeader(c, len(ents), withscores)
	for _, e := range ents {
		writeEntry(c, e, withscores)
	}
}

// setAsZSet lets a plain set be an input of ZUNION and friends, every
// member with score 1, as Redis does. It recognises any value whose type is
// "set" and that can list its members.
func setAsZSet(v any) (*ZSet, bool) {
	col, ok := v.(Collection)
	if !ok || col.TypeName() != "set" {
		return nil, false
	}
	lister, ok := v.(interface{ Members() []string })
	if !ok {
		return nil, false
	}
	members := lister.Members()
	slices.Sort(members)
	ents := make([]zEntry, len(members))
	for i, m := range members {
		ents[i] = zEntry{m, 1}
	}
	return zsetFromSorted(ents), true
}

// --- ZRANDMEMBER ---

func zrandmemberCommand(c *Ctx) {
	args := c.Args
	if len(args) >= 3 {
		l, ok := ParseInt(args[2])
		if !ok {
			c.Err(ErrNotInt)
			return
		}
		if l == math.MinInt64 {
			c.Err(errInt64Range)
			return
		}
		withscores := false
		if len(args) > 4 || len(args) == 4 && !EqualFold(args[3], "withscores") {
			c.SyntaxErr()
			return
		} else if len(args) == 4 {
			withscores = true
			if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
				c.Err(errOutOfRange)
				return
			}
		}
		zrandmemberWithCount(c, l, withscores)
		return
	}
	z, ok := getZSet(c, args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.R.Null()
		return
	}
	c.R.BulkString(z.At(rand.IntN(z.Len())).member)
}

func zrandmemberWithCount(c *Ctx, l int64, withscores bool) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil || l == 0 {
		c.R.Array(0)
		return
	}
	size := z.Len()
	if l < 0 { // repetitions allowed, random order
		count := -l
		writeEntryHeader(c, int(count), withscores)
		for ; count > 0; count-- {
			writeEntry(c, z.At(rand.IntN(size)), withscores)
		}
		return
	}
	if l == 1 {
		writeEntryHeader(c, 1, withscores)
		writeEntry(c, z.At(rand.IntN(size)), withscores)
		return
	}
	if l >= int64(size) { // the whole set, highest first as Redis 7.0 replies
		writeEntryHeader(c, size, withscores)
		z.Range(0, size, true, func(e zEntry) { writeEntry(c, e, withscores) })
		return
	}
	// Distinct ranks: a partial Fisher-Yates over the rank space.
	count := int(l)
	picked := make(map[int]int, count)
	ranks := make([]int, count)
	for i := 0; i < count; i++ {
		r := i + rand.IntN(size-i)
		vi, ok := picked[i]
		if !ok {
			vi = i
		}
		vr, ok := picked[r]
		if !ok {
			vr = r
		}
		picked[r] = vi
		ranks[i] = vr
	}
	writeEntryHeader(c, count, withscores)
	for _, r := range ranks {
		writeEntry(c, z.At(r), withscores)
	}
}

// --- ZSCAN ---

// ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-encoded set is
// returned whole with cursor 0, as Redis does. A larger one is walked in the
// order of the members' fixed hash positions (scanPos, as SCAN): the cursor
// is the next position, so a member present for the whole walk is returned
// exactly once whatever changes in between.
func zscanCommand(c *Ctx) {
	cursor, ok := ParseCursor(c.Args[2])
	if !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	o, ok := parseScanOpts(c, 3, false)
	if !ok {
		return
	}
	count, pattern, usePattern := o.count, o.pattern, o.match
	args := c.Args
	z, ok := getZSet(c, args[1], false)
	if !ok {
		return
	}
	var out []zEntry
	next := uint64(0)
	switch {
	case z == nil:
	case z.zsl == nil:
		out = append(out, z.lp...)
	default:
		out, next = zscanStep(z, cursor>>scanTagBits, zscanBatch(z.Len(), count))
	}
	if usePattern {
		kept := out[:0]
		for _, e := range out {
			if GlobMatch(pattern, e.member, false) {
				kept = append(kept, e)
			}
		}
		out = kept
	}
	c.R.Array(2)
	c.R.BulkString(formatCursor(next))
	c.R.Array(2 * len(out))
	var tmp [32]byte
	for _, e := range out {
		c.R.BulkString(e.member)
		if z.zsl == nil {
			c.R.Bulk(appendListpackScore(tmp[:0], e.score))
		} else {
			c.R.Bulk(AppendFloat(tmp[:0], e.score))
		}
	}
}

// appendListpackScore formats a score as Redis stores it in a listpack
// (d2string): integral values within +-LLONG_MAX/2 as integers, others %.17g.
func appendListpackScore(b []byte, f float64) []byte {
	if f >= -float64(math.MaxInt64/2) && f <= float64(math.MaxInt64/2) && f == math.Trunc(f) {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return AppendFloat(b, f)
}

// zscanBatch is how many members one ZSCAN call over a skiplist returns.
// COUNT is only a hint (Redis may return more too): each call costs a pass
// over the whole set, so big sets are walked in at most about 32 calls, or
// in batches of 4096 when that is larger.
func zscanBatch(n int, count int64) int {
	return int(max(count, int64(min(n/32, 4096)), 1))
}

// zscanStep returns the members of the lowest positions (scanPos) at or
// after pos, about batch of them, and the cursor of the rest (0 when done),
// in one pass with a bounded max-heap.
func zscanStep(z *ZSet, pos uint64, batch int) (out []zEntry, next uint64) {
	type cand struct {
		pos uint64
		e   zEntry
	}
	limit := batch + 1
	heap := make([]cand, 0, min(limit, z.Len()))
	z.dict.each(func(x *zslNode) bool {
		p := scanPos(x.member)
		if p < pos || len(heap) == limit && p >= heap[0].pos {
			return true
		}
		e := cand{p, zEntry{x.member, x.score}}
		if len(heap) < limit {
			heap = append(heap, e)
			for i := len(heap) - 1; i > 0; { // sift up
				parent := (i - 1) / 2
				if heap[i].pos <= heap[parent].pos {
					break
				}
				heap[i], heap[parent] = heap[parent], heap[i]
				i = parent
			}
			return true
		}
		heap[0] = e
		for i := 0; ; { // sift down
			l, r, top := 2*i+1, 2*i+2, i
			if l < len(heap) && heap[l].pos > heap[top].pos {
				top = l
			}
			if r < len(heap) && heap[r].pos > heap[top].pos {
				top = r
			}
			if top == i {
				break
			}
			heap[i], heap[top] = heap[top], heap[i]
			i = top
		}
		return true
	})
	if len(heap) < limit {
		for _, c := range heap {
			out = append(out, c.e)
		}
		return out, 0
	}
	// Members at the largest position kept may have been left out, so this
	// batch ends just before it.
	hi := heap[0].pos
	for _, c := range heap {
		if c.pos < hi {
			out = append(out, c.e)
		}
	}
	if len(out) == 0 { // batch+1 members share one position: take all of them
		z.dict.each(func(x *zslNode) bool {
			if scanPos(x.member) == hi {
				out = append(out, zEntry{x.member, x.score})
			}
			return true
		})
		hi++
	}
	if hi >= scanPosEnd {
		return out, 0
	}
	return out, hi<<scanTagBits | 1
}
