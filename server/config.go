package server

import (
	"errors"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/geomys/geomys/commands"
)

// params backs CONFIG GET/SET (the table is in config_params.go). Values are
// this node's own: CONFIG SET does not go through the log (see
// commands/notify.go and commands/limits.go for why that is safe).
type params struct {
	mu     sync.Mutex
	byName map[string]*paramDef // every name and alias, lower case
	names  []string             // every name and alias, for CONFIG GET patterns
	values map[*paramDef]string
	defs   []*paramDef // in table order, for CONFIG REWRITE
	// flagDefaults are the flags' defaults: CONFIG REWRITE leaves out a
	// value that is its flag's default, not the table's.
	flagDefaults   map[string]string
	flagConfigured map[string]string
}

func newParams(cfg *Config) *params {
	p := &params{byName: map[string]*paramDef{}, values: map[*paramDef]string{}}
	for _, d := range paramTable(cfg) {
		for _, n := range d.names {
			p.byName[n] = d
			p.names = append(p.names, n)
		}
		p.values[d] = d.def
		p.defs = append(p.defs, d)
	}
	sort.Strings(p.names)
	return p
}

// set stores a validated value without applying it (start-up flags).
func (p *params) set(name, v string) {
	p.mu.Lock()
	p.values[p.byName[name]] = v
	p.mu.Unlock()
}

// get is name's current value.
func (p *params) get(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.values[p.byName[name]]
}

// isCurrent reports whether v is d's current value, once normalized.
func (p *params) isCurrent(d *paramDef, v string) bool {
	nv, msg := d.normalize(v)
	p.mu.Lock()
	defer p.mu.Unlock()
	return msg == "" && nv == p.values[d]
}

// fixedRefusal is why CONFIG SET refuses to change a parameter Geomys fixes
// at start. A value Redis would reject says so as Redis does, and so does a
// port something else listens on: Redis fails to listen there, and a
// client checking for that (as Redis's own tests do) reads the same text.
func (s *Server) fixedRefusal(d *paramDef, v string) string {
	nv, msg := d.normalize(v)
	if msg != "" {
		return msg
	}
	if d.names[0] == "port" && nv != "0" {
		ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Bind, nv))
		if err != nil {
			return "Unable to listen on this port. Check server logs."
		}
		ln.Close()
	}
	return "can't set this parameter at runtime in Geomys"
}

func configSetErr(arg []byte, msg string) string {
	return "ERR CONFIG SET failed (possibly related to argument '" + string(arg) + "') - " + msg
}

func configCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	switch sub {
	case "get":
		if len(args) < 3 {
			cl.out.Error("ERR wrong number of arguments for 'config|get' command")
			return
		}
		configGet(s, cl, args[2:])
	case "set":
		if len(args) < 4 || len(args)%2 != 0 {
			cl.out.Error("ERR wrong number of arguments for 'config|set' command")
			return
		}
		configSet(s, cl, args[2:])
	case "resetstat":
		s.countErrorsSoFar(cl) // errors replied before the reset are not counted after it
		s.stats.commands.Store(0)
		s.stats.connections.Store(0)
		s.stats.rejected.Store(0)
		s.resetMetricStats()
		s.resetLazyfreed()
		cl.out.OK()
	case "rewrite":
		if s.cfg.ConfigFile == "" {
			cl.out.Error("ERR The server is running without a config file")
			return
		}
		if err := s.rewriteConfig(); err != nil {
			s.log.Warn("CONFIG REWRITE failed; check that the config file's directory is writable by Geomys",
				"file", s.cfg.ConfigFile, "err", err)
			cl.out.Error("ERR Rewriting config file: " + errText(err))
			return
		}
		s.log.Info("CONFIG REWRITE executed with success.")
		cl.out.OK()
	case "help":
		cl.out.Array(1)
		cl.out.Simple("CONFIG GET <pattern> | SET <param> <value> | RESETSTAT | REWRITE")
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try CONFIG HELP.")
	}
}

// configGet is Redis 7's: several patterns at once, each a name (replied
// as written) or a case-insensitive glob; every parameter once.
func configGet(s *Server, cl *Client, pats [][]byte) {
	type kv struct{ k, v string }
	var found []kv
	seen := map[string]bool{}
	s.params.mu.Lock()
	for _, pat := range pats {
		if !strings.ContainsAny(string(pat), "[*?") {
			name := strings.ToLower(string(pat))
			if d := s.params.byName[name]; d != nil && !seen[name] {
				seen[name] = true
				found = append(found, kv{string(pat), s.params.values[d]})
			}
			continue
		}
		for _, name := range s.params.names {
			if !seen[name] && !s.params.byName[name].hidden && commands.GlobMatch(pat, []byte(name), true) {
				seen[name] = true
				found = append(found, kv{name, s.params.values[s.params.byName[name]]})
			}
		}
	}
	s.params.mu.Unlock()
	cl.out.Map(len(found))
	for _, e := range found {
		cl.out.BulkString(e.k)
		cl.out.BulkString(e.v)
	}
}

// configSet checks every name, then every value, and only then changes
// anything: like Redis, a CONFIG SET applies whole or not at all.
func configSet(s *Server, cl *Client, args [][]byte) {
	if len(args) == 2 && commands.EqualFold(args[0], "requirepass") {
		// The default user's password is replicated ACL data.
		if s.setRequirePass(cl, args[1]) {
			s.params.set("requirepass", string(args[1]))
			cl.out.OK()
		}
		return
	}
	defs := make([]*paramDef, 0, len(args)/2)
	names := make([]string, 0, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		d := s.params.byName[strings.ToLower(string(args[i]))]
		switch {
		case d == nil:
			cl.out.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
			return
		case d.immutable:
			cl.out.Error(configSetErr(args[i], "can't set immutable config"))
			return
		case d.fixed && !s.params.isCurrent(d, string(args[i+1])):
			// Setting it to what it is changes nothing, so that is allowed.
			cl.out.Error(configSetErr(args[i], s.fixedRefusal(d, string(args[i+1]))))
			return
		}
		name := strings.ToLower(string(args[i]))
		if slices.Contains(names, name) { // an alias is another parameter, as in Redis
			cl.out.Error(configSetErr(args[i], "duplicate parameter"))
			return
		}
		names = append(names, name)
		defs = append(defs, d)
	}
	vals := make([]string, len(defs))
	for i, d := range defs {
		v, msg := d.normalize(string(args[2*i+1]))
		if msg != "" {
			cl.out.Error(configSetErr(args[2*i], msg))
			return
		}
		vals[i] = v
	}
	s.params.mu.Lock()
	for i, d := range defs {
		if d.designed {
			if vals[i] != s.params.values[d] {
				s.log.Warn("CONFIG SET accepted but changes nothing: "+designValues[d.names[0]],
					"parameter", d.names[0], "asked", vals[i], "kept", s.params.values[d])
			}
			continue
		}
		if d.merge != nil {
			vals[i] = d.merge(s.params.values[d], vals[i])
		}
		s.params.values[d] = vals[i]
		if d.apply != nil && !d.fixed {
			// As given: the value shown may leave things out (the 'n' of
			// notify-keyspace-events, as in Redis 7.0).
			d.apply(s, string(args[2*i+1]))
		}
	}
	s.params.mu.Unlock()
	cl.out.OK()
}

func sortStrings(s []string) { sort.Strings(s) }

// errText is the system error's own text, as Redis' strerror shows it.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg
}

// applyTiming puts the slow log and latency monitor parameters into effect.
func (s *Server) applyTiming(k, v string) {
	n, _ := strconv.ParseInt(v, 10, 64)
	switch k {
	case "slowlog-log-slower-than":
		s.slow.threshold.Store(n)
	case "slowlog-max-len":
		s.slow.maxLen.Store(n)
		s.slow.trim()
	case "latency-monitor-threshold":
		s.latency.threshold.Store(n)
	}
	s.updateTiming()
}
