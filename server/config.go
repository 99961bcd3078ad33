package server

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/geomys/geomys/commands"
)

// params backs CONFIG GET/SET. Values that Geomys fixes (Redis options we do
// not have, or that are set by flags) are reported but refuse CONFIG SET.
type params struct {
	mu       sync.Mutex
	values   map[string]string
	settable map[string]bool
}

func newParams(cfg *Config) *params {
	return &params{
		values: map[string]string{
			"bind": cfg.Bind, "port": strconv.Itoa(cfg.Port), "dir": cfg.Dir,
			"appendonly": "yes", "appendfsync": cfg.AppendFsync, "appenddirname": "appendonlydir",
			"appendfilename": "appendonly.aof", "aof-use-rdb-preamble": "no", "aof-load-truncated": "yes",
			"auto-aof-rewrite-percentage": strconv.Itoa(cfg.AutoAOFRewritePercentage),
			"auto-aof-rewrite-min-size":   strconv.FormatInt(cfg.AutoAOFRewriteMinSize, 10),
			"save":                        "", "databases": strconv.Itoa(commands.NumDBs),
			"maxmemory": "0", "maxmemory-policy": "noeviction", "maxclients": "10000",
			"timeout": "0", "tcp-keepalive": "300", "loglevel": cfg.LogLevel, "hz": "10",
			"proto-max-bulk-len": "536870912", "client-query-buffer-limit": "1073741824",
			"protected-mode": "no", "requirepass": "", "lua-time-limit": "5000", "busy-reply-threshold": "5000",
			"slowlog-log-slower-than": "10000", "slowlog-max-len": "128", "latency-monitor-threshold": "0", "notify-keyspace-events": "",
			"list-max-listpack-size": "-2", "list-compress-depth": "0",
		},
		settable: map[string]bool{
			"maxmemory": true, "maxmemory-policy": true, "timeout": true, "tcp-keepalive": true,
			"hz": true, "slowlog-log-slower-than": true, "slowlog-max-len": true, "latency-monitor-threshold": true,
			"notify-keyspace-events": true, "lua-time-limit": true, "busy-reply-threshold": true,
			"maxclients": true, "list-max-listpack-size": true, "list-compress-depth": true,
		},
	}
}

func configCommand(s *Server, cl *Client, args [][]byte) {
	sub := strings.ToLower(string(args[1]))
	switch sub {
	case "get":
		if len(args) < 3 {
			cl.out.Error("ERR wrong number of arguments for 'config|get' command")
			return
		}
		s.params.mu.Lock()
		found := map[string]string{}
		for _, pat := range args[2:] {
			p := strings.ToLower(string(pat))
			for k, v := range s.params.values {
				if commands.GlobMatch([]byte(p), []byte(k), false) {
					found[k] = v
				}
			}
		}
		s.params.mu.Unlock()
		keys := make([]string, 0, len(found))
		for k := range found {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		cl.out.Map(len(keys))
		for _, k := range keys {
			cl.out.BulkString(k)
			cl.out.BulkString(found[k])
		}
	case "set":
		if len(args) < 4 || len(args)%2 != 0 {
			cl.out.Error("ERR wrong number of arguments for 'config|set' command")
			return
		}
		s.params.mu.Lock()
		defer s.params.mu.Unlock()
		for i := 2; i < len(args); i += 2 {
			k := strings.ToLower(string(args[i]))
			if _, ok := s.params.values[k]; !ok {
				cl.out.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
				return
			}
			if !s.params.settable[k] {
				cl.out.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - can't set this parameter at runtime in Geomys")
				return
			}
		}
		for i := 2; i < len(args); i += 2 {
			k := strings.ToLower(string(args[i]))
			if lo, ok := intParams[k]; ok {
				n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
				if err != nil {
					cl.out.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - argument couldn't be parsed into an integer")
					return
				}
				if n < lo {
					cl.out.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - argument must be between " + strconv.FormatInt(lo, 10) + " and " + strconv.FormatInt(intParamMax[k], 10) + " inclusive")
					return
				}
			}
		}
		for i := 2; i < len(args); i += 2 {
			k := strings.ToLower(string(args[i]))
			if k == "busy-reply-threshold" || k == "lua-time-limit" {
				ms, err := strconv.ParseInt(string(args[i+1]), 10, 64)
				if err != nil || ms < 0 {
					cl.out.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - argument couldn't be parsed into an integer")
					return
				}
				s.busyThreshold.Store(ms)
				s.params.values["busy-reply-threshold"] = string(args[i+1])
				s.params.values["lua-time-limit"] = string(args[i+1])
				continue
			}
			s.params.values[k] = string(args[i+1])
			s.applyParam(k, string(args[i+1]))
		}
		cl.out.OK()
	case "resetstat":
		s.stats.commands.Store(0)
		s.stats.connections.Store(0)
		s.stats.rejected.Store(0)
		cl.out.OK()
	case "rewrite":
		cl.out.Error("ERR The server is running without a config file")
	case "help":
		cl.out.Array(1)
		cl.out.Simple("CONFIG GET <pattern> | SET <param> <value> | RESETSTAT | REWRITE")
	default:
		cl.out.Error("ERR unknown subcommand '" + clip(args[1]) + "'. Try CONFIG HELP.")
	}
}

// intParams are the integer parameters CONFIG SET checks, with their Redis
// bounds.
var (
	intParams   = map[string]int64{"slowlog-log-slower-than": -1, "slowlog-max-len": 0, "latency-monitor-threshold": 0}
	intParamMax = map[string]int64{"slowlog-log-slower-than": math.MaxInt64, "slowlog-max-len": math.MaxInt64, "latency-monitor-threshold": math.MaxInt64}
)

// applyParam puts a parameter the server acts on into effect.
func (s *Server) applyParam(k, v string) {
	n, _ := strconv.ParseInt(v, 10, 64)
	switch k {
	case "slowlog-log-slower-than":
		s.slow.threshold.Store(n)
	case "slowlog-max-len":
		s.slow.maxLen.Store(n)
		s.slow.trim()
	case "latency-monitor-threshold":
		s.latency.threshold.Store(n)
	default:
		return
	}
	s.updateTiming()
}
