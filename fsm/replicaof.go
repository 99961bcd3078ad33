package fsm

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/geomys/geomys/commands"
)

// REPLICAOF makes the whole Geomys cluster a replica of a Redis master. The
// master's address is replicated state, carried through the log, so every
// node refuses client writes the same way and a new leader resumes the link
// (server/replicaof.go); only the leader runs it.

// ReplicaOfCommand sets or clears the master: [".replicaof", host, port]
// or [".replicaof"] (REPLICAOF NO ONE). It answers as REPLICAOF does.
const ReplicaOfCommand = ".replicaof"

// MasterCommand heads an entry made of what the master sent:
// [".master", offset], offset being the master's replication offset after
// those commands. The entry's writes are the master's, not a client's.
const MasterCommand = ".master"

// replicaPrefix starts the AOF annotation that carries the master
// ("host port", or nothing once it is cleared); redis-server skips it.
const replicaPrefix = "geomys:replicaof"

// Master is the Redis master this cluster replicates.
type Master struct {
	Host string
	Port int
}

// replicaState is the FSM's part: the master, the offset the dataset is at,
// and what the batch being applied fed (see feedAllowed).
type replicaState struct {
	master atomic.Pointer[Master]
	offset atomic.Int64 // the master's offset the applied entries reach
	// fromMaster: the entry being applied came from the master link.
	fromMaster bool
	// late: it came from a link that REPLICAOF NO ONE, applied before it,
	// ended; the rest of it is skipped.
	late bool
	// localProp and masterProp: the batch holds propagation of a local
	// entry applied while a replica, and of the master's entries.
	localProp, masterProp bool
}

// Master returns the master this cluster replicates (nil: none).
func (f *FSM) Master() *Master { return f.repl.master.Load() }

// MasterOffset is the master's replication offset the dataset reflects.
func (f *FSM) MasterOffset() int64 { return f.repl.offset.Load() }

func (f *FSM) applyReplicaOf(c *commands.Ctx, args [][]byte) {
	switch len(args) {
	case 1:
		if f.repl.master.Load() != nil {
			f.repl.master.Store(nil)
			f.prop.Annotate(replicaPrefix)
			f.dirty.Add(1)
		}
		c.R.OK()
	case 3:
		port, err := strconv.Atoi(string(args[2]))
		host := string(args[1])
		if err != nil || port < 0 || port > 65535 || host == "" || strings.ContainsAny(host, " \r\n") {
			c.R.Error("ERR Invalid master port")
			return
		}
		if m := f.repl.master.Load(); m != nil && strings.EqualFold(m.Host, host) && m.Port == port {
			c.R.Simple("OK Already connected to specified master")
			return
		}
		f.repl.master.Store(&Master{Host: host, Port: port})
		f.repl.offset.Store(0)
		f.prop.Annotate(replicaAnnotation(f.repl.master.Load()))
		f.dirty.Add(1)
		c.R.OK()
	default:
		c.R.Error("ERR malformed replicaof entry")
	}
}

func (f *FSM) applyMaster(c *commands.Ctx, args [][]byte) {
	if f.repl.master.Load() == nil {
		f.repl.late = true
		c.R.Error("ERR no master: REPLICAOF NO ONE came first")
		return
	}
	if len(args) == 2 {
		if n, err := strconv.ParseInt(string(args[1]), 10, 64); err == nil {
			f.repl.offset.Store(n)
		}
	}
	f.repl.fromMaster = true
	c.R.OK()
}

func replicaAnnotation(m *Master) string {
	if m == nil {
		return replicaPrefix
	}
	return replicaPrefix + " " + m.Host + " " + strconv.Itoa(m.Port)
}

// loadReplicaNote replays a replicaof annotation found in the AOF.
func (f *FSM) loadReplicaNote(note string) bool {
	rest, ok := strings.CutPrefix(note, replicaPrefix)
	if !ok {
		return false
	}
	host, port, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if n, err := strconv.Atoi(port); err == nil && host != "" {
		f.repl.master.Store(&Master{Host: host, Port: n})
	} else {
		f.repl.master.Store(nil)
	}
	return true
}

// appendReplicaNote writes the master into a snapshot.
func appendReplicaNote(buf []byte, m *Master) []byte {
	if m == nil {
		return buf
	}
	buf = append(buf, '#')
	buf = append(buf, replicaAnnotation(m)...)
	return append(buf, '\r', '\n')
}

// noteEntryProp records whose propagation an entry added (it added some if
// the buffer grew past mark), for feedAllowed.
func (f *FSM) noteEntryProp(mark int) {
	if len(f.prop.Buf) == mark {
		return
	}
	if f.repl.fromMaster {
		f.repl.masterProp = true
	} else if f.repl.master.Load() != nil {
		f.repl.localProp = true
	}
}

// feedAllowed says whether the batch's propagation goes to the replicas
// attached with SYNC, and resets the batch's record. As in Redis, a replica
// passes on its master's stream but not what it runs itself after becoming
// one (the rest of a transaction that ran REPLICAOF); when both are in one
// batch the stream cannot say it, so the replicas are dropped and resync.
func (f *FSM) feedAllowed() bool {
	local, master := f.repl.localProp, f.repl.masterProp
	f.repl.localProp, f.repl.masterProp = false, false
	if local && master {
		f.dropReplicas()
		return false
	}
	return !local
}
