// Command asynq_app runs asynq (github.com/hibiken/asynq, on go-redis) as its
// users run it, against one server: a client enqueues tasks (immediate ones
// whose handlers write results kept by Retention, a ProcessIn task, unique
// tasks, a task ID, a task failing every attempt with MaxRetry, one failing
// with SkipRetry, a group of tasks aggregated into one), a Server with a
// ServeMux processes them, a Scheduler enqueues a task every second, and the
// Inspector reads back the tasks, the queue's statistics, the archived tasks
// and the servers, cancels an active task and pauses a queue. Every queue
// operation of asynq is a Lua script.
//
// Usage: asynq_app [HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
// Prints the library versions first, "ok: <check>" lines, and exits 1 at the
// first failed check.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

// recorder keeps what the handlers saw, as a real program's side effects.
type recorder struct {
	mu       sync.Mutex
	stampRan time.Time
	attempts map[string]int
	cronRuns atomic.Int32
	batches  []string
	blocked  chan struct{} // closed when the cancellable task runs
}

func (r *recorder) attempt(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[kind]++
	return r.attempts[kind]
}

func (r *recorder) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[kind]
}

func addr() string {
	if len(os.Args) > 1 {
		return os.Args[1]
	}
	host, port := os.Getenv("GEOMYS_HOST"), os.Getenv("GEOMYS_PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "6379"
	}
	return host + ":" + port
}

func versions() string {
	v := map[string]string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			v[d.Path] = d.Version
		}
	}
	return fmt.Sprintf("asynq %s go-redis %s", v["github.com/hibiken/asynq"], v["github.com/redis/go-redis/v9"])
}

type app struct {
	queue, auxQueue string
	client          *asynq.Client
	insp            *asynq.Inspector
	rec             *recorder
	added           []*asynq.TaskInfo
	stampSent       time.Time
	stamp           *asynq.TaskInfo
	unique          *asynq.TaskInfo
	failing         *asynq.TaskInfo
	skipped         *asynq.TaskInfo
}

func fail(format string, args ...any) error { return fmt.Errorf(format, args...) }

// waitFor polls cond until it holds or d passes.
func waitFor(d time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if ok || (err != nil && time.Now().After(deadline)) {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (a *app) enqueue() error {
	for i := 0; i < 10; i++ {
		t := asynq.NewTask("add", []byte(fmt.Sprintf("%d %d", i, i*10)))
		info, err := a.client.Enqueue(t, asynq.Queue(a.queue), asynq.Retention(time.Minute))
		if err != nil {
			return fmt.Errorf("enqueue add %d: %w", i, err)
		}
		if info.State != asynq.TaskStatePending {
			return fail("add %d enqueued in state %v, want pending", i, info.State)
		}
		a.added = append(a.added, info)
	}
	a.stampSent = time.Now()
	info, err := a.client.Enqueue(asynq.NewTask("stamp", nil), asynq.Queue(a.queue), asynq.ProcessIn(time.Second), asynq.Retention(time.Minute))
	if err != nil {
		return fmt.Errorf("enqueue stamp: %w", err)
	}
	if info.State != asynq.TaskStateScheduled {
		return fail("a ProcessIn task enqueued in state %v, want scheduled", info.State)
	}
	a.stamp = info
	uniq := asynq.NewTask("unique", []byte("once"))
	if a.unique, err = a.client.Enqueue(uniq, asynq.Queue(a.queue), asynq.Unique(time.Minute), asynq.Retention(time.Minute)); err != nil {
		return fmt.Errorf("enqueue unique: %w", err)
	}
	if _, err := a.client.Enqueue(uniq, asynq.Queue(a.queue), asynq.Unique(time.Minute)); !errors.Is(err, asynq.ErrDuplicateTask) {
		return fail("a second unique task with the same payload: got %v, want ErrDuplicateTask", err)
	}
	id := "fixed-id-" + a.queue
	if _, err := a.client.Enqueue(asynq.NewTask("add", []byte("1 1")), asynq.Queue(a.queue), asynq.TaskID(id), asynq.Retention(time.Minute)); err != nil {
		return fmt.Errorf("enqueue with TaskID: %w", err)
	}
	if _, err := a.client.Enqueue(asynq.NewTask("add", []byte("2 2")), asynq.Queue(a.queue), asynq.TaskID(id)); !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fail("a second task with the same ID: got %v, want ErrTaskIDConflict", err)
	}
	if a.failing, err = a.client.Enqueue(asynq.NewTask("failing", nil), asynq.Queue(a.queue), asynq.MaxRetry(2)); err != nil {
		return fmt.Errorf("enqueue failing: %w", err)
	}
	if a.skipped, err = a.client.Enqueue(asynq.NewTask("skip", nil), asynq.Queue(a.queue), asynq.MaxRetry(5)); err != nil {
		return fmt.Errorf("enqueue skip: %w", err)
	}
	for _, item := range []string{"b", "c", "a"} {
		info, err := a.client.Enqueue(asynq.NewTask("item", []byte(item)), asynq.Queue(a.queue), asynq.Group("letters"))
		if err != nil {
			return fmt.Errorf("enqueue grouped task %s: %w", item, err)
		}
		if info.State != asynq.TaskStateAggregating || info.Group != "letters" {
			return fail("a grouped task enqueued in state %v group %q, want aggregating in letters", info.State, info.Group)
		}
	}
	q, err := a.insp.GetQueueInfo(a.queue)
	if err != nil {
		return fmt.Errorf("queue info before the server starts: %w", err)
	}
	if q.Pending != 14 || q.Scheduled != 1 || q.Aggregating != 3 || q.Groups != 1 || q.Size != 18 {
		return fail("before the server starts: pending %d scheduled %d aggregating %d groups %d size %d, want 14, 1, 3, 1, 18",
			q.Pending, q.Scheduled, q.Aggregating, q.Groups, q.Size)
	}
	groups, err := a.insp.Groups(a.queue)
	if err != nil || len(groups) != 1 || groups[0].Group != "letters" || groups[0].Size != 3 {
		return fail("groups of the queue: %+v (err %v)", groups, err)
	}
	return nil
}

func (a *app) mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.HandleFunc("add", func(ctx context.Context, t *asynq.Task) error {
		var x, y int
		if _, err := fmt.Sscanf(string(t.Payload()), "%d %d", &x, &y); err != nil {
			return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
		}
		a.rec.attempt("add")
		_, err := t.ResultWriter().Write([]byte(strconv.Itoa(x + y)))
		return err
	})
	mux.HandleFunc("stamp", func(ctx context.Context, t *asynq.Task) error {
		a.rec.mu.Lock()
		a.rec.stampRan = time.Now()
		a.rec.mu.Unlock()
		_, err := t.ResultWriter().Write([]byte("stamped"))
		return err
	})
	mux.HandleFunc("unique", func(ctx context.Context, t *asynq.Task) error {
		a.rec.attempt("unique")
		return nil
	})
	mux.HandleFunc("failing", func(ctx context.Context, t *asynq.Task) error {
		n := a.rec.attempt("failing")
		return fmt.Errorf("failing attempt %d", n)
	})
	mux.HandleFunc("skip", func(ctx context.Context, t *asynq.Task) error {
		a.rec.attempt("skip")
		return fmt.Errorf("bad input: %w", asynq.SkipRetry)
	})
	mux.HandleFunc("batch", func(ctx context.Context, t *asynq.Task) error {
		a.rec.mu.Lock()
		defer a.rec.mu.Unlock()
		a.rec.batches = append(a.rec.batches, string(t.Payload()))
		return nil
	})
	mux.HandleFunc("block", func(ctx context.Context, t *asynq.Task) error {
		close(a.rec.blocked)
		<-ctx.Done()
		return ctx.Err()
	})
	mux.HandleFunc("tick", func(ctx context.Context, t *asynq.Task) error {
		a.rec.cronRuns.Add(1)
		return nil
	})
	return mux
}

func (a *app) results() error {
	err := waitFor(10*time.Second, func() (bool, error) {
		q, err := a.insp.GetQueueInfo(a.queue)
		if err != nil {
			return false, err
		}
		return q.Completed == 13 && q.Archived == 2, nil
	})
	if err != nil {
		q, _ := a.insp.GetQueueInfo(a.queue)
		return fail("waiting for 13 completed and 2 archived tasks: %v (queue: %+v)", err, q)
	}
	for i, added := range a.added {
		info, err := a.insp.GetTaskInfo(a.queue, added.ID)
		if err != nil {
			return fmt.Errorf("task info of add %d: %w", i, err)
		}
		if info.State != asynq.TaskStateCompleted || string(info.Result) != strconv.Itoa(11*i) {
			return fail("add %d: state %v result %q, want completed %d", i, info.State, info.Result, 11*i)
		}
		if info.Retention != time.Minute || info.CompletedAt.IsZero() {
			return fail("add %d: retention %v completed at %v", i, info.Retention, info.CompletedAt)
		}
	}
	if n := a.rec.count("add"); n != 11 {
		return fail("the add handler ran %d times, want 11", n)
	}
	return nil
}

func (a *app) processIn() error {
	info, err := a.insp.GetTaskInfo(a.queue, a.stamp.ID)
	if err != nil {
		return fmt.Errorf("task info of the ProcessIn task: %w", err)
	}
	if info.State != asynq.TaskStateCompleted || string(info.Result) != "stamped" {
		return fail("ProcessIn task: state %v result %q", info.State, info.Result)
	}
	a.rec.mu.Lock()
	ran := a.rec.stampRan
	a.rec.mu.Unlock()
	// asynq keeps a scheduled task's time in whole seconds (its score) and
	// forwards it once the clock's second reaches that score.
	if due := a.stampSent.Add(time.Second).Unix(); ran.Unix() < due {
		return fail("a task with ProcessIn(1s) ran %v after it was enqueued, before second %d", ran.Sub(a.stampSent), due)
	}
	return nil
}

func (a *app) uniqueness() error {
	if n := a.rec.count("unique"); n != 1 {
		return fail("the unique task ran %d times, want 1", n)
	}
	// Done, the task released its uniqueness lock: the same task enqueues again.
	again, err := a.client.Enqueue(asynq.NewTask("unique", []byte("once")), asynq.Queue(a.queue), asynq.Unique(time.Minute), asynq.Retention(time.Minute))
	if err != nil {
		return fmt.Errorf("the unique task once the first one is done: %w", err)
	}
	return waitFor(5*time.Second, func() (bool, error) {
		info, err := a.insp.GetTaskInfo(a.queue, again.ID)
		return err == nil && info.State == asynq.TaskStateCompleted, err
	})
}

func (a *app) archived() error {
	if n := a.rec.count("failing"); n != 3 {
		return fail("the failing task ran %d times, want 3 (MaxRetry(2))", n)
	}
	if n := a.rec.count("skip"); n != 1 {
		return fail("the SkipRetry task ran %d times, want 1", n)
	}
	tasks, err := a.insp.ListArchivedTasks(a.queue)
	if err != nil {
		return fmt.Errorf("archived tasks: %w", err)
	}
	got := map[string]*asynq.TaskInfo{}
	for _, t := range tasks {
		got[t.ID] = t
	}
	f, s := got[a.failing.ID], got[a.skipped.ID]
	if len(tasks) != 2 || f == nil || s == nil {
		return fail("archived tasks: %d, failing %v, skip %v", len(tasks), f != nil, s != nil)
	}
	if f.Retried != 2 || f.LastErr != "failing attempt 3" || f.State != asynq.TaskStateArchived {
		return fail("archived failing task: retried %d, last error %q, state %v", f.Retried, f.LastErr, f.State)
	}
	if s.Retried != 0 || s.LastErr != "bad input: skip retry for the task" {
		return fail("archived SkipRetry task: retried %d, last error %q", s.Retried, s.LastErr)
	}
	// Run one archived task again: it goes back to pending and is archived anew.
	if err := a.insp.RunTask(a.queue, a.skipped.ID); err != nil {
		return fmt.Errorf("run an archived task: %w", err)
	}
	return waitFor(5*time.Second, func() (bool, error) { return a.rec.count("skip") == 2, nil })
}

func (a *app) stats() error {
	var q *asynq.QueueInfo
	err := waitFor(5*time.Second, func() (bool, error) {
		var err error
		q, err = a.insp.GetQueueInfo(a.queue)
		return err == nil && q.Archived == 2 && q.Pending == 0 && q.Active == 0, err
	})
	if err != nil {
		return fmt.Errorf("queue info: %w (%+v)", err, q)
	}
	// add 11, stamp 1, unique 2, failing 3, skip 2, the aggregated batch 1.
	if q.Completed != 14 || q.Processed != 20 || q.Failed != 5 || q.ProcessedTotal != 20 || q.FailedTotal != 5 {
		return fail("queue stats: completed %d processed %d failed %d (totals %d, %d); want 14, 20, 5",
			q.Completed, q.Processed, q.Failed, q.ProcessedTotal, q.FailedTotal)
	}
	if q.Size != 16 || q.Aggregating != 0 || q.Groups != 0 || q.Retry != 0 || q.Scheduled != 0 || q.Paused || q.MemoryUsage <= 0 {
		return fail("queue info: size %d retry %d scheduled %d paused %v memory %d", q.Size, q.Retry, q.Scheduled, q.Paused, q.MemoryUsage)
	}
	hist, err := a.insp.History(a.queue, 2)
	if err != nil || len(hist) != 2 || hist[0].Processed != 20 || hist[0].Failed != 5 {
		return fail("daily history: %v (err %v)", hist, err)
	}
	queues, err := a.insp.Queues()
	if err != nil {
		return fmt.Errorf("queues: %w", err)
	}
	found := 0
	for _, name := range queues {
		if name == a.queue || name == a.auxQueue {
			found++
		}
	}
	if found != 2 {
		return fail("queues %v lack %s or %s", queues, a.queue, a.auxQueue)
	}
	servers, err := a.insp.Servers()
	if err != nil || len(servers) == 0 {
		return fail("servers: %d (err %v)", len(servers), err)
	}
	return nil
}

func (a *app) aggregated() error {
	err := waitFor(10*time.Second, func() (bool, error) {
		a.rec.mu.Lock()
		defer a.rec.mu.Unlock()
		return len(a.rec.batches) == 1, nil
	})
	if err != nil {
		return fail("waiting for the group's aggregated task: %v", err)
	}
	if got := a.rec.batches[0]; got != "a,b,c" {
		return fail("the aggregated task's payload: %q, want \"a,b,c\"", got)
	}
	return nil
}

// cancel runs a task until the Inspector cancels it (published on
// asynq:cancel to the server's subscription).
func (a *app) cancel() error {
	info, err := a.client.Enqueue(asynq.NewTask("block", nil), asynq.Queue(a.auxQueue), asynq.MaxRetry(0))
	if err != nil {
		return fmt.Errorf("enqueue block: %w", err)
	}
	select {
	case <-a.rec.blocked:
	case <-time.After(5 * time.Second):
		return fail("the cancellable task did not start")
	}
	active, err := a.insp.ListActiveTasks(a.auxQueue)
	if err != nil || len(active) != 1 || active[0].ID != info.ID {
		return fail("active tasks: %d (err %v)", len(active), err)
	}
	if err := a.insp.CancelProcessing(info.ID); err != nil {
		return fmt.Errorf("cancel processing: %w", err)
	}
	return waitFor(5*time.Second, func() (bool, error) {
		got, err := a.insp.GetTaskInfo(a.auxQueue, info.ID)
		return err == nil && got.State == asynq.TaskStateArchived && got.LastErr == "context canceled", err
	})
}

// pause holds a task pending while its queue is paused.
func (a *app) pause() error {
	if err := a.insp.PauseQueue(a.auxQueue); err != nil {
		return fmt.Errorf("pause: %w", err)
	}
	info, err := a.client.Enqueue(asynq.NewTask("add", []byte("20 22")), asynq.Queue(a.auxQueue), asynq.Retention(time.Minute))
	if err != nil {
		return fmt.Errorf("enqueue in a paused queue: %w", err)
	}
	time.Sleep(400 * time.Millisecond) // four times the server's task check interval
	q, err := a.insp.GetQueueInfo(a.auxQueue)
	if err != nil || !q.Paused || q.Pending != 1 {
		return fail("paused queue: paused %v pending %d (err %v)", q != nil && q.Paused, q.Pending, err)
	}
	if err := a.insp.UnpauseQueue(a.auxQueue); err != nil {
		return fmt.Errorf("unpause: %w", err)
	}
	return waitFor(5*time.Second, func() (bool, error) {
		got, err := a.insp.GetTaskInfo(a.auxQueue, info.ID)
		return err == nil && got.State == asynq.TaskStateCompleted && string(got.Result) == "42", err
	})
}

func (a *app) scheduler() error {
	err := waitFor(5*time.Second, func() (bool, error) {
		entries, err := a.insp.SchedulerEntries()
		return a.rec.cronRuns.Load() >= 2 && len(entries) > 0, err
	})
	if err != nil {
		return fail("the scheduler's @every 1s task ran %d times: %v", a.rec.cronRuns.Load(), err)
	}
	entries, err := a.insp.SchedulerEntries()
	if err != nil {
		return fmt.Errorf("scheduler entries: %w", err)
	}
	for _, e := range entries {
		if e.Spec == "@every 1s" && e.Task.Type() == "tick" {
			events, err := a.insp.ListSchedulerEnqueueEvents(e.ID)
			if err != nil || len(events) == 0 {
				return fail("enqueue events of the scheduler entry: %d (err %v)", len(events), err)
			}
			return nil
		}
	}
	return fail("no scheduler entry @every 1s among %d", len(entries))
}

func run(where string) (int, error) {
	opt := asynq.RedisClientOpt{Addr: where}
	run := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	a := &app{
		queue:    "gapp-asynq-" + run,
		auxQueue: "gapp-asynq-cron-" + run,
		client:   asynq.NewClient(opt),
		insp:     asynq.NewInspector(opt),
		rec:      &recorder{attempts: map[string]int{}, blocked: make(chan struct{})},
	}
	defer a.client.Close()
	defer a.insp.Close()
	checks := 0
	step := func(name string, fn func() error) error {
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Println("ok:", name)
		checks++
		return nil
	}
	if err := step("tasks enqueued: immediate, ProcessIn, unique, task ID, MaxRetry, SkipRetry, a group", a.enqueue); err != nil {
		return checks, err
	}
	srv := asynq.NewServer(opt, asynq.Config{
		Concurrency:              2,
		Queues:                   map[string]int{a.queue: 2, a.auxQueue: 1},
		TaskCheckInterval:        100 * time.Millisecond,
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		LogLevel:                 asynq.ErrorLevel,
		GroupGracePeriod:         time.Second, // the shortest, and the aggregator's check interval
		GroupMaxSize:             3,
		GroupAggregator: asynq.GroupAggregatorFunc(func(group string, tasks []*asynq.Task) *asynq.Task {
			items := make([]string, len(tasks))
			for i, t := range tasks {
				items[i] = string(t.Payload())
			}
			sort.Strings(items)
			return asynq.NewTask("batch", []byte(strings.Join(items, ",")))
		}),
	})
	if err := srv.Start(a.mux()); err != nil {
		return checks, fmt.Errorf("server start: %w", err)
	}
	defer srv.Shutdown()
	sched := asynq.NewScheduler(opt, &asynq.SchedulerOpts{
		LogLevel: asynq.ErrorLevel,
		// Its entries are written with its heartbeat, every 10 s by default.
		HeartbeatInterval: 500 * time.Millisecond,
	})
	if _, err := sched.Register("@every 1s", asynq.NewTask("tick", nil), asynq.Queue(a.auxQueue)); err != nil {
		return checks, fmt.Errorf("scheduler register: %w", err)
	}
	if err := sched.Start(); err != nil {
		return checks, fmt.Errorf("scheduler start: %w", err)
	}
	defer sched.Shutdown()
	for _, s := range []struct {
		name string
		fn   func() error
	}{
		{"handlers' results kept by Retention, read back by task ID", a.results},
		{"a ProcessIn(1s) task ran after its delay", a.processIn},
		{"a unique task ran once and released its lock", a.uniqueness},
		{"a MaxRetry(2) task and a SkipRetry task archived; an archived task run again", a.archived},
		{"a group of 3 tasks aggregated into one", a.aggregated},
		{"queue statistics, daily history, queues and servers", a.stats},
		{"the scheduler enqueues every second", a.scheduler},
		{"the Inspector cancels an active task", a.cancel},
		{"a paused queue holds its tasks until unpaused", a.pause},
	} {
		if err := step(s.name, s.fn); err != nil {
			return checks, err
		}
	}
	sched.Shutdown()
	srv.Shutdown()
	for _, q := range []string{a.queue, a.auxQueue} {
		if err := a.insp.DeleteQueue(q, true); err != nil {
			return checks, fmt.Errorf("delete queue %s: %w", q, err)
		}
	}
	return checks, nil
}

func main() {
	where := addr()
	fmt.Printf("%s against %s\n", versions(), where)
	start := time.Now()
	timer := time.AfterFunc(40*time.Second, func() {
		fmt.Println("FAIL: not done within 40 s")
		os.Exit(1)
	})
	checks, err := run(where)
	timer.Stop()
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	fmt.Printf("asynq: %d checks passed in %.1f s\n", checks, time.Since(start).Seconds())
}
