package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

// commandKeys returns the key arguments of args (the command name first),
// including those of movablekeys commands; ok is false when the arguments
// do not say where the keys are (a bad numkeys), as Redis' getKeysFromCommand
// failing.
func commandKeys(cmd *commands.Command, args [][]byte) [][]byte {
	keys, _ := commandKeysOK(cmd, args)
	return keys
}

func commandKeysOK(cmd *commands.Command, args [][]byte) ([][]byte, bool) {
	numkeys := func(at, first int) ([][]byte, bool) {
		if at >= len(args) {
			return nil, false
		}
		n, ok := commands.ParseInt(args[at])
		if !ok || n < 0 || int64(len(args)-first) < n {
			return nil, false
		}
		return args[first : first+int(n)], true
	}
	switch cmd.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return numkeys(2, 3)
	case "zunion", "zinter", "zdiff", "zintercard", "sintercard", "lmpop", "zmpop":
		k, ok := numkeys(1, 2)
		return k, ok && len(k) > 0
	case "blmpop", "bzmpop":
		k, ok := numkeys(2, 3)
		return k, ok && len(k) > 0
	case "zunionstore", "zinterstore", "zdiffstore":
		k, ok := numkeys(2, 3)
		if !ok || len(k) == 0 {
			return nil, false
		}
		return append([][]byte{args[1]}, k...), true
	case "xread", "xreadgroup":
		for i := 1; i < len(args); i++ {
			if cmd.Name == "xreadgroup" && i == 1 && commands.EqualFold(args[i], "group") {
				i += 2
				continue
			}
			if commands.EqualFold(args[i], "streams") {
				rest := args[i+1:]
				// Redis' key spec: the first half, rounded down.
				return rest[:len(rest)/2], len(rest) >= 2
			}
		}
		return nil, false
	case "sort", "sort_ro":
		keys := [][]byte{args[1]}
		var store []byte
		for i := 2; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "limit":
				i += 2
			case "get", "by":
				i++
			case "store":
				if i+1 < len(args) && cmd.Name == "sort" {
					store = args[i+1]
					i++
				}
			}
		}
		if store != nil {
			keys = append(keys, store)
		}
		return keys, true
	case "migrate": // Redis' migrateGetKeys
		for i := 6; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "keys":
				if len(args[3]) > 0 {
					return nil, false
				}
				return args[i+1:], true
			case "auth":
				i++
			case "auth2":
				i += 2
			}
		}
		return args[3:4], true
	case "georadius", "georadiusbymember":
		keys := [][]byte{args[1]}
		from := 6
		if cmd.Name == "georadiusbymember" {
			from = 5
		}
		var store []byte
		for i := from; i+1 < len(args); i++ {
			if commands.EqualFold(args[i], "store") || commands.EqualFold(args[i], "storedist") {
				store = args[i+1]
				i++
			}
		}
		if store != nil {
			keys = append(keys, store)
		}
		return keys, true
	}
	return cmd.Keys(args), true
}

// hasKeys is Redis' doesCommandHaveKeys.
func hasKeys(cmd *commands.Command) bool {
	return cmd.FirstKey > 0 || cmd.Is(commands.MovableKeys)
}

// noMandatoryKeys are the commands Redis flags no_mandatory_keys: GETKEYS
// answers an empty array for them instead of an error.
func noMandatoryKeys(name string) bool {
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		return true
	}
	return false
}

func commandGetKeys(cl *Client, args [][]byte) {
	if len(args) < 4 {
		cl.out.Error("ERR wrong number of arguments for 'command|getkeys' command")
		return
	}
	c := commands.Lookup(args[2])
	argv := args[2:]
	switch {
	case c == nil:
		cl.out.Error("ERR Invalid command specified")
		return
	case !hasKeys(c):
		cl.out.Error("ERR The command has no key arguments")
		return
	case c.Arity > 0 && c.Arity != len(argv) || len(argv) < -c.Arity:
		cl.out.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := commandKeysOK(c, argv)
	if !ok || len(keys) == 0 {
		if noMandatoryKeys(c.Name) {
			cl.out.Array(0)
			return
		}
		cl.out.Error("ERR Invalid arguments specified for command")
		return
	}
	cl.out.Array(len(keys))
	for _, k := range keys {
		cl.out.Bulk(k)
	}
}
