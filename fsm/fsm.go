// Package fsm is the Raft state machine: it applies committed log entries to
// the in-memory dataset, appends what they did to the AOF, and produces the
// point-in-time dumps that serve both as Raft snapshots and as AOF rewrites.
package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/geomys/geomys/internal/hist"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/aof"
	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// markerPrefix starts the annotation written after each applied batch: it
// tells a restart which Raft index the AOF is complete up to.
const markerPrefix = "geomys:applied "

// Options configure an FSM.
type Options struct {
	Dir    string // AOF directory
	Fsync  string // always | everysec | no
	Logger *slog.Logger
	// OnReady is told about keys that may unblock waiting clients, after the
	// batch that changed them is visible to reads.
	OnReady func([]commands.ReadyKey)
	// OnPublish delivers the messages PUBLISHed in a batch, in log order,
	// after the batch is applied; it sets each one's Receivers, which becomes
	// the PUBLISH reply.
	OnPublish func([]commands.Publication)
	// RewritePercentage and RewriteMinSize trigger a rewrite (and Raft
	// snapshot) like auto-aof-rewrite-percentage / auto-aof-rewrite-min-size.
	RewritePercentage int
	RewriteMinSize    int64
	// Watches is the server's WATCH registry, told about every key change.
	Watches commands.WatchSet
	// Notify is this node's notify-keyspace-events (nil: none). The events
	// of each entry go out with its publications (commands/notify.go).
	Notify *commands.NotifySetting
	// ACL is the users before the log changes them (--requirepass,
	// --aclfile); nil is a fresh server's default user.
	ACL *acl.Users
	// OnDropUsers is told, as ACL DELUSER and ACL LOAD are applied, which
	// users' clients to disconnect (Redis does it on its one node; here
	// every node does it for its own clients).
	OnDropUsers func(dropped func(user string) bool)
	// OnOrigin is told, around an entry that names the connection it came
	// from (AppendOrigin), which one that is (run id and client id), and
	// then (nil, 0) once the entry is applied: the key changes reported to
	// Watches in between are that client's own (CLIENT TRACKING NOLOOP).
	OnOrigin func(run []byte, client int64)
	// OnBlock is told, on the node whose client waits for the reply, when
	// a blocking command of the entry OnOrigin named found nothing to
	// serve: called in log order, before any later entry is applied, so
	// the client takes its place in line before a write that follows it
	// in the log can be handed to someone else. Not for retries.
	OnBlock func(db int, b *commands.BlockRequest)
	// OnApplied is called after each batch of entries is applied, as Redis
	// runs beforeSleep after an event loop's commands (CLIENT TRACKING BCAST
	// sends the batch's invalidations in one message per prefix).
	OnApplied func()
}

// Result is what Apply returns for a command entry: the encoded replies of its
// commands, in order, and whether its (single, blocking) command must wait.
type Result struct {
	Reply []byte
	Block *commands.BlockRequest
	// Hits, Misses and Expired are what the entry's reads (ProtoRead) met:
	// keyspace hits and misses, and keys found past their TTL, for the
	// server to count and have deleted as it does for its own reads.
	Hits, Misses int64
	Expired      []commands.ReadyKey
	// Exec is how long each command of the entry took to execute, in
	// order: what SLOWLOG, the latency monitor and commandstats report, as
	// Redis' execution time excludes waiting for I/O (here the log's
	// commit).
	Exec []time.Duration
	// Ready holds the keys the entry signalled (pushes, XADDs): the server
	// holds the writer's reply until the clients blocked on them, woken by
	// this entry, were served, as Redis serves them before replying.
	Ready []commands.ReadyKey
	w     commands.Reply // renders Reply; kept with the Result for reuse
}

// maxPooledReply caps the reply buffer a released Result keeps.
const maxPooledReply = 64 << 10

// results recycles Results and their reply buffers: a new Result and
// writer per applied entry were a third of what a write allocated.
var results = sync.Pool{New: func() any { return new(Result) }}

func newResult() *Result {
	res := results.Get().(*Result)
	res.w.Reset()
	return res
}

// Release hands res back for reuse once its Reply has been copied out. Only
// the one reader of a Result may call it, and must not touch it after.
func (res *Result) Release() {
	if res == nil {
		return
	}
	if cap(res.w.Bytes()) > maxPooledReply {
		res.w = commands.Reply{}
	}
	res.Reply, res.Block = nil, nil
	res.Hits, res.Misses = 0, 0
	clear(res.Expired)
	res.Expired = res.Expired[:0]
	res.Exec = res.Exec[:0]
	clear(res.Ready)
	res.Ready = res.Ready[:0]
	results.Put(res)
}

// FSM implements raft.FSM and raft.BatchingFSM.
type FSM struct {
	opts Options
	log  *slog.Logger

	mu       sync.RWMutex // exclusive for applying entries, shared for reads
	store    *commands.Store
	aof      *aof.AOF
	prop     *commands.Propagation
	ctx      commands.Ctx
	rctx     commands.Ctx // runs the reads that ride in entries (read.go)
	cmds     []Cmd
	args     [][]byte // the argument slab cmds' Args point into
	pcg      rand.PCG
	applied  uint64 // last Raft index whose effects are in the AOF
	lastTime int64  // entry clocks never go backwards

	parts [][]byte // a batch entry's entries
	// scratch takes the replies of entries nobody reads (ApplyBatchFor).
	scratch   Result
	noResults []interface{} // all nil: ApplyBatchFor's answer when none is read

	// aofPending is a batch whose AOF write failed, retried with the next
	// one or by RetryAOF; aofMu serializes those two (Snapshot, which reads
	// it under mu, takes aofMu after mu).
	aofMu      sync.Mutex
	aofPending []byte
	members    map[string]Member // node id → addresses (replicated, see members.go)
	scripts    map[string]string // sha → body: the replicated script cache (scripts.go)
	libraries  map[string]string // name → code: function libraries (functions.go)
	libVersion atomic.Uint64
	users      atomic.Pointer[acl.Users] // the ACL (acl.go)
	aclChanged bool                      // the log changed the ACL: snapshots carry it
	// pubReplies are the entries of the batch being applied that PUBLISHed.
	pubReplies []pubReply
	opened     time.Time // entries appended before this publish nothing

	dirty       atomic.Int64 // changes since the last completed rewrite
	lastRewrite atomic.Int64 // unix seconds
	rewriting   atomic.Bool
	// rewritePct and rewriteMin are Options' rewrite triggers as they are
	// now: CONFIG SET auto-aof-rewrite-* changes them at runtime.
	rewritePct    atomic.Int64
	rewriteMin    atomic.Int64
	lastRewriteOK atomic.Bool
	aofWriteErr   atomic.Bool
	snapshots     hist.Histogram        // how long each snapshot (AOF rewrite) took
	rewriteStart  atomic.Int64          // unix ns the running rewrite began
	lastRewriteNs atomic.Int64          // how long the last completed one took; -1: none yet
	aofErr        atomic.Pointer[error] // the failed write's error while aofWriteErr

	limit atomic.Pointer[MemoryLimit] // maxmemory (memory.go)

	// replicas follow the propagation stream (replicas.go); replMu guards
	// the set, nReplicas spares a batch the lock when there are none.
	replMu    sync.Mutex
	replicas  map[*replica]struct{}
	nReplicas atomic.Int32
	used      atomic.Int64 // the store's used memory after the last batch
	peak      atomic.Int64 // the highest used has been

	repl replicaState // REPLICAOF (replicaof.go)
}

// Open creates the FSM and loads the AOF in opts.Dir.
func Open(opts Options) (*FSM, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a, err := aof.Open(aof.Options{Dir: opts.Dir, Fsync: opts.Fsync, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("open aof: %w", err)
	}
	f := &FSM{opts: opts, log: opts.Logger, aof: a, prop: commands.NewPropagation(), opened: time.Now()}
	f.lastRewriteNs.Store(-1)
	f.SetRewriteTriggers(opts.RewritePercentage, opts.RewriteMinSize)
	f.ctx.Prop = f.prop
	f.ctx.Rand = rand.New(&f.pcg)
	f.lastRewrite.Store(time.Now().Unix())
	f.lastRewriteOK.Store(true)
	start := time.Now()
	if err := f.load(); err != nil {
		a.Close()
		return nil, err
	}
	f.log.Info("dataset loaded from AOF", "keys", f.keyCount(), "applied_index", f.applied,
		"seconds", time.Since(start).Seconds())
	return f, nil
}

// load rebuilds the store from the AOF. Commands run in loading mode (time 0,
// so nothing counts as expired: the AOF holds explicit DELs for expiries).
func (f *FSM) load() error {
	f.store = commands.NewStore()
	if f.opts.Watches != nil {
		// A dataset replaced under a watcher counts as a change to every key.
		f.opts.Watches.Touch(-1, "", true)
		f.store.Watches = f.opts.Watches
	}
	f.applied, f.lastTime = 0, 0
	f.members = map[string]Member{}
	f.scripts = map[string]string{}
	f.libraries = map[string]string{}
	f.libVersion.Add(1)
	f.users.Store(f.initialACL())
	f.aclChanged = false
	f.repl.master.Store(nil)
	c := &commands.Ctx{Store: f.store, R: commands.NewReply(2), Prop: commands.NewPropagation()}
	c.Rand = rand.New(rand.NewPCG(0, 0))
	db := 0
	failed := 0
	err := f.aof.Load(func(args [][]byte) error {
		if len(args) == 0 {
			return nil
		}
		if commands.EqualFold(args[0], "select") && len(args) == 2 {
			n, ok := commands.ParseInt(args[1])
			if !ok || n < 0 || n >= commands.NumDBs {
				return fmt.Errorf("AOF selects invalid db %q", args[1])
			}
			db = int(n)
			return nil
		}
		if commands.EqualFold(args[0], "multi") || commands.EqualFold(args[0], "exec") {
			return nil // transactions are atomic anyway: a batch loads whole or not at all
		}
		if commands.EqualFold(args[0], "function") {
			f.loadFunctionCommand(args)
			return nil
		}
		cmd := commands.Lookup(args[0])
		if cmd == nil || cmd.Handler == nil || !cmd.Logged() {
			return fmt.Errorf("AOF contains unknown or non-write command %q", args[0])
		}
		c.R.Reset()
		c.Prop.Reset()
		c.Begin(f.store.DBs[db], args)
		cmd.Handler(c)
		if b := c.R.Bytes(); len(b) > 0 && b[0] == '-' {
			failed++
			if failed <= 10 {
				f.log.Warn("AOF command failed on load; the AOF holds a command this version refuses: report it with the command, and keep a copy of the data dir", "command", string(args[0]), "reply", strings.TrimSpace(string(b)))
			}
		}
		c.TakeReady()
		return nil
	}, func(note string) {
		if rest, ok := strings.CutPrefix(note, memberPrefix); ok {
			f.loadMemberNote(rest)
			return
		}
		if f.loadScriptNote(note) || f.loadACLNote(note) || f.loadReplicaNote(note) {
			return
		}
		if commands.LoadStreamNote(f.store.DBs[db], note) {
			return
		}
		if rest, ok := strings.CutPrefix(note, markerPrefix); ok {
			idx, ts, _ := strings.Cut(rest, " ")
			if n, err := strconv.ParseUint(idx, 10, 64); err == nil {
				f.applied = n
			}
			if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
				f.lastTime = n
			}
		}
	})
	if err != nil {
		return fmt.Errorf("load aof: %w", err)
	}
	f.store.RecountMemory()
	f.publishUsed()
	return nil
}

func (f *FSM) keyCount() int {
	n := 0
	for _, db := range f.store.DBs {
		n += db.Len()
	}
	return n
}

// Apply implements raft.FSM.
func (f *FSM) Apply(l *raft.Log) interface{} {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

// ApplyBatch implements raft.BatchingFSM: one lock and one AOF write for
// every entry raft committed together.
func (f *FSM) ApplyBatch(logs []*raft.Log) []interface{} {
	return f.ApplyBatchFor(logs, nil)
}

// ApplyBatchFor is ApplyBatch on a node that reads the results of only
// some entries: those replied reports (nil: all of them). Only the node
// that proposed an entry, while its client still waits, reads what it
// answered; every other node (followers, a new leader applying an earlier
// term's entries) applies it all the same, to the same dataset, AOF, blocked
// clients, notifications and invalidations, but builds no Result for it and
// returns nil in its place. On a follower a Result per entry was garbage,
// never handed back to the pool, and the CPU it cost was the leader's too
// on a shared machine.
func (f *FSM) ApplyBatchFor(logs []*raft.Log, replied func(*raft.Log) bool) []interface{} {
	var out []interface{}
	if replied == nil || anyReplied(logs, replied) {
		out = make([]interface{}, len(logs))
	} else {
		// Nothing is written into it: raft only reads nils out of it.
		if cap(f.noResults) < len(logs) {
			f.noResults = make([]interface{}, len(logs))
		}
		out = f.noResults[:len(logs)]
	}
	f.mu.Lock()
	startDB := f.prop.DB()
	for i, l := range logs {
		if l.Index <= f.applied {
			continue // already in the AOF we loaded at start
		}
		if l.Type == raft.LogCommand {
			npub, nrep := f.ctx.Publications(), len(f.pubReplies)
			// The AOF write below (refs) and values kept without a copy
			// rely on l.Data: alive until then, and never written again.
			f.ctx.Entry, f.prop.Stable = l.Data, l.Data
			if replied == nil || replied(l) {
				out[i] = f.applyLog(l, true)
			} else {
				f.applyLog(l, false)
			}
			if !l.AppendedAt.IsZero() && l.AppendedAt.Before(f.opened) {
				// Appended before this process started: a replay after a
				// restart (or a catch-up of old entries), whose messages
				// were delivered back then or are long stale.
				f.ctx.DropPublications(npub)
				f.pubReplies = f.pubReplies[:nrep]
			}
		}
		f.applied = l.Index
	}
	f.ctx.Entry, f.prop.Stable = nil, nil
	var buf []byte
	var refs []commands.Ref
	if len(f.prop.Buf) > 0 {
		f.appendMarker()
		buf, refs = f.prop.Buf, f.prop.Refs
		f.prop.Buf, f.prop.Refs = nil, nil
		if f.feedAllowed() && f.nReplicas.Load() > 0 {
			// Under the lock, so that a replica attached between two
			// batches gets exactly the ones after its dump.
			f.feedReplicas(startDB, buf, refs)
		}
	}
	ready := f.ctx.TakeReady()
	pubs := f.ctx.TakePublications()
	f.publishUsed()
	f.mu.Unlock()

	if buf != nil {
		// Outside the lock: reads need not wait for the write() (the entry is
		// already durable in the Raft log). Snapshot(), the only other user of
		// the AOF's current file, runs on this same goroutine.
		f.appendAOF(buf, refs)
		if cap(buf) <= maxIdlePropBuf {
			f.prop.Buf = buf[:0]
		} // else a large value's copy must not stay pinned: start afresh

	}
	if len(ready) > 0 && f.opts.OnReady != nil {
		f.opts.OnReady(ready)
	}
	if len(pubs) > 0 {
		f.deliver(pubs)
	}
	if f.opts.OnApplied != nil {
		f.opts.OnApplied()
	}
	return out
}

func anyReplied(logs []*raft.Log, replied func(*raft.Log) bool) bool {
	for _, l := range logs {
		if l.Type == raft.LogCommand && replied(l) {
			return true
		}
	}
	return false
}

// appendMarker writes the applied marker as Propagation.Annotate would,
// without building its line as a string first (two allocations a batch).
func (f *FSM) appendMarker() {
	b := append(f.prop.Buf, '#')
	b = append(b, markerPrefix...)
	b = strconv.AppendUint(b, f.applied, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.lastTime, 10)
	f.prop.Buf = append(b, '\r', '\n')
}

// maxIdlePropBuf caps the AOF buffer kept between batches.
const maxIdlePropBuf = 1 << 20

// pubReply is an entry that PUBLISHed n messages, whose replies r holds.
type pubReply struct {
	res *Result
	r   *commands.Reply
	n   int
}

// deliver hands the batch's publications to the server and puts the receiver
// counts into the PUBLISH replies.
func (f *FSM) deliver(pubs []commands.Publication) {
	if f.opts.OnPublish != nil {
		f.opts.OnPublish(pubs)
	}
	i := 0
	for _, pr := range f.pubReplies {
		if i+pr.n > len(pubs) {
			break
		}
		pr.res.Reply = commands.PatchPublishReplies(pr.r, pubs[i:i+pr.n])
		i += pr.n
	}
	clear(f.pubReplies)
	f.pubReplies = f.pubReplies[:0]
}

// appendAOF writes a batch. A failed write leaves nothing of it in the file,
// so the batch is kept and written again in front of the next one (or by
// RetryAOF): a later marker must never vouch for a batch that is missing.
// refs are big values that belong in buf (commands.Propagation.Refs),
// written from the log entry's data.
func (f *FSM) appendAOF(buf []byte, refs []commands.Ref) {
	f.aofMu.Lock()
	defer f.aofMu.Unlock()
	if len(refs) > 0 {
		f.writeAOFParts(buf, refs)
		return
	}
	if len(f.aofPending) > 0 {
		buf = append(f.aofPending, buf...)
	}
	f.writeAOF(buf)
}

// writeAOFParts is writeAOF for a batch with refs.
func (f *FSM) writeAOFParts(buf []byte, refs []commands.Ref) {
	parts := commands.Parts(buf, refs)
	if len(f.aofPending) > 0 {
		parts = append([][]byte{f.aofPending}, parts...)
	}
	if err := f.aof.AppendParts(parts); err != nil {
		// The refs' data is the log entry's, which raft lets go of: the
		// retry keeps its own copy.
		f.aofFailed(bytes.Join(parts, nil), err)
		return
	}
	f.aofWritten()
}

// writeAOF appends buf (pending batches included); the caller holds aofMu.
func (f *FSM) writeAOF(buf []byte) {
	if err := f.aof.Append(buf); err != nil {
		f.aofFailed(buf, err)
		return
	}
	f.aofWritten()
}

// aofWritten notes a successful AOF write.
func (f *FSM) aofWritten() {
	f.aofPending = nil
	if f.aofWriteErr.Swap(false) {
		f.log.Warn("AOF write error looks solved, Geomys can write again")
	}
}

// aofFailed keeps buf for a retry and reports the error. (Apart from
// writeAOF, so that its err does not escape to the heap on every write.)
func (f *FSM) aofFailed(buf []byte, err error) {
	if len(f.aofPending) != len(buf) || &f.aofPending[0] != &buf[0] { // not a retry of it alone
		f.aofPending = append(f.aofPending[:0:0], buf...)
	}
	f.aofErr.Store(&err)
	if !f.aofWriteErr.Swap(true) {
		f.log.Error("AOF write failed; write commands are refused (-MISCONF) until it succeeds again: free space on the AOF's disk. The Raft log still holds every acknowledged write", "err", err)
	}
}

// RetryAOF writes the batches a failed AOF write left pending, as Redis
// retries its AOF buffer every second: the server refuses writes meanwhile,
// so no new batch would retry them.
func (f *FSM) RetryAOF() {
	if !f.aofWriteErr.Load() {
		return
	}
	f.aofMu.Lock()
	defer f.aofMu.Unlock()
	if len(f.aofPending) > 0 {
		f.writeAOF(f.aofPending)
	}
}

// AOFWriteError is the error of the last AOF write while it failed (nil
// once writes succeed again).
func (f *FSM) AOFWriteError() error {
	if !f.aofWriteErr.Load() {
		return nil
	}
	if p := f.aofErr.Load(); p != nil {
		return *p
	}
	return errors.New("AOF write failed")
}

// BatchResult is what Apply returns for a batch entry: one Result per
// entry, in order.
type BatchResult struct {
	Results []*Result
}

// applyLog applies a command log: a single entry or a batch of them. With
// replied false nobody reads what it answers, and it returns nil.
func (f *FSM) applyLog(l *raft.Log, replied bool) interface{} {
	if len(l.Data) == 0 || l.Data[0] != batchMagic {
		if res := f.applyEntry(l.Data, l.Index, l.Term, 0, replied); res != nil {
			return res
		}
		return nil // not a typed nil
	}
	entries, err := splitBatch(l.Data, f.parts[:0])
	f.parts = entries[:0]
	defer clear(entries) // the entry's data must not stay reachable
	if err != nil {
		f.log.Error("skipping malformed batch entry", "index", l.Index, "err", err)
		if !replied {
			return nil
		}
		return &Result{Reply: []byte("-ERR malformed log entry\r\n")}
	}
	if !replied {
		for i, e := range entries {
			f.applyEntry(e, l.Index, l.Term, uint64(i), false)
		}
		return nil
	}
	res := &BatchResult{Results: make([]*Result, len(entries))}
	for i, e := range entries {
		res.Results[i] = f.applyEntry(e, l.Index, l.Term, uint64(i), true)
	}
	return res
}

// applyEntry runs one connection's commands. sub numbers the entry within its
// log entry so that each gets its own deterministic random stream. With
// replied false the commands write their replies into a scratch writer the
// FSM keeps (handlers and transactions behave exactly as when someone reads
// them) and it returns nil.
func (f *FSM) applyEntry(data []byte, index, term, sub uint64, replied bool) *Result {
	t, cmds, args, tail, err := decodeEntry(data, f.cmds, f.args)
	f.args = args[:0]
	if err != nil {
		f.log.Error("skipping malformed log entry", "index", index, "err", err)
		if !replied {
			return nil
		}
		return &Result{Reply: []byte("-ERR malformed log entry\r\n")}
	}
	f.cmds = cmds[:0]
	defer clear(args) // the entry's data must not stay reachable from the slab
	f.repl.fromMaster, f.repl.late = false, false
	defer f.noteEntryProp(len(f.prop.Buf))
	tr := parseTrailers(tail)
	if tr.hasOrigin && f.opts.OnOrigin != nil {
		f.opts.OnOrigin(tr.run, tr.client)
		defer f.opts.OnOrigin(nil, 0)
	}
	f.store.SetStreamNode(tr.streamNode)
	f.lastTime = max(t, f.lastTime)
	f.pcg.Seed(index, term<<20|sub)
	c := &f.ctx
	c.Store, c.Now = f.store, f.lastTime
	c.SetNotify(f.opts.Notify.Load())
	var res *Result
	if replied {
		res = newResult()
	} else {
		res = &f.scratch
		res.w.Reset()
	}
	r := &res.w
	c.R = r
	pubs := c.Publications()
	var last time.Time // the previous command's start, timing Exec
	readyMark := c.ReadyLen()
	inTx := 0     // commands of the current transaction still to run
	skipTx := 0   // commands of an aborted transaction still to skip
	propMark := 0 // where the transaction's propagation starts
	cmdMark := 0  // how many commands were propagated before it
	for i, cmd := range cmds {
		if replied {
			now := time.Now()
			if i > 0 {
				res.Exec = append(res.Exec, now.Sub(last))
			}
			last = now
		}
		r.Proto = cmd.Proto
		if cmd.DB < 0 || cmd.DB >= commands.NumDBs || len(cmd.Args) == 0 {
			r.Error("ERR malformed command in log entry")
			// Still one of the transaction's commands: its reply is one of
			// the array's elements.
			if inTx > 0 {
				if inTx--; inTx == 0 {
					f.wrapTxPropagation(propMark, cmdMark)
				}
			}
			continue
		}
		if skipTx > 0 {
			skipTx--
			continue
		}
		if f.repl.late {
			continue
		}
		db := f.store.DBs[cmd.DB]
		if cmd.Read && inTx == 0 {
			if replied {
				f.applyRead(res, db, cmd.Args, index)
			}
			continue
		}
		name := cmd.Args[0]
		switch {
		case string(name) == MultiCommand:
			n, ok := f.beginTx(c, db, cmd.Args)
			if !ok {
				r.Error("ERR malformed transaction in log entry")
				skipTx = n
				continue
			}
			r.Array(n)
			inTx, propMark, cmdMark = n, len(f.prop.Buf), f.prop.Commands()
			continue
		case string(name) == ReplyCommand && inTx > 0 && len(cmd.Args) == 2:
			r.Raw(cmd.Args[1])
		case len(name) > 0 && name[0] == '.':
			f.internal(c, db, cmd.Args)
		default:
			def := commands.Lookup(name)
			// Inside a transaction reads run here too, at their place in the log.
			// A blocking read (XREAD BLOCK) comes through the log so that it can park.
			if def == nil || def.Handler == nil || !def.Logged() && !def.Is(commands.Blocking) && !(inTx > 0 && def.Is(commands.ReadOnly)) {
				r.Error("ERR unknown command '" + string(name) + "'")
				break
			}
			c.Begin(db, cmd.Args)
			c.Retry = cmd.Retry
			f.run(def, c, index)
			c.Finish()
			if n := c.DirtyCount(); n > 0 {
				f.dirty.Add(int64(n))
			}
			if b := c.Blocked(); b != nil {
				if inTx > 0 {
					writeBlockedInTx(r, def) // blocking commands never block in MULTI
				} else if replied {
					res.Block = b
					if !cmd.Retry && f.opts.OnBlock != nil {
						f.opts.OnBlock(db.ID, b)
					}
				}
			}
		}
		if inTx > 0 {
			if inTx--; inTx == 0 {
				f.wrapTxPropagation(propMark, cmdMark)
			}
		}
	}
	if !replied {
		if cap(r.Bytes()) > maxPooledReply {
			res.w = commands.Reply{}
		}
		return nil
	}
	if len(cmds) > 0 {
		res.Exec = append(res.Exec, time.Since(last))
	}
	res.Reply = r.Bytes()
	if c.ReadyLen() > readyMark {
		res.Ready = append(res.Ready[:0], c.ReadySince(readyMark)...)
	}
	if n := c.Publications() - pubs; n > 0 {
		f.pubReplies = append(f.pubReplies, pubReply{res, r, n})
	}
	return res
}

// run executes a handler, turning a panic into an error reply: the same entry
// panics the same way on every node and on every replay, so crashing would
// only turn one bad command into a node that can never start again.
func (f *FSM) run(def *commands.Command, c *commands.Ctx, index uint64) {
	defer func() {
		if p := recover(); p != nil {
			f.log.Error("command panicked while applying", "command", def.Name, "index", index, "panic", p)
			c.R.Error("ERR internal error executing '" + def.Name + "'")
		}
	}()
	def.Handler(c)
}

// MultiCommand heads a transaction: [".multi", n] followed by its n commands. ReplyCommand carries the reply of a command the
// server ran itself inside the transaction (PING, SELECT, ...).
const (
	MultiCommand = ".multi"
	ReplyCommand = ".reply"
)

// beginTx reads a transaction header [".multi", n]. WATCH was decided by the
// leader just before proposing (the transaction only reaches the log if its
// watched keys were untouched), so every node runs what it finds here.
func (f *FSM) beginTx(c *commands.Ctx, db *commands.DB, args [][]byte) (int, bool) {
	if len(args) != 2 {
		return 0, false
	}
	n, err := strconv.Atoi(string(args[1]))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// wrapTxPropagation brackets what a transaction propagated with MULTI/EXEC,
// so a stock redis-server loading the AOF applies it atomically too. As in
// Redis 7, a single command goes without them, and a SELECT of the first
// command's db comes before the MULTI.
func (f *FSM) wrapTxPropagation(mark, cmdMark int) {
	if f.prop.Commands()-cmdMark < 2 {
		return
	}
	const multi = "*1\r\n$5\r\nMULTI\r\n"
	mark += selectLen(f.prop.Buf[mark:])
	body := append([]byte(nil), f.prop.Buf[mark:]...)
	f.prop.Buf = append(append(f.prop.Buf[:mark], multi...), body...)
	f.prop.ShiftRefs(mark, len(multi))
	f.prop.Buf = append(f.prop.Buf, "*1\r\n$4\r\nEXEC\r\n"...)
}

// selectLen is the length of the SELECT that b starts with (0: none).
func selectLen(b []byte) int {
	const prefix = "*2\r\n$6\r\nSELECT\r\n$"
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return 0
	}
	at := len(prefix)
	n := 0
	for at < len(b) && b[at] != '\r' {
		n = n*10 + int(b[at]-'0')
		at++
	}
	return at + 2 + n + 2
}

// writeBlockedInTx is a blocking command's reply when it cannot block
// (inside MULTI): nil, as Redis answers.
func writeBlockedInTx(r *commands.Reply, def *commands.Command) {
	switch def.Name {
	case "blmove", "brpoplpush":
		r.Null()
	default:
		r.NullArray()
	}
}

// ExpireCommand is the internal command the leader's active expiry cycle
// proposes: delete each listed key that is still expired at the entry's time.
const ExpireCommand = ".expire"

func (f *FSM) internal(c *commands.Ctx, db *commands.DB, args [][]byte) {
	switch string(args[0]) {
	case ExpireCommand:
		c.Begin(db, args)
		for _, k := range args[1:] {
			c.Lookup(k) // an expired key is deleted and its DEL propagated
		}
		c.R.Int(0)
	case EvictCommand:
		f.applyEvict(c, db, args)
	case MemberCommand:
		f.applyMember(c, args)
	case ScriptCommand:
		f.applyScript(c, args)
	case ACLCommand:
		f.applyACL(c, args)
	case ReplicaOfCommand:
		f.applyReplicaOf(c, args)
	case MasterCommand:
		f.applyMaster(c, args)
	case FunctionCommand:
		c.Begin(db, args)
		f.applyFunction(c, args)
	case ReloadCommand:
		c.Begin(db, args)
		f.applyReload(c, args)
	case PopulateCommand:
		c.Begin(db, args)
		f.applyPopulate(c, args)
	default:
		c.R.Error("ERR unknown internal command")
	}
}

// View runs fn with the dataset under the read lock.
func (f *FSM) View(fn func(s *commands.Store)) {
	f.mu.RLock()
	fn(f.store)
	f.mu.RUnlock()
}

// AppliedIndex is the last Raft index applied to the dataset.
func (f *FSM) AppliedIndex() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.applied
}

// ExpiredKeys samples up to max keys per db whose TTL passed at now.
func (f *FSM) ExpiredKeys(now int64, max int) map[int][]string {
	out := map[int][]string{}
	f.View(func(s *commands.Store) {
		for _, db := range s.DBs {
			if db.Expires() == 0 {
				continue
			}
			if keys := db.ExpiredSample(now, max); len(keys) > 0 {
				out[db.ID] = keys
			}
		}
	})
	return out
}

// RewriteDue reports whether the AOF grew enough since the last rewrite.
func (f *FSM) RewriteDue() bool {
	pct := f.rewritePct.Load()
	if pct <= 0 || f.rewriting.Load() {
		return false
	}
	base, incr := f.aof.Sizes()
	if base+incr < f.rewriteMin.Load() {
		return false
	}
	return incr*100 >= max(base, 1)*pct
}

// SetRewriteTriggers changes auto-aof-rewrite-percentage (0 disables
// automatic rewrites) and auto-aof-rewrite-min-size. They are this node's
// own: when a node rewrites is not part of the replicated state.
func (f *FSM) SetRewriteTriggers(percentage int, minSize int64) {
	f.rewritePct.Store(int64(percentage))
	f.rewriteMin.Store(minSize)
}

// SetFsync changes the AOF's fsync policy (appendfsync). It is this node's
// own: the Raft log, fsynced before every acknowledgement, is what makes
// writes durable, so nodes need not agree on it.
func (f *FSM) SetFsync(policy string) error { return f.aof.SetFsync(policy) }

// Fsync is the AOF's fsync policy in use.
func (f *FSM) Fsync() string { return f.aof.Fsync() }

// Stats are the persistence figures INFO reports.
type Stats struct {
	AppliedIndex     uint64
	Dirty            int64
	LastRewrite      int64
	Rewriting        bool
	LastRewriteOK    bool
	AOFWriteOK       bool
	AOFBase, AOFIncr int64
	ExpiredKeys      int64
	// AOFRewrites counts rewrites (snapshots) committed since start.
	AOFRewrites int64
	// LastRewriteTook is the last completed rewrite's duration (-1: none
	// since start); RewriteTook is the running one's so far (-1: none).
	LastRewriteTook, RewriteTook time.Duration
	EvictedKeys                  int64
	// LazyfreedObjects: INFO lazyfreed_objects (commands/lazyfree.go).
	LazyfreedObjects int64
}

func (f *FSM) Stats() Stats {
	base, incr := f.aof.Sizes()
	f.mu.RLock()
	expired, evicted, lazyfreed := f.store.ExpiredKeys, f.store.EvictedKeys, f.store.LazyfreedObjects
	f.mu.RUnlock()
	running := time.Duration(-1)
	if f.rewriting.Load() {
		if at := f.rewriteStart.Load(); at > 0 {
			running = time.Since(time.Unix(0, at))
		}
	}
	return Stats{
		LastRewriteTook: time.Duration(f.lastRewriteNs.Load()), RewriteTook: running,
		AppliedIndex: f.AppliedIndex(), Dirty: f.dirty.Load(), LastRewrite: f.lastRewrite.Load(),
		Rewriting: f.rewriting.Load(), LastRewriteOK: f.lastRewriteOK.Load(), AOFWriteOK: !f.aofWriteErr.Load(),
		AOFBase: base, AOFIncr: incr, ExpiredKeys: expired, EvictedKeys: evicted, AOFRewrites: f.aof.Rewrites(),
		LazyfreedObjects: lazyfreed,
	}
}

// FsyncLatency is how long the AOF's fsyncs took since start.
func (f *FSM) FsyncLatency() hist.Snapshot { return f.aof.FsyncLatency() }

// SnapshotDurations is how long the snapshots (each an AOF rewrite) that
// completed since start took.
func (f *FSM) SnapshotDurations() hist.Snapshot { return f.snapshots.Snapshot() }

// Close flushes and closes the AOF.
func (f *FSM) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.aof.Close()
}

// Snapshot implements raft.FSM. It runs between applies: the AOF switches to a
// new incremental file here, so the dump plus that file are exactly the state.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aofMu.Lock()
	pending := len(f.aofPending) > 0
	f.aofMu.Unlock()
	if pending {
		// The dump would include the unwritten batch and the new incremental
		// file would then replay it a second time.
		return nil, errors.New("the AOF has a batch it could not write yet; not rewriting")
	}
	if !f.rewriting.CompareAndSwap(false, true) {
		return nil, errors.New("a rewrite is already in progress")
	}
	rw, err := f.aof.StartRewrite()
	if err != nil {
		f.rewriting.Store(false)
		return nil, fmt.Errorf("start aof rewrite: %w", err)
	}
	f.prop.ForgetDB()
	f.rewriteStart.Store(time.Now().UnixNano())
	sn := &snapshot{f: f, sn: f.store.BeginSnapshot(), rw: rw, index: f.applied, time: f.lastTime,
		members: maps.Clone(f.members), scripts: maps.Clone(f.scripts), libraries: maps.Clone(f.libraries), master: f.repl.master.Load(), started: time.Now()}
	if f.aclChanged {
		sn.users = f.users.Load()
	}
	return sn, nil
}

// Restore implements raft.FSM: the dump becomes the new AOF base and the
// dataset is rebuilt from it.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.aof.InstallBase(rc); err != nil {
		return fmt.Errorf("install snapshot as aof base: %w", err)
	}
	f.prop.ForgetDB()
	f.dropReplicas()
	if err := f.load(); err != nil {
		return err
	}
	f.log.Info("restored snapshot", "keys", f.keyCount(), "applied_index", f.applied)
	return nil
}

// RLock takes the read lock and returns the dataset; pair with RUnlock. The
// server uses it on the hot read path to avoid a closure per command.
func (f *FSM) RLock() *commands.Store {
	f.mu.RLock()
	return f.store
}

// RUnlock releases the read lock taken by RLock.
func (f *FSM) RUnlock() { f.mu.RUnlock() }
