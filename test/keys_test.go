package test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const keysScript = `
# DEL UNLINK EXISTS TYPE
MSET a 1 b 2 c 3
RPUSH l x y
DEL a nosuch
DEL a
EXISTS b c l nosuch
EXISTS b b b
EXISTS nosuch
UNLINK b c nosuch
UNLINK b
DEL
EXISTS
TYPE l
TYPE nosuch
SET s v
TYPE s
SET i 123
TYPE i
# EXPIRE family, TTL PTTL EXPIRETIME PERSIST
TTL nosuch
PTTL nosuch
EXPIRETIME nosuch
PEXPIRETIME nosuch
TTL s
PTTL s
EXPIRETIME s
PEXPIRETIME s
EXPIRE nosuch 100
EXPIRE s 100
TTL s
EXPIRE s 200 NX
EXPIRE s 200 XX
TTL s
EXPIRE s 100 GT
EXPIRE s 300 GT
TTL s
EXPIRE s 400 LT
EXPIRE s 50 LT
TTL s
EXPIRE s 100 NX XX
EXPIRE s 100 GT LT
EXPIRE s 100 NX GT
EXPIRE s 100 xx gt
EXPIRE s 100 BOGUS
EXPIRE s abc
EXPIRE s 1.5
EXPIRE s
EXPIRE s 9223372036854775807
EXPIRE s 922337203685477580
PEXPIRE s 9223372036854775807
EXPIREAT s 9223372036854775807
EXPIRE s -9223372036854775808
TTL s
PERSIST s
PERSIST s
TTL s
PERSIST nosuch
EXPIRE s 100 XX
EXPIRE s 100 NX
EXPIRE s 101 GT
EXPIRE s 100 LT
EXPIRE s 100 LT
TTL s
PERSIST s
PEXPIRE s 100000
TTL s
PEXPIRE s 100000 NX
EXPIREAT s 33177600000
EXPIRETIME s
PEXPIRETIME s
EXPIREAT s 33177600001 GT
EXPIRETIME s
EXPIREAT s 33177600002 LT
PEXPIREAT s 33177600000500
PEXPIRETIME s
EXPIRETIME s
EXPIREAT s 33177600000 NX
PEXPIREAT s 33177600000000 XX LT
PEXPIRETIME s
PEXPIREAT s abc
SET gone v
EXPIRE gone 0
EXISTS gone
SET gone v
EXPIRE gone -10
GET gone
SET gone v
PEXPIREAT gone 1
EXISTS gone
SET gone v
EXPIREAT gone 1000
TYPE gone
EXPIRE l 100
TTL l
TYPE l
PERSIST l
# KEYS with a single match (KEYS order is unspecified)
FLUSHDB
SET hello 1
KEYS hello
KEYS h?llo
KEYS h*
KEYS *llo
KEYS h[ae]llo
KEYS h[^e]llo
KEYS h[a-f]llo
KEYS h[^a-f]llo
KEYS "h\\ello"
KEYS nomatch*
KEYS
SET "a*b" 1
KEYS "a\\*b"
KEYS "a\\*"
DEL "a*b"
# SCAN with one key
SCAN 0
SCAN 0 COUNT 10
SCAN 0 MATCH h*
SCAN 0 MATCH x*
SCAN 0 TYPE string
SCAN 0 TYPE list
SCAN 0 TYPE nosuchtype
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT x
SCAN 0 MATCH
SCAN 0 BOGUS 1
SCAN x
SCAN 1.5
SCAN 18446744073709551616
SCAN
# RANDOMKEY
RANDOMKEY
DEL hello
RANDOMKEY
DBSIZE
# RENAME RENAMENX
SET src v EX 100
RENAME src dst
EXISTS src
GET dst
TTL dst
RENAME nosuch x
RENAMENX nosuch x
RENAME dst dst
RENAME dst
SET other o
RENAMENX dst other
GET other
RENAMENX dst dst
RENAMENX dst fresh
GET fresh
RPUSH rl a b
RENAME rl other
TYPE other
LRANGE other 0 -1
RENAME fresh other
GET other
# COPY
SET cs v EX 100
COPY cs cd
GET cd
TTL cd
COPY cs cd
COPY cs cd REPLACE
COPY nosuch cd
COPY cs cs
COPY cs cd DB 16
COPY cs cd DB -1
COPY cs cd DB x
COPY cs cd BOGUS
COPY cs cd DB 5
RPUSH cl a b c
COPY cl cl2
RPUSH cl2 d
LRANGE cl 0 -1
LRANGE cl2 0 -1
# MOVE and SELECT
SET mv v
MOVE mv 1
EXISTS mv
MOVE mv 1
MOVE nosuch 1
SELECT 1
GET mv
SET mv2 x
SELECT 0
SET mv2 y
MOVE mv2 1
MOVE mv2 0
MOVE mv2 16
MOVE mv2 x
SELECT 5
GET cd
TTL cd
DBSIZE
SELECT 0
# TOUCH DBSIZE
TOUCH mv2 nosuch cl cl
TOUCH
DBSIZE
FLUSHDB
DBSIZE
SELECT 1
DBSIZE
FLUSHDB ASYNC
FLUSHDB SYNC
FLUSHDB BOGUS
SELECT 0
SET x 1
SELECT 5
SET y 1
FLUSHALL SYNC
DBSIZE
SELECT 0
DBSIZE
FLUSHALL ASYNC
FLUSHALL BOGUS
# OBJECT
SET int 12345
SET emb hello
SET raw aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
SET neg -12
SET bigint 12345678901234567890
OBJECT ENCODING int
OBJECT ENCODING emb
OBJECT ENCODING raw
OBJECT ENCODING neg
OBJECT ENCODING bigint
APPEND int 6
OBJECT ENCODING int
SET e44 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e44
SET e45 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e45
APPEND emb x
OBJECT ENCODING emb
SET sr 100
SETRANGE sr 0 2
OBJECT ENCODING sr
INCR sr
OBJECT ENCODING sr
SET lead 007
OBJECT ENCODING lead
SET negz -0
OBJECT ENCODING negz
SET minint -9223372036854775808
OBJECT ENCODING minint
SET fl 1.5
OBJECT ENCODING fl
INCRBYFLOAT fl 1
OBJECT ENCODING fl
INCR cnt
OBJECT ENCODING cnt
SET ee ""
OBJECT ENCODING ee
GETSET gs 42
GETSET gs 43
OBJECT ENCODING gs
MSET m1 1 m2 abc
OBJECT ENCODING m1
OBJECT ENCODING m2
OBJECT ENCODING nosuch
OBJECT BOGUS x
OBJECT ENCODING
OBJECT FREQ emb
# wrong arity
TYPE
TTL
PERSIST
RENAME a
MOVE a
DBSIZE x
RANDOMKEY x
`

// TestKeys runs the keys tests as subtests on one node (FLUSHALL between them).
func TestKeys(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testKeysCommandsMatchRedis},
		nodeTest{"PatternsMatchRedis", testKeysPatternsMatchRedis},
		nodeTest{"ScanIteratesEveryKey", testScanIteratesEveryKey},
		nodeTest{"ExpireOptions", testKeysExpireOptions},
		nodeTest{"RenameCopyMove", testKeysRenameCopyMove},
		nodeTest{"SelectIsolation", testKeysSelectIsolation},
		nodeTest{"Miscellaneous", testKeysMiscellaneous},
	)
}

func testKeysCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, keysScript)
}

// testKeysPatternsMatchRedis compares KEYS results (as sets) on many keys.
func testKeysPatternsMatchRedis(t *testing.T, n *node) {
	ref := redis.NewClient(&redis.Options{Addr: startRedis(t)})
	defer ref.Close()
	ctx := ctxT(t)
	g := n.client()
	keys := []string{"hello", "hallo", "hxllo", "hllo", "heeello", "h*llo", "h?llo", "h[a]llo", "h\\llo", "user:1", "user:10",
		"user:2:name", "user", "x", "", "a\x00b", "café", "[", "]", "-", "^", "\\"}
	for _, c := range []*redis.Client{g, ref} {
		for _, k := range keys {
			c.Set(ctx, k, "v", 0)
		}
	}
	for _, p := range []string{"*", "h*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[!e]llo", "h[a-x]llo", "h[x-a]llo",
		"h\\*llo", "h\\?llo", "h[\\]a]llo", "user:*", "user:?", "user:[0-9]*", "*:*", "?", "", "\\\\", "[", "[[]", "[]]",
		"[-]", "[a-]", "[^]", "a?b", "a*", "caf?", "*\\", "h[", "h[a", "*o", "**", "?*?"} {
		want := sorted(ref.Keys(ctx, p).Val())
		got := sorted(g.Keys(ctx, p).Val())
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("KEYS %q = %q, redis-server says %q", p, got, want)
		}
	}
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// testScanIteratesEveryKey checks that SCAN returns every key at least once
// with COUNT, MATCH and TYPE, including while the keyspace is being written to.
func testScanIteratesEveryKey(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	const total = 5000
	pipe := c.Pipeline()
	for i := 0; i < total; i++ {
		pipe.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
	}
	for i := 0; i < 100; i++ {
		pipe.RPush(ctx, fmt.Sprintf("list:%d", i), "a")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if sz := c.DBSize(ctx).Val(); sz != total+100 {
		t.Fatalf("DBSIZE = %d, want %d", sz, total+100)
	}
	scan := func(match, typ string, count int64) (map[string]int, int) {
		seen := map[string]int{}
		var cursor uint64
		calls := 0
		for {
			var keys []string
			var err error
			if typ != "" {
				keys, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
			} else {
				keys, cursor, err = c.Scan(ctx, cursor, match, count).Result()
			}
			if err != nil {
				t.Fatal(err)
			}
			calls++
			for _, k := range keys {
				seen[k]++
			}
			if cursor == 0 {
				return seen, calls
			}
			if calls > 100000 {
				t.Fatal("SCAN does not terminate")
			}
		}
	}
	seen, calls := scan("", "", 100)
	for i := 0; i < total; i++ {
		if seen[fmt.Sprintf("key:%d", i)] == 0 {
			t.Fatalf("SCAN COUNT 100 never returned key:%d (%d distinct keys seen in %d calls)", i, len(seen), calls)
		}
	}
	if len(seen) != total+100 {
		t.Errorf("SCAN returned %d distinct keys, want %d", len(seen), total+100)
	}
	if calls < 10 {
		t.Errorf("SCAN COUNT 100 over %d keys finished in %d calls: COUNT not honoured", total, calls)
	}
	// MATCH: keys 1, 10-19, 100-199, 1000-1999 → 1111 keys.
	seen, _ = scan("key:1*", "", 50)
	if len(seen) != 1111 {
		t.Errorf("SCAN MATCH key:1* found %d keys, want 1111", len(seen))
	}
	for k := range seen {
		if !strings.HasPrefix(k, "key:1") {
			t.Errorf("SCAN MATCH key:1* returned %q", k)
		}
	}
	seen, _ = scan("", "list", 200)
	if len(seen) != 100 {
		t.Errorf("SCAN TYPE list found %d keys, want 100", len(seen))
	}
	for k := range seen {
		if !strings.HasPrefix(k, "list:") {
			t.Errorf("SCAN TYPE list returned %q", k)
		}
	}
	seen, _ = scan("list:*", "string", 1000)
	if len(seen) != 0 {
		t.Errorf("SCAN MATCH list:* TYPE string found %d keys", len(seen))
	}
	seen, _ = scan("*", "string", 1000)
	if len(seen) != total {
		t.Errorf("SCAN TYPE string found %d keys, want %d", len(seen), total)
	}

	// Keys present for the whole iteration are returned even while other keys
	// are added and removed concurrently.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := n.client2()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			w.Set(ctx, fmt.Sprintf("churn:%d", i), "x", 0)
			w.Del(ctx, fmt.Sprintf("churn:%d", i-10))
		}
	}()
	seen, _ = scan("key:*", "", 37)
	close(stop)
	<-done
	for i := 0; i < total; i++ {
		if seen[fmt.Sprintf("key:%d", i)] == 0 {
			t.Fatalf("SCAN during concurrent writes missed key:%d", i)
		}
	}
}

func testKeysExpireOptions(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "k", "v", 0)
	if c.ExpireXX(ctx, "k", time.Minute).Val() {
		t.Error("EXPIRE XX on a key without TTL succeeded")
	}
	if !c.ExpireNX(ctx, "k", time.Minute).Val() {
		t.Error("EXPIRE NX on a key without TTL failed")
	}
	if c.ExpireNX(ctx, "k", 2*time.Minute).Val() {
		t.Error("EXPIRE NX on a key with a TTL succeeded")
	}
	if c.ExpireGT(ctx, "k", 30*time.Second).Val() {
		t.Error("EXPIRE GT with a smaller TTL succeeded")
	}
	if !c.ExpireGT(ctx, "k", 2*time.Minute).Val() {
		t.Error("EXPIRE GT with a bigger TTL failed")
	}
	if !c.ExpireLT(ctx, "k", 90*time.Second).Val() {
		t.Error("EXPIRE LT with a smaller TTL failed")
	}
	if ttl := c.TTL(ctx, "k").Val(); ttl < 89*time.Second || ttl > 90*time.Second {
		t.Errorf("TTL = %v, want 90s", ttl)
	}
	if pttl := c.PTTL(ctx, "k").Val(); pttl < 89*time.Second || pttl > 90*time.Second {
		t.Errorf("PTTL = %v, want about 90s", pttl)
	}
	exp := c.ExpireTime(ctx, "k").Val()
	if want := time.Duration(time.Now().Add(90 * time.Second).Unix()); exp < want*time.Second-2*time.Second || exp > want*time.Second+time.Second {
		t.Errorf("EXPIRETIME = %v, want about %v", exp, want*time.Second)
	}
	// A key without TTL counts as infinite for GT/LT.
	c.Persist(ctx, "k")
	if c.ExpireGT(ctx, "k", time.Hour).Val() {
		t.Error("EXPIRE GT on a persistent key succeeded")
	}
	if !c.ExpireLT(ctx, "k", time.Hour).Val() {
		t.Error("EXPIRE LT on a persistent key failed")
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	if !c.ExpireAt(ctx, "k", at).Val() || c.ExpireTime(ctx, "k").Val() != time.Duration(at.Unix())*time.Second {
		t.Errorf("EXPIREAT then EXPIRETIME = %v, want %d", c.ExpireTime(ctx, "k").Val(), at.Unix())
	}
	if !c.PExpireAt(ctx, "k", at.Add(123*time.Millisecond)).Val() ||
		c.PExpireTime(ctx, "k").Val() != time.Duration(at.UnixMilli()+123)*time.Millisecond {
		t.Errorf("PEXPIREAT then PEXPIRETIME = %v", c.PExpireTime(ctx, "k").Val())
	}
	// An expire time in the past deletes the key at once.
	c.Set(ctx, "past", "v", 0)
	if !c.ExpireAt(ctx, "past", time.Now().Add(-time.Hour)).Val() || c.Exists(ctx, "past").Val() != 0 {
		t.Error("EXPIREAT in the past did not delete the key")
	}
	wantErr(t, "EXPIRE NX XX", c.Do(ctx, "expire", "k", "10", "nx", "xx").Err(),
		"ERR NX and XX, GT or LT options at the same time are not compatible")
	wantErr(t, "EXPIRE GT LT", c.Do(ctx, "expire", "k", "10", "gt", "lt").Err(),
		"ERR GT and LT options at the same time are not compatible")
	wantErr(t, "EXPIRE huge", c.Do(ctx, "expire", "k", "9223372036854775807").Err(),
		"ERR invalid expire time in 'expire' command")
	wantErr(t, "PEXPIRE x", c.Do(ctx, "pexpire", "k", "x").Err(), "ERR value is not an integer or out of range")
}

func testKeysRenameCopyMove(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	c.Set(ctx, "a", "1", time.Hour)
	if err := c.Rename(ctx, "a", "b").Err(); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, "a").Val() != 0 || c.Get(ctx, "b").Val() != "1" || c.TTL(ctx, "b").Val() < 59*time.Minute {
		t.Error("RENAME did not move value and TTL")
	}
	wantErr(t, "RENAME missing", c.Rename(ctx, "nosuch", "x").Err(), "ERR no such key")
	c.RPush(ctx, "l", "x", "y")
	if c.RenameNX(ctx, "b", "l").Val() {
		t.Error("RENAMENX onto an existing key succeeded")
	}
	// RENAME over a key with a TTL drops the destination's TTL when the source has none.
	c.Set(ctx, "nottl", "n", 0)
	c.Set(ctx, "withttl", "w", time.Hour)
	c.Rename(ctx, "nottl", "withttl")
	if ttl := c.TTL(ctx, "withttl").Val(); ttl != -1 {
		t.Errorf("RENAME onto a key with TTL kept the old TTL: %v", ttl)
	}
	// COPY
	if c.Copy(ctx, "l", "l2", 0, false).Val() != 1 {
		t.Fatal("COPY failed")
	}
	c.RPush(ctx, "l2", "z")
	if got := c.LRange(ctx, "l", 0, -1).Val(); len(got) != 2 {
		t.Errorf("COPY shares the list with the copy: source is now %v", got)
	}
	if c.Copy(ctx, "b", "l2", 0, false).Val() != 0 {
		t.Error("COPY onto an existing key without REPLACE succeeded")
	}
	if c.Copy(ctx, "b", "l2", 0, true).Val() != 1 || c.Get(ctx, "l2").Val() != "1" {
		t.Error("COPY REPLACE failed")
	}
	if c.Copy(ctx, "b", "b", 3, false).Val() != 1 {
		t.Error("COPY to the same name in db 3 failed")
	}
	c3 := redis.NewClient(&redis.Options{Addr: n.addr(), DB: 3})
	defer c3.Close()
	if c3.Get(ctx, "b").Val() != "1" || c3.TTL(ctx, "b").Val() < 59*time.Minute {
		t.Errorf("COPY DB 3: value %q ttl %v", c3.Get(ctx, "b").Val(), c3.TTL(ctx, "b").Val())
	}
	// MOVE
	if !c.Move(ctx, "l", 3).Val() || c.Exists(ctx, "l").Val() != 0 || c3.LLen(ctx, "l").Val() != 2 {
		t.Error("MOVE to db 3 failed")
	}
	c.Set(ctx, "b", "other", 0)
	if c.Move(ctx, "b", 3).Val() {
		t.Error("MOVE onto an existing key in the target db succeeded")
	}
	if c.Get(ctx, "b").Val() != "other" || c3.Get(ctx, "b").Val() != "1" {
		t.Error("a refused MOVE changed something")
	}
	wantErr(t, "MOVE same db", c.Move(ctx, "b", 0).Err(), "ERR source and destination objects are the same")
}

func testKeysSelectIsolation(t *testing.T, n *node) {
	ctx := ctxT(t)
	clients := make([]*redis.Client, 16)
	for db := range clients {
		clients[db] = redis.NewClient(&redis.Options{Addr: n.addr(), DB: db, Protocol: 2 + db%2})
		defer clients[db].Close()
		for i := 0; i <= db; i++ {
			clients[db].Set(ctx, "k"+strconv.Itoa(i), "db"+strconv.Itoa(db), 0)
		}
		clients[db].Set(ctx, "same", db, time.Duration(db+1)*time.Hour)
	}
	for db, c := range clients {
		if sz := c.DBSize(ctx).Val(); sz != int64(db+2) {
			t.Errorf("db %d: DBSIZE %d, want %d", db, sz, db+2)
		}
		if v := c.Get(ctx, "k0").Val(); v != "db"+strconv.Itoa(db) {
			t.Errorf("db %d: k0 = %q", db, v)
		}
		if v := c.Get(ctx, "same").Val(); v != strconv.Itoa(db) {
			t.Errorf("db %d: same = %q", db, v)
		}
		ttl := c.TTL(ctx, "same").Val()
		if ttl < time.Duration(db+1)*time.Hour-time.Minute || ttl > time.Duration(db+1)*time.Hour {
			t.Errorf("db %d: TTL of same = %v", db, ttl)
		}
		if len(c.Keys(ctx, "*").Val()) != db+2 {
			t.Errorf("db %d: KEYS * = %v", db, c.Keys(ctx, "*").Val())
		}
	}
	// INFO keyspace lists every non-empty db.
	info := clients[0].Info(ctx, "keyspace").Val()
	for db := 0; db < 16; db++ {
		if want := fmt.Sprintf("db%d:keys=%d,expires=1,", db, db+2); !strings.Contains(info, want) {
			t.Errorf("INFO keyspace lacks %q:\n%s", want, info)
		}
	}
	// SELECT on one connection switches db for the following commands only.
	raw := n.raw(t, encodeCmd("GET", "k0")+encodeCmd("SELECT", "7")+encodeCmd("GET", "k0")+encodeCmd("SELECT", "0")+
		encodeCmd("GET", "k7"), 500*time.Millisecond)
	if want := "$3\r\ndb0\r\n+OK\r\n$3\r\ndb7\r\n+OK\r\n$-1\r\n"; raw != want {
		t.Errorf("SELECT on one connection: %q, want %q", raw, want)
	}
	// FLUSHDB empties only the selected db; FLUSHALL empties all.
	clients[4].FlushDB(ctx)
	if clients[4].DBSize(ctx).Val() != 0 || clients[5].DBSize(ctx).Val() != 7 || clients[3].DBSize(ctx).Val() != 5 {
		t.Error("FLUSHDB on db 4 touched another db")
	}
	if clients[9].FlushAll(ctx).Err() != nil {
		t.Fatal("FLUSHALL failed")
	}
	for db, c := range clients {
		if sz := c.DBSize(ctx).Val(); sz != 0 {
			t.Errorf("after FLUSHALL db %d has %d keys", db, sz)
		}
	}
	if info := clients[0].Info(ctx, "keyspace").Val(); strings.Contains(info, "db") {
		t.Errorf("INFO keyspace after FLUSHALL: %q", info)
	}
}

func testKeysMiscellaneous(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	if _, err := c.RandomKey(ctx).Result(); err != redis.Nil {
		t.Errorf("RANDOMKEY on empty db: %v, want nil", err)
	}
	want := map[string]bool{}
	for i := 0; i < 20; i++ {
		k := "rk" + strconv.Itoa(i)
		want[k] = true
		c.Set(ctx, k, "v", 0)
	}
	got := map[string]bool{}
	for i := 0; i < 200; i++ {
		k := c.RandomKey(ctx).Val()
		if !want[k] {
			t.Fatalf("RANDOMKEY returned %q, not a key of the db", k)
		}
		got[k] = true
	}
	if len(got) < 5 {
		t.Errorf("200 RANDOMKEY calls over 20 keys returned only %d distinct keys", len(got))
	}
	// RANDOMKEY does not return a logically expired key.
	c.FlushDB(ctx)
	c.Set(ctx, "short", "v", 50*time.Millisecond)
	c.Set(ctx, "long", "v", 0)
	time.Sleep(120 * time.Millisecond)
	for i := 0; i < 20; i++ {
		if k := c.RandomKey(ctx).Val(); k != "long" {
			t.Fatalf("RANDOMKEY = %q after it expired", k)
		}
	}
	if v := c.Touch(ctx, "long", "nosuch", "long").Val(); v != 2 {
		t.Errorf("TOUCH = %d, want 2", v)
	}
	if v := c.Del(ctx, "long", "long", "nosuch").Val(); v != 1 {
		t.Errorf("DEL with duplicate = %d, want 1", v)
	}
	if tp := c.Type(ctx, "long").Val(); tp != "none" {
		t.Errorf("TYPE after DEL = %q", tp)
	}
	c.Set(ctx, "n", "123", 0)
	c.Set(ctx, "s", "short string", 0)
	c.Set(ctx, "r", strings.Repeat("x", 100), 0)
	for k, want := range map[string]string{"n": "int", "s": "embstr", "r": "raw"} {
		if enc := c.ObjectEncoding(ctx, k).Val(); enc != want {
			t.Errorf("OBJECT ENCODING %s = %q, want %q", k, enc, want)
		}
	}
	if err := c.ObjectEncoding(ctx, "nosuch").Err(); err != redis.Nil {
		t.Errorf("OBJECT ENCODING of a missing key: %v, want a nil reply", err)
	}
}
