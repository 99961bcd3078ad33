package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// WorkloadOptions configures a Workload. Zero fields take the defaults noted.
type WorkloadOptions struct {
	Addrs        []string // client addresses of the nodes, "127.0.0.1:port"; required
	Clients      int      // concurrent clients; default 8
	Seed         int64    // seeds each client's choice of operations
	KeysPerModel int      // keys per model; default 5
	// KeyPrefix is prepended to every key ("reg:", "ctr:", "lst:"), so
	// several workloads can share a cluster without mixing histories.
	KeyPrefix    string
	DialTimeout  time.Duration // default 1s
	ReadTimeout  time.Duration // default 1s
	WriteTimeout time.Duration // default 1s
	// Pause is the mean think time between a client's operations, drawn
	// uniformly from [0, 2*Pause); default 2ms, negative for none. It
	// bounds history size, which porcupine's check time grows with.
	Pause time.Duration
	// FailureBackoff is how long a client waits after a failed or unknown
	// operation before trying the next node; default 10ms, negative for
	// none. It keeps refused connections from spinning a core.
	FailureBackoff time.Duration
}

func (o WorkloadOptions) withDefaults() WorkloadOptions {
	if o.Clients <= 0 {
		o.Clients = 8
	}
	if o.KeysPerModel <= 0 {
		o.KeysPerModel = 5
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = time.Second
	}
	if o.Pause == 0 {
		o.Pause = 2 * time.Millisecond
	}
	if o.FailureBackoff == 0 {
		o.FailureBackoff = 10 * time.Millisecond
	}
	return o
}

// newClientOptions are the go-redis options for one client on one node:
// retries off, because a retried write whose first attempt landed would be
// recorded as a single operation, and one connection, because each client
// issues one command at a time.
func newClientOptions(addr string, o WorkloadOptions) *redis.Options {
	return &redis.Options{
		Addr:            addr,
		Protocol:        2,
		DisableIdentity: true,
		MaxRetries:      -1,
		DialerRetries:   1,
		DialTimeout:     o.DialTimeout,
		ReadTimeout:     o.ReadTimeout,
		WriteTimeout:    o.WriteTimeout,
		PoolSize:        1,
		PoolTimeout:     o.ReadTimeout + o.WriteTimeout,
	}
}

// Model names used in ModelResult.
const (
	ModelRegister = "register"
	ModelCounter  = "counter"
	ModelList     = "list"
)

// Workload drives concurrent go-redis clients against a cluster and records
// what they did: a porcupine history per model, the writes acknowledged (for
// VerifyFinal) and when writes succeeded (for throughput under faults).
type Workload struct {
	opts          WorkloadOptions
	reg, ctr, lst *History
	regKeys       []string
	ctrKeys       []string
	lstKeys       []string

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu        sync.Mutex
	started   bool
	start     time.Time
	end       time.Time // zero while running
	stats     Stats
	writes    []writeTime
	regAcked  map[string]int             // key -> acked SETs
	regValues map[string]map[string]bool // key -> values acked or unknown
	ctrAcked  map[string]int64
	ctrUnk    map[string]int64
	lstAcked  map[string]map[string]bool
	lstUnk    map[string]map[string]bool
}

type writeTime struct{ invoked, completed time.Time }

// Stats counts operations by outcome. Anomalies lists replies that cannot be
// represented in the models (e.g. a counter that is not an integer); any
// anomaly is a bug.
type Stats struct {
	OK, Failed, Unknown int
	WritesOK            int
	Anomalies           []string
}

// NewWorkload returns a workload that has not started yet.
func NewWorkload(opts WorkloadOptions) *Workload {
	opts = opts.withDefaults()
	w := &Workload{
		opts:      opts,
		reg:       NewHistory(),
		ctr:       NewHistory(),
		lst:       NewHistory(),
		stop:      make(chan struct{}),
		regAcked:  make(map[string]int),
		regValues: make(map[string]map[string]bool),
		ctrAcked:  make(map[string]int64),
		ctrUnk:    make(map[string]int64),
		lstAcked:  make(map[string]map[string]bool),
		lstUnk:    make(map[string]map[string]bool),
	}
	for i := 0; i < opts.KeysPerModel; i++ {
		w.regKeys = append(w.regKeys, fmt.Sprintf("%sreg:%d", opts.KeyPrefix, i))
		w.ctrKeys = append(w.ctrKeys, fmt.Sprintf("%sctr:%d", opts.KeyPrefix, i))
		w.lstKeys = append(w.lstKeys, fmt.Sprintf("%slst:%d", opts.KeyPrefix, i))
	}
	return w
}

// Start launches the clients. They run until Stop is called or ctx is done;
// either way the caller must call Stop, which waits for them.
func (w *Workload) Start(ctx context.Context) error {
	if len(w.opts.Addrs) == 0 {
		return errors.New("chaos: workload has no addresses")
	}
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("chaos: workload already started")
	}
	w.started = true
	w.start = time.Now()
	w.mu.Unlock()
	for i := 0; i < w.opts.Clients; i++ {
		c := &client{
			w:    w,
			id:   i,
			node: i % len(w.opts.Addrs),
			rng:  rand.New(rand.NewPCG(uint64(w.opts.Seed), uint64(i))),
			rcs:  make(map[int]*redis.Client),
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			c.run(ctx)
		}()
	}
	return nil
}

// Stop asks the clients to stop after their current operation and waits for
// them. Safe to call more than once, and without Start.
func (w *Workload) Stop() {
	w.stopOnce.Do(func() { close(w.stop) })
	w.wg.Wait()
	w.mu.Lock()
	if w.started && w.end.IsZero() {
		w.end = time.Now()
	}
	w.mu.Unlock()
}

// Stats returns the operation counts so far.
func (w *Workload) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Anomalies = append([]string(nil), s.Anomalies...)
	return s
}

// ModelResult is the linearizability verdict for one model's history.
type ModelResult struct {
	Name    string // ModelRegister, ModelCounter or ModelList
	Model   porcupine.Model
	History *History
	Result  porcupine.CheckResult
	Info    porcupine.LinearizationInfo // set only when Result is Illegal
}

// Visualize writes porcupine's HTML view of an Illegal result to path.
func (r ModelResult) Visualize(path string) error {
	return Visualize(r.Model, r.Info, path)
}

// Check checks each model's history, in parallel, with the given timeout per
// model (0 for none). Call it after Stop.
func (w *Workload) Check(timeout time.Duration) []ModelResult {
	results := []ModelResult{
		{Name: ModelRegister, Model: RegisterModel, History: w.reg},
		{Name: ModelCounter, Model: CounterModel, History: w.ctr},
		{Name: ModelList, Model: ListModel, History: w.lst},
	}
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.Result, r.Info = r.History.Check(r.Model, timeout)
		}()
	}
	wg.Wait()
	return results
}

// Window is the number of writes acknowledged in [Start, Start+width).
type Window struct {
	Start  time.Time
	Writes int
}

// WriteSeries buckets acknowledged writes by completion time into windows
// of the given width (100ms if 0), from Start to Stop (or now), including
// empty windows: the gaps are what a fault test looks for.
func (w *Workload) WriteSeries(width time.Duration) []Window {
	if width <= 0 {
		width = 100 * time.Millisecond
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return nil
	}
	end := w.end
	if end.IsZero() {
		end = time.Now()
	}
	n := int(end.Sub(w.start)/width) + 1
	out := make([]Window, n)
	for i := range out {
		out[i].Start = w.start.Add(time.Duration(i) * width)
	}
	for _, wt := range w.writes {
		i := int(wt.completed.Sub(w.start) / width)
		if i >= 0 && i < n {
			out[i].Writes++
		}
	}
	return out
}

// FirstSuccessAfter returns how long after t the first write invoked at or
// after t was acknowledged. Writes already in flight at t are ignored: one
// committed just before a fault says nothing about recovery from it.
func (w *Workload) FirstSuccessAfter(t time.Time) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var best time.Time
	for _, wt := range w.writes {
		if !wt.invoked.Before(t) && (best.IsZero() || wt.completed.Before(best)) {
			best = wt.completed
		}
	}
	if best.IsZero() {
		return 0, false
	}
	return best.Sub(t), true
}

// VerifyFinal reads every key from the node at addr and checks that no
// acknowledged write was lost and nothing unwritten appeared:
//   - a register holds a value some SET wrote (and exists if any SET was
//     acknowledged);
//   - a counter is at least its acknowledged INCRs and at most those plus
//     the unknown ones;
//   - a list holds every acknowledged RPUSH value exactly once, unknown ones
//     at most once, and nothing else.
//
// Call it after Stop, once the cluster has healed; the read must be
// linearizable, so addr should be a node that serves such reads (the leader).
func (w *Workload) VerifyFinal(ctx context.Context, addr string) error {
	rc := redis.NewClient(newClientOptions(addr, w.opts))
	defer rc.Close()

	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	if len(w.stats.Anomalies) > 0 {
		errs = append(errs, fmt.Errorf("%d anomalous replies during the run, first: %s",
			len(w.stats.Anomalies), w.stats.Anomalies[0]))
	}

	for _, k := range w.regKeys {
		v, err := rc.Get(ctx, k).Result()
		switch {
		case errors.Is(err, redis.Nil):
			if w.regAcked[k] > 0 {
				errs = append(errs, fmt.Errorf("register %s: missing after %d acknowledged SETs", k, w.regAcked[k]))
			}
		case err != nil:
			return fmt.Errorf("chaos: verify: GET %s: %w", k, err)
		case !w.regValues[k][v]:
			errs = append(errs, fmt.Errorf("register %s: holds %q, which was never written", k, v))
		}
	}

	for _, k := range w.ctrKeys {
		s, err := rc.Get(ctx, k).Result()
		var v int64
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return fmt.Errorf("chaos: verify: GET %s: %w", k, err)
		default:
			if v, err = strconv.ParseInt(s, 10, 64); err != nil {
				errs = append(errs, fmt.Errorf("counter %s: holds %q: %w", k, s, err))
				continue
			}
		}
		if lo, hi := w.ctrAcked[k], w.ctrAcked[k]+w.ctrUnk[k]; v < lo || v > hi {
			errs = append(errs, fmt.Errorf("counter %s = %d, want within [%d acknowledged, %d acknowledged+unknown]", k, v, lo, hi))
		}
	}

	for _, k := range w.lstKeys {
		vs, err := rc.LRange(ctx, k, 0, -1).Result()
		if err != nil {
			return fmt.Errorf("chaos: verify: LRANGE %s: %w", k, err)
		}
		seen := make(map[string]int, len(vs))
		for _, v := range vs {
			seen[v]++
		}
		for v, n := range seen {
			switch {
			case !w.lstAcked[k][v] && !w.lstUnk[k][v]:
				errs = append(errs, fmt.Errorf("list %s: holds %q, which was never pushed", k, v))
			case n > 1:
				errs = append(errs, fmt.Errorf("list %s: holds %q %d times", k, v, n))
			}
		}
		var missing []string
		for v := range w.lstAcked[k] {
			if seen[v] == 0 {
				missing = append(missing, v)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			errs = append(errs, fmt.Errorf("list %s: lost %d acknowledged RPUSHes: %v", k, len(missing), missing))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("chaos: final state of %s: %w", addr, err)
	}
	return nil
}

// client is one workload client: sequential operations, sticking to one node
// until an operation on it fails or times out.
type client struct {
	w    *Workload
	id   int
	seq  int
	node int
	rng  *rand.Rand
	rcs  map[int]*redis.Client // by node index, created on first use
}

func (c *client) run(ctx context.Context) {
	defer func() {
		for _, rc := range c.rcs {
			rc.Close()
		}
	}()
	for {
		select {
		case <-c.w.stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		if c.step(ctx) == OutcomeOK {
			c.sleep(ctx, c.w.opts.Pause, true)
			continue
		}
		// Fail over: drop the connection (go-redis would otherwise hold
		// back redials to a node that refused once) and move on.
		if rc := c.rcs[c.node]; rc != nil {
			rc.Close()
			delete(c.rcs, c.node)
		}
		c.node = (c.node + 1) % len(c.w.opts.Addrs)
		c.sleep(ctx, c.w.opts.FailureBackoff, false)
	}
}

func (c *client) sleep(ctx context.Context, d time.Duration, jitter bool) {
	if d <= 0 {
		return
	}
	if jitter {
		d = rand.N(2 * d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.w.stop:
	case <-ctx.Done():
	}
}

func (c *client) conn() *redis.Client {
	rc := c.rcs[c.node]
	if rc == nil {
		rc = redis.NewClient(newClientOptions(c.w.opts.Addrs[c.node], c.w.opts))
		c.rcs[c.node] = rc
	}
	return rc
}

func (c *client) value() string {
	c.seq++
	return fmt.Sprintf("c%d-%d", c.id, c.seq)
}

// step performs one random operation and records it.
func (c *client) step(ctx context.Context) Outcome {
	w := c.w
	rc := c.conn()
	write := c.rng.IntN(2) == 0
	switch c.rng.IntN(3) {
	case 0:
		key := w.regKeys[c.rng.IntN(len(w.regKeys))]
		if write {
			v := c.value()
			id := w.reg.Invoke(c.id, RegisterInput{Op: RegisterSet, Key: key, Value: v})
			err := rc.Set(ctx, key, v, 0).Err()
			return c.recordWrite(w.reg, id, err, RegisterOutput{}, func(acked bool) {
				if w.regValues[key] == nil {
					w.regValues[key] = make(map[string]bool)
				}
				w.regValues[key][v] = true
				if acked {
					w.regAcked[key]++
				}
			})
		}
		id := w.reg.Invoke(c.id, RegisterInput{Op: RegisterGet, Key: key})
		v, err := rc.Get(ctx, key).Result()
		return c.recordRead(w.reg, id, err, func() (any, error) {
			if errors.Is(err, redis.Nil) {
				return RegisterOutput{}, nil
			}
			return RegisterOutput{Value: v, Exists: true}, nil
		})

	case 1:
		key := w.ctrKeys[c.rng.IntN(len(w.ctrKeys))]
		if write {
			id := w.ctr.Invoke(c.id, CounterInput{Op: CounterIncr, Key: key})
			n, err := rc.Incr(ctx, key).Result()
			return c.recordWrite(w.ctr, id, err, CounterOutput{Value: n}, func(acked bool) {
				if acked {
					w.ctrAcked[key]++
				} else {
					w.ctrUnk[key]++
				}
			})
		}
		id := w.ctr.Invoke(c.id, CounterInput{Op: CounterGet, Key: key})
		s, err := rc.Get(ctx, key).Result()
		return c.recordRead(w.ctr, id, err, func() (any, error) {
			if errors.Is(err, redis.Nil) {
				return CounterOutput{}, nil
			}
			n, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil {
				return nil, fmt.Errorf("GET %s = %q: %w", key, s, perr)
			}
			return CounterOutput{Value: n}, nil
		})

	default:
		key := w.lstKeys[c.rng.IntN(len(w.lstKeys))]
		if write {
			v := c.value()
			id := w.lst.Invoke(c.id, ListInput{Op: ListRPush, Key: key, Value: v})
			n, err := rc.RPush(ctx, key, v).Result()
			return c.recordWrite(w.lst, id, err, ListOutput{Len: n}, func(acked bool) {
				m := w.lstUnk
				if acked {
					m = w.lstAcked
				}
				if m[key] == nil {
					m[key] = make(map[string]bool)
				}
				m[key][v] = true
			})
		}
		id := w.lst.Invoke(c.id, ListInput{Op: ListRange, Key: key})
		vs, err := rc.LRange(ctx, key, 0, -1).Result()
		return c.recordRead(w.lst, id, err, func() (any, error) {
			return ListOutput{Values: vs}, nil
		})
	}
}

// recordWrite records a write's outcome; note is called under w.mu with
// whether the write was acknowledged, unless it certainly failed.
func (c *client) recordWrite(h *History, id int, err error, output any, note func(acked bool)) Outcome {
	done := time.Now()
	out := Classify(err)
	switch out {
	case OutcomeOK:
		h.Return(id, output)
	case OutcomeUnknown:
		h.Unknown(id)
	default:
		h.Drop(id)
	}
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	c.count(out)
	if out == OutcomeOK {
		w.stats.WritesOK++
		w.writes = append(w.writes, writeTime{invoked: h.invokedAt(id), completed: done})
	}
	if out != OutcomeFailed {
		note(out == OutcomeOK)
	}
	return out
}

// recordRead records a read. Reads whose reply never arrived are dropped
// rather than kept as unknown: they changed nothing, so they constrain
// nothing, and pending operations only slow the checker down.
func (c *client) recordRead(h *History, id int, err error, output func() (any, error)) Outcome {
	out := Classify(err)
	var anomaly error
	if out == OutcomeOK {
		var o any
		if o, anomaly = output(); anomaly == nil {
			h.Return(id, o)
		} else {
			h.Drop(id)
		}
	} else {
		h.Drop(id)
	}
	w := c.w
	w.mu.Lock()
	defer w.mu.Unlock()
	c.count(out)
	if anomaly != nil {
		w.stats.Anomalies = append(w.stats.Anomalies, fmt.Sprintf("client %d: %v", c.id, anomaly))
	}
	return out
}

func (c *client) count(out Outcome) {
	switch out {
	case OutcomeOK:
		c.w.stats.OK++
	case OutcomeFailed:
		c.w.stats.Failed++
	default:
		c.w.stats.Unknown++
	}
}
