package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

var commandHelp = []string{
	"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
	"HELP",
	"    Prints this help.",
}

func commandCommand(s *Server, cl *Client, args [][]byte) {
	if len(args) == 1 {
		writeAllCommandInfo(cl)
		return
	}
	switch strings.ToLower(string(args[1])) {
	case "count":
		if len(args) != 2 {
			cl.out.Error(commands.ArityErr("command|count"))
			return
		}
		cl.out.Int(int64(len(commands.All())))
	case "list":
		commandList(cl, args)
	case "info":
		if len(args) == 2 {
			writeAllCommandInfo(cl)
			return
		}
		cl.out.Array(len(args) - 2)
		for _, n := range args[2:] {
			if c := commands.LookupFull(n); c != nil {
				writeCommandInfo(cl, c)
			} else {
				cl.out.Null()
			}
		}
	case "docs":
		var list []*commands.Command
		if len(args) == 2 {
			list = commands.All()
		} else {
			for _, n := range args[2:] {
				if c := commands.LookupFull(n); c != nil {
					list = append(list, c)
				}
			}
		}
		cl.out.Map(len(list))
		for _, c := range list {
			cl.out.BulkString(c.Name)
			writeCommandDocs(cl, c)
		}
	case "getkeys":
		commandGetKeys(cl, args, false)
	case "getkeysandflags":
		commandGetKeys(cl, args, true)
	case "help":
		if len(args) != 2 {
			cl.out.Error(commands.ArityErr("command|help"))
			return
		}
		cl.out.Array(len(commandHelp))
		for _, l := range commandHelp {
			cl.out.Simple(l)
		}
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try COMMAND HELP.")
	}
}

func writeAllCommandInfo(cl *Client) {
	all := commands.All()
	cl.out.Array(len(all))
	for _, c := range all {
		writeCommandInfo(cl, c)
	}
}

// writeCommandInfo writes the 10-element entry Redis 7 returns per command:
// name, arity, flags, first/last key and step, ACL categories, tips, key
// specs and subcommands (each an entry of its own).
func writeCommandInfo(cl *Client, c *commands.Command) {
	cl.out.Array(10)
	cl.out.BulkString(c.Name)
	cl.out.Int(int64(c.Arity))
	writeFlagSet(cl, c.InfoFlags().Names())
	cl.out.Int(int64(c.FirstKey))
	cl.out.Int(int64(c.LastKey))
	cl.out.Int(int64(c.Step))
	writeFlagSet(cl, aclCategories(c))
	tips := strings.Fields(c.Tips)
	cl.out.Set(len(tips))
	for _, t := range tips {
		cl.out.BulkString(t)
	}
	cl.out.Set(len(c.KeySpecs))
	for i := range c.KeySpecs {
		writeKeySpec(cl, &c.KeySpecs[i])
	}
	subs := c.Subcommands()
	if len(subs) == 0 {
		cl.out.Set(0)
		return
	}
	cl.out.Array(len(subs))
	for _, sub := range subs {
		writeCommandInfo(cl, sub)
	}
}

// writeKeySpec is Redis' addReplyCommandKeySpecs entry for one spec.
func writeKeySpec(cl *Client, sp *commands.KeySpec) {
	if sp.Notes != "" {
		cl.out.Map(4)
		cl.out.BulkString("notes")
		cl.out.BulkString(sp.Notes)
	} else {
		cl.out.Map(3)
	}
	cl.out.BulkString("flags")
	writeFlagSet(cl, sp.Flags.Names())

	cl.out.BulkString("begin_search")
	cl.out.Map(2)
	cl.out.BulkString("type")
	switch {
	case sp.Keyword != "":
		cl.out.BulkString("keyword")
		cl.out.BulkString("spec")
		cl.out.Map(2)
		cl.out.BulkString("keyword")
		cl.out.BulkString(sp.Keyword)
		cl.out.BulkString("startfrom")
		cl.out.Int(int64(sp.StartFrom))
	case sp.Index > 0:
		cl.out.BulkString("index")
		cl.out.BulkString("spec")
		cl.out.Map(1)
		cl.out.BulkString("index")
		cl.out.Int(int64(sp.Index))
	default:
		cl.out.BulkString("unknown")
		cl.out.BulkString("spec")
		cl.out.Map(0)
	}

	cl.out.BulkString("find_keys")
	cl.out.Map(2)
	cl.out.BulkString("type")
	cl.out.BulkString(sp.Find)
	cl.out.BulkString("spec")
	switch sp.Find {
	case "range":
		cl.out.Map(3)
		cl.out.BulkString("lastkey")
		cl.out.Int(int64(sp.LastKey))
		cl.out.BulkString("keystep")
		cl.out.Int(int64(sp.KeyStep))
		cl.out.BulkString("limit")
		cl.out.Int(int64(sp.Limit))
	case "keynum":
		cl.out.Map(3)
		cl.out.BulkString("keynumidx")
		cl.out.Int(int64(sp.KeyNumIdx))
		cl.out.BulkString("firstkey")
		cl.out.Int(int64(sp.FirstKey))
		cl.out.BulkString("keystep")
		cl.out.Int(int64(sp.KeyStep))
	default:
		cl.out.Map(0)
	}
}

// writeCommandDocs is a command's COMMAND DOCS entry, as far as the table
// documents it: summary, since, group, complexity and, for a container,
// its subcommands' docs. The argument synopsis goes out as "syntax": the
// table holds no structured arguments to give.
func writeCommandDocs(cl *Client, c *commands.Command) {
	subs := c.Subcommands()
	n := 3
	if c.Complexity != "" {
		n++
	}
	if c.Args != "" {
		n++
	}
	if len(subs) > 0 {
		n++
	}
	cl.out.Map(n)
	cl.out.BulkString("summary")
	cl.out.BulkString(c.Summary)
	cl.out.BulkString("since")
	cl.out.BulkString(c.Since)
	cl.out.BulkString("group")
	cl.out.BulkString(c.Group)
	if c.Complexity != "" {
		cl.out.BulkString("complexity")
		cl.out.BulkString(c.Complexity)
	}
	if c.Args != "" {
		cl.out.BulkString("syntax")
		cl.out.BulkString(strings.ToUpper(strings.ReplaceAll(c.Name, "|", " ")) + " " + c.Args)
	}
	if len(subs) > 0 {
		cl.out.BulkString("subcommands")
		cl.out.Map(len(subs))
		for _, sub := range subs {
			cl.out.BulkString(sub.Name)
			writeCommandDocs(cl, sub)
		}
	}
}

func aclCategories(c *commands.Command) []string { return c.Categories().Names() }

// commandList is COMMAND LIST [FILTERBY MODULE name | ACLCAT category |
// PATTERN pattern]: every command and subcommand ("config|get"). No command
// comes from a module; a pattern matches the names as COMMAND LIST gives
// them.
func commandList(cl *Client, args [][]byte) {
	keep := func(*commands.Command) bool { return true }
	switch {
	case len(args) == 2:
	case len(args) == 5 && commands.EqualFold(args[2], "filterby"):
		arg := args[4]
		switch strings.ToLower(string(args[3])) {
		case "module":
			keep = func(*commands.Command) bool { return false }
		case "aclcat":
			cat, ok := commands.CategoryByName(string(arg))
			keep = func(c *commands.Command) bool { return ok && c.Categories()&cat != 0 }
		case "pattern":
			keep = func(c *commands.Command) bool { return commands.GlobMatch(string(arg), c.Name, true) }
		default:
			cl.out.Error(commands.ErrSyntax)
			return
		}
	default:
		cl.out.Error(commands.ErrSyntax)
		return
	}
	var names []string
	for _, c := range commands.AllWithSubcommands() {
		if keep(c) {
			names = append(names, c.Name)
		}
	}
	cl.out.Array(len(names))
	for _, n := range names {
		cl.out.BulkString(n)
	}
}
