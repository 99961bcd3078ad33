package server

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/internal/hist"
	"github.com/geomys/geomys/resp"
)

// Per-command statistics (INFO commandstats and latencystats, the
// Prometheus collector) and error replies by prefix (INFO errorstats).
// Recording is a few atomic adds into a table built once at start, so the
// hot path never allocates or locks; readers format at read time.
//
// A command's duration is what its client waits for it to execute: for a
// read, running its handler (after the pipeline's leadership confirmation);
// for a write, its log entry's commit and apply, which the entry's commands
// share. usec adds each command's share of that time (the entry's duration
// divided among them), so it sums to the node's busy time; the latency
// histogram records the whole duration for each, since each waited for all
// of it. On a follower, relayed commands count as calls with the time it
// took to queue them; their execution is measured on the leader.

type cmdStat struct {
	calls    atomic.Int64
	ns       atomic.Int64 // sum of shares of execution time
	failed   atomic.Int64 // ran and answered an error
	rejected atomic.Int64 // refused before running (arity, loading, busy, ...)
	lat      hist.Histogram
}

type cmdStats struct {
	by    map[*commands.Command]*cmdStat // read-only after newCmdStats
	names []*commands.Command            // sorted by name

	errMu   sync.Mutex
	errs    map[string]int64 // error prefix → replies
	errSeen atomic.Int64     // total_error_replies
}

// maxErrorPrefixes bounds errorstats as Redis does (128 distinct prefixes).
const maxErrorPrefixes = 128

func newCmdStats() *cmdStats {
	c := &cmdStats{by: map[*commands.Command]*cmdStat{}, errs: map[string]int64{}}
	c.names = commands.AllWithSubcommands()
	for _, cmd := range c.names {
		c.by[cmd] = &cmdStat{}
	}
	return c
}

// record counts one run of cmd that took d.
func (c *cmdStats) record(cmd *commands.Command, d time.Duration, failed bool) {
	st := c.by[cmd]
	if st == nil {
		return
	}
	st.calls.Add(1)
	st.ns.Add(int64(d))
	st.lat.Observe(d)
	if failed {
		st.failed.Add(1)
	}
}

// fail counts a failed call of cmd whose call was counted before its reply
// was known (a script's, answered after its entry commits).
func (c *cmdStats) fail(cmd *commands.Command) {
	if st := c.by[cmd]; st != nil {
		st.failed.Add(1)
	}
}

func (c *cmdStats) reject(cmd *commands.Command) {
	if st := c.by[cmd]; st != nil {
		st.rejected.Add(1)
	}
}

// recordEntry counts the commands of one log entry (queued in order as
// cmds); reply holds their replies in order, or is nil when the whole entry
// failed. exec has each command's execution time (fsm.Result.Exec); without
// it (a failed entry) each command is charged its share of d, the time the
// entry took to commit and apply.
func (c *cmdStats) recordEntry(cmds []*commands.Command, reply []byte, d time.Duration, exec []time.Duration) {
	n := len(cmds)
	if n == 0 {
		return
	}
	if len(exec) != n {
		exec = nil
	}
	share := d / time.Duration(n)
	// An error reply starts with '-': most entries have none at all.
	scan := reply == nil || bytes.IndexByte(reply, '-') >= 0
	for i := 0; i < n; {
		cmd := cmds[i]
		j := i + 1
		for j < n && cmds[j] == cmd && !scan {
			j++ // runs of one command (pipelined SETs) cost one add each
		}
		st := c.by[cmd]
		if st == nil {
			i = j
			continue
		}
		k := j - i
		st.calls.Add(int64(k))
		if exec == nil {
			st.ns.Add(int64(share) * int64(k))
			st.lat.ObserveN(share, k)
		} else {
			var sum time.Duration
			for _, e := range exec[i:j] {
				sum += e
				st.lat.Observe(e)
			}
			st.ns.Add(int64(sum))
		}
		if scan {
			failed := reply == nil
			if !failed {
				var kind byte
				kind, reply = skipReply(reply)
				failed = kind == '-' || kind == '!'
			}
			if failed {
				st.failed.Add(1)
			}
		}
		i = j
	}
}

// skipReply returns the kind of the first reply in b and what follows it
// (nil when b is malformed).
func skipReply(b []byte) (byte, []byte) {
	it, rest, err := resp.Next(b)
	if err != nil {
		return 0, nil
	}
	kind := it.Kind
	pending := 0
	if it.N > 0 {
		pending = it.N
		if kind == '%' || kind == '|' {
			pending *= 2
		}
		if kind == '|' {
			pending++ // the reply the attribute describes
		}
	}
	for ; pending > 0; pending-- {
		if it, rest, err = resp.Next(rest); err != nil {
			return kind, nil
		}
		switch {
		case it.N > 0 && (it.Kind == '%' || it.Kind == '|'):
			pending += 2 * it.N
		case it.N > 0:
			pending += it.N
		}
		if it.Kind == '|' {
			pending++
		}
	}
	return kind, rest
}

// countErrors adds the error replies in out (what a connection is about to
// be sent) to errorstats. Push messages are not replies and are skipped.
func (c *cmdStats) countErrors(out []byte) {
	if bytes.IndexByte(out, '-') < 0 {
		return
	}
	for len(out) > 0 {
		it, rest, err := resp.Next(out)
		if err != nil {
			return
		}
		if it.Kind == '>' {
			if _, rest = skipReply(out); rest == nil {
				return
			}
		} else if it.Kind == '-' {
			c.countError(it.Line)
		}
		out = rest
	}
}

// countErrorLine counts an error that is not a reply of its own (a
// command's a script called and did not reply with).
func (c *cmdStats) countErrorLine(line string) { c.countError([]byte(line)) }

func (c *cmdStats) countError(line []byte) {
	c.errSeen.Add(1)
	prefix := line
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		prefix = line[:i]
	}
	c.errMu.Lock()
	if _, ok := c.errs[string(prefix)]; ok || len(c.errs) < maxErrorPrefixes {
		c.errs[string(prefix)]++
	}
	c.errMu.Unlock()
}

// errorCounts returns the error prefixes seen and how often, sorted.
func (c *cmdStats) errorCounts() ([]string, map[string]int64) {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	counts := make(map[string]int64, len(c.errs))
	names := make([]string, 0, len(c.errs))
	for k, v := range c.errs {
		counts[k] = v
		names = append(names, k)
	}
	sort.Strings(names)
	return names, counts
}

func (c *cmdStats) reset() {
	for _, st := range c.by {
		st.calls.Store(0)
		st.ns.Store(0)
		st.failed.Store(0)
		st.rejected.Store(0)
		st.lat.Reset()
	}
	c.errMu.Lock()
	clear(c.errs)
	c.errMu.Unlock()
	c.errSeen.Store(0)
}

// writeCommandStats is INFO commandstats: commands that were called or
// rejected since start (or CONFIG RESETSTAT).
func (c *cmdStats) writeCommandStats(b *strings.Builder) {
	for _, cmd := range c.names {
		st := c.by[cmd]
		calls, rejected := st.calls.Load(), st.rejected.Load()
		if calls == 0 && rejected == 0 {
			continue
		}
		usec := st.ns.Load() / 1000
		perCall := 0.0
		if calls > 0 {
			perCall = float64(st.ns.Load()) / 1000 / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cmd.Name, calls, usec, perCall, rejected, st.failed.Load())
	}
}

// writeLatencyStats is INFO latencystats with Redis' default percentiles
// (latency-tracking-info-percentiles "50 99 99.9"). Values are the upper
// bounds of the histogram buckets they fall in (at most 12.5% high).
func (c *cmdStats) writeLatencyStats(b *strings.Builder) {
	for _, cmd := range c.names {
		st := c.by[cmd]
		if st.calls.Load() == 0 {
			continue
		}
		snap := st.lat.Snapshot()
		if snap.Count == 0 {
			continue
		}
		us := func(p float64) float64 { return float64(snap.Percentile(p)) / 1000 }
		fmt.Fprintf(b, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n", cmd.Name, us(50), us(99), us(99.9))
	}
}

func (c *cmdStats) writeErrorStats(b *strings.Builder) {
	names, counts := c.errorCounts()
	for _, n := range names {
		fmt.Fprintf(b, "errorstat_%s:count=%d\r\n", n, counts[n])
	}
}
