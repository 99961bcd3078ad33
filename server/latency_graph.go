package server

import (
	"fmt"
	"strings"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/internal/hist"
)

// latencyGraph is LATENCY GRAPH's text for one event: Redis'
// latencyCommandGenSparkeline, an 80-column, 4-row sparkline of the
// samples with how long ago each happened underneath.
func latencyGraph(event string, ts *latencySeries, now int64) string {
	var vals []int64
	var labels []string
	var lo, hi int64
	for j := 0; j < latencySamples; j++ {
		sm := ts.samples[(ts.idx+j)%latencySamples]
		if sm.at == 0 {
			continue
		}
		if len(vals) == 0 {
			lo, hi = sm.ms, sm.ms
		}
		lo, hi = min(lo, sm.ms), max(hi, sm.ms)
		vals = append(vals, sm.ms)
		elapsed := now - sm.at
		switch {
		case elapsed < 60:
			labels = append(labels, fmt.Sprintf("%ds", elapsed))
		case elapsed < 3600:
			labels = append(labels, fmt.Sprintf("%dm", elapsed/60))
		case elapsed < 86400:
			labels = append(labels, fmt.Sprintf("%dh", elapsed/3600))
		default:
			labels = append(labels, fmt.Sprintf("%dd", elapsed/86400))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, ts.max)
	b.WriteString(strings.Repeat("-", 80))
	b.WriteByte('\n')
	for j := 0; j < len(vals); j += 80 {
		if j != 0 {
			b.WriteByte('\n')
		}
		end := min(j+80, len(vals))
		sparkline(&b, vals[j:end], labels[j:end], lo, hi)
	}
	return b.String()
}

// sparkline is Redis' sparklineRenderRange with SPARKLINE_FILL: four rows
// of "_o#" steps ('|' below the top), then the labels written vertically
// after one blank row.
func sparkline(b *strings.Builder, vals []int64, labels []string, lo, hi int64) {
	const rows, charset = 4, "_o#"
	steps := len(charset) * rows
	relmax := float64(hi - lo)
	if relmax == 0 {
		relmax = 1
	}
	chars := make([]byte, len(vals))
	for row := 0; ; row++ {
		more := false
		for j := range chars {
			chars[j] = ' '
		}
		for j, v := range vals {
			step := int(float64(int(float64(v-lo)*float64(steps))) / relmax)
			step = max(0, min(step, steps-1))
			if row < rows {
				more = true
				idx := step - (rows-row-1)*len(charset)
				switch {
				case idx >= 0 && idx < len(charset):
					chars[j] = charset[idx]
				case idx >= len(charset):
					chars[j] = '|'
				}
				continue
			}
			if row-rows < 1 { // the margin above the labels
				more = true
				break
			}
			if k := row - rows - 1; k < len(labels[j]) {
				more = true
				chars[j] = labels[j][k]
			}
		}
		if !more {
			return
		}
		b.Write(chars)
		b.WriteByte('\n')
	}
}

// latencyHistogram is LATENCY HISTOGRAM [command ...]: per command with
// calls, its call count and the cumulative distribution of its latencies
// in power-of-two microsecond buckets, as Redis 7 replies it. A
// container's calls are its subcommands' (config|resetstat).
func latencyHistogram(s *Server, cl *Client, names [][]byte) {
	var cmds []*commands.Command
	if len(names) == 0 {
		cmds = s.cstats.names
	} else {
		for _, n := range names {
			c := commands.LookupFull(n)
			if c == nil {
				continue
			}
			// A container stands for its subcommands, which hold the calls.
			for _, c := range append([]*commands.Command{c}, c.Subcommands()...) {
				if _, ok := s.cstats.by[c]; ok {
					cmds = append(cmds, c)
				}
			}
		}
	}
	type entry struct {
		name string
		snap hist.Snapshot
	}
	var out []entry
	for _, c := range cmds {
		if snap := s.cstats.by[c].lat.Snapshot(); snap.Count > 0 {
			out = append(out, entry{c.Name, snap})
		}
	}
	cl.out.Map(len(out))
	for _, e := range out {
		cl.out.BulkString(e.name)
		cl.out.Map(2)
		cl.out.BulkString("calls")
		cl.out.Int(int64(e.snap.Count))
		cl.out.BulkString("histogram_usec")
		// Buckets from 1µs (1024 ns) doubling up to the slowest call; the
		// last one holds every call.
		bounds := make([]uint64, 40)
		for k := range bounds {
			bounds[k] = 1024 << k
		}
		cum := e.snap.Cumulative(bounds)
		cum[len(cum)-1] = e.snap.Count
		var keys, counts []int64
		var prev uint64
		for k, c := range cum {
			if c > prev {
				// Redis names a level by the highest value its HDR
				// histogram (2 significant digits) stores with 1024<<k ns.
				keys = append(keys, (int64(1)<<(10+k)+int64(1)<<(3+k)-1)/1000)
				counts = append(counts, int64(c))
			}
			prev = c
		}
		cl.out.Map(len(keys))
		for i := range keys {
			cl.out.Int(keys[i])
			cl.out.Int(counts[i])
		}
	}
}
