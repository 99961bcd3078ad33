package commands

import (
	"sort"
	"strings"
)

// Category is a set of ACL categories (@read, @admin, ...), one bit each in
// the order Redis numbers them, which is also the order it lists them in.
type Category uint32

// CategoryNames are the ACL categories in Redis' order (ACL CAT).
var CategoryNames = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting"}

// CategoryByName finds a category by name (without '@'), case-insensitively.
func CategoryByName(name string) (Category, bool) {
	for i, n := range CategoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

// Names lists the categories with their '@', in Redis' order.
func (c Category) Names() []string {
	var out []string
	for i, n := range CategoryNames {
		if c&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

func parseCategories(s string) Category {
	var c Category
	for _, f := range strings.Fields(s) {
		b, ok := CategoryByName(strings.TrimPrefix(f, "@"))
		if !ok {
			panic("unknown ACL category " + f)
		}
		c |= b
	}
	return c
}

// aclOverrides are the commands whose categories Redis declares by hand
// rather than as the flags and group imply: containers (whose
// subcommands carry the real categories), commands that are @dangerous
// without being admin, scripting, and the few whose routing flags here
// differ from Redis' (PUBLISH goes through the log but is not @write).
var aclOverrides = map[string]string{
	"client": "@slow", "command": "@slow @connection", "config": "@slow", "latency": "@slow",
	"memory": "@slow", "object": "@slow", "pubsub": "@slow", "slowlog": "@slow", "xgroup": "@slow",
	"xinfo": "@slow", "script": "@slow", "function": "@slow", "acl": "@slow",
	"dbsize": "@keyspace @read @fast", "flushall": "@keyspace @write @slow @dangerous",
	"flushdb": "@keyspace @write @slow @dangerous", "info": "@slow @dangerous",
	"keys": "@keyspace @read @slow @dangerous", "lastsave": "@admin @fast @dangerous",
	"role": "@admin @fast @dangerous", "publish": "@pubsub @fast", "spublish": "@pubsub @fast",
	"restore": "@keyspace @write @slow @dangerous", "swapdb": "@keyspace @write @fast @dangerous",
	"sort": "@write @set @sortedset @list @slow @dangerous", "sort_ro": "@read @set @sortedset @list @slow @dangerous",
	"wait": "@slow @connection", "restore-asking": "@keyspace @write @slow @dangerous",
	"migrate": "@keyspace @write @slow @dangerous", "lolwut": "@read @fast",
	"asking": "@fast @connection", "readonly": "@fast @connection", "readwrite": "@fast @connection",
	"cluster": "@slow", "module": "@slow",
	"eval": "@slow @scripting", "evalsha": "@slow @scripting", "eval_ro": "@slow @scripting",
	"evalsha_ro": "@slow @scripting", "fcall": "@slow @scripting", "fcall_ro": "@slow @scripting",
}

// Categories are the command's ACL categories: Redis' implicit ones from
// its flags (write, readonly, admin, pubsub, fast, blocking) plus its
// data type's, unless aclOverrides declares them.
func (c *Command) Categories() Category {
	if s, ok := aclOverrides[c.Name]; ok {
		return parseCategories(s)
	}
	var names []string
	switch {
	case c.Is(Write):
		names = append(names, "write")
	case c.Is(ReadOnly):
		names = append(names, "read")
	}
	switch c.Group {
	case "string", "list", "hash", "set", "stream", "connection", "pubsub", "bitmap", "hyperloglog", "geo":
		names = append(names, c.Group)
	case "transactions":
		names = append(names, "transaction")
	case "sorted-set":
		names = append(names, "sortedset")
	case "generic":
		names = append(names, "keyspace")
	}
	if c.Is(Admin) {
		names = append(names, "admin", "dangerous")
	}
	if c.Is(Fast) {
		names = append(names, "fast")
	} else {
		names = append(names, "slow")
	}
	if c.Is(Blocking) {
		names = append(names, "blocking")
	}
	return parseCategories(strings.Join(names, " "))
}

// Subcommand is one subcommand of a container command, as ACL rules name
// it ("config|get") and as Redis categorises it.
type Subcommand struct {
	Name       string
	Categories Category
}

// FullName is "container|sub".
func (s *Subcommand) FullName(parent string) string { return parent + "|" + s.Name }

var subcommandDefs = map[string][]struct{ name, cats string }{
	"client":   {{"caching", "@slow @connection"}, {"getname", "@slow @connection"}, {"getredir", "@slow @connection"}, {"help", "@slow @connection"}, {"id", "@slow @connection"}, {"info", "@slow @connection"}, {"kill", "@admin @slow @dangerous @connection"}, {"list", "@admin @slow @dangerous @connection"}, {"no-evict", "@admin @slow @dangerous @connection"}, {"pause", "@admin @slow @dangerous @connection"}, {"reply", "@slow @connection"}, {"setname", "@slow @connection"}, {"tracking", "@slow @connection"}, {"trackinginfo", "@slow @connection"}, {"unblock", "@admin @slow @dangerous @connection"}, {"unpause", "@admin @slow @dangerous @connection"}},
	"command":  {{"count", "@slow @connection"}, {"docs", "@slow @connection"}, {"getkeys", "@slow @connection"}, {"getkeysandflags", "@slow @connection"}, {"help", "@slow @connection"}, {"info", "@slow @connection"}, {"list", "@slow @connection"}},
	"config":   {{"get", "@admin @slow @dangerous"}, {"help", "@slow"}, {"resetstat", "@admin @slow @dangerous"}, {"rewrite", "@admin @slow @dangerous"}, {"set", "@admin @slow @dangerous"}},
	"function": {{"delete", "@write @slow @scripting"}, {"dump", "@slow @scripting"}, {"flush", "@write @slow @scripting"}, {"help", "@slow @scripting"}, {"kill", "@slow @scripting"}, {"list", "@slow @scripting"}, {"load", "@write @slow @scripting"}, {"restore", "@write @slow @scripting"}, {"stats", "@slow @scripting"}},
	"latency":  {{"doctor", "@admin @slow @dangerous"}, {"graph", "@admin @slow @dangerous"}, {"help", "@slow"}, {"histogram", "@admin @slow @dangerous"}, {"history", "@admin @slow @dangerous"}, {"latest", "@admin @slow @dangerous"}, {"reset", "@admin @slow @dangerous"}},
	"memory":   {{"doctor", "@slow"}, {"help", "@slow"}, {"malloc-stats", "@slow"}, {"purge", "@slow"}, {"stats", "@slow"}, {"usage", "@read @slow"}},
	"object":   {{"encoding", "@keyspace @read @slow"}, {"freq", "@keyspace @read @slow"}, {"help", "@keyspace @slow"}, {"idletime", "@keyspace @read @slow"}, {"refcount", "@keyspace @read @slow"}},
	"pubsub":   {{"channels", "@pubsub @slow"}, {"help", "@slow"}, {"numpat", "@pubsub @slow"}, {"numsub", "@pubsub @slow"}, {"shardchannels", "@pubsub @slow"}, {"shardnumsub", "@pubsub @slow"}},
	"script":   {{"debug", "@slow @scripting"}, {"exists", "@slow @scripting"}, {"flush", "@slow @scripting"}, {"help", "@slow @scripting"}, {"kill", "@slow @scripting"}, {"load", "@slow @scripting"}},
	"slowlog":  {{"get", "@admin @slow @dangerous"}, {"help", "@slow"}, {"len", "@admin @slow @dangerous"}, {"reset", "@admin @slow @dangerous"}},
	"xgroup":   {{"create", "@write @stream @slow"}, {"createconsumer", "@write @stream @slow"}, {"delconsumer", "@write @stream @slow"}, {"destroy", "@write @stream @slow"}, {"help", "@stream @slow"}, {"setid", "@write @stream @slow"}},
	"xinfo":    {{"consumers", "@read @stream @slow"}, {"groups", "@read @stream @slow"}, {"help", "@stream @slow"}, {"stream", "@read @stream @slow"}},
	"acl":      {{"cat", "@slow"}, {"deluser", "@admin @slow @dangerous"}, {"dryrun", "@admin @slow @dangerous"}, {"genpass", "@slow"}, {"getuser", "@admin @slow @dangerous"}, {"help", "@slow"}, {"list", "@admin @slow @dangerous"}, {"load", "@admin @slow @dangerous"}, {"log", "@admin @slow @dangerous"}, {"save", "@admin @slow @dangerous"}, {"setuser", "@admin @slow @dangerous"}, {"users", "@admin @slow @dangerous"}, {"whoami", "@slow"}},
}

var subcommands = map[string][]*Subcommand{}

func init() {
	for parent, defs := range subcommandDefs {
		for _, d := range defs {
			subcommands[parent] = append(subcommands[parent], &Subcommand{Name: d.name, Categories: parseCategories(d.cats)})
		}
		sort.Slice(subcommands[parent], func(i, j int) bool { return subcommands[parent][i].Name < subcommands[parent][j].Name })
	}
}

// Subcommands returns a container's subcommands (nil for other commands).
func (c *Command) Subcommands() []*Subcommand { return subcommands[c.Name] }

// Subcommand finds a container's subcommand by name, case-insensitively.
func (c *Command) Subcommand(name []byte) *Subcommand {
	for _, s := range subcommands[c.Name] {
		if EqualFold(name, s.Name) {
			return s
		}
	}
	return nil
}

func init() {
	register(
		&Command{Name: "acl", Arity: -2, Flags: Server | NoScript | Loading | Stale, Group: "server", Since: "6.0.0",
			Summary: "A container for Access List Control commands.", Args: "subcommand [arg ...]"},
		&Command{Name: "raft.auth", Arity: 2, Flags: Server | NoAuth | Fast | Loading | Stale, Group: "cluster", Since: "0.3.0",
			Summary: "Authenticates a connection from another member with the cluster secret (--cluster-secret).", Args: "secret"},
		&Command{Name: "raft.as", Arity: -3, Flags: Server | NoScript | Stale, Group: "cluster", Since: "0.3.0",
			Summary: "Runs a script call relayed by another member as the user who sent it there, so the commands the script calls are checked against that user's ACL (members only).", Args: "user command [arg ...]"},
	)
}
