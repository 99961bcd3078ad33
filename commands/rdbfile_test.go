package commands

import (
	"bytes"
	"fmt"
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
	h.do("xadd", "stream", "1-2", "f", "12")
	h.do("xadd", "stream", "5-0", "other", "fields", "n", "1")
	h.do("xgroup", "create", "stream", "grp", "0")
	h.do("xreadgroup", "group", "grp", "alice", "count", "2", "streams", "stream", ">")
	h.do("xgroup", "createconsumer", "stream", "grp", "bob")
	h.db = 3
	h.do("set", "other", "db3")

	file, cmds := h.store.AppendRDB(nil, [][2]string{{"redis-ver", "7.0.15"}, {"redis-bits", "64"}}, nil)
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
	if len(got) != len(want)+1 || len(cmds) != 0 {
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
	// The stream is in the file as Redis 7.0 writes it: entries, metadata, the group, its pending entries and
	// consumers.
	r := got["0/stream"]
	st, rest, err := rdb.ReadStream(r.Type, r.Body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("stream: %v, %d bytes after", err, len(rest))
	}
	if fmt.Sprint(st.Entries) != "[{1-1 [f v] false} {1-2 [f 12] false} {5-0 [other fields n 1] false}]" ||
		st.LastID != (rdb.StreamID{Ms: 5}) || st.FirstID != (rdb.StreamID{Ms: 1, Seq: 1}) || st.EntriesAdded != 3 {
		t.Fatalf("stream entries %v, last %v, first %v, added %d", st.Entries, st.LastID, st.FirstID, st.EntriesAdded)
	}
	if len(st.Groups) != 1 || fmt.Sprintf("%v %v %v %v %v %v %v", st.Groups[0].Name, st.Groups[0].LastID, st.Groups[0].EntriesRead, len(st.Groups[0].Pending),
		st.Groups[0].Pending[1].ID, st.Groups[0].Pending[1].Consumer, st.Groups[0].Consumers) != "grp 1-2 2 2 1-2 alice [{alice "+
		strconv.FormatInt(h.now, 10)+"} {bob "+strconv.FormatInt(h.now, 10)+"}]" {
		t.Fatalf("stream groups %+v", st.Groups)
	}
	// A damaged file is refused by its checksum.
	file[20] ^= 0xff
	if _, err := rdb.ReadFile(file, func(rdb.Record) error { return nil }); err == nil {
		t.Fatal("a damaged file passed its checksum")
	}
}
