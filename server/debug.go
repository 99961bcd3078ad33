package server

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// debugHelp is DEBUG HELP: the subcommands Geomys has, in Redis's words.
var debugHelp = []string{
	"AOF-FLUSH-SLEEP <microsec>",
	"    Server will sleep before flushing the AOF, this is used for testing.",
	"CHANGE-REPL-ID",
	"    Change the replication IDs of the instance.",
	"    Dangerous: should be used only for testing the replication subsystem.",
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LEAK <string>",
	"    Create a memory leak of the input string.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"DROP-CLUSTER-PACKET-FILTER <packet-type>",
	"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
	"POPULATE <count> [<prefix>] [<size>]",
	"    Create <count> string keys named key:<num>. If <prefix> is specified then",
	"    it is used instead of the 'key' prefix. These are not propagated to",
	"    replicas. Cluster slots are not respected so keys not belonging to the",
	"    current node can be created in cluster mode.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"QUICKLIST-PACKED-THRESHOLD <size>",
	"    Sets the threshold for elements to be inserted as plain vs packed nodes",
	"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
	"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
	"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"STRINGMATCH-TEST",
	"    Run a fuzz tester against the stringmatchlen() function.",
	"STRUCTSIZE",
	"    Return the size of different Redis core C structures.",
	"LISTPACK <key>",
	"    Show low level info about the listpack encoding of <key>.",
	"QUICKLIST <key> [<0|1>]",
	"    Show low level info about the quicklist encoding of <key>.",
	"    The optional argument (0 by default) sets the level of detail",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
	"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
	"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
	"    In case NEVER is provided the last observed peak will never be reset",
	"    In case RESET is provided the peak reset time will be restored to the default value",
	"REPLYBUFFER RESIZING <0|1>",
	"    Enable or disable the reply buffer resize cron job",
}

// debugCommand is Redis's DEBUG, minus what crashes or restarts the
// process. Subcommands that tune Redis internals Geomys does not have
// (quicklist nodes, reply buffers, the cron) are accepted with Redis's reply
// and change nothing. DEBUG SLEEP blocks only the calling connection:
// Geomys has no single event loop to stop.
func debugCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	n := len(args)
	switch {
	case sub == "help" && n == 2:
		helpReply(cl, "DEBUG", debugHelp...)
	case sub == "sleep" && n == 3:
		// Redis's strtod: what does not parse sleeps for no time.
		secs, _ := strconv.ParseFloat(strings.TrimSpace(string(args[2])), 64)
		if secs > 0 {
			select {
			case <-time.After(time.Duration(secs * float64(time.Second))):
			case <-s.done:
			}
		}
		cl.out.OK()
	case sub == "set-active-expire" && n == 3:
		s.node.SetActiveExpire(atoi(args[2]) != 0)
		cl.out.OK()
	case sub == "object" && n == 3:
		debugObject(s, cl, args[2])
	case sub == "digest" && n == 2:
		st := s.fsm.RLock()
		d := st.RedisDigest()
		s.fsm.RUnlock()
		cl.out.Simple(d)
	case sub == "digest-value":
		st := s.fsm.RLock()
		db := st.DBs[cl.db]
		out := make([]string, 0, n-2)
		for _, k := range args[2:] {
			out = append(out, db.RedisDigestValue(string(k)))
		}
		s.fsm.RUnlock()
		cl.out.Array(len(out))
		for _, d := range out {
			cl.out.Simple(d)
		}
	case sub == "protocol" && n == 3:
		commands.DebugProtocol(&cl.out, string(args[2]))
	case sub == "reload":
		cmd := [][]byte{[]byte(fsm.ReloadCommand)}
		for _, o := range args[2:] {
			switch strings.ToLower(string(o)) {
			case "merge", "noflush", "nosave":
				cmd = append(cmd, []byte(strings.ToLower(string(o))))
			default:
				cl.out.Error(commands.ErrDebugReloadOption)
				return
			}
		}
		debugApply(s, cl, args, cmd)
	case sub == "loadaof":
		// Redis's LOADAOF reads back what it wrote; see fsm.ReloadCommand for
		// why this is the same in-memory round trip as RELOAD.
		debugApply(s, cl, args, [][]byte{[]byte(fsm.ReloadCommand)})
	case sub == "populate" && n >= 3 && n <= 5:
		debugPopulate(s, cl, args)
	case sub == "quicklist-packed-threshold" && n == 3:
		// Geomys's lists have no plain nodes: the threshold only has to be
		// a valid one (quicklistisSetPackedThreshold).
		sz, ok := parseMemory(string(args[2]))
		if !ok || sz > 1<<32-1<<20 {
			cl.out.Error(commands.ErrDebugPackedThresh)
			return
		}
		cl.out.OK()
	case sub == "set-disable-deny-scripts" && n == 3:
		s.denyScriptsOff.Store(atoi(args[2]) != 0)
		cl.out.OK()
	case n == 3 && (sub == "set-skip-checksum-validation" || sub == "aof-flush-sleep" ||
		sub == "pause-cron" || sub == "log" ||
		sub == "leak" || sub == "drop-cluster-packet-filter"):
		if sub == "log" {
			s.log.Warn("DEBUG LOG: " + string(args[2]))
		}
		if sub == "drop-cluster-packet-filter" {
			if _, ok := commands.ParseInt(args[2]); !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
		}
		cl.out.OK()
	case sub == "change-repl-id" && n == 2:
		cl.out.OK()
	case sub == "replybuffer" && n == 4:
		debugReplyBuffer(s, cl, args)
	case sub == "error" && n == 3:
		cl.out.Error(string(args[2]))
	case sub == "stringmatch-test" && n == 2:
		cl.out.Simple("Apparently Redis did not crash: test passed")
	case sub == "structsize" && n == 2:
		// The sizes of Redis's structures on a 64-bit build, which is what
		// the reply describes; Geomys's own types differ.
		cl.out.BulkString("bits:64 robj:16 dictentry:24 sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 ")
	case (sub == "listpack" && n == 3) || (sub == "quicklist" && (n == 3 || n == 4)):
		debugEncodingDump(s, cl, sub, args[2])
	default:
		subcommandError(cl, "DEBUG", args)
	}
}

// atoi is C's atoi: the leading integer, 0 when there is none.
func atoi(b []byte) int64 {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, _ := strconv.ParseInt(s[:i], 10, 64)
	return v
}

// debugApply runs an internal DEBUG command through the log: on the leader,
// to which a follower relays the DEBUG command itself.
func debugApply(s *Server, cl *Client, args, cmd [][]byte) {
	if !s.onLeader(cl, args) {
		return
	}
	if msg := s.applyInternal(cl, cmd); msg != "" {
		cl.out.Error(msg)
		return
	}
	cl.out.OK()
}

func debugPopulate(s *Server, cl *Client, args [][]byte) {
	// Redis's getPositiveLongFromObjectOrReply: one error for both.
	count, ok := commands.ParseInt(args[2])
	if !ok || count < 0 {
		cl.out.Error(commands.ErrDebugPositiveNumber)
		return
	}
	prefix := []byte("key")
	if len(args) >= 4 {
		prefix = args[3]
	}
	size := int64(0)
	if len(args) == 5 {
		if size, ok = commands.ParseInt(args[4]); !ok || size < 0 {
			cl.out.Error(commands.ErrDebugPositiveNumber)
			return
		}
	}
	debugApply(s, cl, args, [][]byte{[]byte(fsm.PopulateCommand), []byte(strconv.FormatInt(count, 10)),
		prefix, []byte(strconv.FormatInt(size, 10))})
}

// debugReplyBuffer sets how the reply buffers Geomys follows for CLIENT
// LIST are resized (iobufs.go).
func debugReplyBuffer(s *Server, cl *Client, args [][]byte) {
	switch strings.ToLower(string(args[2])) {
	case "peak-reset-time":
		switch v := strings.ToLower(string(args[3])); v {
		case "never":
			s.replyBufs.peakReset.Store(-1)
		case "reset":
			s.replyBufs.peakReset.Store(defaultReplyPeakReset)
		default:
			ms, ok := commands.ParseInt(args[3])
			if !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			s.replyBufs.peakReset.Store(ms)
		}
	case "resizing":
		s.replyBufs.resizing.Store(atoi(args[3]) != 0) // atoi, as Redis reads it
	default:
		subcommandError(cl, "DEBUG", args)
		return
	}
	cl.out.OK()
}

// debugEncodingDump is DEBUG LISTPACK / QUICKLIST: Redis prints the
// structure on its stdout; Geomys has nothing of the kind to print, and
// answers as Redis does about the key's encoding.
func debugEncodingDump(s *Server, cl *Client, sub string, key []byte) {
	st := s.fsm.RLock()
	v, at, ok := st.DBs[cl.db].Peek(string(key))
	enc := ""
	if ok && (at == 0 || at > time.Now().UnixMilli()) {
		enc = commands.ObjectEncoding(v)
	} else {
		ok = false
	}
	s.fsm.RUnlock()
	switch {
	case !ok:
		cl.out.Error(commands.ErrNoSuchKey)
	case sub == "listpack" && enc != "listpack":
		cl.out.Error(commands.ErrDebugNotListpack)
	case sub == "listpack":
		cl.out.Simple("Listpack structure printed on stdout")
	case enc != "quicklist":
		cl.out.Error(commands.ErrDebugNotQuicklist)
	default:
		cl.out.Simple("Quicklist structure printed on stdout")
	}
}

// debugObject is DEBUG OBJECT. Like Redis it sees a key whose TTL passed
// but that is still in the dataset.
func debugObject(s *Server, cl *Client, key []byte) {
	st := s.fsm.RLock()
	v, _, ok := st.DBs[cl.db].Peek(string(key))
	var line string
	if ok {
		enc := commands.ObjectEncoding(v)
		// serializedlength is the RDB payload without its type byte,
		// RDB version and checksum (DUMP's footer).
		ser := max(len(commands.DumpValue(v))-11, 0)
		at := valuePointer(v)
		if enc == "int" {
			at = intObjectAddress(cl.db, key)
		}
		line = fmt.Sprintf("Value at:%#x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:0",
			at, enc, ser, time.Now().Unix()&(1<<24-1))
		if l, isList := v.(*commands.List); isList {
			line += quicklistDebug(s, l)
		}
	}
	s.fsm.RUnlock()
	if line == "" {
		cl.out.Error(commands.ErrNoSuchKey)
		return
	}
	cl.out.Simple(line)
}

// quicklistDebug is the part of DEBUG OBJECT Redis 7.0 adds for a list,
// about its quicklist (ql_compressed says whether list-compress-depth is on).
func quicklistDebug(s *Server, l *commands.List) string {
	nodes, bytes, fill := commands.QuicklistInfo(l)
	compressed := 0
	if s.params.get("list-compress-depth") != "0" {
		compressed = 1
	}
	return fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
		nodes, float64(l.Len())/float64(max(nodes, 1)), fill, compressed, bytes)
}

// valuePointer is an address for DEBUG OBJECT's "Value at:".
func valuePointer(v any) uintptr {
	type iface struct{ typ, data unsafe.Pointer }
	return uintptr((*iface)(unsafe.Pointer(&v)).data)
}

// intObjectAddress is "Value at:" for an integer: Redis changes an
// unshared integer object in place (INCR and friends keep its address),
// and here it is the key's integer whatever INCR stored, so the address
// names the key, in a range no Go heap pointer of this process uses.
func intObjectAddress(db int, key []byte) uintptr {
	h := fnv.New64a()
	h.Write([]byte{byte(db)})
	h.Write(key)
	return uintptr(0x7f0000000000 | h.Sum64()&0xffffffff0)
}

// debugOnLeader tells the DEBUG subcommands a follower relays to the
// leader: those that look at the dataset, which must show what the
// client's own writes (committed on the leader, perhaps not yet applied
// here) did, and SET-ACTIVE-EXPIRE, as keys are expired by the leader.
func debugOnLeader(args [][]byte) bool {
	if len(args) < 2 {
		return false
	}
	switch strings.ToLower(string(args[1])) {
	case "object", "digest", "digest-value", "set-active-expire":
		return true
	}
	return false
}
