package server

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
	"github.com/geomys/geomys/proxy"
	"github.com/geomys/geomys/resp"

	"github.com/tidwall/redcon"
)

// Client is one connection's state. Only the connection's own goroutine
// (redcon's handler) touches the mutable fields; others read the atomics.
type Client struct {
	ID      int64
	Addr    string
	LAddr   string
	Created time.Time
	// now is when the command being run started (execute), for its idle
	// time and its checks; tick is the same moment on the monotonic clock
	// (monoNow), for its timing. One command's end is the next one's start,
	// so a pipeline costs one clock reading per command.
	now  time.Time
	tick time.Duration
	// batchWall and batchTick are one reading of both clocks when the
	// pipeline arrived: now is derived from tick within the pipeline.
	batchWall time.Time
	batchTick time.Duration

	conn redcon.Conn
	// mu guards the fields other connections read (CLIENT LIST); the owner
	// writes them under mu and reads them without it.
	mu      sync.Mutex
	db      int
	proto   int
	name    string
	libName string
	libVer  string
	lastCmd atomic.Pointer[commands.Command]
	active  atomic.Int64 // unix ms of the last command
	blocked atomic.Bool
	// unblock is set while a blocking command is parked: CLIENT UNBLOCK
	// sends on it (true: answer the UNBLOCKED error).
	unblock atomic.Pointer[chan bool]
	killed  atomic.Bool // CLIENT KILL: run nothing more that was already read
	// exempt keeps MONITOR clients and other nodes' proxy links from the
	// idle timeout, as Redis exempts its replica and master links.
	exempt atomic.Bool
	// peerLink mirrors proxyLink for other connections (CLIENT KILL).
	peerLink atomic.Bool
	// softOver is when the pipeline's replies first went over the normal
	// class's soft output limit (limits.go).
	softOver time.Time
	closing  bool

	monitoring bool // MONITOR: receives every command (monitor.go)
	// REPLCONF listening-port and ip-address, and the replica stream once
	// SYNC/PSYNC attached it (replicas.go).
	replPort int64
	replIP   string
	replica  *replicaConn
	track    trackState // CLIENT TRACKING (tracking.go)
	// trackBroken: the redirection target was gone when an invalidation
	// was due (set by the FSM goroutine, cleared by TRACKING ON).
	trackBroken atomic.Bool
	direct      directPushes // invalidations redirected here (tracking.go)
	// CLIENT REPLY: replyOff drops every reply; replySkip this command's,
	// replySkipNext the next command's.
	replyOff, replySkip, replySkipNext bool

	tx  txState  // MULTI/WATCH (tx.go)
	sub subState // pub/sub subscriptions (pubsub.go)

	// Authentication (auth.go): the user's name, whether the connection
	// authenticated (or needs not), whether it did so with AUTH/HELLO, and
	// whether it is another member (RAFT.AUTH). aclUsers caches the ACL
	// aclUser and aclOpen were resolved in.
	user                           string
	authed, explicitAuth, internal bool
	aclUsers                       *acl.Users
	aclUser                        *acl.User
	aclOpen                        bool
	// member mirrors internal for other goroutines; serving says a
	// pipeline of this connection is running; userGone says its user was
	// deleted (ACL DELUSER, ACL LOAD): it is closed once that pipeline's
	// replies are out, as Redis closes it after the current command.
	member, serving, userGone atomic.Bool
	// actAs is the user a member relays a script call for (RAFT.AS).
	actAs string

	// Follower proxy state (forward.go, pin.go).
	proxyLink bool // this connection is another node's proxy link
	// relayParked is the link to the leader holding this client's relayed
	// blocking command, while it waits (CLIENT UNBLOCK goes there).
	relayParked atomic.Pointer[proxy.Conn]
	// seen is the leader's applied index after this client's last relayed
	// writes: commands this follower runs on its own dataset wait until it
	// applied that far, so the client sees its own writes (catchUp).
	seen uint64
	// relayOrigin is the client a proxy link relays for (RAFT.ORIGIN).
	relayOrigin origin
	fwd         []fwdCmd // commands waiting to be relayed to the leader
	fwdBuf      []byte
	pin         *pinned // leader connection reserved for a transaction
	readOK      bool    // leadership confirmed for this pipeline's reads
	// leaderWait ends this pipeline's waits for a leader (zero: none yet),
	// so a pipeline waits one request timeout, not one per command.
	leaderWait time.Time

	// flushSpent is the time flushWrites spent during the current command
	// (only measured while commands are timed).
	flushSpent time.Duration
	// flushErrs is how many error replies flushWrites wrote during the
	// current command: they belong to the writes it flushed.
	flushErrs int
	// entryCmds are the commands queued in entry, in order (commandstats).
	entryCmds []*commands.Command
	// bigBufs hold the pipeline's big arguments (resp.GuardConn.Unstash),
	// with room around each for its log entry.
	bigBufs [][]byte

	scripts []*scriptRun   // write scripts submitted, replies not written yet
	out     commands.Reply // replies of the pipeline being served
	// errMark is how much of out has had its error replies counted
	// (errorstats): counting waits until replies are sent, but a later
	// command of the pipeline that reads or resets the counts settles
	// them first, as Redis counts an error when it is replied.
	errMark int
	entry   fsm.EntryWriter
	readCtx commands.Ctx
	scan    commands.ScanCache
	// bufs follows the buffers Redis would have for this connection,
	// which CLIENT LIST shows (iobufs.go).
	bufs ioBufs
}

func newClient(id int64, rc redcon.Conn) *Client {
	c := &Client{ID: id, Addr: rc.RemoteAddr(), Created: time.Now(), conn: rc, proto: 2, bufs: newIOBufs()}
	if nc := rc.NetConn(); nc != nil {
		c.LAddr = nc.LocalAddr().String()
	}
	c.out.Proto = 2
	c.active.Store(time.Now().UnixMilli())
	return c
}

// ScanCache implements commands.Session.
func (c *Client) ScanCache() *commands.ScanCache { return &c.scan }

func (c *Client) setProto(p int) {
	c.mu.Lock()
	c.proto = p
	c.mu.Unlock()
	c.out.Proto = p
}

// userName is the connection's user, for other connections to read.
func (c *Client) userName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

func (c *Client) setDB(db int) {
	c.mu.Lock()
	c.db = db
	c.mu.Unlock()
}

// guard returns the guarded connection, if the listener produced one.
// arrived is when cl's command being served reached the machine (see
// resp.GuardConn.Arrived); now for a connection without a guard.
func (c *Client) arrived() int64 {
	if g := c.guard(); g != nil {
		if at := g.Arrived(); at != 0 {
			return at
		}
	}
	return time.Now().UnixNano()
}

func (c *Client) guard() *resp.GuardConn {
	if nc, ok := c.conn.NetConn().(*resp.GuardConn); ok {
		return nc
	}
	return nil
}

// info renders the CLIENT LIST / CLIENT INFO line. req is the request
// being served when c is the client asking (nil for the others): like
// Redis, its query buffer still holds that request.
func (c *Client) info(req [][]byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	flags := "N"
	if c.blocked.Load() {
		flags = "b"
	}
	cmd := "NULL"
	if lc := c.lastCmd.Load(); lc != nil {
		cmd = lc.Name
	}
	// omem is what waits to be written: a subscriber's queue (a normal
	// client's replies are written before it reads its next request).
	omem := 0
	if sb := c.sub.live.Load(); sb != nil {
		sb.mu.Lock()
		omem = sb.inflight + len(sb.queue)
		sb.mu.Unlock()
	}
	qbuf, argvMem := 0, 0
	if req != nil {
		qbuf = len(strconv.Itoa(len(req))) + 3
		for _, a := range req {
			qbuf += len(strconv.Itoa(len(a))) + len(a) + 5
			argvMem += len(a)
		}
	}
	qfree := max(c.bufs.query()-int64(qbuf), 0)
	rbs, rbp := c.bufs.reply()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=0 name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d multi=-1 qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=0 rbs=%d rbp=%d obl=0 oll=0 omem=%d tot-mem=0 events=r cmd=%s user=%s redir=-1 resp=%d lib-name=%s lib-ver=%s",
		c.ID, c.Addr, c.LAddr, c.name, int(now.Sub(c.Created).Seconds()), (now.UnixMilli()-c.active.Load())/1000,
		flags, c.db, c.sub.nChannels.Load(), c.sub.nPatterns.Load(), c.sub.nShards.Load(), qbuf, qfree, argvMem, rbs, rbp, omem, cmd, c.user, c.proto, c.libName, c.libVer)
}

var _ net.Conn = (*resp.GuardConn)(nil)
