#!/usr/bin/env python3
"""Smoke test of Geomys with redis-py (Debian's python3-redis) on its default options.

Usage: redis_py_smoke.py [HOST PORT]   (or GEOMYS_HOST / GEOMYS_PORT in the environment)

Prints one "ok: <scenario>" line per passed scenario, "SKIPPED: <scenario> (server
lacks <cmd>)" for MULTI/EXEC and pub/sub when the server does not know them, and
exits non-zero with a traceback at the first failure.
"""
import os
import sys
import threading
import time
import traceback

try:
    import redis
except ImportError:
    print("FAIL: the redis module (Debian package python3-redis) is not installed for "
          + sys.executable + "; run `make test` (scripts/ensure-deps.sh installs it)")
    sys.exit(2)

HOST = sys.argv[1] if len(sys.argv) > 2 else os.environ.get("GEOMYS_HOST", "127.0.0.1")
PORT = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("GEOMYS_PORT", "6379"))
P = "redispy:"  # every key of this script starts with it


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def new_client():
    # Default options: RESP2, decode_responses=False (bytes back).
    return redis.Redis(host=HOST, port=PORT)


def server_knows(cmd):
    """True when COMMAND INFO <cmd> returns a non-nil entry."""
    r = new_client()
    # redis-py's COMMAND reply parser cannot take a nil entry (what Redis itself
    # returns for an unknown command), so read the raw reply.
    r.response_callbacks.pop("COMMAND", None)
    info = r.execute_command("COMMAND", "INFO", cmd)
    r.close()
    return bool(info) and info[0] is not None


def scenario_connect(r):
    eq(r.ping(), True, "PING")
    eq(r.echo(b"hi"), b"hi", "ECHO")


def scenario_binary(r):
    v = bytes(range(256)) + b"\r\n\x00tail\r\n"
    eq(r.set(P + "bin", v), True, "SET binary")
    eq(r.get(P + "bin"), v, "GET binary")
    k = (P + "bin").encode() + b"\x00key\r\n\xff"
    eq(r.set(k, b"\x00"), True, "SET binary key")
    eq(r.get(k), b"\x00", "GET binary key")
    eq(r.set(P + "empty", b""), True, "SET empty")
    eq(r.get(P + "empty"), b"", "GET empty")
    eq(r.get(P + "missing"), None, "GET missing")
    u = "héllo wörld ✓ 日本"
    r.set(P + "utf8", u)
    eq(r.get(P + "utf8").decode("utf-8"), u, "GET utf-8")
    r.delete(P + "nx")
    eq(r.set(P + "nx", b"a", nx=True), True, "SET NX new")
    eq(r.set(P + "nx", b"b", nx=True), None, "SET NX existing")
    eq(r.get(P + "nx"), b"a", "GET after SET NX")


def scenario_incr(r):
    r.delete(P + "ctr", P + "fl")
    for i in range(1, 11):
        eq(r.incr(P + "ctr"), i, "INCR")
    eq(r.incrby(P + "ctr", 90), 100, "INCRBY")
    eq(r.decr(P + "ctr"), 99, "DECR")
    eq(r.get(P + "ctr"), b"99", "GET counter")
    eq(r.incrbyfloat(P + "fl", 1.5), 1.5, "INCRBYFLOAT")
    r.set(P + "notnum", b"abc")
    try:
        r.incr(P + "notnum")
    except redis.ResponseError as e:
        if "not an integer" not in str(e):
            raise AssertionError("INCR on non-integer: unexpected error %r" % str(e))
    else:
        raise AssertionError("INCR on non-integer: no error")


def scenario_pipeline(r):
    # redis-py's default pipeline wraps in MULTI/EXEC (transaction=True); a plain
    # pipeline of 100 commands is transaction=False.
    pipe = r.pipeline(transaction=False)
    for i in range(50):
        pipe.set(P + "pipe:%d" % i, "v%d" % i)
    for i in range(50):
        pipe.get(P + "pipe:%d" % i)
    res = pipe.execute()
    eq(len(res), 100, "pipeline reply count")
    eq(res[:50], [True] * 50, "pipeline SET replies")
    eq(res[50:], [("v%d" % i).encode() for i in range(50)], "pipeline GET replies")


def scenario_list_queue(r):
    q = P + "queue"
    r.delete(q)
    eq(r.rpush(q, *["job%d" % i for i in range(10)]), 10, "RPUSH")
    eq(r.llen(q), 10, "LLEN")
    got = [r.lpop(q) for _ in range(10)]
    eq(got, [("job%d" % i).encode() for i in range(10)], "LPOP order")
    eq(r.lpop(q), None, "LPOP empty")
    eq(r.exists(q), 0, "queue key gone when empty")
    r.rpush(q, "a", "b", "c")
    eq(r.lrange(q, 0, -1), [b"a", b"b", b"c"], "LRANGE")


def scenario_blpop(r):
    q = P + "bq"
    r.delete(q)
    waiter = new_client()
    result = {}

    def wait():
        try:
            result["v"] = waiter.blpop([q], timeout=10)
        except Exception as e:  # noqa: BLE001 - reported below
            result["err"] = e

    t = threading.Thread(target=wait)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.3)  # let BLPOP block
    eq(t.is_alive(), True, "BLPOP returned before RPUSH")
    r.rpush(q, b"wake\x00up")
    t.join(10)
    waiter.close()
    if t.is_alive():
        raise AssertionError("BLPOP not woken by RPUSH from another connection")
    if "err" in result:
        raise result["err"]
    eq(result.get("v"), (q.encode(), b"wake\x00up"), "BLPOP reply")
    if time.monotonic() - t0 > 5:
        raise AssertionError("BLPOP took too long to wake")
    eq(r.exists(q), 0, "list gone after BLPOP")
    eq(r.blpop([q], timeout=0.2), None, "BLPOP timeout")


def scenario_scan(r):
    pipe = r.pipeline(transaction=False)
    want = set()
    for i in range(1000):
        k = (P + "scan:%d" % i).encode()
        want.add(k)
        pipe.set(k, i)
    pipe.execute()
    seen = set(r.scan_iter(match=P + "scan:*", count=100))
    missing = want - seen
    extra = seen - want
    if missing or extra:
        raise AssertionError("SCAN: %d keys missing (e.g. %r), %d unexpected (e.g. %r)"
                             % (len(missing), sorted(missing)[:3], len(extra), sorted(extra)[:3]))
    # Manual cursor loop with default COUNT too.
    cursor, seen2 = 0, set()
    while True:
        cursor, keys = r.scan(cursor, match=P + "scan:*")
        seen2.update(keys)
        if cursor == 0:
            break
    eq(seen2 == want, True, "SCAN manual loop found all 1000 keys")


def scenario_expire(r):
    k = P + "ttl"
    r.set(k, "v")
    eq(r.ttl(k), -1, "TTL without expiry")
    eq(r.expire(k, 100), True, "EXPIRE")
    ttl = r.ttl(k)
    if not 95 <= ttl <= 100:
        raise AssertionError("TTL after EXPIRE 100: got %r" % ttl)
    pttl = r.pttl(k)
    if not 95000 <= pttl <= 100000:
        raise AssertionError("PTTL after EXPIRE 100: got %r" % pttl)
    eq(r.persist(k), True, "PERSIST")
    eq(r.ttl(k), -1, "TTL after PERSIST")
    eq(r.ttl(P + "nokey"), -2, "TTL missing key")
    eq(r.expire(P + "nokey", 10), False, "EXPIRE missing key")
    r.set(k, "v", px=150)
    eq(r.get(k), b"v", "GET before expiry")
    time.sleep(0.4)
    eq(r.get(k), None, "GET after PX expiry")
    eq(r.exists(k), 0, "EXISTS after expiry")


def scenario_hash(r):
    h = P + "hash"
    r.delete(h)
    eq(r.hset(h, mapping={"name": "geomys", "kind": b"gopher\x00", "n": 3}), 3, "HSET mapping")
    eq(r.hset(h, "n", 4), 0, "HSET existing field")
    eq(r.hgetall(h), {b"name": b"geomys", b"kind": b"gopher\x00", b"n": b"4"}, "HGETALL")
    eq(r.hget(h, "name"), b"geomys", "HGET")
    eq(r.hincrby(h, "n", 6), 10, "HINCRBY")
    eq(r.hdel(h, "kind"), 1, "HDEL")
    eq(sorted(r.hkeys(h)), [b"n", b"name"], "HKEYS")
    eq(r.hgetall(P + "nohash"), {}, "HGETALL missing")


def scenario_set(r):
    s = P + "set"
    r.delete(s)
    eq(r.sadd(s, "a", "b", "c", "a"), 3, "SADD")
    eq(r.smembers(s), {b"a", b"b", b"c"}, "SMEMBERS")
    eq(r.sismember(s, "b"), True, "SISMEMBER")
    eq(r.srem(s, "b"), 1, "SREM")
    eq(r.scard(s), 2, "SCARD")
    r.sadd(s, *range(100))  # switches encodings on the server
    eq(len(r.smembers(s)), 102, "SMEMBERS after 100 more")
    eq(r.smembers(P + "noset"), set(), "SMEMBERS missing")


def scenario_zset(r):
    z = P + "zset"
    r.delete(z)
    eq(r.zadd(z, {"one": 1, "two": 2, "half": 0.5, "neg": -1.25}), 4, "ZADD")
    eq(r.zrange(z, 0, -1, withscores=True),
       [(b"neg", -1.25), (b"half", 0.5), (b"one", 1.0), (b"two", 2.0)], "ZRANGE WITHSCORES")
    eq(r.zrange(z, 0, 1), [b"neg", b"half"], "ZRANGE")
    eq(r.zscore(z, "half"), 0.5, "ZSCORE")
    eq(r.zincrby(z, 2.5, "one"), 3.5, "ZINCRBY")
    eq(r.zrevrange(z, 0, 0, withscores=True), [(b"one", 3.5)], "ZREVRANGE WITHSCORES")
    eq(r.zrangebyscore(z, 0, 2), [b"half", b"two"], "ZRANGEBYSCORE")
    eq(r.zrank(z, "two"), 2, "ZRANK")
    eq(r.zcard(z), 4, "ZCARD")


def scenario_multi(r):
    k = P + "tx"
    r.delete(k)
    pipe = r.pipeline()  # transaction=True: MULTI ... EXEC
    pipe.set(k, 1).incr(k).incrby(k, 10).get(k)
    eq(pipe.execute(), [True, 2, 12, b"12"], "MULTI/EXEC replies")
    # A runtime error fails only its own command; the others still apply.
    pipe = r.pipeline()
    pipe.set(k, "str").incr(k).append(k, "!")
    res = pipe.execute(raise_on_error=False)
    eq(res[0], True, "MULTI/EXEC SET reply")
    if not isinstance(res[1], redis.ResponseError) or "not an integer" not in str(res[1]):
        raise AssertionError("MULTI/EXEC INCR on a string: got %r, want a 'not an integer' error" % (res[1],))
    eq(res[2], 4, "MULTI/EXEC APPEND reply")
    eq(r.get(k), b"str!", "value after EXEC with a failed command")
    # WATCH-based optimistic locking: a conflicting write aborts EXEC.
    other = new_client()
    with r.pipeline() as pipe:
        pipe.watch(k)
        other.set(k, "changed")
        pipe.multi()
        pipe.set(k, "mine")
        try:
            pipe.execute()
        except redis.WatchError:
            pass
        else:
            raise AssertionError("EXEC after a watched key changed: no WatchError")
    other.close()
    eq(r.get(k), b"changed", "value after aborted transaction")


def scenario_pubsub(r):
    sub_client = new_client()
    p = sub_client.pubsub()
    ch = P + "chan"
    p.subscribe(ch)
    msg = p.get_message(timeout=5)
    eq(msg and msg["type"], "subscribe", "subscribe confirmation")
    eq(r.publish(ch, b"hello\x00world"), 1, "PUBLISH receivers")
    msg = None
    deadline = time.monotonic() + 5
    while msg is None and time.monotonic() < deadline:
        msg = p.get_message(timeout=1)
    if msg is None:
        raise AssertionError("subscriber got no message within 5s")
    eq((msg["type"], msg["channel"], msg["data"]), ("message", ch.encode(), b"hello\x00world"),
       "published message")
    p.unsubscribe(ch)
    msg = p.get_message(timeout=5)
    eq(msg and (msg["type"], msg["channel"]), ("unsubscribe", ch.encode()), "unsubscribe confirmation")
    eq(r.publish(ch, b"nobody"), 0, "PUBLISH receivers after UNSUBSCRIBE")
    p.close()
    sub_client.close()


def main():
    r = new_client()
    print("redis-py %s on python %s, server %s:%d" % (redis.__version__, sys.version.split()[0], HOST, PORT))
    has_multi = server_knows("multi")
    has_sub = server_knows("subscribe")
    scenarios = [
        ("connect", scenario_connect, None),
        ("binary-safe SET/GET", scenario_binary, None),
        ("INCR counters", scenario_incr, None),
        ("pipeline of 100", scenario_pipeline, None),
        ("list queue RPUSH/LPOP", scenario_list_queue, None),
        ("BLPOP woken by RPUSH", scenario_blpop, None),
        ("SCAN 1000 keys", scenario_scan, None),
        ("EXPIRE/TTL", scenario_expire, None),
        ("hashes", scenario_hash, None),
        ("sets", scenario_set, None),
        ("sorted sets", scenario_zset, None),
        ("MULTI/EXEC", scenario_multi, None if has_multi else "MULTI"),
        ("pub/sub", scenario_pubsub, None if has_sub else "SUBSCRIBE"),
    ]
    passed = skipped = 0
    for name, fn, lacks in scenarios:
        if lacks:
            print("SKIPPED: %s (server lacks %s)" % (name, lacks))
            skipped += 1
            continue
        try:
            fn(r)
        except Exception:  # noqa: BLE001
            print("FAIL: %s" % name)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            sys.exit(1)
        print("ok: %s" % name)
        passed += 1
    r.close()
    print("redis-py: %d scenarios passed, %d skipped" % (passed, skipped))


if __name__ == "__main__":
    main()
