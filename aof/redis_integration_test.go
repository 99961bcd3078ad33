package aof

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/geomys/geomys/internal/testutil"
	"github.com/geomys/geomys/resp"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// respConn is a minimal RESP2 client for the integration test.
type respConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (r *respConn) do(args ...string) (any, error) {
	if err := r.c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := r.c.Write(resp.AppendCommand(nil, args...)); err != nil {
		return nil, err
	}
	return r.read()
}

type respError string

func (r *respConn) read() (any, error) {
	raw, err := resp.ReadReply(r.br, nil)
	if err != nil {
		return nil, err
	}
	v, _, err := decodeReply(raw)
	return v, err
}

// decodeReply turns a raw reply into Go values: strings, respError, int64
// and []any.
func decodeReply(b []byte) (any, []byte, error) {
	it, rest, err := resp.Next(b)
	if err != nil {
		return nil, nil, err
	}
	switch it.Kind {
	case '+':
		return string(it.Line), rest, nil
	case '-':
		return respError(it.Line), rest, nil
	case ':':
		n, err := strconv.ParseInt(string(it.Line), 10, 64)
		return n, rest, err
	case '$':
		if it.Bulk == nil {
			return nil, rest, nil
		}
		return string(it.Bulk), rest, nil
	case '*':
		if it.N < 0 {
			return nil, rest, nil
		}
		out := make([]any, it.N)
		for i := range out {
			if out[i], rest, err = decodeReply(rest); err != nil {
				return nil, nil, err
			}
		}
		return out, rest, nil
	}
	return nil, nil, fmt.Errorf("unexpected reply %q", b)
}

// syncBuf collects a process's output.
type syncBuf = testutil.SyncBuffer

func freePort(t *testing.T) int { return testutil.FreePort(t) }

// TestRedisServerLoadsOurAOF writes an AOF directory with this package
// (a base from a rewrite plus an incr file, with annotations) and checks
// that a stock redis-server 7 loads it and redis-check-aof accepts it.
func TestRedisServerLoadsOurAOF(t *testing.T) {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server (7.x) is required for this test and was not found in PATH: %v (install it, e.g. apt-get install redis-server)", err)
	}
	checker, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Fatalf("redis-check-aof is required for this test and was not found in PATH: %v (it comes with redis-server / redis-tools)", err)
	}

	parent := t.TempDir()
	const dirname = "appendonlydir"
	dir := filepath.Join(parent, dirname)
	a, err := Open(Options{Dir: dir, Fsync: FsyncAlways, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now().UnixMilli()
	future := strconv.FormatInt(now+3600_000, 10)
	past := strconv.FormatInt(now-3600_000, 10)
	binVal := "bin\r\n\x00\xff*3\r\n#not-an-annotation"

	// Batches before the rewrite: they end up in the base only.
	var b []byte
	b = resp.AppendCommand(b, "SET", "str", "old")
	b = resp.AppendCommand(b, "RPUSH", "list", "a", "b")
	b = AppendMarker(b, 1, now)
	mustAppend(t, a, b)
	b = resp.AppendCommand(nil, "SELECT", "2")
	b = resp.AppendCommand(b, "SET", "db2key", "v")
	b, _ = AppendAnnotation(b, "geomys:note in the middle of a batch")
	b = resp.AppendCommand(b, "PEXPIREAT", "db2key", future)
	b = AppendMarker(b, 2, now)
	mustAppend(t, a, b)

	rw, err := a.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	// Appends after StartRewrite go to the new incr file. It is a new file,
	// so redis-server replays it from db 0: this SET lands in db 0.
	b = resp.AppendCommand(nil, "SET", "str", "hello")
	b = resp.AppendCommand(b, "PEXPIREAT", "str", future)
	b = resp.AppendCommand(b, "SELECT", "2")
	b = resp.AppendCommand(b, "RPUSH", "list2", "x", "y", "z")
	b = resp.AppendCommand(b, "SET", "gone", "x")
	b = resp.AppendCommand(b, "PEXPIREAT", "gone", past)
	b = AppendMarker(b, 3, now)
	mustAppend(t, a, b)

	// The base as of StartRewrite.
	var base []byte
	base, _ = AppendAnnotation(base, "geomys:base 2 "+strconv.FormatInt(now, 10))
	base = resp.AppendCommand(base, "SET", "str", "old")
	base = resp.AppendCommand(base, "RPUSH", "list", "a", "b")
	base = resp.AppendCommand(base, "SELECT", "2")
	base = resp.AppendCommand(base, "SET", "db2key", "v")
	base = resp.AppendCommand(base, "PEXPIREAT", "db2key", future)
	base, _ = AppendAnnotation(base, "geomys:base-end 2")
	if _, err := rw.Write(base); err != nil {
		t.Fatal(err)
	}
	if err := rw.Commit(); err != nil {
		t.Fatal(err)
	}

	b = resp.AppendCommand(nil, "SELECT", "0")
	b = resp.AppendCommand(b, "RPUSH", "list", "c")
	b = resp.AppendCommand(b, "SELECT", "5")
	b = resp.AppendCommand(b, "SET", "bin", binVal)
	b = AppendMarker(b, 4, now)
	mustAppend(t, a, b)
	// A second incr file (an aborted rewrite), so the manifest lists two.
	rw2, err := a.StartRewrite()
	if err != nil {
		t.Fatal(err)
	}
	rw2.Abort()
	b = resp.AppendCommand(nil, "SET", "last", "1") // db 0: new file
	b = AppendMarker(b, 5, now)
	mustAppend(t, a, b)

	baseName, incrs := a.Files()
	if baseName != "appendonly.aof.2.base.aof" || len(incrs) != 2 {
		t.Fatalf("files %q %q", baseName, incrs)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// Our own replay, modelled per db, as the reference.
	a2, err := Open(Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	model := map[int]map[string]bool{}
	db := 0
	err = a2.Load(func(args [][]byte) error {
		cmd := strings.ToUpper(string(args[0]))
		switch cmd {
		case "SELECT":
			db, _ = strconv.Atoi(string(args[1]))
		case "SET", "RPUSH":
			if model[db] == nil {
				model[db] = map[string]bool{}
			}
			model[db][string(args[1])] = true
		}
		return nil
	}, nil)
	a2.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !model[0]["str"] || !model[0]["last"] || !model[2]["list2"] || !model[5]["bin"] {
		t.Fatalf("our replay model: %v", model)
	}

	// redis-check-aof on the manifest (multi part AOF) and on each file.
	out, err := exec.Command(checker, filepath.Join(dir, "appendonly.aof.manifest")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "All AOF files and manifest are valid") {
		t.Fatalf("redis-check-aof on manifest: %v\n%s", err, out)
	}
	for _, name := range append([]string{baseName}, incrs...) {
		out, err := exec.Command(checker, filepath.Join(dir, name)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "is valid") {
			t.Fatalf("redis-check-aof %s: %v\n%s", name, err, out)
		}
	}

	// redis-server loads it.
	port := freePort(t)
	logs := &syncBuf{}
	cmd := exec.Command(server,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--appendonly", "yes", "--dir", parent, "--appenddirname", dirname,
		"--save", "", "--daemonize", "no", "--logfile", "")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	var conn net.Conn
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err = net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			break
		}
		select {
		case <-exited:
			t.Fatalf("redis-server exited:\n%s", logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server not reachable: %v\n%s", err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer conn.Close()
	rc := &respConn{c: conn, br: bufio.NewReader(conn)}
	check := func(want any, args ...string) {
		t.Helper()
		got, err := rc.do(args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, logs)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v = %#v, want %#v\nredis-server log:\n%s", args, got, want, logs)
		}
	}
	check("PONG", "PING")
	check("hello", "GET", "str")
	check("1", "GET", "last")
	check([]any{"a", "b", "c"}, "LRANGE", "list", "0", "-1")
	pttl, err := rc.do("PTTL", "str")
	if n, ok := pttl.(int64); err != nil || !ok || n <= 0 || n > 3600_000 {
		t.Fatalf("PTTL str = %v, %v", pttl, err)
	}
	check(int64(3), "DBSIZE")
	check("OK", "SELECT", "2")
	check("v", "GET", "db2key")
	check([]any{"x", "y", "z"}, "LRANGE", "list2", "0", "-1")
	check(int64(0), "EXISTS", "gone")
	check(int64(2), "DBSIZE")
	check("OK", "SELECT", "5")
	check(binVal, "GET", "bin")
	info, err := rc.do("INFO", "persistence")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(info), "aof_enabled:1") {
		t.Fatalf("INFO persistence: %v", info)
	}
	for _, want := range []string{
		"DB loaded from base file appendonly.aof.2.base.aof",
		"DB loaded from incr file appendonly.aof.3.incr.aof",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("redis-server log lacks %q:\n%s", want, logs)
		}
	}
	conn.Close()
	cmd.Process.Kill()
	<-exited

	// After redis-server used the directory, we still open and load it.
	a3, err := Open(Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a3.Close()
	if _, err := tryLoad(a3); err != nil {
		t.Fatal(err)
	}
}

// TestRedisCheckAOFSeesTornTail documents that the torn tail Load repairs is
// what redis-check-aof reports as invalid, and that after Load it is valid.
func TestRedisCheckAOFSeesTornTail(t *testing.T) {
	checker, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Fatalf("redis-check-aof is required for this test and was not found in PATH: %v", err)
	}
	dir := t.TempDir()
	a, err := Open(Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, a, batch(1, "SET a 1"))
	torn := batch(2, "SET b 2")
	mustAppend(t, a, torn[:len(torn)-40]) // cuts into the SET, not only the marker
	a.Close()
	manifest := filepath.Join(dir, "appendonly.aof.manifest")
	out, err := exec.Command(checker, manifest).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("redis-check-aof accepted a torn file: %v\n%s", err, out)
	}
	a2, err := Open(Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	if _, err := tryLoad(a2); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(checker, manifest).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-check-aof after repair: %v\n%s", err, out)
	}
	if _, err := os.Stat(manifest); err != nil {
		t.Fatal(err)
	}
}
