package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/fsm"
)

// aclLog is ACL LOG: this node's recent denials, newest first; a repeat of
// the same denial within a minute counts on the same entry, as Redis.
type aclLog struct {
	mu      sync.Mutex
	entries []*aclLogEntry
}

type aclLogEntry struct {
	count                         int64
	reason, context, object, user string
	created, updated              time.Time
	clientInfo                    string
}

const aclLogMaxLen = 128

func (l *aclLog) add(reason, context, object, user, clientInfo string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for i, e := range l.entries {
		if e.reason == reason && e.context == context && e.object == object && e.user == user && now.Sub(e.updated) < time.Minute {
			e.count++
			e.updated, e.clientInfo = now, clientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = e
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, context: context, object: object, user: user, created: now, updated: now, clientInfo: clientInfo}
	l.entries = append([]*aclLogEntry{e}, l.entries...)
	if len(l.entries) > aclLogMaxLen {
		l.entries = l.entries[:aclLogMaxLen]
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func aclCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	argErr := func() { cl.out.Error("ERR wrong number of arguments for 'acl|" + sub + "' command") }
	switch sub {
	case "setuser":
		if len(args) < 3 {
			argErr()
			return
		}
		aclSetUser(s, cl, args)
	case "deluser":
		if len(args) < 3 {
			argErr()
			return
		}
		for _, a := range args[2:] {
			if string(a) == "default" {
				cl.out.Error("ERR The 'default' user cannot be removed")
				return
			}
		}
		if !s.onLeader(cl, args) {
			return
		}
		entry := append([][]byte{[]byte(fsm.ACLCommand), []byte("deluser")}, args[2:]...)
		s.replyInternal(cl, entry)
	case "getuser":
		if len(args) != 3 {
			argErr()
			return
		}
		aclGetUser(s, cl, string(args[2]))
	case "list", "users":
		if len(args) != 2 {
			argErr()
			return
		}
		us := s.users()
		lines := us.Names()
		if sub == "list" {
			lines = us.List()
		}
		cl.out.Array(len(lines))
		for _, l := range lines {
			cl.out.BulkString(l)
		}
	case "whoami":
		if len(args) != 2 {
			argErr()
			return
		}
		cl.out.BulkString(cl.user)
	case "cat":
		aclCat(cl, args)
	case "genpass":
		aclGenpass(cl, args)
	case "log":
		aclLogCommand(s, cl, args)
	case "dryrun":
		if len(args) < 4 {
			argErr()
			return
		}
		aclDryrun(s, cl, args)
	case "save":
		if s.cfg.ACLFile == "" {
			cl.out.Error(errNoACLFile)
			return
		}
		if err := writeACLFile(s.cfg.ACLFile, s.users().Text()); err != nil {
			cl.out.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
			s.log.Warn("ACL SAVE failed: check that the ACL file's directory is writable", "file", s.cfg.ACLFile, "err", err)
			return
		}
		cl.out.OK()
	case "load":
		if s.cfg.ACLFile == "" {
			cl.out.Error(errNoACLFile)
			return
		}
		if !s.onLeader(cl, args) {
			return
		}
		us, err := ReadACLFile(s.cfg.ACLFile)
		if err != nil {
			cl.out.Error("ERR " + err.Error())
			return
		}
		s.replyInternal(cl, [][]byte{[]byte(fsm.ACLCommand), []byte("set"), []byte(us.Text())})
	case "help":
		aclHelp(cl)
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try ACL HELP.")
	}
}

// ReadACLFile reads and parses an ACL file (--aclfile, ACL LOAD).
func ReadACLFile(path string) (*acl.Users, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %w", path, cError{err})
	}
	return acl.Parse(string(b), path)
}

// cError is an I/O error worded as C's strerror ("No such file or
// directory"), which Redis' messages quote.
type cError struct{ err error }

func (e cError) Unwrap() error { return e.err }

func (e cError) Error() string { return strerror(e.err) }

// writeACLFile replaces the file atomically, as Redis' ACL SAVE.
func writeACLFile(path, text string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}

// replyInternal proposes an internal entry and relays its reply.
func (s *Server) replyInternal(cl *Client, entry [][]byte) {
	var w fsm.EntryWriter
	w.Reset(time.Now().UnixMilli())
	w.Add(cl.db, cl.proto, entry)
	res, err := s.node.Apply(w.Bytes())
	if err != nil {
		cl.out.Error(clusterError(err))
		return
	}
	cl.out.Raw(res.Reply)
}

// hashRules replaces clear-text password rules by their hashes, so the
// log and the AOF never hold a password.
func hashRules(rules [][]byte) [][]byte {
	out := make([][]byte, len(rules))
	for i, r := range rules {
		switch {
		case len(r) > 0 && r[0] == '>':
			out[i] = []byte("#" + acl.HashPassword(string(r[1:])))
		case len(r) > 0 && r[0] == '<':
			out[i] = []byte("!" + acl.HashPassword(string(r[1:])))
		default:
			out[i] = r
		}
	}
	return out
}

func aclSetUser(s *Server, cl *Client, args [][]byte) {
	name := string(args[2])
	if strings.ContainsAny(name, " \x00") {
		cl.out.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, len(args)-3)
	for i, r := range args[3:] {
		rules[i] = string(r)
	}
	if _, err := s.users().SetUser(name, rules); err != nil {
		cl.out.Error(err.Error())
		return
	}
	if !s.onLeader(cl, args) {
		return
	}
	entry := append([][]byte{[]byte(fsm.ACLCommand), []byte("setuser"), args[2]}, hashRules(args[3:])...)
	s.replyInternal(cl, entry)
}

// setRequirePass makes the password the default user's only one (or none:
// nopass), through the log like every ACL change (Redis'
// ACLUpdateDefaultUserPassword).
func (s *Server) setRequirePass(cl *Client, pass []byte) bool {
	rule := []byte("nopass")
	if len(pass) > 0 {
		rule = []byte("#" + acl.HashPassword(string(pass)))
	}
	if msg := s.applyInternal(cl, [][]byte{[]byte(fsm.ACLCommand), []byte("setuser"), []byte("default"), []byte("resetpass"), rule}); msg != "" {
		cl.out.Error(msg)
		return false
	}
	return true
}

func aclGetUser(s *Server, cl *Client, name string) {
	u := s.users().Get(name)
	if u == nil {
		cl.out.Null()
		return
	}
	cl.out.Map(6)
	cl.out.BulkString("flags")
	flags := u.Flags()
	cl.out.Set(len(flags))
	for _, f := range flags {
		cl.out.BulkString(f)
	}
	cl.out.BulkString("passwords")
	cl.out.Array(len(u.Passwords))
	for _, p := range u.Passwords {
		cl.out.BulkString(p)
	}
	root := u.Selectors[0]
	cl.out.BulkString("commands")
	cl.out.BulkString(root.CommandRules())
	cl.out.BulkString("keys")
	cl.out.BulkString(root.Keys())
	cl.out.BulkString("channels")
	cl.out.BulkString(root.Channels())
	cl.out.BulkString("selectors")
	cl.out.Array(len(u.Selectors) - 1)
	for _, sel := range u.Selectors[1:] {
		cl.out.Map(3)
		cl.out.BulkString("commands")
		cl.out.BulkString(sel.CommandRules())
		cl.out.BulkString("keys")
		cl.out.BulkString(sel.Keys())
		cl.out.BulkString("channels")
		cl.out.BulkString(sel.Channels())
	}
}

func aclCat(cl *Client, args [][]byte) {
	switch len(args) {
	case 2:
		cl.out.Array(len(commands.CategoryNames))
		for _, n := range commands.CategoryNames {
			cl.out.BulkString(n)
		}
	case 3:
		cat, ok := commands.CategoryByName(string(args[2]))
		if !ok {
			cl.out.Error("ERR Unknown category '" + string(args[2]) + "'")
			return
		}
		var names []string
		for _, c := range commands.All() {
			if c.Categories()&cat != 0 {
				names = append(names, c.Name)
			}
			for _, sub := range c.Subcommands() {
				if sub.Categories()&cat != 0 {
					names = append(names, sub.Name)
				}
			}
		}
		cl.out.Array(len(names))
		for _, n := range names {
			cl.out.BulkString(n)
		}
	default:
		cl.out.Error("ERR wrong number of arguments for 'acl|cat' command")
	}
}

func aclGenpass(cl *Client, args [][]byte) {
	bits := int64(256)
	if len(args) > 3 {
		cl.out.Error("ERR wrong number of arguments for 'acl|genpass' command")
		return
	}
	if len(args) == 3 {
		n, ok := commands.ParseInt(args[2])
		if !ok || n <= 0 || n > 4096 {
			cl.out.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	cl.out.BulkString(hex.EncodeToString(buf)[:chars])
}

func aclLogCommand(s *Server, cl *Client, args [][]byte) {
	count := int64(10)
	if len(args) > 3 {
		cl.out.Error("ERR wrong number of arguments for 'acl|log' command")
		return
	}
	if len(args) == 3 {
		if commands.EqualFold(args[2], "reset") {
			s.aclLog.mu.Lock()
			s.aclLog.entries = nil
			s.aclLog.mu.Unlock()
			cl.out.OK()
			return
		}
		n, ok := commands.ParseInt(args[2])
		if !ok || n < 0 {
			cl.out.Error("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	s.aclLog.mu.Lock()
	entries := s.aclLog.entries[:min(int(count), len(s.aclLog.entries))]
	now := time.Now()
	cl.out.Array(len(entries))
	for _, e := range entries {
		cl.out.Map(7)
		cl.out.BulkString("count")
		cl.out.Int(e.count)
		cl.out.BulkString("reason")
		cl.out.BulkString(e.reason)
		cl.out.BulkString("context")
		cl.out.BulkString(e.context)
		cl.out.BulkString("object")
		cl.out.BulkString(e.object)
		cl.out.BulkString("username")
		cl.out.BulkString(e.user)
		cl.out.BulkString("age-seconds")
		cl.out.Double(float64(now.Sub(e.created).Milliseconds()) / 1000)
		cl.out.BulkString("client-info")
		cl.out.BulkString(e.clientInfo)
	}
	s.aclLog.mu.Unlock()
}

func aclDryrun(s *Server, cl *Client, args [][]byte) {
	u := s.users().Get(string(args[2]))
	if u == nil {
		cl.out.Error("ERR User '" + string(args[2]) + "' not found")
		return
	}
	cmd := commands.Lookup(args[3])
	if cmd == nil {
		cl.out.Error("ERR Command '" + string(args[3]) + "' not found")
		return
	}
	cargs := args[3:]
	if !cmd.ArityOK(len(cargs)) {
		cl.out.Error("ERR wrong number of arguments for '" + cmd.Name + "' command")
		return
	}
	if d := s.checkACL(u, cmd, cargs); d.Reason != acl.OK {
		cl.out.BulkString(d.DryRun())
		return
	}
	cl.out.OK()
}

var aclHelpLines = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Print this help.",
}

func aclHelp(cl *Client) {
	cl.out.Array(len(aclHelpLines))
	for _, l := range aclHelpLines {
		cl.out.Simple(l)
	}
}
