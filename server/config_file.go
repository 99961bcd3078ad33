package server

import (
	"strconv"
	"strings"
	"sync"

	"github.com/geomys/geomys/conffile"
)

// ParamValue is a CONFIG parameter's value read from the config file,
// already normalized (NormalizeParam).
type ParamValue struct{ Name, Value string }

// FlagValue is a command-line flag: CONFIG GET shows those that are not
// Redis parameters as read-only ones, and CONFIG REWRITE writes them.
// Value is in effect (defaults derived), Configured as given (what CONFIG
// REWRITE writes: a derived value must stay derived).
type FlagValue struct{ Name, Value, Configured, Default string }

// ParamSpec describes a CONFIG parameter for the config-file loader.
type ParamSpec struct {
	Name      string // canonical
	Default   string
	Fixed     bool // Geomys ignores the value (its design or a flag decides)
	Immutable bool
	Multi     bool // takes several arguments on one line (save 900 1)
}

var (
	specOnce  sync.Once
	specTable map[string]*paramDef
)

func specs() map[string]*paramDef {
	specOnce.Do(func() {
		specTable = map[string]*paramDef{}
		for _, d := range paramTable(&Config{}) {
			for _, n := range d.names {
				specTable[n] = d
			}
		}
	})
	return specTable
}

// multiArg are the parameters whose directive takes several arguments.
var multiArg = map[string]bool{"save": true, "client-output-buffer-limit": true, "oom-score-adj-values": true,
	"latency-tracking-info-percentiles": true, "bind": true}

// LookupParam reports whether name (lower case) is a CONFIG parameter.
func LookupParam(name string) (ParamSpec, bool) {
	d := specs()[name]
	if d == nil {
		return ParamSpec{}, false
	}
	return ParamSpec{Name: d.names[0], Default: d.def, Fixed: d.fixed || d.designed, Immutable: d.immutable,
		Multi: multiArg[d.names[0]]}, true
}

// NormalizeParam validates a value for a parameter as CONFIG SET does and
// returns it as CONFIG GET shows it, or Redis' error text.
func NormalizeParam(name, v string) (string, string) {
	d := specs()[name]
	if d == nil {
		return "", "Bad directive or wrong number of arguments"
	}
	if d.names[0] == "client-output-buffer-limit" {
		return normalizeCOBL(v)
	}
	return d.normalize(v)
}

// normalizeCOBL checks "class hard soft seconds" groups and converts the
// sizes to bytes, as CONFIG GET shows them.
func normalizeCOBL(v string) (string, string) {
	f := strings.Fields(v)
	if len(f) == 0 || len(f)%4 != 0 {
		return "", "Wrong number of arguments in buffer limit configuration."
	}
	for i := 0; i < len(f); i += 4 {
		switch strings.ToLower(f[i]) {
		case "normal", "pubsub":
			f[i] = strings.ToLower(f[i])
		case "replica", "slave":
			f[i] = "slave"
		default:
			return "", "Invalid client class specified in buffer limit configuration."
		}
		for _, j := range []int{i + 1, i + 2} {
			n, ok := parseMemory(f[j])
			if !ok {
				return "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."
			}
			f[j] = strconv.FormatInt(n, 10)
		}
		if n, err := strconv.ParseInt(f[i+3], 10, 64); err != nil || n < 0 {
			return "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
	}
	return strings.Join(f, " "), ""
}

// MergeCOBL replaces the classes given in add within cur (both normalized):
// each client-output-buffer-limit line sets one class, as in redis.conf.
func MergeCOBL(cur, add string) string {
	cf, af := strings.Fields(cur), strings.Fields(add)
	for i := 0; i+3 < len(af); i += 4 {
		found := false
		for j := 0; j+3 < len(cf); j += 4 {
			if cf[j] == af[i] {
				copy(cf[j:j+4], af[i:i+4])
				found = true
			}
		}
		if !found {
			cf = append(cf, af[i:i+4]...)
		}
	}
	return strings.Join(cf, " ")
}

// addFlags makes every flag that is not a Redis parameter a read-only one,
// so CONFIG GET * lists the whole configuration.
func (p *params) addFlags(flags []FlagValue) {
	p.flagDefaults = map[string]string{}
	p.flagConfigured = map[string]string{}
	for _, f := range flags {
		p.flagDefaults[f.Name] = f.Default
		if d := p.byName[f.Name]; d != nil {
			continue
		}
		p.flagConfigured[f.Name] = f.Configured
		d := fixed(pStr(f.Name, f.Value))
		if f.Name == "auto-aof-rewrite-min-size" {
			d.kind = kindMemory
		}
		p.byName[f.Name] = d
		p.names = append(p.names, f.Name)
		p.defs = append(p.defs, d)
		p.values[d] = f.Value
	}
	sortStrings(p.names)
}

// applyFileParams puts the config file's parameters into effect.
func (s *Server) applyFileParams(ps []ParamValue) {
	s.params.mu.Lock()
	defer s.params.mu.Unlock()
	for _, pv := range ps {
		d := s.params.byName[pv.Name]
		if d == nil || d.fixed || d.designed {
			continue
		}
		s.params.values[d] = pv.Value
		if d.apply != nil {
			d.apply(s, pv.Value)
		}
	}
}

// rewriteConfig is CONFIG REWRITE: every parameter's current value goes
// back into the config file (see conffile.Rewrite).
func (s *Server) rewriteConfig() error {
	s.params.mu.Lock()
	opts := make([]conffile.Option, 0, len(s.params.defs))
	for _, d := range s.params.defs {
		name := d.names[0]
		v := s.params.values[d]
		if c, ok := s.params.flagConfigured[name]; ok {
			v = c
		}
		def := d.def
		if fd, ok := s.params.flagDefaults[name]; ok {
			def = fd
		}
		same := v == def
		if d.kind == kindMemory {
			a, _ := parseMemory(v)
			b, _ := parseMemory(def)
			same = a == b
		}
		opts = append(opts, conffile.Option{Name: name, Aliases: d.names[1:], Lines: rewriteLines(d, v), Default: same})
	}
	s.params.mu.Unlock()
	return conffile.Rewrite(s.cfg.ConfigFile, opts)
}

// rewriteLines formats a value as Redis' CONFIG REWRITE does: sizes with
// units, strings quoted, save and client-output-buffer-limit one line each.
func rewriteLines(d *paramDef, v string) []string {
	name := d.names[0]
	switch name {
	case "save":
		f := strings.Fields(v)
		if len(f) == 0 {
			return []string{`save ""`}
		}
		var out []string
		for i := 0; i+1 < len(f); i += 2 {
			out = append(out, "save "+f[i]+" "+f[i+1])
		}
		return out
	case "client-output-buffer-limit":
		f := strings.Fields(v)
		var out []string
		for i := 0; i+3 < len(f); i += 4 {
			out = append(out, name+" "+f[i]+" "+formatMemory(f[i+1])+" "+formatMemory(f[i+2])+" "+f[i+3])
		}
		return out
	}
	switch {
	case multiArg[name]:
		if v == "" {
			return []string{name + ` ""`}
		}
		return []string{name + " " + v}
	case d.kind == kindMemory:
		return []string{name + " " + formatMemory(v)}
	case d.kind == kindString && !plainString[name]:
		return []string{name + " " + conffile.Quote(v)}
	}
	return []string{name + " " + v}
}

// plainString are string parameters that are enums in Redis, which CONFIG
// REWRITE writes unquoted.
var plainString = map[string]bool{"oom-score-adj": true, "supervised": true, "shutdown-on-sigint": true,
	"shutdown-on-sigterm": true, "enable-debug-command": true, "enable-module-command": true,
	"enable-protected-configs": true, "tls-auth-clients": true}

// formatMemory is Redis' rewriteConfigFormatMemory: the largest exact unit.
func formatMemory(v string) string {
	n, ok := parseMemory(v)
	if !ok || n == 0 {
		return v
	}
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "gb"}, {1 << 20, "mb"}, {1 << 10, "kb"}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
