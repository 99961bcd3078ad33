package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

// compatHandlers run the Redis Cluster, replication and module commands
// declared in commands/cmd_compat.go (added to serverHandlers).
var compatHandlers = map[string]serverHandler{
	"cluster": errorCommand(commands.ErrClusterDisabled), "readonly": errorCommand(commands.ErrClusterDisabled),
	"readwrite": errorCommand(commands.ErrClusterDisabled), "asking": errorCommand(commands.ErrClusterDisabled),
	"failover": errorCommand(commands.ErrNoFailover), "replicaof": replicaofCommand,
	"slaveof": replicaofCommand, "sync": syncCommand,
	"psync": syncCommand, "replconf": replconfCommand,
	"migrate": migrateCommand, "module": moduleCommand, "lolwut": lolwutCommand,
}

func errorCommand(msg string) serverHandler {
	return func(s *Server, cl *Client, args [][]byte) { cl.out.Error(msg) }
}

// moduleCommand: no module is ever loaded, so LIST is empty and loading is
// refused.
func moduleCommand(s *Server, cl *Client, args [][]byte) {
	switch sub := strings.ToLower(string(args[1])); {
	case sub == "help" && len(args) == 2:
		helpReply(cl, "MODULE",
			"LIST",
			"    Return a list of loaded modules.",
			"LOAD <path> [<arg> ...]",
			"    Load a module library from <path>, passing to it any optional arguments.",
			"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
			"    Load a module library from <path>, while passing it module configurations and optional arguments.",
			"UNLOAD <name>",
			"    Unload a module.")
	case sub == "list" && len(args) == 2:
		cl.out.Array(0)
	case sub == "load" && len(args) >= 3, sub == "loadex" && len(args) >= 3, sub == "unload" && len(args) == 3:
		cl.out.Error(commands.ErrNoModules)
	case sub == "help" || sub == "list" || sub == "load" || sub == "loadex" || sub == "unload":
		cl.out.Error("ERR wrong number of arguments for 'module|" + sub + "' command")
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try MODULE HELP.")
	}
}

// lolwutCommand answers as Redis 7's LOLWUT for a version without art of
// its own: the version line. VERSION 5 and 6 (Redis' generative art) get the
// same line.
func lolwutCommand(s *Server, cl *Client, args [][]byte) {
	for i := 1; i < len(args); i++ {
		if commands.EqualFold(args[i], "version") && i+1 < len(args) {
			if _, ok := commands.ParseInt(args[i+1]); !ok {
				cl.out.Error(commands.ErrNotInt)
				return
			}
			i++
		}
	}
	cl.out.Verbatim("Redis ver. " + RedisVersion + "\n")
}
