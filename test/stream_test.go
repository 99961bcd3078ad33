package test

import (
	"testing"
)

const streamScript = `
# XADD with explicit ids, ms-* and errors
XADD s 1-1 f v
XADD s 1-2 a 1 b 2
XADD s 1-2 f v
XADD s 1-1 f v
XADD s 0-0 f v
XADD s 0 f v
XADD s 1-* f v
XADD s 5-* f v
XADD s 5-* f v
XADD s 6 f v
XADD s 7-0 f
XADD s 7-0
XADD s abc f v
XADD s 1-x f v
XADD s -1 f v
XADD s + f v
XADD s - f v
XADD s " 8" f v
XADD s 9-+3 f v
XADD s 18446744073709551616 f v
XADD s 18446744073709551615-18446744073709551614 f v
XADD s 18446744073709551615-* f v
XADD s 18446744073709551615-* f v
XADD s * f v
XLEN s
TYPE s
OBJECT ENCODING s
XADD nomk NOMKSTREAM 1-1 f v
EXISTS nomk
XADD nomk NOMKSTREAM * f v
SET str x
XADD str 1-1 f v
XLEN str
XLEN nosuch
# ranges
DEL s
XADD s 1-1 a 1
XADD s 1-2 b 2
XADD s 2-0 c 3
XADD s 3-5 d 4 e 5
XADD s 10-0 "bin\x00" "v\r\n"
XRANGE s - +
XRANGE s - + COUNT 2
XRANGE s - + COUNT 0
XRANGE s - + COUNT -1
XRANGE s - + COUNT x
XRANGE s - + LIMIT 2
XRANGE s - + COUNT
XRANGE s 1 1
XRANGE s 1-2 3
XRANGE s (1-1 +
XRANGE s - (3-5
XRANGE s (- +
XRANGE s - (+
XRANGE s (18446744073709551615-18446744073709551615 +
XRANGE s - (0-0
XRANGE s ( +
XRANGE s abc +
XRANGE s 5 1
XRANGE nosuch - +
XRANGE str - +
XREVRANGE s + -
XREVRANGE s + - COUNT 2
XREVRANGE s (3-5 -
XREVRANGE s 2 (1-1
XREVRANGE s + - COUNT 0
XREVRANGE nosuch + -
# XDEL
XDEL s 1-2 2-0 99-0
XDEL s 1-2
XDEL s abc
XDEL s 1-1 abc
XDEL nosuch 1-1
XDEL str 1-1
XRANGE s - +
XLEN s
XDEL s 1-1 3-5 10-0
XLEN s
EXISTS s
XRANGE s - +
XADD s 10-0 f v
XADD s 11-0 f v
# XTRIM
DEL t
XADD t 1 f v
XADD t 2 f v
XADD t 3 f v
XADD t 4 f v
XADD t 5 f v
XTRIM t MAXLEN 3
XRANGE t - +
XTRIM t MAXLEN = 2
XTRIM t MINID 5
XRANGE t - +
XTRIM t MAXLEN -1
XTRIM t MAXLEN x
XTRIM t MINID abc
XTRIM t
XTRIM t FOO 1
XTRIM t MAXLEN 1 MINID 1
XTRIM t MAXLEN 1 LIMIT 10
XTRIM t MAXLEN ~ 1 LIMIT -1
XTRIM t MAXLEN ~ 1 LIMIT 10
XTRIM t LIMIT 10
XTRIM nosuch MAXLEN 1
XTRIM str MAXLEN 1
XADD t MAXLEN 2 6 f v
XADD t MAXLEN 2 7 f v
XRANGE t - +
XADD t MINID 7 8 f v
XRANGE t - +
XADD t MAXLEN 0 9 f v
XLEN t
XADD t LIMIT 5 10 f v
XADD t MAXLEN 1 LIMIT 5 10 f v
XADD t MAXLEN ~ 1 LIMIT 5 10 f v
XADD t MAXLEN -5 11 f v
XADD t MAXLEN 1 MINID 1 11 f v
# approximate trimming removes whole nodes of 100 entries
DEL big
EVAL "for i=1,250 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 big
XLEN big
XTRIM big MAXLEN ~ 120
XLEN big
XTRIM big MAXLEN ~ 10
XLEN big
XTRIM big MINID ~ 240
XLEN big
XTRIM big MINID 245
XLEN big
XRANGE big - + COUNT 2
XADD big MAXLEN ~ 1 LIMIT 1 300 f v
XLEN big
XINFO STREAM big
EVAL "for i=1,250 do redis.call('XADD', KEYS[1], i..'-1', 'f', i) end return 1" 1 big2
XINFO STREAM big2
XTRIM big2 MAXLEN ~ 120 LIMIT 50
XLEN big2
XTRIM big2 MAXLEN ~ 120 LIMIT 100
XLEN big2
XINFO STREAM big2
XDEL big2 150-1
XINFO STREAM big2
# nodes are cut where Redis' listpack reaches 4096 bytes: each entry sized
# as Redis stores it (integer-like strings as integers, names left out when
# they are the node's first entry's, ids as differences from it, which may
# be negative), so approximate trimming removes the same entries
EVAL "for i=1,600 do local id=(1000+i*7)..'-'..((i*37)%50) if i%3==0 then redis.call('XADD',KEYS[1],id,'event','added','jobId',tostring(i),'name',string.rep('n',i%70)) elseif i%3==1 then redis.call('XADD',KEYS[1],id,'event','completed','jobId',tostring(i*100000),'returnvalue','{\"sum\":'..i..'}','prev','active') else redis.call('XADD',KEYS[1],id,'x'..(i%5),tostring(-i*1000),'event',string.rep('v',(i*13)%90),'n','007') end end return 1" 1 lp
XINFO STREAM lp
XTRIM lp MAXLEN ~ 590
XLEN lp
XTRIM lp MAXLEN ~ 400
XLEN lp
XADD lp MAXLEN ~ 100 9000-0 event added jobId 1
XLEN lp
XTRIM lp MINID ~ 3800
XLEN lp
XTRIM lp MAXLEN ~ 10
XLEN lp
XINFO STREAM lp
# a job queue's events stream: the same names in every entry
EVAL "for i=1,300 do redis.call('XADD',KEYS[1],i..'-1','event','completed','jobId',tostring(i),'returnvalue','{\"sum\":'..(i*11)..',\"i\":'..i..'}','prev','active') end return 1" 1 ev
XTRIM ev MAXLEN ~ 10
XLEN ev
# a long entry starts a node of its own; the next one then fits nowhere else
EVAL "for i=1,20 do redis.call('XADD',KEYS[1],i..'-0','f',string.rep('b',i*300)) end return redis.call('XLEN',KEYS[1])" 1 long
XTRIM long MAXLEN ~ 3
XLEN long
# XSETID
DEL x
XADD x 5-0 f v
XSETID x 4-0
XSETID x 5-0
XSETID x 10-0
XADD x 9-0 f v
XADD x 11-* f v
XSETID x 20-0 ENTRIESADDED 0
XSETID x 20-0 ENTRIESADDED -1
XSETID x 20-0 ENTRIESADDED 7 MAXDELETEDID 3-0
XSETID x 20-0 MAXDELETEDID 30-0
XSETID x 20-0 FOO
XSETID x 20-0 ENTRIESADDED
XSETID x abc
XSETID nosuch 1-0
XSETID str 1-0
XINFO STREAM x
XSETID x 2-0
# XINFO
XINFO STREAM s
XINFO STREAM s FULL
XINFO STREAM s FULL COUNT 1
XINFO STREAM s FULL COUNT -1
XINFO STREAM s FULL COUNT x
XINFO STREAM s FOO
XINFO STREAM s FULL FOO 1
XINFO STREAM s FULL COUNT 1 2
XINFO STREAM nosuch
XINFO STREAM str
XINFO GROUPS s
XINFO CONSUMERS s g
XINFO FOO s
XINFO HELP
XINFO HELP x
XINFO STREAM
XINFO GROUPS
XINFO
XGROUP CREATE e g $ MKSTREAM
XINFO STREAM e
XINFO STREAM e FULL
XADD e 1-1 f v
XDEL e 1-1
XINFO STREAM e
XRANGE e - +
# XREAD
XREAD STREAMS s 0
XREAD COUNT 1 STREAMS s 0
XREAD COUNT 1 STREAMS s t 0 0
XREAD STREAMS s t nosuch 10-0 0 0
XREAD STREAMS s $
XREAD STREAMS s 99
XREAD STREAMS nosuch 0
XREAD STREAMS s
XREAD STREAMS s t 0
XREAD STREAMS s >
XREAD STREAMS s abc
XREAD COUNT x STREAMS s 0
XREAD COUNT -1 STREAMS s 0
XREAD BLOCK x STREAMS s 0
XREAD BLOCK -1 STREAMS s 0
XREAD BLOCK 10 STREAMS s 0
XREAD FOO STREAMS s 0
XREAD GROUP g c STREAMS s 0
XREAD NOACK STREAMS s 0
XREAD STREAMS str 0
XREAD COUNT 1
EVAL "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')" 1 s
EVAL "return redis.call('XREAD', 'BLOCK', '10', 'STREAMS', KEYS[1], '0')" 1 s
EVAL "return redis.pcall('xread', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')" 1 s
MULTI
XREAD BLOCK 0 STREAMS s $
XREAD BLOCK 0 STREAMS s 0
EXEC
`

const streamGroupScript = `
DEL s
XADD s 1-1 a 1
XADD s 2-1 b 2
XADD s 3-1 c 3
XADD s 4-1 d 4
XGROUP CREATE s g 0
XGROUP CREATE s g 0
XGROUP CREATE s g2 $
XGROUP CREATE s g3 2-1 ENTRIESREAD 2
XGROUP CREATE s g4 0 ENTRIESREAD -2
XGROUP CREATE s g4 0 ENTRIESREAD x
XGROUP CREATE s g4 0 FOO
XGROUP CREATE s g4 abc
XGROUP CREATE nosuch g 0
XGROUP CREATE str g 0
XGROUP CREATE s g4
XGROUP FOO s g
XGROUP HELP
XGROUP
XINFO GROUPS s
XREADGROUP GROUP g c1 COUNT 2 STREAMS s >
XINFO GROUPS s
XPENDING s g
XREADGROUP GROUP g c2 STREAMS s >
XREADGROUP GROUP g c2 STREAMS s >
XPENDING s g
XREADGROUP GROUP g c1 STREAMS s 0
XREADGROUP GROUP g c1 COUNT 1 STREAMS s 0
XREADGROUP GROUP g c1 STREAMS s 1-1
XREADGROUP GROUP g nosuchc STREAMS s 0
XREADGROUP GROUP nosuch c STREAMS s >
XREADGROUP GROUP g c STREAMS nosuch >
XREADGROUP GROUP g c STREAMS s $
XREADGROUP GROUP g c STREAMS s
XREADGROUP GROUP g STREAMS s >
XREADGROUP COUNT 1 STREAMS s >
XREADGROUP GROUP g c STREAMS str >
XREADGROUP GROUP g3 c NOACK STREAMS s >
XPENDING s g3
XINFO GROUPS s
XACK s g 1-1 9-9
XACK s g 1-1
XACK s g abc
XACK s nosuch 1-1
XACK nosuch g 1-1
XACK str g 1-1
XPENDING s g
XDEL s 2-1
XREADGROUP GROUP g c1 STREAMS s 0
XINFO GROUPS s
XPENDING s nosuch
XPENDING nosuch g
XPENDING str g
XPENDING s g - +
XPENDING s g - + x
XPENDING s g IDLE x - + 10
XPENDING s g IDLE 10 - +
XPENDING s g abc + 10
XPENDING s g IDLE 100000000 - + 10 c1
XPENDING s g IDLE 100000000 - + 10
XPENDING s g - + 0
XPENDING s g - + 10 nosuchc
XCLAIM s g c3 0 3-1 TIME 1000 RETRYCOUNT 5 JUSTID
XPENDING s g
XCLAIM s g c3 0 1-1 JUSTID
XCLAIM s g c3 0 2-1 JUSTID
XCLAIM s g c3 0 4-1 TIME 1000 RETRYCOUNT 1 JUSTID
XCLAIM s g c4 0 4-1 FORCE TIME 2000 RETRYCOUNT 2 JUSTID
XCLAIM s g c4 0 3-1 FORCE TIME 2000 RETRYCOUNT 2
XCLAIM s g c4 100000000 3-1 JUSTID
XCLAIM s g c4 abc 3-1
XCLAIM s g c4 0 3-1 FOO
XCLAIM s g c4 0 3-1 IDLE x
XCLAIM s g c4 0 3-1 TIME x
XCLAIM s g c4 0 3-1 RETRYCOUNT x
XCLAIM s g c4 0 3-1 LASTID x
XCLAIM s g c4 0 3-1 LASTID 50-0 TIME 3000 JUSTID
XINFO GROUPS s
XCLAIM s nosuch c 0 1-1
XCLAIM nosuch g c 0 1-1
XCLAIM str g c 0 1-1
XPENDING s g
XAUTOCLAIM s g c5 0 0 COUNT 1
XAUTOCLAIM s g c5 0 0 JUSTID
XAUTOCLAIM s g c5 100000000 0
XAUTOCLAIM s g c5 0 (4-1
XAUTOCLAIM s g c5 0 0 COUNT 0
XAUTOCLAIM s g c5 0 0 COUNT x
XAUTOCLAIM s g c5 x 0
XAUTOCLAIM s g c5 0 abc
XAUTOCLAIM s g c5 0 0 FOO
XAUTOCLAIM s nosuch c5 0 0
XAUTOCLAIM nosuch g c5 0 0
XPENDING s g
XADD s 5-1 e 5
XREADGROUP GROUP g c6 STREAMS s >
XDEL s 5-1
XAUTOCLAIM s g c7 0 0 JUSTID
XPENDING s g
XGROUP CREATECONSUMER s g c8
XGROUP CREATECONSUMER s g c8
XGROUP CREATECONSUMER s nosuch c8
XGROUP DELCONSUMER s g c4
XGROUP DELCONSUMER s g nosuchc
XGROUP DELCONSUMER s nosuch c
XPENDING s g
XGROUP SETID s g 0
XGROUP SETID s g $
XGROUP SETID s g 1-1 ENTRIESREAD 1
XGROUP SETID s g - ENTRIESREAD 1
XGROUP SETID s g abc
XGROUP SETID s nosuch 0
XGROUP SETID s g 0 FOO 1
XGROUP SETID nosuch g 0
XINFO GROUPS s
XGROUP DESTROY s g2
XGROUP DESTROY s g2
XGROUP DESTROY nosuch g2
XINFO GROUPS s
XINFO STREAM s
XTRIM s MAXLEN 0
XINFO GROUPS s
XINFO STREAM s
EVAL "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')" 1 s
MULTI
XREADGROUP GROUP g c BLOCK 0 STREAMS s >
EXEC
`

func TestStream(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, streamScript) }},
		nodeTest{"GroupsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, streamGroupScript) }},
	)
}
