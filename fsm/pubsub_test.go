package fsm

import (
	"log/slog"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

func pubEntry(args ...[][]byte) []byte {
	var w EntryWriter
	w.Reset(time.Now().UnixMilli())
	for _, a := range args {
		w.Add(0, 2, a)
	}
	return append([]byte(nil), w.Bytes()...)
}

func bs(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// TestPublish: publications reach OnPublish in log order after the batch,
// their receiver counts replace the placeholder replies, nothing is written
// to the AOF or counted as a change, and entries appended before the FSM was
// opened (a replay after restart) deliver nothing.
func TestPublish(t *testing.T) {
	var got []string
	f, err := Open(Options{Dir: t.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler),
		OnPublish: func(pubs []commands.Publication) {
			for i := range pubs {
				got = append(got, string(pubs[i].Channel)+"="+string(pubs[i].Message))
				pubs[i].Receivers = int64(len(pubs[i].Message))
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	now := time.Now()
	logs := []*raft.Log{
		{Index: 1, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs("PUBLISH", "a", "1"), bs("SET", "k", "v"), bs("PUBLISH", "b", "1234567890123"))},
		{Index: 2, Type: raft.LogCommand, AppendedAt: now.Add(-time.Hour), Data: pubEntry(bs("PUBLISH", "old", "x"))},
		{Index: 3, Type: raft.LogCommand, AppendedAt: now, Data: pubEntry(bs("PUBLISH", "c", ""))},
	}
	out := f.ApplyBatch(logs)
	if want := "a=1 b=1234567890123 c="; join(got) != want {
		t.Errorf("delivered %q, want %q", join(got), want)
	}
	replies := []string{
		":1\r\n+OK\r\n:13\r\n",
		":0\r\n",
		":0\r\n",
	}
	for i, o := range out {
		r, ok := o.(*Result)
		if !ok || string(r.Reply) != replies[i] {
			t.Errorf("entry %d reply = %#v, want %q", i, o, replies[i])
		}
	}
	if d := f.Stats().Dirty; d != 1 {
		t.Errorf("dirty = %d, want 1 (the SET only)", d)
	}
	got = nil
	before := f.Stats().AOFIncr
	f.ApplyBatch([]*raft.Log{{Index: 4, Type: raft.LogCommand, AppendedAt: time.Now(), Data: pubEntry(bs("PUBLISH", "d", "m"))}})
	if join(got) != "d=m" {
		t.Errorf("delivered %q", join(got))
	}
	if after := f.Stats().AOFIncr; after != before {
		t.Errorf("PUBLISH grew the AOF from %d to %d bytes", before, after)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
