package commands

import (
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
	if c.ACL != "" {
		return parseCategories(c.ACL)
	}
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

func init() {
	register(
		&Command{Name: "acl", Hidden: NoScript | Loading | Stale, Complexity: "Depends on subcommand.", Arity: -2, Flags: Server | NoScript | Loading | Stale, Group: "server", Since: "6.0.0",
			Summary: "A container for Access List Control commands.", Args: "subcommand [arg ...]"},
		&Command{Name: "raft.auth", Arity: 2, Flags: Server | NoAuth | Fast | Loading | Stale, Group: "cluster", Since: "0.3.0",
			Summary: "Authenticates a connection from another member with the cluster secret (--cluster-secret).", Args: "secret"},
		&Command{Name: "raft.as", Arity: -3, Flags: Server | NoScript | Stale, Group: "cluster", Since: "0.3.0",
			Summary: "Runs a script call relayed by another member as the user who sent it there, so the commands the script calls are checked against that user's ACL (members only).", Args: "user command [arg ...]"},
	)
}
