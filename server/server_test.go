package server

import (
	"strconv"
	"testing"

	"github.com/geomys/geomys/resp"
)

// The server over a fake cluster: writes, a read, a script, a pipeline of
// scripts, and WATCH decided at EXEC — the paths that use the cluster's
// Apply, ApplyChecked and SubmitPrepared — without Raft.
func TestServerOverFakeCluster(t *testing.T) {
	s := startTestServer(t)
	c, err := resp.Dial(s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := resp.Dial(s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	steps := []struct {
		c    *resp.Client
		args []string
		want string
	}{
		{c, []string{"SET", "k", "1"}, "+OK\r\n"},
		{c, []string{"EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "k", "41"}, ":42\r\n"},
		{c, []string{"GET", "k"}, "$2\r\n42\r\n"},
		{c, []string{"WATCH", "k"}, "+OK\r\n"},
		{other, []string{"SET", "k", "changed"}, "+OK\r\n"},
		{c, []string{"MULTI"}, "+OK\r\n"},
		{c, []string{"SET", "k", "tx"}, "+QUEUED\r\n"},
		{c, []string{"EXEC"}, "*-1\r\n"},
		{c, []string{"GET", "k"}, "$7\r\nchanged\r\n"},
		{c, []string{"EVAL", "redis.call('SET', KEYS[1], 'x') error('boom')", "1", "partial"}, ""},
		{c, []string{"GET", "partial"}, "$1\r\nx\r\n"},
	}
	for _, st := range steps {
		got, err := st.c.Do(st.args...)
		if err != nil || st.want != "" && got != st.want {
			t.Errorf("%q = %q, %v; want %q", st.args, got, err, st.want)
		}
	}

	// A pipeline of EVALSHA: submitted together, answered in order.
	sha, err := c.Do("SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])")
	if err != nil {
		t.Fatal(err)
	}
	sha = sha[len("$40\r\n") : len(sha)-2]
	for i := 0; i < 10; i++ {
		if err := c.Send("EVALSHA", sha, "1", "n"); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 10; i++ {
		if got, err := c.Read(); err != nil || got != ":"+strconv.Itoa(i)+"\r\n" {
			t.Fatalf("pipelined EVALSHA #%d = %q, %v", i, got, err)
		}
	}
}
