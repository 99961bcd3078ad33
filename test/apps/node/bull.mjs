// Bull (v4, lists-based job queue; its Lua scripts use cmsgpack, cjson and
// PUBLISH) on one server: jobs with options run once with the right results,
// retries with backoff happen, failures are recorded, priorities order the
// work, delays hold, locks are renewed, events arrive, and obliterate leaves
// no key behind.
// Usage: node bull.mjs [HOST PORT | HOST:PORT]
import { createRequire } from 'node:module';
import Queue from 'bull';
import Redis from 'ioredis';
import { HOST, PORT, RUN, eq, ok, sleep, run, logErrors } from './common.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('bull/package.json').version;
const PREFIX = `gapp:bull:${RUN}`;
console.log(`bull ${VERSION} against ${HOST}:${PORT}`);

const redis = { host: HOST, port: PORT };
const queues = [];
function queue(name, settings = {}) {
  const q = logErrors(new Queue(name, { redis, prefix: PREFIX, settings }), `queue ${name}`);
  queues.push(q);
  return q;
}
const admin = logErrors(new Redis({ host: HOST, port: PORT, retryStrategy: () => null }), 'admin');

// Short locks and a frequent stalled-job check: a lock that is not renewed
// (extendLock script) shows up as a job run twice.
const main = queue('main', { lockDuration: 2000, lockRenewTime: 500, stalledInterval: 1000 });
const calls = new Map(); // job id -> times the processor ran it
const failedEvents = new Map(); // job id -> failures seen by the 'failed' event
const stalled = [];
const globalCompleted = new Map(); // job id -> result, from the pub/sub event
const globalProgress = new Map();
main.on('failed', (job) => failedEvents.set(job.id, (failedEvents.get(job.id) ?? 0) + 1));
main.on('stalled', (job) => stalled.push(job.id));
main.on('global:completed', (id, result) => globalCompleted.set(String(id), JSON.parse(result)));
main.on('global:progress', (id, progress) => globalProgress.set(String(id), progress));

main.process(3, async (job) => {
  const n = (calls.get(job.id) ?? 0) + 1;
  calls.set(job.id, n);
  const d = job.data;
  switch (d.kind) {
    case 'sum':
      return { sum: d.a + d.b, id: d.i };
    case 'flaky':
      if (n < 3) throw new Error(`flaky failure ${n}`);
      return `ok on attempt ${n}`;
    case 'broken':
      throw new Error('always broken');
    case 'progress':
      await job.progress(42);
      return 'progressed';
    case 'slow':
      await sleep(d.ms);
      return 'slow done';
    default:
      throw new Error(`unknown kind ${d.kind}`);
  }
});

const sumJobs = [];
async function jobsWithResults() {
  const added = [];
  for (let i = 0; i < 20; i++) {
    const opts = {};
    if (i % 5 === 1) opts.priority = 1 + (i % 3);
    if (i % 7 === 3) opts.delay = 300;
    if (i === 4) opts.lifo = true;
    if (i === 8) opts.jobId = `custom-${RUN}`;
    added.push(main.add({ kind: 'sum', a: i, b: i * 10, i }, opts).then((job) => ({ job, opts, i })));
  }
  sumJobs.push(...(await Promise.all(added)));
  eq(sumJobs.find((s) => s.i === 8).job.id, `custom-${RUN}`, 'custom job id');
  const results = await Promise.all(sumJobs.map((s) => s.job.finished()));
  results.forEach((r, k) => eq(r, { sum: 11 * sumJobs[k].i, id: sumJobs[k].i }, `result of job ${sumJobs[k].i}`));
  for (const { job, opts, i } of sumJobs) {
    const stored = await main.getJob(job.id);
    ok(stored, `job ${i} not found after completion`);
    eq(stored.returnvalue, { sum: 11 * i, id: i }, `stored return value of job ${i}`);
    eq(await stored.getState(), 'completed', `state of job ${i}`);
    eq(calls.get(job.id), 1, `times job ${i} ran`);
    ok(stored.finishedOn >= stored.processedOn, `job ${i}: finishedOn ${stored.finishedOn} < processedOn ${stored.processedOn}`);
    if (opts.delay) {
      ok(stored.processedOn - stored.timestamp >= opts.delay,
        `delayed job ${i} ran ${stored.processedOn - stored.timestamp} ms after it was added, before its ${opts.delay} ms delay`);
    }
    if (opts.priority) eq(stored.opts.priority, opts.priority, `priority kept on job ${i}`);
  }
}

async function retriesWithBackoff() {
  const job = await main.add({ kind: 'flaky' }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  const t0 = Date.now();
  eq(await job.finished(), 'ok on attempt 3', 'flaky job result');
  eq(calls.get(job.id), 3, 'times the flaky job ran');
  eq(failedEvents.get(job.id), 2, "'failed' events of the flaky job");
  ok(Date.now() - t0 >= 200, `two 100 ms backoffs took only ${Date.now() - t0} ms`);
  const stored = await main.getJob(job.id);
  eq(stored.attemptsMade, 2, 'attemptsMade of the flaky job (failed attempts)');
  eq(stored.stacktrace.length, 2, 'stack traces kept for the flaky job');
  ok(stored.stacktrace[0].includes('flaky failure 1'), `first stack trace: ${stored.stacktrace[0]}`);
  eq(await stored.getState(), 'completed', 'state of the flaky job');
}

async function permanentFailure() {
  const job = await main.add({ kind: 'broken' }, { attempts: 2 });
  let err;
  try {
    await job.finished();
  } catch (e) {
    err = e;
  }
  ok(err && /always broken/.test(err.message), `finished() of the broken job: ${err ? err.message : 'resolved'}`);
  eq(calls.get(job.id), 2, 'times the broken job ran');
  const stored = await main.getJob(job.id);
  eq(await stored.getState(), 'failed', 'state of the broken job');
  eq(stored.failedReason, 'always broken', 'failedReason');
  eq(stored.attemptsMade, 2, 'attemptsMade of the broken job');
  eq((await main.getFailed()).map((j) => j.id), [job.id], 'getFailed');
}

async function progressAndRemoval() {
  const job = await main.add({ kind: 'progress' });
  eq(await job.finished(), 'progressed', 'progress job result');
  eq((await main.getJob(job.id)).progress(), 42, 'stored progress');
  const gone = await main.add({ kind: 'sum', a: 1, b: 2, i: -1 }, { removeOnComplete: true });
  eq(await gone.finished(), { sum: 3, id: -1 }, 'result of the removeOnComplete job');
  // finished() resolves on the completion event; the removal is in the same script.
  eq(await main.getJob(gone.id), null, 'job with removeOnComplete after completion');
}

async function lockRenewal() {
  const job = await main.add({ kind: 'slow', ms: 3000 });
  eq(await job.finished(), 'slow done', 'slow job result');
  eq(calls.get(job.id), 1, 'times the slow job ran (a lost lock makes it run twice)');
  eq(stalled, [], 'stalled jobs');
}

async function globalEvents() {
  // Each completion is published from the moveToFinished script.
  const deadline = Date.now() + 3000;
  const completed = (await main.getCompleted(0, -1)).map((j) => j.id);
  while (Date.now() < deadline && completed.some((id) => !globalCompleted.has(String(id)))) await sleep(50);
  for (const { job, i } of sumJobs) {
    eq(globalCompleted.get(String(job.id)), { sum: 11 * i, id: i }, `global:completed result of job ${i}`);
  }
  const missing = completed.filter((id) => !globalCompleted.has(String(id)));
  eq(missing, [], 'completed jobs with no global:completed event');
  const prog = [...globalProgress.values()];
  eq(prog, [42], 'global:progress events');
}

async function counts() {
  const c = await main.getJobCounts();
  // 20 sums + flaky + progress + slow; the removeOnComplete job is gone.
  eq(c, { waiting: 0, active: 0, completed: 23, failed: 1, delayed: 0, paused: 0 }, 'job counts');
}

async function priorityOrder() {
  const q = queue('prio');
  const prios = [3, 1, 2, 1, 3, 2, 1, 3];
  const jobs = [];
  for (const [k, p] of prios.entries()) jobs.push(await q.add({ k }, { priority: p }));
  const order = [];
  const done = new Promise((resolve) => {
    q.process(1, async (job) => {
      order.push(job.data.k);
      if (order.length === prios.length) resolve();
      return job.data.k;
    });
  });
  await done;
  const want = [...prios.keys()].sort((x, y) => prios[x] - prios[y] || x - y);
  eq(order, want, 'processing order by priority, then insertion');
  await Promise.all(jobs.map((j) => j.finished()));
}

async function pauseResume() {
  const q = queue('pause');
  let ran = 0;
  q.process(async () => ++ran);
  await q.pause();
  const job = await q.add({});
  await sleep(300);
  eq(ran, 0, 'jobs run while the queue is paused');
  eq(await q.getJobCounts(), { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 1 }, 'counts while paused');
  await q.resume();
  eq(await job.finished(), 1, 'job result after resume');
}

async function obliterate() {
  for (const q of queues) {
    await q.pause(true);
    await q.obliterate({ force: true });
  }
  // The periodic stalled-jobs check may set its marker (PSETEX) again until
  // the queue closes: that one may stay, with its expiry.
  await Promise.all(queues.map((q) => q.close()));
  const left = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    left.push(...keys);
  } while (cursor !== '0');
  for (const k of left.filter((k) => k.endsWith(':stalled-check'))) {
    const ttl = await admin.pttl(k);
    ok(ttl > 0, `${k} left with PTTL ${ttl}`);
  }
  eq(left.filter((k) => !k.endsWith(':stalled-check')).sort(), [], 'keys left after obliterate');
}

await run(`bull ${VERSION}`, [
  ['jobs with options complete once with the right results', jobsWithResults],
  ['a job failing twice is retried with backoff and succeeds on attempt 3', retriesWithBackoff],
  ['a job failing every attempt ends failed with its reason', permanentFailure],
  ['progress is stored; removeOnComplete removes the job', progressAndRemoval],
  ['a job longer than its lock keeps the lock and runs once', lockRenewal],
  ['global events report every completion with its result', globalEvents],
  ['job counts', counts],
  ['priorities order the work', priorityOrder],
  ['a paused queue holds its jobs until resumed', pauseResume],
  ['obliterate removes every key of the queues', obliterate],
], async () => {
  await Promise.all(queues.map((q) => q.close()));
  admin.disconnect();
});
