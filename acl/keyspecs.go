package acl

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

// keySpecPerms are the key permissions Redis 7.0's key specs give the
// commands whose keys do not all need what their read or write flag says:
// one word per key spec, in order ("R" ACCESS, "W" INSERT/UPDATE/DELETE,
// "RW" both, "-" neither: any pattern that matches the key will do); the
// last word covers the remaining keys. Taken from redis-server 7.0's
// COMMAND INFO (the end-to-end test compares ACL DRYRUN with it); once the
// command table has key specs this table derives from them.
var keySpecPerms = map[string]string{
	"append": "W", "bitop": "W R", "blmove": "RW W", "brpoplpush": "RW W", "copy": "R W", "del": "W",
	"exists": "-", "expire": "W", "expireat": "W", "geoadd": "W", "georadius": "R W W",
	"georadiusbymember": "R W W", "geosearchstore": "W R", "hdel": "W", "hexists": "-", "hlen": "-",
	"hmset": "W", "hset": "W", "hsetnx": "W", "hstrlen": "-", "linsert": "W", "llen": "-", "lmove": "RW W",
	"lpush": "W", "lpushx": "W", "lrem": "W", "lset": "W", "ltrim": "W", "memory|usage": "-", "mset": "W",
	"msetnx": "W", "object|encoding": "-", "object|freq": "-", "object|idletime": "-", "object|refcount": "-",
	"persist": "W", "pexpire": "W", "pexpireat": "W", "pfadd": "W", "pfdebug": "R", "pfmerge": "RW R",
	"psetex": "W", "rename": "RW W", "renamenx": "RW W", "restore": "W", "rpoplpush": "RW W", "rpush": "W",
	"rpushx": "W", "sadd": "W", "scard": "-", "sdiffstore": "W R", "setex": "W", "setnx": "W", "setrange": "W",
	"sinterstore": "W R", "sismember": "-", "smove": "RW W", "sort": "R W", "srem": "W", "strlen": "-",
	"sunionstore": "W R", "touch": "-", "type": "-", "unlink": "W", "watch": "-", "xack": "W", "xadd": "W",
	"xautoclaim": "W", "xclaim": "W", "xdel": "W", "xgroup|create": "W", "xgroup|createconsumer": "W",
	"xgroup|delconsumer": "W", "xgroup|destroy": "W", "xgroup|setid": "W", "xlen": "-", "xreadgroup": "R",
	"xsetid": "W", "xtrim": "W", "zadd": "W", "zcard": "-", "zdiffstore": "W R", "zinterstore": "W R",
	"zrangestore": "W R", "zrem": "W", "zremrangebylex": "W", "zremrangebyrank": "W", "zremrangebyscore": "W",
	"zunionstore": "W R",
}

var parsedKeySpecPerms = func() map[string][]int {
	out := make(map[string][]int, len(keySpecPerms))
	for name, spec := range keySpecPerms {
		for _, w := range strings.Fields(spec) {
			p := 0
			if strings.Contains(w, "R") {
				p |= permRead
			}
			if strings.Contains(w, "W") {
				p |= permWrite
			}
			out[name] = append(out[name], p)
		}
	}
	return out
}()

// keyPerms returns the permission each key of the command needs, i being
// the key's position among the command's keys.
func keyPerms(cmd *commands.Command, args [][]byte) func(i int) int {
	switch cmd.Name {
	case "set": // VARIABLE_FLAGS: GET reads the old value
		for _, a := range args[min(len(args), 3):] {
			if commands.EqualFold(a, "get") {
				return func(int) int { return permAll }
			}
		}
		return func(int) int { return permWrite }
	case "bitfield": // VARIABLE_FLAGS: only GETs only read
		if bitfieldReadOnly(args) {
			return func(int) int { return permRead }
		}
		return func(int) int { return permAll }
	}
	if specs, ok := parsedKeySpecPerms[FullName(cmd, args)]; ok {
		return func(i int) int { return specs[min(i, len(specs)-1)] }
	}
	if cmd.Is(commands.ReadOnly) {
		return func(int) int { return permRead }
	}
	return func(int) int { return permAll }
}

// bitfieldReadOnly is Redis' bitfieldGetKeys test: nothing but GET and
// OVERFLOW with their arguments.
func bitfieldReadOnly(args [][]byte) bool {
	for i := 2; i < len(args); i++ {
		rem := len(args) - i - 1
		switch {
		case commands.EqualFold(args[i], "get") && rem >= 2:
			i += 2
		case commands.EqualFold(args[i], "overflow") && rem >= 1:
			i++
		default:
			return false
		}
	}
	return true
}
