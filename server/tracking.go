package server

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// Client-side caching (CLIENT TRACKING). The FSM reports every key change
// through the WATCH registry's Touch (tx.go), on every node as it applies the
// log, so a client tracking on a follower is invalidated when the write
// applies there. Invalidation frames go through the receiving connection's
// subscriber queue (pubsub.go): never written from the FSM goroutine.
//
// NOLOOP: the entry of a NOLOOP client's writes names it (fsm.AppendOrigin:
// this server's run id and the client's id), a follower relaying them
// declares the client on its link (RAFT.ORIGIN) so that the leader names it
// in turn, and while such an entry applies, on every node, the FSM reports
// its origin (setOrigin): the node whose run id it is skips that client.
// Entries of other clients carry nothing, so they cost nothing more.

// trackState is a connection's tracking mode; its owner goroutine writes it
// under the table's lock, the FSM goroutine reads it under that lock.
type trackState struct {
	on                   bool
	bcast, optin, optout bool
	noloop               bool
	redirect             int64
	prefixes             []string
	caching              int8 // CLIENT CACHING for the next command: 1 yes, -1 no
	cachingJustSet       bool
}

type trackingTable struct {
	n atomic.Int32 // connections with tracking on
	// origin is the client of this node whose entry is being applied, when
	// the entry names one (0: none); only the FSM goroutine sets it.
	origin  atomic.Int64
	mu      sync.Mutex
	byKey   map[string]map[*Client]struct{} // keys read by default-mode clients
	clients map[*Client]struct{}
	// bcast is Redis' prefix table: the BCAST clients of each prefix and
	// the keys under it changed since the last flushBroadcast.
	bcast map[string]*bcastState
	// pending holds the invalidations of a client's own writes to keys it
	// tracks, until its goroutine has written the command's reply
	// (drainSelfInvalidations): Redis sends them after the reply, never
	// inside it. nPending counts them, so nobody locks to find none.
	pending  map[*Client][][]byte
	nPending atomic.Int32
	// items counts (client, key) pairs in byKey (INFO tracking_total_items);
	// maxKeys is tracking-table-max-keys (0: no limit).
	items   int
	maxKeys atomic.Int64
}

// bcastState is one prefix's BCAST clients and pending keys, each key
// with the client of this node that last changed it (0: another), so that
// a NOLOOP client is not told about its own writes.
type bcastState struct {
	clients map[*Client]struct{}
	keys    map[string]int64
}

const trackingChannel = "__redis__:invalidate"

// remember records keys a tracking client read (default mode).
func (s *Server) remember(cl *Client, keys [][]byte) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byKey == nil {
		t.byKey = map[string]map[*Client]struct{}{}
	}
	for _, k := range keys {
		set := t.byKey[string(k)]
		if set == nil {
			set = map[*Client]struct{}{}
			t.byKey[string(k)] = set
		}
		if _, in := set[cl]; !in {
			set[cl] = struct{}{}
			t.items++
		}
	}
	s.limitKeys()
}

// limitKeys is Redis' trackingLimitUsedSlots: while byKey holds more keys
// than tracking-table-max-keys, a key taken at random is forgotten and its
// clients are told it changed, so they stop caching it. t.mu is held.
func (s *Server) limitKeys() {
	t := &s.tracking
	max := int(t.maxKeys.Load())
	if max == 0 {
		return
	}
	for k, set := range t.byKey {
		if len(t.byKey) <= max {
			return
		}
		for cl := range set {
			if !cl.track.bcast {
				s.sendInvalidation(cl, [][]byte{[]byte(k)})
			}
		}
		t.items -= len(set)
		delete(t.byKey, k)
	}
}

// limitTrackingKeys applies a new tracking-table-max-keys.
func (s *Server) limitTrackingKeys(max int64) {
	t := &s.tracking
	t.maxKeys.Store(max)
	t.mu.Lock()
	s.limitKeys()
	t.mu.Unlock()
}

// trackingCounts is INFO's tracking_total_keys, _items and _prefixes.
func (s *Server) trackingCounts() (keys, items, prefixes int) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byKey), t.items, len(t.bcast)
}

// invalidate is called from Touch on the FSM goroutine: key changed, or with
// all set, everything (FLUSHALL/FLUSHDB/SWAPDB: a null invalidation).
func (s *Server) invalidate(key string, all bool) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	if all {
		clear(t.byKey)
		t.items = 0
		self := t.origin.Load()
		for cl := range t.clients {
			if cl.ID == self {
				s.deferInvalidation(cl, nil)
			} else {
				s.sendInvalidation(cl, nil)
			}
		}
		return
	}
	self := t.origin.Load()
	for cl := range t.byKey[key] {
		switch {
		case cl.track.bcast || cl.track.noloop && cl.ID == self:
		case cl.ID == self:
			s.deferInvalidation(cl, [][]byte{[]byte(key)})
		default:
			s.sendInvalidation(cl, [][]byte{[]byte(key)})
		}
	}
	// Forgotten by a NOLOOP writer too, as Redis does: the key is read
	// again before its next change is told.
	t.items -= len(t.byKey[key])
	delete(t.byKey, key)
	// BCAST clients hear of the key with every other key of their prefix
	// changed in the same batch, in one message (flushBroadcast).
	for p, bs := range t.bcast {
		if strings.HasPrefix(key, p) {
			bs.keys[key] = self
		}
	}
}

// flushBroadcast is fsm.Options.OnApplied: once a batch of entries is
// applied, every BCAST client gets, per prefix of its own, one message
// naming the keys under that prefix the batch changed (as Redis does once
// per event loop, in beforeSleep), in key order, less for a NOLOOP client
// those it changed itself.
func (s *Server) flushBroadcast() {
	t := &s.tracking
	if t.n.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range slices.Sorted(maps.Keys(t.bcast)) {
		bs := t.bcast[p]
		if len(bs.keys) == 0 {
			continue
		}
		keys := slices.Sorted(maps.Keys(bs.keys))
		all := make([][]byte, len(keys))
		for i, k := range keys {
			all[i] = []byte(k)
		}
		for cl := range bs.clients {
			send, own := all, false
			if cl.track.noloop {
				send = make([][]byte, 0, len(all))
				for _, k := range all {
					if bs.keys[string(k)] != cl.ID {
						send = append(send, k)
					}
				}
				if len(send) == 0 {
					continue
				}
			} else {
				for _, w := range bs.keys {
					if own = w == cl.ID; own {
						break
					}
				}
			}
			if own {
				s.deferInvalidation(cl, send)
			} else {
				s.sendInvalidation(cl, send)
			}
		}
		clear(bs.keys)
	}
}

// setOrigin is fsm.Options.OnOrigin: the entry about to apply came from
// client of the server whose run id is run (nil run: the entry is done).
func (s *Server) setOrigin(run []byte, client int64) {
	if string(run) != s.runID {
		client = 0
	}
	s.tracking.origin.Store(client)
}

// originOf is the origin to name in the entry of cl's writes, when cl must
// not be told about them now: cl itself if it tracks keys, or for a proxy
// link the other node's client it relays for (RAFT.ORIGIN). Zero otherwise.
// It reads cl's state: call it on cl's goroutine.
func (s *Server) originOf(cl *Client) origin {
	switch {
	case cl.relayOrigin.run != "":
		return cl.relayOrigin
	case cl.track.on:
		// Not only for NOLOOP: the invalidations of a tracking client's own
		// writes wait for its reply (deferInvalidation).
		return origin{s.runID, cl.ID}
	}
	return origin{}
}

// stamp appends o to entry, if there is an origin and an entry.
func (o origin) stamp(entry []byte) []byte {
	if o.run == "" || len(entry) == 0 {
		return entry
	}
	return fsm.AppendOrigin(entry, o.run, o.client)
}

// stampOrigin is originOf(cl).stamp(entry), with this node's stream node
// setting when it is not the default (fsm.AppendStreamNode): the entry's
// XADDs append with it on every node.
func (s *Server) stampOrigin(cl *Client, entry []byte) []byte {
	return fsm.AppendStreamNode(s.originOf(cl).stamp(entry), commands.StreamNodeConfig())
}

// linkOrigin is what a follower declares on the link relaying cl's
// commands: cl itself when it tracks with NOLOOP ("" otherwise).
func (s *Server) linkOrigin(cl *Client) (string, int64) {
	if cl.track.noloop {
		return s.runID, cl.ID
	}
	return "", 0
}

// origin is a client of some server, by run id (relayed writes).
type origin struct {
	run    string
	client int64
}

// raftOriginCommand is RAFT.ORIGIN run-id client-id, or RAFT.ORIGIN alone
// to clear: a follower names the client whose commands its link relays
// next, so the leader puts it in their entries.
func raftOriginCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.proxyLink {
		cl.out.Error(commands.ErrOriginNotLink)
		return
	}
	switch len(args) {
	case 1:
		cl.relayOrigin = origin{}
	case 3:
		id, ok := commands.ParseInt(args[2])
		if !ok || len(args[1]) == 0 {
			cl.out.Error(commands.ErrSyntax)
			return
		}
		cl.relayOrigin = origin{string(args[1]), id}
	default:
		cl.out.Error(commands.ErrSyntax)
		return
	}
	cl.out.OK()
}

// sendInvalidation queues an invalidation of keys for cl (nil: a flush) to
// cl or its redirect target, as Redis' sendTrackingMessage: a RESP3 push, or
// for a RESP2 target subscribed to anything a message on
// __redis__:invalidate. t.mu is held.
func (s *Server) sendInvalidation(cl *Client, keys [][]byte) {
	target := cl
	if cl.track.redirect != 0 {
		s.mu.Lock()
		target = s.clients[cl.track.redirect]
		s.mu.Unlock()
		if target == nil {
			cl.trackBroken.Store(true)
			// Redis tells a RESP3 client that its redirection broke.
			if sb := cl.sub.live.Load(); sb != nil && cl.sub.writerOn.Load() && sb.proto() == 3 {
				r := commands.Reply{Proto: 3}
				r.Push(2)
				r.BulkString("tracking-redir-broken")
				r.Int(cl.track.redirect)
				sb.enqueue(r.Bytes())
			}
			return
		}
	}
	sb := target.sub.live.Load()
	if sb == nil || !target.sub.writerOn.Load() {
		// A RESP3 redirection target that neither tracks nor subscribes
		// has no writer: Redis pushes to it all the same.
		if target != cl {
			target.mu.Lock()
			p := target.proto
			target.mu.Unlock()
			if p == 3 {
				target.pushDirect(invalidationPush(keys))
			}
		}
		return
	}
	proto := sb.proto()
	r := commands.Reply{Proto: proto}
	if proto == 3 {
		r.Push(2)
		r.BulkString("invalidate")
	} else {
		if cl.track.redirect == 0 || target.sub.nTotal.Load() == 0 {
			return
		}
		r.Array(3)
		r.BulkString("message")
		r.BulkString(trackingChannel)
	}
	if keys == nil {
		r.Null()
	} else {
		r.Array(len(keys))
		for _, k := range keys {
			r.Bulk(k)
		}
	}
	sb.enqueue(r.Bytes())
}

// deferInvalidation is sendInvalidation for a client whose own write
// (the entry being applied) changed keys it tracks: unless redirected, the
// frame waits in pending for its reply to be written. t.mu is held.
func (s *Server) deferInvalidation(cl *Client, keys [][]byte) {
	sb := cl.sub.live.Load()
	if cl.track.redirect != 0 || sb == nil {
		s.sendInvalidation(cl, keys)
		return
	}
	if sb.proto() != 3 {
		return // RESP2 without redirection: Redis sends nothing
	}
	t := &s.tracking
	if t.pending == nil {
		t.pending = map[*Client][][]byte{}
	}
	t.pending[cl] = append(t.pending[cl], invalidationPush(keys))
	t.nPending.Add(1)
}

// pushDirect queues frame for cl's socket and has a goroutine write it,
// for a connection with no subscriber writer; each Write is whole.
func (cl *Client) pushDirect(frame []byte) {
	d := &cl.direct
	d.mu.Lock()
	d.queue = append(d.queue, frame...)
	if d.busy {
		d.mu.Unlock()
		return
	}
	d.busy = true
	d.mu.Unlock()
	go func() {
		nc := cl.conn.NetConn()
		for {
			d.mu.Lock()
			buf := d.queue
			d.queue = nil
			if len(buf) == 0 {
				d.busy = false
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			if _, err := nc.Write(buf); err != nil {
				d.mu.Lock()
				d.busy, d.queue = false, nil
				d.mu.Unlock()
				return
			}
		}
	}()
}

// directPushes is the queue of pushDirect.
type directPushes struct {
	mu    sync.Mutex
	queue []byte
	busy  bool
}

// invalidationPush is the RESP3 invalidate push for keys (nil: all).
func invalidationPush(keys [][]byte) []byte {
	r := commands.Reply{Proto: 3}
	r.Push(2)
	r.BulkString("invalidate")
	if keys == nil {
		r.Null()
	} else {
		r.Array(len(keys))
		for _, k := range keys {
			r.Bulk(k)
		}
	}
	return r.Bytes()
}

// drainSelfInvalidations appends cl's deferred invalidations to its output,
// after the replies already there. Call it on cl's goroutine.
func (s *Server) drainSelfInvalidations(cl *Client) {
	t := &s.tracking
	if t.nPending.Load() == 0 {
		return
	}
	t.mu.Lock()
	frames := t.pending[cl]
	delete(t.pending, cl)
	t.nPending.Add(-int32(len(frames)))
	t.mu.Unlock()
	for _, f := range frames {
		cl.out.Raw(f)
	}
}

// flushPushes writes what cl's subscriber queue holds (invalidations of
// keys changed before cl's command ran, e.g. evicted for it) before cl's
// replies go out, as Redis' one output buffer orders them.
func flushPushes(cl *Client) {
	sb := cl.sub.live.Load()
	if sb == nil || !cl.sub.writerOn.Load() {
		return
	}
	sb.wmu.Lock()
	sb.writeLocked(nil)
	sb.wmu.Unlock()
}

// rememberRead is called after a command of a tracking client: a read
// remembers its keys. Scripts are judged by what they call
// (trackScriptReads): EVAL_RO and the like are read-only commands, yet
// Redis does not count them as reads themselves. A command queued in MULTI
// is remembered when EXEC runs it: tx is what trackedTx saw before cmd.
func (s *Server) rememberRead(cl *Client, cmd *commands.Command, args [][]byte, tx []queuedCmd) {
	if !cl.trackingReads() {
		return
	}
	if tx != nil {
		if cmd.Name != "exec" {
			return // queued (or refused): not run yet
		}
		for _, q := range tx {
			s.rememberRead(cl, q.cmd, q.args, nil)
		}
		return
	}
	if !cmd.Is(commands.ReadOnly) || isScriptCall(cmd.Name) {
		return
	}
	if keys := commandKeys(cmd, args); len(keys) > 0 {
		s.remember(cl, keys)
	}
}

// trackedTx is, for a tracking client in MULTI, the commands queued so far
// (empty, not nil, if none); nil outside MULTI or after an error queueing.
func (cl *Client) trackedTx() []queuedCmd {
	if !cl.track.on || !cl.tx.active {
		return nil
	}
	if cl.tx.aborted {
		return []queuedCmd{} // EXEC will not run them
	}
	if cl.tx.queued == nil {
		return []queuedCmd{}
	}
	return cl.tx.queued
}

// trackingReads reports whether cl's next read is remembered: tracking in
// default mode, and CLIENT CACHING allowing it under OPTIN or OPTOUT.
func (cl *Client) trackingReads() bool {
	tr := &cl.track
	return tr.on && !tr.bcast && !(tr.optin && tr.caching != 1) && !(tr.optout && tr.caching == -1)
}

// trackScriptReads wraps the per-command hook (ACL check) of a script or
// function that cl is calling with declared keys: as in Redis, once the
// script calls a read-only command, all the declared keys are remembered for
// cl. The decision is taken now, on cl's goroutine; the hook runs wherever
// the script does.
func (s *Server) trackScriptReads(cl *Client, check func(*commands.Command, [][]byte) string, keys [][]byte) func(*commands.Command, [][]byte) string {
	if !cl.trackingReads() || len(keys) == 0 {
		return check
	}
	var once sync.Once
	return func(cmd *commands.Command, args [][]byte) string {
		if check != nil {
			if msg := check(cmd, args); msg != "" {
				return msg
			}
		}
		if cmd.Is(commands.ReadOnly) {
			once.Do(func() { s.remember(cl, keys) })
		}
		return ""
	}
}

// stopTracking turns tracking off (CLIENT TRACKING OFF, RESET, close).
func (s *Server) stopTracking(cl *Client) {
	if !cl.track.on {
		return
	}
	t := &s.tracking
	t.mu.Lock()
	delete(t.clients, cl)
	t.leavePrefixes(cl)
	t.nPending.Add(-int32(len(t.pending[cl])))
	delete(t.pending, cl)
	for k, set := range t.byKey {
		if _, ok := set[cl]; ok {
			delete(set, cl)
			t.items--
			if len(set) == 0 {
				delete(t.byKey, k)
			}
		}
	}
	cl.track = trackState{}
	t.mu.Unlock()
	t.n.Add(-1)
	if !cl.needsWriter() {
		cl.sub.stopWriter()
	}
}

// leavePrefixes takes cl out of the prefix table. t.mu is held.
func (t *trackingTable) leavePrefixes(cl *Client) {
	for _, p := range cl.track.prefixes {
		if bs := t.bcast[p]; bs != nil {
			delete(bs.clients, cl)
			if len(bs.clients) == 0 {
				delete(t.bcast, p)
			}
		}
	}
}

// clientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST]
// [OPTIN] [OPTOUT] [NOLOOP], with Redis' checks in Redis' order. ON again
// while on replaces the mode and the redirection and adds the prefixes.
func clientTracking(s *Server, cl *Client, args [][]byte) {
	var nt trackState
	var prefixes []string
	for i := 3; i < len(args); i++ {
		more := i+1 < len(args)
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "redirect" && more:
			i++
			if nt.redirect != 0 {
				cl.out.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := commands.ParseInt(args[i])
			if !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			s.mu.Lock()
			_, exists := s.clients[id]
			s.mu.Unlock()
			if !exists {
				cl.out.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			nt.redirect = id
		case opt == "bcast":
			nt.bcast = true
		case opt == "optin":
			nt.optin = true
		case opt == "optout":
			nt.optout = true
		case opt == "noloop":
			nt.noloop = true
		case opt == "prefix" && more:
			i++
			prefixes = append(prefixes, string(args[i]))
		default:
			cl.out.Error(commands.ErrSyntax)
			return
		}
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
		if msg := checkTrackingOn(&cl.track, &nt, prefixes); msg != "" {
			cl.out.Error(msg)
			return
		}
		s.startTracking(cl, nt, prefixes)
		cl.out.OK()
	case "off":
		s.stopTracking(cl)
		cl.out.OK()
	default:
		cl.out.Error(commands.ErrSyntax)
	}
}

// checkTrackingOn is the error of CLIENT TRACKING ON with nt and prefixes
// for a client in state cur ("" if none), as Redis checks them.
func checkTrackingOn(cur, nt *trackState, prefixes []string) string {
	switch {
	case len(prefixes) > 0 && !nt.bcast:
		return "ERR PREFIX option requires BCAST mode to be enabled"
	case cur.on && cur.bcast != nt.bcast:
		return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	case nt.bcast && (nt.optin || nt.optout):
		return "ERR OPTIN and OPTOUT are not compatible with BCAST"
	case nt.optin && nt.optout:
		return "ERR You can't specify both OPTIN mode and OPTOUT mode"
	case nt.optin && cur.optout || nt.optout && cur.optin:
		return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	}
	if !nt.bcast {
		return ""
	}
	for i, p := range prefixes {
		for _, q := range cur.prefixes {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range prefixes[i+1:] {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// startTracking is Redis' enableTracking: the new mode and redirection
// replace the old ones (CLIENT CACHING's flag stays), and a BCAST client
// joins the prefix table under each prefix, the empty one if none is named.
func (s *Server) startTracking(cl *Client, nt trackState, prefixes []string) {
	s.subscriberOf(cl)
	t := &s.tracking
	t.mu.Lock()
	if t.clients == nil {
		t.clients = map[*Client]struct{}{}
		t.bcast = map[string]*bcastState{}
	}
	was := cl.track.on
	nt.on = true
	nt.caching, nt.cachingJustSet = cl.track.caching, cl.track.cachingJustSet
	nt.prefixes = cl.track.prefixes
	if nt.bcast {
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			bs := t.bcast[p]
			if bs == nil {
				bs = &bcastState{clients: map[*Client]struct{}{}, keys: map[string]int64{}}
				t.bcast[p] = bs
			}
			if _, in := bs.clients[cl]; !in {
				bs.clients[cl] = struct{}{}
				nt.prefixes = append(nt.prefixes, p)
			}
		}
		slices.Sort(nt.prefixes)
	}
	cl.track = nt
	cl.trackBroken.Store(false)
	t.clients[cl] = struct{}{}
	t.mu.Unlock()
	if !was {
		t.n.Add(1)
	}
	cl.sub.startWriter()
}

func clientCaching(s *Server, cl *Client, args [][]byte) {
	tr := &cl.track
	if !tr.on || !tr.optin && !tr.optout {
		cl.out.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch {
	case commands.EqualFold(args[2], "yes") && tr.optin:
		tr.caching = 1
	case commands.EqualFold(args[2], "no") && tr.optout:
		tr.caching = -1
	case commands.EqualFold(args[2], "yes"), commands.EqualFold(args[2], "no"):
		// The other mode's value: Redis accepts it and it changes nothing.
	default:
		cl.out.Error(commands.ErrSyntax)
		return
	}
	tr.cachingJustSet = true
	cl.out.OK()
}

func clientTrackingInfo(s *Server, cl *Client) {
	tr := &cl.track
	var flags []string
	if !tr.on {
		flags = append(flags, "off")
	} else {
		flags = append(flags, "on")
		for _, f := range []struct {
			on   bool
			name string
		}{{tr.bcast, "bcast"}, {tr.optin, "optin"}, {tr.optout, "optout"}, {tr.caching == 1, "caching-yes"}, {tr.caching == -1, "caching-no"}, {tr.noloop, "noloop"}, {cl.trackBroken.Load(), "broken_redirect"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
	}
	cl.out.Map(3)
	cl.out.BulkString("flags")
	cl.out.Set(len(flags))
	for _, f := range flags {
		cl.out.BulkString(f)
	}
	cl.out.BulkString("redirect")
	cl.out.Int(getRedir(cl))
	cl.out.BulkString("prefixes")
	cl.out.Array(len(tr.prefixes))
	for _, p := range tr.prefixes {
		cl.out.BulkString(p)
	}
}

// getRedir is CLIENT GETREDIR: -1 when not tracking, 0 without redirection.
func getRedir(cl *Client) int64 {
	if !cl.track.on {
		return -1
	}
	return cl.track.redirect
}

var _ = strconv.Itoa
