package acl

import (
	"slices"

	"github.com/geomys/geomys/commands"
)

// Reasons a command is refused, ordered as Redis ranks them when no
// selector allows it (the highest wins).
const (
	OK = iota
	DeniedCmd
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// Denial says why a command was refused and what it was refused on: the
// command's full name, the key or the channel.
type Denial struct {
	Reason int
	Object string
}

// FullName is the name ACL rules and NOPERM texts use for the command as
// called: "config|get" for a known subcommand.
func FullName(cmd *commands.Command, args [][]byte) string {
	if len(args) > 1 {
		if s := cmd.Subcommand(args[1]); s != nil {
			return s.Name
		}
	}
	return cmd.Name
}

// Check reports whether the user may run the command with these keys (as
// the command table's key specs find them in args) and channels (patterns
// says the channels are PSUBSCRIBE patterns, which must be allowed
// literally).
func (u *User) Check(cmd *commands.Command, args [][]byte, keys []commands.KeyRef, channels [][]byte, patterns bool) Denial {
	var worst Denial
	for _, s := range u.Selectors {
		d := s.check(cmd, args, keys, channels, patterns)
		if d.Reason == OK {
			return d
		}
		if d.Reason > worst.Reason {
			worst = d
		}
	}
	return worst
}

func (s *Selector) check(cmd *commands.Command, args [][]byte, keys []commands.KeyRef, channels [][]byte, patterns bool) Denial {
	name := FullName(cmd, args)
	if !s.allCommands && !cmd.Is(commands.NoAuth) && !s.allowed[name] {
		if len(args) < 2 || !slices.ContainsFunc(s.firstArgs[name], func(a string) bool { return commands.EqualFold(args[1], a) }) {
			return Denial{DeniedCmd, name}
		}
	}
	if !s.allKeys && len(keys) > 0 {
		for _, k := range keys {
			if !s.keyAllowed(args[k.Pos], keyPerm(k.Flags)) {
				return Denial{DeniedKey, string(args[k.Pos])}
			}
		}
	}
	if !s.allChannels {
		for _, ch := range channels {
			if !s.channelAllowed(ch, patterns) {
				return Denial{DeniedChannel, string(ch)}
			}
		}
	}
	return Denial{}
}

// keyPerm is what a key's spec flags need, as Redis 7.0's ACL decides:
// reading its value needs %R, changing it %W; a key that is neither read
// nor changed (EXISTS, TYPE) needs only a pattern that matches it.
func keyPerm(f commands.KeyFlags) int {
	p := 0
	if f&commands.KeyAccess != 0 {
		p |= permRead
	}
	if f&(commands.KeyInsert|commands.KeyUpdate|commands.KeyDelete) != 0 {
		p |= permWrite
	}
	return p
}

func (s *Selector) keyAllowed(key []byte, need int) bool {
	for _, p := range s.keys {
		if p.perms&need == need && commands.GlobMatch(p.pat, string(key), false) {
			return true
		}
	}
	return false
}

func (s *Selector) channelAllowed(ch []byte, pattern bool) bool {
	for _, p := range s.channels {
		if pattern && p == string(ch) || !pattern && commands.GlobMatch(p, string(ch), false) {
			return true
		}
	}
	return false
}

// Error is the -NOPERM text of a denial (Redis 7.0).
func (d Denial) Error() string {
	switch d.Reason {
	case DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + d.Object + "' command"
}

// DryRun is ACL DRYRUN's text for a denial.
func (d Denial) DryRun() string {
	switch d.Reason {
	case DeniedKey:
		return "This user has no permissions to access the '" + d.Object + "' key"
	case DeniedChannel:
		return "This user has no permissions to access the '" + d.Object + "' channel"
	}
	return "This user has no permissions to run the '" + d.Object + "' command"
}

// Context is the ACL LOG "reason" word.
func (d Denial) Context() string {
	switch d.Reason {
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "command"
}
