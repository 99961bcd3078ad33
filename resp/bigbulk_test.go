package resp

import (
	"bytes"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/tidwall/redcon"
)

// guardReadAll parses rd to the end, with big bulks put back by g (nil:
// none), and returns every command's arguments and the final error. It
// fails t if redcon saw a bulk of limit bytes or more (0: no limit).
func guardReadAll(t testing.TB, rd *redcon.Reader, g *GuardConn, limit int) ([][][]byte, error) {
	t.Helper()
	var out [][][]byte
	for {
		cmds, err := rd.ReadCommands()
		for _, c := range cmds {
			for _, a := range c.Args {
				if limit > 0 && len(a) >= limit {
					t.Fatalf("redcon read a bulk of %d bytes", len(a))
				}
			}
			if g != nil {
				g.Unstash(c.Args, nil)
			}
			args := make([][]byte, len(c.Args))
			for i, a := range c.Args {
				args[i] = bytes.Clone(a)
			}
			out = append(out, args)
		}
		if err != nil {
			return out, err
		}
	}
}

// guardShortReads reads from g with buffers no longer than psize says.
type guardShortReads struct {
	g     *GuardConn
	psize func() int
}

func (r *guardShortReads) Read(p []byte) (int, error) {
	return r.g.Read(p[:min(len(p), max(r.psize(), 1))])
}

// Big bulks read past redcon come out of Unstash exactly as redcon would
// have parsed them, however the stream is cut into reads.
func TestGuardBigBulkThroughRedcon(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	data := guardPipeline(rng, 1500)
	// One bulk bigger than redcon's first buffer, at the end.
	data = append(data, guardMB("SET", "k", strings.Repeat("v", 70000))...)
	want, err := guardReadAll(t, redcon.NewReader(bytes.NewReader(data)), nil, 0)
	if err != io.EOF {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name         string
		chunk, psize func() int
	}{
		{"byte-by-byte", guardConst(1), guardConst(1 << 20)},
		{"random-small", guardRand(rng, 10), guardConst(1 << 20)},
		{"random", guardRand(rng, 5000), guardConst(1 << 20)},
		{"big", guardConst(1 << 20), guardConst(1 << 20)},
		{"random/p1", guardRand(rng, 5000), guardConst(1)},
		{"random/p7", guardRand(rng, 5000), guardConst(7)},
		{"random/prandom", guardRand(rng, 5000), guardRand(rng, 100)},
	} {
		t.Run(s.name, func(t *testing.T) {
			g := NewGuardConn(&guardChunkConn{data: data, next: s.chunk}, GuardLimits{BigBulk: 30})
			got, err := guardReadAll(t, redcon.NewReader(&guardShortReads{g, s.psize}), g, 30)
			if err != io.EOF {
				t.Fatalf("err %v", err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d commands, want %d", len(got), len(want))
			}
			for i := range want {
				if len(got[i]) != len(want[i]) {
					t.Fatalf("command %d: %d args, want %d", i, len(got[i]), len(want[i]))
				}
				for j := range want[i] {
					if !bytes.Equal(got[i][j], want[i][j]) {
						t.Fatalf("command %d arg %d: %q, want %q", i, j, guardClip(got[i][j]), guardClip(want[i][j]))
					}
				}
			}
			if g.HasBig() || g.big.cur != nil {
				t.Fatal("a big bulk is left over")
			}
		})
	}
}

// A token from another process (or a guess) is an ordinary argument.
func TestGuardBigBulkTokenNotForgeable(t *testing.T) {
	cc := &guardChunkConn{data: []byte(guardMB("SET", "k", strings.Repeat("v", 64))), next: guardConst(1 << 20)}
	g := NewGuardConn(cc, GuardLimits{BigBulk: 32})
	cmds, err := guardReadAll(t, redcon.NewReader(g), nil, 0)
	if err != io.EOF || len(cmds) != 1 {
		t.Fatalf("%d commands, %v", len(cmds), err)
	}
	tok := cmds[0][2]
	if len(tok) != bigTokenLen {
		t.Fatalf("redcon saw %q, not a token", guardClip(tok))
	}
	forged := bytes.Clone(tok)
	forged[0] ^= 1
	args := [][]byte{forged}
	if g.Unstash(args, nil) != 0 || !bytes.Equal(args[0], forged) {
		t.Fatal("a forged token was replaced")
	}
	args = [][]byte{tok}
	if g.Unstash(args, nil) != 64-int64(bigTokenLen) || string(args[0]) != strings.Repeat("v", 64) {
		t.Fatalf("the token gave %q", guardClip(args[0]))
	}
	if g.HasBig() {
		t.Fatal("payload still waiting after Unstash")
	}
}
