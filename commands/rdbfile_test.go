package commands

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/rdb"
)

// TestAppendRDBRoundTrip reads the file AppendRDB writes back through
// rdb.ReadFile: every key comes back in its db, with its expiry, and with a
// value that DUMP's loader restores to the same contents.
func TestAppendRDBRoundTrip(t *testing.T) {
	h := newHarness(t)
	h.do("set", "str", "hello")
	h.do("pexpireat", "str", strconv.FormatInt(h.now+60_000, 10))
	h.do("set", "num", "12345")
	h.do("set", "long", strings.Repeat("abc", 100))
	h.do("rpush", "list", "a", "b", "3")
	h.do("sadd", "ints", "1", "2", "3")
	h.do("sadd", "strs", "x", "y")
	h.do("hset", "hash", "f", "v", "g", "w")
	h.do("zadd", "zset", "1.5", "m", "2", "n")
	h.do("xadd", "stream", "1-1", "f", "v")
	h.db = 3
	h.do("set", "other", "db3")

	file, cmds := h.store.AppendRDB(nil, [][2]string{{"redis-ver", "7.2.4"}, {"redis-bits", "64"}}, nil)
	if !bytes.HasPrefix(file, []byte("REDIS0010")) {
		t.Fatalf("header %q", file[:9])
	}
	got := map[string]rdb.Record{}
	rest, err := rdb.ReadFile(file, func(r rdb.Record) error {
		got[strconv.Itoa(r.DB)+"/"+r.Key] = r
		return nil
	})
	if err != nil || len(rest) != 0 {
		t.Fatalf("ReadFile: rest %d bytes, err %v", len(rest), err)
	}
	want := []string{"0/str", "0/num", "0/long", "0/list", "0/ints", "0/strs", "0/hash", "0/zset", "3/other"}
	if len(got) != len(want) {
		t.Fatalf("read %d keys, want %d", len(got), len(want))
	}
	for _, name := range want {
		r, ok := got[name]
		if !ok {
			t.Fatalf("key %s missing", name)
		}
		db, key, _ := strings.Cut(name, "/")
		n, _ := strconv.Atoi(db)
		v, at, _ := h.store.DBs[n].Peek(key)
		if r.ExpireMs != at {
			t.Fatalf("%s: expiry %d, want %d", name, r.ExpireMs, at)
		}
		payload := rdb.AppendFooter(append([]byte{r.Type}, r.Body...))
		back, err := RestoreValue(payload)
		if err != nil {
			t.Fatalf("%s: restore: %v", name, err)
		}
		if !bytes.Equal(DumpValue(back), DumpValue(v)) {
			t.Fatalf("%s: value differs after the round trip", name)
		}
	}
	// The stream, which DUMP does not encode, follows as commands.
	if !strings.Contains(string(cmds), "SELECT\r\n$1\r\n0\r\n") || !strings.Contains(string(cmds), "XADD\r\n$6\r\nstream\r\n$3\r\n1-1") {
		t.Fatalf("stream commands: %q", cmds)
	}
	// A damaged file is refused by its checksum.
	file[20] ^= 0xff
	if _, err := rdb.ReadFile(file, func(rdb.Record) error { return nil }); err == nil {
		t.Fatal("a damaged file passed its checksum")
	}
}
