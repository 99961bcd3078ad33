package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

// Secrets in a command's arguments are replaced with "(redacted)" before the
// command reaches SLOWLOG or MONITOR, where Redis 7 redacts them: every
// argument of ACL SETUSER, the credentials of AUTH, HELLO AUTH and MIGRATE
// AUTH/AUTH2, and the values of sensitive parameters in CONFIG SET.

var redacted = []byte("(redacted)")

// sensitiveParams are the parameters Redis flags SENSITIVE_CONFIG.
var sensitiveParams = map[string]bool{"requirepass": true, "masterauth": true, "masteruser": true}

// redactArgs returns args with its secrets redacted: args itself when it
// holds none, else a copy.
func redactArgs(args [][]byte) [][]byte {
	if len(args) < 2 {
		return args
	}
	var hide []int
	name := args[0]
	switch {
	case commands.EqualFold(name, "auth"):
		if len(args) <= 3 {
			for j := 1; j < len(args); j++ {
				hide = append(hide, j)
			}
		}
	case commands.EqualFold(name, "hello"):
		for j := 2; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case commands.EqualFold(args[j], "auth") && more >= 2:
				hide = append(hide, j+1, j+2)
				j += 2
			case commands.EqualFold(args[j], "setname") && more >= 1:
				j++
			default:
				j = len(args)
			}
		}
	case commands.EqualFold(name, "acl") && commands.EqualFold(args[1], "setuser"):
		for j := 2; j < len(args); j++ {
			hide = append(hide, j)
		}
	case commands.EqualFold(name, "config") && commands.EqualFold(args[1], "set"):
		for j := 2; j+1 < len(args); j += 2 {
			if sensitiveParams[strings.ToLower(string(args[j]))] {
				hide = append(hide, j+1)
			}
		}
	case commands.EqualFold(name, "migrate"):
		hide = migrateSecrets(args)
	}
	if len(hide) == 0 {
		return args
	}
	out := append([][]byte(nil), args...)
	for _, j := range hide {
		out[j] = redacted
	}
	return out
}
