package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

// commandKeys returns the key arguments of args (the command name first),
// as the key specs in the command table find them; nil when the arguments
// do not say where the keys are (a bad numkeys), as Redis'
// getKeysFromCommandWithSpecs failing.
func commandKeys(cmd *commands.Command, args [][]byte) [][]byte {
	refs, ok := cmd.KeysWithFlags(args)
	if !ok || len(refs) == 0 {
		return nil
	}
	keys := make([][]byte, len(refs))
	for i, r := range refs {
		keys[i] = args[r.Pos]
	}
	return keys
}

// commandGetKeys is COMMAND GETKEYS and, with withFlags, COMMAND
// GETKEYSANDFLAGS: Redis' getKeysSubcommandImpl.
func commandGetKeys(cl *Client, args [][]byte, withFlags bool) {
	if len(args) < 4 {
		cl.out.Error(commands.ArityErr("command|" + strings.ToLower(string(args[1]))))
		return
	}
	argv := args[2:]
	c := commands.Lookup(argv[0])
	if c != nil && len(argv) > 1 && len(c.Subcommands()) > 0 {
		c = c.Subcommand(argv[1])
	}
	switch {
	case c == nil:
		cl.out.Error("ERR Invalid command specified")
		return
	case !c.HasKeys():
		cl.out.Error("ERR The command has no key arguments")
		return
	case !c.ArityOK(len(argv)):
		cl.out.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := c.KeysWithFlags(argv)
	if !ok || len(keys) == 0 {
		if c.Is(commands.NoMandatoryKeys) {
			cl.out.Array(0)
			return
		}
		cl.out.Error("ERR Invalid arguments specified for command")
		return
	}
	cl.out.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			cl.out.Bulk(argv[k.Pos])
			continue
		}
		cl.out.Array(2)
		cl.out.Bulk(argv[k.Pos])
		writeFlagSet(cl, k.Flags.Names())
	}
}

func writeFlagSet(cl *Client, names []string) {
	cl.out.Set(len(names))
	for _, n := range names {
		cl.out.Simple(n)
	}
}
