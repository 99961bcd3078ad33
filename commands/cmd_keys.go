package commands

import (
	"bytes"
	"math"
	"strings"

	"github.com/geomys/geomys/rdb"
)

func init() {
	register(
		&Command{Name: "del", Keys: "RM delete index=1 range=-1,1,0", Tips: "request_policy:multi_shard response_policy:agg_sum", Complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", Arity: -2, Flags: Write, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Deletes one or more keys.", Args: "key [key ...]", Handler: delCommand, Noop: delNoop},
		&Command{Name: "unlink", Keys: "RM delete index=1 range=-1,1,0", Tips: "request_policy:multi_shard response_policy:agg_sum", Complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", Arity: -2, Flags: Write | Fast, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "4.0.0",
			Summary: "Asynchronously deletes one or more keys.", Args: "key [key ...]", Handler: unlinkCommand, Noop: delNoop},
		&Command{Name: "exists", Keys: "RO index=1 range=-1,1,0", Tips: "request_policy:multi_shard response_policy:agg_sum", Complexity: "O(N) where N is the number of keys to check.", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Determines whether one or more keys exist.", Args: "key [key ...]", Handler: existsCommand},
		&Command{Name: "touch", Keys: "RO index=1 range=-1,1,0", Tips: "request_policy:multi_shard response_policy:agg_sum", Complexity: "O(N) where N is the number of keys that will be touched.", Arity: -2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: -1, Step: 1, Group: "generic", Since: "3.2.1",
			Summary: "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
			Args:    "key [key ...]", Handler: touchCommand},
		&Command{Name: "type", Keys: "RO index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Determines the type of value stored at a key.", Args: "key", Handler: typeCommand},
		&Command{Name: "expire", Keys: "RW update index=1", Complexity: "O(1)", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Sets the expiration time of a key in seconds.", Args: "key seconds [NX | XX | GT | LT]", Handler: expireCommand, Noop: expireNoop},
		&Command{Name: "pexpire", Keys: "RW update index=1", Complexity: "O(1)", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Sets the expiration time of a key in milliseconds.", Args: "key milliseconds [NX | XX | GT | LT]",
			Handler: pexpireCommand, Noop: expireNoop},
		&Command{Name: "expireat", Keys: "RW update index=1", Complexity: "O(1)", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.2.0",
			Summary: "Sets the expiration time of a key to a Unix timestamp.", Args: "key unix-time-seconds [NX | XX | GT | LT]",
			Handler: expireatCommand, Noop: expireNoop},
		&Command{Name: "pexpireat", Keys: "RW update index=1", Complexity: "O(1)", Arity: -3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.",
			Args:    "key unix-time-milliseconds [NX | XX | GT | LT]", Handler: pexpireatCommand, Noop: expireNoop},
		&Command{Name: "ttl", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Returns the expiration time in seconds of a key.", Args: "key", Handler: ttlCommand},
		&Command{Name: "pttl", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Returns the expiration time in milliseconds of a key.", Args: "key", Handler: pttlCommand},
		&Command{Name: "expiretime", Keys: "RO access index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0",
			Summary: "Returns the expiration time of a key as a Unix timestamp.", Args: "key", Handler: expiretimeCommand},
		&Command{Name: "pexpiretime", Keys: "RO access index=1", Complexity: "O(1)", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0",
			Summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.", Args: "key", Handler: pexpiretimeCommand},
		&Command{Name: "persist", Keys: "RW update index=1", Complexity: "O(1)", Arity: 2, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.2.0",
			Summary: "Removes the expiration time of a key.", Args: "key", Handler: persistCommand, Noop: persistNoop},
		&Command{Name: "keys", Tips: "request_policy:all_shards nondeterministic_output_order", Complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", Arity: 2, Flags: ReadOnly, Group: "generic", Since: "1.0.0",
			Summary: "Returns all key names that match a pattern.", Args: "pattern", Handler: keysCommand},
		&Command{Name: "scan", Tips: "nondeterministic_output request_policy:special", Complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", Arity: -2, Flags: ReadOnly, Group: "generic", Since: "2.8.0",
			Summary: "Iterates over the key names in the database.", Args: "cursor [MATCH pattern] [COUNT count] [TYPE type]",
			Handler: scanCommand},
		&Command{Name: "randomkey", Tips: "request_policy:all_shards nondeterministic_output", Complexity: "O(1)", Arity: 1, Flags: ReadOnly, Group: "generic", Since: "1.0.0",
			Summary: "Returns a random key name from the database.", Handler: randomkeyCommand},
		&Command{Name: "rename", Keys: "RW access delete index=1; OW update index=2", Complexity: "O(1)", Arity: 3, Flags: Write, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Renames a key and overwrites the destination.", Args: "key newkey", Handler: renameCommand},
		&Command{Name: "renamenx", Keys: "RW access delete index=1; OW insert index=2", Complexity: "O(1)", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Renames a key only when the target key name doesn't exist.", Args: "key newkey", Handler: renamenxCommand},
		&Command{Name: "copy", Keys: "RO access index=1; OW update index=2", Complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", Arity: -3, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: "generic", Since: "6.2.0",
			Summary: "Copies the value of a key to a new key.", Args: "source destination [DB destination-db] [REPLACE]",
			Handler: copyCommand},
		&Command{Name: "move", Keys: "RW access update index=1", Complexity: "O(1)", Arity: 3, Flags: Write | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Moves a key to another database.", Args: "key db", Handler: moveCommand},
		// OBJECT is a container command in Redis, which COMMAND INFO lists with
		// no flags and no key positions (0 0 0); its subcommands are read-only
		// and take the key at argv[2]. It is marked ReadOnly here so it is
		// served locally.
		&Command{Name: "object", Hidden: ReadOnly, Complexity: "Depends on subcommand.", Arity: -2, Flags: ReadOnly, Group: "generic", Since: "2.2.3",
			Summary: "A container for object introspection commands.", Args: "<ENCODING | FREQ | IDLETIME | REFCOUNT | HELP> [key]",
			Handler: objectCommand},
		&Command{Name: "dbsize", Tips: "request_policy:all_shards response_policy:agg_sum", Complexity: "O(1)", Arity: 1, Flags: ReadOnly | Fast, Group: "server", Since: "1.0.0",
			Summary: "Returns the number of keys in the database.", Handler: dbsizeCommand},
		&Command{Name: "flushdb", Tips: "request_policy:all_shards response_policy:all_succeeded", Complexity: "O(N) where N is the number of keys in the selected database", Arity: -1, Flags: Write, Group: "server", Since: "1.0.0",
			Summary: "Removes all keys from the current database.", Args: "[ASYNC | SYNC]", Handler: flushdbCommand},
		&Command{Name: "flushall", Tips: "request_policy:all_shards response_policy:all_succeeded", Complexity: "O(N) where N is the total number of keys in all databases", Arity: -1, Flags: Write, Group: "server", Since: "1.0.0",
			Summary: "Removes all keys from all databases.", Args: "[ASYNC | SYNC]", Handler: flushallCommand},
	)
}

// TypeName is what TYPE (and SCAN's TYPE filter) calls a value's type.
func TypeName(v any) string {
	switch v := v.(type) {
	case string, *mutString:
		return "string"
	case Collection:
		return v.TypeName()
	case nil:
		return "none"
	}
	return "unknown"
}

// signalIn is Ctx.Signal for a key in another database (MOVE, COPY ... DB).
func signalIn(c *Ctx, db *DB, key []byte) { c.SignalIn(db, string(key)) }

// signalIfList wakes clients blocked on key when a list, sorted set or
// stream lands there.
func signalIfList(c *Ctx, db *DB, key []byte, v any) {
	switch v.(type) {
	case *List, *ZSet, *Stream:
		signalIn(c, db, key)
	}
}

// DEL and UNLINK (memory is reclaimed by the Go GC either way). Propagated as
// received when anything was deleted.
func delCommand(c *Ctx) {
	n := 0
	for _, key := range c.Args[1:] {
		if c.Delete(key) {
			n++
			c.Notify(NotifyGeneric, "del", key)
		}
	}
	c.Dirty(n)
	c.R.Int(int64(n))
}

// EXISTS and TOUCH count every argument naming a live key, repeats included.
func existsCommand(c *Ctx) {
	n := 0
	for _, key := range c.Args[1:] {
		if _, found := c.LookupNoTouch(key); found {
			n++
		}
	}
	c.R.Int(int64(n))
}

// touchCommand is EXISTS that counts as an access to each key.
func touchCommand(c *Ctx) {
	n := 0
	for _, key := range c.Args[1:] {
		if _, found := c.Lookup(key); found {
			n++
		}
	}
	c.R.Int(int64(n))
}

func typeCommand(c *Ctx) {
	v, _ := c.LookupNoTouch(c.Args[1])
	c.R.Simple(TypeName(v))
}

// --- expiry ---

const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags ports parseExtendedExpireArgumentsOrReply.
func parseExpireFlags(c *Ctx) (int, bool) {
	flags, msg := expireFlags(c.Args[3:])
	if msg != "" {
		c.Err(msg)
		return 0, false
	}
	return flags, true
}

// expireFlags reads EXPIRE's NX | XX | GT | LT, or the error Redis gives.
func expireFlags(opts [][]byte) (int, string) {
	flags := 0
	for _, opt := range opts {
		switch {
		case EqualFold(opt, "nx"):
			flags |= expireNX
		case EqualFold(opt, "xx"):
			flags |= expireXX
		case EqualFold(opt, "gt"):
			flags |= expireGT
		case EqualFold(opt, "lt"):
			flags |= expireLT
		default:
			return 0, "ERR Unsupported option " + cString(opt)
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		return 0, "ERR NX and XX, GT or LT options at the same time are not compatible"
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		return 0, "ERR GT and LT options at the same time are not compatible"
	}
	return flags, ""
}

// expireGeneric implements EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: basetime
// is c.Now for the relative forms, unitMs 1000 for seconds. It propagates
// PEXPIREAT key <abs>, or DEL key when the time is already past.
func expireGeneric(c *Ctx, basetime, unitMs int64, name string) {
	flags, ok := parseExpireFlags(c)
	if !ok {
		return
	}
	key := c.Args[1]
	when, bad := expireWhen(c.Args[2], basetime, unitMs)
	switch bad {
	case expireNotInt:
		c.Err(ErrNotInt)
		return
	case expireOverflow:
		c.Err(ExpireTimeErr(name))
		return
	}
	if _, found := c.Lookup(key); !found {
		c.R.Int(0)
		return
	}
	if flags != 0 {
		cur, has := c.TTL(key)
		if flags&expireNX != 0 && has ||
			flags&expireXX != 0 && !has ||
			flags&expireGT != 0 && (!has || when <= cur) || // no TTL counts as infinite
			flags&expireLT != 0 && has && when >= cur {
			c.R.Int(0)
			return
		}
	}
	if when <= c.Now {
		c.Delete(key)
		c.Dirty(1)
		c.Propagate(wordDEL, key)
		c.Notify(NotifyGeneric, "del", key)
		c.R.Int(1)
		return
	}
	c.SetExpire(key, when)
	c.Dirty(1)
	c.Propagate(wordPEXPIREAT, key, formatMs(when))
	c.Notify(NotifyGeneric, "expire", key)
	c.R.Int(1)
}

// expireWhen's failures.
const (
	expireNotInt = iota + 1
	expireOverflow
)

// expireWhen is EXPIRE's time argument in absolute ms, or why it is not.
func expireWhen(arg []byte, basetime, unitMs int64) (when int64, bad int) {
	when, ok := ParseInt(arg)
	if !ok {
		return 0, expireNotInt
	}
	if unitMs == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return 0, expireOverflow
		}
		when *= 1000
	}
	if when > math.MaxInt64-basetime {
		return 0, expireOverflow
	}
	return when + basetime, 0
}

func expireCommand(c *Ctx)    { expireGeneric(c, c.Now, 1000, "expire") }
func pexpireCommand(c *Ctx)   { expireGeneric(c, c.Now, 1, "pexpire") }
func expireatCommand(c *Ctx)  { expireGeneric(c, 0, 1000, "expireat") }
func pexpireatCommand(c *Ctx) { expireGeneric(c, 0, 1, "pexpireat") }

// ttlGeneric implements TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a
// missing key, -1 for no TTL; seconds are rounded to nearest like Redis.
func ttlGeneric(c *Ctx, ms, abs bool) {
	key := c.Args[1]
	if _, found := c.LookupNoTouch(key); !found {
		c.R.Int(-2)
		return
	}
	at, has := c.TTL(key)
	if !has {
		c.R.Int(-1)
		return
	}
	ttl := at
	if !abs {
		ttl = max(at-c.Now, 0)
	}
	if !ms {
		// ttl >= 0; unsigned like the code gcc emits for Redis, so that a
		// PEXPIRETIME near 2^63 rounds up instead of overflowing.
		ttl = int64((uint64(ttl) + 500) / 1000)
	}
	c.R.Int(ttl)
}

func ttlCommand(c *Ctx)         { ttlGeneric(c, false, false) }
func pttlCommand(c *Ctx)        { ttlGeneric(c, true, false) }
func expiretimeCommand(c *Ctx)  { ttlGeneric(c, false, true) }
func pexpiretimeCommand(c *Ctx) { ttlGeneric(c, true, true) }

func persistCommand(c *Ctx) {
	key := c.Args[1]
	if _, found := c.Lookup(key); found && c.Persist(key) {
		c.Dirty(1)
		c.Notify(NotifyGeneric, "persist", key)
		c.R.Int(1)
		return
	}
	c.R.Int(0)
}

// --- keyspace walks: reads that never change the dataset ---

// KEYS pattern. Keys whose TTL has passed are skipped, not deleted.
func keysCommand(c *Ctx) {
	pattern := string(c.Args[1])
	all := pattern == "*"
	var out []string
	for k := range c.DB.keys {
		if !all && !GlobMatch(pattern, k, false) {
			continue
		}
		if _, ok := liveValue(c.DB, k, c.Now); ok {
			out = append(out, k)
		}
	}
	c.R.Array(len(out))
	for _, k := range out {
		c.R.BulkString(k)
	}
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]; see scan.go for the
// cursor design. An unknown TYPE matches nothing, as in Redis 7.
func scanCommand(c *Ctx) {
	cursor, ok := ParseCursor(c.Args[1])
	if !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	count := int64(10)
	var pattern, typ string
	usePattern, useType := false, false
	args := c.Args
	for i := 2; i < len(args); i += 2 {
		more := len(args) - i
		switch {
		case EqualFold(args[i], "count") && more >= 2:
			n, ok := ParseInt(args[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n < 1 {
				c.SyntaxErr()
				return
			}
			count = n
		case EqualFold(args[i], "match") && more >= 2:
			pattern = string(args[i+1])
			usePattern = pattern != "*"
		case EqualFold(args[i], "type") && more >= 2:
			typ = string(args[i+1])
			useType = true
		default:
			c.SyntaxErr()
			return
		}
	}
	batch, next := scanStep(c, cursor, int(min(count, math.MaxInt32)))
	keys := make([]string, 0, len(batch))
	for _, e := range batch {
		v, ok := c.DB.keys[e.key]
		if ok && c.DB.expired(e.key, c.Now) {
			// Redis' SCAN deletes the expired keys of the buckets it walks.
			c.MetExpired(c.DB, e.key)
			ok = false
		}
		if !ok ||
			usePattern && !GlobMatch(pattern, e.key, false) ||
			useType && !strings.EqualFold(TypeName(v), typ) {
			continue
		}
		keys = append(keys, e.key)
	}
	c.R.Array(2)
	c.R.BulkString(formatCursor(next))
	c.R.Array(len(keys))
	for _, k := range keys {
		c.R.BulkString(k)
	}
}

func formatCursor(n uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(buf[i:])
		}
	}
}

// RANDOMKEY returns a live key or null. Go's map iteration starts at a
// random place, which is all the randomness a node-local read needs. Keys
// whose TTL has passed are skipped; on the read path they are then deleted
// through the log (MetExpired), as Redis deletes each expired key RANDOMKEY
// picks before picking again.
func randomkeyCommand(c *Ctx) {
	for k := range c.DB.keys {
		if _, ok := liveValue(c.DB, k, c.Now); ok {
			c.R.BulkString(k)
			return
		}
		c.MetExpired(c.DB, k)
	}
	c.R.Null()
}

// DBSIZE counts keys whose TTL passed but which the log has not deleted yet,
// like Redis.
func dbsizeCommand(c *Ctx) { c.R.Int(int64(c.DB.Len())) }

// --- renaming and copying ---

func renameGeneric(c *Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	v, found := c.Lookup(src)
	if !found {
		c.Err(ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.R.Int(0)
		} else {
			c.R.OK()
		}
		return
	}
	at, hasTTL := c.TTL(src)
	if _, exists := c.Lookup(dst); exists {
		if nx {
			c.R.Int(0)
			return
		}
		c.Delete(dst)
	}
	c.Put(dst, v, false)
	if hasTTL {
		c.SetExpire(dst, at)
	}
	c.Delete(src)
	signalIfList(c, c.DB, dst, v)
	c.Dirty(1)
	c.Notify(NotifyGeneric, "rename_from", src)
	c.Notify(NotifyGeneric, "rename_to", dst)
	if nx {
		c.R.Int(1)
	} else {
		c.R.OK()
	}
}

func renameCommand(c *Ctx)   { renameGeneric(c, false) }
func renamenxCommand(c *Ctx) { renameGeneric(c, true) }

// MOVE key db keeps the key's TTL; the command as received is deterministic.
func moveCommand(c *Ctx) {
	key := c.Args[1]
	dst, ok := parseDBIndex(c, c.Args[2])
	if !ok {
		return
	}
	if dst == c.DB {
		c.Err(ErrSameObject)
		return
	}
	v, found := c.Lookup(key)
	if !found {
		c.R.Int(0)
		return
	}
	at, hasTTL := c.TTL(key)
	if _, exists := c.LookupIn(dst, key); exists {
		c.R.Int(0)
		return
	}
	c.PutIn(dst, key, v, false)
	if hasTTL {
		dst.setExpire(string(key), at)
	}
	c.Delete(key)
	signalIfList(c, dst, key, v)
	c.Dirty(1)
	c.Notify(NotifyGeneric, "move_from", key)
	c.NotifyIn(dst, NotifyGeneric, "move_to", key)
	c.R.Int(1)
}

// COPY source destination [DB n] [REPLACE] copies the value and its TTL.
func copyCommand(c *Ctx) {
	args := c.Args
	src, newkey := args[1], args[2]
	dst := c.DB
	replace := false
	for j := 3; j < len(args); j++ {
		switch {
		case EqualFold(args[j], "replace"):
			replace = true
		case EqualFold(args[j], "db") && j+1 < len(args):
			db, ok := parseDBIndex(c, args[j+1])
			if !ok {
				return
			}
			dst = db
			j++
		default:
			c.SyntaxErr()
			return
		}
	}
	if dst == c.DB && bytes.Equal(src, newkey) {
		c.Err(ErrSameObject)
		return
	}
	v, found := c.Lookup(src)
	if !found {
		c.R.Int(0)
		return
	}
	at, hasTTL := c.TTL(src)
	if _, exists := c.LookupIn(dst, newkey); exists {
		if !replace {
			c.R.Int(0)
			return
		}
		c.DeleteIn(dst, newkey)
	}
	nv := cloneValue(v)
	c.PutIn(dst, newkey, nv, false)
	if hasTTL {
		dst.setExpire(string(newkey), at)
	}
	signalIfList(c, dst, newkey, nv)
	c.Dirty(1)
	c.NotifyIn(dst, NotifyGeneric, "copy_to", newkey)
	c.R.Int(1)
}

// --- OBJECT ---

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.", // redis-server 7.0's wording (7.2 says "Print")
}

const errNoLFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
	"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

// objectCommand answers like Redis with its default configuration
// (maxmemory-policy noeviction, so FREQ is refused). IDLETIME comes from the
// node-local access times (access.go); OBJECT itself is not an access.
func objectCommand(c *Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	switch sub {
	case "help":
		if len(c.Args) != 2 {
			c.Err(ArityErr("object|help"))
			return
		}
		c.R.Array(len(objectHelp))
		for _, line := range objectHelp {
			c.R.Simple(line)
		}
		return
	case "encoding", "freq", "idletime", "refcount":
	default:
		c.Err("ERR unknown subcommand '" + truncate(cString(c.Args[1]), 128) + "'. Try OBJECT HELP.")
		return
	}
	if len(c.Args) != 3 {
		c.Err(ArityErr("object|" + sub))
		return
	}
	v, found := c.Peek(c.Args[2])
	if !found {
		c.R.Null()
		return
	}
	switch sub {
	case "encoding":
		c.R.BulkString(ObjectEncoding(v))
	case "freq":
		if !LFU() {
			c.Err(errNoLFU)
			return
		}
		c.R.Int(c.DB.access.freq(c.Args[2], c.Now))
	case "idletime":
		if LFU() {
			c.Err(errNoLRU)
			return
		}
		c.R.Int(c.DB.access.idle(c.Args[2], c.Now))
	case "refcount":
		c.R.Int(objectRefcount(v))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ObjectEncoding is the encoding Redis would report for v. Strings follow
// tryObjectEncoding (an integer that fits 64 bits is "int", up to 44 bytes
// "embstr", else "raw"; a string changed in place by APPEND, SETRANGE, SETBIT,
// PFADD ... is a mutString, "raw" as in Redis). Lists are always
// "quicklist", as in Redis 7.0.
func ObjectEncoding(v any) string {
	switch v := v.(type) {
	case *mutString:
		return "raw" // changed in place, as Redis' unshared strings
	case string:
		if _, ok := parseIntString(v); ok {
			return "int"
		}
		if len(v) <= 44 {
			return "embstr"
		}
		return "raw"
	case Collection:
		return v.Encoding()
	}
	return "unknown"
}

// QuicklistInfo is what DEBUG OBJECT shows of a list's quicklist in Redis
// 7.0: its node count and their listpack bytes, as Redis fills nodes when
// the list is pushed at one end (_quicklistNodeAllowInsert under
// list-max-listpack-size, rdb.QuicklistFits). A listpack takes 6 header bytes and a terminator.
func QuicklistInfo(l *List) (nodes, bytes int, fill int) {
	fill = listMaxListpackSize()
	const empty = 7
	node, count := 0, 0
	for i := 0; i < l.Len(); i++ {
		e := l.At(i)
		if node > 0 {
			if !rdb.QuicklistFits(node, count, len(e), fill) {
				bytes += node
				node, count = 0, 0
			}
		}
		if node == 0 {
			nodes++
			node = empty
		}
		node += lpEntrySize(e)
		count++
	}
	return nodes, bytes + node, fill
}

// objectRefcount: Redis shares the integers 0..9999 (refcount INT_MAX).
func objectRefcount(v any) int64 {
	if s, ok := v.(string); ok {
		if n, ok := parseIntString(s); ok && n >= 0 && n < 10000 {
			return math.MaxInt32
		}
	}
	return 1
}

// --- flushing ---

// parseFlushMode accepts FLUSHDB/FLUSHALL [ASYNC | SYNC]; memory is
// reclaimed by the Go GC either way.
func parseFlushMode(c *Ctx) bool {
	switch {
	case len(c.Args) == 1:
	case len(c.Args) == 2 && (EqualFold(c.Args[1], "async") || EqualFold(c.Args[1], "sync")):
	default:
		c.SyntaxErr()
		return false
	}
	return true
}

// FLUSHDB and FLUSHALL are always propagated, even on an empty dataset, as
// Redis forces their propagation.
func flushdbCommand(c *Ctx) {
	if !parseFlushMode(c) {
		return
	}
	if isAsyncFlush(c) {
		c.Store.LazyfreedObjects += int64(c.DB.Len())
	}
	c.FlushDB()
	c.Dirty(1)
	c.R.OK()
}

func flushallCommand(c *Ctx) {
	if !parseFlushMode(c) {
		return
	}
	if isAsyncFlush(c) {
		for _, db := range c.Store.DBs {
			c.Store.LazyfreedObjects += int64(db.Len())
		}
	}
	c.FlushAll()
	c.Dirty(1)
	c.R.OK()
}
