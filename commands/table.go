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
	// The flags below only describe the command to clients, as Redis 7.0's
	// COMMAND INFO does; Geomys' own routing does not read them.
	AllowBusy
	NoAsyncLoading
	SkipMonitor
	SkipSlowlog
	NoMandatoryKeys
	Asking
)

// Logged reports whether the command runs inside the FSM from a log entry.
func (c *Command) Logged() bool { return c.Flags&(Write|MayReplicate) != 0 }

var flagNames = []struct {
	f    Flags
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Admin, "admin"},
	{PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"}, {Loading, "loading"},
	{Stale, "stale"}, {SkipMonitor, "skip_monitor"}, {SkipSlowlog, "skip_slowlog"}, {Asking, "asking"},
	{Fast, "fast"}, {NoAuth, "no_auth"}, {NoMandatoryKeys, "no_mandatory_keys"},
	{NoAsyncLoading, "no_async_loading"}, {NoMulti, "no_multi"}, {MovableKeys, "movablekeys"},
	{AllowBusy, "allow_busy"},
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

	// Noop, on a write command, is its "nothing to do" check: run on the
	// read path against the applied dataset, it writes the exact reply the
	// command would give and reports true when the command would change
	// nothing (no value, TTL, notification or WATCH touch: Redis would not
	// propagate it), so the server answers without a log entry. Otherwise
	// it writes nothing and reports false, errors included: the write path
	// words them.
	Noop func(c *Ctx) bool

	// Keys declares the Redis 7 key specs in the compact form parseKeySpecs
	// reads ("RO access index=1"); register parses it into KeySpecs.
	Keys     string
	KeySpecs []KeySpec
	// GetKeys finds the keys where the key specs cannot (an unknown or
	// incomplete spec, flags that depend on the arguments), as Redis'
	// getkeys_proc.
	GetKeys func(args [][]byte) ([]KeyRef, bool)
	// Tips are Redis' command tips ("nondeterministic_output", ...).
	Tips string
	// Hidden are routing flags COMMAND does not report because Redis does
	// not have them on this command (PUBLISH goes through the log here).
	Hidden Flags
	// ACL, when set, declares the ACL categories instead of deriving them
	// from the flags and group (subcommands declare theirs).
	ACL string
	// Complexity is the time complexity COMMAND DOCS reports.
	Complexity string
}

// InfoFlags are the flags COMMAND INFO reports.
func (c *Command) InfoFlags() Flags { return c.Flags &^ c.Hidden }

func (c *Command) Is(f Flags) bool { return c.Flags&f != 0 }

// ArityOK reports whether n arguments (the name included) fit the
// command's arity: exactly Arity, or at least -Arity when it is negative.
func (c *Command) ArityOK(n int) bool {
	return c.Arity > 0 && n == c.Arity || c.Arity < 0 && n >= -c.Arity
}

var table = map[string]*Command{}

// register adds commands to the table; each group file calls it once.
func register(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := table[c.Name]; dup {
			panic("command declared twice: " + c.Name)
		}
		c.KeySpecs = parseKeySpecs(c.Name, c.Keys)
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

// subtable holds containers' subcommands by container name, each named
// "container|sub" as COMMAND and ACL rules name them.
var subtable = map[string][]*Command{}

// registerSub declares a container's subcommands.
func registerSub(parent string, cmds ...*Command) {
	for _, c := range cmds {
		if !strings.HasPrefix(c.Name, parent+"|") {
			panic("subcommand " + c.Name + " outside " + parent)
		}
		c.KeySpecs = parseKeySpecs(c.Name, c.Keys)
		subtable[parent] = append(subtable[parent], c)
	}
	sort.Slice(subtable[parent], func(i, j int) bool { return subtable[parent][i].Name < subtable[parent][j].Name })
}

// Subcommands returns a container's subcommands, sorted (nil for other
// commands).
func (c *Command) Subcommands() []*Command { return subtable[c.Name] }

// HasSubcommands reports whether c is a container (CLIENT, CONFIG, ...).
func (c *Command) HasSubcommands() bool { return len(subtable[c.Name]) > 0 }

// Subcommand finds a container's subcommand by name, case-insensitively.
func (c *Command) Subcommand(name []byte) *Command {
	for _, s := range subtable[c.Name] {
		if EqualFold(name, s.SubName()) {
			return s
		}
	}
	return nil
}

// SubName is the part after "container|" (the whole name of a command).
func (c *Command) SubName() string {
	_, sub, ok := strings.Cut(c.Name, "|")
	if !ok {
		return c.Name
	}
	return sub
}

// LookupFull finds a command or, for "container|sub", a subcommand, as
// COMMAND INFO and ACL rules name them.
func LookupFull(name []byte) *Command {
	parent, sub, ok := strings.Cut(string(name), "|")
	c := Lookup([]byte(parent))
	if !ok || c == nil {
		return c
	}
	return c.Subcommand([]byte(sub))
}

// AllWithSubcommands returns every command followed by its subcommands,
// as COMMAND LIST gives them.
func AllWithSubcommands() []*Command {
	var out []*Command
	for _, c := range All() {
		out = append(out, c)
		out = append(out, c.Subcommands()...)
	}
	return out
}
