package fsm

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// appliedSide is everything an FSM does besides answering: what it tells
// the server (ready keys, publications and keyspace events, key changes
// with their origin), its AOF and its dataset.
type appliedSide struct {
	ready, pubs []string
	watches     originWatches
}

func openRecorded(t *testing.T, side *appliedSide) *FSM {
	t.Helper()
	setting := new(commands.NotifySetting)
	flags, _ := commands.ParseNotifyFlags("KEA")
	setting.Store(flags)
	f, err := Open(Options{Dir: t.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler),
		Notify: setting, Watches: &side.watches,
		OnOrigin: func(run []byte, client int64) { side.watches.origin = fmt.Sprintf("%s/%d", run, client) },
		OnReady: func(keys []commands.ReadyKey) {
			for _, k := range keys {
				side.ready = append(side.ready, fmt.Sprintf("%d:%s", k.DB, k.Key))
			}
		},
		OnPublish: func(pubs []commands.Publication) {
			for i := range pubs {
				side.pubs = append(side.pubs, string(pubs[i].Channel)+"="+string(pubs[i].Message))
				pubs[i].Receivers = 3
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestUnreadRepliesApplyTheSame: entries whose results nobody reads (a
// follower's, ApplyBatchFor) give no Result, and everything else is as
// when they are read: the AOF byte for byte, the dataset, blocked clients'
// wake-ups, publications and keyspace events, tracked key changes with
// their origin. A batch that mixes read and unread entries answers the
// read ones exactly as an FSM answering them all does.
func TestUnreadRepliesApplyTheSame(t *testing.T) {
	origin := AppendOrigin(entryOf(c2("SET", "tracked", "1")), "run-7", 9)
	logs := []*raft.Log{
		{Data: entryOf(c2("SET", "a", "1"), c3("INCR", "n"), c2("SET", "e", "v", "EX", "100"))},
		{Data: entryOf(c2("BLPOP", "q", "0"))}, // parks its client where it is read
		{Data: EncodeBatch([][]byte{
			entryOf(c2("LPUSH", "q", "x", "y"), c2("PUBLISH", "ch", "m")),
			entryOf(c2(".multi", "4"), c2("RPUSH", "q", "z"), c2(".reply", "+PONG\r\n"), c2("LRANGE", "q", "0", "-1"), c2("PUBLISH", "ch", "tx")),
			origin,
			entryOf(inDB(3, c2("ZADD", "z", "1", "m")), c2("SPOP", "noset"), c2("XADD", "s", "1-1", "f", "v")),
			{0xff}, // malformed: skipped, and still counted in order
		})},
		{Data: entryOf(c2("DEL", "a"), c2("LPOP", "q"), c2("INCRBYFLOAT", "f", "1.5"))},
		{Data: []byte("not an entry")},
	}
	var all, none, some appliedSide
	fAll, fNone, fSome := openRecorded(t, &all), openRecorded(t, &none), openRecorded(t, &some)
	now := time.Now() // appended after the FSMs opened: publications go out
	for i, l := range logs {
		l.Index, l.Term, l.Type, l.AppendedAt = uint64(i+1), 1, raft.LogCommand, now
	}
	// Two batches, as Raft may hand them over.
	outAll := append(fAll.ApplyBatchFor(logs[:2], nil), fAll.ApplyBatch(logs[2:])...)
	outNone := append(fNone.ApplyBatchFor(logs[:2], noneReplied), fNone.ApplyBatchFor(logs[2:], noneReplied)...)
	odd := func(l *raft.Log) bool { return l.Index%2 == 1 }
	outSome := append(fSome.ApplyBatchFor(logs[:2], odd), fSome.ApplyBatchFor(logs[2:], odd)...)

	for i, o := range outNone {
		if o != nil {
			t.Errorf("unread entry %d gave a result %#v", i+1, o)
		}
	}
	for i := range logs {
		want, got := replyOf(outAll[i]), replyOf(outSome[i])
		if !odd(logs[i]) {
			want = "<nil>"
		}
		if got != want {
			t.Errorf("entry %d answered %q, want %q", i+1, got, want)
		}
	}
	if r, _ := outAll[1].(*Result); r == nil || r.Block == nil {
		t.Errorf("the blocking entry's read result asks no block: %#v", outAll[1])
	}
	if r := replyOf(outAll[2]); r == "" || r == "<nil>" {
		t.Fatalf("the batch answered nothing")
	}

	for _, c := range []struct {
		name string
		f    *FSM
		side *appliedSide
	}{{"unread", fNone, &none}, {"half read", fSome, &some}} {
		if got, want := incrAOF(t, c.f), incrAOF(t, fAll); got != want {
			t.Errorf("%s: AOF\n%q\nwant\n%q", c.name, got, want)
		}
		if digestOf(c.f) != digestOf(fAll) {
			t.Errorf("%s: the datasets differ", c.name)
		}
		for _, s := range []struct {
			what      string
			got, want []string
		}{
			{"ready keys", c.side.ready, all.ready},
			{"publications", c.side.pubs, all.pubs},
			{"key changes", c.side.watches.touched, all.watches.touched},
		} {
			if join(s.got) != join(s.want) {
				t.Errorf("%s: %s %q, want %q", c.name, s.what, s.got, s.want)
			}
		}
	}
	if len(all.ready) == 0 || len(all.pubs) < 3 || join(all.watches.touched) == "" {
		t.Errorf("the entries told too little to compare: ready %q, publications %q", all.ready, all.pubs)
	}
}

// replyOf flattens what ApplyBatch gave for one log into text.
func replyOf(o any) string {
	switch r := o.(type) {
	case nil:
		return "<nil>"
	case *Result:
		return string(r.Reply)
	case *BatchResult:
		s := ""
		for _, res := range r.Results {
			s += "[" + string(res.Reply) + "]"
		}
		return s
	}
	return fmt.Sprintf("%T", o)
}
