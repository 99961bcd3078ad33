// redlock (v5: acquire, extend and release are Lua scripts sent by EVALSHA,
// falling back to EVAL on NOSCRIPT) on one server: contenders on one key
// never overlap, extend keeps a lock past its first expiry, an expired lock
// can be taken and its old holder cannot release it, automatic extension
// holds a long critical section, and a multi-key lock is all or nothing.
// Usage: node redlock.mjs [HOST PORT | HOST:PORT]
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { HOST, PORT, RUN, eq, ok, sleep, run, logErrors } from './common.mjs';

// The package's exports map hides its package.json from require.
const VERSION = JSON.parse(readFileSync(new URL('./node_modules/redlock/package.json', import.meta.url))).version;
const P = `gapp:redlock:${RUN}:`;
console.log(`redlock ${VERSION} against ${HOST}:${PORT}`);

const clients = [];
function client() {
  const c = logErrors(new Redis({ host: HOST, port: PORT, retryStrategy: () => null }), 'ioredis');
  clients.push(c);
  return c;
}
const admin = client();
// One Redlock per contender, each with its own connection, as separate
// processes would have; quorum 1 of the one server.
// Errors other than a lost race (ResourceLockedError), e.g. a server that
// refuses the scripts: redlock only retries on them, so they explain a failure.
const unexpected = new Set();
function locker(settings = {}) {
  return new Redlock([client()], { retryJitter: 10, ...settings }).on('error', (err) => {
    if (!(err instanceof ResourceLockedError)) unexpected.add(String(err && err.message ? err.message : err));
  });
}

// Adds the unexpected redlock errors to a check's failure.
function explained(fn) {
  return async () => {
    try {
      await fn();
    } catch (err) {
      if (unexpected.size) err.message += `\nredlock errors: ${[...unexpected].join('\n')}`;
      throw err;
    }
  };
}

async function expectLocked(p, what) {
  try {
    await p;
  } catch (err) {
    ok(err instanceof ExecutionError, `${what}: ${err}`);
    // Refused because the key is held, not because the server answered an error.
    const stats = await Promise.all(err.attempts);
    const why = stats.flatMap((s) => [...s.votesAgainst.values()]);
    ok(why.length > 0 && why.every((e) => e instanceof ResourceLockedError),
      `${what}: refused for ${why.map(String).join('; ') || 'no reason'}, want only ResourceLockedError`);
    return;
  }
  throw new Error(`${what}: succeeded while another holder had the lock`);
}

async function mutualExclusion() {
  const key = P + 'counter';
  const resource = P + 'mutex';
  const contenders = 5;
  const rounds = 8;
  let holder = null;
  const overlaps = [];
  let retried = 0;
  const perContender = new Array(contenders).fill(0);
  await Promise.all(Array.from({ length: contenders }, async (_, id) => {
    // 300 tries, 15-25 ms apart: far more than 4 rivals' 8 short sections need.
    const rl = locker({ retryCount: 300, retryDelay: 15 });
    const c = rl.clients.values().next().value;
    for (let r = 0; r < rounds; r++) {
      const lock = await rl.acquire([resource], 2000);
      if (lock.attempts.length > 1) retried++;
      if (holder !== null) overlaps.push(`${id} entered while ${holder} held the lock`);
      holder = id;
      // A read-modify-write that loses updates unless the lock excludes.
      const v = Number((await c.get(key)) ?? 0);
      await sleep(2 + ((id * 7 + r * 3) % 6));
      await c.set(key, String(v + 1));
      perContender[id]++;
      if (holder !== id) overlaps.push(`${holder} entered while ${id} held the lock`);
      holder = null;
      await lock.release();
    }
  }));
  eq(overlaps, [], 'overlapping critical sections');
  eq(await admin.get(key), String(contenders * rounds), 'counter incremented under the lock');
  eq(perContender, new Array(contenders).fill(rounds), 'rounds per contender');
  ok(retried > 0, 'no acquire ever had to retry: the contenders never contended');
  eq(await admin.exists(resource), 0, 'lock key after the last release');
}

async function extend() {
  const resource = P + 'ext';
  const a = locker({ retryCount: 0 });
  const b = locker({ retryCount: 0 });
  let lock = await a.acquire([resource], 1000);
  eq(await admin.get(resource), lock.value, 'lock key holds the lock value');
  const pttl0 = await admin.pttl(resource);
  ok(pttl0 > 0 && pttl0 <= 1000, `PTTL after acquire for 1000 ms: ${pttl0}`);
  lock = await lock.extend(4000);
  const pttl1 = await admin.pttl(resource);
  ok(pttl1 > 1000 && pttl1 <= 4000, `PTTL after extend to 4000 ms: ${pttl1}`);
  await expectLocked(b.acquire([resource], 1000), 'acquire while held');
  await sleep(1100); // past the first expiry
  await expectLocked(b.acquire([resource], 1000), 'acquire after the first expiry of an extended lock');
  eq(await admin.get(resource), lock.value, 'lock value after the first expiry');
  await lock.release();
  eq(await admin.exists(resource), 0, 'lock key after release');
  const lb = await b.acquire([resource], 1000);
  await lb.release();
}

async function expired() {
  const resource = P + 'exp';
  const a = locker({ retryCount: 0 });
  const b = locker({ retryCount: 0 });
  const la = await a.acquire([resource], 500);
  await expectLocked(b.acquire([resource], 1000), 'acquire while held');
  await sleep(600);
  eq(await admin.exists(resource), 0, 'lock key after its expiry');
  const lb = await b.acquire([resource], 2000);
  // a's release runs the release script, which must leave b's lock alone.
  await expectLocked(la.release(), 'release of an expired lock now held by another');
  eq(await admin.get(resource), lb.value, 'lock value after the stale release');
  const lb2 = await lb.extend(2000);
  eq(await admin.get(resource), lb2.value, 'lock value after extend');
  await lb2.release();
  eq(await admin.exists(resource), 0, 'lock key after release');
}

async function autoExtension() {
  const resource = P + 'auto';
  // Extended 500 ms before each expiry: room for a slow machine.
  const a = locker({ retryCount: 0, automaticExtensionThreshold: 500 });
  const b = locker({ retryCount: 0 });
  let refusals = 0;
  const aborted = await a.using([resource], 1000, async (signal) => {
    for (const at of [1200, 1900]) {
      await sleep(at === 1200 ? 1200 : 700); // past the 1000 ms of the first grant
      await expectLocked(b.acquire([resource], 1000), `acquire ${at} ms into an auto-extended lock`);
      refusals++;
    }
    return signal.aborted;
  });
  eq(aborted, false, 'auto-extended lock aborted');
  eq(refusals, 2, 'refusals while auto-extended');
  eq(await admin.exists(resource), 0, 'lock key after using() returned');
}

async function multiResource() {
  const [x, y] = [P + 'x', P + 'y'];
  const a = locker({ retryCount: 0 });
  const b = locker({ retryCount: 0 });
  const ly = await a.acquire([y], 2000);
  await expectLocked(b.acquire([x, y], 1000), 'acquire of x and y while y is held');
  eq(await admin.exists(x), 0, 'x after a refused acquire of x and y (the script must be all or nothing)');
  await ly.release();
  const lxy = await b.acquire([x, y], 1000);
  eq([await admin.get(x), await admin.get(y)], [lxy.value, lxy.value], 'both keys after acquire of x and y');
  await lxy.release();
  eq(await admin.exists(x, y), 0, 'x and y after release');
}

async function noscriptFallback() {
  const rl = locker({ retryCount: 0 });
  const hashes = [rl.scripts.acquireScript.hash, rl.scripts.releaseScript.hash];
  eq(await admin.script('FLUSH'), 'OK', 'SCRIPT FLUSH');
  eq(await admin.script('EXISTS', ...hashes), [0, 0], 'SCRIPT EXISTS after flush');
  // EVALSHA now answers NOSCRIPT; redlock sends EVAL, which caches the script.
  const lock = await rl.acquire([P + 'flush'], 1000);
  eq(await admin.get(P + 'flush'), lock.value, 'lock taken through the EVAL fallback');
  eq(await admin.script('EXISTS', ...hashes), [1, 0], 'SCRIPT EXISTS after EVAL of the acquire script');
  await lock.release();
  eq(await admin.exists(P + 'flush'), 0, 'lock key after release');
}

await run(`redlock ${VERSION}`, [
  ['5 contenders x 8 rounds on one lock never overlap', explained(mutualExclusion)],
  ['extend keeps a lock past its first expiry', explained(extend)],
  ['an expired lock can be taken; its old holder cannot release it', explained(expired)],
  ['using() extends the lock automatically', explained(autoExtension)],
  ['a lock on two keys is all or nothing', explained(multiResource)],
  ['EVALSHA falls back to EVAL after SCRIPT FLUSH', explained(noscriptFallback)],
], async () => {
  const keys = await admin.keys(P + '*');
  if (keys.length) await admin.del(...keys);
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});
