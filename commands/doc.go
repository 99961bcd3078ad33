// Package commands is Geomys's dataset engine: the in-memory store (sixteen
// databases of keys, values and expiries), the value types with their
// encodings (strings, List, Hash, Set, ZSet), and the command handlers that
// read and change them, declared once in a table (table.go) from which
// COMMAND, routing, scripting's redis.call and the docs derive.
//
// It is pure logic: no locks, no network, no clock of its own. The FSM
// (package fsm) runs write handlers from committed Raft log entries, with
// the entry's time and random seed in the Ctx, so every node computes the
// same result; the server runs read handlers under the FSM's read lock.
// What a write did goes out as its deterministic propagated form
// (propagate.go) — the AOF's content and a script's effects — and every
// change passes through the few mutators in db.go, so snapshots
// (snapshot.go), WATCH and the script undo journal (journal.go) see it.
// Error texts live in errors.go.
package commands
