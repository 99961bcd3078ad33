package commands

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

func init() {
	const g = "list"
	register(
		&Command{Name: "lpush", Keys: "RW insert index=1", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
			Args:    "key element [element ...]", Handler: lpushCommand},
		&Command{Name: "rpush", Keys: "RW insert index=1", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.",
			Args:    "key element [element ...]", Handler: rpushCommand},
		&Command{Name: "lpushx", Keys: "RW insert index=1", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.2.0",
			Summary: "Prepends one or more elements to a list only when the list exists.",
			Args:    "key element [element ...]", Handler: lpushxCommand, Noop: pushxNoop},
		&Command{Name: "rpushx", Keys: "RW insert index=1", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.2.0",
			Summary: "Appends an element to a list only when the list exists.",
			Args:    "key element [element ...]", Handler: rpushxCommand, Noop: pushxNoop},
		&Command{Name: "lpop", Keys: "RW access delete index=1", Complexity: "O(N) where N is the number of elements returned", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
			Args:    "key [count]", Handler: lpopCommand},
		&Command{Name: "rpop", Keys: "RW access delete index=1", Complexity: "O(N) where N is the number of elements returned", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns and removes the last elements of the list. Deletes the list if the last element was popped.",
			Args:    "key [count]", Handler: rpopCommand},
		&Command{Name: "llen", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the length of a list.",
			Args:    "key", Handler: llenCommand},
		&Command{Name: "lrange", Keys: "RO access index=1", Complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns a range of elements from a list.",
			Args:    "key start stop", Handler: lrangeCommand},
		&Command{Name: "lindex", Keys: "RO access index=1", Complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", Arity: 3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns an element from a list by its index.",
			Args:    "key index", Handler: lindexCommand},
		&Command{Name: "lset", Keys: "RW update index=1", Complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Sets the value of an element in a list by its index.",
			Args:    "key index element", Handler: lsetCommand},
		&Command{Name: "lrem", Keys: "RW delete index=1", Complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Removes elements from a list. Deletes the list if the last element was removed.",
			Args:    "key count element", Handler: lremCommand},
		&Command{Name: "ltrim", Keys: "RW delete index=1", Complexity: "O(N) where N is the number of elements to be removed by the operation.", Arity: 4, Flags: Write, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
			Args:    "key start stop", Handler: ltrimCommand},
		&Command{Name: "linsert", Keys: "RW insert index=1", Complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.2.0",
			Summary: "Inserts an element before or after another element in a list.",
			Args:    "key <BEFORE | AFTER> pivot element", Handler: linsertCommand},
		&Command{Name: "lpos", Keys: "RO access index=1", Complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.0.6",
			Summary: "Returns the index of matching elements in a list.",
			Args:    "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", Handler: lposCommand},
		&Command{Name: "lmove", Keys: "RW access delete index=1; RW insert index=2", Complexity: "O(1)", Arity: 5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
			Args:    "source destination <LEFT | RIGHT> <LEFT | RIGHT>", Handler: lmoveCommand},
		&Command{Name: "rpoplpush", Keys: "RW access delete index=1; RW insert index=2", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "1.2.0",
			Summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
			Args:    "source destination", Handler: rpoplpushCommand},
		// LMPOP and BLMPOP have movable keys (after numkeys): like Redis 7's
		// COMMAND INFO they report 0,0,0; LMPopKeys extracts the keys.
		&Command{Name: "lmpop", Keys: "RW access delete index=1 keynum=0,1,1", Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", Arity: -4, Flags: Write | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
			Args:    "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", Handler: lmpopCommand},
		&Command{Name: "blpop", Keys: "RW access delete index=1 range=-2,1,0", Complexity: "O(N) where N is the number of provided keys.", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
			Args:    "key [key ...] timeout", Handler: blpopCommand},
		&Command{Name: "brpop", Keys: "RW access delete index=1 range=-2,1,0", Complexity: "O(N) where N is the number of provided keys.", Arity: -3, Flags: Write | NoScript | Blocking, FirstKey: 1, LastKey: -2, Step: 1, Group: g, Since: "2.0.0",
			Summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
			Args:    "key [key ...] timeout", Handler: brpopCommand},
		&Command{Name: "blmove", Keys: "RW access delete index=1; RW insert index=2", Complexity: "O(1)", Arity: 6, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
			Args:    "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout", Handler: blmoveCommand},
		&Command{Name: "brpoplpush", Keys: "RW access delete index=1; RW insert index=2", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM | NoScript | Blocking, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "2.2.0",
			Summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
			Args:    "source destination timeout", Handler: brpoplpushCommand},
		&Command{Name: "blmpop", Keys: "RW access delete index=2 keynum=0,1,1", Complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.", Arity: -5, Flags: Write | Blocking | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
			Args:    "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]", Handler: blmpopCommand},
	)
}

// Command names used in rewritten (propagated) forms.
var (
	bLPOP      = []byte("LPOP")
	bRPOP      = []byte("RPOP")
	bLMOVE     = []byte("LMOVE")
	bRPOPLPUSH = []byte("RPOPLPUSH")
)

// getList looks key up as a list. l is nil when the key is missing; ok is
// false (WRONGTYPE already written) when it holds another type. update uses
// LookupForUpdate, for a handler that may change the list in place.
func getList(c *Ctx, key []byte, update bool) (l *List, ok bool) {
	return lookupAs[*List](c, key, update)
}

// listRemoved finishes a removal of n elements from the list at key, which
// Redis notifies as event: an emptied list is deleted, never stored.
func listRemoved(c *Ctx, key []byte, l *List, n int, event string) {
	c.Notify(NotifyList, event, key)
	if l.Len() == 0 {
		c.Delete(key)
		c.Notify(NotifyGeneric, "del", key)
	}
	c.Dirty(n)
}

// popEvent is the event name of a pop from the front or the back.
func popEvent(front bool) string {
	if front {
		return "lpop"
	}
	return "rpop"
}

// pushEvent is the event name of a push at the front or the back.
func pushEvent(front bool) string {
	if front {
		return "lpush"
	}
	return "rpush"
}

func listPop(l *List, front bool) string {
	if front {
		return l.PopFront()
	}
	return l.PopBack()
}

func listPush(l *List, front bool, s string) {
	if front {
		l.PushFront(s)
	} else {
		l.PushBack(s)
	}
}

// parseWhere parses LEFT|RIGHT: front is true for LEFT.
func parseWhere(b []byte) (front, ok bool) {
	switch {
	case EqualFold(b, "left"):
		return true, true
	case EqualFold(b, "right"):
		return false, true
	}
	return false, false
}

// normRange converts LRANGE/LTRIM style inclusive indices (negative from
// the end) for a list of n elements; ok is false when the range is empty.
func normRange(start, end int64, n int) (s, e int, ok bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), true
}

// normIndex converts a LINDEX/LSET index (negative from the end).
func normIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, false
	}
	return int(i), true
}

// --- LPUSH, RPUSH, LPUSHX, RPUSHX ---

func lpushCommand(c *Ctx)  { pushGeneric(c, true, false) }
func rpushCommand(c *Ctx)  { pushGeneric(c, false, false) }
func lpushxCommand(c *Ctx) { pushGeneric(c, true, true) }
func rpushxCommand(c *Ctx) { pushGeneric(c, false, true) }

func pushGeneric(c *Ctx, front, xx bool) {
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		if xx {
			c.R.Int(0)
			return
		}
		l = NewList()
		c.Put(key, l, false)
	}
	elems := c.Args[2:]
	l.Reserve(len(elems))
	for _, e := range elems {
		listPush(l, front, string(e))
	}
	c.R.Int(int64(l.Len()))
	c.Dirty(len(elems))
	c.Signal(string(key))
	c.Notify(NotifyList, pushEvent(front), key)
}

// --- LPOP, RPOP ---

func lpopCommand(c *Ctx) { popGeneric(c, true, "lpop") }
func rpopCommand(c *Ctx) { popGeneric(c, false, "rpop") }

func popGeneric(c *Ctx, front bool, name string) {
	if len(c.Args) > 3 {
		c.Err(ArityErr(name))
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		n, ok := ParseInt(c.Args[2])
		if !ok || n < 0 {
			c.Err(errMustBePositive)
			return
		}
		count = n
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		if hasCount {
			c.R.NullArray()
		} else {
			c.R.Null()
		}
		return
	}
	if !hasCount {
		c.R.BulkString(listPop(l, front))
		listRemoved(c, key, l, 1, popEvent(front))
		return
	}
	if count == 0 {
		c.R.Array(0)
		return
	}
	n := int(min(count, int64(l.Len())))
	c.R.Array(n)
	for range n {
		c.R.BulkString(listPop(l, front))
	}
	listRemoved(c, key, l, n, popEvent(front))
}

// --- LLEN, LRANGE, LINDEX, LPOS (reads) ---

func llenCommand(c *Ctx) {
	l, ok := getList(c, c.Args[1], false)
	switch {
	case !ok:
	case l == nil:
		c.R.Int(0)
	default:
		c.R.Int(int64(l.Len()))
	}
}

func lrangeCommand(c *Ctx) {
	start, ok1 := ParseInt(c.Args[2])
	end, ok2 := ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Err(ErrNotInt)
		return
	}
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.R.Array(0)
		return
	}
	s, e, nonEmpty := normRange(start, end, l.Len())
	if !nonEmpty {
		c.R.Array(0)
		return
	}
	c.R.Array(e - s + 1)
	a, b := l.Slices(s, e+1)
	for _, v := range a {
		c.R.BulkString(v)
	}
	for _, v := range b {
		c.R.BulkString(v)
	}
}

func lindexCommand(c *Ctx) {
	l, ok := getList(c, c.Args[1], false)
	if !ok {
		return
	}
	if l == nil {
		c.R.Null()
		return
	}
	idx, valid := ParseInt(c.Args[2])
	if !valid {
		c.Err(ErrNotInt)
		return
	}
	if i, in := normIndex(idx, l.Len()); in {
		c.R.BulkString(l.At(i))
	} else {
		c.R.Null()
	}
}

func lposCommand(c *Ctx) {
	args := c.Args
	rank, count, maxlen := int64(1), int64(-1), int64(0) // count -1: no COUNT option
	for j := 3; j < len(args); j++ {
		more := j < len(args)-1
		switch {
		case more && EqualFold(args[j], "rank"):
			j++
			v, ok := ParseInt(args[j])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if v == math.MinInt64 { // Redis 7.2 takes -LONG_MAX..LONG_MAX
				c.Err(errInt64Range)
				return
			}
			if v == 0 {
				c.Err(errRankZero)
				return
			}
			rank = v
		case more && EqualFold(args[j], "count"):
			j++
			v, ok := ParseInt(args[j])
			if !ok || v < 0 {
				c.Err(errLposCount)
				return
			}
			count = v
		case more && EqualFold(args[j], "maxlen"):
			j++
			v, ok := ParseInt(args[j])
			if !ok || v < 0 {
				c.Err(errLposMaxlen)
				return
			}
			maxlen = v
		default:
			c.SyntaxErr()
			return
		}
	}
	reverse := rank < 0
	if reverse {
		rank = -rank
	}

	l, ok := getList(c, args[1], false)
	if !ok {
		return
	}
	if l == nil {
		if count != -1 {
			c.R.Array(0)
		} else {
			c.R.Null()
		}
		return
	}

	elem := string(args[2]) // compared many times: convert once
	n := l.Len()
	limit := int64(n)
	if maxlen > 0 && maxlen < limit {
		limit = maxlen
	}
	var stack [16]int
	found := stack[:0]
	matches := int64(0)
	for k := 0; k < int(limit); k++ {
		pos := k
		if reverse {
			pos = n - 1 - k
		}
		if l.At(pos) != elem {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		found = append(found, pos)
		if count == -1 || (count > 0 && matches-rank+1 >= count) {
			break
		}
	}
	if count != -1 {
		c.R.Array(len(found))
		for _, pos := range found {
			c.R.Int(int64(pos))
		}
		return
	}
	if len(found) == 0 {
		c.R.Null()
		return
	}
	c.R.Int(int64(found[0]))
}

// --- LSET, LREM, LTRIM, LINSERT ---

func lsetCommand(c *Ctx) {
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.Err(ErrNoSuchKey)
		return
	}
	idx, valid := ParseInt(c.Args[2])
	if !valid {
		c.Err(ErrNotInt)
		return
	}
	i, in := normIndex(idx, l.Len())
	if !in {
		c.Err(ErrIndex)
		return
	}
	l.SetAt(i, string(c.Args[3]))
	c.R.OK()
	c.Dirty(1)
	c.Notify(NotifyList, "lset", key)
}

func lremCommand(c *Ctx) {
	count, valid := ParseInt(c.Args[2])
	if !valid {
		c.Err(ErrNotInt)
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.R.Int(0)
		return
	}
	// Clamping to the length changes nothing (no more can match) and keeps
	// -count from overflowing.
	n := int64(l.Len())
	count = max(-n, min(count, n))
	removed := l.Remove(string(c.Args[3]), int(count))
	if removed > 0 {
		listRemoved(c, key, l, removed, "lrem")
	}
	c.R.Int(int64(removed))
}

func ltrimCommand(c *Ctx) {
	start, ok1 := ParseInt(c.Args[2])
	end, ok2 := ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Err(ErrNotInt)
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.R.OK()
		return
	}
	n := l.Len()
	front, back := n, 0
	if s, e, nonEmpty := normRange(start, end, n); nonEmpty {
		front, back = s, n-e-1
	}
	if front+back > 0 {
		l.Trim(front, back)
		listRemoved(c, key, l, front+back, "ltrim")
	} else {
		c.Notify(NotifyList, "ltrim", key) // Redis notifies a trim that removed nothing too
	}
	c.R.OK()
}

func linsertCommand(c *Ctx) {
	var after bool
	switch {
	case EqualFold(c.Args[2], "after"):
		after = true
	case EqualFold(c.Args[2], "before"):
	default:
		c.SyntaxErr()
		return
	}
	key := c.Args[1]
	l, ok := getList(c, key, true)
	if !ok {
		return
	}
	if l == nil {
		c.R.Int(0)
		return
	}
	i := l.Index(string(c.Args[3]))
	if i < 0 {
		c.R.Int(-1)
		return
	}
	if after {
		i++
	}
	l.Insert(i, string(c.Args[4]))
	c.R.Int(int64(l.Len()))
	c.Dirty(1)
	c.Notify(NotifyList, "linsert", key)
	c.Signal(string(key))
}

// --- LMOVE, RPOPLPUSH ---

func lmoveCommand(c *Ctx) {
	from, ok1 := parseWhere(c.Args[3])
	if !ok1 {
		c.SyntaxErr()
		return
	}
	to, ok2 := parseWhere(c.Args[4])
	if !ok2 {
		c.SyntaxErr()
		return
	}
	lmoveGeneric(c, from, to)
}

func rpoplpushCommand(c *Ctx) { lmoveGeneric(c, false, true) }

// lmoveGeneric moves one element from c.Args[1] to c.Args[2] and replies
// with it; it reports whether an element was moved.
func lmoveGeneric(c *Ctx, fromLeft, toLeft bool) bool {
	src, dst := c.Args[1], c.Args[2]
	sl, ok := getList(c, src, true)
	if !ok {
		return false
	}
	if sl == nil {
		c.R.Null()
		return false
	}
	dl, ok := getList(c, dst, true) // the same list when src == dst
	if !ok {
		return false
	}
	e := listPop(sl, fromLeft)
	if dl == nil {
		dl = NewList()
		c.Put(dst, dl, false)
	}
	listPush(dl, toLeft, e)
	c.R.BulkString(e)
	// Redis' order: the push, then the pop and the source's deletion.
	c.Notify(NotifyList, pushEvent(toLeft), dst)
	c.Notify(NotifyList, popEvent(fromLeft), src)
	if sl.Len() == 0 {
		c.Delete(src)
		c.Notify(NotifyGeneric, "del", src)
	}
	c.Dirty(1)
	c.Signal(string(dst))
	return true
}

// --- LMPOP ---

// parseMPop parses "numkeys key [key ...] LEFT|RIGHT [COUNT count]" starting
// at args[at]; errMsg is the error reply when they don't parse.
func parseMPop(args [][]byte, at int) (keys [][]byte, front bool, count int64, errMsg string) {
	numkeys, valid := ParseInt(args[at])
	if !valid || numkeys < 1 {
		return nil, false, 0, errNumkeys
	}
	if numkeys >= int64(len(args)-at-1) {
		return nil, false, 0, ErrSyntax // no room for the keys and LEFT|RIGHT
	}
	whereAt := at + int(numkeys) + 1
	front, valid = parseWhere(args[whereAt])
	if !valid {
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
	return args[at+1 : whereAt], front, count, ""
}

// mpopServe pops up to count elements from the first non-empty list among
// keys, replying [key, [elements]] and propagating LPOP/RPOP key n. It
// reports whether it wrote a reply (a pop or a WRONGTYPE error).
func mpopServe(c *Ctx, keys [][]byte, front bool, count int64) bool {
	for _, key := range keys {
		l, ok := getList(c, key, true)
		if !ok {
			return true
		}
		if l == nil {
			continue
		}
		n := int(min(count, int64(l.Len())))
		c.R.Array(2)
		c.R.Bulk(key)
		c.R.Array(n)
		for range n {
			c.R.BulkString(listPop(l, front))
		}
		listRemoved(c, key, l, n, popEvent(front))
		var tmp [20]byte
		op := bRPOP
		if front {
			op = bLPOP
		}
		c.Propagate(op, key, strconv.AppendInt(tmp[:0], int64(n), 10))
		return true
	}
	return false
}

func lmpopCommand(c *Ctx) {
	keys, front, count, errMsg := parseMPop(c.Args, 1)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	if !mpopServe(c, keys, front, count) {
		c.R.NullArray()
	}
}

// LMPopKeys returns the key arguments of LMPOP or BLMPOP, whose key
// positions depend on numkeys (Redis' movablekeys); nil when args don't
// parse or cmd is another command.
func LMPopKeys(cmd *Command, args [][]byte) [][]byte {
	at := 1
	switch cmd.Name {
	case "lmpop":
	case "blmpop":
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

// --- blocking commands ---
//
// A blocking command runs in the FSM like its non-blocking form. When it can
// serve, it replies as Redis does for the blocking command and propagates the
// non-blocking equivalent. When it can't, it calls c.Block with the keys and
// the relative timeout and writes no reply: the server parks the client,
// re-runs the command when one of the keys is signalled, and on timeout
// replies with a null array (*-1 in RESP2) itself. Inside MULTI, where Redis
// never blocks, the server should reply as Redis does there instead: a null
// array for BLPOP/BRPOP/BLMPOP, a null bulk for BLMOVE/BRPOPLPUSH.

// BlockTimeout returns the timeout of a blocking list command in
// milliseconds (0 = forever) without running it, or the error reply text
// when its arguments are invalid: the same error, checked in the same order,
// as the handler (and Redis) reports, except WRONGTYPE, which depends on the
// data, and "timeout is out of range" for now+timeout overflowing the clock,
// which the handler checks with the entry's time. Args are assumed to have
// passed the arity check. Non-blocking commands yield 0, "".
func BlockTimeout(cmd *Command, args [][]byte) (ms int64, errMsg string) {
	var arg []byte
	switch cmd.Name {
	case "blpop", "brpop":
		arg = args[len(args)-1]
	case "blmove":
		if _, ok := parseWhere(args[3]); !ok {
			return 0, ErrSyntax
		}
		if _, ok := parseWhere(args[4]); !ok {
			return 0, ErrSyntax
		}
		arg = args[5]
	case "brpoplpush":
		arg = args[3]
	case "blmpop":
		if _, _, _, errMsg := parseMPop(args, 2); errMsg != "" {
			return 0, errMsg
		}
		arg = args[1]
	case "bzpopmin", "bzpopmax":
		arg = args[len(args)-1]
	case "bzmpop":
		if _, _, _, errMsg := parseZMPop(args, 2); errMsg != "" {
			return 0, errMsg
		}
		arg = args[1]
	case "xread", "xreadgroup":
		// In milliseconds; a bad value is the handler's to report, in the
		// order of Redis' option parsing.
		if i := XReadBlockArg(args); i >= 0 {
			ms, _ := parseMsTimeout(args[i])
			return ms, ""
		}
		return 0, ""
	default:
		return 0, ""
	}
	return parseTimeout(arg, 0)
}

// maxBlockMs is the longest timeout reported as such: longer ones (about 292
// years and up) are reported as 0, forever, so that callers can turn any
// timeout into a time.Duration without overflowing.
const maxBlockMs = math.MaxInt64 / 1_000_000

var (
	bigThousand = big.NewFloat(1000)
	bigMaxInt64 = new(big.Float).SetInt64(math.MaxInt64)
	bigOne      = big.NewInt(1)
)

// parseTimeout parses a timeout in seconds exactly as Redis 7.2 does on
// x86-64 and returns it in milliseconds; now (unix ms, 0 to skip) is for
// Redis' check that now+timeout doesn't overflow. Redis'
// getTimeoutFromObjectOrReply reads a long double with strtold (string2ld:
// the whole string, no leading space, no NaN, no overflow or underflow to
// zero), multiplies it by 1000 in 80-bit x87 arithmetic, rejects more than
// LLONG_MAX as out of range, and casts ceill() of it to long long, which is
// LLONG_MIN for -inf and other huge negatives. big.Float at 64-bit precision
// reproduces the long double roundings: 0.001*1000 is just below 1, so
// "-0.001" is accepted as 0 (forever), as by Redis.
func parseTimeout(b []byte, now int64) (int64, string) {
	if len(b) == 0 || len(b) >= 5*1024 || isCSpace(b[0]) {
		return 0, errTimeoutFloat
	}
	s := string(b)
	if strings.IndexByte(s, '_') >= 0 { // big.Float takes digit separators, strtold doesn't
		return 0, errTimeoutFloat
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if EqualFold([]byte(body), "inf") || EqualFold([]byte(body), "infinity") {
		if s[0] == '-' {
			return 0, errTimeoutNeg
		}
		return 0, errTimeoutRange
	}
	if len(body) > 1 && body[0] == '0' && strings.IndexByte("bBoO", body[1]) >= 0 {
		return 0, errTimeoutFloat // a prefix big.Float knows and strtold doesn't
	}
	f, _, err := new(big.Float).SetPrec(64).Parse(s, 0)
	if err != nil {
		return 0, errTimeoutFloat
	}
	if f.Sign() != 0 {
		// Outside a long double's range strtold reports ERANGE.
		if exp := f.MantExp(nil); exp > 16384 || exp < -16444 {
			return 0, errTimeoutFloat
		}
	}
	ms := new(big.Float).SetPrec(64).Mul(f, bigThousand)
	if ms.Cmp(bigMaxInt64) > 0 {
		return 0, errTimeoutRange
	}
	i, acc := ms.Int(nil) // truncated towards zero
	if acc == big.Below {
		i.Add(i, bigOne) // ceil of a positive fraction
	}
	if i.Sign() < 0 {
		return 0, errTimeoutNeg
	}
	t := i.Int64()
	if t > 0 && now > 0 && t > math.MaxInt64-now {
		return 0, errTimeoutRange
	}
	if t > maxBlockMs {
		return 0, ""
	}
	return t, ""
}

func isCSpace(ch byte) bool {
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r'
}

func blockKeys(keys [][]byte) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(k)
	}
	return out
}

// retrySkips reports whether a blocked client looking again passes over
// key: one that now holds another type is as good as empty to it, and it
// waits on, as in Redis (serveClientsBlockedOnKey serves only the type it
// waits for; MULTI/LPUSH/DEL/SET/EXEC must not wake a BLPOP with WRONGTYPE).
func retrySkips(c *Ctx, key []byte, isType func(any) bool) bool {
	if !c.Retry {
		return false
	}
	v, found := c.Peek(key)
	return found && !isType(v)
}

// retryKeys is keys without those retrySkips passes over.
func retryKeys(c *Ctx, keys [][]byte, isType func(any) bool) [][]byte {
	if !c.Retry {
		return keys
	}
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		if !retrySkips(c, k, isType) {
			out = append(out, k)
		}
	}
	return out
}

func isList(v any) bool { _, ok := v.(*List); return ok }

func blpopCommand(c *Ctx) { blockingPop(c, true) }
func brpopCommand(c *Ctx) { blockingPop(c, false) }

func blockingPop(c *Ctx, front bool) {
	args := c.Args
	ms, errMsg := parseTimeout(args[len(args)-1], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	keys := args[1 : len(args)-1]
	for _, key := range keys {
		if retrySkips(c, key, isList) {
			continue
		}
		l, ok := getList(c, key, true)
		if !ok {
			return
		}
		if l == nil {
			continue
		}
		c.R.Array(2)
		c.R.Bulk(key)
		c.R.BulkString(listPop(l, front))
		listRemoved(c, key, l, 1, popEvent(front))
		if front {
			c.Propagate(bLPOP, key)
		} else {
			c.Propagate(bRPOP, key)
		}
		return
	}
	c.Block(blockKeys(keys), ms)
}

func blmoveCommand(c *Ctx) {
	from, ok1 := parseWhere(c.Args[3])
	if !ok1 {
		c.SyntaxErr()
		return
	}
	to, ok2 := parseWhere(c.Args[4])
	if !ok2 {
		c.SyntaxErr()
		return
	}
	ms, errMsg := parseTimeout(c.Args[5], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	if blmoveGeneric(c, from, to, ms) {
		c.Propagate(bLMOVE, c.Args[1], c.Args[2], c.Args[3], c.Args[4])
	}
}

func brpoplpushCommand(c *Ctx) {
	ms, errMsg := parseTimeout(c.Args[3], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	if blmoveGeneric(c, false, true, ms) {
		c.Propagate(bRPOPLPUSH, c.Args[1], c.Args[2])
	}
}

// blmoveGeneric serves a move if the source has elements, else blocks;
// it reports whether an element was moved.
func blmoveGeneric(c *Ctx, fromLeft, toLeft bool, ms int64) bool {
	if retrySkips(c, c.Args[1], isList) {
		c.Block(blockKeys(c.Args[1:2]), ms)
		return false
	}
	sl, ok := getList(c, c.Args[1], false)
	if !ok {
		return false
	}
	if sl == nil {
		c.Block(blockKeys(c.Args[1:2]), ms)
		return false
	}
	return lmoveGeneric(c, fromLeft, toLeft)
}

func blmpopCommand(c *Ctx) {
	keys, front, count, errMsg := parseMPop(c.Args, 2)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	ms, errMsg := parseTimeout(c.Args[1], c.Now)
	if errMsg != "" {
		c.Err(errMsg)
		return
	}
	if served := retryKeys(c, keys, isList); len(served) == 0 || !mpopServe(c, served, front, count) {
		c.Block(blockKeys(keys), ms)
	}
}
