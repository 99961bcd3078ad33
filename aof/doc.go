// Package aof is Geomys' local durability layer: an append-only file laid out
// exactly as Redis 7's multi-part AOF, so that a stock redis-server 7 started
// with
//
//	redis-server --appendonly yes --dir <parent> --appenddirname <dirname>
//
// on a copy of the directory loads the same data, and redis-check-aof
// <dir>/appendonly.aof.manifest accepts it. It is the bottom layer: it knows
// RESP and the file layout, nothing about commands or Raft.
//
// # Layout
//
// The directory (Options.Dir, Redis' <dir>/<appenddirname>) holds
//
//	appendonly.aof.manifest          the list of files, replaced atomically
//	appendonly.aof.<seq>.base.aof    at most one base: a full dataset in RESP
//	appendonly.aof.<seq>.incr.aof    incr files: batches appended since
//
// Manifest lines are "file <name> seq <n> type b|i\n", base first, as Redis
// writes them. Redis skips '#' comment lines in the manifest, ignores unknown
// key/value pairs on a line (it requires an even number of at least 6 tokens
// and the file, seq and type keys), requires incr seqs to increase and names
// to be plain file names; this package writes no other keys and parses with
// the same rules. Redis' "type h" (history) entries are accepted on Open and
// their files removed. Every manifest update writes temp-<manifest>, fsyncs
// it, renames it over the manifest and fsyncs the directory. Open removes
// temp-* files and base/incr files the manifest does not list.
//
// # Content
//
// Files contain RESP arrays of bulk strings (commands, SELECT included) and
// annotation lines "#<text>\r\n", which redis-server 7 and redis-check-aof
// skip (verified against redis-server 7.0.15). Annotation lines must be at
// most 1023 bytes including "\r\n" (text of at most MaxAnnotationLen = 1020
// bytes): Redis reads them with a 1024-byte fgets and rejects the file
// otherwise. Base files must be RESP, not RDB (aof-use-rdb-preamble).
// redis-server replays every file with a fresh client, so each file starts
// in database 0: a writer must emit SELECT before the first command of each
// new incr file (after Open, StartRewrite and InstallBase) if it does not
// target db 0, and Load passes an explicit SELECT 0 to its callback at the
// start of each file to replay the same way. redis-server also refuses
// unknown commands, so only real Redis commands may be written.
//
// The FSM appends one buffer per Raft batch, ending with the marker
// annotation "#geomys:applied <raftIndex> <timestampMs>\r\n" (AppendMarker).
// Load uses the markers to replay only complete batches of incr files.
//
// # API
//
//   - Open(Options) opens or creates the directory; Options.Fsync is
//     "always", "everysec" (default; a goroutine fsyncs once a second when
//     there were writes, stopped by Close) or "no".
//   - Load(fn, note) replays base then incr files, repairing a torn last
//     batch (see Load); it must run before Append if the last incr file is
//     not empty (ErrNotLoaded otherwise).
//   - Append(buf) writes one buffer with one write; Sync fsyncs.
//   - StartRewrite() / Rewrite.Write / Rewrite.Commit / Rewrite.Abort mirror
//     BGREWRITEAOF: at StartRewrite a new incr file receives all later
//     Appends; Commit switches the manifest to the new base plus those incr
//     files and removes the old ones.
//   - InstallBase(r) replaces everything with a base received from the Raft
//     leader; OpenBase() reads the current base to send it.
//   - Sizes() gives aof_base_size and the incr total (aof_current_size is
//     their sum); Files(), RewriteInProgress(), Dir(), Close().
//   - AppendCommand, AppendAnnotation, AppendMarker, ParseMarker and IsMarker
//     help build and read buffers.
package aof
