// Package acl is Redis 7's access control: users, their passwords (SHA-256
// hashes), command/category rules, key and channel patterns and selectors,
// with Redis' rule syntax (ACL SETUSER) and descriptions (ACL LIST,
// GETUSER). The users are replicated data kept by the FSM; this package
// only parses, describes and checks them, so it is tested without a server.
package acl

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/geomys/geomys/commands"
)

// The rule errors, with Redis' texts (ACLSetUserStringError).
var (
	ErrUnknownName   = errors.New("Unknown command or category name in ACL")
	ErrSyntax        = errors.New("Syntax error")
	ErrKeysAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	ErrChansAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	ErrNoSuchPass    = errors.New("The password you are trying to remove from the user does not exist")
	ErrBadHash       = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	ErrSubFirstArg   = errors.New("Allowing first-arg of a subcommand is not supported")
)

// Key permissions of a pattern: ~ is both, %R~ read, %W~ write.
const (
	permRead  = 1
	permWrite = 2
	permAll   = permRead | permWrite
)

type keyPattern struct {
	pat   string
	perms int
}

// cmdID is one command an ACL can name: a command or a container's
// subcommand ("config|get").
type cmdID struct {
	name   string
	cats   commands.Category
	parent *cmdID
	subs   []*cmdID
}

var (
	universeOnce sync.Once
	topIDs       []*cmdID          // every command, sorted by name
	idByName     map[string]*cmdID // by full name
)

func universe() {
	universeOnce.Do(func() {
		idByName = map[string]*cmdID{}
		for _, c := range commands.All() {
			id := &cmdID{name: c.Name, cats: c.Categories()}
			for _, s := range c.Subcommands() {
				sub := &cmdID{name: s.Name, cats: s.Categories(), parent: id}
				id.subs = append(id.subs, sub)
				idByName[sub.name] = sub
			}
			topIDs = append(topIDs, id)
			idByName[id.name] = id
		}
	})
}

// Selector is one set of permissions: the user's root one, or one of its
// "(...)" selectors. A command is allowed when any selector allows it.
type Selector struct {
	allKeys, allChannels bool
	keys                 []keyPattern
	channels             []string
	allowed              map[string]bool
	// allCommands is Redis' ALLCOMMANDS flag (every bit set, cleared by any
	// removal); future is its reserved bit, set only by +@all, which decides
	// whether the description starts from +@all or -@all.
	allCommands, future bool
	firstArgs           map[string][]string
}

func newSelector() *Selector {
	universe()
	return &Selector{allowed: map[string]bool{}, firstArgs: map[string][]string{}}
}

func (s *Selector) clone() *Selector {
	c := *s
	c.keys = slices.Clone(s.keys)
	c.channels = slices.Clone(s.channels)
	c.allowed = make(map[string]bool, len(s.allowed))
	for k, v := range s.allowed {
		c.allowed[k] = v
	}
	c.firstArgs = map[string][]string{}
	for k, v := range s.firstArgs {
		c.firstArgs[k] = slices.Clone(v)
	}
	return &c
}

func (s *Selector) setBit(id *cmdID, allow bool) {
	if allow {
		s.allowed[id.name] = true
	} else {
		delete(s.allowed, id.name)
		s.allCommands = false
	}
}

// changePerm is Redis' ACLChangeSelectorPerm: a container takes its
// subcommands along, and first-arg exceptions are dropped.
func (s *Selector) changePerm(id *cmdID, allow bool) {
	delete(s.firstArgs, id.name)
	s.setBit(id, allow)
	for _, sub := range id.subs {
		s.setBit(sub, allow)
	}
}

func (s *Selector) setCategory(cat commands.Category, allow bool) {
	for _, id := range topIDs {
		if id.cats&cat != 0 {
			s.changePerm(id, allow)
		}
		for _, sub := range id.subs {
			if sub.cats&cat != 0 {
				s.changePerm(sub, allow)
			}
		}
	}
}

func (s *Selector) all(allow bool) {
	clear(s.allowed)
	clear(s.firstArgs)
	if allow {
		for name := range idByName {
			s.allowed[name] = true
		}
	}
	s.allCommands, s.future = allow, allow
}

// apply runs one selector rule (Redis' ACLSetSelector).
func (s *Selector) apply(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "allkeys":
		s.allKeys, s.keys = true, nil
	case lop == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lop == "allchannels":
		s.allChannels, s.channels = true, nil
	case lop == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lop == "allcommands" || lop == "+@all":
		s.all(true)
	case lop == "nocommands" || lop == "-@all":
		s.all(false)
	case strings.HasPrefix(op, "~") || strings.HasPrefix(op, "%"):
		return s.addKeyPattern(op)
	case strings.HasPrefix(op, "&"):
		if s.allChannels {
			return ErrChansAfterAll
		}
		if op == "&*" {
			s.allChannels, s.channels = true, nil
		} else if !slices.Contains(s.channels, op[1:]) {
			s.channels = append(s.channels, op[1:])
		}
	case strings.HasPrefix(op, "+@") || strings.HasPrefix(op, "-@"):
		cat, ok := commands.CategoryByName(op[2:])
		if !ok {
			return ErrUnknownName
		}
		s.setCategory(cat, op[0] == '+')
	case strings.HasPrefix(op, "+") || strings.HasPrefix(op, "-"):
		return s.applyCommand(lop[1:], op[0] == '+')
	default:
		return ErrSyntax
	}
	return nil
}

// redisOnly are Redis 7.0 commands Geomys does not have (replication,
// Redis Cluster, modules). Rules naming them are accepted and have no
// effect, so an ACL file written by redis-server (whose descriptions may
// name them) loads here.
var redisOnly = map[string]bool{
	"asking": true, "cluster": true, "failover": true, "lolwut": true, "migrate": true, "module": true,
	"psync": true, "readonly": true, "readwrite": true, "replconf": true, "replicaof": true,
	"restore-asking": true, "slaveof": true, "substr": true, "sync": true,
}

func (s *Selector) applyCommand(name string, allow bool) error {
	if id := idByName[name]; id != nil {
		s.changePerm(id, allow)
		return nil
	}
	if base, _, _ := strings.Cut(name, "|"); redisOnly[base] {
		return nil
	}
	// As Redis, the first argument follows the last '|': "config|get|x"
	// names an argument of the subcommand config|get.
	cut := strings.LastIndexByte(name, '|')
	if cut < 0 {
		return ErrUnknownName
	}
	id, arg := idByName[name[:cut]], name[cut+1:]
	if id == nil || !allow || arg == "" {
		return ErrUnknownName
	}
	if id.parent != nil {
		return ErrSubFirstArg
	}
	if len(id.subs) > 0 {
		return ErrUnknownName // an unknown subcommand of a container
	}
	// "+select|0": allowed with this first argument only.
	if !s.allowed[id.name] && !slices.Contains(s.firstArgs[id.name], arg) {
		s.firstArgs[id.name] = append(s.firstArgs[id.name], arg)
	}
	return nil
}

func (s *Selector) addKeyPattern(op string) error {
	if s.allKeys {
		return ErrKeysAfterAll
	}
	perms, rest := permAll, op[1:]
	if op[0] == '%' {
		perms = 0
		i := 1
		for ; i < len(op); i++ {
			switch {
			case (op[i] == 'R' || op[i] == 'r') && perms&permRead == 0:
				perms |= permRead
			case (op[i] == 'W' || op[i] == 'w') && perms&permWrite == 0:
				perms |= permWrite
			case op[i] == '~':
				goto done
			default:
				return ErrSyntax
			}
		}
		return ErrSyntax
	done:
		if perms == 0 {
			return ErrSyntax
		}
		rest = op[i+1:]
	}
	if rest == "*" && perms == permAll {
		s.allKeys, s.keys = true, nil
		return nil
	}
	for i := range s.keys {
		if s.keys[i].pat == rest {
			s.keys[i].perms |= perms
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pat: rest, perms: perms})
	return nil
}
