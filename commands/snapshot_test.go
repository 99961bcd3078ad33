package commands

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// replay runs a RESP command stream (a dump) into a fresh harness.
func replay(t *testing.T, dump []byte) *harness {
	t.Helper()
	h := newHarness(t)
	h.now = 0 // loading mode: nothing counts as expired
	rd := bufio.NewReader(bytes.NewReader(dump))
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return h
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		args := make([]string, n)
		for i := range args {
			l, _ := rd.ReadString('\n')
			size, _ := strconv.Atoi(strings.TrimSpace(l[1:]))
			b := make([]byte, size+2)
			if _, err := io_ReadFull(rd, b); err != nil {
				t.Fatal(err)
			}
			args[i] = string(b[:size])
		}
		if strings.EqualFold(args[0], "select") {
			h.db, _ = strconv.Atoi(args[1])
			continue
		}
		if r := h.do(args...); strings.HasPrefix(r, "-") {
			t.Fatalf("replaying %q: %s", args, r)
		}
	}
}

func io_ReadFull(rd *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := rd.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// state renders every key of every db, for comparison.
func state(s *Store) string {
	var lines []string
	for _, db := range s.DBs {
		db.Range(func(k string, v any, at int64) bool {
			var val string
			switch v := v.(type) {
			case string, *mutString:
				val, _ = asString(v)
			case *List:
				for i := 0; i < v.Len(); i++ {
					val += v.At(i) + ","
				}
			}
			lines = append(lines, fmt.Sprintf("%d %s=%s @%d", db.ID, k, val, at))
			return true
		})
	}
	sortStrings(lines)
	return strings.Join(lines, "\n")
}

func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// TestSnapshotIsPointInTime mutates the store between every chunk of a dump
// and checks the dump equals the state at BeginSnapshot.
func TestSnapshotIsPointInTime(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		h := newHarness(t)
		rnd := rand.New(rand.NewPCG(seed, 7))
		for i := 0; i < 300; i++ {
			h.db = rnd.IntN(3)
			k := "k" + strconv.Itoa(rnd.IntN(150))
			if rnd.IntN(2) == 0 {
				h.do("set", k, "v"+strconv.Itoa(i))
			} else {
				h.do("del", k)
				h.do("rpush", k, "a"+strconv.Itoa(i), "b")
			}
			if rnd.IntN(10) == 0 {
				h.do("pexpireat", k, strconv.FormatInt(h.now+1_000_000, 10))
			}
		}
		want := state(h.store)
		sn := h.store.BeginSnapshot()
		var dump []byte
		for more := true; more; {
			dump, more = sn.Next(dump, 7)
			// mutate between chunks: overwrite, delete, push, expire, flush
			for j := 0; j < 5; j++ {
				h.db = rnd.IntN(3)
				k := "k" + strconv.Itoa(rnd.IntN(200))
				switch rnd.IntN(6) {
				case 0:
					h.do("set", k, "changed")
				case 1:
					h.do("del", k)
				case 2:
					h.do("rpush", k, "more")
				case 3:
					h.do("lpop", k)
				case 4:
					h.do("pexpireat", k, strconv.FormatInt(h.now+5, 10))
				case 5:
					if rnd.IntN(20) == 0 {
						h.do("flushdb")
					}
				}
			}
		}
		sn.End()
		if h.store.snap != nil {
			t.Fatal("snapshot still attached after End")
		}
		got := state(replay(t, dump).store)
		if got != want {
			t.Fatalf("seed %d: dump differs from the state at BeginSnapshot\nwant:\n%s\n\ngot:\n%s", seed, want, got)
		}
	}
}

// A key dumped from the live map and changed afterwards must not be dumped a
// second time from a before-image.
func TestSnapshotKeyChangedAfterItWasDumped(t *testing.T) {
	h := newHarness(t)
	h.do("rpush", "l", "a")
	h.do("set", "x", "1")
	want := state(h.store)
	sn := h.store.BeginSnapshot()
	dump, more := sn.Next(nil, 2)
	h.do("rpush", "l", "b")
	h.do("set", "x", "2")
	for more {
		dump, more = sn.Next(dump, 2)
	}
	sn.End()
	if got := state(replay(t, dump).store); got != want {
		t.Fatalf("dump:\n%s\nwant:\n%s", got, want)
	}
}
