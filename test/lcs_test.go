package test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

const lcsScript = `
MSET key1 ohmytext key2 mynewtext
LCS key1 key2
LCS key1 key2 LEN
LCS key1 key2 IDX
LCS key1 key2 IDX MINMATCHLEN 4
LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
LCS key1 key2 IDX WITHMATCHLEN
LCS key1 key2 IDX MINMATCHLEN -3
LCS key1 key2 IDX LEN
LCS key1 key2 LEN IDX
LCS key1 key2 MINMATCHLEN x
LCS key1 key2 MINMATCHLEN
LCS key1 key2 BOGUS
LCS key1 nokey
LCS nokey key2 IDX
LCS nokey nokey2 LEN
RPUSH list a
LCS key1 list
LCS list key1 BOGUS
MSET a "abc\x00def" b "xx\x00dexf"
LCS a b
LCS a b IDX WITHMATCHLEN
MSET c aaaaaaaa d aaaa
LCS c d IDX
LCS d c IDX WITHMATCHLEN
MSET e abcde f abcde
LCS e f IDX WITHMATCHLEN
EVAL "return redis.call('LCS', KEYS[1], KEYS[2], 'IDX')" 2 key1 key2
LCS key1
`

func TestLCS(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, lcsScript) }},
		nodeTest{"RandomMatchRedis", func(t *testing.T, n *node) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 1))
			word := func() string {
				var b strings.Builder
				for i, n := 0, r.IntN(40); i < n; i++ {
					b.WriteByte("abcd"[r.IntN(4)])
				}
				return fmt.Sprintf("%q", b.String())
			}
			var s strings.Builder
			for i := 0; i < 100; i++ {
				fmt.Fprintf(&s, "MSET x %s y %s\nLCS x y\nLCS x y IDX WITHMATCHLEN MINMATCHLEN %d\nLCS y x IDX\n", word(), word(), r.IntN(4))
			}
			compareWithRedis(t, n, s.String())
		}},
	)
}
