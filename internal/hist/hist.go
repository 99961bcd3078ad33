// Package hist is a fixed-size, lock-free latency histogram: recording is a
// few atomic adds and never allocates, so the hot path can afford one per
// command; readers (INFO latencystats, the Prometheus collector) turn the
// buckets into percentiles or cumulative counts at read time.
package hist

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Buckets are log-linear in nanoseconds: each power of two from minShift up
// is split into subBuckets, so a percentile is off by at most 1/subBuckets
// of its value (12.5%), and everything from 1µs to ~69s has its own bucket.
const (
	subBits    = 3
	subBuckets = 1 << subBits
	minShift   = 10 // 1024 ns: the first bucket holds everything below it
	maxShift   = 36 // ~68.7 s: the last bucket holds everything above it
	// Size is the number of buckets.
	Size = (maxShift-minShift)*subBuckets + 2
)

// Histogram counts durations. The zero value is ready to use.
type Histogram struct {
	counts [Size]atomic.Uint64
	sum    atomic.Uint64 // ns
}

// index is the bucket of v nanoseconds.
func index(v uint64) int {
	if v < 1<<minShift {
		return 0
	}
	shift := bits.Len64(v) - 1 // v is in [2^shift, 2^(shift+1))
	if shift >= maxShift {
		return Size - 1
	}
	sub := int(v>>(shift-subBits)) & (subBuckets - 1)
	return 1 + (shift-minShift)*subBuckets + sub
}

// Upper is the exclusive upper bound of bucket i in nanoseconds (the last
// bucket has none: it reports its lower bound).
func Upper(i int) uint64 {
	if i == 0 {
		return 1 << minShift
	}
	if i >= Size-1 {
		return 1 << maxShift
	}
	i--
	shift := minShift + i/subBuckets
	sub := uint64(i%subBuckets) + 1
	return 1<<shift + sub<<(shift-subBits)
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[index(v)].Add(1)
	h.sum.Add(v)
}

// ObserveN records n events of d each (a log entry's commands share its
// commit time).
func (h *Histogram) ObserveN(d time.Duration, n int) {
	v := uint64(max(d, 0))
	h.counts[index(v)].Add(uint64(n))
	h.sum.Add(v * uint64(n))
}

// Snapshot is a copy of a histogram's counts at one moment.
type Snapshot struct {
	Counts [Size]uint64
	Count  uint64
	Sum    time.Duration
}

// Snapshot copies the counts (not atomically as a whole: an event recorded
// meanwhile may show in a bucket but not yet in Sum, which readers tolerate).
func (h *Histogram) Snapshot() Snapshot {
	var s Snapshot
	for i := range h.counts {
		c := h.counts[i].Load()
		s.Counts[i] = c
		s.Count += c
	}
	s.Sum = time.Duration(h.sum.Load())
	return s
}

// Reset zeroes the histogram (CONFIG RESETSTAT).
func (h *Histogram) Reset() {
	for i := range h.counts {
		h.counts[i].Store(0)
	}
	h.sum.Store(0)
}

// Percentile is the upper bound of the bucket holding the p-th percentile
// (0 < p <= 100), 0 when nothing was recorded.
func (s *Snapshot) Percentile(p float64) time.Duration {
	if s.Count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(s.Count)))
	rank = min(max(rank, 1), s.Count)
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			return time.Duration(Upper(i))
		}
	}
	return time.Duration(Upper(Size - 1))
}

// Cumulative returns, for each bound (ascending, in ns), how many events
// were below it: what a Prometheus histogram's buckets hold. Bounds should
// be bucket edges (powers of two from 2^minShift) to be exact; others count
// the buckets whose upper bound they reach.
func (s *Snapshot) Cumulative(bounds []uint64) []uint64 {
	out := make([]uint64, len(bounds))
	var seen uint64
	i := 0
	for b, bound := range bounds {
		for i < Size-1 && Upper(i) <= bound {
			seen += s.Counts[i]
			i++
		}
		out[b] = seen
	}
	return out
}
