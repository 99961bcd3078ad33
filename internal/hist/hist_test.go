package hist

import (
	"testing"
	"time"
)

func TestBucketsCoverTheirValues(t *testing.T) {
	for _, v := range []uint64{0, 1, 1023, 1024, 1025, 1500, 2047, 2048, 1e6, 123456789, 1 << 35, 1<<36 - 1, 1 << 36, 1 << 40} {
		i := index(v)
		if i < Size-1 && v >= Upper(i) {
			t.Errorf("%d ns in bucket %d whose upper bound is %d", v, i, Upper(i))
		}
		if i > 0 && i < Size-1 && v < Upper(i-1) {
			t.Errorf("%d ns in bucket %d, but below the previous bound %d", v, i, Upper(i-1))
		}
	}
	for i := 1; i < Size; i++ {
		if Upper(i) <= Upper(i-1) && i < Size-1 {
			t.Fatalf("bounds not increasing at %d: %d <= %d", i, Upper(i), Upper(i-1))
		}
	}
}

func TestPercentileAndCumulative(t *testing.T) {
	var h Histogram
	for i := 0; i < 90; i++ {
		h.Observe(10 * time.Microsecond)
	}
	h.ObserveN(5*time.Millisecond, 10)
	s := h.Snapshot()
	if s.Count != 100 {
		t.Fatalf("count %d, want 100", s.Count)
	}
	if p := s.Percentile(50); p < 10*time.Microsecond || p > 12*time.Microsecond {
		t.Errorf("p50 %v, want 10µs within 12.5%%", p)
	}
	if p := s.Percentile(90); p > 12*time.Microsecond {
		t.Errorf("p90 %v, want 10µs within 12.5%%", p)
	}
	if p := s.Percentile(91); p < 5*time.Millisecond {
		t.Errorf("p91 %v, want 5ms", p)
	}
	if p := s.Percentile(99); p < 5*time.Millisecond || p > 5700*time.Microsecond {
		t.Errorf("p99 %v, want 5ms within 12.5%%", p)
	}
	if s.Sum != 90*10*time.Microsecond+50*time.Millisecond {
		t.Errorf("sum %v", s.Sum)
	}
	c := s.Cumulative([]uint64{1 << 10, 1 << 14, 1 << 24})
	if c[0] != 0 || c[1] != 90 || c[2] != 100 {
		t.Errorf("cumulative %v, want [0 90 100]", c)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(100, func() { h.Observe(3 * time.Microsecond) }); n != 0 {
		t.Errorf("Observe allocates %v times", n)
	}
}
