package commands

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
)

// The writes scripts/bench.sh sends, applied as the FSM applies them (handler,
// propagation, memory settling), with redis-benchmark's -r 100000 keys or
// members. Their cost beside BenchmarkApplySet's is what a command adds above
// the common write path. Every 100000 commands the dataset starts over, as a
// benchmark run of -n 100000 does, so the HLL keeps turning from sparse to
// dense and keys keep being created.
func benchApply(b *testing.B, name string, args ...string) {
	store := NewStore()
	cmd := Lookup([]byte(name))
	c := &Ctx{Store: store, R: NewReply(2), Prop: NewPropagation(), Now: 1_700_000_000_000}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	argv := make([][]byte, len(args)+1)
	argv[0] = []byte(name)
	randAt := -1
	for i, a := range args {
		argv[i+1] = []byte(a)
		if len(a) >= 4 && a[len(a)-4:] == "%012" {
			randAt = i + 1
		}
	}
	prefix := ""
	if randAt > 0 {
		prefix = args[randAt-1][:len(args[randAt-1])-4]
	}
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = []byte(fmt.Sprintf("%s%012d", prefix, rng.IntN(n)))
	}
	b.ReportAllocs()
	// CPU time (of the whole process: the GC's included) tells more than
	// wall time on a shared machine.
	cpu := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	start := cpu()
	defer func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%n == 0 && i > 0 {
			c.Begin(store.DBs[0], nil)
			c.FlushDB()
		}
		if randAt > 0 {
			argv[randAt] = vals[i%n]
		}
		c.Now++
		c.R.Reset()
		c.Prop.Reset()
		c.Begin(store.DBs[0], argv)
		cmd.Handler(c)
		c.Finish()
		c.TakeReady()
	}
}

func BenchmarkApplySet(b *testing.B)    { benchApply(b, "set", "key:%012", "xxx") }
func BenchmarkApplyPFAdd(b *testing.B)  { benchApply(b, "pfadd", "hll", "%012") }
func BenchmarkApplySetBit(b *testing.B) { benchApply(b, "setbit", "bits:%012", "7", "1") }
func BenchmarkApplyGeoAdd(b *testing.B) {
	benchApply(b, "geoadd", "geo", "13.361389", "38.115556", "m:%012")
}
func BenchmarkApplyXAdd(b *testing.B) { benchApply(b, "xadd", "stream:%012", "*", "f", "v") }
