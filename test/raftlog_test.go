package test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The Raft log stores behind --raft-log: the WAL's torn tail, entries too
// large for a WAL record, the conversion both ways, and a cluster on the
// store that is not the default.

// writeKeys sets prefix:0..n-1 in pipelines of 50 and fails on any reply
// but OK: every one is acknowledged.
func writeKeys(t *testing.T, n *node, prefix string, count int) {
	t.Helper()
	ctx := ctxT(t)
	c := n.client()
	for i := 0; i < count; i += 50 {
		p := c.Pipeline()
		for j := i; j < i+50 && j < count; j++ {
			p.Set(ctx, prefix+":"+strconv.Itoa(j), "v"+strconv.Itoa(j), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("write %s: %v", prefix, err)
		}
	}
}

func checkKeys(t *testing.T, n *node, prefix string, count int) {
	t.Helper()
	ctx := ctxT(t)
	c := n.client()
	for i := 0; i < count; i++ {
		k := prefix + ":" + strconv.Itoa(i)
		if v, err := c.Get(ctx, k).Result(); err != nil || v != "v"+strconv.Itoa(i) {
			t.Fatalf("after restart %s = %q, %v; want v%d", k, v, err, i)
		}
	}
}

func logIndex(t *testing.T, n *node) uint64 {
	t.Helper()
	i, err := strconv.ParseUint(n.raftInfo()["last_index"], 10, 64)
	if err != nil {
		t.Fatalf("RAFT.INFO last_index: %v", err)
	}
	return i
}

// tailSegment is the WAL's last segment file and where its data ends
// (segments are preallocated with zeros; frames are 8-byte aligned).
func tailSegment(t *testing.T, n *node) (string, []byte, int) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(n.dir, "raft", "wal", "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	slices.Sort(segs)
	path := segs[len(segs)-1]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(data, "\x00"))
	return path, data, (end + 7) &^ 7
}

// TestRaftLogWALTornTail: kill -9, then the tail of the last segment torn in
// two ways a crash mid-append leaves it: a batch whose commit frame does not
// match its bytes, and the file cut short where its data ends. The node
// starts each time with every acknowledged write and its whole log.
func TestRaftLogWALTornTail(t *testing.T) {
	n := startNode(t, "--raft-log", "wal")
	writeKeys(t, n, "a", 300)
	before := logIndex(t, n)
	n.kill()

	path, data, end := tailSegment(t, n)
	if end <= 32 || end >= len(data) {
		t.Fatalf("segment %s: data ends at %d of %d bytes", path, end, len(data))
	}
	// A torn batch: an entry frame, its bytes, and a commit frame whose
	// checksum is not theirs.
	torn := make([]byte, 8+48+8)
	torn[0], torn[4] = 1, 48
	for i := 8; i < 56; i++ {
		torn[i] = byte(rand.IntN(256))
	}
	torn[56], torn[60], torn[61] = 3, 0xde, 0xad
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(torn, int64(end)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	n.restart()
	checkKeys(t, n, "a", 300)
	if got := logIndex(t, n); got < before {
		t.Fatalf("last_index %d after the torn tail, %d before", got, before)
	}
	// Appends go on over the torn bytes.
	writeKeys(t, n, "b", 200)
	before = logIndex(t, n)
	n.kill()

	path, _, end = tailSegment(t, n)
	if err := os.Truncate(path, int64(end)); err != nil {
		t.Fatal(err)
	}
	n.restart()
	checkKeys(t, n, "a", 300)
	checkKeys(t, n, "b", 200)
	if got := logIndex(t, n); got < before {
		t.Fatalf("last_index %d after the cut tail, %d before", got, before)
	}
	writeKeys(t, n, "c", 50)
	if info := n.raftInfo(); info["log_store"] != "wal" {
		t.Fatalf("log_store %q, want wal", info["log_store"])
	}
}

// TestRaftLogWALLargeEntry: a value larger than raft-wal reads back in one
// record (64 MiB) would leave a node that cannot start; such an entry's data
// goes to a file of its own. 10 MB is above the 8 MiB where that starts.
func TestRaftLogWALLargeEntry(t *testing.T) {
	n := startNode(t, "--raft-log", "wal")
	ctx := ctxT(t)
	big := strings.Repeat("x", 10_000_000)
	if err := n.client().Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := n.client().Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(n.dir, "raft", "wal", "entry-*.data"))
	if len(files) != 1 {
		t.Fatalf("entry files %v, want one", files)
	}
	n.kill()
	n.restart()
	if l, err := n.client().StrLen(ctx, "big").Result(); err != nil || l != int64(len(big)) {
		t.Fatalf("STRLEN big = %d, %v after restart", l, err)
	}
	// Raft reads the entry back from the log: converting copies it.
	n.kill()
	n.args = append(n.args, "--raft-log", "bolt")
	n.restart()
	if l, err := n.client().StrLen(ctx, "big").Result(); err != nil || l != int64(len(big)) {
		t.Fatalf("STRLEN big = %d, %v after converting to bolt", l, err)
	}
	if _, err := os.Stat(filepath.Join(n.dir, "raft", "wal")); !os.IsNotExist(err) {
		t.Fatalf("wal/ still there after converting to bolt: %v", err)
	}
}

// TestRaftLogConversion: a node's log moves from bolt to wal and back when
// it restarts with the other --raft-log, keeping every entry.
func TestRaftLogConversion(t *testing.T) {
	n := startNode(t, "--raft-log", "bolt")
	for i, store := range []string{"wal", "bolt"} {
		prefix := fmt.Sprint("k", i)
		writeKeys(t, n, prefix, 200)
		before := logIndex(t, n)
		n.stop()
		n.args = append(n.args, "--raft-log", store)
		n.restart()
		info := n.raftInfo()
		if info["log_store"] != store {
			t.Fatalf("log_store %q, want %s", info["log_store"], store)
		}
		if got := logIndex(t, n); got < before {
			t.Fatalf("last_index %d after converting to %s, %d before", got, store, before)
		}
		checkKeys(t, n, prefix, 200)
		if !strings.Contains(n.log.String(), "converting the Raft log") {
			t.Fatalf("no conversion logged:\n%s", n.log.String())
		}
	}
	if _, err := os.Stat(filepath.Join(n.dir, "raft", "wal")); !os.IsNotExist(err) {
		t.Fatalf("wal/ still there on bolt: %v", err)
	}
}

// TestRaftLogOtherStoreCluster: a three-node cluster on the store that is
// not the default; a follower killed mid-load restarts on the default store
// (converting its log) and catches up to the same dataset.
func TestRaftLogOtherStoreCluster(t *testing.T) {
	c := startCluster(t, 3, "--raft-log", "bolt")
	for _, n := range c.nodes {
		if s := n.raftInfo()["log_store"]; s != "bolt" {
			t.Fatalf("%s log_store %q", n.name(), s)
		}
	}
	leader := c.leader()
	writeKeys(t, leader, "x", 300)
	f := c.followers()[0]
	f.kill()
	writeKeys(t, leader, "y", 300)
	f.args = append(f.args, "--raft-log", "wal")
	f.restart()
	if s := f.raftInfo()["log_store"]; s != "wal" {
		t.Fatalf("restarted follower log_store %q", s)
	}
	writeKeys(t, leader, "z", 100)
	c.waitConverged()
}
