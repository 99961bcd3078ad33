package fsm

import "github.com/geomys/geomys/commands"

// Reads that ride in an entry
//
// A connection that pipelines W1 R1 W2 R2 ... would pay one Raft round per
// pair if every read first flushed the writes before it. Instead the leader
// puts such reads into the entry with the writes (ProtoRead), and the node
// whose client waits for the entry runs each one at its place: R1 sees
// exactly W1's effects and nothing after.
//
// Such a read runs as a read, not as a write: with a context of its own
// that has no propagation and no randomness (commands.Ctx with Prop nil),
// exactly as the server runs a read against its dataset, only at the
// entry's time and between the entry's writes. So it cannot change the
// dataset, the AOF or anything replicated, whatever its handler does:
// every other node (followers, a replay after a restart, a new leader
// catching up) skips it without rendering a reply, and the state stays the
// same on all of them. What a read meets is reported in the Result, as the
// server's read path reports it: keyspace hits and misses (node-local
// statistics, counted once, on the node that served the read) and keys
// past their TTL, which the leader then deletes through the log like any
// key its reads meet expired (a lookup here only skips them, so lazy expiry
// is the same on every node: an entry of its own, at its own time).

// RidesEntry reports whether cmd may ride in an entry as a read: a keyspace
// read with key arguments whose handler needs nothing but the dataset. Not
// a write or a read that may replicate (PFCOUNT), nothing the server runs
// itself (scripts, MULTI, connection and admin commands, containers such as
// OBJECT or MEMORY whose subcommands are told apart there), nothing that
// may block, and no pub/sub. The server adds what depends on the client
// (no CLIENT TRACKING, replies on).
func RidesEntry(cmd *commands.Command) bool {
	const not = commands.Write | commands.MayReplicate | commands.Server | commands.Blocking |
		commands.PubSub | commands.Admin
	return cmd != nil && cmd.Is(commands.ReadOnly) && !cmd.Is(not) && cmd.Handler != nil &&
		!cmd.HasSubcommands() && (cmd.FirstKey > 0 || cmd.Is(commands.MovableKeys))
}

// applyRead runs one read of an entry for the client waiting for it,
// appending its reply to res.
func (f *FSM) applyRead(res *Result, db *commands.DB, args [][]byte, index uint64) {
	def := commands.Lookup(args[0])
	if !RidesEntry(def) {
		res.w.Error("ERR unknown command '" + string(args[0]) + "'")
		return
	}
	c := &f.rctx
	c.Store, c.Now, c.R = f.store, f.lastTime, &res.w
	c.Begin(db, args)
	f.run(def, c, index)
	res.Hits += c.Hits
	res.Misses += c.Misses
	if room := commands.MaxLazyExpired - len(res.Expired); room > 0 {
		res.Expired = append(res.Expired, c.Expired[:min(room, len(c.Expired))]...)
	}
	clear(c.Expired)
	c.Expired = c.Expired[:0]
	c.Hits, c.Misses = 0, 0
	c.Store, c.Args, c.R, c.DB = nil, nil, nil, nil
}
