package server

import (
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
)

type serverHandler func(s *Server, cl *Client, args [][]byte)

// serverHandlers run the commands declared with the Server flag.
var serverHandlers map[string]serverHandler

func init() {
	serverHandlers = map[string]serverHandler{
		"ping": pingCommand, "echo": echoCommand, "quit": quitCommand, "select": selectCommand,
		"hello": helloCommand, "auth": authCommand, "client": clientCommand, "reset": resetCommand,
		"command": commandCommand, "info": infoCommand, "config": configCommand, "time": timeCommand,
		"save": saveCommand, "bgsave": bgsaveCommand, "bgrewriteaof": bgrewriteaofCommand,
		"lastsave": lastsaveCommand, "wait": waitCommand, "shutdown": shutdownCommand,
		"subscribe": subscribeCommand, "unsubscribe": unsubscribeCommand, "psubscribe": psubscribeCommand,
		"punsubscribe": punsubscribeCommand, "pubsub": pubsubCommand,
		"multi": multiCommand, "exec": execCommand, "discard": discardCommand,
		"watch": watchCommand, "unwatch": unwatchCommand,
		"role": roleCommand, "raft.info": raftInfoCommand, "raft.node": raftNodeCommand,
		"raft.transfer-leader": raftTransferCommand, "raft.snapshot": raftSnapshotCommand,
		"raft.digest": raftDigestCommand, "raft.proxy": raftProxyCommand, "raft.termcheck": raftTermcheckCommand,
		"eval": evalCommand, "evalsha": evalCommand, "eval_ro": evalCommand, "evalsha_ro": evalCommand,
		"script": scriptCommand, "function": functionCommand, "fcall": fcallCommand, "fcall_ro": fcallCommand,
		"slowlog": slowlogCommand, "latency": latencyCommand, "monitor": monitorCommand, "debug": debugCommand,
		"ssubscribe": ssubscribeCommand, "sunsubscribe": sunsubscribeCommand,
		"acl": aclCommand, "raft.auth": raftAuthCommand, "raft.as": raftAsCommand,
		"raft.origin": raftOriginCommand, "raft.applied": raftAppliedCommand,
	}
	maps.Copy(serverHandlers, compatHandlers)
	for _, c := range commands.All() {
		if c.Is(commands.Server) && serverHandlers[c.Name] == nil {
			panic("server command without handler: " + c.Name)
		}
	}
}

func (s *Server) serverCommand(cl *Client, cmd *commands.Command, args [][]byte) {
	serverHandlers[cmd.Name](s, cl, args)
}

func pingCommand(s *Server, cl *Client, args [][]byte) {
	if cl.proto == 2 && cl.subscribed() && len(args) <= 2 {
		cl.out.Array(2) // RESP2 subscribed mode: ["pong", message]
		cl.out.BulkString("pong")
		if len(args) == 2 {
			cl.out.Bulk(args[1])
		} else {
			cl.out.BulkString("")
		}
		return
	}
	switch len(args) {
	case 1:
		cl.out.Simple("PONG")
	case 2:
		cl.out.Bulk(args[1])
	default:
		cl.out.Error(commands.ArityErr("ping"))
	}
}

func echoCommand(s *Server, cl *Client, args [][]byte) { cl.out.Bulk(args[1]) }

func quitCommand(s *Server, cl *Client, args [][]byte) {
	cl.out.OK()
	cl.closing = true
}

func selectCommand(s *Server, cl *Client, args [][]byte) {
	n, ok := commands.ParseInt(args[1])
	if !ok {
		cl.out.Error(commands.ErrNotInt)
		return
	}
	if n < 0 || n >= commands.NumDBs {
		cl.out.Error(commands.ErrDBIndex)
		return
	}
	cl.setDB(int(n))
	cl.out.OK()
}

func authCommand(s *Server, cl *Client, args [][]byte) {
	user, pass := []byte("default"), args[len(args)-1]
	switch {
	case len(args) > 3:
		cl.out.Error(commands.ErrSyntax)
		return
	case len(args) == 3:
		user = args[1]
	default:
		if d := s.users().Get("default"); d != nil && d.NoPass {
			cl.out.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	}
	if !s.authenticate(cl, user, pass) {
		cl.out.Error(errWrongPass)
		return
	}
	cl.out.OK()
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func helloCommand(s *Server, cl *Client, args [][]byte) {
	proto := cl.proto
	i := 1
	if len(args) > 1 {
		v, ok := commands.ParseInt(args[1])
		if !ok {
			cl.out.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			cl.out.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	var name *string
	var user, pass []byte
	for ; i < len(args); i++ {
		switch {
		case commands.EqualFold(args[i], "auth") && i+2 < len(args):
			user, pass = args[i+1], args[i+2]
			i += 2
		case commands.EqualFold(args[i], "setname") && i+1 < len(args):
			n := string(args[i+1])
			name = &n
			i++
		default:
			cl.out.Error("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if user != nil && !s.authenticateHello(cl, user, pass) {
		cl.out.Error(errWrongPass)
		return
	}
	if _, open := s.clientUser(cl); !cl.authed && !open && !cl.internal {
		cl.out.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil && !validClientName(*name) {
		cl.out.Error("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	if name != nil {
		cl.mu.Lock()
		cl.name = *name
		cl.mu.Unlock()
	}
	cl.setProto(proto)
	role := "master"
	if s.opened.Load() && !s.node.IsLeader() {
		role = "replica"
	}
	cl.out.Map(7)
	cl.out.BulkString("server")
	cl.out.BulkString("redis")
	cl.out.BulkString("version")
	cl.out.BulkString(RedisVersion)
	cl.out.BulkString("proto")
	cl.out.Int(int64(proto))
	cl.out.BulkString("id")
	cl.out.Int(cl.ID)
	cl.out.BulkString("mode")
	cl.out.BulkString("standalone")
	cl.out.BulkString("role")
	cl.out.BulkString(role)
	cl.out.BulkString("modules")
	cl.out.Array(0)
}

func validClientName(n string) bool {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return false
		}
	}
	return true
}

func resetCommand(s *Server, cl *Client, args [][]byte) {
	s.stopMonitor(cl)
	s.stopTracking(cl)
	cl.replyOff, cl.replySkip, cl.replySkipNext = false, false, false
	s.unsubscribeAll(cl)
	s.resetTx(cl)
	cl.setDB(0)
	cl.setProto(2)
	s.setDefaultAuth(cl)
	cl.mu.Lock()
	cl.name = ""
	cl.mu.Unlock()
	cl.out.Simple("RESET")
}

func timeCommand(s *Server, cl *Client, args [][]byte) {
	now := time.Now()
	cl.out.Array(2)
	cl.out.BulkString(strconv.FormatInt(now.Unix(), 10))
	cl.out.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// waitCommand: every acknowledged write is already on a Raft majority, so
// there is nothing more to wait for; report the other voters as replicas.
func waitCommand(s *Server, cl *Client, args [][]byte) {
	if _, ok := commands.ParseInt(args[1]); !ok {
		cl.out.Error(commands.ErrNotInt)
		return
	}
	t, ok := commands.ParseInt(args[2])
	if !ok {
		cl.out.Error("ERR timeout is not an integer or out of range")
		return
	}
	if t < 0 {
		cl.out.Error("ERR timeout is negative")
		return
	}
	// Every acknowledged write is already on a majority of voters: the
	// other members of that majority are the replicas WAIT asks about.
	voters := 0
	for _, p := range s.node.Peers() {
		if p.Voter {
			voters++
		}
	}
	cl.out.Int(int64(voters / 2))
}

func saveCommand(s *Server, cl *Client, args [][]byte) {
	if err := s.node.Snapshot(); err != nil {
		cl.out.Error("ERR " + err.Error())
		return
	}
	cl.out.OK()
}

func bgsaveCommand(s *Server, cl *Client, args [][]byte) {
	if len(args) > 2 || len(args) == 2 && !commands.EqualFold(args[1], "schedule") {
		cl.out.Error(commands.ErrSyntax)
		return
	}
	s.backgroundSnapshot()
	cl.out.Simple("Background saving started")
}

func bgrewriteaofCommand(s *Server, cl *Client, args [][]byte) {
	s.backgroundSnapshot()
	cl.out.Simple("Background append only file rewriting started")
}

func (s *Server) backgroundSnapshot() {
	if s.closed.Load() {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.node.Snapshot(); err != nil {
			s.log.Warn("background snapshot failed; check free space and permissions in the data dir, then run BGREWRITEAOF again", "err", err)
		}
	}()
}

func lastsaveCommand(s *Server, cl *Client, args [][]byte) {
	cl.out.Int(s.fsm.Stats().LastRewrite)
}

func shutdownCommand(s *Server, cl *Client, args [][]byte) {
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave", "save", "now", "force":
		case "abort":
			cl.out.Error("ERR No shutdown in progress.")
			return
		default:
			cl.out.Error(commands.ErrSyntax)
			return
		}
	}
	if s.cfg.Shutdown == nil {
		cl.out.Error("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	s.log.Info("SHUTDOWN requested by client", "client", cl.ID, "addr", cl.Addr)
	cl.closing = true
	go s.cfg.Shutdown()
}
