package commands

// Collection is implemented by every non-string value type (list, hash, set,
// sorted set, and any new type the same way). Shared code — TYPE,
// OBJECT ENCODING, snapshots and AOF rewrites — works through it, so a new
// type lives entirely in its own files.
type Collection interface {
	// TypeName is what TYPE reports ("list", "hash", ...).
	TypeName() string
	// Encoding is what OBJECT ENCODING reports, as Redis would for this size.
	Encoding() string
	// CloneValue returns a deep copy that later in-place changes don't affect
	// (a snapshot's before-image).
	CloneValue() Collection
	// AppendRewrite appends commands that recreate the value under key, in a
	// form a stock redis-server loads (RPUSH, HSET, SADD, ZADD ... in batches).
	AppendRewrite(buf []byte, key string) []byte
}

func (l *List) TypeName() string                            { return "list" }
func (l *List) CloneValue() Collection                      { return l.Clone() }
func (l *List) AppendRewrite(buf []byte, key string) []byte { return l.appendRewrite(buf, key) }
func (l *List) Encoding() string                            { return "quicklist" } // Redis 7.0 has no listpack lists

// lookupAs looks key up as a value of type T (*List, *Hash, ...). v is the
// zero value when the key is missing; ok is false, with WRONGTYPE already
// written, when it holds another type. update uses LookupForUpdate, for a
// handler that may change the value in place.
func lookupAs[T any](c *Ctx, key []byte, update bool) (v T, ok bool) {
	var raw any
	var found bool
	if update {
		raw, found = c.LookupForUpdate(key)
	} else {
		raw, found = c.Lookup(key)
	}
	if !found {
		return v, true
	}
	v, ok = raw.(T)
	if !ok {
		c.WrongType()
	}
	return v, ok
}
