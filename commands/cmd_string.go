package commands

import (
	"math"
	"strconv"
)

func init() {
	register(
		&Command{Name: "get", Keys: "RO access index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Returns the string value of a key.", Args: "key", Handler: getCommand},
		&Command{Name: "set", GetKeys: setGetKeys, Keys: "RW access update variable_flags index=1 # RW and ACCESS due to the optional `GET` argument", Complexity: "O(1)", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
			Args:    "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]",
			Handler: setCommand, Noop: setNoop},
		&Command{Name: "setnx", Keys: "OW insert index=1", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Set the string value of a key only when the key doesn't exist.", Args: "key value", Handler: setnxCommand, Noop: setnxNoop},
		&Command{Name: "setex", Keys: "OW update index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0",
			Summary: "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
			Args:    "key seconds value", Handler: setexCommand},
		&Command{Name: "psetex", Keys: "OW update index=1", Complexity: "O(1)", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0",
			Summary: "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.",
			Args:    "key milliseconds value", Handler: psetexCommand},
		&Command{Name: "getset", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Returns the previous string value of a key after setting it to a new value.", Args: "key value", Handler: getsetCommand},
		&Command{Name: "getdel", Keys: "RW access delete index=1", Complexity: "O(1)", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0",
			Summary: "Returns the string value of a key after deleting the key.", Args: "key", Handler: getdelCommand},
		&Command{Name: "getex", Keys: "RW access update index=1 # RW and UPDATE because it changes the TTL", Complexity: "O(1)", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "6.2.0",
			Summary: "Returns the string value of a key after setting its expiration time.",
			Args:    "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]",
			Handler: getexCommand},
		&Command{Name: "mset", Keys: "OW update index=1 range=-1,2,0", Tips: "request_policy:multi_shard response_policy:all_succeeded", Complexity: "O(N) where N is the number of keys to set.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1",
			Summary: "Atomically creates or modifies the string values of one or more keys.", Args: "key value [key value ...]",
			Handler: msetCommand},
		&Command{Name: "msetnx", Keys: "OW insert index=1 range=-1,2,0", Tips: "request_policy:multi_shard response_policy:agg_min", Complexity: "O(N) where N is the number of keys to set.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: -1, Step: 2, Group: "string", Since: "1.0.1",
			Summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.",
			Args:    "key value [key value ...]", Handler: msetnxCommand},
		&Command{Name: "mget", Keys: "RO access index=1 range=-1,1,0", Tips: "request_policy:multi_shard", Complexity: "O(N) where N is the number of keys to retrieve.", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Atomically returns the string values of one or more keys.", Args: "key [key ...]", Handler: mgetCommand},
		&Command{Name: "append", Keys: "RW insert index=1", Complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.0.0",
			Summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.", Args: "key value",
			Handler: appendCommand},
		&Command{Name: "strlen", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0",
			Summary: "Returns the length of a string value.", Args: "key", Handler: strlenCommand},
		&Command{Name: "getrange", Keys: "RO access index=1", Complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.4.0",
			Summary: "Returns a substring of the string stored at a key.", Args: "key start end", Handler: getrangeCommand},
		&Command{Name: "substr", Keys: "RO access index=1", Complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", Arity: 4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Returns a substring from a string value (GETRANGE's old name).", Args: "key start end", Handler: getrangeCommand},
		&Command{Name: "setrange", Keys: "RW update index=1", Complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", Arity: 4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.2.0",
			Summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
			Args:    "key offset value", Handler: setrangeCommand},
		&Command{Name: "incr", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
			Args:    "key", Handler: incrCommand},
		&Command{Name: "decr", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 2, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
			Args:    "key", Handler: decrCommand},
		&Command{Name: "incrby", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
			Args:    "key increment", Handler: incrbyCommand},
		&Command{Name: "decrby", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
			Args:    "key decrement", Handler: decrbyCommand},
		&Command{Name: "incrbyfloat", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 3, Flags: Write | DenyOOM | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "2.6.0",
			Summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
			Args:    "key increment", Handler: incrbyfloatCommand},
	)
}

// Argument words used in propagated forms.
var (
	wordSET       = []byte("SET")
	wordDEL       = []byte("DEL")
	wordPXAT      = []byte("PXAT")
	wordKEEPTTL   = []byte("KEEPTTL")
	wordPEXPIREAT = []byte("PEXPIREAT")
	wordPERSIST   = []byte("PERSIST")
)

// getString looks key up as a string: ok false with a reply already written
// when it holds another type. s is a view of a value changed in place
// (viewString): the caller replies or computes with it, and copies it to
// keep it beyond a change of the key.
func getString(c *Ctx, key []byte) (s string, found, ok bool) {
	v, found := c.Lookup(key)
	if !found {
		return "", false, true
	}
	s, isStr := viewString(v)
	if !isStr {
		c.WrongType()
		return "", true, false
	}
	return s, true, true
}

// replyString writes a GET-style reply: the value or a null.
func replyString(c *Ctx, s string, found bool) {
	if found {
		c.R.BulkString(s)
	} else {
		c.R.Null()
	}
}

func getCommand(c *Ctx) {
	s, found, ok := getString(c, c.Args[1])
	if ok {
		replyString(c, s, found)
	}
}

// Flags of SET and GETEX, as Redis' OBJ_* flags.
const (
	setNX = 1 << iota
	setXX
	setEX
	setPX
	setKeepTTL
	setGet
	setEXAT
	setPXAT
	setPersist

	setAnyExpire = setEX | setPX | setEXAT | setPXAT
)

// parseSetOptions ports parseExtendedStringArgumentsOrReply: options start at
// args[from]; forSet selects SET's options (NX XX GET KEEPTTL) over GETEX's
// (PERSIST). expire is the argument of EX/PX/EXAT/PXAT (the last one given).
func parseSetOptions(c *Ctx, from int, forSet bool) (flags int, expire []byte, ok bool) {
	if flags, expire, ok = setOptions(c.Args, from, forSet); !ok {
		c.SyntaxErr()
	}
	return flags, expire, ok
}

// setOptions is parseSetOptions without the error.
func setOptions(args [][]byte, from int, forSet bool) (flags int, expire []byte, ok bool) {
	for j := from; j < len(args); j++ {
		opt := args[j]
		next := j < len(args)-1
		switch {
		case forSet && EqualFold(opt, "nx") && flags&setXX == 0:
			flags |= setNX
		case forSet && EqualFold(opt, "xx") && flags&setNX == 0:
			flags |= setXX
		case forSet && EqualFold(opt, "get"):
			flags |= setGet
		case forSet && EqualFold(opt, "keepttl") && flags&(setPersist|setAnyExpire) == 0:
			flags |= setKeepTTL
		case !forSet && EqualFold(opt, "persist") && flags&(setAnyExpire|setKeepTTL) == 0:
			flags |= setPersist
		case EqualFold(opt, "ex") && next && flags&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0:
			flags |= setEX
			expire = args[j+1]
			j++
		case EqualFold(opt, "px") && next && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0:
			flags |= setPX
			expire = args[j+1]
			j++
		case EqualFold(opt, "exat") && next && flags&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0:
			flags |= setEXAT
			expire = args[j+1]
			j++
		case EqualFold(opt, "pxat") && next && flags&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0:
			flags |= setPXAT
			expire = args[j+1]
			j++
		default:
			return 0, nil, false
		}
	}
	return flags, expire, true
}

// expireArgAt ports getExpireMillisecondsOrReply: the absolute unix ms an
// EX/PX/EXAT/PXAT argument stands for, relative ones counted from c.Now.
func expireArgAt(c *Ctx, arg []byte, flags int, name string) (int64, bool) {
	ms, bad := setExpireAt(arg, flags, c.Now)
	switch bad {
	case expireNotInt:
		c.Err(ErrNotInt)
		return 0, false
	case expireOverflow:
		c.Err(ExpireTimeErr(name))
		return 0, false
	}
	return ms, true
}

// setExpireAt is expireArgAt without the error: why the argument is
// refused (expireWhen's failures), if it is.
func setExpireAt(arg []byte, flags int, now int64) (int64, int) {
	ms, ok := ParseInt(arg)
	if !ok {
		return 0, expireNotInt
	}
	seconds := flags&(setEX|setEXAT) != 0
	if ms <= 0 || seconds && ms > math.MaxInt64/1000 {
		return 0, expireOverflow
	}
	if seconds {
		ms *= 1000
	}
	if flags&(setEX|setPX) != 0 {
		if ms > math.MaxInt64-now {
			return 0, expireOverflow
		}
		ms += now
	}
	return ms, 0
}

func formatMs(ms int64) []byte { return strconv.AppendInt(nil, ms, 10) }

// setGeneric implements SET, SETNX, SETEX and PSETEX. okReply and abortReply
// are written on success and when NX/XX prevent the set (unless GET replied).
// It propagates SET key value [KEEPTTL] or SET key value PXAT <abs>.
func setGeneric(c *Ctx, flags int, key, val, expire []byte, name string, okReply, abortReply func()) {
	var at int64
	if expire != nil {
		var ok bool
		if at, ok = expireArgAt(c, expire, flags, name); !ok {
			return
		}
	}
	if flags&setGet != 0 {
		old, found, ok := getString(c, key)
		if !ok {
			return
		}
		replyString(c, old, found)
	}
	// A plain SET overwrites whatever is there, so it looks the key up only
	// when a condition needs it or an old TTL could have expired it (the
	// lookup then expires it the way Redis does). Skipping the lookup saves
	// a cache-missing map probe on the FSM's hot path.
	if flags&(setNX|setXX) != 0 || len(c.DB.expires) > 0 {
		_, found := c.Lookup(key)
		if flags&setNX != 0 && found || flags&setXX != 0 && !found {
			if flags&setGet == 0 {
				abortReply()
			}
			return
		}
	}
	switch {
	case expire != nil && at <= c.Now:
		// An EXAT/PXAT already in the past: the key would be born expired,
		// so the set amounts to deleting whatever was there.
		existed := c.Delete(key)
		if existed {
			c.Dirty(1)
			c.Propagate(wordDEL, key)
		}
		if c.notify != 0 {
			// Redis stores the key and expires it a moment later.
			if !existed {
				c.Notify(NotifyNew, "new", key)
			}
			c.Notify(NotifyString, "set", key)
			c.Notify(NotifyGeneric, "expire", key)
			c.Notify(NotifyExpired, "expired", key)
		}
	case expire != nil:
		c.Put(key, c.KeepString(val), false)
		c.SetExpire(key, at)
		c.Dirty(1)
		c.Propagate(wordSET, key, val, wordPXAT, formatMs(at))
		c.Notify(NotifyString, "set", key)
		c.Notify(NotifyGeneric, "expire", key)
	case flags&setKeepTTL != 0:
		c.Put(key, c.KeepString(val), true)
		c.Dirty(1)
		c.Propagate(wordSET, key, val, wordKEEPTTL)
		c.Notify(NotifyString, "set", key)
	default:
		c.Put(key, c.KeepString(val), false)
		c.Dirty(1)
		c.Propagate(wordSET, key, val)
		c.Notify(NotifyString, "set", key)
	}
	if flags&setGet == 0 {
		okReply()
	}
}

func setCommand(c *Ctx) {
	flags, expire, ok := parseSetOptions(c, 3, true)
	if !ok {
		return
	}
	setGeneric(c, flags, c.Args[1], c.Args[2], expire, "set", c.R.OK, c.R.Null)
}

func setnxCommand(c *Ctx) {
	setGeneric(c, setNX, c.Args[1], c.Args[2], nil, "setnx",
		func() { c.R.Int(1) }, func() { c.R.Int(0) })
}

func setexCommand(c *Ctx) {
	setGeneric(c, setEX, c.Args[1], c.Args[3], c.Args[2], "setex", c.R.OK, c.R.Null)
}

func psetexCommand(c *Ctx) {
	setGeneric(c, setPX, c.Args[1], c.Args[3], c.Args[2], "psetex", c.R.OK, c.R.Null)
}

// GETSET key value: SET that replies the old value; clears the TTL.
func getsetCommand(c *Ctx) {
	key, val := c.Args[1], c.Args[2]
	old, found, ok := getString(c, key)
	if !ok {
		return
	}
	replyString(c, old, found)
	c.Put(key, c.KeepString(val), false)
	c.Dirty(1)
	c.Propagate(wordSET, key, val)
	c.Notify(NotifyString, "set", key)
}

func getdelCommand(c *Ctx) {
	key := c.Args[1]
	s, found, ok := getString(c, key)
	if !ok {
		return
	}
	replyString(c, s, found)
	if found && c.Delete(key) {
		c.Dirty(1)
		c.Propagate(wordDEL, key)
		c.Notify(NotifyGeneric, "del", key)
	}
}

// GETEX key [EX|PX|EXAT|PXAT t | PERSIST]: propagated as PEXPIREAT, DEL or
// PERSIST, or not at all when nothing changed.
func getexCommand(c *Ctx) {
	flags, expire, ok := parseSetOptions(c, 2, false)
	if !ok {
		return
	}
	key := c.Args[1]
	s, found, ok := getString(c, key)
	if !ok {
		return
	}
	if !found {
		c.R.Null()
		return
	}
	var at int64
	if expire != nil {
		if at, ok = expireArgAt(c, expire, flags, "getex"); !ok {
			return
		}
	}
	c.R.BulkString(s)
	switch {
	case expire != nil && at <= c.Now:
		if c.Delete(key) {
			c.Dirty(1)
			c.Propagate(wordDEL, key)
			c.Notify(NotifyGeneric, "del", key)
		}
	case expire != nil:
		c.SetExpire(key, at)
		c.Dirty(1)
		c.Propagate(wordPEXPIREAT, key, formatMs(at))
		c.Notify(NotifyGeneric, "expire", key)
	case flags&setPersist != 0:
		if c.Persist(key) {
			c.Dirty(1)
			c.Propagate(wordPERSIST, key)
			c.Notify(NotifyGeneric, "persist", key)
		}
	}
}

func msetGeneric(c *Ctx, nx bool, name string) {
	args := c.Args
	if len(args)%2 == 0 {
		c.Err(ArityErr(name))
		return
	}
	if nx {
		for j := 1; j < len(args); j += 2 {
			if _, found := c.Lookup(args[j]); found {
				c.R.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(args); j += 2 {
		c.Put(args[j], c.KeepString(args[j+1]), false)
		c.Notify(NotifyString, "set", args[j])
	}
	c.Dirty((len(args) - 1) / 2)
	if nx {
		c.R.Int(1)
	} else {
		c.R.OK()
	}
}

func msetCommand(c *Ctx)   { msetGeneric(c, false, "mset") }
func msetnxCommand(c *Ctx) { msetGeneric(c, true, "msetnx") }

// MGET replies null for missing keys and for keys of another type.
func mgetCommand(c *Ctx) {
	c.R.Array(len(c.Args) - 1)
	for _, key := range c.Args[1:] {
		v, found := c.Lookup(key)
		s, isStr := viewString(v)
		replyString(c, s, found && isStr)
	}
}

func appendCommand(c *Ctx) {
	key, tail := c.Args[1], c.Args[2]
	old, found, ok := getString(c, key)
	if !ok {
		return
	}
	if !found {
		c.Put(key, string(tail), false)
		c.Dirty(1)
		c.Notify(NotifyString, "append", key)
		c.R.Int(int64(len(tail)))
		return
	}
	total := len(old) + len(tail)
	if total > MaxStringLen {
		c.Err(ErrStringTooLong)
		return
	}
	m, _ := c.unshare(key) // a string: getString said so
	m.b = append(m.b, tail...)
	c.changedInPlace(key, m)
	c.Dirty(1)
	c.Notify(NotifyString, "append", key)
	c.R.Int(int64(total))
}

func strlenCommand(c *Ctx) {
	s, _, ok := getString(c, c.Args[1])
	if ok {
		c.R.Int(int64(len(s)))
	}
}

func getrangeCommand(c *Ctx) {
	start, ok1 := ParseInt(c.Args[2])
	end, ok2 := ParseInt(c.Args[3])
	if !ok1 || !ok2 {
		c.Err(ErrNotInt)
		return
	}
	s, _, ok := getString(c, c.Args[1])
	if !ok {
		return
	}
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.R.BulkString("")
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.R.BulkString("")
		return
	}
	c.R.BulkString(s[start : end+1])
}

func setrangeCommand(c *Ctx) {
	key, val := c.Args[1], c.Args[3]
	offset, ok := ParseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if offset < 0 {
		c.Err("ERR offset is out of range")
		return
	}
	old, found, ok := getString(c, key)
	if !ok {
		return
	}
	if len(val) == 0 {
		c.R.Int(int64(len(old))) // 0 for a missing key, which stays missing
		return
	}
	if offset > int64(MaxStringLen-len(val)) {
		c.Err(ErrStringTooLong)
		return
	}
	end := int(offset) + len(val)
	if !found {
		b := make([]byte, end)
		copy(b[offset:], val)
		c.Put(key, newMutString(b), false)
		c.Dirty(1)
		c.Notify(NotifyString, "setrange", key)
		c.R.Int(int64(end))
		return
	}
	m, _ := c.unshare(key) // a string: getString said so
	m.grow(end)
	copy(m.b[offset:], val)
	c.changedInPlace(key, m)
	c.Dirty(1)
	c.Notify(NotifyString, "setrange", key)
	c.R.Int(int64(len(m.b)))
}

// incrDecr adds incr to the integer at key (0 if missing), keeping its TTL.
func incrDecr(c *Ctx, incr int64) {
	key := c.Args[1]
	s, found, ok := getString(c, key)
	if !ok {
		return
	}
	var value int64
	if found {
		if value, ok = parseIntString(s); !ok {
			c.Err(ErrNotInt)
			return
		}
	}
	if incr < 0 && value < 0 && incr < math.MinInt64-value ||
		incr > 0 && value > 0 && incr > math.MaxInt64-value {
		c.Err(ErrOverflow)
		return
	}
	value += incr
	c.Put(key, strconv.FormatInt(value, 10), true)
	c.Dirty(1)
	c.Notify(NotifyString, "incrby", key)
	c.R.Int(value)
}

func incrCommand(c *Ctx) { incrDecr(c, 1) }
func decrCommand(c *Ctx) { incrDecr(c, -1) }

func incrbyCommand(c *Ctx) {
	incr, ok := ParseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	incrDecr(c, incr)
}

func decrbyCommand(c *Ctx) {
	decr, ok := ParseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if decr == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	incrDecr(c, -decr)
}

// INCRBYFLOAT emulates Redis' long double arithmetic (64-bit mantissa,
// round to nearest even) and "%.17Lf" formatting, and propagates the result
// as SET key <result> KEEPTTL so every replay stores the same bytes.
func incrbyfloatCommand(c *Ctx) {
	key := c.Args[1]
	s, found, ok := getString(c, key)
	if !ok {
		return
	}
	value := newLongDouble()
	if found {
		if value, ok = ParseLongDouble([]byte(s)); !ok {
			c.Err(ErrNotFloat)
			return
		}
	}
	incr, ok := ParseLongDouble(c.Args[2])
	if !ok {
		c.Err(ErrNotFloat)
		return
	}
	if value.IsInf() || incr.IsInf() { // inf + x, or inf - inf (NaN)
		c.Err(ErrNaNOrInf)
		return
	}
	sum := newLongDouble().Add(value, incr)
	if !LongDoubleInRange(sum) {
		c.Err(ErrNaNOrInf)
		return
	}
	res := FormatLongDouble(sum)
	c.Put(key, res, true)
	c.Dirty(1)
	c.Notify(NotifyString, "incrbyfloat", key)
	c.R.BulkString(res)
	c.Propagate(wordSET, key, []byte(res), wordKEEPTTL)
}
