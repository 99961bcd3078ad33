package commands

import (
	"math/rand/v2"
	"testing"
)

// harness runs commands the way the FSM (writes) and the server (reads) do,
// against one store, and returns RESP2 replies as strings.
type harness struct {
	t     *testing.T
	store *Store
	prop  *Propagation
	db    int
	now   int64
	proto int
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, store: NewStore(), prop: NewPropagation(), now: 1_700_000_000_000, proto: 2}
}

// do runs one command and returns its raw RESP reply.
func (h *harness) do(args ...string) string {
	h.t.Helper()
	reply, _ := h.run(nil, args...)
	return reply
}

// run executes one command (arity checked, as the server does) with an
// optional session, and returns the reply and the context, so tests can see
// Block requests and signalled keys.
func (h *harness) run(sess Session, args ...string) (string, *Ctx) {
	h.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd := Lookup(argv[0])
	if cmd == nil || cmd.Handler == nil {
		h.t.Fatalf("no handler for %q", args[0])
	}
	c := &Ctx{Store: h.store, Now: h.now, R: NewReply(h.proto), Session: sess}
	if cmd.Arity > 0 && len(argv) != cmd.Arity || cmd.Arity < 0 && len(argv) < -cmd.Arity {
		c.R.Error(ArityErr(cmd.Name))
		return string(c.R.Bytes()), c
	}
	if cmd.Logged() {
		c.Prop = h.prop
		c.Rand = rand.New(rand.NewPCG(uint64(h.now), 1))
	}
	c.Begin(h.store.DBs[h.db], argv)
	cmd.Handler(c)
	c.Finish()
	return string(c.R.Bytes()), c
}

// expect runs a command and fails unless the reply is want (raw RESP).
func (h *harness) expect(want string, args ...string) {
	h.t.Helper()
	if got := h.do(args...); got != want {
		h.t.Fatalf("%q: got %q, want %q", args, got, want)
	}
}

// aof returns and clears what the commands propagated.
func (h *harness) aof() string {
	s := string(h.prop.Buf)
	h.prop.Reset()
	return s
}
