package fsm

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// originWatches records each key change with the origin OnOrigin reported
// at that moment, as the server's tracking hook sees them.
type originWatches struct {
	origin  string
	touched []string
}

func (w *originWatches) Active() bool { return true }
func (w *originWatches) Touch(db int, key string, all bool) {
	w.touched = append(w.touched, key+"@"+w.origin)
}
func (w *originWatches) Deleted(db int, key string) { w.Touch(db, key, false) }
func (w *originWatches) Replaced([]int, func(int, string) bool, func(int, string) commands.KeyState) {
}

// TestEntryOrigin (the first touch is the load's, of every key): an entry's origin trailer reaches OnOrigin before its
// commands run and is cleared after them, also within a batch, and changes
// nothing else: the same replies, AOF and dataset as without it. The trailer
// follows the commands, so a decoder that stops after them (every earlier
// version) reads the same entry.
func TestEntryOrigin(t *testing.T) {
	plain := entryOf(c2("SET", "a", "1"), c2("INCR", "n"))
	stamped := AppendOrigin(append([]byte(nil), plain...), "run-1", 42)
	if !bytes.HasPrefix(stamped, plain) {
		t.Fatal("the origin trailer is not after the commands")
	}
	_, cmds, _, tail, err := decodeEntry(stamped, nil, nil)
	if err != nil || len(cmds) != 2 || string(cmds[1].Args[0]) != "INCR" {
		t.Fatalf("decode a stamped entry: %v %v", cmds, err)
	}
	if tr := parseTrailers(tail); !tr.hasOrigin || string(tr.run) != "run-1" || tr.client != 42 {
		t.Fatalf("origin = %q %d %v", tr.run, tr.client, tr.hasOrigin)
	}
	for _, bad := range [][]byte{nil, {'O'}, {'O', 9, 'x'}, {'X', 1, 'r', 1}} {
		if tr := parseTrailers(bad); tr.hasOrigin {
			t.Errorf("parseTrailers(%q) accepted a malformed origin trailer", bad)
		}
	}
	// The stream node trailer, before or after the origin's.
	lim := commands.StreamNodeLimits{Entries: 10, Bytes: 0}
	for _, e := range [][]byte{
		AppendOrigin(AppendStreamNode(append([]byte(nil), plain...), lim), "run-1", 42),
		AppendStreamNode(AppendOrigin(append([]byte(nil), plain...), "run-1", 42), lim),
	} {
		_, _, _, tail, _ := decodeEntry(e, nil, nil)
		if tr := parseTrailers(tail); !tr.hasOrigin || tr.client != 42 || tr.streamNode != lim {
			t.Errorf("trailers = %+v", tr)
		}
	}
	if e := AppendStreamNode(append([]byte(nil), plain...), commands.DefaultStreamNodeLimits); !bytes.Equal(e, plain) {
		t.Error("the default stream node limits made a trailer")
	}

	run := func(entries ...[]byte) (string, []string, string, [20]byte) {
		w := &originWatches{}
		f, err := Open(Options{Dir: t.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler), Watches: w,
			OnOrigin: func(run []byte, client int64) {
				w.origin = ""
				if run != nil {
					w.origin = string(run) + "/" + itoa(client)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out := f.ApplyBatch([]*raft.Log{{Index: 1, Type: raft.LogCommand, Data: entries[0]}})
		replies := string(out[0].(*Result).Reply)
		if len(entries) > 1 {
			out = f.ApplyBatch([]*raft.Log{{Index: 2, Type: raft.LogCommand, Data: EncodeBatch(entries[1:])}})
			for _, r := range out[0].(*BatchResult).Results {
				replies += string(r.Reply)
			}
		}
		if w.origin != "" {
			t.Errorf("origin %q still set after the batch", w.origin)
		}
		return replies, w.touched, incrAOF(t, f), digestOf(f)
	}
	other := entryOf(c2("SET", "b", "2"))
	rPlain, tPlain, aofPlain, dPlain := run(plain, other, plain)
	rStamped, tStamped, aofStamped, dStamped := run(stamped, other, AppendOrigin(append([]byte(nil), plain...), "run-2", 7))
	if rPlain != rStamped || aofPlain != aofStamped || dPlain != dStamped {
		t.Errorf("the origin changed the outcome:\nreplies %q / %q\naof %q / %q", rPlain, rStamped, aofPlain, aofStamped)
	}
	if want := "@ a@ n@ b@ a@ n@"; strings.Join(tPlain, " ") != want {
		t.Errorf("touches without origin = %q, want %q", tPlain, want)
	}
	if want := "@ a@run-1/42 n@run-1/42 b@ a@run-2/7 n@run-2/7"; strings.Join(tStamped, " ") != want {
		t.Errorf("touches with origins = %q, want %q", tStamped, want)
	}
}

// BenchmarkApplyOrigin is the cost of the origin trailer when applying a
// one-command entry: none for an entry without it (every entry but a
// NOLOOP client's), and the OnOrigin calls for one with it.
func BenchmarkApplyOrigin(b *testing.B) {
	plain := entryOf(c2("SET", "k", "v"))
	for _, bc := range []struct {
		name  string
		entry []byte
	}{{"plain", plain}, {"origin", AppendOrigin(append([]byte(nil), plain...), "0123456789abcdef0123456789abcdef01234567", 1234)}} {
		b.Run(bc.name, func(b *testing.B) {
			var origin int64
			f, err := Open(Options{Dir: b.TempDir(), Fsync: "no", Logger: slog.New(slog.DiscardHandler),
				OnOrigin: func(_ []byte, client int64) { origin = client }})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			b.SetBytes(int64(len(bc.entry)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				f.applyEntry(bc.entry, uint64(i+1), 1, 0, true).Release()
			}
			_ = origin
		})
	}
}
