"""redis-py's Lock (Debian's python3-redis; release, extend and reacquire are
Lua scripts run by EVALSHA after SCRIPT LOAD) on one server: threads on one
lock never overlap, extend and reacquire keep a lock, an expired lock can be
taken and its old owner can neither release nor extend it.

Usage: python3 redis_py_lock.py [HOST PORT | HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
Prints "ok: <check>" lines and exits 1 at the first failed check.
"""
import sys
import threading
import time
import traceback
import uuid

import redis
from redis.exceptions import LockError, LockNotOwnedError
from apputil import check, eq, where


HOST, PORT = where()
P = f"gapp:pylock:{uuid.uuid4().hex[:8]}:"
print(f"redis-py {redis.__version__} Lock against {HOST}:{PORT}", flush=True)
clients = []


def client():
    c = redis.Redis(host=HOST, port=PORT, socket_timeout=10)
    clients.append(c)
    return c


admin = client()


def mutual_exclusion():
    name, counter = P + "mutex", P + "counter"
    threads, rounds = 5, 8
    state = {"holder": None, "overlaps": [], "waited": 0}
    errors = []

    def contender(tid):
        c = client()  # a connection of its own, as another process would have
        try:
            for rnd in range(rounds):
                lock = c.lock(name, timeout=5, sleep=0.005, blocking_timeout=10)
                t0 = time.monotonic()
                check(lock.acquire(), f"thread {tid} could not acquire in 10 s")
                if time.monotonic() - t0 > 0.002:
                    state["waited"] += 1
                if state["holder"] is not None:
                    state["overlaps"].append(f"{tid} entered while {state['holder']} held the lock")
                state["holder"] = tid
                # A read-modify-write that loses updates unless the lock excludes.
                v = int(c.get(counter) or 0)
                time.sleep(0.001 * (1 + (tid * 7 + rnd * 3) % 5))
                c.set(counter, v + 1)
                state["holder"] = None
                lock.release()
        except Exception:
            errors.append(traceback.format_exc())

    ts = [threading.Thread(target=contender, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    if errors:
        raise AssertionError(f"{len(errors)} of {threads} contending threads failed; the first:\n{errors[0]}")
    eq(state["overlaps"], [], "overlapping critical sections")
    eq(admin.get(counter), str(threads * rounds).encode(), "counter incremented under the lock")
    check(state["waited"] > 0, "no acquire ever waited: the threads never contended")
    eq(admin.exists(name), 0, "lock key after the last release")


def extend_and_reacquire():
    name = P + "ext"
    a = client().lock(name, timeout=2)
    b = client().lock(name, timeout=5, blocking=False)
    check(a.acquire(), "acquire")
    check(0 < admin.pttl(name) <= 2000, f"PTTL after acquire for 2 s: {admin.pttl(name)}")
    check(a.extend(3), "extend by 3 s")
    check(3000 < admin.pttl(name) <= 5000, f"PTTL after extend by 3 s: {admin.pttl(name)}")
    check(a.extend(1, replace_ttl=True), "extend replacing the TTL with 1 s")
    check(0 < admin.pttl(name) <= 1000, f"PTTL after replace_ttl 1 s: {admin.pttl(name)}")
    check(a.reacquire(), "reacquire")
    check(1000 < admin.pttl(name) <= 2000, f"PTTL after reacquire (timeout 2 s): {admin.pttl(name)}")
    eq(b.acquire(), False, "acquire by another while held")
    check(a.owned(), "owned() by the holder")
    eq(b.owned(), False, "owned() by another")
    a.release()
    eq(admin.exists(name), 0, "lock key after release")
    check(b.acquire(), "acquire after release")
    b.release()


def expired_lock():
    name = P + "exp"
    a = client().lock(name, timeout=0.5)
    b = client().lock(name, timeout=5, blocking=False)
    check(a.acquire(), "acquire")
    eq(b.acquire(), False, "acquire by another while held")
    time.sleep(0.6)
    eq(admin.exists(name), 0, "lock key after its expiry")
    check(b.acquire(), "acquire of the expired lock")
    # release last: it forgets the token even when the server refuses.
    for what, op in (("extend", lambda: a.extend(1)), ("reacquire", a.reacquire), ("release", a.release)):
        try:
            op()
        except LockNotOwnedError:
            pass
        except LockError as err:
            raise AssertionError(f"{what} by the old owner: {err!r}, want LockNotOwnedError") from err
        else:
            raise AssertionError(f"{what} by the old owner of an expired lock succeeded")
    check(b.owned(), "the new owner after the old owner's attempts")
    check(admin.pttl(name) > 4000, f"PTTL of the new owner's lock after the old owner's attempts: {admin.pttl(name)}")
    b.release()
    eq(admin.exists(name), 0, "lock key after release")


def script_flush():
    name = P + "flush"
    eq(admin.script_flush(), True, "SCRIPT FLUSH")
    # redis-py answers NOSCRIPT with SCRIPT LOAD and runs EVALSHA again.
    lock = client().lock(name, timeout=5)
    check(lock.acquire(blocking=False), "acquire after SCRIPT FLUSH")
    lock.release()
    eq(admin.exists(name), 0, "lock key after a release run after SCRIPT FLUSH")


CHECKS = [
    ("5 threads x 8 rounds on one lock never overlap", mutual_exclusion),
    ("extend and reacquire keep the lock", extend_and_reacquire),
    ("an expired lock can be taken; its old owner cannot release or extend it", expired_lock),
    ("release works again after SCRIPT FLUSH", script_flush),
]


def main():
    started = time.time()
    passed = True
    for name, fn in CHECKS:
        try:
            fn()
        except Exception:  # any failure ends the run with its trace
            print(f"FAIL: {name}", flush=True)
            traceback.print_exc(file=sys.stdout)
            passed = False
            break
        print(f"ok: {name}", flush=True)
    try:
        keys = admin.keys(P + "*")
        if keys:
            admin.delete(*keys)
        for c in clients:
            c.close()
    except Exception as err:
        print(f"cleanup: {err}", flush=True)
    if passed:
        print(f"redis-py {redis.__version__} Lock: {len(CHECKS)} checks passed in {time.time() - started:.1f} s", flush=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
