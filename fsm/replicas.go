package fsm

import (
	"strconv"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

// Replicas attached with SYNC/PSYNC: a stock redis-server (or a tool
// speaking the replication protocol) gets an RDB file of the dataset at one
// applied index, then the propagation of every entry applied after it, the
// same commands the AOF receives. Every node applies the same log, so every
// node, leader or follower, can serve them.

type replica struct {
	db   int // what the replica has selected (-1: nothing yet)
	send func([]byte)
	lost func()
}

// ReplicaSync is what AttachReplica hands back: the RDB file, the index it
// is at, and Detach, which stops the stream.
type ReplicaSync struct {
	RDB    []byte
	Index  uint64
	Detach func()
}

// AttachReplica dumps the dataset as an RDB file and, at that same point of
// the log, starts passing send the propagation of each later batch (SELECT
// included where the replica's db changes). send runs under the FSM's lock:
// it must only queue. lost is called if the stream cannot continue (a Raft
// snapshot replaced the dataset); the caller then disconnects the replica.
// version and replID go into the file's aux fields.
func (f *FSM) AttachReplica(version, replID string, send func([]byte), lost func()) ReplicaSync {
	// The read lock keeps entries from being applied (and reads going)
	// while the dump is made; a second one can run at the same time.
	f.mu.RLock()
	defer f.mu.RUnlock()
	aux := [][2]string{{"redis-ver", version}, {"redis-bits", strconv.Itoa(strconv.IntSize)},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)}, {"used-mem", strconv.FormatInt(f.store.UsedMemory(), 10)},
		{"repl-stream-db", "0"}, {"repl-id", replID}, {"repl-offset", strconv.FormatUint(f.applied, 10)},
		{"aof-base", "0"}}
	file, cmds := f.store.AppendRDB(nil, aux, nil)
	r := &replica{db: -1, send: send, lost: lost}
	if len(cmds) > 0 {
		send(replicaStream(nil, cmds))
	}
	f.replMu.Lock()
	if f.replicas == nil {
		f.replicas = map[*replica]struct{}{}
	}
	f.replicas[r] = struct{}{}
	f.nReplicas.Store(int32(len(f.replicas)))
	f.replMu.Unlock()
	detach := func() {
		f.replMu.Lock()
		delete(f.replicas, r)
		f.nReplicas.Store(int32(len(f.replicas)))
		f.replMu.Unlock()
	}
	return ReplicaSync{RDB: file, Index: f.applied, Detach: detach}
}

// feedReplicas passes a batch's propagation to the attached replicas; the
// caller holds mu exclusively. startDB is the stream's db before the batch.
func (f *FSM) feedReplicas(startDB int, buf []byte, refs []commands.Ref) {
	if len(refs) > 0 {
		var whole []byte
		for _, p := range commands.Parts(buf, refs) {
			whole = append(whole, p...)
		}
		buf = whole
	}
	out := replicaStream(nil, buf)
	if len(out) == 0 {
		return
	}
	endDB := f.prop.DB()
	selects := hasPrefix(out, selectPrefix)
	f.replMu.Lock()
	defer f.replMu.Unlock()
	for r := range f.replicas {
		if !selects && r.db != startDB && startDB >= 0 {
			r.send(append(resp.AppendCommand(nil, "SELECT", strconv.Itoa(startDB)), out...))
		} else {
			r.send(out)
		}
		r.db = endDB
	}
}

// dropReplicas ends every replica's stream: the dataset was replaced by a
// snapshot, which the stream cannot express.
func (f *FSM) dropReplicas() {
	f.replMu.Lock()
	defer f.replMu.Unlock()
	for r := range f.replicas {
		r.lost()
		delete(f.replicas, r)
	}
	f.nReplicas.Store(0)
}

const selectPrefix = "*2\r\n$6\r\nSELECT\r\n"

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// replicaStream appends the commands of an AOF buffer to dst without its
// '#' annotations, which only Geomys' AOF loader reads (a replica would
// take them for inline commands).
func replicaStream(dst, buf []byte) []byte {
	for i := 0; i < len(buf); {
		end := lineEnd(buf, i)
		if buf[i] == '#' {
			i = end
			continue
		}
		start := i
		n, _ := strconv.Atoi(string(buf[i+1 : end-2]))
		i = end
		for ; n > 0; n-- {
			e := lineEnd(buf, i)
			l, _ := strconv.Atoi(string(buf[i+1 : e-2]))
			i = e + l + 2
		}
		dst = append(dst, buf[start:i]...)
	}
	return dst
}

// lineEnd is the offset after the CRLF of the line starting at i.
func lineEnd(b []byte, i int) int {
	for j := i; j+1 < len(b); j++ {
		if b[j] == '\r' && b[j+1] == '\n' {
			return j + 2
		}
	}
	return len(b)
}
