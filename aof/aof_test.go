package aof

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/resp"
)

var quiet = slog.New(slog.DiscardHandler)

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func open(t *testing.T, dir string, fsync string) (*AOF, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	a, err := Open(Options{Dir: dir, Fsync: fsync, Logger: slog.New(slog.NewTextHandler(lb, nil))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a, lb
}

// load replays a and returns "SET a 1"-style commands and "#text" notes.
func load(t *testing.T, a *AOF) []string {
	t.Helper()
	out, err := tryLoad(a)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return out
}

func tryLoad(a *AOF) ([]string, error) {
	var out []string
	err := a.Load(func(args [][]byte) error {
		s := make([]string, len(args))
		for i, x := range args {
			s[i] = string(x)
		}
		out = append(out, strings.Join(s, " "))
		return nil
	}, func(text string) { out = append(out, "#"+text) })
	return out, err
}

// batch builds one FSM batch: commands (space-separated strings) and a marker.
func batch(index uint64, cmds ...string) []byte {
	var b []byte
	for _, c := range cmds {
		b = resp.AppendCommand(b, strings.Fields(c)...)
	}
	return AppendMarker(b, index, int64(1700000000000+index))
}

func marker(index uint64) string {
	return "#" + MarkerPrefix + " " + strconv.FormatUint(index, 10) + " " + strconv.FormatInt(int64(1700000000000+index), 10)
}

func mustAppend(t *testing.T, a *AOF, b []byte) {
	t.Helper()
	if err := a.Append(b); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func lastIncrPath(t *testing.T, a *AOF) string {
	t.Helper()
	_, incrs := a.Files()
	return filepath.Join(a.Dir(), incrs[len(incrs)-1])
}

func TestAppendReloadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	a, _ := open(t, dir, FsyncAlways)
	base, incrs := a.Files()
	if base != "appendonly.aof.1.base.aof" || !reflect.DeepEqual(incrs, []string{"appendonly.aof.1.incr.aof"}) {
		t.Fatalf("new AOF files: %q %q", base, incrs)
	}
	man, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	want := "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if string(man) != want {
		t.Fatalf("manifest %q, want %q", man, want)
	}
	mustAppend(t, a, batch(1, "SET a 1", "RPUSH l x y"))
	mustAppend(t, a, batch(2, "SELECT 3", "SET b 2"))
	mustAppend(t, a, []byte("*1\r\n$0\r\n\r\n#note\r\n"+marker(3)[0:]+"\r\n"))
	if b, i := a.Sizes(); b != 0 || i == 0 {
		t.Fatalf("Sizes = %d, %d", b, i)
	}
	_, isz := a.Sizes()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a2, _ := open(t, dir, FsyncEverySec)
	if _, i := a2.Sizes(); i != isz {
		t.Fatalf("incr size after reopen %d, want %d", i, isz)
	}
	got := load(t, a2)
	exp := []string{"SELECT 0", "SET a 1", "RPUSH l x y", marker(1), "SELECT 3", "SET b 2", marker(2), "", "#note", marker(3)}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("replayed\n%q\nwant\n%q", got, exp)
	}
}

func TestArgsAreIndependentSlices(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	mustAppend(t, a, batch(1, "SET key value", "SET k2 v2"))
	a.Close()
	a2, _ := open(t, dir, FsyncNo)
	err := a2.Load(func(args [][]byte) error {
		for i := range args {
			if cap(args[i]) != len(args[i]) {
				t.Errorf("arg %q has spare capacity %d", args[i], cap(args[i]))
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An error from fn stops Load and is wrapped.
	sentinel := errors.New("boom")
	err = a2.Load(func(args [][]byte) error {
		if string(args[0]) == "SET" {
			return sentinel
		}
		return nil
	}, nil)
	if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Fatalf("Load error = %v", err)
	}
}

func TestAppendRequiresLoad(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	mustAppend(t, a, batch(1, "SET a 1"))
	a.Close()
	a2, _ := open(t, dir, FsyncNo)
	if err := a2.Append(batch(2, "SET b 2")); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("Append before Load = %v, want ErrNotLoaded", err)
	}
	if _, err := a2.StartRewrite(); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("StartRewrite before Load = %v, want ErrNotLoaded", err)
	}
	load(t, a2)
	mustAppend(t, a2, batch(2, "SET b 2"))
	a2.Close()
	if err := a2.Append(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
}

func TestTruncatedTail(t *testing.T) {
	complete := append(batch(1, "SET a 1"), batch(2, "SET b 2", "SET c 3")...)
	next := batch(3, "SET d 4", "RPUSH l 1 2 3")
	cases := map[string][]byte{
		"torn record":         next[:len(next)/2],
		"torn after header":   next[:2],
		"no marker":           resp.AppendCommand(nil, "SET d 4"),
		"torn marker":         next[:len(next)-3],
		"only annotation":     []byte("#something\r\n"),
		"torn annotation":     []byte("#somethi"),
		"zero tail":           make([]byte, 4096),
		"command + zero tail": append(resp.AppendCommand(nil, "SET d 4"), make([]byte, 100)...),
		"partial + zero tail": append(next[:10:10], make([]byte, 100)...),
	}
	for name, tail := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a, _ := open(t, dir, FsyncNo)
			mustAppend(t, a, complete)
			path := lastIncrPath(t, a)
			a.Close()
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(tail)
			f.Close()

			a2, logs := open(t, dir, FsyncNo)
			got := load(t, a2)
			exp := []string{"SELECT 0", "SET a 1", marker(1), "SET b 2", "SET c 3", marker(2)}
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("replayed\n%q\nwant\n%q", got, exp)
			}
			wantLog := "AOF appendonly.aof.1.incr.aof loaded anyway: incomplete last batch, truncated at offset " + strconv.Itoa(len(complete))
			if !strings.Contains(logs.String(), wantLog) || !strings.Contains(logs.String(), "level=WARN") {
				t.Fatalf("log lacks %q:\n%s", wantLog, logs)
			}
			st, _ := os.Stat(path)
			if st.Size() != int64(len(complete)) {
				t.Fatalf("file size %d after repair, want %d", st.Size(), len(complete))
			}
			if _, i := a2.Sizes(); i != int64(len(complete)) {
				t.Fatalf("Sizes incr %d, want %d", i, len(complete))
			}
			mustAppend(t, a2, next)
			a2.Close()
			a3, logs3 := open(t, dir, FsyncNo)
			got = load(t, a3)
			exp = append(exp, "SET d 4", "RPUSH l 1 2 3", marker(3))
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("after repair and append replayed\n%q\nwant\n%q", got, exp)
			}
			if strings.Contains(logs3.String(), "truncated") {
				t.Fatalf("second load truncated again:\n%s", logs3)
			}
		})
	}
}

func TestTruncatedTailOnlyBatchInFile(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	b := batch(1, "SET a 1")
	mustAppend(t, a, b[:len(b)-1])
	a.Close()
	a2, logs := open(t, dir, FsyncNo)
	if got := load(t, a2); len(got) != 0 {
		t.Fatalf("replayed %q", got)
	}
	if !strings.Contains(logs.String(), "truncated at offset 0") {
		t.Fatalf("logs:\n%s", logs)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionInTheMiddle(t *testing.T) {
	b1 := batch(1, "SET a 1")
	b2 := batch(2, "SET b 2")
	b3 := batch(3, "SET c 3")
	type tc struct {
		data    []byte
		offset  int
		replays []string // what fn saw before the error
	}
	bad := func(b []byte, i int, c byte) []byte {
		b = append([]byte(nil), b...)
		b[i] = c
		return b
	}
	cases := map[string]tc{
		"bad type byte":     {data: concat(b1, bad(b2, 0, '?'), b3), offset: len(b1)},
		"bad bulk prefix":   {data: concat(b1, bad(b2, 4, '%'), b3), offset: len(b1) + 4},
		"bad bulk length":   {data: concat(b1, bad(b2, 5, 'x'), b3), offset: len(b1) + 4},
		"missing CRLF":      {data: concat(b1, bad(b2, 12, 'X'), b3), offset: len(b1) + 11},
		"zero args":         {data: concat(b1, []byte("*0\r\n"), b2, b3), offset: len(b1)},
		"negative count":    {data: concat(b1, []byte("*-1\r\n"), b2, b3), offset: len(b1)},
		"empty line":        {data: concat(b1, []byte("\r\n"), b2, b3), offset: len(b1)},
		"huge bulk length":  {data: concat(b1, []byte("*1\r\n$99999999999\r\n"), b2, b3), offset: len(b1) + 4},
		"long annotation":   {data: concat(b1, []byte("#"+strings.Repeat("x", 1021)+"\r\n"), b2, b3), offset: len(b1)},
		"first batch error": {data: concat(bad(b1, 0, 'X'), b2, b3), offset: 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a, _ := open(t, dir, FsyncNo)
			path := lastIncrPath(t, a)
			a.Close()
			writeFile(t, path, c.data)
			a2, _ := open(t, dir, FsyncNo)
			got, err := tryLoad(a2)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Load error = %v, want *CorruptError", err)
			}
			if ce.File != "appendonly.aof.1.incr.aof" || ce.Offset != int64(c.offset) {
				t.Fatalf("error %v: file %q offset %d, want offset %d", err, ce.File, ce.Offset, c.offset)
			}
			msg := err.Error()
			if !strings.Contains(msg, "appendonly.aof.1.incr.aof") || !strings.Contains(msg, "offset "+strconv.Itoa(c.offset)) {
				t.Fatalf("message %q lacks file/offset", msg)
			}
			for _, g := range got {
				if g == "SET b 2" || g == "SET c 3" {
					t.Fatalf("replayed past the corruption: %q", got)
				}
			}
			st, _ := os.Stat(path)
			if st.Size() != int64(len(c.data)) {
				t.Fatalf("corrupt file was modified: size %d, want %d", st.Size(), len(c.data))
			}
			if err := a2.Append(b3); !errors.Is(err, ErrNotLoaded) {
				t.Fatalf("Append after failed Load = %v", err)
			}
		})
	}
}

func concat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestCorruptionInEarlierFiles(t *testing.T) {
	setup := func(t *testing.T) (string, *AOF) {
		dir := t.TempDir()
		a, _ := open(t, dir, FsyncNo)
		mustAppend(t, a, batch(1, "SET a 1"))
		rw, err := a.StartRewrite()
		if err != nil {
			t.Fatal(err)
		}
		rw.Abort() // now two incr files
		mustAppend(t, a, batch(2, "SET b 2"))
		return dir, a
	}
	t.Run("torn non-last incr", func(t *testing.T) {
		dir, a := setup(t)
		a.Close()
		p := filepath.Join(dir, "appendonly.aof.1.incr.aof")
		data, _ := os.ReadFile(p)
		writeFile(t, p, data[:len(data)-4])
		a2, _ := open(t, dir, FsyncNo)
		_, err := tryLoad(a2)
		var ce *CorruptError
		markerStart := int64(len(data) - len(marker(1)) - 2)
		if !errors.As(err, &ce) || ce.File != "appendonly.aof.1.incr.aof" || ce.Offset != markerStart || !ce.Truncated {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("complete commands without marker in non-last incr", func(t *testing.T) {
		dir, a := setup(t)
		a.Close()
		p := filepath.Join(dir, "appendonly.aof.1.incr.aof")
		data, _ := os.ReadFile(p)
		writeFile(t, p, resp.AppendCommand(data, "SET x y"))
		a2, _ := open(t, dir, FsyncNo)
		_, err := tryLoad(a2)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != "appendonly.aof.1.incr.aof" || ce.Offset != int64(len(data)) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("torn base", func(t *testing.T) {
		dir, a := setup(t)
		a.Close()
		writeFile(t, filepath.Join(dir, "appendonly.aof.1.base.aof"), []byte("*2\r\n$3\r\nGET\r\n"))
		a2, _ := open(t, dir, FsyncNo)
		_, err := tryLoad(a2)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != "appendonly.aof.1.base.aof" || !ce.Truncated {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("rdb base", func(t *testing.T) {
		dir, a := setup(t)
		a.Close()
		writeFile(t, filepath.Join(dir, "appendonly.aof.1.base.aof"), []byte("REDIS0010...."))
		a2, _ := open(t, dir, FsyncNo)
		if _, err := tryLoad(a2); err == nil || !strings.Contains(err.Error(), "RDB") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		dir, a := setup(t)
		if err := os.Remove(filepath.Join(dir, "appendonly.aof.1.incr.aof")); err != nil {
			t.Fatal(err)
		}
		_, err := tryLoad(a)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
			t.Fatalf("Load err = %v", err)
		}
		a.Close()
		_, err = Open(Options{Dir: dir, Logger: quiet})
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
			t.Fatalf("Open err = %v", err)
		}
	})
}

func TestRewriteWhileAppending(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncEverySec)
	for i := uint64(1); i <= 50; i++ {
		mustAppend(t, a, batch(i, "SET k"+strconv.FormatUint(i, 10)+" v"))
	}
	rw, err := a.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartRewrite(); !errors.Is(err, ErrRewriteInProgress) {
		t.Fatalf("second StartRewrite = %v", err)
	}
	if !a.RewriteInProgress() {
		t.Fatal("RewriteInProgress false")
	}
	// During the rewrite the manifest already lists the new incr file.
	base, incrs := a.Files()
	if base != "appendonly.aof.1.base.aof" || !reflect.DeepEqual(incrs, []string{"appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"}) {
		t.Fatalf("files during rewrite: %q %q", base, incrs)
	}
	// Appends continue concurrently with writing the base.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(51); i <= 100; i++ {
			if err := a.Append(batch(i, "SELECT 0", "SET k"+strconv.FormatUint(i, 10)+" v")); err != nil {
				t.Errorf("Append: %v", err)
				return
			}
		}
	}()
	hdr, _ := AppendAnnotation(nil, "geomys:base 50")
	rw.Write(hdr)
	for i := 1; i <= 50; i++ {
		if _, err := rw.Write(resp.AppendCommand(nil, "SET", "k"+strconv.Itoa(i), "v")); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err == nil {
		t.Fatal("second Commit succeeded")
	}
	for i := uint64(101); i <= 110; i++ {
		mustAppend(t, a, batch(i, "SET k"+strconv.FormatUint(i, 10)+" v"))
	}
	base, incrs = a.Files()
	if base != "appendonly.aof.2.base.aof" || !reflect.DeepEqual(incrs, []string{"appendonly.aof.2.incr.aof"}) {
		t.Fatalf("files after rewrite: %q %q", base, incrs)
	}
	man, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	if string(man) != "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest %q", man)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"}) {
		t.Fatalf("dir holds %q", names)
	}
	bsz, isz := a.Sizes()
	st1, _ := os.Stat(filepath.Join(dir, base))
	st2, _ := os.Stat(filepath.Join(dir, incrs[0]))
	if bsz != st1.Size() || isz != st2.Size() {
		t.Fatalf("Sizes %d %d, files %d %d", bsz, isz, st1.Size(), st2.Size())
	}
	a.Close()

	a2, _ := open(t, dir, FsyncEverySec)
	got := load(t, a2)
	sets := map[string]bool{}
	for _, g := range got {
		if strings.HasPrefix(g, "SET ") {
			sets[strings.Fields(g)[1]] = true
		}
	}
	for i := 1; i <= 110; i++ {
		if !sets["k"+strconv.Itoa(i)] {
			t.Fatalf("k%d missing after reload", i)
		}
	}
	if got[0] != "SELECT 0" || got[1] != "#geomys:base 50" {
		t.Fatalf("replay starts with %q", got[:2])
	}
}

func TestRewriteAbortKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	mustAppend(t, a, batch(1, "SET a 1"))
	rw, err := a.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	rw.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	mustAppend(t, a, batch(2, "SET b 2"))
	rw.Abort()
	rw.Abort()
	if a.RewriteInProgress() {
		t.Fatal("still in progress")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "temp-") {
			t.Fatalf("temp file %s left", e.Name())
		}
	}
	a.Close()
	a2, _ := open(t, dir, FsyncNo)
	got := load(t, a2)
	exp := []string{"SELECT 0", "SET a 1", marker(1), "SELECT 0", "SET b 2", marker(2)}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("replayed %q, want %q", got, exp)
	}
	// A later rewrite folds both incr files into the base.
	rw, err = a2.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(resp.AppendCommand(nil, "SET", "a", "1"))
	rw.Write(resp.AppendCommand(nil, "SET", "b", "2"))
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	base, incrs := a2.Files()
	if base != "appendonly.aof.2.base.aof" || !reflect.DeepEqual(incrs, []string{"appendonly.aof.3.incr.aof"}) {
		t.Fatalf("files %q %q", base, incrs)
	}
	for _, n := range []string{"appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"} {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s not removed: %v", n, err)
		}
	}
}

func TestInstallBaseAndOpenBase(t *testing.T) {
	leaderDir, followerDir := t.TempDir(), t.TempDir()
	leader, _ := open(t, leaderDir, FsyncNo)
	mustAppend(t, leader, batch(1, "SET a 1"))
	rw, err := leader.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	snap := concat([]byte("#geomys:snapshot 1\r\n"), resp.AppendCommand(nil, "SET", "a", "1"), []byte("#geomys:snapshot-end\r\n"))
	rw.Write(snap)
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}
	rc, size, err := leader.OpenBase()
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(snap)) {
		t.Fatalf("OpenBase size %d, want %d", size, len(snap))
	}
	// A rewrite after OpenBase does not disturb the open reader.
	rw2, _ := leader.StartRewrite()
	rw2.Write([]byte("*1\r\n$4\r\nPING\r\n"))
	if err := rw2.Commit(); err != nil {
		t.Fatal(err)
	}

	follower, _ := open(t, followerDir, FsyncNo)
	mustAppend(t, follower, batch(7, "SET old 1"))
	frw, err := follower.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	if err := follower.InstallBase(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if err := frw.Commit(); !errors.Is(err, ErrRewriteCanceled) {
		t.Fatalf("Commit of canceled rewrite = %v", err)
	}
	base, incrs := follower.Files()
	if base != "appendonly.aof.2.base.aof" || !reflect.DeepEqual(incrs, []string{"appendonly.aof.3.incr.aof"}) {
		t.Fatalf("files %q %q", base, incrs)
	}
	ents, _ := os.ReadDir(followerDir)
	if len(ents) != 3 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("follower dir holds %q", names)
	}
	if b, i := follower.Sizes(); b != int64(len(snap)) || i != 0 {
		t.Fatalf("Sizes %d %d", b, i)
	}
	mustAppend(t, follower, batch(2, "SET c 3"))
	follower.Close()
	f2, _ := open(t, followerDir, FsyncNo)
	got := load(t, f2)
	exp := []string{"SELECT 0", "#geomys:snapshot 1", "SET a 1", "#geomys:snapshot-end", "SELECT 0", "SET c 3", marker(2)}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("replayed %q, want %q", got, exp)
	}
	// The base read back is byte-identical.
	rc, _, err = f2.OpenBase()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(data, snap) {
		t.Fatalf("base %q", data)
	}
}

// TestSetFsync: the policy changes for the appends that follow; data left
// unsynced under "no" is fsynced once the policy is everysec.
func TestSetFsync(t *testing.T) {
	a, err := Open(Options{Dir: t.TempDir(), Fsync: FsyncNo, SyncInterval: 10 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dirty := func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.dirty
	}
	mustAppend(t, a, batch(1, "SET a 1"))
	time.Sleep(50 * time.Millisecond)
	if !dirty() {
		t.Fatal("no: something fsynced")
	}
	if err := a.SetFsync("sometimes"); err == nil || a.Fsync() != FsyncNo {
		t.Fatalf("SetFsync(sometimes) = %v, policy now %q", err, a.Fsync())
	}
	if err := a.SetFsync(FsyncEverySec); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for dirty() {
		if time.Now().After(deadline) {
			t.Fatal("everysec after no: the earlier write was never fsynced")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.SetFsync(FsyncAlways); err != nil {
		t.Fatal(err)
	}
	a.syncMu.Lock() // a background fsync that cleared dirty has finished
	before := a.FsyncLatency().Count
	a.syncMu.Unlock()
	mustAppend(t, a, batch(2, "SET b 2"))
	if dirty() || a.FsyncLatency().Count != before+1 {
		t.Fatalf("always: dirty %v, %d fsyncs in Append", dirty(), a.FsyncLatency().Count-before)
	}
}

func TestFsyncModes(t *testing.T) {
	if _, err := Open(Options{Dir: t.TempDir(), Fsync: "sometimes", Logger: quiet}); err == nil {
		t.Fatal("invalid fsync policy accepted")
	}
	for _, mode := range []string{FsyncAlways, FsyncEverySec, FsyncNo, ""} {
		t.Run("mode="+mode, func(t *testing.T) {
			dir := t.TempDir()
			a, err := Open(Options{Dir: dir, Fsync: mode, SyncInterval: 10 * time.Millisecond, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if mode == "" && a.Fsync() != FsyncEverySec {
				t.Fatalf("default policy %q", a.Fsync())
			}
			mustAppend(t, a, batch(1, "SET a 1"))
			a.mu.Lock()
			dirty := a.dirty
			a.mu.Unlock()
			switch a.Fsync() {
			case FsyncAlways:
				if dirty {
					t.Fatal("always: data not synced in Append")
				}
			case FsyncNo:
				if !dirty {
					t.Fatal("no: expected dirty data")
				}
				time.Sleep(50 * time.Millisecond)
				a.mu.Lock()
				dirty = a.dirty
				a.mu.Unlock()
				if !dirty {
					t.Fatal("no: something fsynced")
				}
				if err := a.Sync(); err != nil {
					t.Fatal(err)
				}
			case FsyncEverySec:
				deadline := time.Now().Add(5 * time.Second)
				for {
					a.mu.Lock()
					dirty = a.dirty
					a.mu.Unlock()
					if !dirty {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("everysec: background fsync did not happen")
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if a.done != nil {
				select {
				case <-a.done:
				default:
					t.Fatal("goroutine still running after Close")
				}
			}
		})
	}
}

func TestEverysecConcurrentAppendsAndRewrites(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(Options{Dir: dir, Fsync: FsyncEverySec, SyncInterval: time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			a.Sizes()
			if err := a.Sync(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := uint64(1); i <= 300; i++ {
		mustAppend(t, a, batch(i, "SET k v"))
		if i%50 == 25 {
			rw, err := a.StartRewrite()
			if err != nil {
				t.Fatal(err)
			}
			rw.Write(resp.AppendCommand(nil, "SET", "k", "v"))
			if err := rw.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(stop)
	wg.Wait()
	a.Close()
	a2, _ := open(t, dir, FsyncNo)
	got := load(t, a2)
	if got[len(got)-1] != marker(300) {
		t.Fatalf("last record %q", got[len(got)-1])
	}
}

func TestManifestParsing(t *testing.T) {
	ok := "# comment\nfile appendonly.aof.3.base.aof seq 3 type b future value\n" +
		"file appendonly.aof.2.incr.aof seq 2 type h\n" +
		"FILE appendonly.aof.4.incr.aof SEQ 4 TYPE i\nfile appendonly.aof.6.incr.aof seq 6 type i\n"
	m, err := parseManifest([]byte(ok), "m")
	if err != nil {
		t.Fatal(err)
	}
	if m.base.name != "appendonly.aof.3.base.aof" || m.baseSeq != 3 || m.incrSeq != 6 || len(m.incrs) != 2 || len(m.history) != 1 {
		t.Fatalf("parsed %+v", m)
	}
	if got := string(m.encode()); got != "file appendonly.aof.3.base.aof seq 3 type b\nfile appendonly.aof.2.incr.aof seq 2 type h\nfile appendonly.aof.4.incr.aof seq 4 type i\nfile appendonly.aof.6.incr.aof seq 6 type i\n" {
		t.Fatalf("encoded %q", got)
	}
	bad := map[string]string{
		"empty":          "",
		"odd tokens":     "file a seq 1 type b x\n",
		"few tokens":     "file a seq 1\n",
		"missing seq":    "file a sequence 1 type b\n",
		"path":           "file ../a seq 1 type b\n",
		"dup base":       "file a seq 1 type b\nfile b seq 2 type b\n",
		"non-monotonic":  "file a seq 2 type i\nfile b seq 2 type i\n",
		"unknown type":   "file a seq 1 type x\n",
		"blank line":     "file a seq 1 type b\n\n",
		"no newline":     "file a seq 1 type b",
		"long line":      "file a seq 1 type b k " + strings.Repeat("v", 1024) + "\n",
		"zero seq":       "file a seq 0 type b\n",
		"quoted name":    "file \"a b\" seq 1 type b\n",
		"non-numeric sq": "file a seq x type b\n",
	}
	for name, s := range bad {
		if _, err := parseManifest([]byte(s), "m"); err == nil {
			t.Errorf("%s: accepted %q", name, s)
		}
	}
}

func TestOpenHousekeeping(t *testing.T) {
	dir := t.TempDir()
	// A manifest as redis-server leaves it, with a history entry and no
	// base, plus leftovers.
	writeFile(t, filepath.Join(dir, "appendonly.aof.manifest"), []byte(
		"file appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n"))
	writeFile(t, filepath.Join(dir, "appendonly.aof.1.incr.aof"), batch(1, "SET old 1"))
	writeFile(t, filepath.Join(dir, "appendonly.aof.2.incr.aof"), batch(2, "SET a 1"))
	writeFile(t, filepath.Join(dir, "appendonly.aof.9.base.aof"), []byte("junk"))
	writeFile(t, filepath.Join(dir, "temp-rewriteaof-123.aof"), []byte("junk"))
	writeFile(t, filepath.Join(dir, "unrelated.txt"), []byte("keep"))
	a, _ := open(t, dir, FsyncNo)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"appendonly.aof.2.incr.aof", "appendonly.aof.manifest", "unrelated.txt"}) {
		t.Fatalf("dir holds %q", names)
	}
	man, _ := os.ReadFile(filepath.Join(dir, "appendonly.aof.manifest"))
	if string(man) != "file appendonly.aof.2.incr.aof seq 2 type i\n" {
		t.Fatalf("manifest %q", man)
	}
	if got := load(t, a); !reflect.DeepEqual(got, []string{"SELECT 0", "SET a 1", marker(2)}) {
		t.Fatalf("replayed %q", got)
	}
	rc, n, err := a.OpenBase()
	if err != nil || n != 0 {
		t.Fatalf("OpenBase without base: %d %v", n, err)
	}
	rc.Close()

	// Non-empty AOF files but no manifest: refuse.
	dir2 := t.TempDir()
	writeFile(t, filepath.Join(dir2, "appendonly.aof.1.incr.aof"), batch(1, "SET a 1"))
	if _, err := Open(Options{Dir: dir2, Logger: quiet}); err == nil || !strings.Contains(err.Error(), "no manifest") {
		t.Fatalf("Open without manifest = %v", err)
	}
	// Custom name.
	dir3 := t.TempDir()
	a3, err := Open(Options{Dir: dir3, Name: "geo.aof", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	base, incrs := a3.Files()
	a3.Close()
	if base != "geo.aof.1.base.aof" || incrs[0] != "geo.aof.1.incr.aof" {
		t.Fatalf("files %q %q", base, incrs)
	}
	if _, err := os.Stat(filepath.Join(dir3, "geo.aof.manifest")); err != nil {
		t.Fatal(err)
	}
}

func TestHelpers(t *testing.T) {
	if _, err := AppendAnnotation(nil, strings.Repeat("x", MaxAnnotationLen)); err != nil {
		t.Fatal(err)
	}
	if _, err := AppendAnnotation(nil, strings.Repeat("x", MaxAnnotationLen+1)); !errors.Is(err, ErrBadAnnotation) {
		t.Fatal("long annotation accepted")
	}
	if _, err := AppendAnnotation(nil, "a\nb"); !errors.Is(err, ErrBadAnnotation) {
		t.Fatal("newline accepted")
	}
	m := AppendMarker(nil, 42, 1700000000123)
	if string(m) != "#geomys:applied 42 1700000000123\r\n" {
		t.Fatalf("marker %q", m)
	}
	i, ts, ok := ParseMarker(string(m[1 : len(m)-2]))
	if !ok || i != 42 || ts != 1700000000123 {
		t.Fatalf("ParseMarker = %d %d %v", i, ts, ok)
	}
	if IsMarker("geomys:appliedX 1 2") || !IsMarker("geomys:applied 1 2") {
		t.Fatal("IsMarker")
	}
	if _, _, ok := ParseMarker("geomys:applied x"); ok {
		t.Fatal("ParseMarker accepted garbage")
	}
	if got := string(resp.AppendCommand(nil, []byte("SET"), []byte(""), []byte("v\r\n"))); got != "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$3\r\nv\r\n\r\n" {
		t.Fatalf("AppendCommand %q", got)
	}
}

// FuzzReader checks that arbitrary input never panics and that errors carry
// an in-range offset.
func FuzzReader(f *testing.F) {
	f.Add(batch(1, "SET a 1"))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1"))
	f.Add([]byte("#x\n*1\r\n$0\r\n\r\n"))
	f.Add([]byte("*99999999\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(bytes.NewReader(data), "f", int64(len(data)), 1000, 1<<20)
		var ab argBuf
		for {
			ab.reset()
			_, _, _, err := r.next(&ab)
			if err == io.EOF {
				return
			}
			if err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Offset < 0 || ce.Offset > int64(len(data)) {
					t.Fatalf("bad error %v", err)
				}
				return
			}
		}
	})
}

func TestCloseCancelsRewrite(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	mustAppend(t, a, batch(1, "SET a 1"))
	rw, err := a.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	rw.Write(resp.AppendCommand(nil, "SET", "a", "1"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); !errors.Is(err, ErrRewriteCanceled) {
		t.Fatalf("Commit after Close = %v", err)
	}
	a2, _ := open(t, dir, FsyncNo)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "temp-") {
			t.Fatalf("temp file %s left", e.Name())
		}
	}
	got := load(t, a2)
	if !reflect.DeepEqual(got, []string{"SELECT 0", "SET a 1", marker(1)}) {
		t.Fatalf("replayed %q", got)
	}
}

func TestAppendWriteErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	a, _ := open(t, dir, FsyncNo)
	mustAppend(t, a, batch(1, "SET a 1"))
	a.mu.Lock()
	a.f.Close() // make the next write fail
	a.mu.Unlock()
	if err := a.Append(batch(2, "SET b 2")); err == nil || !strings.Contains(err.Error(), "appendonly.aof.1.incr.aof") {
		t.Fatalf("Append on a closed file = %v", err)
	}
	if _, i := a.Sizes(); i != int64(len(batch(1, "SET a 1"))) {
		t.Fatalf("incr size %d after failed write", i)
	}
}
