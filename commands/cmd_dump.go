package commands

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/geomys/geomys/rdb"
)

func init() {
	register(
		&Command{Name: "dump", Keys: "RO access index=1", Tips: "nondeterministic_output", Complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", Arity: 2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Returns a serialized representation of the value stored at a key.", Args: "key",
			Handler: dumpCommand},
		&Command{Name: "restore", Keys: "OW update index=1", Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", Arity: -4, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Creates a key from the serialized representation of a value.",
			Args:    "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
			Handler: restoreCommand},
		// Redis Cluster's form of RESTORE for importing slots; without
		// cluster mode Redis runs it as RESTORE, and so does Geomys.
		&Command{Name: "restore-asking", Keys: "OW update index=1", Complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", ACL: "@keyspace @write @slow @dangerous", Arity: -4, Flags: Write | DenyOOM | Asking, FirstKey: 1, LastKey: 1, Step: 1, Group: "server", Since: "3.0.0",
			Summary: "An internal command for migrating keys in a cluster: RESTORE.",
			Args:    "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]",
			Handler: restoreCommand},
	)
}

func dumpCommand(c *Ctx) {
	v, ok := c.Lookup(c.Args[1])
	if !ok {
		c.R.Null()
		return
	}
	c.R.Bulk(DumpValue(v))
}

const (
	errBusyKey    = "BUSYKEY Target key name already exists."
	errBadPayload = "ERR DUMP payload version or checksum are wrong"
	errBadData    = "ERR Bad data format"
)

var wordABSTTL = []byte("ABSTTL")

// restoreCommand follows Redis 7.0's restoreCommand step by step, so errors
// come in the same order. A relative TTL is propagated as an absolute one
// (the TTL argument rewritten and ABSTTL appended, as Redis does), so the
// AOF replays to the same expiry on Geomys and on a stock redis-server; a
// payload only Redis 7.2 reads is propagated as 7.0's DUMP of the value.
func restoreCommand(c *Ctx) {
	replace, absttl := false, false
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := len(c.Args) - j - 1
		switch a := c.Args[j]; {
		case EqualFold(a, "replace"):
			replace = true
		case EqualFold(a, "absttl"):
			absttl = true
		case EqualFold(a, "idletime") && more >= 1 && freq == -1:
			n, ok := ParseInt(c.Args[j+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n < 0 {
				c.Err("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = n
			j++
		case EqualFold(a, "freq") && more >= 1 && idle == -1:
			n, ok := ParseInt(c.Args[j+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n < 0 || n > 255 {
				c.Err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = n
			j++
		default:
			c.SyntaxErr()
			return
		}
	}
	key := c.Args[1]
	if _, exists := c.Lookup(key); exists && !replace {
		c.Err(errBusyKey)
		return
	}
	ttl, ok := ParseInt(c.Args[2])
	if !ok {
		c.Err(ErrNotInt)
		return
	}
	if ttl < 0 {
		c.Err("ERR Invalid TTL value, must be >= 0")
		return
	}
	v, err := RestoreValue(c.Args[3])
	if err != nil {
		if errors.Is(err, rdb.ErrBadPayload) {
			c.Err(errBadPayload)
		} else {
			c.Err(errBadData)
		}
		return
	}
	deleted := replace && c.Delete(key)
	if ttl != 0 && !absttl {
		ttl += c.Now
	}
	if ttl != 0 && ttl <= c.Now {
		// Already expired: nothing is created; a replaced key is gone.
		if deleted {
			c.Dirty(1)
			c.Propagate(wordDEL, key)
			c.Notify(NotifyGeneric, "del", key)
		}
		c.R.OK()
		return
	}
	c.Put(key, v, false)
	if ttl != 0 {
		c.SetExpire(key, ttl)
	}
	// As Redis' objectSetLRUOrLFU, FREQ counts only under an LFU policy
	// and IDLETIME only under the others (the access word is node-local).
	if LFU() {
		if freq >= 0 {
			c.DB.access.set(key, lfuMinutes(c.Now)<<8|uint32(freq))
		}
	} else if idle >= 0 {
		// Redis sets the LRU clock to now minus the idle time.
		sec := max(c.Now/1000-idle, 1)
		c.DB.access.set(key, uint32(sec))
	}
	signalIfList(c, c.DB, key, v)
	c.Dirty(1)
	c.Notify(NotifyGeneric, "restore", key)
	relative := ttl != 0 && !absttl
	if newer := onlyNewerRedisLoads(c.Args[3]); relative || newer {
		args := make([][]byte, 0, len(c.Args)+1)
		args = append(args, c.Args[0], key, c.Args[2], c.Args[3])
		if relative {
			args[2] = strconv.AppendInt(nil, ttl, 10)
		}
		if newer {
			args[3] = DumpValue(v)
		}
		args = append(args, c.Args[4:]...)
		if relative {
			args = append(args, wordABSTTL)
		}
		c.Propagate(args...)
	}
	c.R.OK()
}

// onlyNewerRedisLoads reports whether a payload (already loaded) is one
// redis-server 7.0 refuses: a newer footer version or a type it lacks
// (7.2's listpack sets and streams with consumers' active times). Such a
// RESTORE is propagated with the value as 7.0 dumps it, so the AOF loads
// on a stock 7.0 too.
func onlyNewerRedisLoads(payload []byte) bool {
	if len(payload) < 10 {
		return false
	}
	switch payload[0] {
	case rdb.TypeSetListpack, rdb.TypeStreamListpacks3:
		return true
	}
	return binary.LittleEndian.Uint16(payload[len(payload)-10:]) > rdb.Version
}
