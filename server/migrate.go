package server

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
// [AUTH password | AUTH2 username password] [KEYS key ...], as Redis 7's
// migrateCommand: the leader serializes the keys (DUMP) and sends them as
// RESTOREs to the target over a connection it keeps per host:port; unless
// COPY, the keys the target acknowledged are then deleted through the log,
// as the DEL Redis propagates for MIGRATE. Redis runs it all atomically;
// here other clients may write a key between its DUMP and that DEL, so the
// DEL is proposed only if every key still holds what was sent (checked at
// the head of the log, where nothing can come in between). If one changed,
// the keys are read and sent again (with REPLACE: the target holds the
// earlier copy), a few times, and then MIGRATE fails without deleting
// anything: a write that came after the DUMP is never lost.

// Redis' migrate socket cache limits (cluster.c).
const (
	migrateSocketTTL   = 10 * time.Second
	migrateSocketItems = 64
)

type migrateSocket struct {
	mu      sync.Mutex // held by the MIGRATE using it
	c       *resp.Client
	lastDB  int64 // the database last selected; -1 forces a SELECT
	lastUse time.Time
	timer   *time.Timer
}

// migrateCache holds the connections MIGRATE made, by "host:port".
type migrateCache struct {
	mu    sync.Mutex
	socks map[string]*migrateSocket
}

// get returns the cached connection to name or dials a new one.
func (m *migrateCache) get(name string, timeout time.Duration) (*migrateSocket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sk := m.socks[name]; sk != nil {
		sk.lastUse = time.Now()
		return sk, nil
	}
	if m.socks == nil {
		m.socks = map[string]*migrateSocket{}
	}
	if len(m.socks) >= migrateSocketItems {
		drop := rand.IntN(len(m.socks))
		for k, sk := range m.socks {
			if drop == 0 {
				m.dropLocked(k, sk)
				break
			}
			drop--
		}
	}
	conn, err := net.DialTimeout("tcp", name, timeout)
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	sk := &migrateSocket{c: resp.NewClient(conn), lastDB: -1, lastUse: time.Now()}
	sk.timer = time.AfterFunc(migrateSocketTTL, func() { m.expire(name, sk) })
	m.socks[name] = sk
	return sk, nil
}

// expire closes a connection idle for migrateSocketTTL, as Redis' cron does.
func (m *migrateCache) expire(name string, sk *migrateSocket) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.socks[name] != sk {
		return
	}
	if idle := time.Since(sk.lastUse); idle < migrateSocketTTL || !sk.mu.TryLock() {
		sk.timer.Reset(max(migrateSocketTTL-idle, time.Second))
		return
	}
	sk.mu.Unlock()
	m.dropLocked(name, sk)
}

// drop closes name's connection if it is still sk, so the next MIGRATE
// connects afresh.
func (m *migrateCache) drop(name string, sk *migrateSocket) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.socks[name] == sk {
		m.dropLocked(name, sk)
	}
}

func (m *migrateCache) dropLocked(name string, sk *migrateSocket) {
	delete(m.socks, name)
	sk.timer.Stop()
	sk.c.Close()
}

func (m *migrateCache) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.socks)
}

func (m *migrateCache) closeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, sk := range m.socks {
		m.dropLocked(k, sk)
	}
}

type migrateArgs struct {
	addr           string
	db             int64
	timeout        time.Duration
	copy, replace  bool
	user, password []byte
	auth           bool
	keys           [][]byte
}

// parseMigrate checks MIGRATE's arguments in Redis' order; it returns the
// error to answer, or "".
func parseMigrate(args [][]byte) (migrateArgs, string) {
	a := migrateArgs{keys: args[3:4]}
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case commands.EqualFold(args[j], "copy"):
			a.copy = true
		case commands.EqualFold(args[j], "replace"):
			a.replace = true
		case commands.EqualFold(args[j], "auth"):
			if more < 1 {
				return a, commands.ErrSyntax
			}
			a.auth, a.user, a.password = true, nil, args[j+1]
			j++
		case commands.EqualFold(args[j], "auth2"):
			if more < 2 {
				return a, commands.ErrSyntax
			}
			a.auth, a.user, a.password = true, args[j+1], args[j+2]
			j += 2
		case commands.EqualFold(args[j], "keys"):
			if len(args[3]) != 0 {
				return a, commands.ErrMigrateKeysEmpty
			}
			a.keys = args[j+1:]
			j = len(args)
		default:
			return a, commands.ErrSyntax
		}
	}
	timeout, ok := commands.ParseInt(args[5])
	if !ok {
		return a, commands.ErrNotInt
	}
	if a.db, ok = commands.ParseInt(args[4]); !ok {
		return a, commands.ErrNotInt
	}
	if timeout <= 0 {
		timeout = 1000
	}
	a.timeout = time.Duration(timeout) * time.Millisecond
	a.addr = net.JoinHostPort(string(args[1]), string(args[2]))
	return a, ""
}

// migrateSecrets are the argument positions MIGRATE's AUTH and AUTH2 hold
// credentials at, which SLOWLOG and MONITOR redact.
func migrateSecrets(args [][]byte) []int {
	var hide []int
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case commands.EqualFold(args[j], "auth") && more >= 1:
			hide = append(hide, j+1)
			j++
		case commands.EqualFold(args[j], "auth2") && more >= 2:
			hide = append(hide, j+1, j+2)
			j += 2
		case commands.EqualFold(args[j], "keys"):
			return hide
		}
	}
	return hide
}

type migrateItem struct {
	key, payload []byte
	ttl          int64 // ms left, 0 for none
	expireAt     int64 // absolute, 0 for none: with payload, what was sent
}

// migrateTries bounds how many times keys that change during a MIGRATE are
// sent again.
const migrateTries = 3

// errMigrateChanged answers a MIGRATE whose keys kept changing while they
// were sent: they are on the target but were not deleted here.
const errMigrateChanged = "ERR MIGRATE: the keys changed while they were sent, so they were copied but not deleted; retry"

func migrateCommand(s *Server, cl *Client, args [][]byte) {
	a, msg := parseMigrate(args)
	if msg != "" {
		cl.out.Error(msg)
		return
	}
	if !s.onLeader(cl, args) {
		return
	}
	items := s.migrateRead(cl, a.keys)
	if len(items) == 0 {
		cl.out.Simple("NOKEY")
		return
	}
	for changes := 0; ; {
		out := s.migrateOnce(cl, a, items, true)
		if out == migrateRetry {
			out = s.migrateOnce(cl, a, items, false)
		}
		if out != migrateChanged {
			return
		}
		if changes++; changes == migrateTries {
			cl.out.Error(errMigrateChanged)
			return
		}
		a.replace = true // the target holds what was sent before
		if items = s.migrateRead(cl, a.keys); len(items) == 0 {
			cl.out.OK() // deleted meanwhile: nothing is left to move
			return
		}
	}
}

// migrateUnchanged reports whether every item's key still holds what was
// sent, TTL included.
func (s *Server) migrateUnchanged(db int, items []migrateItem) bool {
	st := s.fsm.RLock()
	defer s.fsm.RUnlock()
	for _, it := range items {
		v, at, ok := st.DBs[db].Peek(string(it.key))
		if !ok || at != it.expireAt || !bytes.Equal(commands.DumpValue(v), it.payload) {
			return false
		}
	}
	return true
}

// migrateRead serializes the keys that exist, with what is left of their
// TTLs.
func (s *Server) migrateRead(cl *Client, keys [][]byte) []migrateItem {
	var c commands.Ctx
	c.Now = time.Now().UnixMilli()
	c.Store = s.fsm.RLock()
	defer s.fsm.RUnlock()
	c.Begin(c.Store.DBs[cl.db], nil)
	var items []migrateItem
	for _, k := range keys {
		v, ok := c.Lookup(k)
		if !ok {
			continue
		}
		it := migrateItem{key: k, payload: commands.DumpValue(v)}
		if at, ok := c.TTL(k); ok {
			it.ttl = max(at-c.Now, 1)
			it.expireAt = at
		}
		items = append(items, it)
	}
	return items
}

// migrateOutcome is how one attempt ended.
type migrateOutcome int

const (
	migrateAnswered migrateOutcome = iota // the client has its reply
	migrateRetry                          // a fresh connection may succeed where a cached one failed before anything was processed
	migrateChanged                        // sent, but a key changed before its DEL: nothing deleted, no reply yet
)

// migrateOnce runs one attempt; mayRetry allows migrateRetry.
func (s *Server) migrateOnce(cl *Client, a migrateArgs, items []migrateItem, mayRetry bool) migrateOutcome {
	sk, err := s.migrate.get(a.addr, a.timeout)
	if err != nil {
		// Redis' blocking connect only waits for the socket to become
		// writable: a refused connection shows when it writes.
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			cl.out.Error(commands.ErrMigrateConnect)
			return migrateAnswered
		}
		if mayRetry {
			return migrateRetry
		}
		cl.out.Error("IOERR error or timeout writing to target instance")
		return migrateAnswered
	}
	sk.mu.Lock()
	defer sk.mu.Unlock()
	var buf []byte
	if a.auth {
		if a.user != nil {
			buf = resp.AppendCommand(buf, []byte("AUTH"), a.user, a.password)
		} else {
			buf = resp.AppendCommand(buf, []byte("AUTH"), a.password)
		}
	}
	selectDB := sk.lastDB != a.db
	if selectDB {
		buf = resp.AppendCommand(buf, "SELECT", strconv.FormatInt(a.db, 10))
	}
	for _, it := range items {
		cmd := [][]byte{[]byte("RESTORE"), it.key, strconv.AppendInt(nil, it.ttl, 10), it.payload}
		if a.replace {
			cmd = append(cmd, []byte("REPLACE"))
		}
		buf = resp.AppendCommand(buf, cmd...)
	}
	sk.c.Timeout = a.timeout
	ioFail := func(how string, err error) migrateOutcome {
		s.migrate.drop(a.addr, sk)
		if mayRetry && !errors.Is(err, os.ErrDeadlineExceeded) {
			return migrateRetry
		}
		cl.out.Error("IOERR error or timeout " + how + " to target instance")
		return migrateAnswered
	}
	sk.c.Conn.SetWriteDeadline(time.Now().Add(a.timeout))
	if _, err := sk.c.Conn.Write(buf); err != nil {
		return ioFail("writing", err)
	}
	var authReply, selectReply string
	if a.auth {
		if authReply, err = sk.c.Read(); err != nil {
			return ioFail("reading", err)
		}
	}
	if selectDB {
		if selectReply, err = sk.c.Read(); err != nil {
			return ioFail("reading", err)
		}
	}
	var moved []migrateItem
	targetErr := ""
	j := 0
	for ; j < len(items); j++ {
		reply, rerr := sk.c.Read()
		if rerr != nil {
			err = rerr
			break
		}
		switch {
		case strings.HasPrefix(authReply, "-"), strings.HasPrefix(selectReply, "-"), strings.HasPrefix(reply, "-"):
			if targetErr == "" {
				sk.lastDB = -1
				switch {
				case strings.HasPrefix(authReply, "-"):
					targetErr = authReply
				case strings.HasPrefix(selectReply, "-"):
					targetErr = selectReply
				default:
					targetErr = reply
				}
			}
		case !a.copy:
			moved = append(moved, items[j])
		}
	}
	if err != nil && targetErr == "" && j == 0 && mayRetry && !errors.Is(err, os.ErrDeadlineExceeded) {
		return ioFail("reading", err)
	}
	if err != nil {
		s.migrate.drop(a.addr, sk)
	}
	if len(moved) > 0 {
		del := [][]byte{[]byte("DEL")}
		for _, it := range moved {
			del = append(del, it.key)
		}
		msg, ok := s.applyInternalIf(cl, func() bool { return s.migrateUnchanged(cl.db, moved) }, del)
		if !ok {
			return migrateChanged
		}
		if msg != "" {
			cl.out.Error(msg)
			return migrateAnswered
		}
	}
	switch {
	case targetErr != "":
		cl.out.Error(commands.ErrMigrateTarget + strings.TrimRight(targetErr[1:], "\r\n"))
	case err != nil:
		cl.out.Error("IOERR error or timeout reading to target instance")
	default:
		sk.lastDB = a.db
		cl.out.OK()
	}
	return migrateAnswered
}
