package commands

import (
	"strconv"

	"github.com/geomys/geomys/resp"
)

// rewriteBatch is how many elements one rewritten command carries, as Redis'
// AOF_REWRITE_ITEMS_PER_CMD.
const rewriteBatch = 64

// emitFull emits a rewritten command once its arguments (name and key, then
// elements) number full, and keeps the name and key for the next one.
func emitFull(buf []byte, args []string, full int) ([]byte, []string) {
	if len(args) >= full {
		buf = resp.AppendCommand(buf, args...)
		args = args[:2]
	}
	return buf, args
}

// emitRest emits the last rewritten command, if it has any element.
func emitRest(buf []byte, args []string) []byte {
	if len(args) > 2 {
		buf = resp.AppendCommand(buf, args...)
	}
	return buf
}

// AppendRewrite appends the commands that recreate key with value v (and its
// absolute expiry, 0 for none) to buf, in a form a stock redis-server loads.
func AppendRewrite(buf []byte, key string, v any, expireAt int64) []byte {
	switch v := v.(type) {
	case string:
		buf = resp.AppendCommand(buf, "SET", key, v)
	case *mutString:
		buf = resp.AppendCommand(buf, "SET", key, v.view())
	case Collection:
		buf = v.AppendRewrite(buf, key)
	default:
		panic("rewrite: unknown value type")
	}
	return appendExpireAt(buf, key, expireAt)
}

// appendExpireAt appends the PEXPIREAT of a key with a TTL.
func appendExpireAt(buf []byte, key string, expireAt int64) []byte {
	if expireAt > 0 {
		buf = resp.AppendCommand(buf, "PEXPIREAT", key, strconv.FormatInt(expireAt, 10))
	}
	return buf
}

// cloneValue returns a copy of v that later in-place changes to v don't affect.
func cloneValue(v any) any {
	switch v := v.(type) {
	case Collection:
		return v.CloneValue()
	case *mutString:
		return v.clone()
	}
	return v // plain strings are immutable
}
