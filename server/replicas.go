package server

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
)

// SYNC and PSYNC: a stock redis-server started with --replicaof pointing at
// any Geomys node (or a migration tool, or Redis' test suite) gets an RDB
// file of the dataset, then the commands of every entry applied after it,
// as the AOF receives them (fsm/replicas.go). There is no backlog, so PSYNC
// always answers +FULLRESYNC. The stream goes through the connection's
// subscriber queue (pubsub.go), bounded by client-output-buffer-limit
// replica, so a replica that does not read is disconnected instead of
// growing memory without bound.

// replicaConn is one attached replica.
type replicaConn struct {
	cl    *Client
	sb    *subscriber
	ip    string
	port  int64
	ackOf atomic.Int64 // the offset of its last REPLCONF ACK
	ackAt atomic.Int64 // unix seconds of that ACK (or of the attach)
	stop  chan struct{}
	// detach ends the stream from the state machine.
	detach func()
}

// replicaSet is the attached replicas, in attach order (INFO numbers them).
type replicaSet struct {
	mu   sync.Mutex
	list []*replicaConn
}

func (rs *replicaSet) add(r *replicaConn) {
	rs.mu.Lock()
	rs.list = append(rs.list, r)
	rs.mu.Unlock()
}

func (rs *replicaSet) remove(r *replicaConn) {
	rs.mu.Lock()
	for i, x := range rs.list {
		if x == r {
			rs.list = append(rs.list[:i], rs.list[i+1:]...)
			break
		}
	}
	rs.mu.Unlock()
}

func (rs *replicaSet) snapshot() []*replicaConn {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]*replicaConn(nil), rs.list...)
}

// pingFrame is the PING a master sends its replicas every
// repl-ping-replica-period seconds.
var pingFrame = []byte("*1\r\n$4\r\nPING\r\n")

// keepAliveEvery is how often a newline goes out while the RDB is made, as
// Redis sends them while its BGSAVE runs.
const keepAliveEvery = time.Second

func syncCommand(s *Server, cl *Client, args [][]byte) {
	if cl.replica != nil {
		return // Redis ignores SYNC from a connection that is a replica already
	}
	src, ok := s.fsm.(ReplicationSource)
	if !ok {
		cl.out.Error(commands.ErrNoSync)
		return
	}
	psync := commands.EqualFold(args[0], "psync")
	s.flushWrites(cl)
	sb := s.subscriberOf(cl)
	sb.mu.Lock()
	sb.lim, sb.class = &s.limits.replica, "replica"
	sb.mu.Unlock()
	sb.wmu.Lock()
	defer sb.wmu.Unlock()
	nc := sb.nc
	s.countErrorsSoFar(cl)
	head := append([]byte(nil), cl.out.Bytes()...) // replies of the pipeline so far
	cl.out.Reset()
	cl.errMark = 0
	if psync {
		head = append(head, "+FULLRESYNC "+s.runID+" "+strconv.FormatUint(s.fsm.AppliedIndex(), 10)+"\r\n"...)
	}
	if len(head) > 0 {
		if _, err := nc.Write(head); err != nil {
			nc.Close()
			return
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // newlines while the dump is made: the replica's read must not time out
		defer wg.Done()
		t := time.NewTicker(keepAliveEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				nc.Write([]byte{'\n'})
			}
		}
	}()
	rs := src.AttachReplica(RedisVersion, s.runID, func(p []byte) { sb.enqueue(p) }, sb.hardClose)
	close(done)
	wg.Wait()
	payload := append(append([]byte{'$'}, strconv.Itoa(len(rs.RDB))...), '\r', '\n')
	if _, err := nc.Write(payload); err == nil {
		_, err = nc.Write(rs.RDB)
	}
	r := &replicaConn{cl: cl, sb: sb, ip: cl.replIP, port: cl.replPort, stop: make(chan struct{}), detach: rs.Detach}
	if r.ip == "" {
		r.ip, _, _ = net.SplitHostPort(cl.Addr)
	}
	r.ackAt.Store(time.Now().Unix())
	cl.replica = r
	cl.replyOff = true // a master never answers its replica
	cl.exempt.Store(true)
	s.replicas.add(r)
	cl.sub.startWriter()
	go s.pingReplica(r)
	s.log.Info("Replica attached: full resynchronization", "client", cl.ID, "addr", cl.Addr,
		"index", rs.Index, "rdb_bytes", len(rs.RDB))
}

// pingReplica queues a PING every repl-ping-replica-period seconds, read
// each second so that CONFIG SET takes effect at once.
func (s *Server) pingReplica(r *replicaConn) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-r.stop:
			return
		case <-s.done:
			return
		case now := <-t.C:
			period := s.replPing.Load()
			if period <= 0 {
				period = 10
			}
			if now.Sub(last) >= time.Duration(period)*time.Second {
				r.sb.enqueue(pingFrame)
				last = now
			}
		}
	}
}

// stopReplica detaches a closing connection's replica stream.
func (s *Server) stopReplica(cl *Client) {
	r := cl.replica
	if r == nil {
		return
	}
	r.detach()
	close(r.stop)
	s.replicas.remove(r)
	cl.replica = nil
}

func replconfCommand(s *Server, cl *Client, args [][]byte) {
	if len(args)%2 == 0 {
		cl.out.Error(commands.ErrSyntax)
		return
	}
	for j := 1; j < len(args); j += 2 {
		opt, val := args[j], args[j+1]
		switch {
		case commands.EqualFold(opt, "listening-port"):
			n, ok := commands.ParseInt(val)
			if !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			cl.replPort = n
		case commands.EqualFold(opt, "ip-address"):
			if len(val) >= 256 {
				cl.out.Error("ERR REPLCONF ip-address provided by replica instance is too long: " + strconv.Itoa(len(val)) + " bytes")
				return
			}
			cl.replIP = string(val)
		case commands.EqualFold(opt, "capa"), commands.EqualFold(opt, "rdb-filter-only"):
			// Capabilities are hints; the RDB is always sent whole.
		case commands.EqualFold(opt, "ack"):
			// No reply, as Redis: the replica does not read one.
			if r := cl.replica; r != nil {
				if n, ok := commands.ParseInt(val); ok && n > r.ackOf.Load() {
					r.ackOf.Store(n)
				}
				r.ackAt.Store(time.Now().Unix())
			}
			return
		case commands.EqualFold(opt, "getack"):
			return // only a replica answers it, and Geomys never is one
		case commands.EqualFold(opt, "rdb-only"):
			n, ok := commands.ParseInt(val)
			if !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			if n < 0 || n > 1 {
				cl.out.Error("ERR value is out of range, value must between 0 and 1")
				return
			}
		default:
			cl.out.Error(commands.ErrReplconfOption + string(opt))
			return
		}
	}
	cl.out.OK()
}

// attachedReplicaLines are INFO replication's slaveN lines for the replicas
// attached with SYNC, numbered from first.
func (s *Server) attachedReplicaLines(first int) []string {
	var out []string
	now := time.Now().Unix()
	for i, r := range s.replicas.snapshot() {
		out = append(out, "slave"+strconv.Itoa(first+i)+":ip="+r.ip+",port="+strconv.FormatInt(r.port, 10)+
			",state=online,offset="+strconv.FormatInt(r.ackOf.Load(), 10)+",lag="+strconv.FormatInt(now-r.ackAt.Load(), 10))
	}
	return out
}
