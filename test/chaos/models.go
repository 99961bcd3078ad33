package chaos

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// Outcome is what a client can conclude about a command from the error it got.
type Outcome int

const (
	// OutcomeOK: the command took effect and its reply is trustworthy.
	OutcomeOK Outcome = iota
	// OutcomeFailed: the command certainly did not take effect, so it is
	// left out of the history.
	OutcomeFailed
	// OutcomeUnknown: the command may or may not have taken effect.
	OutcomeUnknown
)

func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeFailed:
		return "failed"
	case OutcomeUnknown:
		return "unknown"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// definiteFailures are the error reply prefixes with which Geomys promises
// the command was not applied. LOADING comes from a node that cannot serve
// yet (just restarted, no leader known) and ran nothing.
var definiteFailures = []string{"TRYAGAIN", "CLUSTERDOWN", "MOVED", "LOADING"}

// Classify maps a go-redis error to an Outcome. It leans to OutcomeUnknown:
// calling a write that happened "failed" would make the checker reject a
// correct history, while calling a failed write "unknown" only costs search
// time.
func Classify(err error) Outcome {
	if err == nil || errors.Is(err, redis.Nil) {
		return OutcomeOK
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range definiteFailures {
			if strings.HasPrefix(msg, p) {
				return OutcomeFailed
			}
		}
		return OutcomeUnknown
	}
	// Nothing is sent before a connection exists, so a dial failure, an
	// exhausted pool or a closed client cannot have applied the command.
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return OutcomeFailed
	}
	if errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return OutcomeFailed
	}
	return OutcomeUnknown
}

// UnknownOutput is the output History.Unknown records. Every model's step
// function accepts it with any input, applying the input's effect: the
// operation then stays pending until "infinity", so porcupine may place it
// anywhere after its call, or effectively never.
type UnknownOutput struct{}

func isUnknown(output any) bool {
	_, ok := output.(UnknownOutput)
	return ok
}

// keyed inputs let one partition function serve all three models: histories
// on different keys are independent, which keeps checking tractable.
type keyed interface{ partitionKey() string }

func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := make(map[string][]porcupine.Operation)
	var keys []string
	for _, op := range history {
		k := op.Input.(keyed).partitionKey()
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	sort.Strings(keys) // deterministic order for visualizations
	out := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// ---- register: SET / GET ----

// RegisterOp selects the command of a RegisterInput.
type RegisterOp int

const (
	RegisterSet RegisterOp = iota
	RegisterGet
)

// RegisterInput is SET Key Value or GET Key.
type RegisterInput struct {
	Op    RegisterOp
	Key   string
	Value string // SET only
}

func (in RegisterInput) partitionKey() string { return in.Key }

// RegisterOutput is the reply to GET (Exists false for a nil reply); SET
// records the zero value, its only success reply being OK.
type RegisterOutput struct {
	Value  string
	Exists bool
}

// registerState is the value of one key; comparable, so == is Equal.
type registerState struct {
	Value  string
	Exists bool
}

// RegisterModel checks SET/GET on string keys, partitioned by key.
var RegisterModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return registerState{} },
	Step: func(state, input, output any) (bool, any) {
		s := state.(registerState)
		in := input.(RegisterInput)
		switch in.Op {
		case RegisterSet:
			return true, registerState{Value: in.Value, Exists: true}
		default:
			if isUnknown(output) {
				return true, s
			}
			out := output.(RegisterOutput)
			return out.Exists == s.Exists && (!out.Exists || out.Value == s.Value), s
		}
	},
	DescribeOperation: func(input, output any) string {
		in := input.(RegisterInput)
		if in.Op == RegisterSet {
			return fmt.Sprintf("SET %s %s -> %s", in.Key, in.Value, describeOutput(output, "OK"))
		}
		res := "nil"
		if isUnknown(output) {
			res = "?"
		} else if out := output.(RegisterOutput); out.Exists {
			res = fmt.Sprintf("%q", out.Value)
		}
		return fmt.Sprintf("GET %s -> %s", in.Key, res)
	},
	DescribeState: func(state any) string {
		s := state.(registerState)
		if !s.Exists {
			return "nil"
		}
		return fmt.Sprintf("%q", s.Value)
	},
}

// ---- counter: INCR / GET ----

// CounterOp selects the command of a CounterInput.
type CounterOp int

const (
	CounterIncr CounterOp = iota
	CounterGet
)

// CounterInput is INCR Key or GET Key.
type CounterInput struct {
	Op  CounterOp
	Key string
}

func (in CounterInput) partitionKey() string { return in.Key }

// CounterOutput is INCR's new value, or GET's value (0 for a missing key).
type CounterOutput struct {
	Value int64
}

// CounterModel checks INCR/GET, partitioned by key. The state is the int64
// value, missing keys reading as 0.
var CounterModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		v := state.(int64)
		in := input.(CounterInput)
		if isUnknown(output) {
			if in.Op == CounterIncr {
				return true, v + 1
			}
			return true, v
		}
		out := output.(CounterOutput)
		if in.Op == CounterIncr {
			return out.Value == v+1, v + 1
		}
		return out.Value == v, v
	},
	DescribeOperation: func(input, output any) string {
		in := input.(CounterInput)
		cmd := "GET"
		if in.Op == CounterIncr {
			cmd = "INCR"
		}
		res := "?"
		if !isUnknown(output) {
			res = fmt.Sprint(output.(CounterOutput).Value)
		}
		return fmt.Sprintf("%s %s -> %s", cmd, in.Key, res)
	},
	DescribeState: func(state any) string { return fmt.Sprint(state.(int64)) },
}

// ---- list: RPUSH / LRANGE 0 -1 ----

// ListOp selects the command of a ListInput.
type ListOp int

const (
	ListRPush ListOp = iota
	ListRange
)

// ListInput is RPUSH Key Value or LRANGE Key 0 -1.
type ListInput struct {
	Op    ListOp
	Key   string
	Value string // RPUSH only
}

func (in ListInput) partitionKey() string { return in.Key }

// ListOutput is RPUSH's new length (Len) or LRANGE's whole list (Values).
type ListOutput struct {
	Len    int64
	Values []string
}

// listState is an immutable list. Step builds a new slice on every push so
// that states the checker has cached are never modified underneath it.
type listState []string

// ListModel checks RPUSH/LRANGE 0 -1, partitioned by key.
var ListModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return listState(nil) },
	Step: func(state, input, output any) (bool, any) {
		s := state.(listState)
		in := input.(ListInput)
		if in.Op == ListRPush {
			next := make(listState, len(s)+1)
			copy(next, s)
			next[len(s)] = in.Value
			if isUnknown(output) {
				return true, next
			}
			return output.(ListOutput).Len == int64(len(next)), next
		}
		if isUnknown(output) {
			return true, s
		}
		return equalStrings(output.(ListOutput).Values, s), s
	},
	Equal: func(a, b any) bool { return equalStrings(a.(listState), b.(listState)) },
	Hash: func(state any) uint64 {
		h := fnv.New64a()
		for _, v := range state.(listState) {
			h.Write([]byte(v))
			h.Write([]byte{0})
		}
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in := input.(ListInput)
		if in.Op == ListRPush {
			res := "?"
			if !isUnknown(output) {
				res = fmt.Sprint(output.(ListOutput).Len)
			}
			return fmt.Sprintf("RPUSH %s %s -> %s", in.Key, in.Value, res)
		}
		res := "?"
		if !isUnknown(output) {
			res = describeList(output.(ListOutput).Values)
		}
		return fmt.Sprintf("LRANGE %s -> %s", in.Key, res)
	},
	DescribeState: func(state any) string { return describeList(state.(listState)) },
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// describeList abbreviates long lists: the visualization shows every state
// of every step, and full lists would make it unreadable.
func describeList(vs []string) string {
	const show = 4
	if len(vs) <= 2*show {
		return "[" + strings.Join(vs, " ") + "]"
	}
	return fmt.Sprintf("[%s ... (%d more) ... %s]",
		strings.Join(vs[:show], " "), len(vs)-2*show, strings.Join(vs[len(vs)-show:], " "))
}

func describeOutput(output any, ok string) string {
	if isUnknown(output) {
		return "?"
	}
	return ok
}

// ---- history recorder ----

// History records the operations of concurrent clients for one model. It is
// safe for concurrent use. Timestamps come from the monotonic clock relative
// to the History's creation, so wall-clock steps cannot reorder operations.
type History struct {
	start time.Time

	mu  sync.Mutex
	ops []historyOp
}

type historyOp struct {
	op    porcupine.Operation
	state opState
}

type opState int

const (
	opPending opState = iota
	opReturned
	opUnknown
	opDropped
)

// NewHistory returns an empty History.
func NewHistory() *History {
	return &History{start: time.Now()}
}

func (h *History) now() int64 { return int64(time.Since(h.start)) }

// Invoke records the call of an operation by client (a small non-negative
// integer, used as the visualization's row) and returns its id. Call it
// immediately before sending the command.
func (h *History) Invoke(client int, input any) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, historyOp{
		op: porcupine.Operation{ClientId: client, Input: input, Call: h.now()},
	})
	return len(h.ops) - 1
}

// Return records that operation id completed with output. Call it immediately
// after the reply arrives.
func (h *History) Return(id int, output any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := &h.ops[id]
	o.op.Output = output
	o.op.Return = h.now()
	o.state = opReturned
}

// Unknown records that operation id may or may not have taken effect. It is
// kept in the history as never returning.
func (h *History) Unknown(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := &h.ops[id]
	o.op.Output = UnknownOutput{}
	o.op.Return = math.MaxInt64
	o.state = opUnknown
}

// invokedAt is operation id's call time as a time.Time, for correlating
// with fault injection times.
func (h *History) invokedAt(id int) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.start.Add(time.Duration(h.ops[id].op.Call))
}

// Drop removes operation id from the history, for operations that certainly
// did not take effect.
func (h *History) Drop(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops[id].state = opDropped
}

// Operations returns the history to check. Operations never resolved are
// treated as unknown: a client stopped mid-command may still have applied it.
func (h *History) Operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]porcupine.Operation, 0, len(h.ops))
	for _, o := range h.ops {
		switch o.state {
		case opReturned, opUnknown:
			out = append(out, o.op)
		case opPending:
			op := o.op
			op.Output = UnknownOutput{}
			op.Return = math.MaxInt64
			out = append(out, op)
		}
	}
	return out
}

// Counts returns how many operations returned, are unknown (including still
// pending ones) and were dropped.
func (h *History) Counts() (returned, unknown, dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, o := range h.ops {
		switch o.state {
		case opReturned:
			returned++
		case opUnknown, opPending:
			unknown++
		case opDropped:
			dropped++
		}
	}
	return
}

// Check checks the history against model. A timeout of 0 means none; on
// timeout the result is porcupine.Unknown. The LinearizationInfo is only
// filled in for an Illegal result, for Visualize: computing it takes a second,
// slower pass that passing histories do not need.
func (h *History) Check(model porcupine.Model, timeout time.Duration) (porcupine.CheckResult, porcupine.LinearizationInfo) {
	ops := h.Operations()
	res := porcupine.CheckOperationsTimeout(model, ops, timeout)
	if res != porcupine.Illegal {
		return res, porcupine.LinearizationInfo{}
	}
	// The verbose pass repeats the search to record the longest partial
	// linearizations; its result can only agree with the first (or time
	// out), so res stands.
	_, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	return res, info
}

// Visualize writes porcupine's interactive HTML view of info (from Check) to
// path.
func Visualize(model porcupine.Model, info porcupine.LinearizationInfo, path string) error {
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return fmt.Errorf("chaos: visualize to %s: %w", path, err)
	}
	return nil
}
