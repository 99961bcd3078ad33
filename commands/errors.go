package commands

// Error texts, exactly as Redis words them, in one place: one name per text,
// reused by every group that answers it.
const (
	// Redis Cluster and master-replica commands that Geomys' Raft replication
	// replaces.
	ErrClusterDisabled = "ERR This instance has cluster support disabled"
	ErrNoFailover      = "ERR FAILOVER is not supported: Geomys elects its leader with Raft; use RAFT.TRANSFER-LEADER [id]"
	ErrNoModules       = "ERR MODULE LOAD and UNLOAD are not supported: Geomys cannot load Redis modules (native code built for redis-server)"
	// SYNC on a node whose dataset cannot stream (a server built without
	// the state machine, as in tests).
	ErrNoSync = "ERR SYNC and PSYNC are not available on this node"
	// REPLCONF's complaint about an option it does not know; the option follows.
	ErrReplconfOption = "ERR Unrecognized REPLCONF option: "
	// MIGRATE.
	ErrMigrateConnect   = "IOERR error or timeout connecting to the client"
	ErrMigrateKeysEmpty = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
	ErrMigrateTarget    = "ERR Target instance replied with error: "
	// Shared by many commands.
	ErrWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrSyntax    = "ERR syntax error"
	ErrNotInt    = "ERR value is not an integer or out of range"
	ErrNotFloat  = "ERR value is not a valid float"
	ErrOverflow  = "ERR increment or decrement would overflow"
	ErrNoSuchKey = "ERR no such key"
	ErrIndex     = "ERR index out of range"
	ErrDBIndex   = "ERR DB index is out of range"
	// Strings and the keyspace.
	ErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrNaNOrInf      = "ERR increment would produce NaN or Infinity"
	ErrSameObject    = "ERR source and destination objects are the same"
	ErrInvalidCursor = "ERR invalid cursor"
	// Lists.
	errMustBePositive = "ERR value is out of range, must be positive"
	errRankZero       = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errLposCount      = "ERR COUNT can't be negative"
	errLposMaxlen     = "ERR MAXLEN can't be negative"
	errNumkeys        = "ERR numkeys should be greater than 0"
	errMPopCount      = "ERR count should be greater than 0"
	errTimeoutFloat   = "ERR timeout is not a float or out of range"
	errTimeoutNeg     = "ERR timeout is negative"
	errTimeoutRange   = "ERR timeout is out of range"
	// Hashes.
	errHashNotInt    = "ERR hash value is not an integer"
	errHashNotFloat  = "ERR hash value is not a float"
	errNaNOrInfinity = "ERR value is NaN or Infinity"
	errOutOfRange    = "ERR value is out of range"
	// Sorted sets.
	errZaddXXNX       = "ERR XX and NX options at the same time are not compatible"
	errZaddGTLTNX     = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZaddIncrPair   = "ERR INCR option supports a single increment-element pair"
	errZNaN           = "ERR resulting score is not a number (NaN)"
	errZMinMaxFloat   = "ERR min or max is not a float"
	errZMinMaxLex     = "ERR min or max not valid string range item"
	errZLimitRank     = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errZWithscoresLex = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	errZWeightFloat   = "ERR weight value is not a float"
	// Sets.
	errNumkeysArgs = "ERR Number of keys can't be greater than number of args"
	errLimitNeg    = "ERR LIMIT can't be negative"
	// Integer ranges.
	errInt64Range = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
	errInt32Range = "ERR value is out of range, value must between -2147483648 and 2147483647"
	// Connections: protected mode (redis-server 7.0's text, typos included),
	// and the node-to-node commands with tls-cluster.
	ErrDenied          = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
	ErrOriginNotLink   = "ERR RAFT.ORIGIN is only for a member's proxy link (RAFT.PROXY)"
	ErrPeerCertMissing = "ERR this node runs with tls-cluster yes: node-to-node commands need a TLS connection that presented a certificate of the cluster CA"
)

// Client limits and disk errors (the server's refusals).
const (
	ErrMaxClients = "ERR max number of clients reached"
	// ErrAOFWrite and ErrRaftLogWrite are followed by the C library's text
	// for the errno (DiskErrorText), as Redis' strerror().
	ErrAOFWrite     = "MISCONF Errors writing to the AOF file: "
	ErrRaftLogWrite = "MISCONF Errors writing to the Raft log: "

	// ErrUnblocked is what a client parked by a blocking command gets from
	// CLIENT UNBLOCK id ERROR.
	ErrUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	// ErrStreamKeyGone and ErrStreamGroupGone end a blocked XREADGROUP
	// whose stream was deleted (or replaced by another type), or whose
	// group was destroyed, while it waited.
	ErrStreamKeyGone   = "UNBLOCKED the stream key no longer exists"
	ErrStreamGroupGone = "NOGROUP the consumer group this client was blocked on no longer exists"
	// ErrScriptDebugUnsupported answers SCRIPT DEBUG YES|SYNC: scripts run
	// inside the replicated log, where no connection can step through them.
	ErrScriptDebugUnsupported = "ERR SCRIPT DEBUG YES|SYNC is not supported: Geomys has no Lua debugger (scripts run inside the Raft log); use SCRIPT DEBUG NO"
)

// ErrOOM answers a command that may grow the dataset while used memory is
// over maxmemory and nothing could be evicted.
const ErrOOM = "OOM command not allowed when used memory > 'maxmemory'."

// DEBUG's errors (server/debug.go), Redis's texts.
const (
	ErrDebugReloadOption   = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
	ErrDebugProtocolType   = "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
	ErrDebugPushRESP2      = "ERR RESP2 is not supported by this command"
	ErrDebugPackedThresh   = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
	ErrDebugNotListpack    = "ERR Not a listpack encoded object."
	ErrDebugNotQuicklist   = "ERR Not a quicklist encoded object."
	ErrDebugNotHashTable   = "ERR The value stored at the specified key is not represented using an hash table"
	ErrDebugDBOutOfRange   = "ERR Out of range database"
	ErrDebugNotSDSString   = "ERR Not an sds encoded string."
	ErrDebugPositiveNumber = "ERR value is out of range, must be positive"
)
