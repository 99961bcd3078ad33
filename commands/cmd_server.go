package commands

// Connection and server commands. They are declared here so COMMAND and
// routing see one table, but they touch connection or node state, so the
// server layer runs them (Flags include Server, Handler is nil).
func init() {
	const s = Server
	register(
		&Command{Name: "ping", Tips: "request_policy:all_shards response_policy:all_succeeded", Complexity: "O(1)", Hidden: Stale, Arity: -1, Flags: s | Fast | Stale, Group: "connection", Since: "1.0.0", Summary: "Returns the server's liveliness response.", Args: "[message]"},
		&Command{Name: "echo", Complexity: "O(1)", Arity: 2, Flags: s | Fast | Stale | Loading, Group: "connection", Since: "1.0.0", Summary: "Returns the given string.", Args: "message"},
		&Command{Name: "quit", Complexity: "O(1)", Arity: -1, Flags: s | Fast | Stale | NoAuth | AllowBusy | Loading | NoScript, Group: "connection", Since: "1.0.0", Summary: "Closes the connection."},
		&Command{Name: "select", Complexity: "O(1)", Arity: 2, Flags: s | Fast | Loading | Stale, Group: "connection", Since: "1.0.0", Summary: "Changes the selected database.", Args: "index"},
		&Command{Name: "hello", Complexity: "O(1)", Arity: -1, Flags: s | Fast | NoAuth | Loading | Stale | AllowBusy | NoScript, Group: "connection", Since: "6.0.0", Summary: "Handshakes with the server.", Args: "[protover [AUTH username password] [SETNAME clientname]]"},
		&Command{Name: "auth", Complexity: "O(N) where N is the number of passwords defined for the user", Arity: -2, Flags: s | Fast | NoAuth | Loading | Stale | AllowBusy | NoScript, Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection.", Args: "[username] password"},
		&Command{Name: "client", Hidden: Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Loading | Stale, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.", Args: "subcommand [arguments]"},
		&Command{Name: "reset", Complexity: "O(1)", Arity: 1, Flags: s | Fast | NoAuth | Loading | Stale | AllowBusy | NoScript, Group: "connection", Since: "6.2.0", Summary: "Resets the connection."},
		&Command{Name: "command", Tips: "nondeterministic_output_order", Complexity: "O(N) where N is the total number of Redis commands", Arity: -1, Flags: s | Loading | Stale | Loading | Stale, Group: "server", Since: "2.8.13", Summary: "Returns detailed information about all commands.", Args: "[COUNT | DOCS | INFO | LIST] [arguments]"},
		&Command{Name: "info", Tips: "nondeterministic_output request_policy:all_shards response_policy:special", Complexity: "O(1)", Arity: -1, Flags: s | Loading | Stale, Group: "server", Since: "1.0.0", Summary: "Returns information and statistics about the server.", Args: "[section [section ...]]"},
		&Command{Name: "config", Hidden: Admin | Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Admin | Loading | Stale, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands.", Args: "GET|SET|RESETSTAT|REWRITE [arguments]"},
		&Command{Name: "time", Tips: "nondeterministic_output", Complexity: "O(1)", Arity: 1, Flags: s | Fast | Loading | Stale, Group: "server", Since: "2.6.0", Summary: "Returns the server time."},
		&Command{Name: "save", Complexity: "O(N) where N is the total number of keys in all databases", Arity: 1, Flags: s | Admin | NoScript | NoAsyncLoading | NoMulti, Group: "server", Since: "1.0.0", Summary: "Synchronously takes a snapshot (and rewrites the AOF)."},
		&Command{Name: "bgsave", Complexity: "O(1)", Arity: -1, Flags: s | Admin | NoScript | NoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Takes a snapshot (and rewrites the AOF) in the background.", Args: "[SCHEDULE]"},
		&Command{Name: "bgrewriteaof", Complexity: "O(1)", Arity: 1, Flags: s | Admin | NoScript | NoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Rewrites the append-only file in the background."},
		&Command{Name: "lastsave", Tips: "nondeterministic_output", Complexity: "O(1)", Arity: 1, Flags: s | Fast | Loading | Stale, Group: "server", Since: "1.0.0", Summary: "Returns the Unix timestamp of the last successful snapshot."},
		&Command{Name: "wait", Tips: "request_policy:all_shards response_policy:agg_min", Complexity: "O(1)", Arity: 3, Flags: s | NoScript, Group: "generic", Since: "3.0.0", Summary: "Waits for replication acknowledgements; every write is already acknowledged by a Raft majority.", Args: "numreplicas timeout"},
		&Command{Name: "multi", Complexity: "O(1)", Arity: 1, Flags: s | NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "1.2.0", Summary: "Starts a transaction."},
		&Command{Name: "exec", Complexity: "Depends on commands in the transaction", Arity: 1, Flags: s | NoScript | Loading | Stale | SkipSlowlog, Group: "transactions", Since: "1.2.0", Summary: "Executes all commands in a transaction, as one Raft log entry."},
		&Command{Name: "discard", Complexity: "O(N), when N is the number of queued commands", Arity: 1, Flags: s | NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "2.0.0", Summary: "Discards a transaction."},
		&Command{Name: "watch", Keys: "RO index=1 range=-1,1,0", Complexity: "O(1) for every key.", Arity: -2, Flags: s | NoScript | Loading | Stale | Fast | AllowBusy, FirstKey: 1, LastKey: -1, Step: 1, Group: "transactions", Since: "2.2.0", Summary: "Monitors changes to keys to determine the execution of a transaction.", Args: "key [key ...]"},
		&Command{Name: "unwatch", Complexity: "O(1)", Arity: 1, Flags: s | NoScript | Loading | Stale | Fast | AllowBusy, Group: "transactions", Since: "2.2.0", Summary: "Forgets about watched keys of a transaction."},
		&Command{Name: "role", Complexity: "O(1)", Arity: 1, Flags: s | NoScript | Loading | Stale | Fast, Group: "server", Since: "2.8.12", Summary: "Returns the replication role: the Raft leader is the master, followers are replicas."},
		&Command{Name: "raft.info", Arity: 1, Flags: s | Loading | Stale, Group: "cluster", Since: "0.2.0", Summary: "Returns this node's Raft state: role, term, leader, indexes and members."},
		&Command{Name: "raft.node", Arity: -3, Flags: s | Admin | NoScript, Group: "cluster", Since: "0.2.0", Summary: "Adds a voting member or removes one (run on any node; done by the leader).", Args: "ADD id raft-addr client-addr | REMOVE id"},
		&Command{Name: "raft.transfer-leader", Arity: -1, Flags: s | Admin | NoScript, Group: "cluster", Since: "0.2.0", Summary: "Hands leadership to the given node, or to the most up-to-date follower.", Args: "[id]"},
		&Command{Name: "raft.snapshot", Arity: 1, Flags: s | Admin | NoScript, Group: "cluster", Since: "0.2.0", Summary: "Takes a Raft snapshot on this node (which also rewrites its AOF)."},
		&Command{Name: "raft.digest", Arity: 1, Flags: s | Loading | Stale, Group: "cluster", Since: "0.2.0", Summary: "Returns a digest of this node's dataset; equal on nodes holding equal data."},
		&Command{Name: "raft.termcheck", Arity: 3, Flags: s | Fast | Loading | Stale, Group: "cluster", Since: "0.2.0", Summary: "Answers OK when this node's Raft term is the given one (the leader's check before a linearizable read).", Args: "term leader-id"},
		&Command{Name: "raft.origin", Arity: -1, Flags: s | Fast | Loading | Stale, Group: "cluster", Since: "0.3.0", Summary: "On a proxy link: names the client of the relaying node whose commands follow (none without arguments), so that a client tracking with NOLOOP is not told about its own writes.", Args: "[run-id client-id]"},
		&Command{Name: "raft.proxy", Arity: 1, Flags: s | Fast | Loading | Stale, Group: "cluster", Since: "0.2.0", Summary: "Marks the connection as a peer's proxy link: commands that need the leader fail with TRYAGAIN instead of being relayed again."},
		&Command{Name: "slowlog", Hidden: Admin | Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Admin | Loading | Stale, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.", Args: "GET|LEN|RESET|HELP [arguments]"},
		&Command{Name: "latency", Hidden: Admin | NoScript | Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Admin | NoScript | Loading | Stale, Group: "server", Since: "2.8.13", Summary: "A container for latency diagnostics commands.", Args: "LATEST|HISTORY|RESET|DOCTOR|HELP [arguments]"},
		&Command{Name: "monitor", Arity: 1, Flags: s | Admin | NoScript | Loading | Stale, Group: "server", Since: "1.0.0", Summary: "Listens for all requests received by the server in real-time."},
		&Command{Name: "debug", Complexity: "Depends on subcommand.", Arity: -2, Flags: s | Admin | NoScript | Loading | Stale, Group: "server", Since: "1.0.0", Summary: "A container for debugging commands.", Args: "subcommand [arguments]"},
		&Command{Name: "shutdown", Complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", Arity: -1, Flags: s | Admin | NoScript | Loading | Stale | NoMulti | AllowBusy, Group: "server", Since: "1.0.0", Summary: "Flushes the AOF and stops the server.", Args: "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"},
	)
}
