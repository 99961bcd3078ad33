// bee-queue (on node_redis v3) on one server, as its users run it: a
// producer queue creating jobs and workers processing them. bee-queue adds
// jobs with Lua scripts (addJob, addDelayedJob), takes them with BRPOPLPUSH
// from the waiting to the active list, finishes them in a MULTI that also
// PUBLISHes the outcome to the producer, raises delayed jobs with a script
// over a sorted set and finds stalled jobs with another.
// Checks: 30 jobs on 3 workers give their results back by pub/sub; a job
// that fails twice succeeds on its third try (retries with backoff through
// the delayed set); one that always fails ends failed with its error; a
// delayed job runs no earlier than asked; progress reaches the producer; a
// job longer than its timeout fails; a job whose worker was killed mid-way
// is found stalled and run by another worker; saveAll, getJobs, removeJob
// and checkHealth agree.
// Usage: node bee_queue.mjs [HOST PORT | HOST:PORT]
//        node bee_queue.mjs --hang HOST:PORT QUEUE  (a worker that never finishes)
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Queue from 'bee-queue';
import { HOST, PORT, RUN, eq, ok, sleep, run } from './common.mjs';

const VERSION = JSON.parse(readFileSync(new URL('./node_modules/bee-queue/package.json', import.meta.url))).version;
const REDIS3 = JSON.parse(readFileSync(new URL('./node_modules/bee-queue/node_modules/redis/package.json', import.meta.url))).version;

if (process.argv[2] === '--hang') {
  // A worker process that takes one job and then hangs inside it until killed.
  // It goes when its parent does (its stdin closes), or after 30 s at most.
  process.stdin.on('close', () => process.exit(1));
  process.stdin.resume();
  setTimeout(() => process.exit(1), 30000);
  const [host, port] = process.argv[3].split(':');
  const q = new Queue(process.argv[4], { redis: { host, port: Number(port) }, prefix: 'gapp:bq', stallInterval: 1000 });
  q.on('error', (err) => console.log(`hanging worker error: ${err.message}`));
  q.process(async () => {
    console.log('taken');
    await new Promise(() => {});
  });
  await q.ready();
} else {
  await main();
}

async function main() {
  console.log(`bee-queue ${VERSION} (redis ${REDIS3}) against ${HOST}:${PORT}`);
  const queues = [];
  const errors = [];
  // Every queue of a run has a name of its own; a check owns its queues.
  function queue(name, settings = {}) {
    const q = new Queue(`${name}-${RUN}`, { redis: { host: HOST, port: PORT }, prefix: 'gapp:bq', ...settings });
    q.on('error', (err) => errors.push(`${name}: ${err.message}`));
    queues.push(q);
    return q;
  }
  const withErrors = (fn) => async () => {
    try {
      await fn();
    } catch (err) {
      if (errors.length) err.message += `\nqueue errors: ${errors.join('; ')}`;
      throw err;
    }
    eq(errors, [], 'queue error events');
  };
  // Saves a job and gives its outcome as its producer sees it (pub/sub
  // events), listening before the save as a fast worker may finish first.
  async function submit(job) {
    const done = new Promise((resolve) => {
      job.on('succeeded', (result) => resolve({ ok: result }));
      job.on('failed', (err) => resolve({ err: err.message }));
    });
    await job.save();
    return { job, done };
  }

  async function results() {
    const producer = queue('sum', { isWorker: false });
    const workers = [0, 1, 2].map(() => queue('sum', { getEvents: false }));
    const ran = [0, 0, 0];
    workers.forEach((w, i) => w.process(2, async (job) => {
      ran[i]++;
      await sleep(5);
      return job.data.a + job.data.b;
    }));
    await Promise.all([producer, ...workers].map((q) => q.ready()));
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(producer.createJob({ a: i, b: 100 }))));
    const got = await Promise.all(jobs.map((j) => j.done));
    eq(got, jobs.map((_, i) => ({ ok: i + 100 })), 'results');
    eq(ran.reduce((a, b) => a + b), 30, 'jobs run');
    ok(ran.filter((n) => n > 0).length >= 2, `jobs per worker ${ran}: the workers did not share the queue`);
    const health = await producer.checkHealth();
    eq([health.waiting, health.active, health.succeeded, health.failed, health.delayed], [0, 0, 30, 0, 0], 'checkHealth');
    const page = await producer.getJobs('succeeded', { size: 100 });
    eq(page.map((j) => j.data.a).sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i), 'getJobs succeeded');
  }

  async function retries() {
    const producer = queue('retry', { isWorker: false });
    // Retries with a backoff delay go through the delayed set; this worker raises them.
    const worker = queue('retry', { getEvents: false, activateDelayedJobs: true });
    const attempts = new Map();
    worker.process(async (job) => {
      const n = (attempts.get(job.id) ?? 0) + 1;
      attempts.set(job.id, n);
      if (job.data.always || n <= 2) throw new Error(`attempt ${n} of ${job.data.name} failed`);
      return `${job.data.name} done on attempt ${n}`;
    });
    await Promise.all([producer.ready(), worker.ready()]);
    const retrying = [];
    producer.on('job retrying', (id, err) => retrying.push(err.message));
    const started = Date.now();
    const flaky = await submit(producer.createJob({ name: 'flaky' }).retries(2).backoff('fixed', 200));
    const doomed = await submit(producer.createJob({ name: 'doomed', always: true }).retries(1));
    const [a, b] = await Promise.all([flaky.done, doomed.done]);
    eq(a, { ok: 'flaky done on attempt 3' }, 'flaky job');
    eq(b, { err: 'attempt 2 of doomed failed' }, 'doomed job');
    ok(Date.now() - started >= 400, `two 200 ms backoffs took ${Date.now() - started} ms`);
    eq(retrying.sort(), ['attempt 1 of doomed failed', 'attempt 1 of flaky failed', 'attempt 2 of flaky failed'], 'retrying events');
    const stored = await producer.getJob(doomed.job.id);
    eq(stored.status, 'failed', 'stored status of the doomed job');
    eq(stored.options.stacktraces.length, 2, 'stack traces kept for the doomed job');
    const health = await producer.checkHealth();
    eq([health.succeeded, health.failed, health.delayed, health.waiting], [1, 1, 0, 0], 'checkHealth after retries');
  }

  async function delayed() {
    const producer = queue('delay', { isWorker: false });
    const worker = queue('delay', { getEvents: false, activateDelayedJobs: true });
    const ranAt = new Map();
    worker.process(async (job) => {
      ranAt.set(job.data.n, Date.now());
      return job.data.n;
    });
    await Promise.all([producer.ready(), worker.ready()]);
    const now = Date.now();
    const later = await submit(producer.createJob({ n: 'later' }).delayUntil(now + 1500));
    const sooner = await submit(producer.createJob({ n: 'sooner' }).delayUntil(now + 600));
    const right = await submit(producer.createJob({ n: 'now' }));
    const health = await producer.checkHealth();
    ok(health.delayed >= 1, `checkHealth right after saving: ${JSON.stringify(health)}`);
    await Promise.all([later, sooner, right].map((j) => j.done));
    ok(ranAt.get('sooner') >= now + 600, `600 ms delayed job ran after ${ranAt.get('sooner') - now} ms`);
    ok(ranAt.get('later') >= now + 1500, `1500 ms delayed job ran after ${ranAt.get('later') - now} ms`);
    ok(ranAt.get('now') < ranAt.get('sooner'), 'the undelayed job ran after a delayed one');
  }

  async function progressAndTimeout() {
    const producer = queue('prog', { isWorker: false });
    const worker = queue('prog', { getEvents: false });
    worker.process(async (job) => {
      if (job.data.slow) {
        await sleep(1000);
        return 'too late';
      }
      for (const p of [25, 50, 100]) {
        await job.reportProgress({ p });
        await sleep(20);
      }
      return 'done';
    });
    await Promise.all([producer.ready(), worker.ready()]);
    const job = producer.createJob({});
    const seen = [];
    job.on('progress', (p) => seen.push(p.p));
    eq(await (await submit(job)).done, { ok: 'done' }, 'progress job');
    eq(seen, [25, 50, 100], 'progress events');
    const slow = await submit(producer.createJob({ slow: true }).timeout(200));
    eq(await slow.done, { err: `Job ${slow.job.id} timed out (200 ms)` }, 'job past its timeout');
  }

  async function stalled() {
    const name = `stall-${RUN}`;
    const producer = queue('stall', { isWorker: false });
    await producer.ready();
    const hanging = spawn(process.execPath, [fileURLToPath(import.meta.url), '--hang', `${HOST}:${PORT}`, name], { stdio: ['pipe', 'pipe', 'inherit'] });
    const taken = new Promise((resolve, reject) => {
      hanging.stdout.on('data', (d) => String(d).includes('taken') && resolve());
      hanging.on('exit', (code) => reject(new Error(`hanging worker exited (${code}) before taking the job`)));
    });
    const { job, done } = await submit(producer.createJob({ v: 7 }));
    await taken;
    hanging.kill('SIGKILL');
    eq((await producer.checkHealth()).active, 1, 'active jobs after the worker was killed');
    // A new worker: its stalled-job check (every 500 ms) puts the job back in
    // waiting once no heartbeat kept it out of the stalling set.
    const rescuer = queue('stall', { getEvents: false, stallInterval: 1000 });
    const stalledIds = [];
    rescuer.on('stalled', (id) => stalledIds.push(id));
    rescuer.process(async (j) => j.data.v * 6);
    await rescuer.ready();
    rescuer.checkStalledJobs(500);
    eq(await done, { ok: 42 }, 'the stalled job rerun by another worker');
    eq(stalledIds, [job.id], 'stalled events');
  }

  async function bulkAndRemove() {
    const producer = queue('bulk', { isWorker: false });
    await producer.ready();
    const jobs = Array.from({ length: 40 }, (_, i) => producer.createJob({ i }));
    const failures = await producer.saveAll(jobs);
    eq(failures.size, 0, 'saveAll errors');
    ok(jobs.every((j) => j.id), 'saveAll left a job without an id');
    eq((await producer.checkHealth()).waiting, 40, 'waiting after saveAll');
    const waiting = await producer.getJobs('waiting', { start: 0, end: 99 });
    eq(waiting.length, 40, 'getJobs waiting');
    await Promise.all(jobs.slice(0, 10).map((j) => producer.removeJob(j.id)));
    eq((await producer.checkHealth()).waiting, 30, 'waiting after removing 10');
    eq(await producer.getJob(jobs[0].id), null, 'a removed job');
    const worker = queue('bulk', { getEvents: false, removeOnSuccess: true });
    let sum = 0;
    worker.process(5, async (job) => {
      sum += job.data.i;
      return null;
    });
    const deadline = Date.now() + 10000;
    while ((await producer.checkHealth()).waiting > 0 || (await producer.checkHealth()).active > 0) {
      ok(Date.now() < deadline, 'the 30 jobs left were not all worked within 10 s');
      await sleep(50);
    }
    eq(sum, Array.from({ length: 30 }, (_, i) => i + 10).reduce((a, b) => a + b), 'sum of the jobs worked');
    eq((await producer.checkHealth()).succeeded, 0, 'succeeded set with removeOnSuccess');
  }

  await run(`bee-queue ${VERSION}`, [
    ['30 jobs on 3 workers: results by pub/sub, checkHealth, getJobs', withErrors(results)],
    ['retries with backoff; a job failing every try ends failed', withErrors(retries)],
    ['delayed jobs run no earlier than asked', withErrors(delayed)],
    ['progress reaches the producer; a job past its timeout fails', withErrors(progressAndTimeout)],
    ['a job of a killed worker is found stalled and rerun', withErrors(stalled)],
    ['saveAll, getJobs, removeJob, removeOnSuccess', withErrors(bulkAndRemove)],
  ], async () => {
    for (const q of queues) await q.destroy().catch(() => {});
    await Promise.all(queues.map((q) => q.close(1000).catch(() => {})));
  });
}
