package fsm

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/commands"
)

// ACLCommand is the internal command that changes the ACL users, which are
// replicated data (a user created on one node authenticates on every node,
// after failovers and restarts): [".acl", "setuser", name, rule...],
// [".acl", "deluser", name...] or [".acl", "set", acl-file-text] (ACL
// LOAD). The server turns ">password" rules into "#sha256" before
// proposing, so no clear-text password reaches the log or the AOF.
const ACLCommand = ".acl"

// aclPrefix starts the AOF annotation that carries the whole ACL (base64
// of the ACL file form) after each change; redis-server skips it.
const aclPrefix = "geomys:acl "

func (f *FSM) applyACL(c *commands.Ctx, args [][]byte) {
	cur := f.users.Load()
	var next *acl.Users
	switch {
	case len(args) >= 3 && string(args[1]) == "setuser":
		rules := make([]string, len(args)-3)
		for i, a := range args[3:] {
			rules[i] = string(a)
		}
		var err error
		if next, err = cur.SetUser(string(args[2]), rules); err != nil {
			c.R.Error(err.Error())
			return
		}
	case len(args) >= 3 && string(args[1]) == "deluser":
		names := make([]string, len(args)-2)
		for i, a := range args[2:] {
			names[i] = string(a)
		}
		var n int
		next, n = cur.Without(names...)
		f.publishACL(next)
		if f.opts.OnDropUsers != nil && n > 0 {
			f.opts.OnDropUsers(func(u string) bool { return next.Get(u) == nil && cur.Get(u) != nil })
		}
		c.R.Int(int64(n))
		return
	case len(args) == 3 && string(args[1]) == "set":
		var err error
		if next, err = acl.Parse(string(args[2]), "acl"); err != nil {
			c.R.Error("ERR " + err.Error())
			return
		}
		if f.opts.OnDropUsers != nil {
			defer f.opts.OnDropUsers(func(u string) bool { return u != "default" })
		}
	default:
		c.R.Error("ERR malformed acl entry")
		return
	}
	f.publishACL(next)
	c.R.OK()
}

func (f *FSM) publishACL(us *acl.Users) {
	f.users.Store(us)
	f.aclChanged = true
	f.dirty.Add(1)
	f.prop.Annotate(aclAnnotation(us))
}

func aclAnnotation(us *acl.Users) string {
	return aclPrefix + base64.StdEncoding.EncodeToString([]byte(us.Text()))
}

// loadACLNote replays an ACL annotation found in the AOF.
func (f *FSM) loadACLNote(note string) bool {
	rest, ok := strings.CutPrefix(note, aclPrefix)
	if !ok {
		return false
	}
	text, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		f.log.Warn("AOF has an unreadable ACL annotation; keeping the ACL it had", "err", err)
		return true
	}
	us, err := acl.Parse(string(text), "AOF")
	if err != nil {
		f.log.Warn("AOF has an invalid ACL annotation; keeping the ACL it had", "err", err)
		return true
	}
	f.users.Store(us)
	f.aclChanged = true
	return true
}

// initialACL is the ACL before the log changes it: the one main built from
// --requirepass / --aclfile, or a fresh server's.
func (f *FSM) initialACL() *acl.Users {
	if f.opts.ACL != nil {
		return f.opts.ACL
	}
	return acl.NewUsers()
}

// Users is the current ACL. It never changes once returned (changes
// publish a new one), so callers read it without locks.
func (f *FSM) Users() *acl.Users { return f.users.Load() }

// digestACL mixes the users into the digest once the log changed them, so
// nodes that disagree on the users disagree on RAFT.DIGEST.
func (f *FSM) digestACL(d *[20]byte) {
	if !f.aclChanged {
		return
	}
	sum := sha1.Sum([]byte("acl\x00" + f.users.Load().Text()))
	for i := range d {
		d[i] ^= sum[i]
	}
}
