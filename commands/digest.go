package commands

import "hash/fnv"

// Digest fingerprints a key's value and expiry; 0 means "no such key". WATCH
// records it and EXEC, inside the FSM, compares it with the key's digest at
// that point of the log, so every node decides the same way.
func Digest(v any, expireAt int64) uint64 {
	if v == nil {
		return 0
	}
	h := fnv.New64a()
	h.Write(AppendRewrite(nil, "", v, expireAt))
	d := h.Sum64()
	if d == 0 {
		d = 1
	}
	return d
}

// KeyDigest is Digest of key's live value in db at time now (an expired key
// counts as missing).
func KeyDigest(db *DB, key string, now int64) uint64 {
	v, at, ok := db.Peek(key)
	if !ok || at > 0 && at <= now {
		return 0
	}
	return Digest(v, at)
}
