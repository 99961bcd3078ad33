package test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/rdb"
	"github.com/redis/go-redis/v9"
)

// DUMP, RESTORE, OBJECT and MEMORY against the stock redis-server: values
// move both ways with DUMP/RESTORE, Geomys' payloads are redis-server's
// bytes wherever both hold the value in the same encoding, and RESTORE's
// options, errors, propagation and persistence behave as Redis 7's.

func TestDumpRestore(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"RoundTripWithRedis", testDumpRoundTrip},
		nodeTest{"NativeValuesDumpAsRedis", testDumpNativeValues},
		nodeTest{"RestoreMatchesRedis", testRestoreMatchesRedis},
		nodeTest{"ObjectAndMemoryMatchRedis", testObjectMemoryMatchRedis},
		nodeTest{"MemoryStatsShape", testMemoryStatsShape},
		nodeTest{"IdleTime", testIdleTime},
	)
}

// dumpFill writes one value of every type and encoding size through c.
func dumpFill(t *testing.T, c *redis.Client) {
	t.Helper()
	ctx := ctxT(t)
	r := rand.New(rand.NewPCG(7, 7))
	word := func() string {
		return []string{"foo", "bar", "baz", "hello", "world", "x", "42", "-7", "300000", "3000000000"}[r.IntN(10)]
	}
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(word())
		}
		return b.String()[:n]
	}
	noise := make([]byte, 1000)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{
		"s:int": "12345", "s:neg": "-7", "s:int64": "9223372036854775807", "s:short": "hello",
		"s:44": text(44), "s:45": text(45), "s:lzf": text(2000), "s:noise": string(noise),
		"s:bin": "a\x00b\r\n", "s:lead0": "007", "s:empty": "",
	} {
		must(c.Set(ctx, k, v, 0).Err())
	}
	list := func(key string, n int, el func(i int) string) {
		args := make([]any, n)
		for i := range args {
			args[i] = el(i)
		}
		must(c.RPush(ctx, key, args...).Err())
	}
	list("l:small", 10, func(int) string { return word() })
	list("l:large", 5000, func(int) string { return word() })
	list("l:bigel", 3, func(i int) string { return text(10000 + i) })
	list("l:mixed", 600, func(i int) string { return text(r.IntN(300)) })
	hash := func(key string, n int, val func(i int) string) {
		args := make([]any, 0, 2*n)
		for i := 0; i < n; i++ {
			args = append(args, "f"+strconv.Itoa(i), val(i))
		}
		must(c.HSet(ctx, key, args...).Err())
	}
	hash("h:small", 10, func(int) string { return word() })
	hash("h:long", 5, func(i int) string { return text(60 + 10*i) })
	hash("h:large", 1000, func(int) string { return word() })
	set := func(key string, n int, m func(i int) string) {
		args := make([]any, n)
		for i := range args {
			args[i] = m(i)
		}
		must(c.SAdd(ctx, key, args...).Err())
	}
	set("set:ints", 100, func(i int) string { return strconv.Itoa(i*37 - 1000) })
	set("set:wide", 50, func(i int) string { return strconv.FormatInt(int64(i)<<40, 10) })
	set("set:bigints", 600, func(i int) string { return strconv.Itoa(i) })
	set("set:strs", 50, func(i int) string { return "m" + strconv.Itoa(i) })
	set("set:large", 1000, func(i int) string { return "m" + strconv.Itoa(i) })
	set("set:mixed", 20, func(i int) string {
		if i == 19 {
			return "x"
		}
		return strconv.Itoa(i)
	})
	zset := func(key string, n int, score func(i int) float64, m func(i int) string) {
		zs := make([]redis.Z, n)
		for i := range zs {
			zs[i] = redis.Z{Score: score(i), Member: m(i)}
		}
		must(c.ZAdd(ctx, key, zs...).Err())
	}
	zset("z:small", 100, func(i int) float64 { return float64(i) / 3 }, func(i int) string { return "m" + strconv.Itoa(i) })
	zset("z:ints", 50, func(i int) float64 { return float64(i * 1e6) }, func(i int) string { return strconv.Itoa(i) })
	zset("z:large", 500, func(int) float64 { return r.NormFloat64() * 1e10 }, func(i int) string { return "m" + strconv.Itoa(i) })
	zset("z:long", 3, func(i int) float64 { return float64(i) }, func(i int) string { return text(100) + strconv.Itoa(i) })
	zset("z:inf", 3, func(i int) float64 { return []float64{inf(-1), 0, inf(1)}[i] }, func(i int) string { return "m" + strconv.Itoa(i) })
}

func inf(sign int) float64 {
	f, _ := strconv.ParseFloat(strconv.Itoa(sign)+"inf", 64)
	return f
}

// plainSets are the values whose DUMP order is a hashtable's on one side:
// Redis' dict order cannot be reproduced, so only the values are compared.
var plainSets = map[string]bool{"set:bigints": true, "set:large": true, "set:mixed": true}

func keysOf(t *testing.T, c *redis.Client) []string {
	t.Helper()
	keys, err := c.Keys(ctxT(t), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

// testDumpRoundTrip: values built on redis-server are DUMPed there and
// RESTOREd on Geomys, then DUMPed on Geomys and RESTOREd on redis-server.
func testDumpRoundTrip(t *testing.T, n *node) {
	ctx := ctxT(t)
	ref := startRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: ref})
	defer rc.Close()
	gc := n.client()
	dumpFill(t, rc)
	keys := keysOf(t, rc)
	if len(keys) < 25 {
		t.Fatalf("only %d keys filled", len(keys))
	}
	payloads := map[string]string{}
	for _, k := range keys {
		p, err := rc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		payloads[k] = p
		if err := gc.Restore(ctx, k, 0, p).Err(); err != nil {
			t.Fatalf("RESTORE %s on Geomys: %v", k, err)
		}
	}
	sameDump(t, "Geomys after RESTORE of redis-server's payloads", dump(t, ref), dump(t, n.addr()))

	identical := 0
	for _, k := range keys {
		p, err := gc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if p == payloads[k] {
			identical++
		} else if !plainSets[k] {
			t.Errorf("DUMP %s: Geomys' payload (%d bytes) differs from redis-server's (%d bytes)", k, len(p), len(payloads[k]))
		}
		if err := rc.RestoreReplace(ctx, k, 0, p).Err(); err != nil {
			t.Fatalf("RESTORE %s REPLACE on redis-server with Geomys' payload: %v", k, err)
		}
	}
	t.Logf("%d of %d payloads byte-identical to redis-server's", identical, len(keys))
	if identical < len(keys)-len(plainSets) {
		t.Errorf("only %d payloads identical", identical)
	}
	sameDump(t, "redis-server after RESTORE of Geomys' payloads", dump(t, n.addr()), dump(t, ref))
	for _, k := range []string{"s:lzf", "l:large", "h:large", "set:ints", "z:small", "z:large"} {
		want := rc.ObjectEncoding(ctx, k).Val()
		if got := gc.ObjectEncoding(ctx, k).Val(); got != want && k != "l:large" {
			t.Errorf("OBJECT ENCODING %s after RESTORE: %q, redis-server %q", k, got, want)
		}
	}
}

// testDumpNativeValues: the same commands on both servers give the same
// DUMP bytes, except for values Redis 7.0 keeps in a hashtable.
func testDumpNativeValues(t *testing.T, n *node) {
	ctx := ctxT(t)
	ref := startRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: ref})
	defer rc.Close()
	gc := n.client()
	dumpFill(t, rc)
	dumpFill(t, gc)
	hashtable := map[string]bool{"h:long": true, "h:large": true, "set:strs": true}
	compared := 0
	for _, k := range keysOf(t, rc) {
		want, _ := rc.Dump(ctx, k).Result()
		got, err := gc.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if plainSets[k] || hashtable[k] {
			// Same value, other member order: redis-server must load it.
			if err := rc.RestoreReplace(ctx, "back:"+k, 0, got).Err(); err != nil {
				t.Fatalf("RESTORE of Geomys' %s on redis-server: %v", k, err)
			}
			continue
		}
		compared++
		if got != want {
			t.Errorf("DUMP %s: %d bytes, redis-server %d bytes\n geomys %q\n  redis %q",
				k, len(got), len(want), trunc(got), trunc(want))
		}
	}
	all := dump(t, ref)
	for k, v := range all {
		if strings.HasPrefix(k, "0/back:") {
			if orig := all["0/"+strings.TrimPrefix(k, "0/back:")]; orig != v {
				t.Errorf("%s restored on redis-server from Geomys' payload: %q, want %q", k, v, orig)
			}
		}
	}
	t.Logf("%d payloads compared byte for byte", compared)
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// testRestoreMatchesRedis compares RESTORE's options and errors, and DUMP,
// with redis-server reply for reply.
func testRestoreMatchesRedis(t *testing.T, n *node) {
	hello := rdb.DumpString("hello")
	list := rdb.DumpList(3, func(i int) string { return []string{"a", "1", "bb"}[i] })
	badSum := []byte(string(hello))
	badSum[len(badSum)-1] ^= 1
	zeroSum := append([]byte(nil), hello[:len(hello)-8]...)
	zeroSum = append(zeroSum, 0, 0, 0, 0, 0, 0, 0, 0)
	badData := rdb.AppendFooter([]byte{rdb.TypeListQuicklist2, 1, 2, 5, 'x'})
	unknownType := rdb.AppendFooter([]byte{99, 0})
	v11 := append([]byte(nil), hello[:len(hello)-10]...)
	v11 = append(v11, 11, 0)
	v11 = binaryAppendCRC(v11)
	v12 := append([]byte(nil), hello[:len(hello)-10]...)
	v12 = append(v12, 12, 0)
	v12 = binaryAppendCRC(v12)
	q := func(p []byte) string { return strconv.Quote(string(p)) }
	script := fmt.Sprintf(`
DUMP nokey
SET s hello
DUMP s
RESTORE s 0 %[1]s
RESTORE s 0 %[1]s REPLACE
GET s
RESTORE s x %[3]s
RESTORE n 0 %[2]s
LRANGE n 0 -1
DUMP n
RESTORE n 0 %[2]s REPLACE ABSTTL IDLETIME 10
RESTORE n 0 %[2]s REPLACE IDLETIME 10 FREQ 5
RESTORE n 0 %[2]s REPLACE FREQ 5 IDLETIME 10
RESTORE n 0 %[2]s REPLACE FREQ 5
RESTORE n 0 %[2]s REPLACE FREQ 256
RESTORE n 0 %[2]s REPLACE FREQ -1
RESTORE n 0 %[2]s REPLACE FREQ x
RESTORE n 0 %[2]s REPLACE IDLETIME -1
RESTORE n 0 %[2]s REPLACE IDLETIME x
RESTORE n 0 %[2]s REPLACE IDLETIME
RESTORE n 0 %[2]s REPLACE BOGUS
RESTORE n -1 %[2]s REPLACE
RESTORE n x %[2]s REPLACE
RESTORE n 0 %[3]s REPLACE
RESTORE n 0 %[4]s REPLACE
RESTORE n 0 %[5]s REPLACE
RESTORE n 0 %[6]s REPLACE
RESTORE n 0 short REPLACE
RESTORE n 0 "" REPLACE
RESTORE fresh -1 %[3]s
RESTORE fresh 0 %[8]s
LRANGE n 0 -1
RESTORE t 100000 %[1]s
TTL t
RESTORE t2 99999999999999 %[1]s ABSTTL
PEXPIRETIME t2
RESTORE t3 1 %[1]s ABSTTL
EXISTS t3
RESTORE t2 1 %[1]s ABSTTL REPLACE
EXISTS t2
RESTORE lst 0 %[2]s
RPUSH lst c
LRANGE lst 0 -1
TYPE lst
OBJECT ENCODING s
OBJECT FREQ n
OBJECT IDLETIME nokey
OBJECT REFCOUNT n
OBJECT HELP
OBJECT IDLETIME
OBJECT FOO x
OBJECT HELP x
EVAL "return redis.call('DUMP', KEYS[1])" 1 n
EVAL "return redis.call('RESTORE', KEYS[1], 0, ARGV[1])" 1 e %[1]s
EVAL "return redis.call('RESTORE', KEYS[1], 0, ARGV[1])" 1 e %[1]s
GET e
RESTORE v11 0 %[7]s => "+OK\r\n"
DUMP
DUMP a b
RESTORE a 0
`, q(hello), q(list), q(badSum), q(zeroSum), q(badData), q(unknownType), q(v11), q(v12))
	compareWithRedis(t, n, script)
}

// binaryAppendCRC appends Redis' CRC-64 of b, little-endian.
func binaryAppendCRC(b []byte) []byte {
	sum := rdb.CRC64(b)
	for i := 0; i < 8; i++ {
		b = append(b, byte(sum>>(8*i)))
	}
	return b
}

func testObjectMemoryMatchRedis(t *testing.T, n *node) {
	var b strings.Builder
	b.WriteString(`
MEMORY
MEMORY HELP
MEMORY HELP x
MEMORY FOO
MEMORY USAGE
MEMORY USAGE nokey
SET foo bar
MEMORY USAGE foo
MEMORY USAGE foo SAMPLES 0
MEMORY USAGE foo SAMPLES 100
MEMORY USAGE foo SAMPLES -1
MEMORY USAGE foo SAMPLES x
MEMORY USAGE foo SAMPLES
MEMORY USAGE foo bar
MEMORY PURGE
MEMORY PURGE x
MEMORY STATS x
MEMORY DOCTOR x
MEMORY MALLOC-STATS x
SET n 12345
MEMORY USAGE n
SET longkeyname-longkeyname-longkeyname-longkeyname 1
MEMORY USAGE longkeyname-longkeyname-longkeyname-longkeyname
RPUSH l a b c 1 2 3
MEMORY USAGE l
HSET h a 1 b 2
MEMORY USAGE h
SADD iset 1 2 3 70000
MEMORY USAGE iset
ZADD z 1 a 2 b
MEMORY USAGE z
EVAL "return redis.call('MEMORY', 'USAGE', KEYS[1])" 1 foo
OBJECT ENCODING foo
OBJECT FREQ foo
`)
	fmt.Fprintf(&b, "SET big %s\nMEMORY USAGE big\n", strings.Repeat("a", 100))
	fmt.Fprintf(&b, "SET bigger %s\nMEMORY USAGE bigger\n", strings.Repeat("a", 3000))
	line := func(cmd string, n int, el func(i int) string) {
		b.WriteString(cmd)
		for i := 0; i < n; i++ {
			b.WriteString(" " + el(i))
		}
		b.WriteString("\n")
	}
	line("RPUSH biglist", 2000, strconv.Itoa)
	line("HSET bighash", 1200, strconv.Itoa)
	// (Not a big sorted set: Redis' own figure for one depends on its nodes'
	// random levels.)
	line("SADD bigints", 1000, strconv.Itoa)
	b.WriteString("MEMORY USAGE biglist\nMEMORY USAGE bighash\nMEMORY USAGE bigints\n")
	b.WriteString("MEMORY USAGE biglist SAMPLES 0\nMEMORY USAGE bighash SAMPLES 1\n")
	// The fields, values and members of a hashtable are sds strings with a
	// 1-byte header below 32 bytes: lengths 5, 6, 13, 14, 29 and 30 fall in a
	// smaller allocation than with a 3-byte one (asynq's task hashes, whose
	// message is over hash-max-listpack-value, have a "state" field). Four
	// elements at most: a bigger dict may be caught mid-rehash in Redis.
	long := strings.Repeat("m", 70)
	fmt.Fprintf(&b, "HSET hsds1 state %s abcdef 1234567890abc\nMEMORY USAGE hsds1\n", long)
	fmt.Fprintf(&b, "HSET hsds2 %s %s %s %s\nMEMORY USAGE hsds2\n",
		strings.Repeat("f", 14), strings.Repeat("v", 29), strings.Repeat("g", 30), long)
	b.WriteString("SADD ssds state abcdef 1234567890abcd x\nMEMORY USAGE ssds\n")
	compareWithRedis(t, n, b.String())
}

// testMemoryStatsShape: MEMORY STATS has redis-server's fields, in its
// order, with the same reply types; MALLOC-STATS and DOCTOR are text.
func testMemoryStatsShape(t *testing.T, n *node) {
	ref := startRedis(t)
	for _, addr := range []string{ref, n.addr()} {
		c := redis.NewClient(&redis.Options{Addr: addr})
		c.Set(ctxT(t), "k", "v", 0)
		c.Close()
	}
	for _, proto := range []int{2, 3} {
		g, r := dialRESP(t, n.addr(), proto), dialRESP(t, ref, proto)
		want, got := respShape(r.do("MEMORY", "STATS")), respShape(g.do("MEMORY", "STATS"))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("RESP%d MEMORY STATS shape\n geomys %v\n  redis %v", proto, got, want)
		}
		for _, sub := range []string{"DOCTOR", "MALLOC-STATS"} {
			rg, rr := g.do("MEMORY", sub), r.do("MEMORY", sub)
			if !strings.HasPrefix(rg, "$") && !strings.HasPrefix(rg, "=") || len(rg) < 20 {
				t.Errorf("RESP%d MEMORY %s: %q (redis-server: %q...)", proto, sub, trunc(rg), trunc(rr))
			}
		}
		if d := g.do("MEMORY", "DOCTOR"); !strings.Contains(d, "Hi Sam") {
			t.Errorf("MEMORY DOCTOR: %q", d)
		}
	}
}

// respShape reduces a reply to its structure: the names of a map's (or a
// RESP2 flat array's) fields and the reply type of each value.
func respShape(reply string) []string {
	lines := strings.Split(strings.TrimSuffix(reply, "\r\n"), "\r\n")
	var out []string
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		switch l[0] {
		case '$':
			i++
			if _, err := strconv.ParseFloat(lines[i], 64); err == nil {
				out = append(out, "number-as-bulk")
			} else {
				out = append(out, "name:"+lines[i])
			}
		default:
			out = append(out, l[:1])
		}
	}
	return out
}

func testIdleTime(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "k", "v", 0)
	if err := c.Do(ctx, "RESTORE", "r", 0, string(rdb.DumpString("x")), "IDLETIME", 1000).Err(); err != nil {
		t.Fatal(err)
	}
	idle := func(k string) int64 {
		t.Helper()
		v, err := c.ObjectIdleTime(ctx, k).Result()
		if err != nil {
			t.Fatalf("OBJECT IDLETIME %s: %v", k, err)
		}
		return int64(v / time.Second)
	}
	if got := idle("r"); got < 1000 || got > 1001 {
		t.Errorf("IDLETIME after RESTORE ... IDLETIME 1000 = %d", got)
	}
	time.Sleep(2100 * time.Millisecond)
	if got := idle("k"); got < 2 || got > 3 {
		t.Errorf("IDLETIME of a key untouched for 2.1 s = %d", got)
	}
	if got := idle("k"); got < 2 {
		t.Errorf("OBJECT IDLETIME counted as an access: then %d", got)
	}
	c.Get(ctx, "k")
	if got := idle("k"); got != 0 {
		t.Errorf("IDLETIME right after GET = %d", got)
	}
	if got := idle("r"); got < 1002 || got > 1003 {
		t.Errorf("IDLETIME of the restored key after 2.1 s = %d", got)
	}
	c.Set(ctx, "r", "new", 0)
	if got := idle("r"); got != 0 {
		t.Errorf("IDLETIME after overwriting = %d", got)
	}
}

// TestRestorePersistence: restored keys survive restarts (the AOF holds
// RESTORE with absolute TTLs) and a stock redis-server loads that AOF.
func TestRestorePersistence(t *testing.T) {
	ref := startRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: ref})
	defer rc.Close()
	dumpFill(t, rc)
	ctx := ctxT(t)
	n := startNode(t)
	gc := n.client()
	gc.Set(ctx, "s:short", "to be replaced", 0)
	gc.Set(ctx, "gone", "to be replaced by an expired value", 0)
	for i, k := range keysOf(t, rc) {
		p := rc.Dump(ctx, k).Val()
		var err error
		switch i % 3 {
		case 0:
			err = gc.RestoreReplace(ctx, k, 0, p).Err()
		case 1:
			err = gc.RestoreReplace(ctx, k, time.Hour+time.Duration(i)*time.Second, p).Err()
		case 2:
			at := time.Now().Add(48 * time.Hour).UnixMilli()
			err = gc.Do(ctx, "RESTORE", k, at, p, "ABSTTL", "REPLACE").Err()
		}
		if err != nil {
			t.Fatalf("RESTORE %s: %v", k, err)
		}
	}
	if err := gc.Do(ctx, "RESTORE", "gone", 1, string(rdb.DumpString("x")), "ABSTTL", "REPLACE").Err(); err != nil {
		t.Fatal(err)
	}
	want := dump(t, n.addr())
	if _, ok := want["0/gone"]; ok || len(want) < 25 {
		t.Fatalf("dataset before restart: %d keys, gone present: %v", len(want), ok)
	}
	n.stop()
	aof := readAOFDir(t, filepath.Join(n.dir, "appendonlydir"))
	if !strings.Contains(aof, "RESTORE") || !strings.Contains(aof, "ABSTTL") {
		t.Fatalf("AOF has no RESTORE ... ABSTTL:\n%s", trunc(aof))
	}
	n.restart()
	sameDump(t, "after restart", want, dump(t, n.addr()))
	n.stop()

	check := exec.Command("redis-check-aof", filepath.Join(n.dir, "appendonlydir", "appendonly.aof.manifest"))
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("redis-check-aof: %v\n%s", err, out)
	}
	addr := startRedisOnDir(t, freePort(t), n.dir)
	sameDump(t, "redis-server loading the Geomys AOF", want, dump(t, addr))
}

func readAOFDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// TestRestoreOnCluster: RESTOREs through the leader leave every node with
// the same data (equal RAFT.DIGEST) and DUMP on a follower gives the
// leader's bytes.
func TestRestoreOnCluster(t *testing.T) {
	ref := startRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: ref})
	defer rc.Close()
	dumpFill(t, rc)
	c := startCluster(t, 3)
	leader := c.leader()
	lc := leader.client()
	ctx := ctxT(t)
	keys := keysOf(t, rc)
	for i, k := range keys {
		if err := lc.RestoreReplace(ctx, k, time.Duration(i)*time.Hour, rc.Dump(ctx, k).Val()).Err(); err != nil {
			t.Fatalf("RESTORE %s: %v", k, err)
		}
	}
	c.waitConverged()
	f := c.followers()[0].client()
	for _, k := range keys {
		want := lc.Dump(ctx, k).Val()
		if got := f.Dump(ctx, k).Val(); got != want {
			t.Errorf("DUMP %s on a follower differs from the leader's", k)
		}
	}
}
