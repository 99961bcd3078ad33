package fsm

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/geomys/geomys/commands"
	"github.com/hashicorp/raft"
)

// specRun runs args in fn's Ctx as a script's redis.call does, and returns
// the reply.
func specRun(t *testing.T, c *commands.Ctx, args ...string) string {
	t.Helper()
	def := commands.Lookup([]byte(args[0]))
	if def == nil {
		t.Fatalf("no command %s", args[0])
	}
	r := commands.NewReply(2)
	c.R = r
	c.Begin(c.DB, bs(args...))
	def.Handler(c)
	c.Finish()
	return string(r.Bytes())
}

// TestSpeculation: runs see the effects of earlier runs; a run that says
// its effects do not stand leaves nothing and makes no entry; End restores
// the dataset exactly; and the entries the runs made, applied through
// ApplyBatch, reproduce the state the last run saw, random choices
// included, with each run's writes bracketed by MULTI/EXEC in the AOF
// (unless it made only one).
func TestSpeculation(t *testing.T) {
	f := openTxFSM(t, t.TempDir())
	defer f.Close()
	f.ApplyBatch([]*raft.Log{{Index: 1, Term: 1, Type: raft.LogCommand,
		Data: entryOf(c2("SET", "base", "1"), c2("SADD", "s", "a", "b", "c", "d", "e"))}})
	before := digestOf(f)
	aofBefore := incrAOF(t, f)

	sp := f.BeginSpeculation()
	var popped string
	e1 := sp.Run(nil, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[0]
		if got := specRun(t, c, "INCR", "n"); got != ":1\r\n" {
			t.Errorf("first INCR: %q", got)
		}
		specRun(t, c, "SET", "a", "1")
		reply := specRun(t, c, "SPOP", "s")
		if !strings.HasPrefix(reply, "$1\r\n") {
			t.Fatalf("SPOP: %q", reply)
		}
		popped = reply[4:5]
		return true
	})
	e2 := sp.Run(nil, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[0]
		if got := specRun(t, c, "INCR", "n"); got != ":2\r\n" {
			t.Errorf("the second run did not see the first: INCR replied %q", got)
		}
		return true
	})
	killed := sp.Run(nil, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[0]
		specRun(t, c, "DEL", "base", "a")
		specRun(t, c, "INCR", "n")
		return false // as a script stopped by SCRIPT KILL
	})
	if killed != nil {
		t.Errorf("a run whose effects do not stand made an entry: %q", killed)
	}
	var seen [20]byte
	readOnly := sp.Run(nil, func(c *commands.Ctx) bool {
		c.DB = c.Store.DBs[0]
		if got := specRun(t, c, "MGET", "base", "a", "n"); got != "*3\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n2\r\n" {
			t.Errorf("after the undone run: MGET replied %q", got)
		}
		seen = c.Store.Digest(entryTime)
		return true
	})
	if readOnly != nil {
		t.Errorf("a run with no effects made an entry: %q", readOnly)
	}
	body := "return 1"
	loadOnly := sp.Run([][][]byte{bs(ScriptCommand, "load", body)}, func(c *commands.Ctx) bool { return true })
	if loadOnly == nil {
		t.Error("a run with lead commands and no effects made no entry")
	}
	sp.End()

	if digestOf(f) != before {
		t.Fatal("End did not restore the dataset")
	}
	if got := incrAOF(t, f); got != aofBefore {
		t.Fatalf("a speculation wrote to the AOF: %q", got[len(aofBefore):])
	}
	if seen == before {
		t.Fatal("the runs changed nothing")
	}

	out := f.ApplyBatch([]*raft.Log{{Index: 2, Term: 1, Type: raft.LogCommand, Data: EncodeBatch([][]byte{e1, e2, loadOnly})}})
	br := out[0].(*BatchResult)
	for i, want := range []string{"*3\r\n:1\r\n+OK\r\n:1\r\n", "*1\r\n:2\r\n", "+OK\r\n"} {
		if got := string(br.Results[i].Reply); got != want {
			t.Errorf("entry %d applied: reply %q, want %q", i, got, want)
		}
	}
	if digestOf(f) != seen {
		t.Error("applying the entries did not reproduce the speculated dataset")
	}
	if _, ok := f.Script(ScriptSHA([]byte(body))); !ok {
		t.Error("the lead command of the last run was not applied")
	}
	wantAOF := multi + cmd("INCR", "n") + cmd("SET", "a", "1") + cmd("SREM", "s", popped) + exec +
		cmd("INCR", "n") // one write: no MULTI/EXEC, as in Redis 7
	// The runs' entries carry the speculation's clock, so does the marker.
	now, _, _, _, err := decodeEntry(e1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantAOF += "#" + scriptPrefix + base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n" +
		"#" + markerPrefix + "2 " + strconv.FormatInt(now, 10) + "\r\n"
	if got := incrAOF(t, f)[len(aofBefore):]; got != wantAOF {
		t.Errorf("applied entries appended\n got %q\nwant %q", got, wantAOF)
	}
}
