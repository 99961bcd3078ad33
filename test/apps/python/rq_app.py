"""rq (Debian's python3-rq) on one server, run as its users run it: jobs are
enqueued by this program and worked by `rq worker --burst --with-scheduler`
processes (the rq command line; each job runs in a forked work horse). The
jobs: results kept for a result_ttl (and one not kept), a job that fails
twice then succeeds under Retry(max=2), one that fails every attempt and ends
in the failed job registry, one retried after an interval by the scheduler,
jobs that depend on others (one on a failed job, left deferred, and one that
allows the failure), a job scheduled with enqueue_in, one killed past its
job_timeout, jobs enqueued with enqueue_many and a canceled job. rq moves jobs
between its registries in MULTI/EXEC transactions under WATCH, and stores
results in a stream (XADD, XREVRANGE).

Usage: python3 rq_app.py [HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
Prints the library versions first, "ok: <check>" lines, and exits 1 at the
first failed check.
"""
import os
import subprocess
import sys
import time
import traceback
import uuid
from datetime import datetime, timedelta, timezone

import redis
import rq
from rq import Queue, Retry
from rq.job import Dependency, Job, JobStatus
from rq.registry import (CanceledJobRegistry, DeferredJobRegistry, FailedJobRegistry, FinishedJobRegistry,
                         ScheduledJobRegistry, StartedJobRegistry)

# The worker imports the jobs by this module's name (--path is its folder).
import rq_app as jobs
from apputil import check, eq, where


# Jobs find their counters through the queue name they run in.
COUNTERS = "gapp:rq:attempts:"


def counter(name):
    from rq import get_current_job
    job = get_current_job()
    return job.connection.hincrby(COUNTERS + job.origin, name, 1)


def add(x, y):
    counter("add")
    return x + y


def total(*ids):
    """Sums the results of the jobs it depends on."""
    from rq import get_current_job
    job = get_current_job()
    return sum(Job.fetch(i, connection=job.connection).return_value() for i in ids)


def flaky():
    n = counter("flaky")
    if n < 3:
        raise RuntimeError(f"flaky failure {n}")
    return {"attempt": n}


def broken():
    counter("broken")
    raise ValueError("always broken")


def slow_flaky():
    n = counter("slow_flaky")
    if n < 2:
        raise RuntimeError("fails once, retried after an interval")
    return n


def sleeper(seconds):
    time.sleep(seconds)


def stamp():
    return time.time()


def after_failure():
    return "ran although its dependency failed"


class App:
    def __init__(self, host, port):
        self.url = f"redis://{host}:{port}/0"
        self.r = redis.Redis(host=host, port=port)
        self.name = f"gapp-rq-{uuid.uuid4().hex[:8]}"
        self.q = Queue(self.name, connection=self.r)
        self.jobs = {}
        self.workers = 0

    def worker(self):
        """One `rq worker --burst --with-scheduler` run; its log is shown only when it fails."""
        self.workers += 1
        t0 = time.time()
        here = os.path.dirname(os.path.abspath(__file__))
        out = subprocess.run(
            [sys.executable, "-m", "rq.cli", "worker", "--burst", "--with-scheduler", "--url", self.url, "--path", here,
             "--name", f"{self.name}-w{self.workers}", "--logging_level", "WARNING", self.name],
            capture_output=True, text=True, timeout=30)
        print(f"worker {self.workers}: done in {time.time() - t0:.1f} s", flush=True)
        if out.returncode != 0:
            raise AssertionError(f"rq worker exited {out.returncode}:\n{out.stdout}{out.stderr}")

    def enqueue(self):
        j = self.jobs
        j["add"] = self.q.enqueue(jobs.add, 2, 3, result_ttl=60)
        j["add_untracked"] = self.q.enqueue(jobs.add, 1, 1, result_ttl=0)
        j["flaky"] = self.q.enqueue(jobs.flaky, retry=Retry(max=2))
        j["broken"] = self.q.enqueue(jobs.broken, retry=Retry(max=2), failure_ttl=300)
        j["slow_flaky"] = self.q.enqueue(jobs.slow_flaky, retry=Retry(max=1, interval=1))
        j["add2"] = self.q.enqueue(jobs.add, 10, 20)
        j["total"] = self.q.enqueue(jobs.total, j["add"].id, j["add2"].id, depends_on=[j["add"], j["add2"], j["flaky"]])
        j["orphan"] = self.q.enqueue(jobs.add, 0, 0, depends_on=j["broken"])
        j["allowed"] = self.q.enqueue(jobs.after_failure,
                                      depends_on=Dependency(jobs=[j["broken"]], allow_failure=True))
        j["slow"] = self.q.enqueue(jobs.sleeper, 10, job_timeout=1)
        j["many1"], j["many2"] = self.q.enqueue_many([Queue.prepare_data(jobs.add, (100, 1)),
                                                      Queue.prepare_data(jobs.add, (200, 2))])
        j["canceled"] = self.q.enqueue(jobs.add, 7, 7)
        j["canceled"].cancel()
        eq(CanceledJobRegistry(queue=self.q).get_job_ids(), [j["canceled"].id], "canceled jobs")
        self.stamp_due = datetime.now(timezone.utc) + timedelta(seconds=2)
        j["stamp"] = self.q.enqueue_in(timedelta(seconds=2), jobs.stamp)
        eq(self.q.count, 9, "jobs queued before the worker runs")
        deferred = DeferredJobRegistry(queue=self.q)
        eq(sorted(deferred.get_job_ids()), sorted(j[k].id for k in ("total", "orphan", "allowed")), "deferred jobs")
        eq(ScheduledJobRegistry(queue=self.q).get_job_ids(), [j["stamp"].id], "scheduled jobs")
        eq(j["stamp"].get_status(), JobStatus.SCHEDULED, "status of the enqueue_in job")

    def first_burst(self):
        self.worker()
        j = self.jobs
        eq(j["add"].return_value(refresh=True), 5, "add(2, 3)")
        eq(j["add"].get_status(), JobStatus.FINISHED, "status of add(2, 3)")
        check(0 < self.r.ttl(j["add"].key) <= 60, f"TTL of a job kept for result_ttl=60: {self.r.ttl(j['add'].key)}")
        check(j["add"].id in FinishedJobRegistry(queue=self.q), "add(2, 3) not in the finished job registry")
        eq(self.r.exists(j["add_untracked"].key), 0, "job key of a result_ttl=0 job after it ran")
        eq([j[k].return_value(refresh=True) for k in ("many1", "many2")], [101, 202], "jobs enqueued with enqueue_many")
        canceled = Job.fetch(j["canceled"].id, connection=self.r)
        eq((canceled.get_status(), canceled.return_value()), (JobStatus.CANCELED, None), "a canceled job after the worker ran")

    def retried(self):
        j = self.jobs
        flaky = Job.fetch(j["flaky"].id, connection=self.r)
        eq(flaky.get_status(), JobStatus.FINISHED, "status of the flaky job")
        eq(flaky.return_value(), {"attempt": 3}, "flaky job result")
        eq(flaky.retries_left, 0, "retries left to the flaky job")
        latest = flaky.latest_result()
        eq(latest and latest.type, latest.Type.SUCCESSFUL, "type of the flaky job's latest result")

    def failed(self):
        j = self.jobs
        broken = Job.fetch(j["broken"].id, connection=self.r)
        eq(broken.get_status(), JobStatus.FAILED, "status of the broken job")
        eq(self.r.hget(COUNTERS + self.name, "broken"), b"3", "times the broken job ran (Retry(max=2))")
        registry = FailedJobRegistry(queue=self.q)
        eq(sorted(registry.get_job_ids()), sorted([broken.id, j["slow"].id]), "failed job registry")
        slow = Job.fetch(j["slow"].id, connection=self.r)
        check("JobTimeoutException" in (slow.exc_info or ""), f"the job past its job_timeout=1 failed with {slow.exc_info!r}")
        check(0 < registry.get_expiration_time(broken).timestamp() - time.time() <= 300,
              "the failed job is kept for failure_ttl=300")
        latest = broken.latest_result()
        check(latest is not None and latest.type == latest.Type.FAILED and "always broken" in latest.exc_string,
              f"latest result of the broken job: {latest and latest.exc_string!r}")

    def dependencies(self):
        j = self.jobs
        got = Job.fetch(j["total"].id, connection=self.r)
        eq(got.get_status(), JobStatus.FINISHED, "status of the job depending on two adds and flaky")
        eq(got.return_value(), 5 + 30, "sum of the results of the jobs it depends on")
        eq(Job.fetch(j["allowed"].id, connection=self.r).return_value(), "ran although its dependency failed",
           "a job allowing its dependency's failure")
        orphan = Job.fetch(j["orphan"].id, connection=self.r)
        eq(orphan.get_status(), JobStatus.DEFERRED, "status of a job depending on a failed job")
        eq(DeferredJobRegistry(queue=self.q).get_job_ids(), [orphan.id], "deferred jobs after the worker ran")

    def second_burst(self):
        j = self.jobs
        slow = Job.fetch(j["slow_flaky"].id, connection=self.r)
        eq(slow.get_status(), JobStatus.SCHEDULED, "a job retried after an interval waits, scheduled")
        scheduled = ScheduledJobRegistry(queue=self.q)
        # A burst worker's scheduler enqueues the jobs due when it starts: the
        # enqueue_in job too if that worker took over 2 s to start.
        stamp_status = j["stamp"].get_status()
        want = sorted([j["stamp"].id, slow.id]) if stamp_status == JobStatus.SCHEDULED else [slow.id]
        eq(sorted(scheduled.get_job_ids()), want, f"scheduled jobs after the first worker (enqueue_in job {stamp_status})")
        # Both are due in whole seconds: the scheduler enqueues them once due.
        due = max(self.stamp_due.timestamp(), scheduled.get_expiration_time(slow).timestamp()) + 0.05
        time.sleep(max(0.0, due - time.time()))
        self.worker()
        eq(Job.fetch(slow.id, connection=self.r).return_value(), 2, "the job retried after an interval")
        ran = Job.fetch(j["stamp"].id, connection=self.r).return_value()
        check(ran is not None and ran >= int(self.stamp_due.timestamp()),
              f"the enqueue_in(2 s) job ran at {ran}, due {self.stamp_due.timestamp():.3f}")
        eq(scheduled.get_job_ids(), [], "scheduled jobs after the second worker")

    def drained(self):
        eq(self.q.count, 0, "jobs left in the queue")
        eq(StartedJobRegistry(queue=self.q).get_job_ids(), [], "started jobs")
        eq(len(FinishedJobRegistry(queue=self.q)), 9, "finished jobs (4 adds, flaky, slow_flaky, total, allowed, stamp)")
        eq(rq.Worker.all(queue=self.q), [], "workers registered after they stopped")
        counts = {k.decode(): int(v) for k, v in self.r.hgetall(COUNTERS + self.name).items()}
        eq(counts, {"add": 5, "flaky": 3, "broken": 3, "slow_flaky": 2}, "job attempts")

    def cleanup(self):
        for job in self.jobs.values():
            job.delete(remove_from_queue=True, delete_dependents=True)
            self.r.delete(f"rq:results:{job.id}")
        self.q.delete(delete_jobs=True)
        self.r.delete(COUNTERS + self.name)


def attempt(name, fn):
    try:
        fn()
    except Exception:
        print(f"FAIL: {name}", flush=True)
        traceback.print_exc(file=sys.stdout)
        return False
    print(f"ok: {name}", flush=True)
    return True


def main():
    # Only here: the worker imports this module with its own command line.
    host, port = where()
    print(f"rq {rq.__version__} redis-py {redis.__version__} against {host}:{port}", flush=True)
    started = time.time()
    app = App(host, port)
    checks = [
        ("jobs enqueued: deferred on dependencies, one scheduled with enqueue_in", app.enqueue),
        ("a burst worker runs the jobs; a result kept for result_ttl, one not kept, a canceled job not run", app.first_burst),
        ("a job failing twice succeeds on its last Retry(max=2)", app.retried),
        ("a job failing every attempt and one past its timeout end in the failed job registry", app.failed),
        ("dependents run after their dependencies; one on a failed job stays deferred", app.dependencies),
        ("the worker's scheduler enqueues a retry after its interval and an enqueue_in job", app.second_burst),
        ("queue and registries drained, workers unregistered", app.drained),
    ]
    passed = all(attempt(name, fn) for name, fn in checks)
    try:
        app.cleanup()
    except Exception as err:
        print(f"cleanup: {err}", flush=True)
    if passed:
        print(f"rq {rq.__version__}: {len(checks)} checks passed in {time.time() - started:.1f} s", flush=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
