package test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A script that runs too long: other clients are told BUSY after
// busy-reply-threshold, SCRIPT KILL stops a script that has not written, a
// script that has written is UNKILLABLE, and SHUTDOWN NOSAVE then stops the
// node without any of that script's writes reaching the data (they were
// speculative: nothing of an unfinished script is ever committed).
func TestScriptBusyKillAndShutdown(t *testing.T) {
	n := startNode(t)
	admin := dialRESP(t, n.addr(), 2)
	if got := admin.do("CONFIG", "SET", "busy-reply-threshold", "200"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET busy-reply-threshold = %q", got)
	}
	const busy = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
	if got := admin.do("SCRIPT", "KILL"); got != "-NOTBUSY No scripts in execution right now.\r\n" {
		t.Errorf("SCRIPT KILL with nothing running = %q", got)
	}

	for _, eval := range []string{"EVAL", "EVAL_RO"} {
		runner := dialRESP(t, n.addr(), 2)
		done := make(chan string, 1)
		runner.send(eval, "while true do end", "0")
		go func() {
			r, _ := runner.read(30 * time.Second)
			done <- r
		}()
		time.Sleep(600 * time.Millisecond)
		other := dialRESP(t, n.addr(), 2)
		for _, cmd := range [][]string{{"PING"}, {"GET", "k"}, {"SET", "k", "v"}} {
			if got := other.do(cmd...); got != busy {
				t.Errorf("%s while an %s loops: %q, want BUSY", cmd[0], eval, got)
			}
		}
		if got := other.do("SCRIPT", "KILL"); got != "+OK\r\n" {
			t.Fatalf("SCRIPT KILL = %q", got)
		}
		select {
		case got := <-done:
			if !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL... script: ") || !strings.HasSuffix(got, ", on @user_script:1.\r\n") {
				t.Errorf("the killed %s answered %q", eval, got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still running 10s after SCRIPT KILL", eval)
		}
		if got := other.do("SET", "k", "after"); got != "+OK\r\n" {
			t.Errorf("SET after the kill = %q", got)
		}
	}

	admin.do("SET", "wk", "before")
	runner := dialRESP(t, n.addr(), 2)
	runner.send("EVAL", "redis.call('set', KEYS[1], 'partial') while true do end", "1", "wk")
	time.Sleep(600 * time.Millisecond)
	other := dialRESP(t, n.addr(), 2)
	if got := other.do("SCRIPT", "KILL"); !strings.HasPrefix(got, "-UNKILLABLE Sorry the script already executed write commands against the dataset.") {
		t.Fatalf("SCRIPT KILL of a script that wrote = %q", got)
	}
	other.send("SHUTDOWN", "NOSAVE")
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("SHUTDOWN NOSAVE did not stop the node while a script looped:\n%s", n.log.String())
	}
	n.restart()
	if got := dialRESP(t, n.addr(), 2).do("GET", "wk"); got != "$6\r\nbefore\r\n" {
		t.Errorf("after SHUTDOWN NOSAVE stopped a looping script, GET wk = %q: its write must not have been applied", got)
	}
}

// On a cluster a runaway script holds up only the leader: heartbeats go on
// (no new election), a follower relays the looping EVAL and the SCRIPT KILL
// that stops it, and writes flow again afterwards on every node.
func TestScriptRunawayOnCluster(t *testing.T) {
	c := startCluster(t, 3)
	l := c.leader()
	termBefore := l.raftInfo()["term"]
	if got := dialRESP(t, l.addr(), 2).do("CONFIG", "SET", "busy-reply-threshold", "200"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET = %q", got)
	}
	f := c.followers()
	runner := dialRESP(t, f[0].addr(), 2)
	runner.send("EVAL", "while true do end", "0")
	done := make(chan string, 1)
	go func() {
		r, _ := runner.read(30 * time.Second)
		done <- r
	}()
	time.Sleep(2 * time.Second) // longer than the election timeout
	if got := dialRESP(t, f[1].addr(), 2).do("SCRIPT", "KILL"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL through a follower = %q", got)
	}
	select {
	case got := <-done:
		if !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL...") {
			t.Errorf("the looping EVAL sent to a follower answered %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the script still runs 10s after SCRIPT KILL")
	}
	if term := c.leader().raftInfo()["term"]; term != termBefore || c.leader() != l {
		t.Errorf("leadership changed while the script ran (term %s -> %s)", termBefore, term)
	}
	for _, n := range c.nodes {
		if got := dialRESP(t, n.addr(), 2).do("SET", "after", n.name()); got != "+OK\r\n" {
			t.Errorf("SET on %s after the kill = %q", n.name(), got)
		}
	}
	c.waitConverged()
}

// A script with 300,000 writes makes one log entry that takes longer
// than --request-timeout to store and apply; its node stays leader all the
// while, so the client gets the script's reply, not UNCERTAIN.
func TestScriptBigEntryOutlastsRequestTimeout(t *testing.T) {
	n := startNode(t, "--request-timeout", "100ms")
	c := redis.NewClient(&redis.Options{Addr: n.addr(), ReadTimeout: time.Minute, MaxRetries: -1})
	defer c.Close()
	ctx := ctxT(t)
	const adds = 300000
	start := time.Now()
	got, err := c.Eval(ctx, `for i = 1, tonumber(ARGV[1]) do redis.call('sadd', KEYS[1], i) end return redis.call('scard', KEYS[1])`,
		[]string{"big"}, adds).Int64()
	if err != nil || got != adds {
		t.Fatalf("script: %d, %v (after %v)", got, err, time.Since(start))
	}
	t.Logf("%d SADDs in one script: %v", adds, time.Since(start))
	if n, err := c.SCard(ctx, "big").Result(); err != nil || n != adds {
		t.Fatalf("SCARD after: %d, %v", n, err)
	}
}

// A command a script calls that is refused before it runs is a rejected
// call of that command, and a script answered with an error is a failed
// call of EVAL, as INFO commandstats counts them on Redis.
func TestScriptCommandStats(t *testing.T) {
	n := startNode(t)
	c := n.client()
	ctx := ctxT(t)
	c.ConfigResetStat(ctx)
	if err := c.Eval(ctx, "return redis.call('set', KEYS[1])", []string{"x"}).Err(); err == nil {
		t.Fatal("SET with one argument from a script succeeded")
	}
	if err := c.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"x"}).Err(); err != nil {
		t.Fatal(err)
	}
	stats := c.Info(ctx, "commandstats").Val()
	for _, want := range []string{"cmdstat_set:calls=0,", "rejected_calls=1,failed_calls=0", "cmdstat_eval:calls=2,"} {
		if !strings.Contains(stats, want) {
			t.Fatalf("commandstats lack %q:\n%s", want, stats)
		}
	}
	for _, line := range strings.Split(stats, "\r\n") {
		if strings.HasPrefix(line, "cmdstat_eval:") && !strings.HasSuffix(line, "rejected_calls=0,failed_calls=1") {
			t.Fatalf("EVAL answered once with an error: %s", line)
		}
		if strings.HasPrefix(line, "cmdstat_set:") && !strings.HasSuffix(line, "rejected_calls=1,failed_calls=0") {
			t.Fatalf("SET refused once inside a script: %s", line)
		}
	}
}
