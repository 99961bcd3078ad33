package commands

// Redis commands that belong to Redis Cluster, master-replica replication or
// modules. Geomys is one Raft group without those, so most of these answer
// an error that says so (what Redis answers with cluster mode off, where it
// has such an answer); they are declared so that COMMAND lists them as
// Redis does and clients probing them get a clear reply. SYNC, PSYNC and
// REPLCONF work: a Redis replica can follow any node (server/replicas.go),
// and REPLICAOF makes the cluster follow a Redis master (server/replicaof.go).
func init() {
	const s = Server
	register(
		&Command{Name: "cluster", Complexity: "Depends on subcommand.", Arity: -2, Flags: s, Group: "cluster", Since: "3.0.0", Summary: "A container for Redis Cluster commands (cluster support is disabled: Geomys is one Raft group).", Args: "subcommand [arguments]"},
		&Command{Name: "readonly", Complexity: "O(1)", ACL: "@fast @connection", Arity: 1, Flags: s | Loading | Stale | Fast, Group: "cluster", Since: "3.0.0", Summary: "Enables read-only queries for a Redis Cluster replica (cluster support is disabled)."},
		&Command{Name: "readwrite", Complexity: "O(1)", ACL: "@fast @connection", Arity: 1, Flags: s | Loading | Stale | Fast, Group: "cluster", Since: "3.0.0", Summary: "Disables read-only queries for a Redis Cluster replica (cluster support is disabled)."},
		&Command{Name: "asking", Complexity: "O(1)", ACL: "@fast @connection", Arity: 1, Flags: s | Fast, Group: "cluster", Since: "3.0.0", Summary: "Signals that a Redis Cluster client is following an -ASK redirect (cluster support is disabled)."},
		&Command{Name: "failover", Complexity: "O(1)", Arity: -1, Flags: s | Admin | NoScript | Stale, Group: "server", Since: "6.2.0", Summary: "Starts a coordinated failover from a master to a replica (Geomys: use RAFT.TRANSFER-LEADER).", Args: "[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]"},
		&Command{Name: "lolwut", Arity: -1, Flags: s | Fast | ReadOnly, Group: "server", Since: "5.0.0", Summary: "Displays computer art and the Redis version.", Args: "[VERSION version]"},
		&Command{Name: "module", Complexity: "Depends on subcommand.", Arity: -2, Flags: s, Group: "server", Since: "4.0.0", Summary: "A container for module commands (LIST answers no modules; LOAD is not supported).", Args: "subcommand [arguments]"},
		&Command{Name: "replicaof", Complexity: "O(1)", Arity: 3, Flags: s | Admin | NoScript | Stale | NoAsyncLoading, Group: "server", Since: "5.0.0", Summary: "Configures a server as a replica of another (Geomys: the whole cluster follows a Redis master).", Args: "host port"},
		&Command{Name: "slaveof", Complexity: "O(1)", Arity: 3, Flags: s | Admin | NoScript | Stale | NoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "Sets a Redis server as a replica of another, or promotes it to being a master.", Args: "host port"},
		&Command{Name: "sync", Arity: 1, Flags: s | Admin | NoScript | NoMulti | NoAsyncLoading, Group: "server", Since: "1.0.0", Summary: "An internal command used in replication (Geomys: a full resynchronization from any node)."},
		&Command{Name: "psync", Arity: -3, Flags: s | Admin | NoScript | NoMulti | NoAsyncLoading, Group: "server", Since: "2.8.0", Summary: "An internal command used in replication (Geomys: a full resynchronization from any node).", Args: "replicationid offset"},
		&Command{Name: "replconf", Complexity: "O(1)", Arity: -1, Flags: s | Admin | NoScript | Loading | Stale | AllowBusy, Group: "server", Since: "3.0.0", Summary: "An internal command for configuring the replication stream."},
		&Command{Name: "migrate", GetKeys: migrateGetKeys, Keys: "RW access delete index=3; RW access delete incomplete keyword=KEYS,-2 range=-1,1,0", Tips: "nondeterministic_output", Complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.", ACL: "@keyspace @write @slow @dangerous", Arity: -6, Flags: s | MovableKeys | Write, FirstKey: 3, LastKey: 3, Step: 1, Group: "generic", Since: "2.6.0", Summary: "Atomically transfer a key from a Redis instance to another one.", Args: "host port key|\"\" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]"},
	)
}
