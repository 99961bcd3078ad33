// Package testutil is what Geomys's tests share below the end-to-end suite:
// free loopback ports, a stock redis-server to compare with, and a buffer
// that collects a process's output. (Starting Geomys nodes is test/'s
// harness.)
package testutil

import (
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// handedOut remembers every port FreePort returned, so two servers of one
// test run never get the same port (the kernel may offer a just-closed port
// again).
var handedOut sync.Map

// FreePort asks the kernel for an unused loopback port.
func FreePort(t testing.TB) int {
	t.Helper()
	var held []net.Listener
	defer func() {
		for _, ln := range held {
			ln.Close()
		}
	}()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		if _, dup := handedOut.LoadOrStore(port, true); !dup {
			return port
		}
	}
}

// SyncBuffer collects a process's output; safe for concurrent writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartRedis runs a throwaway stock redis-server (no persistence) on a free
// loopback port, stopped when the test ends, and returns its address.
func StartRedis(t testing.TB, extraArgs ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed: run `make test`, which installs it")
	}
	port := FreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir()}, extraArgs...)
	cmd := exec.Command(bin, args...)
	var log SyncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
