package aof

import (
	"github.com/geomys/geomys/resp"
	"strconv"
	"testing"
)

func BenchmarkAppend(b *testing.B) {
	a, err := Open(Options{Dir: b.TempDir(), Fsync: FsyncNo, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	buf := resp.AppendCommand(nil, "SET", "key:000000", "value-value-value-value")
	buf = AppendMarker(buf, 1, 1700000000000)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Append(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	a, err := Open(Options{Dir: dir, Fsync: FsyncNo, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	n := 0
	for i := 0; i < 2000; i++ {
		buf = buf[:0]
		for j := 0; j < 50; j++ {
			buf = resp.AppendCommand(buf, "SET", "key:"+strconv.Itoa(n), "value-value-value-value")
			n++
		}
		buf = AppendMarker(buf, uint64(i), 1700000000000)
		if err := a.Append(buf); err != nil {
			b.Fatal(err)
		}
	}
	_, size := a.Sizes()
	a.Close()
	a, err = Open(Options{Dir: dir, Fsync: FsyncNo, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmds := 0
		if err := a.Load(func(args [][]byte) error { cmds++; return nil }, nil); err != nil {
			b.Fatal(err)
		}
		if cmds != n+1 {
			b.Fatalf("%d commands", cmds)
		}
	}
}
