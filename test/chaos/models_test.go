package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// op builds a porcupine operation; ret < 0 means the outcome is unknown.
func op(client int, in, out any, call, ret int64) porcupine.Operation {
	if ret < 0 {
		return porcupine.Operation{ClientId: client, Input: in, Output: UnknownOutput{}, Call: call, Return: math.MaxInt64}
	}
	return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
}

func set(k, v string) RegisterInput { return RegisterInput{Op: RegisterSet, Key: k, Value: v} }
func get(k string) RegisterInput    { return RegisterInput{Op: RegisterGet, Key: k} }
func val(v string) RegisterOutput   { return RegisterOutput{Value: v, Exists: true} }

var (
	ok0   = RegisterOutput{}
	nilRO = RegisterOutput{}
)

func incr(k string) CounterInput    { return CounterInput{Op: CounterIncr, Key: k} }
func cget(k string) CounterInput    { return CounterInput{Op: CounterGet, Key: k} }
func cval(v int64) CounterOutput    { return CounterOutput{Value: v} }
func rpush(k, v string) ListInput   { return ListInput{Op: ListRPush, Key: k, Value: v} }
func lrange(k string) ListInput     { return ListInput{Op: ListRange, Key: k} }
func llen(n int64) ListOutput       { return ListOutput{Len: n} }
func lvals(vs ...string) ListOutput { return ListOutput{Values: vs} }

func TestModels(t *testing.T) {
	cases := []struct {
		name  string
		model porcupine.Model
		ops   []porcupine.Operation
		want  porcupine.CheckResult
	}{
		{"register/sequential", RegisterModel, []porcupine.Operation{
			op(0, get("x"), nilRO, 0, 5),
			op(0, set("x", "a"), ok0, 10, 20),
			op(1, get("x"), val("a"), 25, 30),
			op(1, set("x", "b"), ok0, 35, 40),
			op(0, get("x"), val("b"), 45, 50),
		}, porcupine.Ok},
		{"register/concurrent read sees either", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("x", "b"), ok0, 20, 40),
			op(2, get("x"), val("a"), 25, 30),
			op(3, get("x"), val("b"), 26, 35),
		}, porcupine.Ok},
		{"register/stale read after newer acked SET", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("x", "b"), ok0, 20, 30),
			op(2, get("x"), val("a"), 40, 50),
		}, porcupine.Illegal},
		{"register/keys are independent", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("y", "b"), ok0, 20, 30),
			op(2, get("x"), val("a"), 40, 50),
			op(2, get("y"), val("b"), 60, 70),
		}, porcupine.Ok},
		{"register/unknown SET seen", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("x", "b"), nil, 15, -1),
			op(2, get("x"), val("b"), 20, 30),
		}, porcupine.Ok},
		{"register/unknown SET not seen", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("x", "b"), nil, 15, -1),
			op(2, get("x"), val("a"), 20, 30),
		}, porcupine.Ok},
		{"register/unknown SET seen then unseen", RegisterModel, []porcupine.Operation{
			op(0, set("x", "a"), ok0, 0, 10),
			op(1, set("x", "b"), nil, 15, -1),
			op(2, get("x"), val("b"), 20, 30),
			op(2, get("x"), val("a"), 40, 50),
		}, porcupine.Illegal},
		{"register/unknown SET seen before its call", RegisterModel, []porcupine.Operation{
			op(2, get("x"), val("b"), 0, 10),
			op(1, set("x", "b"), nil, 15, -1),
		}, porcupine.Illegal},

		{"counter/sequential", CounterModel, []porcupine.Operation{
			op(0, cget("c"), cval(0), 0, 5),
			op(0, incr("c"), cval(1), 10, 20),
			op(1, incr("c"), cval(2), 25, 30),
			op(1, cget("c"), cval(2), 35, 40),
		}, porcupine.Ok},
		{"counter/lost INCR", CounterModel, []porcupine.Operation{
			op(0, incr("c"), cval(1), 0, 10),
			op(1, incr("c"), cval(2), 20, 30),
			op(2, cget("c"), cval(1), 40, 50),
		}, porcupine.Illegal},
		{"counter/duplicate INCR reply", CounterModel, []porcupine.Operation{
			op(0, incr("c"), cval(1), 0, 10),
			op(1, incr("c"), cval(1), 20, 30),
		}, porcupine.Illegal},
		{"counter/unknown INCR seen or not", CounterModel, []porcupine.Operation{
			op(0, incr("c"), cval(1), 0, 10),
			op(1, incr("c"), nil, 15, -1),
			op(2, cget("c"), cval(1), 20, 30),
			op(2, cget("c"), cval(2), 40, 50),
			op(0, incr("c"), cval(3), 60, 70),
		}, porcupine.Ok},
		{"counter/unknown INCR applied twice", CounterModel, []porcupine.Operation{
			op(0, incr("c"), cval(1), 0, 10),
			op(1, incr("c"), nil, 15, -1),
			op(2, cget("c"), cval(3), 20, 30),
		}, porcupine.Illegal},

		{"list/sequential", ListModel, []porcupine.Operation{
			op(0, lrange("l"), lvals(), 0, 5),
			op(0, rpush("l", "a"), llen(1), 10, 20),
			op(1, rpush("l", "b"), llen(2), 25, 30),
			op(1, lrange("l"), lvals("a", "b"), 35, 40),
		}, porcupine.Ok},
		{"list/concurrent pushes in either order", ListModel, []porcupine.Operation{
			op(0, rpush("l", "a"), llen(2), 0, 20),
			op(1, rpush("l", "b"), llen(1), 5, 25),
			op(2, lrange("l"), lvals("b", "a"), 30, 40),
		}, porcupine.Ok},
		{"list/missing acked RPUSH", ListModel, []porcupine.Operation{
			op(0, rpush("l", "a"), llen(1), 0, 10),
			op(1, rpush("l", "b"), llen(2), 20, 30),
			op(2, lrange("l"), lvals("a"), 40, 50),
		}, porcupine.Illegal},
		{"list/reordered", ListModel, []porcupine.Operation{
			op(0, rpush("l", "a"), llen(1), 0, 10),
			op(1, rpush("l", "b"), llen(2), 20, 30),
			op(2, lrange("l"), lvals("b", "a"), 40, 50),
		}, porcupine.Illegal},
		{"list/unknown RPUSH seen or not", ListModel, []porcupine.Operation{
			op(0, rpush("l", "a"), llen(1), 0, 10),
			op(1, rpush("l", "x"), nil, 15, -1),
			op(2, lrange("l"), lvals("a"), 20, 30),
			op(0, rpush("l", "b"), llen(2), 35, 40),
			op(2, lrange("l"), lvals("a", "b", "x"), 45, 50),
		}, porcupine.Ok},
		{"list/unknown RPUSH duplicated", ListModel, []porcupine.Operation{
			op(1, rpush("l", "x"), nil, 0, -1),
			op(2, lrange("l"), lvals("x", "x"), 20, 30),
		}, porcupine.Illegal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := porcupine.CheckOperationsTimeout(tc.model, tc.ops, 10*time.Second); got != tc.want {
				t.Fatalf("check = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	h := NewHistory()
	a := h.Invoke(0, set("x", "a"))
	h.Return(a, ok0)
	failed := h.Invoke(1, set("x", "never"))
	h.Drop(failed)
	unk := h.Invoke(1, set("x", "maybe"))
	h.Unknown(unk)
	pending := h.Invoke(2, set("x", "late"))
	_ = pending // a client stopped mid-command: counted as unknown
	g := h.Invoke(3, get("x"))
	h.Return(g, val("maybe"))

	returned, unknown, dropped := h.Counts()
	if returned != 2 || unknown != 2 || dropped != 1 {
		t.Fatalf("counts = %d/%d/%d, want 2/2/1", returned, unknown, dropped)
	}
	if res, _ := h.Check(RegisterModel, 10*time.Second); res != porcupine.Ok {
		t.Fatalf("check = %s, want Ok", res)
	}

	// Reading the dropped value is a violation: it certainly was not
	// written.
	g2 := h.Invoke(3, get("x"))
	h.Return(g2, val("never"))
	res, info := h.Check(RegisterModel, 10*time.Second)
	if res != porcupine.Illegal {
		t.Fatalf("check = %s, want Illegal", res)
	}
	path := filepath.Join(t.TempDir(), "register.html")
	if err := Visualize(RegisterModel, info, path); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("visualization not written: %v", err)
	}
}

// replyErr is a stand-in for an error reply; go-redis recognises replies
// by the RedisError method.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want Outcome
	}{
		{nil, OutcomeOK},
		{redis.Nil, OutcomeOK},
		{replyErr("TRYAGAIN no leader"), OutcomeFailed},
		{replyErr("CLUSTERDOWN no quorum"), OutcomeFailed},
		{replyErr("MOVED 0 127.0.0.1:7001"), OutcomeFailed},
		{replyErr("LOADING Redis is loading the dataset in memory"), OutcomeFailed},
		{fmt.Errorf("wrapped: %w", replyErr("TRYAGAIN")), OutcomeFailed},
		{replyErr("UNCERTAIN leadership lost"), OutcomeUnknown},
		{replyErr("ERR something"), OutcomeUnknown},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, OutcomeFailed},
		{redis.ErrPoolTimeout, OutcomeFailed},
		{&net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, OutcomeUnknown},
		{&net.OpError{Op: "write", Net: "tcp", Err: errors.New("broken pipe")}, OutcomeUnknown},
		{io.EOF, OutcomeUnknown},
		{context.DeadlineExceeded, OutcomeUnknown},
		{context.Canceled, OutcomeUnknown},
		{errors.New("something new"), OutcomeUnknown},
	}
	for _, tc := range cases {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// TestClassifyRealDialError checks the refused-connection case against what
// go-redis actually returns, not a hand-built error.
func TestClassifyRealDialError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := redis.NewClient(newClientOptions(addr, WorkloadOptions{}.withDefaults()))
	defer c.Close()
	err = c.Set(context.Background(), "k", "v", 0).Err()
	if err == nil {
		t.Fatal("SET to a closed port succeeded")
	}
	if got := Classify(err); got != OutcomeFailed {
		t.Fatalf("Classify(%v) = %s, want failed", err, got)
	}
}
