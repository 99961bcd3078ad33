package chaos

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// startRedis runs a throwaway redis-server on a free port on 127.0.0.1 and
// returns its address. A single redis-server is linearizable, so any
// violation found against it is a bug in this package.
func startRedis(t *testing.T, extraArgs ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is required on PATH for the workload tests: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extraArgs...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rc.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not come up", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

func checkWorkload(t *testing.T, w *Workload) {
	t.Helper()
	for _, r := range w.Check(30 * time.Second) {
		returned, unknown, dropped := r.History.Counts()
		t.Logf("%s: %s (%d returned, %d unknown, %d dropped)", r.Name, r.Result, returned, unknown, dropped)
		if r.Result != porcupine.Ok {
			path := filepath.Join(t.TempDir(), r.Name+".html")
			if err := r.Visualize(path); err != nil {
				t.Log(err)
			}
			t.Errorf("%s history is %s; visualization in %s", r.Name, r.Result, path)
		}
	}
}

func TestWorkloadRedis(t *testing.T) {
	addr := startRedis(t)
	// Listing the node twice exercises fail-over bookkeeping without a
	// second server: both entries are the same linearizable store.
	w := NewWorkload(WorkloadOptions{Addrs: []string{addr, addr}, Clients: 8, Seed: 1})
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	time.Sleep(2 * time.Second)
	w.Stop()

	st := w.Stats()
	t.Logf("stats: %+v", st)
	if st.OK < 100 || st.WritesOK < 50 {
		t.Fatalf("too few successful operations: %+v", st)
	}
	if st.Failed != 0 || st.Unknown != 0 || len(st.Anomalies) != 0 {
		t.Fatalf("a healthy redis-server produced failures: %+v", st)
	}
	checkWorkload(t, w)
	if err := w.VerifyFinal(context.Background(), addr); err != nil {
		t.Fatal(err)
	}

	d, ok := w.FirstSuccessAfter(begin.Add(time.Second))
	if !ok || d > 200*time.Millisecond {
		t.Fatalf("FirstSuccessAfter(1s in) = %v, %v; want a write within 200ms", d, ok)
	}
	if _, ok := w.FirstSuccessAfter(time.Now()); ok {
		t.Fatal("FirstSuccessAfter(after Stop) reported a write")
	}
	series := w.WriteSeries(0)
	if len(series) < 20 || len(series) > 22 {
		t.Fatalf("got %d 100ms windows for a 2s run", len(series))
	}
	total := 0
	for _, win := range series {
		total += win.Writes
	}
	if total != st.WritesOK {
		t.Fatalf("series totals %d writes, stats say %d", total, st.WritesOK)
	}
}

// TestWorkloadFailover runs against one live and one dead address: clients
// starting on the dead one must fail over, the refused commands must be
// dropped as failed, and the histories must still check.
func TestWorkloadFailover(t *testing.T) {
	addr := startRedis(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	w := NewWorkload(WorkloadOptions{Addrs: []string{dead, addr}, Clients: 4, Seed: 2, KeyPrefix: "fo:"})
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	w.Stop()
	st := w.Stats()
	t.Logf("stats: %+v", st)
	if st.Failed == 0 {
		t.Fatal("no operation failed against the dead address")
	}
	if st.Unknown != 0 {
		t.Fatalf("refused connections must count as failed, not unknown: %+v", st)
	}
	if st.WritesOK == 0 {
		t.Fatal("clients did not fail over to the live node")
	}
	checkWorkload(t, w)
	if err := w.VerifyFinal(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
}

// TestWorkloadUnknownOutcomes stalls the server with DEBUG SLEEP for longer
// than the clients' read timeout. The commands caught in the stall time out
// (unknown outcome) yet are applied when the server wakes, which is exactly
// the case the models must accept; and no write can succeed during the stall,
// which FirstSuccessAfter and WriteSeries must show.
func TestWorkloadUnknownOutcomes(t *testing.T) {
	addr := startRedis(t, "--enable-debug-command", "local")
	w := NewWorkload(WorkloadOptions{
		Addrs: []string{addr}, Clients: 6, Seed: 4,
		ReadTimeout: 100 * time.Millisecond, WriteTimeout: 100 * time.Millisecond,
	})
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	time.Sleep(300 * time.Millisecond)

	admin := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 5 * time.Second})
	defer admin.Close()
	const stall = 600 * time.Millisecond
	sleepDone := make(chan error, 1)
	go func() { sleepDone <- admin.Do(ctx, "DEBUG", "SLEEP", stall.Seconds()).Err() }()
	// By now the server is surely asleep, whatever the scheduling delay
	// of the DEBUG command itself.
	time.Sleep(50 * time.Millisecond)
	stalled := time.Now()
	if err := <-sleepDone; err != nil {
		t.Fatalf("DEBUG SLEEP: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	w.Stop()

	st := w.Stats()
	t.Logf("stats: %+v", st)
	if st.Unknown == 0 {
		t.Fatal("the stall produced no unknown outcomes")
	}
	checkWorkload(t, w)
	if err := w.VerifyFinal(ctx, addr); err != nil {
		t.Fatal(err)
	}
	d, ok := w.FirstSuccessAfter(stalled)
	t.Logf("first write after the stall began: %v", d)
	if !ok || d < stall-200*time.Millisecond {
		t.Fatalf("FirstSuccessAfter = %v, %v; no write can succeed during a %v stall", d, ok, stall)
	}
	empty := 0
	for _, win := range w.WriteSeries(100 * time.Millisecond) {
		if win.Start.After(stalled) && win.Start.Before(stalled.Add(stall-200*time.Millisecond)) && win.Writes == 0 {
			empty++
		}
	}
	if empty < 2 {
		t.Fatalf("expected empty 100ms windows during the stall, found %d", empty)
	}
}

// TestWorkloadDetectsLoss wipes the store mid-run, the crudest lost-write
// bug, and expects the checker to notice: after FLUSHALL an INCR restarts
// from 1 and an RPUSH from length 1, which no linearization explains.
func TestWorkloadDetectsLoss(t *testing.T) {
	addr := startRedis(t)
	w := NewWorkload(WorkloadOptions{Addrs: []string{addr}, Clients: 4, Seed: 5})
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	time.Sleep(300 * time.Millisecond)
	admin := redis.NewClient(&redis.Options{Addr: addr})
	defer admin.Close()
	if err := admin.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	w.Stop()

	for _, r := range w.Check(30 * time.Second) {
		t.Logf("%s: %s", r.Name, r.Result)
		if r.Name == ModelRegister {
			continue // a SET may follow the flush on every key, hiding it
		}
		if r.Result != porcupine.Illegal {
			t.Errorf("%s: check = %s after FLUSHALL, want Illegal", r.Name, r.Result)
			continue
		}
		path := filepath.Join(t.TempDir(), r.Name+".html")
		if err := r.Visualize(path); err != nil {
			t.Error(err)
		}
	}
	if err := w.VerifyFinal(ctx, addr); err == nil {
		t.Error("VerifyFinal passed after FLUSHALL")
	}
}

// TestVerifyFinalDetectsLoss tampers with the store behind the workload's
// back and expects each kind of loss to be reported.
func TestVerifyFinalDetectsLoss(t *testing.T) {
	addr := startRedis(t)
	w := NewWorkload(WorkloadOptions{Addrs: []string{addr}, Clients: 4, Seed: 3, KeysPerModel: 1, Pause: -1})
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	w.Stop()
	if err := w.VerifyFinal(context.Background(), addr); err != nil {
		t.Fatalf("untouched state: %v", err)
	}

	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	ctx := context.Background()
	if err := rc.Set(ctx, "reg:0", "bogus", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.DecrBy(ctx, "ctr:0", 1).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rc.LPop(ctx, "lst:0").Err(); err != nil {
		t.Fatal(err)
	}
	err := w.VerifyFinal(ctx, addr)
	if err == nil {
		t.Fatal("VerifyFinal missed the tampering")
	}
	for _, want := range []string{"register reg:0", "counter ctr:0", "list lst:0: lost"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("VerifyFinal error lacks %q:\n%v", want, err)
		}
	}
}
