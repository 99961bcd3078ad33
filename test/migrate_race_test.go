package test

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/resp"
)

// TestMigrateKeepsLaterWrite: a key written between MIGRATE's DUMP and its
// DEL is not lost. The target here answers the first RESTORE only after the
// test has overwritten the key on Geomys; MIGRATE must then send the new
// value (with REPLACE: the target holds the old one) before deleting.
func TestMigrateKeepsLaterWrite(t *testing.T) {
	n := startNode(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var restores [][]string
	firstSeen := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for {
			raw, err := resp.ReadReply(r, nil)
			if err != nil {
				return
			}
			args := splitCommand(raw)
			if len(args) > 0 && strings.EqualFold(args[0], "RESTORE") {
				mu.Lock()
				restores = append(restores, args)
				first := len(restores) == 1
				mu.Unlock()
				if first {
					close(firstSeen)
					<-release
				}
			}
			conn.Write([]byte("+OK\r\n"))
		}
	}()
	c := n.client()
	ctx := ctxT(t)
	c.Set(ctx, "k", "old", 0)
	port := ln.Addr().(*net.TCPAddr).Port
	done := make(chan error, 1)
	go func() {
		done <- c.Do(ctx, "MIGRATE", "127.0.0.1", port, "k", 0, 5000).Err()
	}()
	select {
	case <-firstSeen:
	case <-time.After(10 * time.Second):
		t.Fatal("the target never got a RESTORE")
	}
	if err := n.client2().Set(ctx, "k", "new", 0).Err(); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("MIGRATE: %v", err)
	}
	ln.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(restores) != 2 {
		t.Fatalf("the target got %d RESTOREs, want 2 (the old value, then the new one): %q", len(restores), restores)
	}
	last := restores[1]
	if last[len(last)-1] != "REPLACE" {
		t.Errorf("the second RESTORE lacks REPLACE: %q", last)
	}
	if !strings.Contains(last[3], "new") {
		t.Errorf("the second RESTORE sent %q, not the value written during the MIGRATE", last[3])
	}
	if got := c.Exists(ctx, "k").Val(); got != 0 {
		t.Errorf("k still exists after the MIGRATE that moved its latest value")
	}
	wg.Wait()
}

// splitCommand reads a RESP array of bulk strings.
func splitCommand(raw []byte) []string {
	it, rest, err := resp.Next(raw)
	if err != nil || it.Kind != '*' {
		return nil
	}
	out := make([]string, 0, it.N)
	for range it.N {
		var e resp.Item
		if e, rest, err = resp.Next(rest); err != nil {
			return nil
		}
		out = append(out, string(e.Bulk))
	}
	return out
}
