package commands

import (
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestHashCommandsBasic(t *testing.T) {
	h := newHarness(t)
	h.expect(lsInt(2), "HSET", "h", "a", "1", "b", "2")
	h.expect(lsInt(1), "HSET", "h", "a", "x", "c", "3")
	h.expect(lsErr(ArityErr("hset")), "HSET", "h", "a", "1", "b")
	h.expect(lsErr(ArityErr("hmset")), "HMSET", "h", "a", "1", "b")
	h.expect(lsOK, "HMSET", "h", "d", "4")
	h.expect(lsBulks("a", "x", "b", "2", "c", "3", "d", "4"), "HGETALL", "h")
	h.expect(lsBulks("a", "b", "c", "d"), "HKEYS", "h")
	h.expect(lsBulks("x", "2", "3", "4"), "HVALS", "h")
	h.expect(lsArr(lsBulk("x"), lsNull, lsBulk("4")), "HMGET", "h", "a", "zz", "d")
	h.expect(lsArr(lsNull, lsNull), "HMGET", "nosuch", "a", "b")
	h.expect(lsBulk("x"), "HGET", "h", "a")
	h.expect(lsNull, "HGET", "h", "zz")
	h.expect(lsInt(4), "HLEN", "h")
	h.expect(lsInt(1), "HEXISTS", "h", "a")
	h.expect(lsInt(0), "HEXISTS", "h", "zz")
	h.expect(lsInt(1), "HSTRLEN", "h", "a")
	h.expect(lsInt(0), "HSTRLEN", "h", "zz")
	h.expect(lsInt(0), "HSETNX", "h", "a", "y")
	h.expect(lsInt(1), "HSETNX", "h", "e", "5")
	h.expect(lsInt(2), "HDEL", "h", "a", "a", "b", "zz")
	h.expect(lsInt(0), "HDEL", "h", "zz")
	h.expect(lsInt(3), "HDEL", "h", "c", "d", "e")
	h.expect(lsInt(0), "EXISTS", "h")
	h.expect(lsEmpty, "HGETALL", "h")
	h.expect(lsEmpty, "HKEYS", "h")
	h.expect(lsInt(0), "HLEN", "h")

	h.do("SET", "s", "v")
	for _, args := range [][]string{
		{"HSET", "s", "a", "1"}, {"HMSET", "s", "a", "1"}, {"HSETNX", "s", "a", "1"}, {"HGET", "s", "a"},
		{"HMGET", "s", "a"}, {"HGETALL", "s"}, {"HDEL", "s", "a"}, {"HLEN", "s"}, {"HEXISTS", "s", "a"},
		{"HKEYS", "s"}, {"HVALS", "s"}, {"HINCRBY", "s", "a", "1"}, {"HINCRBYFLOAT", "s", "a", "1"},
		{"HSTRLEN", "s", "a"}, {"HRANDFIELD", "s"}, {"HRANDFIELD", "s", "0"}, {"HSCAN", "s", "0"},
	} {
		h.expect(lsErr(ErrWrongType), args...)
	}
	h.expect("+string\r\n", "TYPE", "s")
	h.do("HSET", "h", "a", "1")
	h.expect("+hash\r\n", "TYPE", "h")
	h.expect(lsErr(ErrWrongType), "LPUSH", "h", "x")
}

func TestHashRESP3(t *testing.T) {
	h := newHarness(t)
	h.proto = 3
	h.do("HSET", "h", "a", "1", "b", "2")
	h.expect("%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "HGETALL", "h")
	h.expect("%0\r\n", "HGETALL", "nosuch")
	h.expect("_\r\n", "HGET", "h", "zz")
	h.expect("*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n", "HRANDFIELD", "h", "5", "WITHVALUES")
	h.expect("$3\r\n1.5\r\n", "HINCRBYFLOAT", "h", "x", "1.5") // a bulk string, not a double
}

func TestHashIncr(t *testing.T) {
	h := newHarness(t)
	h.expect(lsInt(5), "HINCRBY", "h", "n", "5")
	h.expect(lsInt(-2), "HINCRBY", "h", "n", "-7")
	h.expect(lsErr(ErrNotInt), "HINCRBY", "h", "n", "x")
	h.expect(lsErr(ErrNotInt), "HINCRBY", "h", "n", "+1")
	h.do("HSET", "h", "s", "abc", "big", "9223372036854775807", "f", "1.5")
	h.expect(lsErr(errHashNotInt), "HINCRBY", "h", "s", "1")
	h.expect(lsErr(errHashNotInt), "HINCRBY", "h", "f", "1")
	h.expect(lsErr(ErrOverflow), "HINCRBY", "h", "big", "1")
	h.expect(lsInt(9223372036854775806), "HINCRBY", "h", "big", "-1")
	h.expect(lsErr(errHashNotFloat), "HINCRBYFLOAT", "h", "s", "1")
	h.expect(lsErr(ErrNotFloat), "HINCRBYFLOAT", "h", "f", "abc")
	h.expect(lsErr(errNaNOrInfinity), "HINCRBYFLOAT", "h", "f", "inf")
	h.expect(lsBulk("1.6"), "HINCRBYFLOAT", "h", "f", "0.1")
	h.expect(lsBulk("3"), "HINCRBYFLOAT", "h", "f", "1.4")
	h.expect(lsBulk("0.3"), "HINCRBYFLOAT", "h", "g", "0.3") // "%.17Lf", trailing zeros cut
	h.do("HSET", "h", "i", "inf")
	h.expect(lsErr(ErrNaNOrInf), "HINCRBYFLOAT", "h", "i", "1")
	h.do("HSET", "h", "m", "1e4932")
	h.expect(lsErr(ErrNaNOrInf), "HINCRBYFLOAT", "h", "m", "1e4932") // past LDBL_MAX
}

func TestHashPropagation(t *testing.T) {
	h := newHarness(t)
	h.do("HSET", "h", "a", "1")
	lsExpectAOF(t, h, []string{"HSET", "h", "a", "1"})
	h.do("HMSET", "h", "a", "2")
	lsExpectAOF(t, h, []string{"HMSET", "h", "a", "2"})
	h.do("HSETNX", "h", "a", "3")
	lsExpectAOF(t, h) // nothing changed
	h.do("HSETNX", "h", "b", "3")
	lsExpectAOF(t, h, []string{"HSETNX", "h", "b", "3"})
	h.do("HDEL", "h", "zz")
	lsExpectAOF(t, h)
	h.do("HDEL", "h", "zz", "b")
	lsExpectAOF(t, h, []string{"HDEL", "h", "zz", "b"})
	h.do("HINCRBY", "h", "n", "4")
	lsExpectAOF(t, h, []string{"HINCRBY", "h", "n", "4"})
	h.do("HINCRBYFLOAT", "h", "x", "0.1")
	h.do("HINCRBYFLOAT", "h", "x", "2.0e1")
	lsExpectAOF(t, h, []string{"HSET", "h", "x", "0.1"}, []string{"HSET", "h", "x", "20.1"})
	h.do("HINCRBY", "h", "a", "x")
	h.do("HINCRBYFLOAT", "h", "nosuch", "nan")
	lsExpectAOF(t, h)

	// A write that finds an expired hash deletes it first, like Redis.
	h.do("PEXPIRE", "h", "10")
	h.aof()
	h.now += 100
	h.expect(lsInt(1), "HSET", "h", "z", "1")
	lsExpectAOF(t, h, []string{"DEL", "h"}, []string{"HSET", "h", "z", "1"})
	h.expect(lsBulks("z", "1"), "HGETALL", "h")
	h.expect(lsInt(-1), "TTL", "h")

	// Changing a hash keeps its TTL.
	h.do("EXPIRE", "h", "100")
	h.do("HSET", "h", "y", "2")
	h.do("HINCRBYFLOAT", "h", "y", "1")
	h.do("HDEL", "h", "z")
	h.expect(lsInt(100), "TTL", "h")
}

func TestHashRandField(t *testing.T) {
	h := newHarness(t)
	h.expect(lsNull, "HRANDFIELD", "nosuch")
	h.expect(lsEmpty, "HRANDFIELD", "nosuch", "3")
	h.expect(lsErr(errInt64Range), "HRANDFIELD", "nosuch", "-9223372036854775808")
	h.expect(lsErr(errOutOfRange), "HRANDFIELD", "nosuch", "-4611686018427387904", "WITHVALUES")
	h.expect(lsErr(ErrSyntax), "HRANDFIELD", "nosuch", "3", "WITH")
	h.expect(lsErr(ErrNotInt), "HRANDFIELD", "nosuch", "x")
	for _, size := range []int{3, 50, 1500} {
		h.do("DEL", "r")
		want := map[string]string{}
		for i := 0; i < size; i++ {
			f := "f" + strconv.Itoa(i)
			want[f] = "v" + strconv.Itoa(i)
			h.do("HSET", "r", f, want[f])
		}
		for _, count := range []int{1, 2, size / 3, size / 2, size - 1, size, size + 5} {
			reply := h.do("HRANDFIELD", "r", strconv.Itoa(count), "WITHVALUES")
			items := parseBulks(t, reply)
			if len(items) != 2*min(count, size) {
				t.Fatalf("size %d count %d: %d items", size, count, len(items))
			}
			seen := map[string]bool{}
			for i := 0; i < len(items); i += 2 {
				if seen[items[i]] || want[items[i]] != items[i+1] {
					t.Fatalf("size %d count %d: bad pair %s=%s (dup %v)", size, count, items[i], items[i+1], seen[items[i]])
				}
				seen[items[i]] = true
			}
		}
		items := parseBulks(t, h.do("HRANDFIELD", "r", "-20"))
		if len(items) != 20 {
			t.Fatalf("negative count: %d items", len(items))
		}
		for _, f := range items {
			if _, ok := want[f]; !ok {
				t.Fatalf("unknown field %s", f)
			}
		}
	}
}

// parseBulks decodes a flat RESP2 array of bulk strings.
func parseBulks(t *testing.T, s string) []string {
	t.Helper()
	if !strings.HasPrefix(s, "*") {
		t.Fatalf("not an array: %q", s)
	}
	nl := strings.Index(s, "\r\n")
	n, _ := strconv.Atoi(s[1:nl])
	s = s[nl+2:]
	out := make([]string, 0, n)
	for range n {
		nl = strings.Index(s, "\r\n")
		size, _ := strconv.Atoi(s[1:nl])
		out = append(out, s[nl+2:nl+2+size])
		s = s[nl+2+size+2:]
	}
	return out
}

func TestHashScanCommand(t *testing.T) {
	h := newHarness(t)
	h.expect(lsArr(lsBulk("0"), lsEmpty), "HSCAN", "nosuch", "0", "COUNT", "0")
	h.expect(lsErr(ErrInvalidCursor), "HSCAN", "nosuch", "x")
	h.do("HSET", "small", "a", "1", "b", "2", "ab", "3")
	h.expect(lsArr(lsBulk("0"), lsBulks("a", "1", "ab", "3")), "HSCAN", "small", "123", "MATCH", "a*", "COUNT", "1")
	h.expect(lsArr(lsBulk("0"), lsBulks("a", "b", "ab")), "HSCAN", "small", "0", "NOVALUES")
	h.expect(lsErr(ErrSyntax), "HSCAN", "small", "0", "COUNT", "0")
	h.expect(lsErr(ErrNotInt), "HSCAN", "small", "0", "COUNT", "x")
	h.expect(lsErr(ErrSyntax), "HSCAN", "small", "0", "TYPE", "hash")

	for i := 0; i < 1000; i++ {
		h.do("HSET", "big", "f"+strconv.Itoa(i), strconv.Itoa(i))
	}
	h.expect(lsBulk("hashtable"), "OBJECT", "ENCODING", "big")
	var got []string
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("HSCAN does not finish")
		}
		reply := h.do("HSCAN", "big", cursor, "COUNT", "20", "MATCH", "f1*")
		// *2 $n cursor *m items...
		rest := reply[strings.Index(reply, "\r\n")+2:]
		nl := strings.Index(rest, "\r\n")
		size, _ := strconv.Atoi(rest[1:nl])
		cursor = rest[nl+2 : nl+2+size]
		items := parseBulks(t, rest[nl+2+size+2:])
		for i := 0; i < len(items); i += 2 {
			if "f"+items[i+1] != items[i] {
				t.Fatalf("pair %s=%s", items[i], items[i+1])
			}
			got = append(got, items[i])
		}
		if cursor == "0" {
			break
		}
	}
	sort.Strings(got)
	if len(got) != 111 || got[0] != "f1" || got[110] != "f199" {
		t.Fatalf("HSCAN MATCH f1* returned %d fields", len(got))
	}

	// COUNT is a hint: a walk over a big hash takes about 32 calls at most.
	for i := 0; i < 20000; i++ {
		h.do("HSET", "huge", "f"+strconv.Itoa(i), "v")
	}
	calls, total := 0, 0
	for cursor = "0"; ; calls++ {
		reply := h.do("HSCAN", "huge", cursor, "COUNT", "1", "NOVALUES")
		rest := reply[strings.Index(reply, "\r\n")+2:]
		nl := strings.Index(rest, "\r\n")
		size, _ := strconv.Atoi(rest[1:nl])
		cursor = rest[nl+2 : nl+2+size]
		total += len(parseBulks(t, rest[nl+2+size+2:]))
		if cursor == "0" {
			break
		}
	}
	if total != 20000 || calls > 40 {
		t.Fatalf("HSCAN walk: %d fields in %d calls", total, calls)
	}
}

// hashDump renders every hash of db 0 (fields sorted), for comparisons.
func hashDump(s *Store) string {
	var lines []string
	s.DBs[0].Range(func(k string, v any, at int64) bool {
		h, ok := v.(*Hash)
		if !ok {
			return true
		}
		var pairs []string
		for i := 0; i < h.Len(); i++ {
			f, val := h.At(i)
			pairs = append(pairs, f+"="+val)
		}
		sort.Strings(pairs)
		lines = append(lines, k+":"+strings.Join(pairs, ",")+"@"+strconv.FormatInt(at, 10))
		return true
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestHashSnapshotAndRewrite: a snapshot taken while hash commands keep
// changing the hashes in place dumps the state as of its start, and the dump
// (HSET batches) replays to the same hashes.
func TestHashSnapshotAndRewrite(t *testing.T) {
	h := newHarness(t)
	for k := 0; k < 20; k++ {
		key := "h" + strconv.Itoa(k)
		for i := 0; i < 10+k*20; i++ {
			h.do("HSET", key, "f"+strconv.Itoa(i), strings.Repeat("v", i%70))
		}
	}
	h.do("EXPIRE", "h3", "1000")
	before := hashDump(h.store)
	sn := h.store.BeginSnapshot()
	var dump []byte
	more := true
	for step := 0; more; step++ {
		dump, more = sn.Next(dump, 2)
		key := "h" + strconv.Itoa(step%20)
		h.do("HSET", key, "f1", "changed", "new", "x")
		h.do("HDEL", key, "f2", "f3")
		h.do("HINCRBY", key, "n", "1")
		h.do("HINCRBYFLOAT", key, "x", "0.5")
		h.do("HSETNX", key, "f4", "nx")
		if step == 3 {
			h.do("DEL", "h19")
			h.do("HDEL", "h0", "f0", "f5", "f6", "f7", "f8", "f9")
		}
	}
	sn.End()
	if got := hashDump(replay(t, dump).store); got != before {
		t.Fatalf("snapshot differs from the state at its start")
	}
	// A rewrite of the current state replays to the current state.
	var cur []byte
	h.store.DBs[0].Range(func(k string, v any, at int64) bool {
		cur = AppendRewrite(cur, k, v, at)
		return true
	})
	r := replay(t, cur)
	if got, want := hashDump(r.store), hashDump(h.store); got != want {
		t.Fatalf("rewrite replays to a different state")
	}
	for k := 0; k < 19; k++ {
		key := "h" + strconv.Itoa(k)
		want := h.do("OBJECT", "ENCODING", key)
		if got := r.do("OBJECT", "ENCODING", key); got != want {
			t.Fatalf("%s: encoding %q after replay, %q before", key, got, want)
		}
	}
}

// BenchmarkHashSetCommand is HSET through the handler, as the FSM runs it.
func BenchmarkHashSetCommand(b *testing.B) {
	store := NewStore()
	c := &Ctx{Store: store, R: NewReply(2), Prop: NewPropagation()}
	args := [][]byte{[]byte("HSET"), []byte("myhash"), []byte("element:1"), []byte("xxx")}
	fields := make([][]byte, 1000)
	for i := range fields {
		fields[i] = []byte("element:" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		args[2] = fields[i%len(fields)]
		c.R.Reset()
		c.Prop.Reset()
		c.Begin(store.DBs[0], args)
		hsetCommand(c)
		c.Finish()
	}
}
