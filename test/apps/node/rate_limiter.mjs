// rate-limiter-flexible's RateLimiterRedis (consume runs one Lua script:
// SET NX EX, INCRBY, PTTL; get and block use MULTI) on one server: the
// points of a window are granted exactly once, also under concurrency, the
// next consume is refused with the time left, the window resets after its
// duration, and blocking outlasts the window.
// Usage: node rate_limiter.mjs [HOST PORT | HOST:PORT]
import { createRequire } from 'node:module';
import Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { HOST, PORT, RUN, eq, ok, sleep, run, logErrors } from './common.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('rate-limiter-flexible/package.json').version;
const PREFIX = `gapp:rl:${RUN}`;
console.log(`rate-limiter-flexible ${VERSION} against ${HOST}:${PORT}`);

const clients = [];
function client() {
  const c = logErrors(new Redis({ host: HOST, port: PORT, retryStrategy: () => null }), 'ioredis');
  clients.push(c);
  return c;
}
const admin = client();
const limiter = (opts, storeClient = client()) => new RateLimiterRedis({ storeClient, keyPrefix: PREFIX, ...opts });

// Resolves to the RateLimiterRes a refused consume rejects with.
async function refused(p, what) {
  let res;
  try {
    res = await p;
  } catch (err) {
    ok(err instanceof RateLimiterRes, `${what}: rejected with an error, not a refusal: ${err && err.stack ? err.stack : err}`);
    return err;
  }
  throw new Error(`${what}: granted (${JSON.stringify(res)})`);
}

async function windowOfPoints() {
  const rl = limiter({ points: 5, duration: 2 });
  const key = 'user-1';
  for (let i = 1; i <= 5; i++) {
    const res = await rl.consume(key);
    eq([res.consumedPoints, res.remainingPoints, res.isFirstInDuration], [i, 5 - i, i === 1], `consume ${i} of 5`);
    ok(res.msBeforeNext > 0 && res.msBeforeNext <= 2000, `msBeforeNext of consume ${i}: ${res.msBeforeNext}`);
  }
  const ttl = await admin.pttl(`${PREFIX}:${key}`);
  ok(ttl > 0 && ttl <= 2000, `PTTL of the counter key: ${ttl}`);
  const no = await refused(rl.consume(key), 'consume 6 of 5');
  eq([no.consumedPoints, no.remainingPoints], [6, 0], 'points of the refused consume');
  ok(no.msBeforeNext > 0 && no.msBeforeNext <= 2000, `msBeforeNext of the refusal: ${no.msBeforeNext}`);
  await sleep(no.msBeforeNext + 100);
  const again = await rl.consume(key);
  eq([again.consumedPoints, again.remainingPoints, again.isFirstInDuration], [1, 4, true], 'first consume of the next window');
}

async function concurrentConsumers() {
  const stores = [client(), client(), client()];
  const rls = stores.map((c) => limiter({ points: 10, duration: 5 }, c));
  const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => rls[i % 3].consume('burst')));
  const granted = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.consumedPoints);
  const denied = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  denied.forEach((d) => ok(d instanceof RateLimiterRes, `a concurrent consume failed: ${d && d.stack ? d.stack : d}`));
  eq(granted.sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1), 'consumedPoints of the granted consumes');
  eq(denied.map((d) => d.consumedPoints).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 11),
    'consumedPoints of the refused consumes');
  eq((await rls[0].get('burst')).consumedPoints, 30, 'get after the burst');
}

async function penaltyRewardDelete() {
  const rl = limiter({ points: 10, duration: 5 });
  eq((await rl.consume('acct', 3)).consumedPoints, 3, 'consume 3');
  eq((await rl.penalty('acct', 2)).consumedPoints, 5, 'penalty 2');
  eq((await rl.reward('acct', 1)).consumedPoints, 4, 'reward 1');
  const got = await rl.get('acct');
  eq([got.consumedPoints, got.remainingPoints], [4, 6], 'get');
  ok(got.msBeforeNext > 0 && got.msBeforeNext <= 5000, `msBeforeNext of get: ${got.msBeforeNext}`);
  eq(await rl.delete('acct'), true, 'delete');
  eq(await rl.get('acct'), null, 'get after delete');
}

async function keyWithoutExpiry() {
  // A counter left without a TTL takes the script's other branch, which sets
  // the expiry and computes the TTL from ARGV (a string) in Lua.
  const rl = limiter({ points: 5, duration: 3 });
  await admin.set(`${PREFIX}:stuck`, '2');
  const res = await rl.consume('stuck');
  eq([res.consumedPoints, res.msBeforeNext], [3, 3000], 'consume on a counter with no TTL');
  const ttl = await admin.ttl(`${PREFIX}:stuck`);
  ok(ttl > 0 && ttl <= 3, `TTL set by the script: ${ttl}`);
}

async function blockOutlastsWindow() {
  const rl = limiter({ points: 2, duration: 1, blockDuration: 3 });
  await rl.consume('spammer');
  await rl.consume('spammer');
  const no = await refused(rl.consume('spammer'), 'consume 3 of 2');
  ok(no.msBeforeNext > 2000 && no.msBeforeNext <= 3000, `msBeforeNext once blocked for 3 s: ${no.msBeforeNext}`);
  await sleep(1200); // the 1 s window is over, the block is not
  const still = await refused(rl.consume('spammer'), 'consume after the window while blocked');
  ok(still.msBeforeNext > 0 && still.msBeforeNext <= 1900, `msBeforeNext 1.2 s into the block: ${still.msBeforeNext}`);
}

await run(`rate-limiter-flexible ${VERSION}`, [
  ['5 points per 2 s: the 6th is refused, the next window grants again', windowOfPoints],
  ['30 concurrent consumes of 10 points: exactly 10 granted', concurrentConsumers],
  ['penalty, reward, get and delete', penaltyRewardDelete],
  ['a counter with no TTL gets one from the script', keyWithoutExpiry],
  ['a block outlasts the window', blockOutlastsWindow],
], async () => {
  const keys = await admin.keys(`${PREFIX}:*`);
  if (keys.length) await admin.del(...keys);
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});
