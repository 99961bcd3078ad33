package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/geomys/geomys/commands"
)

// debugCommand is the harmless part of Redis' DEBUG. DEBUG SLEEP blocks only
// the calling connection: Geomys has no single event loop to stop.
func debugCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		helpReply(cl, "DEBUG",
			"OBJECT <key>",
			"    Show low level info about the `key` and associated value.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the server for <seconds>. Decimals allowed.")
	case sub == "sleep" && len(args) == 3:
		secs, err := strconv.ParseFloat(string(args[2]), 64)
		if err != nil {
			cl.out.Error("ERR value is not a valid float")
			return
		}
		if secs > 0 {
			select {
			case <-time.After(time.Duration(secs * float64(time.Second))):
			case <-s.done:
			}
		}
		cl.out.OK()
	case sub == "set-active-expire" && len(args) == 3:
		cl.out.OK() // accepted; expiry runs on the leader's cycle regardless
	case sub == "object" && len(args) == 3:
		st := s.fsm.RLock()
		v, at, ok := st.DBs[cl.db].Peek(string(args[2]))
		var line string
		if ok && (at == 0 || at > time.Now().UnixMilli()) {
			enc := commands.ObjectEncoding(v)
			// serializedlength is the RDB payload without its type byte,
			// RDB version and checksum (DUMP's footer).
			ser := max(len(commands.DumpValue(v))-11, 0)
			line = fmt.Sprintf("Value at:%p refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:0",
				valuePointer(v), enc, ser, time.Now().Unix()&(1<<24-1))
		}
		s.fsm.RUnlock()
		if line == "" {
			cl.out.Error("ERR no such key")
			return
		}
		cl.out.Simple(line)
	default:
		subcommandError(cl, "DEBUG", args)
	}
}

// valuePointer is an address for DEBUG OBJECT's "Value at:".
func valuePointer(v any) unsafe.Pointer {
	type iface struct{ typ, data unsafe.Pointer }
	return (*iface)(unsafe.Pointer(&v)).data
}
