package commands

// Collection is implemented by every non-string value type (list today;
// hash, set and sorted set plug in the same way). Shared code — TYPE,
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
func (l *List) Encoding() string {
	if listpackFits(l) {
		return "listpack"
	}
	return "quicklist"
}
