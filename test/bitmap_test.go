package test

import (
	"fmt"
	"strings"
	"testing"
)

// bitmapScript covers every bitmap command, option and error. BITCOUNT and
// BITPOS look a missing key up before they check the rest of their
// arguments, as Redis 7 does (Redis 8 checks the arguments first).
const bitmapScript = `
# SETBIT / GETBIT
SETBIT b 7 1
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 100 1
GET b
STRLEN b
OBJECT ENCODING b
GETBIT b 100
GETBIT b 99
GETBIT b 1000000
GETBIT nokey 5
SETBIT b 1 2
SETBIT b 1 -1
SETBIT b 1 a
SETBIT b 1 01
SETBIT b a 1
SETBIT b -1 1
SETBIT b +1 1
SETBIT b 4294967296 1
SETBIT b 99999999999999999999 1
SETBIT b #1 1
GETBIT b -1
GETBIT b a
GETBIT b 4294967296
SETBIT
GETBIT b
SETBIT b 1
SET num 12345
GETBIT num 2
GETBIT num 3
SETBIT num 0 0
OBJECT ENCODING num
GET num
SETBIT num 2 0
GET num
SET short abc
SETBIT short 7 0
OBJECT ENCODING short
SETBIT short 6 1
GET short
SET e ""
SETBIT e 0 0
GET e
SET ttl x EX 1000
SETBIT ttl 20 1
TTL ttl
RPUSH list a
SETBIT list 1 1
GETBIT list 1
SETBIT "bin\x00key" 15 1
GET "bin\x00key"
# BITCOUNT
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 1 -2
BITCOUNT s -2 -1
BITCOUNT s -1 -2
BITCOUNT s -100 100
BITCOUNT s 5 3
BITCOUNT s 0 -1 BYTE
BITCOUNT s 0 -1 bit
BITCOUNT s 5 30 BIT
BITCOUNT s 0 0 BIT
BITCOUNT s 7 7 BIT
BITCOUNT s -7 -1 BIT
BITCOUNT s -1 -7 BIT
BITCOUNT s 9 9 bit
BITCOUNT s 3 44 BIT
BITCOUNT s 0 1000 bit
BITCOUNT s 1
BITCOUNT s 1 2 3
BITCOUNT s 1 2 bits
BITCOUNT s 0 -1 bad
BITCOUNT s a 1
BITCOUNT s 1 a
BITCOUNT s 1 2 BIT extra
BITCOUNT s -1 -2 bad
BITCOUNT nokey
BITCOUNT nokey 0 -1
BITCOUNT nokey 0 -1 BIT
BITCOUNT nokey 1
BITCOUNT nokey a b
BITCOUNT nokey 0 1 bad
BITCOUNT e
BITCOUNT e 0 -1 BIT
BITCOUNT num
BITCOUNT list
BITCOUNT list 0 1
BITCOUNT
# BITPOS
SET z "\x00\x00\x00"
SET o "\xff\xff\xff"
SET q "\xff\xf0\x00"
BITPOS z 1
BITPOS z 0
BITPOS o 0
BITPOS o 1
BITPOS o 0 0 -1
BITPOS o 0 1
BITPOS q 0
BITPOS q 1 2
BITPOS q 0 0 -1
BITPOS q 1 2 -1 byte
BITPOS q 0 1 15 bit
BITPOS q 0 8 11 bit
BITPOS q 0 8 12 BIT
BITPOS q 1 12 23 BIT
BITPOS q 1 3 5 BIT
BITPOS q 0 3 5 BIT
BITPOS q 1 -5 -1 BIT
BITPOS q 0 -1 -1
BITPOS q 1 5 2
BITPOS q 1 100
BITPOS q 0 100
BITPOS q 1 -100 -50
BITPOS z 1 0 -1 BIT
BITPOS o 0 0 -1 BIT
BITPOS o 0 4 22 BIT
BITPOS s 1 1 1 BIT
BITPOS s 0 9 30 BIT
BITPOS e 1
BITPOS e 0
BITPOS e 0 0 -1 BIT
BITPOS nokey 1
BITPOS nokey 0
BITPOS nokey 0 5 10 BIT
BITPOS q 2
BITPOS q -1
BITPOS q a
BITPOS q 1 a
BITPOS q 1 0 a
BITPOS q 1 0 1 bad
BITPOS q 1 a 1 bad
BITPOS q 1 0 a bad
BITPOS q 1 0 1 bit extra
BITPOS nokey 2
BITPOS nokey 1 a
BITPOS nokey 1 0 1 bad
BITPOS nokey 0 1 2 bit extra
BITPOS list 1
BITPOS list 1 a b
BITCOUNT list a b
BITPOS num 1
BITPOS num 0 1
BITPOS q
# BITOP
SET k1 "\x0f\xf0\xaa"
SET k2 "\xff"
BITOP AND d k1 k2
GET d
BITOP and d k1 k2 nokey
GET d
BITOP OR d k1 k2
GET d
BITOP XOR d k1 k2 k1
GET d
BITOP NOT d k1
GET d
OBJECT ENCODING d
STRLEN d
BITOP NOT d nokey
EXISTS d
BITOP AND d nokey nokey2
EXISTS d
BITOP OR d k2
GET d
SET d old EX 100
BITOP OR d k1
TTL d
BITOP XOR k1 k1 k2
GET k1
BITOP NOT d k1 k2
BITOP NOT d
BITOP DIFF d k1 k2
BITOP foo d k1
BITOP AND d list k1
BITOP AND list k1
TYPE list
GET list
BITOP OR d num k2
GET d
BITOP AND d
BITOP AND d e
EXISTS d
# in scripts
EVAL "redis.call('setbit', KEYS[1], 9, 1); return redis.call('get', KEYS[1])" 1 ev
EVAL "return {redis.call('bitcount', KEYS[1]), redis.call('bitpos', KEYS[1], 1), redis.call('getbit', KEYS[1], 9)}" 1 ev
EVAL "return redis.call('bitop', 'not', KEYS[1], KEYS[2])" 2 ev2 ev
EVAL "return redis.call('setbit', KEYS[1], 'x', 1)" 1 ev
EVAL_RO "return redis.call('bitcount', KEYS[1])" 1 ev2
EVAL_RO "return redis.call('setbit', KEYS[1], 1, 1)" 1 ev2
GET ev2
`

// bitfieldScript covers BITFIELD and BITFIELD_RO.
const bitfieldScript = `
BITFIELD bf SET u8 0 255 GET u8 0 INCRBY u8 0 10 OVERFLOW SAT INCRBY u8 0 300 OVERFLOW FAIL INCRBY u8 0 1 GET i8 0
GET bf
BITFIELD bf SET i5 #3 -7 GET i5 #3 INCRBY i5 #3 -20 OVERFLOW SAT INCRBY i5 #3 -20 GET u3 1
GET bf
BITFIELD bf INCRBY i64 0 9223372036854775807 INCRBY i64 0 2 OVERFLOW SAT INCRBY i64 0 9223372036854775807 INCRBY i64 0 -9223372036854775808
BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -9223372036854775808 OVERFLOW WRAP INCRBY i64 0 -1
BITFIELD bf OVERFLOW FAIL INCRBY u63 100 -1 GET u63 100 INCRBY u63 100 9223372036854775807 INCRBY u63 100 1
BITFIELD bf OVERFLOW WRAP INCRBY u63 100 -1 GET u63 100 SET u63 100 -1 GET u63 100
BITFIELD bf OVERFLOW SAT SET u4 0 100 SET u4 0 -100 SET i4 0 100 SET i4 0 -100 GET i4 0
BITFIELD bf OVERFLOW WRAP SET u4 0 100 SET u4 0 -100 SET i4 0 100 SET i4 0 -100 GET i4 0
BITFIELD bf OVERFLOW FAIL SET u4 0 100 SET u4 0 -100 SET i4 0 100 SET i4 0 -100 GET i4 0 SET i4 0 7
BITFIELD bf OVERFLOW SAT INCRBY u2 3 -5 INCRBY u2 3 5 INCRBY i2 3 -5 INCRBY i2 3 5
BITFIELD bf OVERFLOW FAIL INCRBY u2 3 -5 INCRBY u2 3 5 INCRBY i2 3 -5 INCRBY i2 3 5
BITFIELD bf overflow wrap incrby u1 9 1 incrby u1 9 1 incrby i1 9 1 incrby i1 9 -1 get i1 9
BITFIELD bf GET i64 7 GET u63 1 GET i1 0 GET u1 0
GET bf
BITFIELD bf GET u8 1000 GET i16 #1000
STRLEN bf
BITFIELD bf SET u8 #100 1
STRLEN bf
BITFIELD bf GET u8 #100 GET u8 800
BITFIELD nokey GET u8 0 GET i64 100
EXISTS nokey
BITFIELD nokey
BITFIELD bf
BITFIELD new OVERFLOW FAIL SET u4 100 99
EXISTS new
GET new
OBJECT ENCODING new
BITFIELD new2 OVERFLOW FAIL INCRBY i8 #2 200
GET new2
SET plain 12345
BITFIELD plain GET u8 0
OBJECT ENCODING plain
BITFIELD plain SET u8 0 49
OBJECT ENCODING plain
GET plain
BITFIELD plain INCRBY u8 0 1
GET plain
SET t abc EX 100
BITFIELD t SET u8 #5 65
TTL t
GET t
# errors
BITFIELD bf GET u64 0
BITFIELD bf GET i65 0
BITFIELD bf GET i0 0
BITFIELD bf GET u0 0
BITFIELD bf GET x 0
BITFIELD bf GET "" 0
BITFIELD bf GET i 0
BITFIELD bf GET i08 0
BITFIELD bf GET "i8\x00junk" 0
BITFIELD bf GET U8 0
BITFIELD bf GET u8 -1
BITFIELD bf GET u8 a
BITFIELD bf GET u8 #-1
BITFIELD bf GET u8 #a
BITFIELD bf GET u8 #
BITFIELD bf GET u8 ##1
BITFIELD bf GET u8 4294967296
BITFIELD bf GET u8 #536870912
BITFIELD bf GET i64 #9223372036854775807
BITFIELD bf SET u8 0
BITFIELD bf SET u8 0 a
BITFIELD bf SET u8 0 1.5
BITFIELD bf INCRBY u8 0 99999999999999999999
BITFIELD bf GET u8
BITFIELD bf GET
BITFIELD bf OVERFLOW
BITFIELD bf OVERFLOW foo GET u8 0
BITFIELD bf OVERFLOW SAT
BITFIELD bf foo
BITFIELD bf GET u8 0 SET
BITFIELD bf GET u8 0 GET u64 0
BITFIELD bf SET u8 0 1 GET x 0
BITFIELD bf SET u8 8 7 SET i64 #-2 1
GET bf
BITFIELD
RPUSH list a
BITFIELD list GET u8 0
BITFIELD list SET u8 0 1
BITFIELD list GET u8 a
# BITFIELD_RO
BITFIELD_RO bf GET u8 0 GET i64 3 GET u8 #2
BITFIELD_RO nokey GET u8 0
BITFIELD_RO bf
BITFIELD_RO bf SET u8 0 1
BITFIELD_RO bf INCRBY u8 0 1
BITFIELD_RO bf GET u8 0 OVERFLOW SAT GET u8 0
BITFIELD_RO bf OVERFLOW FAIL SET u8 0 1
BITFIELD_RO bf INCRBY u8 0 1 GET x 0
BITFIELD_RO bf GET x 0
BITFIELD_RO bf foo
BITFIELD_RO list GET u8 0
BITFIELD_RO list SET u8 0 1
BITFIELD_RO
EVAL "return redis.call('bitfield', KEYS[1], 'incrby', 'u4', '#1', 9, 'get', 'u8', 0)" 1 evbf
EVAL "return redis.call('bitfield', KEYS[1], 'overflow', 'fail', 'incrby', 'u4', '#1', 9)" 1 evbf
EVAL_RO "return redis.call('bitfield_ro', KEYS[1], 'get', 'i4', '#1')" 1 evbf
EVAL_RO "return redis.call('bitfield', KEYS[1], 'get', 'i4', '#1')" 1 evbf
GET evbf
`

func TestBitmap(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, bitmapScript) }},
		nodeTest{"BitfieldMatchesRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, bitfieldScript) }},
		nodeTest{"RandomMatchesRedis", testBitmapRandom},
	)
}

// testBitmapRandom runs a seeded random sequence of bitmap commands (most
// of them BITFIELD, with every type, overflow mode and offset form) over a
// few keys, comparing each reply with redis-server, and then every key's
// bytes.
func testBitmapRandom(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(9173)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	keys := []string{"r0", "r1", "r2", "r3"}
	key := func() string { return keys[rnd(len(keys))] }
	typ := func() (string, int) {
		if rnd(2) == 0 {
			w := rnd(64) + 1
			return fmt.Sprintf("i%d", w), w
		}
		w := rnd(63) + 1
		return fmt.Sprintf("u%d", w), w
	}
	offset := func(w int) string {
		if rnd(3) == 0 {
			return fmt.Sprintf("#%d", rnd(40))
		}
		return fmt.Sprint(rnd(400))
	}
	value := func(w int) string {
		switch rnd(5) {
		case 0:
			return fmt.Sprint(rnd(1<<min(w, 20)) - rnd(1<<min(w, 20)))
		case 1:
			return []string{"9223372036854775807", "-9223372036854775808", "-1", "0", "1"}[rnd(5)]
		case 2:
			return fmt.Sprint(int64(1)<<(w-1) - int64(rnd(3)))
		case 3:
			return fmt.Sprint(-(int64(1) << (w - 1)) + int64(rnd(3)) - 1)
		default:
			return fmt.Sprint(rnd(100) - 50)
		}
	}
	for i := 0; i < 1500; i++ {
		switch rnd(12) {
		case 0, 1, 2, 3, 4, 5:
			fmt.Fprintf(&b, "BITFIELD %s", key())
			for j := rnd(5) + 1; j > 0; j-- {
				if rnd(4) == 0 {
					fmt.Fprintf(&b, " OVERFLOW %s", []string{"WRAP", "SAT", "FAIL"}[rnd(3)])
				}
				ty, w := typ()
				switch rnd(3) {
				case 0:
					fmt.Fprintf(&b, " GET %s %s", ty, offset(w))
				case 1:
					fmt.Fprintf(&b, " SET %s %s %s", ty, offset(w), value(w))
				default:
					fmt.Fprintf(&b, " INCRBY %s %s %s", ty, offset(w), value(w))
				}
			}
			b.WriteString("\n")
		case 6:
			ty, w := typ()
			fmt.Fprintf(&b, "BITFIELD_RO %s GET %s %s\n", key(), ty, offset(w))
		case 7:
			fmt.Fprintf(&b, "SETBIT %s %d %d\n", key(), rnd(600), rnd(2))
		case 8:
			fmt.Fprintf(&b, "BITCOUNT %s %d %d %s\n", key(), rnd(200)-100, rnd(200)-100, []string{"BIT", "BYTE"}[rnd(2)])
		case 9:
			fmt.Fprintf(&b, "BITPOS %s %d %d %d %s\n", key(), rnd(2), rnd(400)-200, rnd(400)-200, []string{"BIT", "BYTE"}[rnd(2)])
		case 10:
			fmt.Fprintf(&b, "BITPOS %s %d %d\nGETBIT %s %d\n", key(), rnd(2), rnd(80)-40, key(), rnd(700))
		case 11:
			op := []string{"AND", "OR", "XOR", "NOT"}[rnd(4)]
			if op == "NOT" {
				fmt.Fprintf(&b, "BITOP NOT %s %s\n", key(), key())
			} else {
				fmt.Fprintf(&b, "BITOP %s %s %s %s\n", op, key(), key(), key())
			}
		}
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "GET %s\nBITCOUNT %s\n", k, k)
	}
	compareWithRedis(t, n, b.String())
}
