package fsm

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

func entryAt(ms int64, args ...[][]byte) []byte {
	var w EntryWriter
	w.Reset(ms)
	for _, a := range args {
		w.Add(0, 2, a)
	}
	return append([]byte(nil), w.Bytes()...)
}

// TestNotifyEvents: keyspace events come out with the batch's publications,
// in log order, for the classes the setting selects when each entry is
// applied; a key found expired by a write and one deleted by the leader's
// .expire entry are both announced as "expired"; a PUBLISH among events
// still gets its own receiver count.
func TestNotifyEvents(t *testing.T) {
	var got []string
	var setting commands.NotifySetting
	f, err := Open(Options{Dir: t.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler), Notify: &setting,
		OnPublish: func(pubs []commands.Publication) {
			for i := range pubs {
				got = append(got, string(pubs[i].Channel)+"="+string(pubs[i].Message))
				pubs[i].Receivers = 7
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t0 := time.Now().UnixMilli()
	apply := func(index uint64, ms int64, args ...[][]byte) *Result {
		out := f.ApplyBatch([]*raft.Log{{Index: index, Type: raft.LogCommand, AppendedAt: time.Now(), Data: entryAt(ms, args...)}})
		return out[0].(*Result)
	}

	apply(1, t0, bs("SET", "off", "v")) // setting empty: nothing
	flags, _ := commands.ParseNotifyFlags("Eg$x")
	setting.Store(flags)
	apply(2, t0, bs("SET", "lazy", "v", "PXAT", itoa(t0+10)), bs("SET", "active", "v", "PXAT", itoa(t0+10)))
	r := apply(3, t0+20, bs("APPEND", "lazy", "x"), bs("PUBLISH", "ch", "m"), bs(ExpireCommand, "active"))
	want := []string{
		"__keyevent@0__:set=lazy", "__keyevent@0__:expire=lazy",
		"__keyevent@0__:set=active", "__keyevent@0__:expire=active",
		"__keyevent@0__:expired=lazy", "__keyevent@0__:append=lazy",
		"ch=m",
		"__keyevent@0__:expired=active",
	}
	if join(got) != join(want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	if want := ":1\r\n:7\r\n:0\r\n"; string(r.Reply) != want {
		t.Errorf("replies %q, want %q (PUBLISH counts its own receivers)", r.Reply, want)
	}

	got = nil
	flags, _ = commands.ParseNotifyFlags("g$") // no K or E: nothing is published
	setting.Store(flags)
	apply(4, t0+30, bs("SET", "k", "v"), bs("DEL", "k"))
	if len(got) != 0 {
		t.Errorf("published %q without K or E", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
