package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

func clientCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	arity := func(ok bool) bool {
		if !ok {
			cl.out.Error("ERR wrong number of arguments for 'client|" + sub + "' command")
		}
		return ok
	}
	switch sub {
	case "id":
		if arity(len(args) == 2) {
			cl.out.Int(cl.ID)
		}
	case "getname":
		if arity(len(args) == 2) {
			if cl.name == "" {
				cl.out.Null()
			} else {
				cl.out.BulkString(cl.name)
			}
		}
	case "setname":
		if !arity(len(args) == 3) {
			return
		}
		n := string(args[2])
		if !validClientName(n) {
			cl.out.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		cl.mu.Lock()
		cl.name = n
		cl.mu.Unlock()
		cl.out.OK()
	case "setinfo":
		if !arity(len(args) == 4) {
			return
		}
		v := string(args[3])
		if !validClientName(v) && v != "" {
			cl.out.Error("ERR " + strings.ToUpper(string(args[2])) + " cannot contain spaces, newlines or special characters.")
			return
		}
		cl.mu.Lock()
		defer cl.mu.Unlock()
		switch strings.ToLower(string(args[2])) {
		case "lib-name":
			cl.libName = v
		case "lib-ver":
			cl.libVer = v
		default:
			cl.out.Error("ERR Unrecognized option '" + string(args[2]) + "'")
			return
		}
		cl.out.OK()
	case "info":
		if arity(len(args) == 2) {
			cl.out.Verbatim(cl.info(args) + "\n")
		}
	case "list":
		clientList(s, cl, args)
	case "kill":
		clientKill(s, cl, args)
	case "no-evict", "no-touch":
		if !arity(len(args) == 3) {
			return
		}
		if !commands.EqualFold(args[2], "on") && !commands.EqualFold(args[2], "off") {
			cl.out.Error(commands.ErrSyntax)
			return
		}
		cl.out.OK()
	case "reply":
		if !arity(len(args) == 3) {
			return
		}
		switch strings.ToLower(string(args[2])) {
		case "on":
			cl.replyOff, cl.replySkip, cl.replySkipNext = false, false, false
			cl.out.OK()
		case "off":
			cl.replyOff = true
		case "skip":
			if !cl.replyOff {
				cl.replySkipNext = true
			}
		default:
			cl.out.Error(commands.ErrSyntax)
		}
	case "pause":
		if arity(len(args) == 3 || len(args) == 4) {
			clientPause(s, cl, args)
		}
	case "unpause":
		if arity(len(args) == 2) {
			clientUnpause(s, cl)
		}
	case "tracking":
		if arity(len(args) >= 3) {
			clientTracking(s, cl, args)
		}
	case "caching":
		if arity(len(args) == 3) {
			clientCaching(s, cl, args)
		}
	case "trackinginfo":
		if arity(len(args) == 2) {
			clientTrackingInfo(s, cl)
		}
	case "unblock":
		if arity(len(args) == 3 || len(args) == 4) {
			clientUnblock(s, cl, args)
		}
	case "getredir":
		if arity(len(args) == 2) {
			cl.out.Int(getRedir(cl))
		}
	case "help":
		lines := []string{
			"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"GETNAME", "    Return the name of the current connection.",
			"ID", "    Return the ID of the current connection.",
			"INFO", "    Return information about the current client connection.",
			"KILL <ip:port> | ID <client-id> | ADDR <ip:port>", "    Kill connections.",
			"LIST [TYPE normal] [ID <id> ...]", "    Return information about client connections.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
			"SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
			"HELP", "    Print this help.",
		}
		cl.out.Array(len(lines))
		for _, l := range lines {
			cl.out.Simple(l)
		}
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try CLIENT HELP.")
	}
}

// clientList is CLIENT LIST [TYPE type | ID id ...], parsed as Redis 7.0
// does: with IDs, the clients in the order asked.
func clientList(s *Server, cl *Client, args [][]byte) {
	line := func(b *strings.Builder, c *Client) {
		if c == cl {
			b.WriteString(c.info(args))
		} else {
			b.WriteString(c.info(nil))
		}
		b.WriteByte('\n')
	}
	var b strings.Builder
	switch {
	case len(args) == 4 && commands.EqualFold(args[2], "type"):
		typ := clientTypeByName(string(args[3]))
		if typ < 0 {
			cl.out.Error("ERR Unknown client type '" + string(args[3]) + "'")
			return
		}
		for _, c := range s.clientsSnapshot() {
			if clientType(c) == typ {
				line(&b, c)
			}
		}
	case len(args) > 3 && commands.EqualFold(args[2], "id"):
		for _, a := range args[3:] {
			id, ok := commands.ParseInt(a)
			if !ok {
				cl.out.Error("ERR Invalid client ID")
				return
			}
			s.mu.Lock()
			c := s.clients[id]
			s.mu.Unlock()
			if c != nil {
				line(&b, c)
			}
		}
	case len(args) != 2:
		cl.out.Error(commands.ErrSyntax)
		return
	default:
		for _, c := range s.clientsSnapshot() {
			line(&b, c)
		}
	}
	cl.out.Verbatim(b.String())
}

// clientKill is CLIENT KILL addr (old form: OK or "No such client") or
// CLIENT KILL filter value ... (new form: how many were killed), with
// Redis 7's filters and errors. Other members' links are not clients of
// the keyspace (like Redis' cluster bus) and are never killed.
func clientKill(s *Server, cl *Client, args [][]byte) {
	var (
		addr, laddr, user string
		byUser            bool
		typ               = -1
		id                int64
		skipme            = true
	)
	if len(args) == 3 {
		addr, skipme = string(args[2]), false
	} else {
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				cl.out.Error(commands.ErrSyntax)
				return
			}
			v := args[i+1]
			switch strings.ToLower(string(args[i])) {
			case "id":
				n, ok := commands.ParseInt(v)
				if !ok || n < 1 {
					cl.out.Error("ERR client-id should be greater than 0")
					return
				}
				id = n
			case "type":
				if typ = clientTypeByName(string(v)); typ < 0 {
					cl.out.Error("ERR Unknown client type '" + string(v) + "'")
					return
				}
			case "addr":
				addr = string(v)
			case "laddr":
				laddr = string(v)
			case "user":
				if s.users().Get(string(v)) == nil {
					cl.out.Error("ERR No such user '" + string(v) + "'")
					return
				}
				user, byUser = string(v), true
			case "skipme":
				switch {
				case commands.EqualFold(v, "yes"):
					skipme = true
				case commands.EqualFold(v, "no"):
					skipme = false
				default:
					cl.out.Error(commands.ErrSyntax)
					return
				}
			default:
				cl.out.Error(commands.ErrSyntax)
				return
			}
		}
	}
	var victims []*Client
	for _, c := range s.clientsSnapshot() {
		switch {
		case c.member.Load() || c.peerLink.Load():
		case addr != "" && c.Addr != addr, laddr != "" && c.LAddr != laddr:
		case typ >= 0 && clientType(c) != typ, id != 0 && c.ID != id:
		case byUser && c.userName() != user, c == cl && skipme:
		default:
			victims = append(victims, c)
		}
	}
	s.kill(cl, victims)
	if len(args) == 3 {
		if len(victims) == 0 {
			cl.out.Error("ERR No such client")
		} else {
			cl.out.OK()
		}
		return
	}
	cl.out.Int(int64(len(victims)))
}

// Client types as CLIENT KILL TYPE and CLIENT LIST TYPE name them.
const (
	clientNormal = iota
	clientReplica
	clientPubSub
	clientMaster
)

func clientTypeByName(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return clientNormal
	case "slave", "replica":
		return clientReplica
	case "pubsub":
		return clientPubSub
	case "master":
		return clientMaster
	}
	return -1
}

// clientType is a connection's type: Geomys has no replicas or masters
// among its clients, so a client is a subscriber or a normal one.
func clientType(c *Client) int {
	if c.sub.nChannels.Load()+c.sub.nPatterns.Load()+c.sub.nShards.Load() > 0 {
		return clientPubSub
	}
	return clientNormal
}

// kill closes the victims' sockets; their own goroutines then clean up.
func (s *Server) kill(self *Client, victims []*Client) {
	for _, c := range victims {
		if c == self {
			self.closing = true
			continue
		}
		c.killed.Store(true)
		c.conn.NetConn().Close()
	}
}

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client parked by a
// blocking command answers as if it had timed out, or the UNBLOCKED error.
func clientUnblock(s *Server, cl *Client, args [][]byte) {
	asError := false
	if len(args) == 4 {
		switch {
		case commands.EqualFold(args[3], "timeout"):
		case commands.EqualFold(args[3], "error"):
			asError = true
		default:
			cl.out.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := commands.ParseInt(args[2])
	if !ok {
		cl.out.Error(commands.ErrNotInt)
		return
	}
	s.mu.Lock()
	target := s.clients[id]
	s.mu.Unlock()
	if target == nil {
		cl.out.Int(0)
		return
	}
	if ch := target.unblock.Load(); ch != nil {
		select {
		case *ch <- asError:
			cl.out.Int(1)
			return
		default: // already being unblocked
		}
	}
	if target.relayParked.Load() != nil {
		cl.out.Int(s.unblockRelayed(cl, target, args[3:]))
		return
	}
	cl.out.Int(0)
}

// unblockRelayed is CLIENT UNBLOCK of a client whose blocking command the
// leader holds: it unblocks it there, on the link it is parked on, so the
// leader answers it through that link as Redis would, and never after an
// element was taken for it. The command may not have reached the leader
// yet (the client shows as blocked here as soon as it is relayed): it tries
// again for a moment while the client still waits.
func (s *Server) unblockRelayed(cl *Client, target *Client, mode [][]byte) int64 {
	deadline := time.Now().Add(200 * time.Millisecond)
	for {
		parked := target.relayParked.Load()
		if parked == nil || parked.RemoteID() == 0 {
			return 0
		}
		u, ok := s.leaderConn(cl)
		if !ok {
			return 0
		}
		unblock := append([][]byte{[]byte("CLIENT"), []byte("UNBLOCK"), []byte(strconv.FormatInt(parked.RemoteID(), 10))}, mode...)
		var n int64
		_, _, err := u.Relay([][][]byte{unblock}, time.Now().Add(s.cfg.RequestTimeout), nil, func(_ int, reply []byte) {
			n, _ = resp.Integer(reply)
		})
		if err != nil {
			u.Close()
			return 0
		}
		s.upstreams.Put(u)
		if n == 1 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}
