package server

import (
	"crypto/subtle"

	"github.com/geomys/geomys/acl"
	"github.com/geomys/geomys/commands"
)

// Authentication and ACL checks for every command, as Redis 7's
// processCommand: unknown command and arity first, then NOAUTH, then the
// user's permissions. A connection authenticated with the cluster secret
// (RAFT.AUTH) is the cluster's internal identity: another member relaying
// for a client whose permissions it checked against the same replicated
// ACL, so it is not checked again.

const errNoAuth = "NOAUTH Authentication required."

// users is the ACL in force: the replicated one once the dataset is open,
// the start-up one (flags) while it loads.
func (s *Server) users() *acl.Users {
	if s.opened.Load() {
		if us := s.fsm.Users(); us != nil {
			return us
		}
	}
	return s.startACL
}

// clientUser resolves the connection's user in the current ACL; nil means
// the user was deleted, and the connection is closed as Redis does.
func (s *Server) clientUser(cl *Client) (*acl.User, bool) {
	us := s.users()
	if cl.aclUsers != us {
		cl.aclUsers, cl.aclUser, cl.aclOpen = us, us.Get(cl.user), us.DefaultOpen()
	}
	return cl.aclUser, cl.aclOpen
}

// refuseByACL answers NOAUTH or NOPERM when the connection may not run the
// command, logging denials in ACL LOG; true means it was refused.
func (s *Server) refuseByACL(cl *Client, cmd *commands.Command, args [][]byte) bool {
	if cl.internal {
		return false
	}
	u, open := s.clientUser(cl)
	if !cl.authed && !open && !cmd.Is(commands.NoAuth) {
		s.flushWrites(cl)
		cl.txQueueError()
		cl.out.Error(errNoAuth)
		return true
	}
	if u == nil {
		s.flushWrites(cl)
		cl.out.Error("ERR the user of this connection was deleted")
		cl.closing = true
		return true
	}
	if u.Unrestricted() || cmd.Is(commands.NoAuth) {
		return false
	}
	d := s.checkACL(u, cmd, args)
	if d.Reason == acl.OK {
		return false
	}
	s.flushWrites(cl)
	cl.txQueueError()
	ctx := "toplevel"
	if cl.tx.active {
		ctx = "multi"
	}
	s.aclLog.add(d.Context(), ctx, d.Object, cl.user, cl.info(nil))
	cl.out.Error(d.Error())
	return true
}

// checkACL is the permission check itself (also ACL DRYRUN's).
func (s *Server) checkACL(u *acl.User, cmd *commands.Command, args [][]byte) acl.Denial {
	var channels [][]byte
	patterns := false
	switch cmd.Name {
	case "publish", "spublish":
		channels = args[1:2]
	case "subscribe", "ssubscribe":
		channels = args[1:]
	case "psubscribe":
		channels, patterns = args[1:], true
	}
	return u.Check(cmd, args, aclKeys(cmd, args), channels, patterns)
}

// aclKeys are the keys a command touches with their flags, from the key
// specs of the command or of its subcommand (OBJECT ENCODING key ...).
func aclKeys(cmd *commands.Command, args [][]byte) []commands.KeyRef {
	if len(args) > 1 {
		if sub := cmd.Subcommand(args[1]); sub != nil {
			cmd = sub
		}
	}
	keys, ok := cmd.KeysWithFlags(args)
	if !ok {
		return nil
	}
	return keys
}

// authenticate checks a user name and password (AUTH, HELLO AUTH) and
// makes the connection that user; failures are logged in ACL LOG.
func (s *Server) authenticate(cl *Client, user, pass []byte) bool {
	return s.authenticateAs(cl, user, pass, "AUTH")
}

func (s *Server) authenticateHello(cl *Client, user, pass []byte) bool {
	return s.authenticateAs(cl, user, pass, "HELLO")
}

func (s *Server) authenticateAs(cl *Client, user, pass []byte, object string) bool {
	u := s.users().Get(string(user))
	if u == nil || !u.CheckPassword(string(pass)) {
		ctx := "toplevel"
		if cl.tx.active {
			ctx = "multi"
		}
		s.aclLog.add("auth", ctx, object, string(user), cl.info(nil))
		return false
	}
	cl.mu.Lock()
	cl.user = u.Name
	cl.mu.Unlock()
	cl.authed, cl.explicitAuth, cl.aclUsers = true, true, nil
	return true
}

// setDefaultAuth is a fresh connection's identity: the default user,
// authenticated when it needs no password (Redis' clientSetDefaultAuth).
func (s *Server) setDefaultAuth(cl *Client) {
	cl.mu.Lock()
	cl.user = "default"
	cl.mu.Unlock()
	cl.authed, cl.aclUsers, cl.internal, cl.explicitAuth = s.users().DefaultOpen(), nil, false, false
	cl.member.Store(false)
}

func raftAuthCommand(s *Server, cl *Client, args [][]byte) {
	secret := s.cfg.ClusterSecret
	if secret == "" || subtle.ConstantTimeCompare([]byte(secret), args[1]) != 1 {
		s.aclLog.add("auth", "toplevel", "RAFT.AUTH", "(cluster)", cl.info(nil))
		cl.out.Error("WRONGPASS invalid cluster secret")
		return
	}
	cl.internal = true
	cl.member.Store(true)
	cl.mu.Lock()
	cl.user = "(cluster)"
	cl.mu.Unlock()
	cl.out.OK()
}

// refuseClusterOnly keeps the node-to-node commands (RAFT.PROXY,
// RAFT.TERMCHECK) for members once a cluster secret is set; without one
// they stay open as before (loopback laptop mode).
func (s *Server) refuseClusterOnly(cl *Client, cmd *commands.Command) bool {
	if s.cfg.ClusterSecret == "" || cl.internal || (cmd.Name != "raft.proxy" && cmd.Name != "raft.termcheck") {
		return false
	}
	cl.out.Error("NOPERM this connection is not authenticated as a cluster member (RAFT.AUTH)")
	return true
}

// refuseMembership: with a cluster secret, membership changes need a
// member (RAFT.AUTH) or a client that authenticated explicitly with AUTH as
// a user allowed to run them, never the password-less default user.
func (s *Server) refuseMembership(cl *Client, cmd *commands.Command) bool {
	if s.cfg.ClusterSecret == "" || cl.internal || cl.explicitAuth || (cmd.Name != "raft.node" && cmd.Name != "raft.transfer-leader") {
		return false
	}
	cl.out.Error("NOPERM membership changes need the cluster secret or an authenticated admin user")
	return true
}

// dropUserClients disconnects the clients whose user the ACL no longer has
// (ACL DELUSER) or replaced (ACL LOAD replaces every user but default), as
// Redis 7.0 does, on every node: the FSM calls it when it applies the
// change. A client in the middle of a pipeline (the one that ran ACL
// DELUSER, say) gets its replies first.
func (s *Server) dropUserClients(dropped func(user string) bool) {
	for _, c := range s.clientsSnapshot() {
		c.mu.Lock()
		user := c.user
		c.mu.Unlock()
		if c.member.Load() || !dropped(user) {
			continue
		}
		c.userGone.Store(true)
		if !c.serving.Load() {
			c.killed.Store(true)
			c.conn.NetConn().Close()
		}
	}
}

// scriptACL checks the commands a script calls as the calling user, with
// Redis 7.0's in-script texts and ACL LOG context "lua"; nil when the user
// may run everything. It is resolved when the call is parsed, on the
// connection's goroutine: the script itself may run on another.
func (s *Server) scriptACL(cl *Client) func(*commands.Command, [][]byte) string {
	name := cl.user
	if cl.internal {
		if cl.actAs == "" {
			return nil
		}
		name = cl.actAs // a member relaying for a restricted user (RAFT.AS)
	}
	u := s.users().Get(name)
	if u == nil || u.Unrestricted() {
		return nil
	}
	info := cl.info(nil)
	return func(cmd *commands.Command, args [][]byte) string {
		d := s.checkACL(u, cmd, args)
		if d.Reason == acl.OK {
			return ""
		}
		s.aclLog.add(d.Context(), "lua", d.Object, name, info)
		switch d.Reason {
		case acl.DeniedKey:
			return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
		case acl.DeniedChannel:
			return "ERR The user executing the script can't publish to the channel mentioned in the command"
		}
		return "ERR The user executing the script can't run this command or subcommand"
	}
}

// raftAsCommand runs a relayed script call as the user a follower received
// it from: the follower checked the call itself, but only the leader, where
// scripts run, can check the commands the script calls.
func raftAsCommand(s *Server, cl *Client, args [][]byte) {
	if !cl.internal {
		cl.out.Error("NOPERM this connection is not authenticated as a cluster member (RAFT.AUTH)")
		return
	}
	cl.actAs = string(args[1])
	defer func() { cl.actAs = "" }()
	s.dispatch(cl, args[2:])
}

// relayAs wraps a script call a follower relays for a restricted user in
// RAFT.AS, so the leader checks the script's commands as that user.
func (s *Server) relayAs(cl *Client, cmd *commands.Command, args [][]byte) [][]byte {
	if cl.internal || !isScriptCall(cmd.Name) {
		return args
	}
	u, _ := s.clientUser(cl)
	if u == nil || u.Unrestricted() {
		return args
	}
	return append([][]byte{[]byte("RAFT.AS"), []byte(cl.user)}, args...)
}
