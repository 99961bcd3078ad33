package test

import (
	"strings"
	"testing"
)

// TestFaultCheckerSelfTest: the pipelined clients' reply checks of
// TestFaultProxyReplies flag the anomalies they exist for.
func TestFaultCheckerSelfTest(t *testing.T) {
	fresh := func() *pipeClient {
		return &pipeClient{id: 3, regKey: "preg:3", ctrKey: "pctr:3", sets: map[int]proxyOutcome{}}
	}
	for _, tc := range []struct {
		name string
		run  func(pc *pipeClient)
		want string // "" for no error
	}{
		{"own acked value", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.floor = 1, pOK, 1
			pc.checkGet("p3-1", true, "x")
		}, ""},
		{"later uncertain value", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.sets[2], pc.floor = 2, pOK, pUnknown, 1
			pc.checkGet("p3-2", true, "x")
		}, ""},
		{"another client's value", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.floor = 1, pOK, 1
			pc.checkGet("p4-1", true, "x")
		}, "another client"},
		{"an INCR reply read as GET", func(pc *pipeClient) { pc.checkGet("17", true, "x") }, "another client"},
		{"stale value", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.sets[2], pc.floor = 2, pOK, pOK, 2
			pc.checkGet("p3-1", true, "x")
		}, "stale"},
		{"value of a TRYAGAIN SET", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.sets[2], pc.floor = 2, pOK, pFailed, 1
			pc.checkGet("p3-2", true, "x")
		}, "TRYAGAIN"},
		{"value not yet sent", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.floor = 1, pOK, 1
			pc.checkGet("p3-2", true, "x")
		}, "not yet sent"},
		{"missing after ack", func(pc *pipeClient) {
			pc.seq, pc.sets[1], pc.floor = 1, pOK, 1
			pc.checkGet("", false, "x")
		}, "nil"},
		{"counter within bounds", func(pc *pipeClient) {
			pc.ctrAcked, pc.ctrUnk, pc.ctrLast, pc.ctrUnkSince = 5, 2, 5, 1
			pc.checkCounter(6)
		}, ""},
		{"counter over acked+uncertain (a repeated write)", func(pc *pipeClient) {
			pc.ctrAcked, pc.ctrUnk, pc.ctrLast, pc.ctrUnkSince = 5, 2, 5, 2
			pc.checkCounter(8)
		}, "acknowledged+uncertain"},
		{"counter under acked (a lost write)", func(pc *pipeClient) {
			pc.ctrAcked, pc.ctrLast = 5, 5
			pc.checkCounter(4)
		}, "acknowledged"},
	} {
		pc := fresh()
		tc.run(pc)
		got := strings.Join(pc.errs, "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: errors %q, want one containing %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		err  error
		want proxyOutcome
	}{
		{nil, pOK},
		{proxyErr("TRYAGAIN no leader"), pFailed},
		{proxyErr("LOADING Redis is loading the dataset in memory"), pFailed},
		{proxyErr("UNCERTAIN the leader did not answer"), pUnknown},
		{proxyErr("WRONGTYPE Operation against a key"), pAnomaly},
	} {
		if got := classifyProxyErr(tc.err); got != tc.want {
			t.Errorf("classifyProxyErr(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// proxyErr is an error reply as go-redis reports one.
type proxyErr string

func (e proxyErr) Error() string { return string(e) }
func (proxyErr) RedisError()     {}
