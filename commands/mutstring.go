package commands

import "unsafe"

// mutString is a string value that commands change in place: SETBIT,
// SETRANGE, APPEND, BITFIELD, PFADD, PFMERGE and PFCOUNT's cache. Copying a
// 12 KB dense HyperLogLog twice for each PFADD cost more than the rest of
// the command; Redis changes its sds in place too. Such a value is what
// OBJECT ENCODING calls "raw", as Redis' unshared strings are.
//
// Every other reader sees it as a string: asString (a copy the caller may
// keep) or viewString (no copy: for replies and computations done before
// the value can change again). A change in place follows unshare, which
// saves the before-image for a snapshot in progress and the script journal
// (cloneValue copies the bytes), and ends with changedInPlace, which
// accounts the new size and tells WATCH and client tracking.
type mutString struct {
	b    []byte
	acct int64 // selfAccounted: what the key adds to db.used
}

func newMutString(b []byte) *mutString { return &mutString{b: b} }

func (m *mutString) acctBytes() int64     { return m.acct }
func (m *mutString) setAcctBytes(n int64) { m.acct = n }

func (m *mutString) clone() *mutString {
	return &mutString{b: append([]byte(nil), m.b...), acct: m.acct}
}

// grow lengthens the value with zero bytes to n bytes, if shorter.
func (m *mutString) grow(n int) {
	if n > len(m.b) {
		m.b = append(m.b, make([]byte, n-len(m.b))...)
	}
}

// view is the current bytes as a string, valid until the next change.
func (m *mutString) view() string { return unsafe.String(unsafe.SliceData(m.b), len(m.b)) }

// asString returns v as a string when it holds one; a mutString's bytes are
// copied, so the result stays as it is whatever happens to the value.
func asString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case *mutString:
		return string(v.b), true
	}
	return "", false
}

// viewString is asString without the copy: the result of a mutString must
// not outlive the command nor be stored anywhere.
func viewString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case *mutString:
		return v.view(), true
	}
	return "", false
}

// isStringValue reports whether v is a string in either representation.
func isStringValue(v any) bool {
	switch v.(type) {
	case string, *mutString:
		return true
	}
	return false
}

// unshare looks key up as a string to change in place, like Redis'
// dbUnshareStringValue: a plain string is replaced by a mutString copy (no
// change a client can see but OBJECT ENCODING's "raw"), and the value's
// before-image is saved for a snapshot in progress and the script journal.
// m is nil for a missing key; ok is false, with WRONGTYPE written, for
// another type. WATCH is not told: the caller calls changedInPlace once it
// has changed something (Redis signals only real changes).
func (c *Ctx) unshare(key []byte) (m *mutString, ok bool) {
	v, found := c.Lookup(key)
	if !found {
		return nil, true
	}
	if !isStringValue(v) {
		c.WrongType()
		return nil, false
	}
	return c.unshareFound(key, v), true
}

// unshareFound is unshare of v, the string value Lookup found at key.
func (c *Ctx) unshareFound(key []byte, v any) *mutString {
	db := c.DB
	if m, ok := v.(*mutString); ok {
		if db.store.snap != nil {
			db.store.snap.save(db, string(key))
		}
		if db.store.journal != nil {
			db.store.journal.save(db, string(key))
		}
		return m
	}
	m := newMutString([]byte(v.(string)))
	db.replaceQuiet(string(key), m)
	return m
}

// changedInPlace records a change of key's value m made in place: its size
// in db.used (measured here, from the key's length, rather than by
// SettleMemory, which would need the key as a string), and a touch for
// WATCH and client tracking.
func (c *Ctx) changedInPlace(key []byte, m *mutString) {
	n := int64(sdsAlloc(len(key))+dictEntrySize) + stringValueAcct(m.view())
	c.DB.used += n - m.acct
	m.acct = n
	if w := c.DB.store.Watches; w != nil && w.Active() {
		w.Touch(c.DB.ID, string(key), false)
	}
}

// replaceQuiet is set without telling WATCH: for a new representation of
// the same value. The TTL stays.
func (db *DB) replaceQuiet(key string, v any) {
	db.store.snap.save(db, key)
	db.store.journal.save(db, key)
	old, had := db.keys[key]
	db.account(key, old, had, v)
	db.keys[key] = v
}
