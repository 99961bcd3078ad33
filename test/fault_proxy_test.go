package test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// proxyOutcome is what a pipelining client concludes from one command's error.
type proxyOutcome int

const (
	pOK      proxyOutcome = iota
	pFailed               // certainly not executed
	pUnknown              // may or may not have been executed
	pAnomaly              // a reply no correct server sends for this command
)

// classifyProxyErr is stricter than chaos.Classify: an error reply other
// than TRYAGAIN/UNCERTAIN (or LOADING from a node that just restarted and
// cannot serve yet), or a reply go-redis cannot parse as this
// command's reply, is an anomaly — the sign of a reply meant for another
// command.
func classifyProxyErr(err error) proxyOutcome {
	if err == nil || errors.Is(err, redis.Nil) {
		return pOK
	}
	var re redis.Error
	if errors.As(err, &re) {
		switch msg := re.Error(); {
		case strings.HasPrefix(msg, "TRYAGAIN"), strings.HasPrefix(msg, "LOADING "):
			return pFailed
		case strings.HasPrefix(msg, "UNCERTAIN"):
			return pUnknown
		}
		return pAnomaly
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return pFailed
	}
	if errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return pFailed
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return pUnknown
	}
	return pAnomaly
}

// replyCounts counts the pipelined clients' replies by outcome, for rates.
var replyCounts struct{ ok, tryagain, uncertain atomic.Int64 }

// pipeClient is one of TestFaultProxyReplies' clients: it alone writes its
// counter and its register, so it can tell exactly which replies it may get.
type pipeClient struct {
	id     int
	rc     *redis.Client
	ctrKey string
	regKey string
	rng    *rand.Rand

	// counter
	ctrLast     int64 // value of the last INCR acknowledged
	ctrUnkSince int64 // INCRs with unknown outcome since then
	ctrAcked    int64
	ctrUnk      int64
	// register: SET values are "p<id>-<seq>"
	seq   int
	sets  map[int]proxyOutcome // seq -> outcome of its SET
	floor int                  // seq a GET must at least return: last acked or observed
	gets  int

	pipelines, ok, failed, unknown int
	errs                           []string
}

func (pc *pipeClient) fail(format string, args ...any) {
	if len(pc.errs) < 10 {
		pc.errs = append(pc.errs, fmt.Sprintf("client %d: ", pc.id)+fmt.Sprintf(format, args...))
	}
}

// value parses one of this client's register values; -1 if not its own.
func (pc *pipeClient) value(v string) int {
	rest, ok := strings.CutPrefix(v, fmt.Sprintf("p%d-", pc.id))
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

// checkGet checks a GET reply (nil: missing key) against what this client
// wrote before it, in program order.
func (pc *pipeClient) checkGet(v string, exists bool, where string) {
	if !exists {
		if pc.floor != 0 {
			pc.fail("%s: GET %s = nil after p%d-%d was acknowledged or seen", where, pc.regKey, pc.id, pc.floor)
		}
		return
	}
	n := pc.value(v)
	switch {
	case n < 0:
		pc.fail("%s: GET %s = %q: not a value this client wrote (another client's reply?)", where, pc.regKey, v)
	case n > pc.seq:
		pc.fail("%s: GET %s = %q: a SET not yet sent before this GET (reordered pipeline?)", where, pc.regKey, v)
	case n < pc.floor:
		pc.fail("%s: GET %s = %q: older than p%d-%d, acknowledged or seen before (stale read)", where, pc.regKey, v, pc.id, pc.floor)
	case n > pc.floor && pc.sets[n] == pFailed:
		pc.fail("%s: GET %s = %q: that SET was answered TRYAGAIN (not executed)", where, pc.regKey, v)
	case n > pc.floor && pc.sets[n] == pOK:
		pc.fail("%s: GET %s = %q: bookkeeping error, acked SET above floor %d", where, pc.regKey, v, pc.floor)
	default:
		pc.floor = n
	}
}

// checkCounter checks a counter value read when nothing is in flight.
func (pc *pipeClient) checkCounter(v int64) {
	if v < pc.ctrAcked || v > pc.ctrAcked+pc.ctrUnk {
		pc.fail("counter %s = %d, want within [%d acknowledged, %d acknowledged+uncertain]", pc.ctrKey, v, pc.ctrAcked, pc.ctrAcked+pc.ctrUnk)
	}
	if v < pc.ctrLast || v > pc.ctrLast+pc.ctrUnkSince {
		pc.fail("counter %s = %d, want within [%d last acknowledged INCR, +%d uncertain since]", pc.ctrKey, v, pc.ctrLast, pc.ctrUnkSince)
	}
}

// pipeline sends one pipeline of 10 commands and checks every reply.
func (pc *pipeClient) pipeline(ctx context.Context) {
	type sent struct {
		kind byte // 'i' INCR, 's' SET, 'g' GET
		seq  int
		cmd  redis.Cmder
	}
	var ops []sent
	seqStart := pc.seq
	pipe := pc.rc.Pipeline()
	for i := 0; i < 10; i++ {
		switch r := pc.rng.IntN(10); {
		case r < 4:
			ops = append(ops, sent{kind: 'i', cmd: pipe.Incr(ctx, pc.ctrKey)})
		case r < 7:
			pc.seq++
			ops = append(ops, sent{kind: 's', seq: pc.seq, cmd: pipe.Set(ctx, pc.regKey, fmt.Sprintf("p%d-%d", pc.id, pc.seq), 0)})
		default:
			ops = append(ops, sent{kind: 'g', cmd: pipe.Get(ctx, pc.regKey)})
		}
	}
	pipe.Exec(ctx) // errors are per command
	pc.pipelines++
	// Replay in program order: a GET may see the SETs before it, not after.
	last := pc.seq
	pc.seq = seqStart
	for i, o := range ops {
		where := fmt.Sprintf("pipeline %d op %d", pc.pipelines, i)
		out := classifyProxyErr(o.cmd.Err())
		switch out {
		case pOK:
			pc.ok++
			replyCounts.ok.Add(1)
		case pFailed:
			pc.failed++
			replyCounts.tryagain.Add(1)
		case pUnknown:
			pc.unknown++
			replyCounts.uncertain.Add(1)
		case pAnomaly:
			pc.fail("%s: %s: anomalous error %v", where, o.cmd.Name(), o.cmd.Err())
		}
		switch o.kind {
		case 'i':
			switch out {
			case pOK:
				v := o.cmd.(*redis.IntCmd).Val()
				if v <= pc.ctrLast || v > pc.ctrLast+1+pc.ctrUnkSince {
					pc.fail("%s: INCR %s = %d after %d acknowledged and %d uncertain since (another client's reply, or a repeated write?)",
						where, pc.ctrKey, v, pc.ctrLast, pc.ctrUnkSince)
				}
				pc.ctrLast, pc.ctrUnkSince = v, 0
				pc.ctrAcked++
			case pUnknown, pAnomaly:
				pc.ctrUnkSince++
				pc.ctrUnk++
			}
		case 's':
			pc.seq = o.seq
			if out == pOK {
				if v := o.cmd.(*redis.StatusCmd).Val(); v != "OK" {
					pc.fail("%s: SET %s = %q, want OK", where, pc.regKey, v)
				}
				pc.floor = o.seq
			}
			if out == pAnomaly {
				out = pUnknown
			}
			pc.sets[o.seq] = out
		case 'g':
			if out == pOK {
				pc.gets++
				v, err := o.cmd.(*redis.StringCmd).Result()
				pc.checkGet(v, err == nil, where)
			}
		}
	}
	if pc.seq != last {
		pc.fail("bookkeeping: seq %d != %d", pc.seq, last)
	}
}

// TestFaultProxyReplies: 16 clients on the followers pipeline INCRs of their
// own counter and SET/GETs of their own register while leadership moves
// every ~500ms (RAFT.TRANSFER-LEADER) and the leader is once killed -9.
// Every acknowledged reply must be the reply to the client's own command:
// INCR replies strictly increase and skip only over uncertain INCRs, a GET
// returns the client's own last acknowledged value or a later uncertain one,
// and each counter ends between its acknowledged INCRs and those plus the
// uncertain ones (a write relayed twice would exceed that).
func TestFaultProxyReplies(t *testing.T) {
	c := startCluster(t, 3, "--request-timeout", "2s")
	faultRounds(t, func(round int) {
		ctx := ctxT(t)
		l0 := c.leader()
		fs := others(c, l0)
		fr := startFaultRun(t, c, round, c.addrs(), "")

		var pcs []*pipeClient
		for i := 0; i < 16; i++ {
			f := fs[i%len(fs)]
			pc := &pipeClient{
				id:     i,
				ctrKey: fmt.Sprintf("r%d:pctr:%d", round, i),
				regKey: fmt.Sprintf("r%d:preg:%d", round, i),
				rng:    rand.New(rand.NewPCG(uint64(seedFor(t.Name(), round)), uint64(i))),
				sets:   map[int]proxyOutcome{},
				rc: redis.NewClient(&redis.Options{Addr: f.addr(), Protocol: 2, DisableIdentity: true,
					MaxRetries: -1, DialerRetries: 1, PoolSize: 1, DialTimeout: time.Second,
					ReadTimeout: 5 * time.Second, WriteTimeout: 2 * time.Second, PoolTimeout: 8 * time.Second}),
			}
			t.Cleanup(func() { pc.rc.Close() })
			pcs = append(pcs, pc)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, pc := range pcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					okBefore := pc.ok
					pc.pipeline(ctx)
					pause := time.Duration(rand.IntN(10)) * time.Millisecond
					if pc.ok == okBefore {
						pause += 20 * time.Millisecond // nothing worked: back off
					}
					time.Sleep(pause)
				}
			}()
		}
		time.Sleep(1500 * time.Millisecond)

		// Transfers alternate between the first leader and the first
		// follower, so the second follower relays throughout.
		transfers, refused := 0, 0
		transfer := func() {
			l := c.leader()
			target := l0
			if l == l0 {
				target = fs[0]
			}
			err := l.client2().Do(ctx, "RAFT.TRANSFER-LEADER", target.name()).Err()
			if err != nil {
				refused++
				t.Logf("RAFT.TRANSFER-LEADER %s on %s: %v", target.name(), l.name(), err)
			} else {
				transfers++
			}
		}
		phase := func(n int) {
			ok0, try0, unk0 := replyCounts.ok.Load(), replyCounts.tryagain.Load(), replyCounts.uncertain.Load()
			lift := fr.fault("leadership-transfers")
			begin := time.Now()
			for i := 0; i < n; i++ {
				transfer()
				time.Sleep(500 * time.Millisecond)
			}
			lift()
			secs := time.Since(begin).Seconds()
			t.Logf("pipelined replies during transfers: %.0f ok/s, %.0f TRYAGAIN/s, %.0f UNCERTAIN/s",
				float64(replyCounts.ok.Load()-ok0)/secs, float64(replyCounts.tryagain.Load()-try0)/secs,
				float64(replyCounts.uncertain.Load()-unk0)/secs)
		}
		phase(8)
		time.Sleep(time.Second)
		killAndRestartLeader(t, c, fr, "kill-leader")
		time.Sleep(time.Second)
		phase(8)
		settle()
		close(stop)
		wg.Wait()
		t.Logf("leadership transfers: %d done, %d refused", transfers, refused)
		if transfers < 8 {
			t.Errorf("only %d of 16 leadership transfers succeeded", transfers)
		}

		var pipelines, ok, failed, unknown, gets int
		var acked, unk int64
		for _, pc := range pcs {
			s, err := c.leader().client2().Get(ctx, pc.ctrKey).Result()
			var v int64
			if err == nil {
				v, err = strconv.ParseInt(s, 10, 64)
			}
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatalf("final GET %s: %v", pc.ctrKey, err)
			}
			pc.checkCounter(v)
			rv, err := c.leader().client2().Get(ctx, pc.regKey).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				t.Fatalf("final GET %s: %v", pc.regKey, err)
			}
			pc.checkGet(rv, err == nil, "final")
			for _, e := range pc.errs {
				t.Error(e)
			}
			if pc.ctrAcked == 0 || pc.gets == 0 {
				t.Errorf("client %d: %d acknowledged INCRs, %d GETs checked", pc.id, pc.ctrAcked, pc.gets)
			}
			pipelines += pc.pipelines
			ok, failed, unknown, gets = ok+pc.ok, failed+pc.failed, unknown+pc.unknown, gets+pc.gets
			acked, unk = acked+pc.ctrAcked, unk+pc.ctrUnk
		}
		t.Logf("FAULT-METRIC test=%s round=%d fault=pipelined-clients pipelines=%d replies_ok=%d tryagain=%d uncertain=%d gets_checked=%d incr_acked=%d incr_uncertain=%d",
			t.Name(), round, pipelines, ok, failed, unknown, gets, acked, unk)
		if t.Failed() {
			t.Fatalf("cluster logs:\n%s", c.logs())
		}
		fr.finish()
	})
}
