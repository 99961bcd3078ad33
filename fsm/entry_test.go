package fsm

import (
	"bytes"
	"strings"
	"testing"
)

// An entry built around a big argument in place is the entry Add builds.
func TestEntryAddAround(t *testing.T) {
	const head, tail = 64, 32
	val := strings.Repeat("v", 1000)
	for _, tc := range []struct {
		name   string
		before [][][]byte // commands already in the entry
		args   []string
		big    int
		fits   bool
	}{
		{"last", nil, []string{"SET", "k", val}, 2, true},
		{"middle", nil, []string{"SET", "k", val, "EX", "10"}, 2, true},
		{"first", nil, []string{val, "x"}, 0, true},
		{"after a command", [][][]byte{{[]byte("INCR"), []byte("n")}}, []string{"SET", "k", val}, 2, true},
		{"no room before", nil, []string{"SET", strings.Repeat("k", 60), val}, 2, false},
		{"no room after", nil, []string{"SET", "k", val, strings.Repeat("x", 40)}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := make([]byte, head+len(val)+tail)
			copy(full[head:], val)
			args := make([][]byte, len(tc.args))
			for i, a := range tc.args {
				args[i] = []byte(a)
			}
			args[tc.big] = full[head : head+len(val)]
			var want, got EntryWriter
			want.Reset(1234)
			got.Reset(1234)
			for _, c := range tc.before {
				want.Add(0, 2, c)
				got.Add(0, 2, c)
			}
			want.Add(3, 2, args)
			if ok := got.AddAround(3, 2, args, tc.big, full, head); ok != tc.fits {
				t.Fatalf("AddAround = %v, want %v", ok, tc.fits)
			}
			if !tc.fits {
				return
			}
			if string(args[tc.big]) != val {
				t.Fatal("the argument changed")
			}
			w, g := want.Bytes(), got.Bytes()
			if !bytes.Equal(w, g) {
				t.Fatalf("entry differs:\n got %q\nwant %q", g, w)
			}
			_, cmds, _, _, err := decodeEntry(g, nil, nil)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if a := cmds[len(cmds)-1].Args[tc.big]; &a[0] != &full[head] {
				t.Fatal("the entry is not built around the argument")
			}
		})
	}
}
