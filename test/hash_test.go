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

const hashScript = `
# HSET, HMSET, HSETNX
HSET h f1 v1
HSET h f2 v2 f3 v3
HSET h f1 new f4 v4
HSET h f1
HSET h f1 v1 f2
HSET h
HMSET h a 1 b 2
HMSET h a
HMSET h a 1 b
HSETNX h a 9
HSETNX h c 3
HSETNX nosuch f v
HSETNX h
HGETALL h
HLEN h
TYPE h
OBJECT ENCODING h
HSET h "" empty
HGET h ""
HSET h "bin\x00ary" "v\r\nx"
HGET h "bin\x00ary"
HGETALL h
# reads
HGET h f1
HGET h nosuch
HGET nosuch f
HMGET h f1 nosuch f2
HMGET nosuch a b
HMGET h
HGETALL nosuch
HKEYS h
HVALS h
HKEYS nosuch
HVALS nosuch
HLEN nosuch
HEXISTS h f1
HEXISTS h nosuch
HEXISTS nosuch f1
HSTRLEN h f1
HSTRLEN h nosuch
HSTRLEN nosuch f
HSET h num 12345
HSTRLEN h num
HGET h
HLEN
HKEYS h extra
# HDEL, empty hash deletes the key
HDEL h f1 f1 nosuch f2
HDEL h nosuch
HDEL nosuch f
HDEL h
HGETALL h
DEL h
HSET h x 1 y 2
HDEL h x y z
EXISTS h
HSET h x 1
HDEL h x
EXISTS h
HDEL h x
# order is kept through deletes in a listpack
HSET o a 1 b 2 c 3 d 4 e 5
HDEL o b d
HSET o b 22 a 11
HGETALL o
HKEYS o
HVALS o
# wrong type
SET s v
HSET s f v
HMSET s f v
HSETNX s f v
HGET s f
HMGET s f
HGETALL s
HDEL s f
HLEN s
HEXISTS s f
HKEYS s
HVALS s
HINCRBY s f 1
HINCRBYFLOAT s f 1
HSTRLEN s f
HRANDFIELD s
HRANDFIELD s 2
HRANDFIELD s -2 WITHVALUES
HSCAN s 0
LPUSH l a
HGET l a
GET h
# HINCRBY
HINCRBY c n 5
HINCRBY c n -7
HINCRBY c n 0
HGET c n
HINCRBY c n abc
HINCRBY c n 1.5
HINCRBY c n " 1"
HINCRBY c n ""
HINCRBY c n 99999999999999999999
HSET c s hello
HINCRBY c s 1
HSET c big 9223372036854775806
HINCRBY c big 1
HINCRBY c big 1
HINCRBY c big -1
HSET c small -9223372036854775807
HINCRBY c small -1
HINCRBY c small -1
HSET c sp " 5"
HINCRBY c sp 1
HSET c lead 007
HINCRBY c lead 1
HSET c plus +5
HINCRBY c plus 1
HSET c fl 1.0
HINCRBY c fl 1
HINCRBY s f 1 2
HINCRBY nosuch f abc
HINCRBY newkey f -3
HGETALL newkey
# HINCRBYFLOAT
HINCRBYFLOAT f x 10.5
HINCRBYFLOAT f x 0.1
HINCRBYFLOAT f x -5
HINCRBYFLOAT f x 3.0e3
HINCRBYFLOAT f x 1e-5
HGET f x
HINCRBYFLOAT f y 5
HINCRBYFLOAT f y 5.0
HINCRBYFLOAT f x abc
HINCRBYFLOAT f x ""
HINCRBYFLOAT f x inf
HINCRBYFLOAT f x -inf
HINCRBYFLOAT f x nan
HINCRBYFLOAT f x 1e5000
HSET f s hello
HINCRBYFLOAT f s 1
HSET f i inf
HINCRBYFLOAT f i 1
HSET f n 10
HINCRBYFLOAT f n 0.5
HINCRBYFLOAT f n 1.7976931348623157e308
HINCRBYFLOAT f h 0x10
HINCRBYFLOAT f t 1.5e
HINCRBYFLOAT f t " 1"
HINCRBYFLOAT f z -0.0
HGET f z
HINCRBYFLOAT nosuch f x
HLEN f
OBJECT ENCODING f
# HRANDFIELD with deterministic results
HRANDFIELD nosuch
HRANDFIELD nosuch 5
HRANDFIELD nosuch -5 WITHVALUES
HRANDFIELD nosuch 0
HSET r a 1 b 2 c 3
HRANDFIELD r 0
HRANDFIELD r 3
HRANDFIELD r 10
HRANDFIELD r 10 WITHVALUES
HRANDFIELD r 3 withvalues
HRANDFIELD r 1 WITHVALUE
HRANDFIELD r 1 WITHVALUES extra
HRANDFIELD r abc
HRANDFIELD r 1.5
HRANDFIELD nosuch abc
HRANDFIELD r 5000000000000000000 WITHVALUES
HRANDFIELD r -5000000000000000000 WITHVALUES
HSET one only v
HRANDFIELD one
HRANDFIELD one 1
HRANDFIELD one -3
HRANDFIELD one -3 WITHVALUES
HRANDFIELD one 1 WITHVALUES
HRANDFIELD one 2 WITHVALUES
# HSCAN on a listpack returns everything with cursor 0
HSET sc a 1 b 2 c 3 ab 4 abc 5
HSCAN sc 0
HSCAN sc 0 COUNT 1
HSCAN sc 17 COUNT 2
HSCAN sc 0 MATCH a*
HSCAN sc 0 MATCH a* COUNT 100
HSCAN sc 0 match *b* count 3
HSCAN sc 0 MATCH zz*
HSCAN sc 0 MATCH *
HSCAN sc 0 COUNT 0
HSCAN sc 0 COUNT -1
HSCAN sc 0 COUNT abc
HSCAN sc 0 COUNT
HSCAN sc 0 MATCH
HSCAN sc 0 TYPE string
HSCAN sc 0 foo bar
HSCAN sc abc
HSCAN sc -1
HSCAN sc " 1"
HSCAN sc 99999999999999999999
HSCAN nosuch 0
HSCAN nosuch 0 COUNT 0
HSCAN nosuch abc
HSCAN sc 0 NOVALUES => "*2\r\n$1\r\n0\r\n*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\nab\r\n$3\r\nabc\r\n"
HSCAN sc 0 MATCH ab* NOVALUES => "*2\r\n$1\r\n0\r\n*2\r\n$2\r\nab\r\n$3\r\nabc\r\n"
# encodings: listpack up to 128 fields and 64-byte fields/values
HSET e1 f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e1
HSET e2 f xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e2
HSET e3 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx v
OBJECT ENCODING e3
HMSET e4 a 1 b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e4
HSET e5 a 1
HSETNX e5 b xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING e5
HDEL e2 f
EXISTS e2
HSET e6 a 1
HINCRBYFLOAT e6 a 1e60
HGET e6 a
HINCRBY e6 i 5
OBJECT ENCODING e6
# HINCRBYFLOAT is propagated as HSET (checked with OBJECT FREQ-free reads)
HGETALL e6
# duplicates within one command
HSET d a 1 a 2 b 3 a 4
HGETALL d
HMGET d a a b zz a
HDEL d a a a
HSETNX d b 9
HGETALL d
# exactly 512 fields stay a listpack, the 513th converts
HSET lp512 f0 0 f1 1 f2 2 f3 3 f4 4 f5 5 f6 6 f7 7 f8 8 f9 9 f10 10 f11 11 f12 12 f13 13 f14 14 f15 15 f16 16 f17 17 f18 18 f19 19 f20 20 f21 21 f22 22 f23 23 f24 24 f25 25 f26 26 f27 27 f28 28 f29 29 f30 30 f31 31 f32 32 f33 33 f34 34 f35 35 f36 36 f37 37 f38 38 f39 39 f40 40 f41 41 f42 42 f43 43 f44 44 f45 45 f46 46 f47 47 f48 48 f49 49 f50 50 f51 51 f52 52 f53 53 f54 54 f55 55 f56 56 f57 57 f58 58 f59 59 f60 60 f61 61 f62 62 f63 63 f64 64 f65 65 f66 66 f67 67 f68 68 f69 69 f70 70 f71 71 f72 72 f73 73 f74 74 f75 75 f76 76 f77 77 f78 78 f79 79 f80 80 f81 81 f82 82 f83 83 f84 84 f85 85 f86 86 f87 87 f88 88 f89 89 f90 90 f91 91 f92 92 f93 93 f94 94 f95 95 f96 96 f97 97 f98 98 f99 99 f100 100 f101 101 f102 102 f103 103 f104 104 f105 105 f106 106 f107 107 f108 108 f109 109 f110 110 f111 111 f112 112 f113 113 f114 114 f115 115 f116 116 f117 117 f118 118 f119 119 f120 120 f121 121 f122 122 f123 123 f124 124 f125 125 f126 126 f127 127 f128 128 f129 129 f130 130 f131 131 f132 132 f133 133 f134 134 f135 135 f136 136 f137 137 f138 138 f139 139 f140 140 f141 141 f142 142 f143 143 f144 144 f145 145 f146 146 f147 147 f148 148 f149 149 f150 150 f151 151 f152 152 f153 153 f154 154 f155 155 f156 156 f157 157 f158 158 f159 159 f160 160 f161 161 f162 162 f163 163 f164 164 f165 165 f166 166 f167 167 f168 168 f169 169 f170 170 f171 171 f172 172 f173 173 f174 174 f175 175 f176 176 f177 177 f178 178 f179 179 f180 180 f181 181 f182 182 f183 183 f184 184 f185 185 f186 186 f187 187 f188 188 f189 189 f190 190 f191 191 f192 192 f193 193 f194 194 f195 195 f196 196 f197 197 f198 198 f199 199 f200 200 f201 201 f202 202 f203 203 f204 204 f205 205 f206 206 f207 207 f208 208 f209 209 f210 210 f211 211 f212 212 f213 213 f214 214 f215 215 f216 216 f217 217 f218 218 f219 219 f220 220 f221 221 f222 222 f223 223 f224 224 f225 225 f226 226 f227 227 f228 228 f229 229 f230 230 f231 231 f232 232 f233 233 f234 234 f235 235 f236 236 f237 237 f238 238 f239 239 f240 240 f241 241 f242 242 f243 243 f244 244 f245 245 f246 246 f247 247 f248 248 f249 249 f250 250 f251 251 f252 252 f253 253 f254 254 f255 255 f256 256 f257 257 f258 258 f259 259 f260 260 f261 261 f262 262 f263 263 f264 264 f265 265 f266 266 f267 267 f268 268 f269 269 f270 270 f271 271 f272 272 f273 273 f274 274 f275 275 f276 276 f277 277 f278 278 f279 279 f280 280 f281 281 f282 282 f283 283 f284 284 f285 285 f286 286 f287 287 f288 288 f289 289 f290 290 f291 291 f292 292 f293 293 f294 294 f295 295 f296 296 f297 297 f298 298 f299 299 f300 300 f301 301 f302 302 f303 303 f304 304 f305 305 f306 306 f307 307 f308 308 f309 309 f310 310 f311 311 f312 312 f313 313 f314 314 f315 315 f316 316 f317 317 f318 318 f319 319 f320 320 f321 321 f322 322 f323 323 f324 324 f325 325 f326 326 f327 327 f328 328 f329 329 f330 330 f331 331 f332 332 f333 333 f334 334 f335 335 f336 336 f337 337 f338 338 f339 339 f340 340 f341 341 f342 342 f343 343 f344 344 f345 345 f346 346 f347 347 f348 348 f349 349 f350 350 f351 351 f352 352 f353 353 f354 354 f355 355 f356 356 f357 357 f358 358 f359 359 f360 360 f361 361 f362 362 f363 363 f364 364 f365 365 f366 366 f367 367 f368 368 f369 369 f370 370 f371 371 f372 372 f373 373 f374 374 f375 375 f376 376 f377 377 f378 378 f379 379 f380 380 f381 381 f382 382 f383 383 f384 384 f385 385 f386 386 f387 387 f388 388 f389 389 f390 390 f391 391 f392 392 f393 393 f394 394 f395 395 f396 396 f397 397 f398 398 f399 399 f400 400 f401 401 f402 402 f403 403 f404 404 f405 405 f406 406 f407 407 f408 408 f409 409 f410 410 f411 411 f412 412 f413 413 f414 414 f415 415 f416 416 f417 417 f418 418 f419 419 f420 420 f421 421 f422 422 f423 423 f424 424 f425 425 f426 426 f427 427 f428 428 f429 429 f430 430 f431 431 f432 432 f433 433 f434 434 f435 435 f436 436 f437 437 f438 438 f439 439 f440 440 f441 441 f442 442 f443 443 f444 444 f445 445 f446 446 f447 447 f448 448 f449 449 f450 450 f451 451 f452 452 f453 453 f454 454 f455 455 f456 456 f457 457 f458 458 f459 459 f460 460 f461 461 f462 462 f463 463 f464 464 f465 465 f466 466 f467 467 f468 468 f469 469 f470 470 f471 471 f472 472 f473 473 f474 474 f475 475 f476 476 f477 477 f478 478 f479 479 f480 480 f481 481 f482 482 f483 483 f484 484 f485 485 f486 486 f487 487 f488 488 f489 489 f490 490 f491 491 f492 492 f493 493 f494 494 f495 495 f496 496 f497 497 f498 498 f499 499 f500 500 f501 501 f502 502 f503 503 f504 504 f505 505 f506 506 f507 507 f508 508 f509 509 f510 510 f511 511
OBJECT ENCODING lp512
HLEN lp512
HSET lp512 f0 changed
OBJECT ENCODING lp512
HSET lp512 f512 x
OBJECT ENCODING lp512
HDEL lp512 f512 f511
OBJECT ENCODING lp512
HLEN lp512
HMGET lp512 f0 f1 f510 f511 f512
# an increment result longer than 64 bytes
HSET inc a 1
HINCRBYFLOAT inc a 1e70
OBJECT ENCODING inc => "$9\r\nhashtable\r\n"
# COPY, RENAME, DEL of hashes; a copy is independent
HSET cp a 1 b 2
COPY cp cp2
HSET cp2 c 3
HDEL cp2 a
HGETALL cp
HGETALL cp2
RENAME cp2 cp3
HGETALL cp3
EXISTS cp2
EXPIRE cp3 100
HSET cp3 d 4
TTL cp3
HINCRBYFLOAT cp3 d 0.5
TTL cp3
# arity
HGETALL
HDEL h
HEXISTS h
HSTRLEN h
HINCRBY h f
HINCRBYFLOAT h f
HRANDFIELD
HSCAN h
`

// TestHash runs the hash tests as subtests on one node (FLUSHALL between them).
func TestHash(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", testHashCommandsMatchRedis},
		nodeTest{"BigMatchesRedis", testHashBigMatchesRedis},
		nodeTest{"Large", testHashLarge},
		nodeTest{"RandField", testHashRandField},
		nodeTest{"Scan", testHashScan},
	)
}

// hashState reads every hash key as sorted field=value lines plus encoding.
func hashState(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	ctx := ctxT(t)
	out := map[string]string{}
	for _, k := range c.Keys(ctx, "*").Val() {
		m := c.HGetAll(ctx, k).Val()
		lines := make([]string, 0, len(m))
		for f, v := range m {
			lines = append(lines, f+"="+v)
		}
		sort.Strings(lines)
		out[k] = c.ObjectEncoding(ctx, k).Val() + ":" + strings.Join(lines, ",")
	}
	return out
}

// TestHashPersistence: hashes, including big ones changed in place while an
// AOF rewrite (snapshot) runs, survive a restart and a kill -9.
func TestHashPersistence(t *testing.T) {
	n := startNode(t, "--auto-aof-rewrite-min-size", "65536", "--auto-aof-rewrite-percentage", "100")
	c := n.client()
	ctx := ctxT(t)
	for round := 0; round < 3; round++ {
		pipe := c.Pipeline()
		for i := 0; i < 3000; i++ {
			key := "h" + strconv.Itoa(i%7)
			f := "f" + strconv.Itoa((i*31+round)%(50+i%7*60))
			switch i % 5 {
			case 0, 1:
				pipe.HSet(ctx, key, f, strings.Repeat("v", i%90))
			case 2:
				pipe.HIncrBy(ctx, key, "n"+f, int64(i))
			case 3:
				pipe.HIncrByFloat(ctx, key, "x"+f, 0.1)
			case 4:
				pipe.HDel(ctx, key, f)
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		info := c.Info(ctx, "persistence").Val()
		if !strings.Contains(info, "aof_base_size:0\r") && strings.Contains(info, "aof_rewrite_in_progress:0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no automatic rewrite happened:\n%s", info)
		}
	}
	c.HIncrByFloat(ctx, "h1", "after-rewrite", 1.5)
	want := hashState(t, c)
	if len(want) != 7 {
		t.Fatalf("%d hashes", len(want))
	}
	n.stop()
	n.restart()
	c = n.client()
	got := hashState(t, c)
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("after restart %s differs:\n got %.200s\nwant %.200s", k, got[k], v)
		}
	}
	c.HSet(ctx, "h0", "after", "kill")
	want = hashState(t, c)
	n.kill()
	n.restart()
	c = n.client()
	got = hashState(t, c)
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("after kill -9 %s differs:\n got %.200s\nwant %.200s", k, got[k], v)
		}
	}
}

func testHashCommandsMatchRedis(t *testing.T, n *node) {
	compareWithRedis(t, n, hashScript)
}

// testHashBigMatchesRedis runs a long seeded sequence of hash commands on
// hashes that stay small enough to keep Redis' listpack order (so even
// HGETALL and HSCAN must match byte for byte) and on hashes that cross the
// encoding limits (compared through order-independent commands).
func testHashBigMatchesRedis(t *testing.T, n *node) {
	var b strings.Builder
	seed := uint32(4242)
	rnd := func(k int) int {
		seed = seed*1664525 + 1013904223
		return int(seed>>8) % k
	}
	val := func() string {
		switch rnd(4) {
		case 0:
			return strconv.Itoa(rnd(50) - 10)
		case 1:
			return "v" + strconv.Itoa(rnd(30))
		case 2:
			return strings.Repeat("x", 55+rnd(20)) // crosses the 64-byte limit
		default:
			return strconv.Itoa(rnd(100)) + ".5"
		}
	}
	for i := 0; i < 800; i++ {
		big := rnd(2) == 0
		key, nf := "small", 20
		if big {
			key, nf = "big", 700
		}
		field := func() string { return "f" + strconv.Itoa(rnd(nf)) }
		switch op := rnd(12); op {
		case 0, 1, 2:
			v := val()
			if !big && len(v) > 64 {
				v = "short"
			}
			fmt.Fprintf(&b, "HSET %s %s %s %s %s\n", key, field(), v, field(), strconv.Itoa(rnd(9)))
		case 3:
			fmt.Fprintf(&b, "HDEL %s %s %s\n", key, field(), field())
		case 4:
			fmt.Fprintf(&b, "HINCRBY %s %s %d\n", key, field(), rnd(100)-50)
		case 5:
			fmt.Fprintf(&b, "HINCRBYFLOAT %s %s %d.25\n", key, field(), rnd(100)-50)
		case 6:
			fmt.Fprintf(&b, "HSETNX %s %s n%d\n", key, field(), rnd(10))
		case 7:
			fmt.Fprintf(&b, "HMGET %s %s %s %s\n", key, field(), field(), field())
		case 8:
			fmt.Fprintf(&b, "HLEN %s\nHEXISTS %s %s\nHSTRLEN %s %s\n", key, key, field(), key, field())
		case 9:
			fmt.Fprintf(&b, "HGET %s %s\n", key, field())
		case 10:
			if !big {
				fmt.Fprintf(&b, "HGETALL %s\nHSCAN %s 0 MATCH f1*\n", key, key)
			}
		case 11:
			fmt.Fprintf(&b, "OBJECT ENCODING %s\n", key)
		}
	}
	b.WriteString("HGETALL small\nHLEN big\nOBJECT ENCODING big\n")
	for i := 0; i < 700; i++ {
		fmt.Fprintf(&b, "HGET big f%d\n", i)
	}
	compareWithRedis(t, n, b.String())
}

// testHashLarge checks a hashtable-encoded hash through go-redis: HGETALL,
// HKEYS and HVALS agree with each other, HDEL empties and deletes.
func testHashLarge(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	want := map[string]string{}
	args := []any{}
	for i := 0; i < 1000; i++ {
		f, v := "field:"+strconv.Itoa(i), "value:"+strconv.Itoa(i*7)
		want[f] = v
		args = append(args, f, v)
	}
	if got := c.HSet(ctx, "big", args...).Val(); got != 1000 {
		t.Fatalf("HSET = %d", got)
	}
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "hashtable" {
		t.Errorf("encoding = %q", enc)
	}
	all := c.HGetAll(ctx, "big").Val()
	if len(all) != 1000 {
		t.Fatalf("HGETALL has %d fields", len(all))
	}
	for f, v := range want {
		if all[f] != v {
			t.Fatalf("HGETALL[%s] = %q, want %q", f, all[f], v)
		}
	}
	keys, vals := c.HKeys(ctx, "big").Val(), c.HVals(ctx, "big").Val()
	if len(keys) != 1000 || len(vals) != 1000 {
		t.Fatalf("HKEYS %d, HVALS %d", len(keys), len(vals))
	}
	for i := range keys {
		if want[keys[i]] != vals[i] {
			t.Fatalf("HKEYS/HVALS disagree at %d: %s -> %s", i, keys[i], vals[i])
		}
	}
	for i := 0; i < 1000; i += 2 {
		c.HDel(ctx, "big", "field:"+strconv.Itoa(i))
	}
	if l := c.HLen(ctx, "big").Val(); l != 500 {
		t.Fatalf("HLEN = %d", l)
	}
	for i := 0; i < 1000; i++ {
		v, err := c.HGet(ctx, "big", "field:"+strconv.Itoa(i)).Result()
		if i%2 == 0 && err != redis.Nil || i%2 == 1 && v != want["field:"+strconv.Itoa(i)] {
			t.Fatalf("HGET field:%d = %q, %v", i, v, err)
		}
	}
	for i := 1; i < 1000; i += 2 {
		c.HDel(ctx, "big", "field:"+strconv.Itoa(i))
	}
	if e := c.Exists(ctx, "big").Val(); e != 0 {
		t.Fatalf("emptied hash still exists")
	}
	if v := c.HIncrByFloat(ctx, "fl", "x", 0.1).Val(); v != 0.1 {
		t.Errorf("HINCRBYFLOAT = %v", v)
	}
}

// testHashRandField checks HRANDFIELD's shapes and distinctness on both
// encodings in RESP2 and RESP3.
func testHashRandField(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	for _, size := range []int{5, 300, 1000} {
		key := "r" + strconv.Itoa(size)
		args := []any{}
		for i := 0; i < size; i++ {
			args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
		}
		c.HSet(ctx, key, args...)
		for _, count := range []int{1, 2, 3, size - 1, size, size + 10} {
			got := c.HRandFieldWithValues(ctx, key, count).Val()
			if len(got) != min(count, size) {
				t.Fatalf("HRANDFIELD %s %d WITHVALUES: %d pairs", key, count, len(got))
			}
			seen := map[string]bool{}
			for _, kv := range got {
				if seen[kv.Key] {
					t.Fatalf("HRANDFIELD %s %d returned %s twice", key, count, kv.Key)
				}
				seen[kv.Key] = true
				if "v"+kv.Key[1:] != kv.Value {
					t.Fatalf("pair %s=%s", kv.Key, kv.Value)
				}
			}
		}
		got := c.HRandField(ctx, key, -50).Val()
		if len(got) != 50 {
			t.Fatalf("HRANDFIELD %s -50: %d", key, len(got))
		}
		for _, proto := range []int{2, 3} {
			rc := dialRESP(t, n.addr(), proto)
			r := rc.do("HRANDFIELD", key, "-4", "WITHVALUES")
			prefix := "*8\r\n$"
			if proto == 3 {
				prefix = "*4\r\n*2\r\n$"
			}
			if !strings.HasPrefix(r, prefix) {
				t.Fatalf("RESP%d HRANDFIELD -4 WITHVALUES = %q", proto, r)
			}
		}
	}
}

// testHashScan walks a hashtable-encoded hash with HSCAN while fields are
// added and deleted: every field present for the whole walk is returned
// exactly once.
func testHashScan(t *testing.T, n *node) {
	ctx := ctxT(t)
	c := n.client()
	args := []any{}
	for i := 0; i < 2000; i++ {
		args = append(args, "k"+strconv.Itoa(i), strconv.Itoa(i))
	}
	c.HSet(ctx, "h", args...)
	for _, count := range []int64{1, 10, 333} {
		seen := map[string]int{}
		cursor := uint64(0)
		step := 0
		for {
			fields, next, err := c.HScan(ctx, "h", cursor, "", count).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(fields)%2 != 0 {
				t.Fatalf("odd HSCAN reply")
			}
			for i := 0; i < len(fields); i += 2 {
				seen[fields[i]]++
				if fields[i][1:] != fields[i+1] {
					t.Fatalf("HSCAN pair %s=%s", fields[i], fields[i+1])
				}
			}
			// Churn: delete fields >= 1900 and add new ones during the walk.
			if step < 100 {
				c.HDel(ctx, "h", "k"+strconv.Itoa(1900+step))
				c.HSet(ctx, "h", "new"+strconv.Itoa(step), "ew"+strconv.Itoa(step))
			}
			step++
			cursor = next
			if cursor == 0 {
				break
			}
		}
		for i := 0; i < 1900; i++ {
			if k := "k" + strconv.Itoa(i); seen[k] != 1 {
				t.Fatalf("COUNT %d: %s returned %d times", count, k, seen[k])
			}
		}
		// Restore for the next round.
		c.Del(ctx, "h")
		c.HSet(ctx, "h", args...)
	}
	keys, _, err := c.HScanNoValues(ctx, "h", 0, "k1*", 5000).Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	if len(keys) != 1111 || keys[0] != "k1" {
		t.Fatalf("HSCAN MATCH k1* NOVALUES: %d keys, first %q", len(keys), keys[0])
	}
}
