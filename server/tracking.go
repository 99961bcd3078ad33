package server

import (
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
}

const trackingChannel = "__redis__:invalidate"

// remember records keys a tracking client read (default mode).
func (t *trackingTable) remember(cl *Client, keys [][]byte) {
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
		set[cl] = struct{}{}
	}
}

// invalidate is called from Touch on the FSM goroutine: key changed, or with
// all set, everything (FLUSHALL/FLUSHDB/SWAPDB: a null invalidation).
func (s *Server) invalidate(key string, all bool) {
	t := &s.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	if all {
		clear(t.byKey)
		for cl := range t.clients {
			s.sendInvalidation(cl, nil)
		}
		return
	}
	self := t.origin.Load()
	for cl := range t.byKey[key] {
		if !cl.track.bcast && !(cl.track.noloop && cl.ID == self) {
			s.sendInvalidation(cl, []byte(key))
		}
	}
	// Forgotten by a NOLOOP writer too, as Redis does: the key is read
	// again before its next change is told.
	delete(t.byKey, key)
	for cl := range t.clients {
		if !cl.track.bcast || cl.track.noloop && cl.ID == self {
			continue
		}
		match := len(cl.track.prefixes) == 0
		for _, p := range cl.track.prefixes {
			if strings.HasPrefix(key, p) {
				match = true
				break
			}
		}
		if match {
			s.sendInvalidation(cl, []byte(key))
		}
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
// not be told about them: cl itself if it tracks with NOLOOP, or for a proxy
// link the other node's client it relays for (RAFT.ORIGIN). Zero otherwise.
// It reads cl's state: call it on cl's goroutine.
func (s *Server) originOf(cl *Client) origin {
	switch {
	case cl.relayOrigin.run != "":
		return cl.relayOrigin
	case cl.track.noloop:
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

// stampOrigin is originOf(cl).stamp(entry).
func (s *Server) stampOrigin(cl *Client, entry []byte) []byte {
	return s.originOf(cl).stamp(entry)
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

// sendInvalidation queues an invalidation for cl (key nil: flush) to cl or
// its redirect target, as Redis' sendTrackingMessage: a RESP3 push, or for
// a RESP2 target subscribed to anything a message on __redis__:invalidate.
// t.mu is held.
func (s *Server) sendInvalidation(cl *Client, key []byte) {
	target := cl
	if cl.track.redirect != 0 {
		s.mu.Lock()
		target = s.clients[cl.track.redirect]
		s.mu.Unlock()
		if target == nil {
			return
		}
	}
	sb := target.sub.live.Load()
	if sb == nil || !target.sub.writerOn.Load() {
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
	if key == nil {
		r.Null()
	} else {
		r.Array(1)
		r.Bulk(key)
	}
	sb.enqueue(r.Bytes())
}

// rememberRead is called after a read-only command of a tracking client.
func (s *Server) rememberRead(cl *Client, cmd *commands.Command, args [][]byte) {
	tr := &cl.track
	if tr.bcast || !cmd.Is(commands.ReadOnly) || tr.optin && tr.caching != 1 || tr.optout && tr.caching == -1 {
		return
	}
	if keys := commandKeys(cmd, args); len(keys) > 0 {
		s.tracking.remember(cl, keys)
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
	for k, set := range t.byKey {
		if _, ok := set[cl]; ok {
			delete(set, cl)
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

// clientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST]
// [OPTIN] [OPTOUT] [NOLOOP].
func clientTracking(s *Server, cl *Client, args [][]byte) {
	var nt trackState
	var prefixes []string
	for i := 3; i < len(args); i++ {
		more := i+1 < len(args)
		switch strings.ToLower(string(args[i])) {
		case "redirect":
			if !more {
				cl.out.Error(commands.ErrSyntax)
				return
			}
			if cl.track.on && cl.track.redirect != 0 {
				cl.out.Error("ERR A different client is already used for redirection, please disable tracking before choosing a different one")
				return
			}
			id, ok := commands.ParseInt(args[i+1])
			if !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			i++
			if id != cl.ID {
				s.mu.Lock()
				_, exists := s.clients[id]
				s.mu.Unlock()
				if !exists {
					cl.out.Error("ERR The client ID you want redirect to does not exist")
					return
				}
				nt.redirect = id
			}
		case "bcast":
			nt.bcast = true
		case "optin":
			nt.optin = true
		case "optout":
			nt.optout = true
		case "noloop":
			nt.noloop = true
		case "prefix":
			if !more {
				cl.out.Error(commands.ErrSyntax)
				return
			}
			prefixes = append(prefixes, string(args[i+1]))
			i++
		default:
			cl.out.Error(commands.ErrSyntax)
			return
		}
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
		if nt.optin && nt.optout {
			cl.out.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		}
		if cl.track.on && (nt.optin && cl.track.optout || nt.optout && cl.track.optin) {
			cl.out.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if len(prefixes) > 0 && !nt.bcast {
			cl.out.Error("ERR PREFIX option requires BCAST mode to be enabled")
			return
		}
		if cl.track.on && cl.track.bcast != nt.bcast {
			cl.out.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it.")
			return
		}
		for i, p := range prefixes {
			for j, q := range prefixes {
				if i != j && (strings.HasPrefix(p, q) || strings.HasPrefix(q, p)) {
					cl.out.Error("ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap.")
					return
				}
			}
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

func (s *Server) startTracking(cl *Client, nt trackState, prefixes []string) {
	sb := s.subscriberOf(cl)
	t := &s.tracking
	t.mu.Lock()
	if t.clients == nil {
		t.clients = map[*Client]struct{}{}
	}
	was := cl.track.on
	nt.on = true
	nt.prefixes = append(slices.Clone(cl.track.prefixes), prefixes...)
	if nt.redirect == 0 {
		nt.redirect = cl.track.redirect
	}
	cl.track = nt
	t.clients[cl] = struct{}{}
	t.mu.Unlock()
	if !was {
		t.n.Add(1)
	}
	_ = sb
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
		}{{tr.bcast, "bcast"}, {tr.optin, "optin"}, {tr.optout, "optout"}, {tr.caching == 1, "caching-yes"}, {tr.caching == -1, "caching-no"}, {tr.noloop, "noloop"}} {
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
