package server

import (
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
)

// Pub/sub. PUBLISH goes through the Raft log (commands/cmd_pubsub.go); after
// each batch the FSM calls deliverPublications, on the FSM goroutine, in log
// order. Delivery never writes to a socket there: each subscribed connection
// has a subscriber with an output queue that a writer goroutine drains. The
// writer is started when the connection's first subscription is made and
// stopped (by the connection's own goroutine) when its last one goes away or
// the connection closes.
//
// Frames a subscribed connection receives are written straight to its net.Conn
// in one Write each, as redcon's own flush of the connection's replies is; the
// kernel keeps each whole. (P)SUBSCRIBE / (P)UNSUBSCRIBE confirmations are
// written the same way, under the subscriber's write lock and after anything
// already queued, so a message never precedes the confirmation of its
// subscription nor follows that of its unsubscription.

// subState is a connection's pub/sub subscriptions; only the connection's own
// goroutine touches it.
type subState struct {
	channels map[string]struct{}
	patterns map[string]struct{}
	shards   map[string]struct{} // SSUBSCRIBE
	sb       *subscriber         // created with the first subscription, kept after
	stop     chan struct{}
	done     chan struct{} // the writer goroutine exited
	// nChannels and nPatterns mirror the map sizes for CLIENT LIST, which
	// other connections run.
	nChannels, nPatterns, nShards atomic.Int32
	nTotal                        atomic.Int32
	// live publishes sb to other goroutines (tracking invalidations) and
	// writerOn whether the writer runs, so nothing queues for nobody.
	live     atomic.Pointer[subscriber]
	writerOn atomic.Bool
}

// count is what (P)(UN)SUBSCRIBE confirmations report; shard subscriptions
// are counted apart, as Redis does.
func (st *subState) count() int { return len(st.channels) + len(st.patterns) }

// total counts every subscription: with none left, subscribed mode ends.
func (st *subState) total() int { return st.count() + len(st.shards) }

func (st *subState) publishCounts() {
	st.nChannels.Store(int32(len(st.channels)))
	st.nPatterns.Store(int32(len(st.patterns)))
	st.nShards.Store(int32(len(st.shards)))
	st.nTotal.Store(int32(st.total()))
}

// subscriber is what the registry holds for a subscribed connection.
type subscriber struct {
	cl *Client
	nc net.Conn

	mu    sync.Mutex // guards queue, spare, dead, softOver
	queue []byte
	spare []byte
	dead  bool // over the output limit or a write failed: the writer closes nc
	wake  chan struct{}
	// lim is client-output-buffer-limit pubsub (the server's; CONFIG SET
	// changes it), which bounds queue; MONITOR clients share it.
	lim      *atomic.Pointer[obufLimit]
	class    string // lim's class, for the log ("" is pubsub)
	softOver time.Time
	inflight int // bytes the writer is writing now: still unsent, so they count
	log      *slog.Logger

	wmu sync.Mutex // held while writing to nc
}

// pubsubRegistry maps channels and patterns to their local subscribers.
type pubsubRegistry struct {
	mu       sync.RWMutex
	channels map[string]map[*subscriber]struct{}
	patterns map[string]map[*subscriber]struct{}
	shards   map[string]map[*subscriber]struct{}
}

func (r *pubsubRegistry) init() {
	r.channels = map[string]map[*subscriber]struct{}{}
	r.patterns = map[string]map[*subscriber]struct{}{}
	r.shards = map[string]map[*subscriber]struct{}{}
}

func (r *pubsubRegistry) add(m map[string]map[*subscriber]struct{}, key string, sb *subscriber) {
	r.mu.Lock()
	set := m[key]
	if set == nil {
		set = map[*subscriber]struct{}{}
		m[key] = set
	}
	set[sb] = struct{}{}
	r.mu.Unlock()
}

func (r *pubsubRegistry) remove(m map[string]map[*subscriber]struct{}, key string, sb *subscriber) {
	r.mu.Lock()
	if set := m[key]; set != nil {
		delete(set, sb)
		if len(set) == 0 {
			delete(m, key)
		}
	}
	r.mu.Unlock()
}

// counts returns how many channels and patterns have subscribers (INFO).
func (r *pubsubRegistry) counts() (channels, patterns int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.channels), len(r.patterns)
}

// receivers counts the local subscribers a message on channel reaches.
func (r *pubsubRegistry) receivers(channel []byte) int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := int64(len(r.channels[string(channel)]))
	for pat, set := range r.patterns {
		if commands.GlobMatch(pat, string(channel), false) {
			n += int64(len(set))
		}
	}
	return n
}

// deliverPublications is the FSM's OnPublish hook.
func (s *Server) deliverPublications(pubs []commands.Publication) {
	r := &s.pubsub
	var frames [2][]byte // "message" frame per protocol, built on demand
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.channels) == 0 && len(r.patterns) == 0 && len(r.shards) == 0 {
		return
	}
	for i := range pubs {
		p := &pubs[i]
		frames[0], frames[1] = nil, nil
		n := int64(0)
		subs, kind := r.channels[string(p.Channel)], "message"
		if p.Shard {
			subs, kind = r.shards[string(p.Channel)], "smessage"
		}
		for sb := range subs {
			proto := sb.proto()
			if frames[proto-2] == nil {
				rp := commands.Reply{Proto: proto}
				rp.Push(3)
				rp.BulkString(kind)
				rp.Bulk(p.Channel)
				rp.Bulk(p.Message)
				frames[proto-2] = rp.Bytes()
			}
			if sb.enqueue(frames[proto-2]) {
				n++
			}
		}
		for pat, set := range r.patterns {
			if p.Shard || !commands.GlobMatch(pat, string(p.Channel), false) {
				continue
			}
			for sb := range set {
				rp := commands.Reply{Proto: sb.proto()}
				rp.Push(4)
				rp.BulkString("pmessage")
				rp.BulkString(pat)
				rp.Bulk(p.Channel)
				rp.Bulk(p.Message)
				if sb.enqueue(rp.Bytes()) {
					n++
				}
			}
		}
		p.Receivers = n
	}
}

func (sb *subscriber) proto() int {
	sb.cl.mu.Lock()
	p := sb.cl.proto
	sb.cl.mu.Unlock()
	if p != 3 {
		p = 2
	}
	return p
}

// enqueue adds a frame to the output queue and wakes the writer; it reports
// whether the frame was accepted.
func (sb *subscriber) enqueue(frame []byte) bool {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		return false
	}
	if lim := sb.lim.Load(); !lim.none() && lim.over(int64(sb.inflight+len(sb.queue)+len(frame)), &sb.softOver) {
		omem := len(sb.queue)
		sb.dead = true
		sb.queue = nil
		sb.mu.Unlock()
		class := sb.class
		if class == "" {
			class = "pubsub"
		}
		sb.log.Warn("Client scheduled to be closed ASAP for overcoming of output buffer limits; it does not read what it is sent fast enough",
			"limit", "client-output-buffer-limit "+class, "client", sb.cl.ID, "addr", sb.cl.Addr, "omem", omem)
		sb.hardClose() // also unblocks a writer stuck on a peer that doesn't read
		return false
	}
	sb.queue = append(sb.queue, frame...)
	sb.mu.Unlock()
	sb.signal()
	return true
}

// hardClose closes the socket itself, below the guard (whose Close may wait),
// so the connection's read loop ends and cleans up.
func (sb *subscriber) hardClose() {
	rawConn(sb.nc).Close()
}

func (sb *subscriber) signal() {
	select {
	case sb.wake <- struct{}{}:
	default:
	}
}

// writeLocked writes everything queued, then extra, in one Write; the caller
// holds wmu.
func (sb *subscriber) writeLocked(extra []byte) {
	sb.mu.Lock()
	if sb.dead {
		sb.mu.Unlock()
		sb.nc.Close()
		return
	}
	buf := sb.queue
	sb.queue, sb.spare = sb.spare[:0], nil
	sb.inflight = len(buf)
	sb.mu.Unlock()
	buf = append(buf, extra...)
	if len(buf) > 0 {
		_, err := sb.nc.Write(buf)
		sb.mu.Lock()
		sb.inflight = 0
		sb.mu.Unlock()
		if err != nil {
			sb.mu.Lock()
			sb.dead, sb.queue = true, nil
			sb.mu.Unlock()
			sb.nc.Close()
			return
		}
	}
	if cap(buf) <= 64<<10 {
		sb.mu.Lock()
		sb.spare = buf[:0]
		sb.mu.Unlock()
	}
}

// run is the writer goroutine of one subscription episode.
func (sb *subscriber) run(stop, done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-stop:
			return
		case <-sb.wake:
		}
		sb.wmu.Lock()
		sb.writeLocked(nil)
		sb.wmu.Unlock()
	}
}

// startWriter and stopWriter run on the connection's goroutine, without wmu.
func (st *subState) startWriter() {
	if st.stop != nil {
		return
	}
	st.stop, st.done = make(chan struct{}), make(chan struct{})
	go st.sb.run(st.stop, st.done)
	st.writerOn.Store(true)
}

func (st *subState) stopWriter() {
	if st.stop == nil {
		return
	}
	st.writerOn.Store(false)
	close(st.stop)
	<-st.done
	st.stop, st.done = nil, nil
}

func (s *Server) subscriberOf(cl *Client) *subscriber {
	st := &cl.sub
	if st.sb == nil {
		st.sb = &subscriber{cl: cl, nc: cl.conn.NetConn(), wake: make(chan struct{}, 1), lim: &s.limits.pubsub, log: s.log}
		st.channels = map[string]struct{}{}
		st.patterns = map[string]struct{}{}
		st.shards = map[string]struct{}{}
		st.live.Store(st.sb)
	}
	return st.sb
}

// subscribed reports whether cl has any subscription.
func (cl *Client) subscribed() bool { return cl.sub.total() > 0 }

// refuseWhileSubscribed answers commands a RESP2 connection in subscribed
// mode may not run; it reports whether it refused cmd.
func (s *Server) refuseWhileSubscribed(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if cl.proto == 3 || !cl.subscribed() {
		return false
	}
	switch cmd.Name {
	case "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return false
	}
	s.flushWrites(cl)
	cl.out.Error("ERR Can't execute '" + cmd.Name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
	return true
}

// confirm appends one (un)subscribe confirmation to cl.out.
func confirm(cl *Client, kind string, name []byte, null bool) {
	cl.out.Push(3)
	cl.out.BulkString(kind)
	if null {
		cl.out.Null()
	} else {
		cl.out.Bulk(name)
	}
	if kind == "ssubscribe" || kind == "sunsubscribe" {
		cl.out.Int(int64(len(cl.sub.shards)))
	} else {
		cl.out.Int(int64(cl.sub.count()))
	}
}

// sendNow writes cl.out (the replies so far, ending with confirmations) after
// the subscriber's queued messages, and clears it.
func (s *Server) sendNow(sb *subscriber, cl *Client) {
	s.countErrorsSoFar(cl)
	sb.writeLocked(cl.out.Bytes())
	cl.out.Reset()
	cl.errMark = 0
}

func subscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.subscribe(cl, args[1:], false)
}

func psubscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.subscribe(cl, args[1:], true)
}

func ssubscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.subscribeKind(cl, args[1:], "ssubscribe")
}

func sunsubscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.unsubscribeKind(cl, args[1:], "sunsubscribe")
}

func (s *Server) subscribe(cl *Client, names [][]byte, pattern bool) {
	if pattern {
		s.subscribeKind(cl, names, "psubscribe")
	} else {
		s.subscribeKind(cl, names, "subscribe")
	}
}

// kindMaps returns the client's and the registry's maps for a kind of
// subscription (subscribe, psubscribe, ssubscribe or their unsubscribe).
func (s *Server) kindMaps(cl *Client, kind string) (map[string]struct{}, map[string]map[*subscriber]struct{}) {
	st := &cl.sub
	switch kind {
	case "psubscribe", "punsubscribe":
		return st.patterns, s.pubsub.patterns
	case "ssubscribe", "sunsubscribe":
		return st.shards, s.pubsub.shards
	}
	return st.channels, s.pubsub.channels
}

func (s *Server) subscribeKind(cl *Client, names [][]byte, kind string) {
	sb := s.subscriberOf(cl)
	st := &cl.sub
	mine, reg := s.kindMaps(cl, kind)
	sb.wmu.Lock()
	for _, n := range names {
		if _, ok := mine[string(n)]; !ok {
			mine[string(n)] = struct{}{}
			s.pubsub.add(reg, string(n), sb)
		}
		confirm(cl, kind, n, false)
	}
	s.sendNow(sb, cl)
	sb.wmu.Unlock()
	st.publishCounts()
	if st.total() > 0 {
		st.startWriter()
	}
}

func unsubscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.unsubscribe(cl, args[1:], false)
}

func punsubscribeCommand(s *Server, cl *Client, args [][]byte) {
	s.unsubscribe(cl, args[1:], true)
}

// unsubscribe removes the named subscriptions, or all of the kind when none
// is named, confirming each.
func (s *Server) unsubscribe(cl *Client, names [][]byte, pattern bool) {
	if pattern {
		s.unsubscribeKind(cl, names, "punsubscribe")
	} else {
		s.unsubscribeKind(cl, names, "unsubscribe")
	}
}

func (s *Server) unsubscribeKind(cl *Client, names [][]byte, kind string) {
	sb := s.subscriberOf(cl)
	st := &cl.sub
	mine, reg := s.kindMaps(cl, kind)
	if len(names) == 0 {
		for n := range mine {
			names = append(names, []byte(n))
		}
		slices.SortFunc(names, func(a, b []byte) int { return compareBytes(a, b) })
	}
	sb.wmu.Lock()
	if len(names) == 0 {
		confirm(cl, kind, nil, true)
	}
	for _, n := range names {
		if _, ok := mine[string(n)]; ok {
			delete(mine, string(n))
			s.pubsub.remove(reg, string(n), sb)
		}
		confirm(cl, kind, n, false)
	}
	s.sendNow(sb, cl)
	sb.wmu.Unlock()
	st.publishCounts()
	if !cl.needsWriter() {
		st.stopWriter()
	}
}

func compareBytes(a, b []byte) int {
	switch {
	case string(a) < string(b):
		return -1
	case string(a) > string(b):
		return 1
	}
	return 0
}

// unsubscribeAll drops every subscription without confirmations (RESET, a
// closed connection); messages already queued are written first.
func (s *Server) unsubscribeAll(cl *Client) {
	st := &cl.sub
	sb := st.sb
	if sb == nil {
		return
	}
	sb.wmu.Lock()
	for n := range st.channels {
		s.pubsub.remove(s.pubsub.channels, n, sb)
	}
	for n := range st.patterns {
		s.pubsub.remove(s.pubsub.patterns, n, sb)
	}
	for n := range st.shards {
		s.pubsub.remove(s.pubsub.shards, n, sb)
	}
	clear(st.channels)
	clear(st.patterns)
	clear(st.shards)
	st.publishCounts()
	sb.writeLocked(nil)
	sb.wmu.Unlock()
	if !cl.needsWriter() {
		st.stopWriter()
	}
}

// pubsubCommand is PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
// SHARDNUMSUB / HELP, about this node's subscribers.
func pubsubCommand(s *Server, cl *Client, args [][]byte) {
	sub := string(args[1])
	lower := []byte(sub)
	for i, ch := range lower {
		if ch >= 'A' && ch <= 'Z' {
			lower[i] = ch + 'a' - 'A'
		}
	}
	arity := map[string]int{"channels": -2, "numsub": -2, "numpat": 2, "shardchannels": -2, "shardnumsub": -2, "help": 2}
	a, ok := arity[string(lower)]
	if !ok {
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try PUBSUB HELP.")
		return
	}
	if a > 0 && len(args) != a || a < 0 && len(args) < -a {
		cl.out.Error("ERR wrong number of arguments for 'pubsub|" + string(lower) + "' command")
		return
	}
	r := &s.pubsub
	switch string(lower) {
	case "channels", "shardchannels":
		if len(args) > 3 {
			cl.out.Error("ERR wrong number of arguments for 'pubsub|" + string(lower) + "' command")
			return
		}
		var out []string
		reg := r.channels
		if string(lower) == "shardchannels" {
			reg = r.shards
		}
		r.mu.RLock()
		for ch := range reg {
			if len(args) == 2 || commands.GlobMatch(string(args[2]), ch, false) {
				out = append(out, ch)
			}
		}
		r.mu.RUnlock()
		slices.Sort(out)
		cl.out.Array(len(out))
		for _, ch := range out {
			cl.out.BulkString(ch)
		}
	case "numsub", "shardnumsub":
		cl.out.Array(2 * (len(args) - 2))
		r.mu.RLock()
		for _, ch := range args[2:] {
			cl.out.Bulk(ch)
			n := len(r.channels[string(ch)])
			if string(lower) == "shardnumsub" {
				n = len(r.shards[string(ch)])
			}
			cl.out.Int(int64(n))
		}
		r.mu.RUnlock()
	case "numpat":
		_, n := r.counts()
		cl.out.Int(int64(n))
	case "help":
		help := []string{
			"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CHANNELS [<pattern>]",
			"    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT",
			"    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]",
			"    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]",
			"    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]",
			"    Return the number of subscribers for the specified shard level channel(s)",
			"HELP",
			"    Prints this help.",
		}
		cl.out.Array(len(help))
		for _, h := range help {
			cl.out.Simple(h)
		}
	}
}

// needsWriter reports whether the connection still receives frames from
// other goroutines (subscriptions, MONITOR, tracking invalidations, the
// replication stream).
func (cl *Client) needsWriter() bool {
	return cl.sub.total() > 0 || cl.monitoring || cl.track.on || cl.replica != nil
}
