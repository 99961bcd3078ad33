package test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// bigValue is size bytes that differ along their length (a shifted or
// truncated copy would not match its digest).
func bigValue(size int, seed byte) []byte {
	v := make([]byte, size)
	for i := range v {
		v[i] = byte(i*7+i>>10) ^ seed
	}
	return v
}

// setBig sends SET key value on a connection of its own and waits for +OK.
func setBig(t *testing.T, n *node, key string, value []byte, wait time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	w := bufio.NewWriter(c)
	fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n", len(key), key, len(value))
	w.Write(value)
	w.WriteString("\r\n")
	if err := w.Flush(); err != nil {
		t.Fatalf("writing SET %s: %v", key, err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "+OK\r\n" {
		t.Fatalf("SET %s (%d bytes) on %s: %q %v", key, len(value), n.name(), line, err)
	}
}

// getDigest GETs key from n (a stale read: n's own dataset) and returns the
// value's length and SHA-256, without holding the value.
func getDigest(t *testing.T, n *node, key string) (int, [32]byte) {
	t.Helper()
	c, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, encodeCmd("GET", key)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 1<<20)
	line, err := br.ReadString('\n')
	if err != nil || len(line) < 3 || line[0] != '$' {
		t.Fatalf("GET %s on %s: %q %v", key, n.name(), line, err)
	}
	size, err := strconv.Atoi(line[1 : len(line)-2])
	if err != nil || size < 0 {
		return size, [32]byte{}
	}
	h := sha256.New()
	if _, err := io.CopyN(h, br, int64(size)); err != nil {
		t.Fatalf("GET %s on %s: %v", key, n.name(), err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return size, sum
}

// A 64 MB SET on a 3-node cluster commits without disturbing the leader,
// every node holds the same bytes, each node's memory stays within 3x the
// value, and a follower killed and restarted after big writes catches up.
//
// Raft's own transport decoded such an entry with go-msgpack, growing the
// buffer 256 KB at a time (some size^2/512 KB of copying, 8 GB here): the
// binary before the blob transport, on this test's cluster, answered
// UNCERTAIN after its 60 s request timeout, its followers peaking at 5-6.5x
// the value. With it, 64 and 100 MB SETs measured 1.02-1.05x on every node
// (the value, kept by the dataset from the bytes received; heap profiles
// show no other copy): 3x is the target, and still fails on a leader that
// reads the entry back per follower or per commit timeout (6-8x) or a
// follower that receives it twice.
func TestLargeValueClusterMemory(t *testing.T) {
	const size = 64 << 20
	c := startCluster(t, 3, "--read-consistency", "stale", "--request-timeout", "30s", "--loglevel", "verbose",
		// 2-core CI machines run other tests beside this one: a node starved
		// of CPU for half a second must not count as a lost leader.
		"--raft-election-timeout", "3s")
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.logs())
		}
	})
	leader := c.leader()
	term := leader.raftInfo()["term"]
	base := map[*node]int64{}
	for _, n := range c.nodes {
		setBig(t, n, "small-"+n.name(), []byte("x"), 5*time.Second) // relayed from followers
		base[n] = procStatusBytes(t, n.cmd.Process.Pid, "VmRSS")
	}
	value := bigValue(size, 1)
	want := sha256.Sum256(value)
	start := time.Now()
	setBig(t, leader, "big", value, 30*time.Second)
	value = nil
	took := time.Since(start)
	c.waitConverged()
	t.Logf("SET of %d MB committed in %v, applied everywhere in %v", size>>20, took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for _, n := range c.nodes {
		peak := procStatusBytes(t, n.cmd.Process.Pid, "VmHWM")
		role := "follower"
		if n == leader {
			role = "leader"
		}
		t.Logf("%s (%s): RSS before %d MB, peak %d MB (%.2fx the value)", n.name(), role, base[n]>>20, peak>>20, float64(peak-base[n])/size)
		if peak-base[n] > 3*size {
			t.Errorf("%s %s peaked %d MB above its %d MB before the SET; want at most 3x the %d MB value", role, n.name(), (peak-base[n])>>20, base[n]>>20, size>>20)
		}
	}
	if info := leader.raftInfo(); info["role"] != "leader" || info["term"] != term {
		t.Errorf("leadership changed during the big SET: %s is %s in term %s (was leader in term %s)", leader.name(), info["role"], info["term"], term)
	}
	// The followers hold the value's bytes, and the leader the same data
	// (waitConverged: RAFT.DIGEST). Not a GET on the leader: GET copies a
	// big value twice on its way out (resp.Writer, then redcon's buffer),
	// and on a loaded 2-core machine the collection that follows held a
	// leader's heartbeats past its 1.5 s lease (measured: GC mark phase
	// 3.4 s, heartbeats 1.77 s); a read path matter, not this test's.
	for _, n := range c.followers() {
		if got, sum := getDigest(t, n, "big"); got != size || sum != want {
			t.Errorf("GET big on %s: %d bytes, sha256 %x; want %d bytes, %x", n.name(), got, sum[:8], size, want[:8])
		}
	}

	// A follower that was down through big writes catches up when it
	// comes back (from the leader's log: the entries go beside the RPCs
	// again, several in one catch-up).
	leader = c.leader()
	down := c.followers()[0]
	down.kill()
	more := map[string][32]byte{}
	for i := range 3 {
		k := "more-" + strconv.Itoa(i)
		v := bigValue(4<<20, byte(10+i))
		setBig(t, leader, k, v, 30*time.Second)
		more[k] = sha256.Sum256(v)
	}
	down.restart()
	c.waitConverged()
	for k, want := range more {
		if got, sum := getDigest(t, down, k); got != 4<<20 || sum != want {
			t.Errorf("GET %s on the restarted %s: %d bytes, sha256 %x; want %x", k, down.name(), got, sum[:8], want[:8])
		}
	}
	if got, sum := getDigest(t, down, "big"); got != size || bytes.Compare(sum[:], want[:]) != 0 {
		t.Errorf("GET big on the restarted %s: %d bytes", down.name(), got)
	}
}
