package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// INFO errorstats counts errors as Redis 7.0 does: when they are replied,
// so an INFO or CONFIG RESETSTAT pipelined after a failed command sees its
// error; and an error of a command a script called once, whether the script
// caught it with redis.pcall, raised it, or returned it.
func TestErrorStatsLikeRedis(t *testing.T) {
	n := startNode(t)
	raddr := startRedis(t)
	cases := []struct {
		name string
		pre  [][]string
		cmds [][]string // sent as one pipeline, the last one INFO errorstats
	}{
		{"pipelined arity error", nil, [][]string{{"GET"}}},
		{"pipelined WRONGTYPE", [][]string{{"SET", "s", "a"}}, [][]string{{"LPUSH", "s", "x"}}},
		{"pipelined script error", [][]string{{"SET", "s", "a"}}, [][]string{{"EVAL", "return redis.call('lpush','s','x')", "0"}}},
		{"error before RESETSTAT", nil, [][]string{{"GET"}, {"CONFIG", "RESETSTAT"}}},
		{"OOM raised by redis.call", [][]string{{"CONFIG", "SET", "maxmemory", "1"}}, [][]string{{"EVAL", "return redis.call('set','x','y')", "1", "x"}}},
		{"OOM caught by redis.pcall", [][]string{{"CONFIG", "SET", "maxmemory", "1"}}, [][]string{{"EVAL", "local t = redis.pcall('set','x','y') return 1", "1", "x"}}},
		{"OOM returned from redis.pcall", [][]string{{"CONFIG", "SET", "maxmemory", "1"}}, [][]string{{"EVAL", "return redis.pcall('set','x','y')", "1", "x"}}},
		{"WRONGTYPE caught by redis.pcall", [][]string{{"SET", "s", "a"}}, [][]string{{"EVAL", "local t = redis.pcall('lpush','s','x') return 1", "0"}}},
		{"caught, then replied anew", [][]string{{"SET", "s", "a"}}, [][]string{{"EVAL", "local t = redis.pcall('lpush','s','x') return redis.error_reply(t.err)", "0"}}},
		{"unknown command caught", nil, [][]string{{"EVAL", "redis.pcall('nosuch') return 1", "0"}}},
		{"write in EVAL_RO caught", nil, [][]string{{"EVAL_RO", "redis.pcall('set','x','y') return 1", "1", "x"}}},
		{"bad argument caught", nil, [][]string{{"EVAL", "redis.pcall('get',{}) return 1", "0"}}},
		{"Lua error", nil, [][]string{{"EVAL", "return nil + 1", "0"}}},
		{"FCALL caught", [][]string{{"SET", "s", "a"}, {"FUNCTION", "LOAD", "REPLACE", "#!lua name=errs\nredis.register_function('f', function() redis.pcall('lpush','s','x') return 1 end)"}},
			[][]string{{"FCALL", "f", "0"}}},
	}
	ctx := ctxT(t)
	for _, c := range cases {
		var got [2]string
		for i, addr := range []string{n.addr(), raddr} {
			cl := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, Protocol: 2, DisableIdentity: true})
			do := func(args ...string) {
				a := make([]any, len(args))
				for i, v := range args {
					a[i] = v
				}
				cl.Do(ctx, a...) // errors are what the case is about
			}
			do("FLUSHALL")
			do("CONFIG", "SET", "maxmemory", "0")
			do("CONFIG", "RESETSTAT")
			for _, p := range c.pre {
				do(p...)
			}
			// go-redis writes a pipeline in one write: the node reads it
			// as one batch, as Redis' test suite sends it.
			var info *redis.Cmd
			cl.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, cmd := range c.cmds {
					a := make([]any, len(cmd))
					for i, v := range cmd {
						a[i] = v
					}
					p.Do(ctx, a...)
				}
				info = p.Do(ctx, "INFO", "errorstats")
				return nil
			})
			do("CONFIG", "SET", "maxmemory", "0")
			pipelined, err := info.Text()
			if err != nil {
				t.Fatalf("%s: INFO errorstats: %v", c.name, err)
			}
			after, err := cl.Info(ctx, "errorstats", "stats").Result()
			if err != nil {
				t.Fatal(err)
			}
			got[i] = fmt.Sprintf("pipelined: %q; after: %q", errorLines(pipelined), errorLines(after))
			cl.Close()
		}
		if got[0] != got[1] {
			t.Errorf("%s:\n geomys: %s\n redis:  %s", c.name, got[0], got[1])
		}
	}
}

// errorLines are INFO's errorstat_ lines and total_error_replies.
func errorLines(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "errorstat_") || strings.HasPrefix(l, "total_error_replies:") {
			out = append(out, l)
		}
	}
	return out
}
