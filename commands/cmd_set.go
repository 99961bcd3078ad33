package commands

import (
	"math"
	"math/rand/v2"
	"slices"
)

func init() {
	const g = "set"
	register(
		&Command{Name: "sadd", Keys: "RW insert index=1", Complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", Arity: -3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Adds one or more members to a set. Creates the key if it doesn't exist.",
			Args:    "key member [member ...]", Handler: saddCommand, Noop: saddNoop},
		&Command{Name: "srem", Keys: "RW delete index=1", Complexity: "O(N) where N is the number of members to be removed.", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Removes one or more members from a set. Deletes the set if the last member was removed.",
			Args:    "key member [member ...]", Handler: sremCommand, Noop: sremNoop},
		&Command{Name: "smembers", Keys: "RO access index=1", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the set cardinality.", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns all members of a set.",
			Args:    "key", Handler: smembersCommand},
		&Command{Name: "sismember", Keys: "RO index=1", Complexity: "O(1)", Arity: 3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Determines whether a member belongs to a set.",
			Args:    "key member", Handler: sismemberCommand},
		&Command{Name: "smismember", Keys: "RO access index=1", Complexity: "O(N) where N is the number of elements being checked for membership", Arity: -3, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Determines whether multiple members belong to a set.",
			Args:    "key member [member ...]", Handler: smismemberCommand},
		&Command{Name: "scard", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the number of members in a set.",
			Args:    "key", Handler: scardCommand},
		&Command{Name: "spop", Keys: "RW access delete index=1", Tips: "nondeterministic_output", Complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
			Args:    "key [count]", Handler: spopCommand},
		&Command{Name: "srandmember", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Get one or multiple random members from a set",
			Args:    "key [count]", Handler: srandmemberCommand},
		&Command{Name: "smove", Keys: "RW access delete index=1; RW insert index=2", Complexity: "O(1)", Arity: 4, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Moves a member from one set to another.",
			Args:    "source destination member", Handler: smoveCommand},
		&Command{Name: "sinter", Keys: "RO access index=1 range=-1,1,0", Tips: "nondeterministic_output_order", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the intersect of multiple sets.",
			Args:    "key [key ...]", Handler: sinterCommand},
		// SINTERCARD has movable keys (after numkeys): like Redis 7's COMMAND
		// INFO it reports 0,0,0.
		&Command{Name: "sintercard", Keys: "RO access index=1 keynum=0,1,1", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", Arity: -3, Flags: ReadOnly | MovableKeys, Group: g, Since: "7.0.0",
			Summary: "Returns the number of members of the intersect of multiple sets.",
			Args:    "numkeys key [key ...] [LIMIT limit]", Handler: sintercardCommand},
		&Command{Name: "sinterstore", Keys: "RW update index=1; RO access index=2 range=-1,1,0", Complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Stores the intersect of multiple sets in a key.",
			Args:    "destination key [key ...]", Handler: sinterstoreCommand},
		&Command{Name: "sunion", Keys: "RO access index=1 range=-1,1,0", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the total number of elements in all given sets.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the union of multiple sets.",
			Args:    "key [key ...]", Handler: sunionCommand},
		&Command{Name: "sunionstore", Keys: "OW update index=1; RO access index=2 range=-1,1,0", Complexity: "O(N) where N is the total number of elements in all given sets.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Stores the union of multiple sets in a key.",
			Args:    "destination key [key ...]", Handler: sunionstoreCommand},
		&Command{Name: "sdiff", Keys: "RO access index=1 range=-1,1,0", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the total number of elements in all given sets.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Returns the difference of multiple sets.",
			Args:    "key [key ...]", Handler: sdiffCommand},
		&Command{Name: "sdiffstore", Keys: "OW update index=1; RO access index=2 range=-1,1,0", Complexity: "O(N) where N is the total number of elements in all given sets.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Since: "1.0.0",
			Summary: "Stores the difference of multiple sets in a key.",
			Args:    "destination key [key ...]", Handler: sdiffstoreCommand},
		&Command{Name: "sscan", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", Arity: -3, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "2.8.0",
			Summary: "Iterates over members of a set.",
			Args:    "key cursor [MATCH pattern] [COUNT count]", Handler: sscanCommand},
	)
}

const (
	spopSremBatch   = 1024 // members per propagated SREM, as Redis' SPOP
	setScanPosShift = 64 - scanPosBits
)

var (
	bSREM = []byte("SREM")
	bDEL  = []byte("DEL")
)

// getSet looks key up as a set. s is nil when the key is missing; ok is false
// (WRONGTYPE already written) when it holds another type. update uses
// LookupForUpdate, for a handler that may change the set in place.
func getSet(c *Ctx, key []byte, update bool) (s *Set, ok bool) {
	return lookupAs[*Set](c, key, update)
}

// --- SADD, SREM ---

func saddCommand(c *Ctx) {
	key := c.Args[1]
	members := c.Args[2:]
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		s = NewSetFor(members[0], len(members))
		c.Put(key, s, false)
	} else {
		s.maybeConvert(len(members))
	}
	added := 0
	for _, m := range members {
		if setAdd(s, m) {
			added++
		}
	}
	c.Dirty(added)
	c.R.Int(int64(added))
	if added > 0 {
		c.Notify(NotifySet, "sadd", key)
	}
}

func sremCommand(c *Ctx) {
	key := c.Args[1]
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.R.Int(0)
		return
	}
	removed, gone := 0, false
	for _, m := range c.Args[2:] {
		if setRemove(s, m) {
			removed++
			if s.Len() == 0 {
				gone = c.Delete(key)
				break
			}
		}
	}
	c.Dirty(removed)
	c.R.Int(int64(removed))
	if removed > 0 {
		c.Notify(NotifySet, "srem", key)
		if gone {
			c.Notify(NotifyGeneric, "del", key)
		}
	}
}

// --- SMEMBERS, SISMEMBER, SMISMEMBER, SCARD ---

func smembersCommand(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	switch {
	case !ok:
	case s == nil:
		c.R.Set(0)
	default:
		c.R.Set(s.Len())
		s.writeMembers(c.R)
	}
}

func sismemberCommand(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	switch {
	case !ok:
	case s != nil && setHas(s, c.Args[2]):
		c.R.Int(1)
	default:
		c.R.Int(0)
	}
}

func smismemberCommand(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	members := c.Args[2:]
	c.R.Array(len(members))
	for _, m := range members {
		if s != nil && setHas(s, m) {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
	}
}

func scardCommand(c *Ctx) {
	s, ok := getSet(c, c.Args[1], false)
	switch {
	case !ok:
	case s == nil:
		c.R.Int(0)
	default:
		c.R.Int(int64(s.Len()))
	}
}

// --- SPOP ---

// SPOP key [count]. The members are chosen by canonical rank with c.Rand (see
// Set), and the command is propagated as SREM of what was popped (DEL when the
// whole set goes), so replaying the AOF needs no randomness.
func spopCommand(c *Ctx) {
	if len(c.Args) > 3 {
		c.SyntaxErr()
		return
	}
	key := c.Args[1]
	if len(c.Args) == 2 {
		s, ok := getSet(c, key, true)
		if !ok {
			return
		}
		if s == nil {
			c.R.Null()
			return
		}
		m := s.popRanks(1, c.Rand.IntN)[0]
		c.R.BulkString(m)
		c.Notify(NotifySet, "spop", key)
		if s.Len() == 0 {
			c.Delete(key)
			c.Notify(NotifyGeneric, "del", key)
		}
		c.Dirty(1)
		c.Propagate(bSREM, key, []byte(m))
		return
	}
	count, ok := ParseInt(c.Args[2])
	if !ok || count < 0 {
		c.Err(errMustBePositive)
		return
	}
	s, ok := getSet(c, key, true)
	if !ok {
		return
	}
	if s == nil || count == 0 {
		c.R.Set(0)
		return
	}
	if count >= int64(s.Len()) {
		// The whole set, in canonical order so that every node's reply is
		// the same whatever the encoding.
		c.R.Set(s.Len())
		if s.enc == encHashtable {
			s.writeMembers(c.R)
		} else {
			for _, e := range s.canonicalOrder() {
				c.R.BulkString(s.memberAt(e.idx))
			}
		}
		c.Delete(key)
		c.Dirty(1)
		c.Propagate(bDEL, key)
		c.Notify(NotifySet, "spop", key)
		c.Notify(NotifyGeneric, "del", key)
		return
	}
	popped := s.popRanks(int(count), c.Rand.IntN)
	c.Notify(NotifySet, "spop", key)
	c.R.Set(len(popped))
	for _, m := range popped {
		c.R.BulkString(m)
	}
	c.Dirty(len(popped))
	args := make([][]byte, 0, 2+min(len(popped), spopSremBatch))
	for i := 0; i < len(popped); i += spopSremBatch {
		args = append(args[:0], bSREM, key)
		for _, m := range popped[i:min(i+spopSremBatch, len(popped))] {
			args = append(args, []byte(m))
		}
		c.Propagate(args...)
	}
}

// --- SRANDMEMBER (a read: node-local randomness is fine) ---

// SRANDMEMBER key [count]. Served locally it uses math/rand/v2 and the
// set's own order; run inside the FSM (in a MULTI) it uses the entry's
// generator and the canonical order, so every node gives the same reply.
func srandmemberCommand(c *Ctx) {
	if len(c.Args) > 3 {
		c.SyntaxErr()
		return
	}
	key := c.Args[1]
	var count int64
	withCount := len(c.Args) == 3
	if withCount {
		var ok bool
		if count, ok = ParseInt(c.Args[2]); !ok {
			c.Err(ErrNotInt)
			return
		}
		if count == math.MinInt64 {
			c.Err(errInt64Range)
			return
		}
	}
	s, ok := getSet(c, key, false)
	if !ok {
		return
	}
	if s == nil || withCount && count == 0 {
		if withCount {
			c.R.Array(0)
		} else {
			c.R.Null()
		}
		return
	}
	intn, at := rand.IntN, s.at
	if c.Rand != nil {
		intn = c.Rand.IntN
		if s.enc != encHashtable { // a hashtable's order is canonical already
			order := s.canonicalOrder()
			at = func(i int) string { return s.memberAt(order[i].idx) }
		}
	}
	n := s.Len()
	if !withCount {
		c.R.BulkString(at(intn(n)))
		return
	}
	if count < 0 { // repeats allowed
		c.R.Array(int(-count))
		for range -count {
			c.R.BulkString(at(intn(n)))
		}
		return
	}
	if count >= int64(n) {
		c.R.Array(n)
		if c.Rand == nil {
			s.writeMembers(c.R)
			return
		}
		for i := range n {
			c.R.BulkString(at(i))
		}
		return
	}
	k := int(count)
	c.R.Array(k)
	if k*3 > n {
		// Many of them: a partial Fisher-Yates shuffle of the positions.
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		for i := range k {
			j := i + intn(n-i)
			idx[i], idx[j] = idx[j], idx[i]
			c.R.BulkString(at(int(idx[i])))
		}
		return
	}
	// Few of them: draw positions until k distinct ones came up (the map is
	// only probed, never ranged over).
	seen := make(map[int]struct{}, k)
	for len(seen) < k {
		i := intn(n)
		if _, dup := seen[i]; dup {
			continue
		}
		seen[i] = struct{}{}
		c.R.BulkString(at(i))
	}
}

// --- SMOVE ---

func smoveCommand(c *Ctx) {
	srcKey, dstKey, member := c.Args[1], c.Args[2], c.Args[3]
	srcV, srcFound := c.LookupForUpdate(srcKey)
	dstV, dstFound := c.LookupForUpdate(dstKey)
	if !srcFound {
		c.R.Int(0)
		return
	}
	src, isSet := srcV.(*Set)
	if !isSet {
		c.WrongType()
		return
	}
	var dst *Set
	if dstFound {
		if dst, isSet = dstV.(*Set); !isSet {
			c.WrongType()
			return
		}
	}
	if src == dst {
		if setHas(src, member) {
			c.R.Int(1)
		} else {
			c.R.Int(0)
		}
		return
	}
	if !setRemove(src, member) {
		c.R.Int(0)
		return
	}
	c.Notify(NotifySet, "srem", srcKey)
	if src.Len() == 0 {
		c.Delete(srcKey)
		c.Notify(NotifyGeneric, "del", srcKey)
	}
	if dst == nil {
		dst = NewSetFor(member, 1)
		c.Put(dstKey, dst, false)
	}
	c.Dirty(1)
	if setAdd(dst, member) {
		c.Dirty(1)
		c.Notify(NotifySet, "sadd", dstKey)
	}
	c.R.Int(1)
}

// --- SINTER, SINTERCARD, SINTERSTORE, SUNION, SDIFF and their STOREs ---

// lookupSets returns the sets at keys (nil for a missing key). ok is false,
// with WRONGTYPE written, when any key holds another type.
func lookupSets(c *Ctx, keys [][]byte) (sets []*Set, missing bool, ok bool) {
	sets = make([]*Set, len(keys))
	for i, k := range keys {
		s, ok := getSet(c, k, false)
		if !ok {
			return nil, false, false
		}
		if s == nil {
			missing = true
		}
		sets[i] = s
	}
	return sets, missing, true
}

// intersect calls fn for each member of the intersection of sets (none nil),
// iterating the smallest, until fn returns false.
func intersect(sets []*Set, fn func(m string) bool) {
	sorted := slices.Clone(sets)
	slices.SortStableFunc(sorted, func(a, b *Set) int { return a.Len() - b.Len() })
	first, rest := sorted[0], sorted[1:]
	first.Each(func(m string) bool {
		for _, o := range rest {
			if o != first && !setHas(o, m) {
				return true
			}
		}
		return fn(m)
	})
}

func sinterCommand(c *Ctx) {
	sets, missing, ok := lookupSets(c, c.Args[1:])
	if !ok {
		return
	}
	if missing {
		c.R.Set(0)
		return
	}
	var out []string
	intersect(sets, func(m string) bool {
		out = append(out, m)
		return true
	})
	c.R.Set(len(out))
	for _, m := range out {
		c.R.BulkString(m)
	}
}

func sintercardCommand(c *Ctx) {
	numkeys, ok := ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Err(errNumkeys)
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Err(errNumkeysArgs)
		return
	}
	keys := c.Args[2 : 2+numkeys]
	var limit int64
	for j := 2 + int(numkeys); j < len(c.Args); j++ {
		if EqualFold(c.Args[j], "limit") && j+1 < len(c.Args) {
			j++
			v, ok := ParseInt(c.Args[j])
			if !ok || v < 0 {
				c.Err(errLimitNeg)
				return
			}
			limit = v
			continue
		}
		c.SyntaxErr()
		return
	}
	sets, missing, ok := lookupSets(c, keys)
	if !ok {
		return
	}
	if missing {
		c.R.Int(0)
		return
	}
	var n int64
	intersect(sets, func(string) bool {
		n++
		return limit == 0 || n < limit
	})
	c.R.Int(n)
}

// storeSet finishes a STORE command: a non-empty result replaces dst (any
// type, TTL cleared); an empty one deletes dst, propagated as DEL.
// event is the command's name, notified for a stored result.
func storeSet(c *Ctx, dst []byte, res *Set, event string) {
	if res == nil || res.Len() == 0 {
		if c.Delete(dst) {
			c.Dirty(1)
			c.Propagate(bDEL, dst)
			c.Notify(NotifyGeneric, "del", dst)
		}
		c.R.Int(0)
		return
	}
	c.Put(dst, res, false)
	c.Dirty(1)
	c.R.Int(int64(res.Len()))
	c.Notify(NotifySet, event, dst)
}

func sinterstoreCommand(c *Ctx) {
	dst := c.Args[1]
	sets, missing, ok := lookupSets(c, c.Args[2:])
	if !ok {
		return
	}
	if missing {
		storeSet(c, dst, nil, "sinterstore")
		return
	}
	res := newIntsetSet()
	intersect(sets, func(m string) bool {
		setAdd(res, m)
		return true
	})
	storeSet(c, dst, res, "sinterstore")
}

const (
	opUnion = iota
	opDiff
)

// unionDiff computes the union or difference of sets (nil = empty) into a
// new set, built from an empty intset as Redis 7.0 does.
func unionDiff(sets []*Set, op int) *Set {
	res := newIntsetSet()
	if op == opUnion {
		for _, s := range sets {
			if s == nil {
				continue
			}
			s.Each(func(m string) bool {
				setAdd(res, m)
				return true
			})
		}
		return res
	}
	if sets[0] == nil {
		return res
	}
	sets[0].Each(func(m string) bool {
		for _, o := range sets[1:] {
			if o != nil && (o == sets[0] || setHas(o, m)) {
				return true
			}
		}
		setAdd(res, m)
		return true
	})
	return res
}

func unionDiffCommand(c *Ctx, op int) {
	sets, _, ok := lookupSets(c, c.Args[1:])
	if !ok {
		return
	}
	res := unionDiff(sets, op)
	c.R.Set(res.Len())
	res.writeMembers(c.R)
}

func unionDiffStoreCommand(c *Ctx, op int) {
	sets, _, ok := lookupSets(c, c.Args[2:])
	if !ok {
		return
	}
	event := "sunionstore"
	if op == opDiff {
		event = "sdiffstore"
	}
	storeSet(c, c.Args[1], unionDiff(sets, op), event)
}

func sunionCommand(c *Ctx)      { unionDiffCommand(c, opUnion) }
func sdiffCommand(c *Ctx)       { unionDiffCommand(c, opDiff) }
func sunionstoreCommand(c *Ctx) { unionDiffStoreCommand(c, opUnion) }
func sdiffstoreCommand(c *Ctx)  { unionDiffStoreCommand(c, opDiff) }

// --- SSCAN ---

// SSCAN key cursor [MATCH pattern] [COUNT count]. Like Redis, an intset or
// listpack is returned whole with cursor 0. A hashtable is walked in
// canonical order: the cursor is the next hash position (top 47 bits of
// memberHash) plus one, so a member present for the whole walk is returned
// exactly once, whatever is added or removed meanwhile.
func sscanCommand(c *Ctx) {
	cursor, ok := ParseCursor(c.Args[2])
	if !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	s, ok := getSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if s == nil {
		c.R.Array(2)
		c.R.BulkString("0")
		c.R.Array(0)
		return
	}
	o, ok := parseScanOpts(c, 3, false)
	if !ok {
		return
	}
	count := o.count
	var out []string
	keep := func(m string) {
		if !o.match || GlobMatch(o.pattern, m, false) {
			out = append(out, m)
		}
	}
	next := uint64(0)
	if s.enc != encHashtable {
		s.Each(func(m string) bool {
			keep(m)
			return true
		})
	} else {
		next = s.ht.scan(cursor, int(min(count, math.MaxInt32)), keep)
	}
	c.R.Array(2)
	c.R.BulkString(formatCursor(next))
	c.R.Array(len(out))
	for _, m := range out {
		c.R.BulkString(m)
	}
}

// scan visits about count members at hash positions from the cursor's on
// (a group sharing one position is never split) and returns the next cursor,
// 0 when the walk is over.
func (t *hashSet) scan(cursor uint64, count int, fn func(m string)) uint64 {
	pos := uint64(0)
	if cursor > 0 {
		pos = cursor - 1
	}
	if pos >= scanPosEnd {
		return 0
	}
	seen := 0
	last := uint64(0)
	for bi := int((pos << setScanPosShift) >> t.shift); bi < len(t.b); bi++ {
		for _, e := range t.b[bi] {
			p := e.h >> setScanPosShift
			if p < pos {
				continue
			}
			if seen >= count && p != last {
				return p + 1
			}
			fn(e.s)
			seen++
			last = p
		}
	}
	return 0
}
