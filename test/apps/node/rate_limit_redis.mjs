// express-rate-limit with rate-limit-redis's RedisStore on node-redis, as an
// API server limits its callers: a real Express server on a loopback port,
// requests with fetch. The store loads its two Lua scripts with SCRIPT LOAD,
// counts hits with EVALSHA (PTTL, SET PX, INCR), reloads them on NOSCRIPT,
// and undoes a hit with DECR.
// Checks: 5 requests a window pass and the 6th gets 429 with the standard
// headers; callers are counted apart; the window's end lets a caller in
// again; 20 concurrent requests let exactly 5 through; after SCRIPT FLUSH
// the store reloads its scripts and keeps counting; failed requests are
// not counted with skipFailedRequests; getKey and resetKey see the store.
// Usage: node rate_limit_redis.mjs [HOST PORT | HOST:PORT]
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import { HOST, PORT, RUN, eq, ok, sleep, run, logErrors, closeWebApp } from './common.mjs';

const version = (pkg) => JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;
const VERSIONS = `express-rate-limit ${version('express-rate-limit')}, rate-limit-redis ${version('rate-limit-redis')}, redis ${version('redis')}`;
console.log(`${VERSIONS} against ${HOST}:${PORT}`);

const PREFIX = `gapp:rl:${RUN}:`;
const client = logErrors(createClient({ socket: { host: HOST, port: PORT, reconnectStrategy: false } }), 'node-redis');
await client.connect();

const WINDOW = 1500;
const LIMIT = 5;
const limiterErrors = [];
function limiter(prefix, extra = {}) {
  return rateLimit({
    windowMs: WINDOW,
    limit: LIMIT,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => req.get('x-user') ?? 'anonymous',
    // A store error must fail the request, not let it through unseen.
    passOnStoreError: false,
    store: new RedisStore({ sendCommand: (...args) => client.sendCommand(args), prefix: PREFIX + prefix }),
    handler: (req, res, next, options) => res.status(options.statusCode).json({ limited: true }),
    ...extra,
  });
}
const api = limiter('api:');
const login = limiter('login:', { skipFailedRequests: true });
const app = express();
app.get('/api', api, (req, res) => res.json({ ok: true }));
// A login that fails unless the password is right: failures do not count.
app.post('/login', login, (req, res) => res.status(req.get('x-password') === 'right' ? 200 : 401).json({}));
app.use((err, req, res, next) => {
  limiterErrors.push(String(err && err.message ? err.message : err));
  res.status(500).json({ error: String(err) });
});
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;

async function call(user, path = '/api', method = 'GET', headers = {}) {
  const res = await fetch(base + path, { method, headers: { 'x-user': user, ...headers } });
  await res.text();
  ok(res.status !== 500, `${method} ${path} for ${user}: HTTP 500 (${limiterErrors.join('; ')})`);
  return res;
}

async function limits() {
  const remaining = [];
  for (let i = 0; i < LIMIT; i++) {
    const res = await call('alice');
    eq(res.status, 200, `request ${i + 1} of ${LIMIT}`);
    remaining.push(res.headers.get('ratelimit').match(/remaining=(\d+)/)[1]);
  }
  eq(remaining, ['4', '3', '2', '1', '0'], 'remaining in the RateLimit headers');
  const res = await call('alice');
  eq(res.status, 429, 'request past the limit');
  // The policy states the window in whole seconds, rounded up.
  ok(res.headers.get('ratelimit-policy') === '5;w=2',
    `RateLimit-Policy: ${res.headers.get('ratelimit-policy')}`);
  ok(Number(res.headers.get('retry-after')) >= 1, `Retry-After: ${res.headers.get('retry-after')}`);
  eq((await call('bob')).status, 200, 'another caller');
  eq(await client.get(PREFIX + 'api:alice'), String(LIMIT + 1), 'stored count');
  const pttl = await client.pTTL(PREFIX + 'api:alice');
  ok(pttl > 0 && pttl <= WINDOW, `PTTL of the count: ${pttl}`);
}

async function windowEnds() {
  await sleep(WINDOW + 100);
  eq(await client.exists(PREFIX + 'api:alice'), 0, 'count after the window');
  eq((await call('alice')).status, 200, 'first request of a new window');
  eq(await client.get(PREFIX + 'api:alice'), '1', 'count in the new window');
}

async function concurrent() {
  const res = await Promise.all(Array.from({ length: 20 }, () => call('carol')));
  const passed = res.filter((r) => r.status === 200).length;
  eq(passed, LIMIT, 'concurrent requests that passed');
  eq(res.filter((r) => r.status === 429).length, 20 - LIMIT, 'concurrent requests refused');
}

async function scriptFlush() {
  eq((await call('dave')).status, 200, 'first request');
  eq(await client.sendCommand(['SCRIPT', 'FLUSH']), 'OK', 'SCRIPT FLUSH');
  // EVALSHA answers NOSCRIPT; the store loads the script again and retries.
  for (let i = 2; i <= LIMIT; i++) eq((await call('dave')).status, 200, `request ${i} after SCRIPT FLUSH`);
  eq((await call('dave')).status, 429, 'request past the limit after SCRIPT FLUSH');
  eq(await client.get(PREFIX + 'api:dave'), String(LIMIT + 1), 'stored count after SCRIPT FLUSH');
}

async function skipFailed() {
  for (let i = 0; i < 8; i++) eq((await call('eve', '/login', 'POST')).status, 401, `failed login ${i + 1}`);
  // The failures were each counted, then taken back (DECR) once answered.
  await sleep(50);
  eq(await client.get(PREFIX + 'login:eve'), '0', 'count after failed logins');
  for (let i = 0; i < LIMIT; i++) eq((await call('eve', '/login', 'POST', { 'x-password': 'right' })).status, 200, `login ${i + 1}`);
  eq((await call('eve', '/login', 'POST', { 'x-password': 'right' })).status, 429, 'login past the limit');
}

async function getAndReset() {
  await sleep(WINDOW + 100);
  for (let i = 0; i < 3; i++) await call('frank');
  const info = await api.getKey('frank');
  eq(info.totalHits, 3, 'getKey totalHits');
  ok(info.resetTime instanceof Date && info.resetTime - Date.now() <= WINDOW, `getKey resetTime ${info.resetTime}`);
  // A caller never seen: the script's GET gives nil, which this version of
  // the store turns into NaN hits (on Redis as well); never a positive count.
  const none = await api.getKey('nobody');
  ok(!(none.totalHits > 0), `getKey of a caller never seen: ${none.totalHits} hits`);
  await api.resetKey('frank');
  eq(await client.exists(PREFIX + 'api:frank'), 0, 'count after resetKey');
  eq((await call('frank')).headers.get('ratelimit').match(/remaining=(\d+)/)[1], String(LIMIT - 1), 'remaining after resetKey');
}

await run(VERSIONS, [
  ['5 requests a window pass, the 6th gets 429', limits],
  ['the end of the window lets the caller in again', windowEnds],
  ['20 concurrent requests: exactly 5 pass', concurrent],
  ['after SCRIPT FLUSH the store reloads its scripts', scriptFlush],
  ['skipFailedRequests takes failed logins back', skipFailed],
  ['getKey and resetKey', getAndReset],
], () => closeWebApp(server, client, PREFIX));
