package conffile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`save ""`, []string{"save", ""}, true},
		{`a "b c" 'd e'`, []string{"a", "b c", "d e"}, true},
		{`x "\x41\n\"" 'it\'s'`, []string{"x", "A\n\"", "it's"}, true},
		{`x "unbalanced`, nil, false},
		{`x "a"b`, nil, false},
		{`  spaced   out  `, []string{"spaced", "out"}, true},
	} {
		got, ok := SplitArgs(tc.in)
		if ok != tc.ok || tc.ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if tc.ok {
			for _, a := range got {
				back, _ := SplitArgs(Quote(a))
				if len(back) != 1 || back[0] != a {
					t.Errorf("Quote(%q) does not split back: %q", a, back)
				}
			}
		}
	}
}

func TestRewriteKeepsCommentsAndBlanksOrphans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.conf")
	os.WriteFile(path, []byte("# head\nsave 1 1\nsave 2 2\n\n\nunknown-thing 1\nport 1\n"), 0o600)
	err := Rewrite(path, []Option{
		{Name: "save", Lines: []string{"save 9 9"}},
		{Name: "port", Lines: []string{"port 7"}},
		{Name: "hz", Lines: []string{"hz 10"}, Default: true},
		{Name: "maxmemory", Lines: []string{"maxmemory 1mb"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# head\nsave 9 9\n\nunknown-thing 1\nport 7\n" + Signature + "\nmaxmemory 1mb\n"
	if string(got) != want {
		t.Errorf("rewritten:\n%q\nwant\n%q", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
	}
}
