// Package test is Geomys' end-to-end suite: every test starts the real
// bin/geomys on free loopback ports and talks to it with real clients
// (go-redis, redis-cli, redis-benchmark, and the stock redis-server).
package test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/geomys/geomys/internal/testutil"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var geomysBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "geomys-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	geomysBin = filepath.Join(dir, "geomys")
	// GEOMYS_RACE=1 builds the server with the race detector, so the
	// end-to-end tests also check the server's own concurrency.
	buildArgs := []string{"build", "-o", geomysBin}
	if os.Getenv("GEOMYS_RACE") != "" {
		buildArgs = append(buildArgs, "-race")
	}
	build := exec.Command("go", append(buildArgs, "..")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building geomys:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t testing.TB) int { return testutil.FreePort(t) }

// node is one running geomys process.
type node struct {
	t        testing.TB
	port     int
	raftPort int
	dir      string
	args     []string
	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{}
}

type syncBuffer = testutil.SyncBuffer

// startNode runs geomys with a fresh data dir (or dir, if given via withDir).
func startNode(t testing.TB, extra ...string) *node {
	t.Helper()
	n := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(), args: extra}
	n.start()
	t.Cleanup(func() {
		n.kill()
		n.checkRace()
	})
	return n
}

// checkRace fails the test if a race-detector build reported a data race.
func (n *node) checkRace() {
	if n.log != nil && strings.Contains(n.log.String(), "WARNING: DATA RACE") {
		n.t.Errorf("data race in geomys on %s:\n%s", n.addr(), n.log.String())
	}
}

func (n *node) start() {
	n.t.Helper()
	first := n.cmd == nil
	n.launch()
	// A free port can still be taken (e.g. as the local port of some
	// outgoing connection) before the server binds it; a fresh node then
	// simply starts again on another one.
	for try := 0; first && try < 3 && n.bindConflict(); try++ {
		n.port, n.raftPort = freePort(n.t), freePort(n.t)
		n.launch()
	}
	n.waitReady()
}

// bindConflict waits briefly to see whether the process exits because its
// port is taken.
func (n *node) bindConflict() bool {
	for i := 0; i < 20; i++ {
		select {
		case <-n.exited:
			return strings.Contains(n.log.String(), "address already in use")
		default:
		}
		if c, err := net.DialTimeout("tcp", n.addr(), 100*time.Millisecond); err == nil {
			c.Close()
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false
}

// launch starts the process without waiting for it to serve.
func (n *node) launch() {
	n.t.Helper()
	args := []string{"--port", strconv.Itoa(n.port), "--dir", n.dir,
		"--raft-addr", "127.0.0.1:" + strconv.Itoa(n.raftPort), "--loglevel", "warning"}
	args = append(args, n.args...)
	n.cmd = exec.Command(geomysBin, args...)
	n.log = &syncBuffer{}
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.exited)
}

// waitReady polls until a write succeeds (the node elected itself and replayed).
func (n *node) waitReady() {
	n.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			n.t.Fatalf("geomys exited during start-up:\n%s", n.log.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Set(ctx, "__geomys_test_ready", "1", 0).Err()
		cancel()
		if err != nil && strings.HasPrefix(err.Error(), "MOVED ") {
			return // a follower in redirect mode that knows its leader
		}
		if err == nil {
			c.Del(context.Background(), "__geomys_test_ready")
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("geomys on %s not ready after 30s:\n%s", n.addr(), n.log.String())
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// client returns a go-redis client on its default options (RESP3 via HELLO 3).
func (n *node) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr()})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// client2 returns a go-redis client that speaks RESP2.
func (n *node) client2() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr(), Protocol: 2})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// kill sends SIGKILL and waits for the process to go away.
func (n *node) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.exited:
	default:
		n.cmd.Process.Signal(syscall.SIGKILL)
		<-n.exited
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (n *node) stop() {
	n.t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.t.Fatalf("geomys did not exit on SIGTERM:\n%s", n.log.String())
	}
}

// restart starts the process again on the same ports and data dir.
func (n *node) restart() {
	n.t.Helper()
	n.start()
}

// raw sends RESP bytes on a new connection and returns what comes back
// within the timeout.
func (n *node) raw(t testing.TB, payload string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", n.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	var out bytes.Buffer
	buf := make([]byte, 64<<10)
	for {
		k, err := conn.Read(buf)
		out.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return out.String()
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
