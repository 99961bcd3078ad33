package cluster

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/geomys/geomys/fsm"
)

// TestSoleVoterElectsAtOnce: a single-voter node leads well within its
// election timeout on a fresh start and on a restart, and the timeout it
// runs with afterwards is the configured one.
func TestSoleVoterElectsAtOnce(t *testing.T) {
	const election = 5 * time.Second // a start waiting it out would take >= 5s
	dir := t.TempDir()
	bind := freeAddr(t, "127.0.0.1")
	for _, start := range []string{"fresh", "restart"} {
		f, err := fsm.Open(fsm.Options{Dir: filepath.Join(dir, "aof"), Fsync: "no", Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		n, err := Open(Options{NodeID: "solo", RaftAddr: bind, ClientAddr: "client-solo:1", Dir: filepath.Join(dir, "raft"),
			Logger: slog.New(slog.DiscardHandler), ApplyTimeout: 2 * time.Second, ElectionTimeout: election}, f)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = n.WaitReady(ctx)
		cancel()
		took := time.Since(began)
		hb := n.raft.ReloadableConfig().HeartbeatTimeout
		if err == nil {
			_, err = n.Apply(setEntry("k", start))
		}
		n.Close()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", start, err)
		}
		if took > election/2 {
			t.Fatalf("%s: ready after %v, want well under the %v election timeout", start, took, election)
		}
		if hb != election {
			t.Fatalf("%s: heartbeat timeout %v after the election, want the configured %v", start, hb, election)
		}
		t.Logf("%s: leader and ready %v after Open", start, took.Round(time.Millisecond))
	}
}
