package server

import (
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// rideEntry puts a read into the entry of the writes cl has queued, when it
// may ride there (fsm/read.go), instead of flushing them first: a pipeline
// of SET GET SET GET ... then costs one Raft round for its whole chunk, not
// one per pair, and each GET's reply still shows exactly the writes before
// it. It reports whether it did.
//
// Only with writes queued: a pipeline of reads alone is answered from the
// dataset as before, with one leadership confirmation, and nothing is
// proposed for it. Not for a client that has CLIENT TRACKING on (its reads
// register the keys they read, execute's rememberRead, which needs them
// run here) or its replies off or skipped (execute flushes around each of
// its commands): cl.special() covers both. Not past the entry's limits:
// the writes go first and the read is then served as any read.
//
// If the entry fails (no leader, UNCERTAIN), the reads in it get the same
// error as its writes, as every command of a failed chunk of the pipeline
// does: a read's reply is only meaningful at its place after the writes
// before it, and once those failed or may or may not have been applied,
// serving it from the dataset would show a state the client cannot place.
// Redis clients handle such a reply as for any failed pipelined command.
//
// Its statistics are the read's own: its commandstats entry and slowlog
// line come with the entry (flushWrites, observeEntry), MONITOR saw it in
// dispatch, and its keyspace hits and misses come back in the Result
// (readsMet), counted on this node only, as for any read.
func (s *Server) rideEntry(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if cl.entry.Len() == 0 || cl.special() || !fsm.RidesEntry(cmd) {
		return false
	}
	if cl.entry.Len() >= maxEntryCommands || cl.entry.Size() >= maxEntryBytes {
		return false
	}
	cl.entryCmds = append(cl.entryCmds, cmd)
	cl.entry.Add(cl.db, cl.proto|fsm.ProtoRead, args)
	return true
}

// readsMet takes in what the reads of an applied entry met, as readLocal's
// do: serveRESP counts the hits and misses and has the expired keys deleted
// through the log once the pipeline is done.
func (cl *Client) readsMet(res *fsm.Result) {
	c := &cl.readCtx
	c.Hits += res.Hits
	c.Misses += res.Misses
	if room := commands.MaxLazyExpired - len(c.Expired); room > 0 {
		c.Expired = append(c.Expired, res.Expired[:min(room, len(res.Expired))]...)
	}
}
