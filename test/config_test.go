package test

import (
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestConfig compares CONFIG GET/SET with redis-server: the parameters
// clients and test suites set, their errors, and the encoding thresholds'
// effect on OBJECT ENCODING.
func TestConfig(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"GetPatterns", testConfigGetPatterns},
		nodeTest{"EncodingThresholds", testConfigEncodingThresholds},
		nodeTest{"SetAndErrors", testConfigSetAndErrors},
	)
}

// Redis 7.0 has no listpack lists or sets, nor set-max-listpack-*: Geomys
// answers as it does.
const configEncodingScript = `
CONFIG SET hash-max-listpack-entries 2
CONFIG GET hash-max-ziplist-entries
HSET h a 1 b 2
OBJECT ENCODING h
HSET h c 3
OBJECT ENCODING h
CONFIG SET hash-max-ziplist-entries 512 hash-max-listpack-value 3
CONFIG GET hash-max-listpack-entries
CONFIG GET hash-max-ziplist-value
HSET h2 a 123
OBJECT ENCODING h2
HSET h2 b 1234
OBJECT ENCODING h2
HSET h3 abcd 1
OBJECT ENCODING h3
CONFIG SET hash-max-ziplist-value 64
CONFIG SET zset-max-ziplist-entries 1
ZADD z 1 a
OBJECT ENCODING z
ZADD z 2 b
OBJECT ENCODING z
CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 2
ZADD z2 1 ab
OBJECT ENCODING z2
ZADD z3 1 abc
OBJECT ENCODING z3
ZADD z4 1 a 2 b 3 c
ZRANGESTORE z5 z4 0 -1
OBJECT ENCODING z5
CONFIG SET zset-max-listpack-value 64
CONFIG GET zset-max-ziplist-value
CONFIG SET set-max-intset-entries 2
SADD s 1 2
OBJECT ENCODING s
SADD s 3
OBJECT ENCODING s
SADD s2 1 2 3
OBJECT ENCODING s2
CONFIG SET set-max-intset-entries 512
SADD s3 1 2 3
OBJECT ENCODING s3
CONFIG SET set-max-listpack-entries 2
SADD s4 a b
OBJECT ENCODING s4
SADD s4 c
OBJECT ENCODING s4
CONFIG SET set-max-listpack-entries 128 set-max-listpack-value 2
SADD s5 abc
OBJECT ENCODING s5
SADD s6 ab
OBJECT ENCODING s6
CONFIG SET set-max-listpack-value 64
CONFIG SET list-max-listpack-size 3
CONFIG GET list-max-ziplist-size
RPUSH l a b c
OBJECT ENCODING l
RPUSH l d
OBJECT ENCODING l
CONFIG SET list-max-ziplist-size -1
RPUSH l2 a b c d e f
OBJECT ENCODING l2
CONFIG SET list-max-listpack-size -2
CONFIG SET hash-max-listpack-entries -1
CONFIG SET hash-max-listpack-entries 1x
CONFIG GET hash-max-listpack-entries
`

func testConfigEncodingThresholds(t *testing.T, n *node) {
	defer resetConfig(t, n)
	compareWithRedis(t, n, configEncodingScript)
}

// resetConfig puts back the defaults the scripts change.
func resetConfig(t *testing.T, n *node) {
	c := dialRESP(t, n.addr(), 2)
	for _, kv := range [][2]string{{"hash-max-listpack-entries", "512"}, {"hash-max-listpack-value", "64"},
		{"zset-max-listpack-entries", "128"}, {"zset-max-listpack-value", "64"}, {"set-max-intset-entries", "512"},
		{"list-max-listpack-size", "-2"},
		{"maxmemory", "0"}, {"maxmemory-policy", "noeviction"}, {"hz", "10"}, {"loglevel", "notice"},
		{"activerehashing", "yes"}, {"lazyfree-lazy-user-flush", "no"}, {"slowlog-log-slower-than", "10000"},
		{"busy-reply-threshold", "5000"}, {"stream-node-max-entries", "100"}, {"tcp-keepalive", "300"}} {
		if r := c.do("CONFIG", "SET", kv[0], kv[1]); r != "+OK\r\n" {
			t.Errorf("CONFIG SET %s %s: %q", kv[0], kv[1], r)
		}
	}
}

// testConfigSetAndErrors: values and errors of the parameters commonly set
// at runtime, exactly as redis-server answers.
func testConfigSetAndErrors(t *testing.T, n *node) {
	defer resetConfig(t, n)
	compareWithRedis(t, n, `
CONFIG SET nosuch 1
CONFIG SET maxmemory 1gb
CONFIG GET maxmemory
CONFIG SET maxmemory 10KB
CONFIG GET maxmemory
CONFIG SET maxmemory abc
CONFIG SET maxmemory -1
CONFIG SET maxmemory 5 maxmemory 6
CONFIG SET maxmemory 5 MAXMEMORY 6
CONFIG SET maxmemory-policy ALLKEYS-LRU
CONFIG GET maxmemory-policy
CONFIG SET maxmemory-policy bogus
CONFIG SET maxmemory-samples 0
CONFIG SET databases 1
CONFIG SET daemonize yes
CONFIG SET databases 1 nosuch 1
CONFIG SET nosuch 1 databases 1
CONFIG SET hash-max-listpack-entries 5 hash-max-ziplist-entries 6
CONFIG GET hash-max-listpack-entries
CONFIG SET hash-max-listpack-entries 7 nosuch 1
CONFIG GET hash-max-listpack-entries
CONFIG SET hash-max-listpack-entries 8 maxmemory-samples 0
CONFIG GET hash-max-listpack-entries
CONFIG SET activerehashing maybe
CONFIG SET activerehashing NO
CONFIG GET activerehashing
CONFIG SET lazyfree-lazy-user-flush yes
CONFIG GET lazyfree-lazy-user-flush
CONFIG SET hz 1000
CONFIG GET hz
CONFIG SET loglevel Debug
CONFIG GET loglevel
CONFIG SET loglevel loud
CONFIG SET slowlog-log-slower-than -2
CONFIG SET slowlog-log-slower-than 0
CONFIG GET slowlog-log-slower-than
CONFIG SET save "3600 1 300 100"
CONFIG GET save
CONFIG SET save "1 2 3"
CONFIG SET save ""
CONFIG SET lua-time-limit 100
CONFIG GET busy-reply-threshold
CONFIG SET busy-reply-threshold 5000
CONFIG GET lua-time-limit
CONFIG SET stream-node-max-entries 50
CONFIG GET stream-node-max-entries
CONFIG SET timeout 0 tcp-keepalive 60
CONFIG GET tcp-keepalive
CONFIG SET list-compress-depth 1
CONFIG SET list-compress-depth 0
CONFIG SET latency-monitor-threshold 100
CONFIG SET latency-monitor-threshold 0
CONFIG SET MAXMEMORY 0
CONFIG GET MAXMEMORY
CONFIG GET nosuch
`)
}

// testConfigGetPatterns: globs (case-insensitive) and several patterns at
// once select the same parameters as redis-server (whose reply order is its
// hash table's, so the names are compared as sets).
func testConfigGetPatterns(t *testing.T, n *node) {
	ref := startRedis(t)
	g, r := n.client(), redis.NewClient(&redis.Options{Addr: ref})
	defer r.Close()
	for _, pats := range [][]string{
		{"*max-*-entries*"}, {"hash-max-*"}, {"ZSET-MAX-*"}, {"list-max-*", "hash-max-listpack-entries"},
		{"maxmemory*", "maxmemory"}, {"lazyfree-*"}, {"notify-keyspace-events", "hz", "nosuch"},
		{"slowlog-*", "latency-*"}, {"*repl*"}, {"set-max-*"}, {"*"},
	} {
		args := []any{"CONFIG", "GET"}
		for _, p := range pats {
			args = append(args, p)
		}
		want, err := r.Do(ctxT(t), args...).Result()
		if err != nil {
			t.Fatalf("redis CONFIG GET %v: %v", pats, err)
		}
		got, err := g.Do(ctxT(t), args...).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %v: %v", pats, err)
		}
		wm, gm := want.(map[any]any), got.(map[any]any)
		own := geomysFlags(t)
		for k := range gm {
			// Geomys' own flags are read-only parameters Redis lacks.
			if _, inRedis := wm[k]; own[k.(string)] && !inRedis {
				delete(gm, k)
			}
		}
		var diff []string
		for k, v := range wm {
			if gv, ok := gm[k]; !ok {
				diff = append(diff, "missing "+k.(string))
			} else if gv != v && !configDiffers[k.(string)] {
				diff = append(diff, k.(string)+"="+gv.(string)+" (redis "+v.(string)+")")
			}
		}
		for k := range gm {
			if _, ok := wm[k]; !ok {
				diff = append(diff, "extra "+k.(string))
			}
		}
		if len(diff) > 0 {
			t.Errorf("CONFIG GET %v: %v", pats, diff)
		}
		t.Logf("CONFIG GET %v: %d parameters", pats, len(gm))
	}
}

// configDiffers are the values where a Geomys node differs from a stock
// redis-server by design (Geomys persists with its AOF and no RDB).
var configDiffers = map[string]bool{"save": true, "appendonly": true, "protected-mode": true, "port": true,
	"dir": true, "bind": true, "aof-use-rdb-preamble": true, "appendfsync": true, "loglevel": true}
