package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geomys/geomys/internal/testutil"
)

// Disk full, on small tmpfs mounts (tests run as root in CI): writes are
// refused with -MISCONF, reads keep working, and once space is freed writes
// resume; after a restart every acknowledged write is there.

// mountTmpfs mounts a tmpfs of size MB on dir and unmounts it at cleanup.
func mountTmpfs(t *testing.T, dir string, mb int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(mb)+"m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s (the disk-full tests need root): %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fillDisk takes all the free space of the file system holding dir but keep
// bytes; freeing it is removing the returned file.
func fillDisk(t *testing.T, dir string, keep int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	path := filepath.Join(dir, "filler")
	if out, err := exec.Command("fallocate", "-l", strconv.FormatInt(free-keep, 10), path).CombinedOutput(); err != nil {
		t.Fatalf("fallocate: %v: %s", err, out)
	}
	return path
}

// writeUntil sends SETs of a 32 KB value until one is refused; it returns
// the keys acknowledged and the refusal.
func writeUntil(t *testing.T, c *respConn, prefix string) (acked []string, refusal string) {
	t.Helper()
	val := strings.Repeat("d", 32<<10)
	for i := 0; i < 2000; i++ {
		k := prefix + strconv.Itoa(i)
		r := c.do("SET", k, val)
		if r != "+OK\r\n" {
			return acked, r
		}
		acked = append(acked, k)
	}
	t.Fatalf("%d writes of 32 KB acknowledged on a full disk", len(acked))
	return nil, ""
}

func TestDiskFullRaftLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	mountTmpfs(t, dir, 40)
	// The bolt log allocates as it appends, so it is the Raft log that
	// meets the full disk first. The WAL preallocates its 64 MiB segments:
	// it fails only when it opens the next one, and on a disk shared with
	// the AOF, the AOF's refusal (TestDiskFullAOF) comes first.
	n := startNode(t, "--dir", dir, "--raft-log", "bolt")
	c := dialRESP(t, n.addr(), 2)
	c.do("SET", "before", "1")
	filler := fillDisk(t, dir, 256<<10)
	acked, refusal := writeUntil(t, c, "k")
	if refusal != "-MISCONF Errors writing to the Raft log: No space left on device\r\n" {
		t.Fatalf("write on a full disk: %q", refusal)
	}
	// Refused at once now, PING too (as Redis); reads work.
	if r := c.do("SET", "x", "1"); r != refusal {
		t.Fatalf("next write: %q", r)
	}
	if r := c.do("PING"); r != refusal {
		t.Fatalf("PING: %q", r)
	}
	if r := c.do("GET", "before"); r != "$1\r\n1\r\n" {
		t.Fatalf("read on a full disk: %q", r)
	}
	os.Remove(filler)
	deadline := time.Now().Add(10 * time.Second)
	for c.do("SET", "after", "1") != "+OK\r\n" {
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume after space was freed:\n%s", n.log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	n.stop()
	n.restart()
	c = dialRESP(t, n.addr(), 2)
	for _, k := range append(acked, "before", "after") {
		if r := c.do("EXISTS", k); r != ":1\r\n" {
			t.Fatalf("acknowledged key %s lost after restart (%d acknowledged)", k, len(acked))
		}
	}
}

// The AOF on its own (full) file system while the Raft log has room: the
// refusal is Redis' own text, compared with a redis-server in the same spot.
func TestDiskFullAOFAsRedis(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "geomys")
	mountTmpfs(t, filepath.Join(dir, "appendonlydir"), 8)
	n := startNode(t, "--dir", dir)
	rdir := filepath.Join(base, "redis")
	mountTmpfs(t, rdir, 8)
	rd := testutil.StartRedis(t, "--appendonly", "yes", "--dir", rdir)
	time.Sleep(300 * time.Millisecond) // redis-server created its AOF files

	var refusals [2]string
	var acked [2][]string
	for i, addr := range []string{n.addr(), rd} {
		c := dialRESP(t, addr, 2)
		c.do("SET", "before", "1")
		fillDir := filepath.Join(dir, "appendonlydir")
		if i == 1 {
			fillDir = rdir
		}
		filler := fillDisk(t, fillDir, 16<<10)
		acked[i], refusals[i] = writeUntil(t, c, "k")
		if r := c.do("GET", "before"); r != "$1\r\n1\r\n" {
			t.Fatalf("%s: read on a full disk: %q", addr, r)
		}
		if r := c.do("PING"); r != refusals[i] {
			t.Fatalf("%s: PING on a full disk: %q", addr, r)
		}
		if i == 0 {
			if r := c.do("INFO", "persistence"); !strings.Contains(r, "aof_last_write_status:err") {
				t.Fatalf("INFO persistence on a full disk:\n%s", r)
			}
		}
		os.Remove(filler)
		deadline := time.Now().Add(10 * time.Second)
		for c.do("SET", "after", "1") != "+OK\r\n" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: writes did not resume after space was freed", addr)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if i == 0 {
			if r := c.do("INFO", "persistence"); !strings.Contains(r, "aof_last_write_status:ok") {
				t.Fatalf("INFO persistence after space was freed:\n%s", r)
			}
		}
	}
	want := "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
	if refusals[0] != want || refusals[1] != want {
		t.Fatalf("refusal on a full AOF disk: geomys %q, redis-server %q", refusals[0], refusals[1])
	}
	// Every write Geomys acknowledged is in its AOF after a restart.
	n.stop()
	n.restart()
	c := dialRESP(t, n.addr(), 2)
	for _, k := range append(acked[0], "before", "after") {
		if r := c.do("EXISTS", k); r != ":1\r\n" {
			t.Fatalf("acknowledged key %s lost after restart", k)
		}
	}
}
