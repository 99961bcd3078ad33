// BullMQ (streams-based job queue: Lua scripts with cmsgpack, XADD with
// MAXLEN in its scripts, BZPOPMIN in the Worker, XREAD BLOCK in QueueEvents)
// on one server: jobs with options run once each with the right results under
// a concurrent worker, a job failing twice is retried with backoff, a job
// failing every attempt ends failed, delays hold, priorities order the work,
// QueueEvents reports every outcome, a flow's parent runs after its children
// with their values, counts are exact, a job outliving its lock keeps it,
// and obliterate leaves no key behind.
// Usage: node bullmq.mjs [HOST PORT | HOST:PORT]
import { createRequire } from 'node:module';
import { Queue, Worker, QueueEvents, FlowProducer } from 'bullmq';
import Redis from 'ioredis';
import { HOST, PORT, RUN, eq, ok, sleep, until, run, logErrors } from './common.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('bullmq/package.json').version;
const PREFIX = `gapp:bullmq:${RUN}`;
console.log(`bullmq ${VERSION} against ${HOST}:${PORT}`);

const connection = { host: HOST, port: PORT };
const opened = []; // every Queue, Worker, QueueEvents and FlowProducer, to close
function track(what, obj) {
  opened.push(logErrors(obj, what));
  return obj;
}
const admin = logErrors(new Redis({ host: HOST, port: PORT, retryStrategy: () => null }), 'admin');

const main = track('queue main', new Queue('main', { connection, prefix: PREFIX }));
// From the start of the (new) events stream, so no event is missed between
// the connection and the first XREAD BLOCK.
const events = track('events main', new QueueEvents('main', { connection, prefix: PREFIX, lastEventId: '0-0', blockingTimeout: 1000 }));
const completedEvents = new Map(); // job id -> [return values]
const failedEvents = new Map(); // job id -> [failed reasons]
const delayedEvents = new Map(); // job id -> times it was delayed
events.on('completed', ({ jobId, returnvalue }) => {
  completedEvents.set(jobId, [...(completedEvents.get(jobId) ?? []), returnvalue]);
});
events.on('delayed', ({ jobId }) => delayedEvents.set(jobId, (delayedEvents.get(jobId) ?? 0) + 1));
events.on('failed', ({ jobId, failedReason }) => {
  failedEvents.set(jobId, [...(failedEvents.get(jobId) ?? []), failedReason]);
});

const calls = new Map(); // job id -> start times of each run
let running = 0;
let maxRunning = 0;
const worker = track('worker main', new Worker('main', async (job) => {
  const starts = calls.get(job.id) ?? [];
  starts.push(Date.now());
  calls.set(job.id, starts);
  running++;
  maxRunning = Math.max(maxRunning, running);
  try {
    await sleep(50); // long enough for the runs to overlap
    const d = job.data;
    switch (d.kind) {
      case 'sum':
        return { sum: d.a + d.b, i: d.i };
      case 'flaky':
        if (starts.length < 3) throw new Error(`flaky failure ${starts.length}`);
        return `ok on attempt ${starts.length}`;
      case 'broken':
        throw new Error('always broken');
      default:
        throw new Error(`unknown kind ${d.kind}`);
    }
  } finally {
    running--;
  }
}, { connection, prefix: PREFIX, concurrency: 4 }));
const workerFailures = new Map(); // job id -> failed attempts seen by the worker
worker.on('failed', (job) => workerFailures.set(job.id, (workerFailures.get(job.id) ?? 0) + 1));

const N = 20;
const sums = []; // {job, opts, i}
let flaky;
let broken;

async function jobsWithOptions() {
  await events.waitUntilReady();
  const added = [];
  for (let i = 0; i < N; i++) {
    const opts = {};
    if (i % 4 === 1) opts.priority = 1 + (i % 3);
    if (i % 5 === 2) opts.delay = 400;
    if (i === 7) opts.jobId = `custom-${RUN}`;
    added.push(main.add('sum', { kind: 'sum', a: i, b: i * 10, i }, opts).then((job) => ({ job, opts, i })));
  }
  sums.push(...(await Promise.all(added)));
  flaky = await main.add('flaky', { kind: 'flaky' }, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
  broken = await main.add('broken', { kind: 'broken' }, { attempts: 2 });
  eq(sums.find((s) => s.i === 7).job.id, `custom-${RUN}`, 'custom job id');
  const results = await Promise.all(sums.map((s) => s.job.waitUntilFinished(events, 10000)));
  results.forEach((r, k) => eq(r, { sum: 11 * sums[k].i, i: sums[k].i }, `waitUntilFinished result of job ${sums[k].i}`));
  for (const { job, opts, i } of sums) {
    const stored = await main.getJob(job.id);
    ok(stored, `job ${i} not found after completion`);
    eq(stored.returnvalue, { sum: 11 * i, i }, `stored return value of job ${i}`);
    eq(await stored.getState(), 'completed', `state of job ${i}`);
    eq(calls.get(job.id)?.length, 1, `times job ${i} ran`);
    ok(stored.finishedOn >= stored.processedOn, `job ${i}: finishedOn ${stored.finishedOn} < processedOn ${stored.processedOn}`);
    if (opts.delay) {
      const early = calls.get(job.id)[0] - stored.timestamp;
      ok(early >= opts.delay, `delayed job ${i} ran ${early} ms after it was added, before its ${opts.delay} ms delay`);
    }
    if (opts.priority) eq(stored.opts.priority, opts.priority, `priority kept on job ${i}`);
  }
  ok(maxRunning > 1, `the worker with concurrency 4 never ran two jobs at once (max ${maxRunning})`);
}

async function retriesWithBackoff() {
  eq(await flaky.waitUntilFinished(events, 10000), 'ok on attempt 3', 'flaky job result');
  const starts = calls.get(flaky.id);
  eq(starts.length, 3, 'times the flaky job ran');
  for (let k = 1; k < 3; k++) {
    ok(starts[k] - starts[k - 1] >= 100, `retry ${k} of the flaky job came ${starts[k] - starts[k - 1]} ms after the previous run, before its 100 ms backoff`);
  }
  eq(workerFailures.get(flaky.id), 2, "worker 'failed' events of the flaky job");
  const stored = await main.getJob(flaky.id);
  eq(stored.attemptsMade, 3, 'attemptsMade of the flaky job');
  eq(stored.stacktrace.length, 2, 'stack traces kept for the flaky job');
  ok(stored.stacktrace[0].includes('flaky failure 1'), `first stack trace: ${stored.stacktrace[0]}`);
  eq(await stored.getState(), 'completed', 'state of the flaky job');
}

async function permanentFailure() {
  let err;
  try {
    await broken.waitUntilFinished(events, 10000);
  } catch (e) {
    err = e;
  }
  ok(err && /always broken/.test(err.message), `waitUntilFinished of the broken job: ${err ? err.message : 'resolved'}`);
  eq(calls.get(broken.id).length, 2, 'times the broken job ran');
  const stored = await main.getJob(broken.id);
  eq(await stored.getState(), 'failed', 'state of the broken job');
  eq(stored.failedReason, 'always broken', 'failedReason');
  eq(stored.attemptsMade, 2, 'attemptsMade of the broken job');
  eq((await main.getFailed()).map((j) => j.id), [broken.id], 'getFailed');
}

async function queueEvents() {
  const want = new Map(sums.map(({ job, i }) => [job.id, [{ sum: 11 * i, i }]]));
  want.set(flaky.id, ['ok on attempt 3']);
  await until(() => completedEvents.size >= want.size && failedEvents.has(broken.id), "QueueEvents 'completed' and 'failed' events", 8000);
  await sleep(200); // a duplicate would come right behind
  eq(completedEvents, want, "QueueEvents 'completed' events (job id -> return values)");
  eq(failedEvents, new Map([[broken.id, ['always broken']]]), "QueueEvents 'failed' events (only the final failure)");
  // Each failed attempt of the flaky job waits out its backoff in the delayed set.
  eq(delayedEvents.get(flaky.id), 2, "QueueEvents 'delayed' events of the flaky job");
}

async function counts() {
  const c = await main.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'paused', 'waiting-children');
  eq(c, { waiting: 0, active: 0, completed: N + 1, failed: 1, delayed: 0, prioritized: 0, paused: 0, 'waiting-children': 0 }, 'job counts');
}

async function priorityOrder() {
  const q = track('queue prio', new Queue('prio', { connection, prefix: PREFIX }));
  const prios = [3, 1, 2, 1, 3, 2, 1, 3];
  const jobs = [];
  for (const [k, p] of prios.entries()) jobs.push(await q.add('p', { k }, { priority: p }));
  const order = [];
  const w = track('worker prio', new Worker('prio', async (job) => {
    order.push(job.data.k);
    return job.data.k;
  }, { connection, prefix: PREFIX, concurrency: 1 }));
  await until(() => order.length === prios.length, 'all prioritized jobs', 8000);
  await w.close();
  const want = [...prios.keys()].sort((x, y) => prios[x] - prios[y] || x - y);
  eq(order, want, 'processing order by priority, then insertion');
  for (const j of jobs) eq((await q.getJob(j.id)).returnvalue, j.data.k, `return value of prioritized job ${j.data.k}`);
}

async function flow() {
  const flowQueue = track('queue flow', new Queue('flow', { connection, prefix: PREFIX }));
  const flowEvents = track('events flow', new QueueEvents('flow', { connection, prefix: PREFIX, lastEventId: '0-0', blockingTimeout: 1000 }));
  const finished = new Map(); // job name -> time its processor returned
  const w = track('worker flow', new Worker('flow', async (job) => {
    if (job.name === 'parent') {
      const values = await job.getChildrenValues();
      finished.set('parent', Date.now());
      return Object.values(values).reduce((a, b) => a + b, 0);
    }
    await sleep(30 * job.data.x);
    finished.set(job.name, Date.now());
    return job.data.x * 100;
  }, { connection, prefix: PREFIX, concurrency: 3 }));
  const producer = track('flow producer', new FlowProducer({ connection, prefix: PREFIX }));
  const tree = await producer.add({
    name: 'parent',
    queueName: 'flow',
    data: {},
    children: [1, 2, 3].map((x) => ({ name: `child${x}`, queueName: 'flow', data: { x } })),
  });
  eq(await tree.job.getState(), 'waiting-children', 'state of the parent before its children ran');
  eq(await tree.job.waitUntilFinished(flowEvents, 10000), 600, "parent's result (sum of its children's values)");
  for (const x of [1, 2, 3]) {
    ok(finished.get(`child${x}`) <= finished.get('parent'), `child${x} finished after the parent`);
  }
  const parent = await producer.getFlow({ id: tree.job.id, queueName: 'flow', prefix: PREFIX });
  eq(parent.job.returnvalue, 600, 'stored return value of the parent');
  eq(parent.children.map((c) => c.job.returnvalue).sort((a, b) => a - b), [100, 200, 300], "children's stored return values");
  const values = await (await flowQueue.getJob(tree.job.id)).getChildrenValues();
  eq(Object.values(values).sort((a, b) => a - b), [100, 200, 300], 'getChildrenValues of the parent');
  await w.close();
}

async function lockRenewal() {
  // Locks shorter than the job and a frequent stalled-jobs check: a lock the
  // worker fails to extend (extendLocks script) shows up as a stalled job
  // that runs twice.
  const q = track('queue long', new Queue('long', { connection, prefix: PREFIX }));
  let runs = 0;
  const stalled = [];
  const w = track('worker long', new Worker('long', async () => {
    runs++;
    await sleep(2500);
    return 'slow done';
  }, { connection, prefix: PREFIX, lockDuration: 1000, stalledInterval: 500 }));
  w.on('stalled', (id) => stalled.push(id));
  const longEvents = track('events long', new QueueEvents('long', { connection, prefix: PREFIX, lastEventId: '0-0', blockingTimeout: 1000 }));
  const job = await q.add('slow', {});
  eq(await job.waitUntilFinished(longEvents, 10000), 'slow done', 'slow job result');
  eq(runs, 1, 'times the slow job ran (a lost lock makes it run twice)');
  eq(stalled, [], 'stalled jobs');
  await w.close();
}

async function obliterate() {
  // Workers first: a running worker writes its markers back.
  for (const o of opened) if (o instanceof Worker || o instanceof QueueEvents) await o.close();
  for (const name of ['main', 'prio', 'flow', 'long']) {
    const q = opened.find((o) => o instanceof Queue && o.name === name);
    await q.obliterate({ force: true });
  }
  const left = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
    cursor = next;
    left.push(...keys);
  } while (cursor !== '0');
  eq(left.sort(), [], 'keys left after obliterate');
}

await run(`bullmq ${VERSION}`, [
  ['jobs with delay, priority and ids complete once each with the right results under concurrency 4', jobsWithOptions],
  ['a job failing twice is retried with backoff and succeeds on attempt 3', retriesWithBackoff],
  ['a job failing every attempt ends failed with its reason', permanentFailure],
  ["QueueEvents (XREAD BLOCK) reports every 'completed' with its value and the 'failed' job", queueEvents],
  ['job counts', counts],
  ['priorities order the work', priorityOrder],
  ["a flow's parent runs after its children, with their values", flow],
  ['a job longer than its lock keeps the lock and runs once', lockRenewal],
  ['obliterate removes every key of the queues', obliterate],
], async () => {
  await Promise.all(opened.map((o) => o.close()));
  admin.disconnect();
});
