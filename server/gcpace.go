package server

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// gcHeadroom is the least garbage the GC lets accumulate between cycles.
// With Go's default GOGC=100 a small dataset (say 10 MB live) means a
// collection every 10 MB allocated: under a write load that was about 15
// cycles a second and a quarter of the server's CPU. Keeping at least this
// much headroom makes small heaps collect as rarely as a 64 MB one; large
// heaps keep GOGC=100, so memory per key is unchanged. The extra garbage is
// given back by memoryTrimmer once the load stops.
const gcHeadroom = 64 << 20

// gcPacer retunes GOGC after every collection so that the next heap goal is
// at least live + gcHeadroom. An operator's own GOGC wins.
type gcPacer struct {
	stopped atomic.Bool
	sample  []metrics.Sample
	percent int
}

// sentinel is what the pacer's finalizer hangs on: a fresh one per cycle,
// unreachable at once, so its finalizer runs after the next collection.
type sentinel struct{ _ *byte }

// StartGCPacer begins pacing the process' GC; the returned func stops it.
// It is process-wide, so main starts it once.
func StartGCPacer() (stop func()) {
	p := &gcPacer{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}, percent: 100}
	if _, set := os.LookupEnv("GOGC"); set {
		p.stopped.Store(true)
	} else {
		p.arm()
	}
	return p.stop
}

func (p *gcPacer) arm() { runtime.SetFinalizer(&sentinel{}, p.afterGC) }

// afterGC runs on the runtime's finalizer goroutine once per collection.
func (p *gcPacer) afterGC(*sentinel) {
	if p.stopped.Load() {
		return
	}
	metrics.Read(p.sample)
	percent := gcPercentFor(p.sample[0].Value.Uint64())
	if percent != p.percent {
		debug.SetGCPercent(percent)
		p.percent = percent
	}
	p.arm()
}

// gcPercentFor is the GOGC giving a heap goal of at least live+gcHeadroom,
// between 100 (Go's default) and 1000, in steps of 25 to avoid retuning for
// every small change in the live heap.
func gcPercentFor(live uint64) int {
	if live == 0 || live >= gcHeadroom {
		return 100
	}
	percent := int(gcHeadroom * 100 / live)
	percent -= percent % 25
	return min(max(percent, 100), 1000)
}

// stop restores GOGC=100 and ends the retuning.
func (p *gcPacer) stop() {
	if p.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(100)
}
