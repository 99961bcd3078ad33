package fsm

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// benchApply applies Raft entries of `conns` connections' entries, each a
// pipeline of `pipe` SETs, the shape group commit gives the FSM under
// redis-benchmark -c conns -P pipe. It reports per-write figures. As the
// proposer, the results are read and released as the server does; as a
// follower nobody reads them.
func benchApply(b *testing.B, conns, pipe int, follower bool) {
	f, err := Open(Options{Dir: b.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	entries := make([][]byte, conns)
	for i := range entries {
		var w EntryWriter
		w.Reset(entryTime)
		for j := 0; j < pipe; j++ {
			w.Add(0, 2, bs("SET", "key:"+strconv.Itoa(i*pipe+j), "xxx"))
		}
		entries[i] = w.Bytes()
	}
	data := entries[0]
	if conns > 1 {
		data = EncodeBatch(entries)
	}
	logs := []*raft.Log{{Type: raft.LogCommand, Term: 1, Data: data, AppendedAt: time.Now()}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		logs[0].Index = uint64(i + 1)
		if follower {
			if out := f.ApplyBatchFor(logs, noneReplied); out[0] != nil {
				b.Fatalf("a follower got a result: %v", out[0])
			}
			continue
		}
		// As the server does once it has copied the replies out.
		switch r := f.ApplyBatch(logs)[0].(type) {
		case *Result:
			r.Release()
		case *BatchResult:
			for _, res := range r.Results {
				res.Release()
			}
		}
	}
	b.StopTimer()
	writes := float64(b.N * conns * pipe)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/writes, "ns/write")
}

func noneReplied(*raft.Log) bool { return false }

func BenchmarkApplySET_c50_P1(b *testing.B)  { benchApply(b, 50, 1, false) }
func BenchmarkApplySET_c50_P16(b *testing.B) { benchApply(b, 50, 16, false) }
func BenchmarkApplySET_c1_P1(b *testing.B)   { benchApply(b, 1, 1, false) }

func BenchmarkFollowerApplySET_c50_P1(b *testing.B)  { benchApply(b, 50, 1, true) }
func BenchmarkFollowerApplySET_c50_P16(b *testing.B) { benchApply(b, 50, 16, true) }
func BenchmarkFollowerApplySET_c1_P1(b *testing.B)   { benchApply(b, 1, 1, true) }
