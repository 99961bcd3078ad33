package server

import (
	"strings"

	"github.com/geomys/geomys/commands"
)

func commandCommand(s *Server, cl *Client, args [][]byte) {
	if len(args) == 1 {
		all := commands.All()
		cl.out.Array(len(all))
		for _, c := range all {
			writeCommandInfo(cl, c)
		}
		return
	}
	switch strings.ToLower(string(args[1])) {
	case "count":
		cl.out.Int(int64(len(commands.All())))
	case "list":
		all := commands.All()
		cl.out.Array(len(all))
		for _, c := range all {
			cl.out.BulkString(c.Name)
		}
	case "info":
		names := args[2:]
		if len(names) == 0 {
			all := commands.All()
			cl.out.Array(len(all))
			for _, c := range all {
				writeCommandInfo(cl, c)
			}
			return
		}
		cl.out.Array(len(names))
		for _, n := range names {
			if c := commands.Lookup(n); c != nil {
				writeCommandInfo(cl, c)
			} else {
				cl.out.NullArray()
			}
		}
	case "docs":
		var list []*commands.Command
		if len(args) == 2 {
			list = commands.All()
		} else {
			for _, n := range args[2:] {
				if c := commands.Lookup(n); c != nil {
					list = append(list, c)
				}
			}
		}
		cl.out.Map(len(list))
		for _, c := range list {
			cl.out.BulkString(c.Name)
			cl.out.Map(4)
			cl.out.BulkString("summary")
			cl.out.BulkString(c.Summary)
			cl.out.BulkString("since")
			cl.out.BulkString(c.Since)
			cl.out.BulkString("group")
			cl.out.BulkString(c.Group)
			cl.out.BulkString("syntax")
			cl.out.BulkString(strings.TrimSpace(strings.ToUpper(c.Name) + " " + c.Args))
		}
	case "getkeys":
		commandGetKeys(cl, args)
	case "help":
		cl.out.Array(1)
		cl.out.Simple("COMMAND [COUNT | DOCS [name ...] | INFO [name ...] | LIST | GETKEYS cmd [args ...]]")
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try COMMAND HELP.")
	}
}

// writeCommandInfo writes the 10-element entry Redis 7 returns per command.
func writeCommandInfo(cl *Client, c *commands.Command) {
	cl.out.Array(10)
	cl.out.BulkString(c.Name)
	cl.out.Int(int64(c.Arity))
	flags := c.Flags.Names()
	cl.out.Set(len(flags))
	for _, f := range flags {
		cl.out.Simple(f)
	}
	cl.out.Int(int64(c.FirstKey))
	cl.out.Int(int64(c.LastKey))
	cl.out.Int(int64(c.Step))
	cats := aclCategories(c)
	cl.out.Set(len(cats))
	for _, cat := range cats {
		cl.out.Simple(cat)
	}
	cl.out.Array(0) // tips
	cl.out.Array(0) // key specs
	cl.out.Array(0) // subcommands
}

func aclCategories(c *commands.Command) []string { return c.Categories().Names() }
