package commands

import (
	"sort"
	"strings"
)

// Flags describe how a command may be routed and what COMMAND reports for it.
type Flags uint32

const (
	Write    Flags = 1 << iota // changes the dataset: goes through the Raft log
	ReadOnly                   // reads the dataset: served from the local dict
	DenyOOM
	Fast
	Blocking // may wait for another client's write (BLPOP, ...)
	Admin
	PubSub
	NoScript
	Loading
	Stale
	NoAuth
	// MovableKeys: the key positions depend on the arguments (numkeys), as
	// Redis reports for LMPOP, ZUNION, ...
	MovableKeys
	// Server marks commands the server layer runs itself because they touch
	// connection or node state (PING, SELECT, HELLO, INFO, ...): they have no Handler.
	Server
	// NoMulti: refused inside MULTI at queue time (SHUTDOWN), as Redis' no-multi.
	NoMulti
	// MayReplicate marks a command Redis flags readonly that may still change
	// the value it reads (PFCOUNT caches the cardinality in the HLL string,
	// Redis's CMD_MAY_REPLICATE). It goes through the Raft log like a write so
	// every node caches the same bytes; COMMAND does not list it, as Redis 7.0
	// does not.
	MayReplicate
)

// Logged reports whether the command runs inside the FSM from a log entry.
func (c *Command) Logged() bool { return c.Flags&(Write|MayReplicate) != 0 }

var flagNames = []struct {
	f    Flags
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"},
	{PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"},
	{Stale, "stale"}, {NoAuth, "no_auth"}, {Fast, "fast"}, {NoMulti, "no_multi"}, {MovableKeys, "movablekeys"},
}

// Names returns the Redis flag names in the order COMMAND INFO lists them.
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// Command is the single declaration of a command: routing, COMMAND output and
// docs all derive from it.
type Command struct {
	Name     string // lower case
	Arity    int    // Redis convention: >0 exact, <0 at least -Arity (name included)
	Flags    Flags
	FirstKey int
	LastKey  int
	Step     int
	Group    string // generic, string, list, connection, server
	Since    string
	Summary  string
	Args     string // argument synopsis for help and COMMAND DOCS
	Handler  func(c *Ctx)
}

func (c *Command) Is(f Flags) bool { return c.Flags&f != 0 }

// Keys returns the key arguments of args according to the key positions.
func (c *Command) Keys(args [][]byte) [][]byte {
	if c.FirstKey <= 0 || c.FirstKey >= len(args) {
		return nil
	}
	last := c.LastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	step := c.Step
	if step <= 0 {
		step = 1
	}
	var keys [][]byte
	for i := c.FirstKey; i <= last; i += step {
		keys = append(keys, args[i])
	}
	return keys
}

var table = map[string]*Command{}

// register adds commands to the table; each group file calls it once.
func register(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := table[c.Name]; dup {
			panic("command declared twice: " + c.Name)
		}
		table[c.Name] = c
	}
}

// Lookup finds a command by name, case-insensitively, without allocating.
func Lookup(name []byte) *Command {
	var tmp [32]byte
	if len(name) > len(tmp) {
		return table[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		tmp[i] = ch
	}
	return table[string(tmp[:len(name)])]
}

// All returns every command, sorted by name.
func All() []*Command {
	out := make([]*Command, 0, len(table))
	for _, c := range table {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
