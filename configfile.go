package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/conffile"
	"github.com/geomys/geomys/server"
	flag "github.com/spf13/pflag"
)

// notConfig are flags that are actions, not configuration: no directive
// sets them and CONFIG REWRITE does not write them.
var notConfig = map[string]bool{"version": true, "help": true, "import": true}

// fileOptions are directives main handles itself (the process, not the
// server): daemonize, pidfile, logfile, supervised.
type fileOptions struct {
	daemonize  bool
	pidfile    string
	logfile    string
	supervised string
	warnings   []string // logged once the logger exists
}

// loadConfigFile reads the config file named by the first non-flag argument,
// as redis-server takes it, and sets every directive that is a flag through
// the flag set (flags given on the command line win) and every other
// CONFIG parameter into cfg.Params.
func loadConfigFile(cfg *server.Config, fo *fileOptions) error {
	switch flag.NArg() {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("one config file at most, then flags: got %q", flag.Args())
	}
	path := flag.Arg(0)
	dirs, err := conffile.Parse(path, server.RedisVersion)
	if err != nil {
		return err
	}
	onCmdLine := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { onCmdLine[f.Name] = true })
	params := map[string]int{} // index in cfg.Params
	for _, d := range dirs {
		fatal := func(msg string) error { return conffile.Fatal(server.RedisVersion, d, msg) }
		if handled, err := processDirective(d, fo, fatal); handled || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		spec, isParam := server.LookupParam(d.Name)
		f := flag.Lookup(d.Name)
		if f == nil && !isParam || notConfig[d.Name] {
			return fatal("Bad directive or wrong number of arguments")
		}
		multi := spec.Multi || f != nil && strings.Contains(f.Value.Type(), "Slice") ||
			f != nil && strings.Contains(f.Value.Type(), "Array")
		if len(d.Args) == 0 || len(d.Args) > 1 && !multi {
			return fatal("wrong number of arguments")
		}
		v := strings.Join(d.Args, " ")
		if isParam {
			norm, msg := server.NormalizeParam(d.Name, v)
			if msg != "" {
				return fatal(msg)
			}
			v = norm
		}
		if f != nil {
			if onCmdLine[d.Name] {
				continue
			}
			if f.Value.Type() == "bool" {
				switch strings.ToLower(v) {
				case "yes":
					v = "true"
				case "no":
					v = "false"
				}
			}
			if err := flag.CommandLine.Set(d.Name, v); err != nil {
				return fatal(err.Error())
			}
			continue
		}
		if spec.Fixed && v != spec.Default {
			fo.warnings = append(fo.warnings, fmt.Sprintf("%s:%d: '%s' has no effect in Geomys (it is fixed by its design); remove the line",
				d.File, d.Line, d.Text))
			continue
		}
		if i, ok := params[spec.Name]; ok {
			switch spec.Name {
			case "client-output-buffer-limit":
				v = server.MergeCOBL(cfg.Params[i].Value, v)
			case "save": // each line adds points; save "" clears them
				if v != "" && cfg.Params[i].Value != "" {
					v = cfg.Params[i].Value + " " + v
				}
			}
			cfg.Params[i].Value = v
			continue
		}
		if spec.Name == "client-output-buffer-limit" {
			v = server.MergeCOBL(spec.Default, v)
		}
		params[spec.Name] = len(cfg.Params)
		cfg.Params = append(cfg.Params, server.ParamValue{Name: spec.Name, Value: v})
	}
	// CONFIG GET shows what main did with these.
	yesno := map[bool]string{true: "yes", false: "no"}
	if fo.supervised == "" {
		fo.supervised = "no"
	}
	cfg.Params = append(cfg.Params, server.ParamValue{Name: "daemonize", Value: yesno[fo.daemonize]},
		server.ParamValue{Name: "pidfile", Value: fo.pidfile}, server.ParamValue{Name: "logfile", Value: fo.logfile},
		server.ParamValue{Name: "supervised", Value: fo.supervised})
	cfg.ConfigFile = path
	return nil
}

// processDirective handles the directives that are about the process or
// that Geomys takes differently from Redis; handled is false for the rest.
func processDirective(d conffile.Directive, fo *fileOptions, fatal func(string) error) (bool, error) {
	one := func() (string, error) {
		if len(d.Args) != 1 {
			return "", fatal("wrong number of arguments")
		}
		return d.Args[0], nil
	}
	switch d.Name {
	case "daemonize":
		v, err := one()
		if err != nil {
			return true, err
		}
		switch strings.ToLower(v) {
		case "yes":
			fo.daemonize = true
		case "no":
			fo.daemonize = false
		default:
			return true, fatal("argument must be 'yes' or 'no'")
		}
		return true, nil
	case "pidfile":
		v, err := one()
		fo.pidfile = v
		return true, err
	case "logfile":
		v, err := one()
		fo.logfile = v
		return true, err
	case "supervised":
		v, err := one()
		if err != nil {
			return true, err
		}
		switch v = strings.ToLower(v); v {
		case "no", "upstart", "systemd", "auto":
			fo.supervised = v
			return true, nil
		}
		return true, fatal("argument(s) must be one of the following: upstart, systemd, auto, no")
	case "bind":
		if len(d.Args) == 0 {
			return true, fatal("wrong number of arguments")
		}
		if flag.CommandLine.Changed("bind") {
			return true, nil
		}
		// Redis listens on every address given ('-' marks one that may be
		// missing); Geomys listens on one.
		addr := strings.TrimPrefix(d.Args[0], "-")
		if addr == "*" {
			addr = "0.0.0.0"
		}
		if len(d.Args) > 1 {
			fo.warnings = append(fo.warnings, fmt.Sprintf("%s:%d: Geomys listens on one address: using %s, not %s; give one address in bind to silence this",
				d.File, d.Line, addr, strings.Join(d.Args[1:], " ")))
		}
		return true, flag.CommandLine.Set("bind", addr)
	case "databases":
		v, err := one()
		if err != nil {
			return true, err
		}
		if n, perr := strconv.Atoi(v); perr != nil || n != commands.NumDBs {
			return true, fatal(fmt.Sprintf("Geomys has %d databases: set databases %d", commands.NumDBs, commands.NumDBs))
		}
		return true, nil
	case "syslog-enabled":
		v, err := one()
		if err == nil && strings.EqualFold(v, "yes") {
			return true, fatal("Geomys does not log to syslog: set syslog-enabled no and use logfile (or stderr, which systemd's journal collects)")
		}
		return true, err
	case "rename-command":
		return true, fatal("Geomys does not rename commands: remove rename-command (restrict commands with ACL users instead)")
	case "loadmodule":
		return true, fatal("Geomys does not load Redis modules: remove loadmodule")
	}
	return false, nil
}

// flagValues lists the configuration flags for CONFIG GET and REWRITE;
// configured are the values before main derived defaults (flagValues(nil)).
func flagValues(configured []server.FlagValue) []server.FlagValue {
	var out []server.FlagValue
	flag.VisitAll(func(f *flag.Flag) {
		if !notConfig[f.Name] {
			out = append(out, server.FlagValue{Name: f.Name, Value: f.Value.String(), Configured: f.Value.String(), Default: f.DefValue})
		}
	})
	for i := range out {
		if i < len(configured) && configured[i].Name == out[i].Name {
			out[i].Configured = configured[i].Value
		}
	}
	return out
}

// logOutput and logJSON are what newLogger chose, for Raft's own logger.
var (
	logOutput io.Writer = os.Stderr
	logJSON   bool
)

// newLogger builds the logger --log-format and logfile ask for.
func newLogger(format, logfile string, level slog.Level) (*slog.Logger, error) {
	w := os.Stderr
	if logfile != "" {
		f, err := os.OpenFile(logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("Can't open the log file: %w", err)
		}
		w = f
	}
	opts := &slog.HandlerOptions{Level: level}
	logOutput, logJSON = w, format == "json"
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}
