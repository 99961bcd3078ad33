package server

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geomys/geomys/commands"
)

// The latency monitor (Redis' latency.c): per event, the last 160 per-second
// maxima above latency-monitor-threshold and the all-time maximum. Geomys
// records the "command", "fast-command" and "expire-cycle" events.

const latencySamples = 160

type latencySample struct {
	at int64 // unix seconds; 0: unused slot
	ms int64
}

type latencySeries struct {
	idx     int
	max     int64
	samples [latencySamples]latencySample
}

type latencyMonitor struct {
	threshold atomic.Int64 // ms; 0 disables it

	mu     sync.Mutex
	events map[string]*latencySeries
}

func (m *latencyMonitor) addCommand(cmd *commands.Command, d time.Duration) {
	th := m.threshold.Load()
	ms := d.Milliseconds()
	if th <= 0 || ms < th {
		return
	}
	event := "command"
	if cmd.Is(commands.Fast) {
		event = "fast-command"
	}
	m.add(event, ms, time.Now().Unix())
}

// expireCycle records an active expiry cycle's duration as Redis records
// its activeExpireCycle: the "expire-cycle" event.
func (m *latencyMonitor) expireCycle(d time.Duration) {
	if th, ms := m.threshold.Load(), d.Milliseconds(); th > 0 && ms >= th {
		m.add("expire-cycle", ms, time.Now().Unix())
	}
}

// add is latencyAddSample: samples of the same second keep their maximum.
func (m *latencyMonitor) add(event string, ms, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = map[string]*latencySeries{}
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencySamples-1)%latencySamples]
	if prev.at == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{at: now, ms: ms}
	ts.idx = (ts.idx + 1) % latencySamples
}

func (m *latencyMonitor) eventNames() []string {
	names := make([]string, 0, len(m.events))
	for n := range m.events {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func latencyCommand(s *Server, cl *Client, args [][]byte) {
	sub, ok := checkSubcommand(cl, "latency", args, map[string]int{"history": 3, "latest": 2, "reset": -2, "doctor": 2, "graph": 3, "histogram": -2, "help": 2})
	if !ok {
		return
	}
	m := &s.latency
	m.mu.Lock()
	defer m.mu.Unlock()
	switch sub {
	case "latest":
		names := m.eventNames()
		cl.out.Array(len(names))
		for _, n := range names {
			ts := m.events[n]
			last := ts.samples[(ts.idx+latencySamples-1)%latencySamples]
			cl.out.Array(4)
			cl.out.BulkString(n)
			cl.out.Int(last.at)
			cl.out.Int(last.ms)
			cl.out.Int(ts.max)
		}
	case "history":
		ts := m.events[string(args[2])]
		if ts == nil {
			cl.out.Array(0)
			return
		}
		var out []latencySample
		for j := 0; j < latencySamples; j++ {
			if sm := ts.samples[(ts.idx+j)%latencySamples]; sm.at != 0 {
				out = append(out, sm)
			}
		}
		cl.out.Array(len(out))
		for _, sm := range out {
			cl.out.Array(2)
			cl.out.Int(sm.at)
			cl.out.Int(sm.ms)
		}
	case "reset":
		n := 0
		if len(args) == 2 {
			n = len(m.events)
			clear(m.events)
		}
		for _, e := range args[2:] {
			if _, ok := m.events[string(e)]; ok {
				delete(m.events, string(e))
				n++
			}
		}
		cl.out.Int(int64(n))
	case "doctor":
		cl.out.Verbatim(m.report())
	case "graph":
		if m.events[string(args[2])] == nil {
			cl.out.Error("ERR No samples available for event '" + string(args[2]) + "'")
			return
		}
		cl.out.Verbatim(latencyGraph(string(args[2]), m.events[string(args[2])], time.Now().Unix()))
	case "histogram":
		latencyHistogram(s, cl, args[2:])
	case "help":
		helpReply(cl, "LATENCY",
			"DOCTOR",
			"    Return a human readable latency analysis report.",
			"GRAPH <event>",
			"    Return an ASCII latency graph for the <event> class.",
			"HISTORY <event>",
			"    Return time-latency samples for the <event> class.",
			"LATEST",
			"    Return the latest latency samples for all events.",
			"RESET [<event> ...]",
			"    Reset latency data of one or more <event> classes.",
			"    (default: reset all data for all event classes)",
			"HISTOGRAM [COMMAND ...]",
			"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
			"    If no commands are specified then all histograms are replied.")
	}
}

// report is LATENCY DOCTOR's text (latency.c createLatencyReport, without
// the advice Redis derives from its own configuration); m.mu is held.
func (m *latencyMonitor) report() string {
	if m.threshold.Load() == 0 && len(m.events) == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	if len(m.events) == 0 {
		return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n"
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	now := time.Now().Unix()
	for i, n := range m.eventNames() {
		ts := m.events[n]
		var sum, count int64
		oldest := now
		for _, sm := range ts.samples {
			if sm.at != 0 {
				sum += sm.ms
				count++
				oldest = min(oldest, sm.at)
			}
		}
		avg := sum / max(count, 1)
		var mad float64
		for _, sm := range ts.samples {
			if sm.at != 0 {
				mad += math.Abs(float64(sm.ms - avg))
			}
		}
		mad /= float64(max(count, 1))
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, n, count, avg, int64(mad), float64(now-oldest)/float64(max(count, 1)), ts.max)
	}
	b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n")
	return b.String()
}
