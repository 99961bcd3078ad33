package server

import (
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/geomys/geomys/commands"
)

// memoryTrimmer returns memory to the OS once the heap has gone quiet. Go
// keeps everything up to the GC's heap goal (about twice the live data by
// default) and, with no further allocation, never collects the garbage a bulk
// load left behind, so RSS would stay near twice the dataset for good. When
// no collection ran for a whole interval and far more is held than is live,
// one forced collection gives it back, like an allocator purge. Under steady
// load the GC runs anyway and this does nothing.
func (s *Server) memoryTrimmer(interval time.Duration) {
	defer s.bg.Done()
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
	}
	var lastCycles uint64
	lastFreed := commands.BigFreed()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		metrics.Read(samples)
		cycles, live := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		held := samples[2].Value.Uint64() + samples[3].Value.Uint64() + samples[4].Value.Uint64()
		quiet := cycles == lastCycles
		lastCycles = cycles
		// Big values deleted since the last trim are garbage the last
		// collection may still have counted as live.
		freed := commands.BigFreed()
		bigGone := uint64(freed - lastFreed)
		if quiet && (held > live && held-live > max(32<<20, live/4) || bigGone >= 32<<20) {
			debug.FreeOSMemory()
			lastFreed = freed
			metrics.Read(samples)
			lastCycles = samples[0].Value.Uint64()
		}
	}
}

// opsSampler keeps instantaneous_ops_per_sec: commands processed over the
// last second, sampled like Redis' serverCron.
func (s *Server) opsSampler() {
	defer s.bg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastIn, lastOut := s.stats.commands.Load(), s.stats.netIn.Load(), s.stats.netOut.Load()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		now, in, out := s.stats.commands.Load(), s.stats.netIn.Load(), s.stats.netOut.Load()
		s.stats.opsPerSec.Store(max(now-last, 0))
		s.stats.inPerSec.Store(max(in-lastIn, 0))
		s.stats.outPerSec.Store(max(out-lastOut, 0))
		last, lastIn, lastOut = now, in, out
	}
}
