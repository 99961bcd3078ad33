"""Celery (Debian's python3-celery, with kombu's redis transport as broker and
the redis result backend) on one server: an in-process worker runs tasks
whose results are read back from the backend; a group, a chord, a countdown,
a task that retries twice then succeeds, and one that fails every attempt.
kombu guards the restore of unacknowledged messages with a redis-py Lock,
released by a Lua script (EVALSHA).

Usage: python3 celery_app.py [HOST PORT | HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
Prints "ok: <check>" lines and exits 1 at the first failed check.
"""
import logging
import os
import sys
import subprocess
import threading
import time
import traceback
import uuid

import celery
import kombu
import redis
from celery import Celery, chord, group
from celery.contrib.testing.worker import start_worker
from apputil import check, eq, where


CRASH_FLAG = "--take-and-crash"
HOST, PORT = where(skip=(CRASH_FLAG,))
# The crashing consumer is a child process that must use the parent's queue.
RUN = os.environ.get("GAPP_CELERY_RUN") or uuid.uuid4().hex[:8]
QUEUE = f"gapp-celery-{RUN}"
URL = f"redis://{HOST}:{PORT}/0"
if CRASH_FLAG not in sys.argv:
    print(f"celery {celery.__version__} kombu {kombu.__version__} redis-py {redis.__version__} against {HOST}:{PORT}", flush=True)

app = Celery("geomys_app", broker=URL, backend=URL)
app.conf.update(
    task_default_queue=QUEUE,
    result_expires=600,
    worker_hijack_root_logger=False,
    broker_connection_retry=False,
    redis_backend_health_check_interval=None,
    # A message unacknowledged for 1 s is restored when a worker starts.
    broker_transport_options={"visibility_timeout": 1},
)
r = redis.Redis(host=HOST, port=PORT)
attempts_key = f"gapp:celery:{RUN}:attempts"


@app.task
def add(x, y):
    return x + y


@app.task
def tsum(values):
    return sum(values)


@app.task(bind=True, max_retries=3)
def flaky(self):
    # The attempt counter lives in the server, as a real task's side effect would.
    n = r.hincrby(attempts_key, "flaky", 1)
    if n < 3:
        raise self.retry(exc=RuntimeError(f"flaky failure {n}"), countdown=0.2)
    return {"attempt": n, "retries": self.request.retries}


@app.task(bind=True, autoretry_for=(ValueError,), max_retries=1, default_retry_delay=0.1)
def broken(self):
    r.hincrby(attempts_key, "broken", 1)
    raise ValueError("always broken")


@app.task
def stamp():
    return time.time()


results = []


def track(res):
    results.append(res)
    return res


def simple_result():
    res = track(add.delay(2, 3))
    eq(res.get(timeout=10), 5, "add(2, 3)")
    eq(res.state, "SUCCESS", "state of add(2, 3)")
    # The result is stored in the backend, not only pushed to the waiting client.
    fresh = app.AsyncResult(res.id)
    eq(fresh.result, 5, "add(2, 3) read back by id")
    check(r.exists(f"celery-task-meta-{res.id}") == 1, "no celery-task-meta key for add(2, 3)")
    check(0 < r.ttl(f"celery-task-meta-{res.id}") <= 600, "the result has no expiry (result_expires=600)")


def group_results():
    res = group(add.s(i, i * 10) for i in range(10)).apply_async()
    for child in res.results:
        track(child)
    eq(res.get(timeout=15), [11 * i for i in range(10)], "group of 10 adds")


def chord_result():
    res = track(chord(add.s(i, i) for i in range(5))(tsum.s()))
    eq(res.get(timeout=15), 20, "chord sum of 2i for i < 5")


def countdown():
    sent = time.time()
    res = track(stamp.apply_async(countdown=0.5))
    ran = res.get(timeout=10)
    check(ran - sent >= 0.5, f"a task with countdown 0.5 s ran {ran - sent:.3f} s after it was sent")


def retries():
    res = track(flaky.delay())
    eq(res.get(timeout=15), {"attempt": 3, "retries": 2}, "flaky task result")
    eq(r.hget(attempts_key, "flaky"), b"3", "times the flaky task ran")


def permanent_failure():
    res = track(broken.delay())
    try:
        res.get(timeout=15)
    except ValueError as err:
        eq(str(err), "always broken", "error of the broken task")
    else:
        raise AssertionError("the broken task succeeded")
    eq(res.state, "FAILURE", "state of the broken task")
    eq(r.hget(attempts_key, "broken"), b"2", "times the broken task ran (max_retries=1)")


def queue_drained():
    eq(r.llen(QUEUE), 0, "messages left in the queue")
    # The worker acknowledges a message just after it stores the result.
    deadline = time.time() + 5
    while r.zcard("unacked_index") and time.time() < deadline:
        time.sleep(0.05)
    eq(r.zcard("unacked_index"), 0, "unacknowledged messages")
    eq(r.hlen("unacked"), 0, "unacknowledged message bodies")


def take_and_crash():
    """In the child: take one message without acknowledging it, then die."""
    with app.connection_for_read() as conn:
        msg = conn.default_channel.basic_get(QUEUE, no_ack=False)
        print("took" if msg is not None else "empty", flush=True)
        os._exit(0)  # no close: a clean close would put the message back at once


crashed = []


def crash_a_consumer():
    """Before the worker starts: a consumer takes add(40, 2) and dies."""
    crashed.append(track(add.delay(40, 2)))
    out = subprocess.run([sys.executable, __file__, CRASH_FLAG, f"{HOST}:{PORT}"], capture_output=True,
                         text=True, timeout=20, env={**os.environ, "GAPP_CELERY_RUN": RUN})
    eq((out.returncode, out.stdout.strip()), (0, "took"), f"crashing consumer (stderr: {out.stderr.strip()})")
    eq((r.llen(QUEUE), r.hlen("unacked")), (0, 1), "queue length and unacknowledged messages after the crash")
    time.sleep(1.2)  # past the visibility timeout


def redelivered():
    eq(crashed[0].get(timeout=10), 42, "add(40, 2) taken by the crashed consumer")
    # The restore ran under the Mutex; its release is the Lua script.
    eq(r.exists("unacked_mutex"), 0, "unacked_mutex left held after the restore")


CHECKS = [
    ("a task taken by a crashed consumer is restored and run", redelivered),
    ("a task's result comes back from the result backend", simple_result),
    ("a group of 10 tasks", group_results),
    ("a chord runs its callback on the header's results", chord_result),
    ("a countdown delays the task", countdown),
    ("a task retried twice succeeds on attempt 3", retries),
    ("a task failing every attempt ends in FAILURE", permanent_failure),
    ("nothing left in the queue", queue_drained),
]


class WorkerDied(logging.Handler):
    """Ends the run when the worker logs an unrecoverable error: the worker's
    thread is gone then, and waiting for results would only time out."""

    def emit(self, record):
        try:
            print(f"FAIL: the worker stopped: {record.getMessage()}", flush=True)
            if record.exc_info:
                traceback.print_exception(*record.exc_info, file=sys.stdout)
            sys.stdout.flush()
        finally:
            os._exit(1)


def watchdog(seconds):
    def expire():
        try:
            print(f"FAIL: not done within {seconds} s", flush=True)
        finally:
            os._exit(1)

    t = threading.Timer(seconds, expire)
    t.daemon = True
    t.start()


def attempt(name, fn):
    try:
        fn()
    except Exception:  # any failure ends the run with its trace
        print(f"FAIL: {name}", flush=True)
        traceback.print_exc(file=sys.stdout)
        return False
    print(f"ok: {name}", flush=True)
    return True


def main():
    logging.basicConfig(level=logging.WARNING)
    # The broken task's expected failure would be logged with its trace.
    logging.getLogger("celery.app.trace").setLevel(logging.CRITICAL)
    died = WorkerDied(logging.CRITICAL)
    logging.getLogger("celery.worker").addHandler(died)
    logging.getLogger("celery.bootsteps").addHandler(died)
    watchdog(45)
    started = time.time()
    passed = False
    try:
        if attempt("a consumer takes a message and crashes before acknowledging it", crash_a_consumer):
            with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False,
                              loglevel="WARNING", shutdown_timeout=10):
                passed = all(attempt(name, fn) for name, fn in CHECKS)
    except Exception:
        print("FAIL: the worker", flush=True)
        traceback.print_exc(file=sys.stdout)
        passed = False
    try:
        for res in results:
            res.forget()
        r.delete(attempts_key, QUEUE)
        r.close()
    except Exception as err:
        print(f"cleanup: {err}", flush=True)
    if passed:
        print(f"celery {celery.__version__}: {len(CHECKS) + 1} checks passed in {time.time() - started:.1f} s", flush=True)
    sys.stdout.flush()
    # Threads of the worker or of the result consumer must not hold the exit.
    os._exit(0 if passed else 1)


if __name__ == "__main__":
    if CRASH_FLAG in sys.argv:
        take_and_crash()
    main()
