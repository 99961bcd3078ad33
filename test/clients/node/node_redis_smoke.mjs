// Smoke test of Geomys with node-redis (the `redis` package, latest, pinned in
// package-lock.json) on its default options: RESP3 via HELLO 3, CLIENT SETINFO
// LIB-NAME/LIB-VER, and whatever else the current version sends at connect.
// Usage: node node_redis_smoke.mjs [HOST PORT]  (or GEOMYS_HOST / GEOMYS_PORT)
import { createRequire } from 'node:module';
import { createClient, RESP_TYPES, WatchError } from 'redis';
import { HOST, PORT, eq, ok, sleep, within, BINARY, runScenarios } from './common.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('redis/package.json').version;
const CLIENT_VERSION = require('@redis/client/package.json').version;
const P = 'noderedis:'; // every key of this script starts with it

// Default options; only where the server is, and no endless reconnecting if it dies.
const OPTIONS = { socket: { host: HOST, port: PORT, reconnectStrategy: false } };
const clients = [];
async function connected(c) {
  c.on('error', (err) => console.log(`node-redis error event: ${err.message}`));
  clients.push(c);
  await c.connect();
  return c;
}

const r = createClient(OPTIONS);
const rb = r.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });

async function serverKnows(cmd) {
  const info = await r.sendCommand(['COMMAND', 'INFO', cmd]);
  return Array.isArray(info) && info.length > 0 && info[0] !== null;
}

async function connect() {
  await within(5000, connected(r), 'connect (HELLO 3, CLIENT SETINFO)');
  ok(r.isReady, 'client not ready after connect');
  eq(await r.ping(), 'PONG', 'PING');
  eq(await r.echo('hi'), 'hi', 'ECHO');
  // The handshake's HELLO 3 and CLIENT SETINFO show in CLIENT INFO (lib-name
  // and lib-ver only on servers that keep them: Redis 7.2+, Geomys).
  const ci = Object.fromEntries(String(await r.sendCommand(['CLIENT', 'INFO'])).trim().split(' ').map((f) => f.split('=')));
  eq(ci.resp, '3', 'CLIENT INFO resp');
  if ('lib-name' in ci) eq([ci['lib-name'], ci['lib-ver']], ['node-redis', CLIENT_VERSION], 'CLIENT INFO lib-name, lib-ver');
  const hello = await r.sendCommand(['HELLO', '3']);
  eq(hello.proto ?? (hello instanceof Map ? hello.get('proto') : undefined), 3, 'HELLO 3 proto field');
}

async function binary() {
  eq(await r.set(P + 'bin', BINARY), 'OK', 'SET binary');
  eq(await rb.get(P + 'bin'), BINARY, 'GET binary');
  const k = Buffer.concat([Buffer.from(P + 'bin'), Buffer.from([0, 0x0d, 0x0a, 0xff])]);
  eq(await r.set(k, Buffer.from([0])), 'OK', 'SET binary key');
  eq(await rb.get(k), Buffer.from([0]), 'GET binary key');
  eq(await r.set(P + 'empty', ''), 'OK', 'SET empty');
  eq(await r.get(P + 'empty'), '', 'GET empty');
  eq(await r.get(P + 'missing'), null, 'GET missing');
  const u = 'héllo wörld ✓ 日本';
  await r.set(P + 'utf8', u);
  eq(await r.get(P + 'utf8'), u, 'GET utf-8');
  await r.del(P + 'nx');
  eq(await r.set(P + 'nx', 'a', { NX: true }), 'OK', 'SET NX new');
  eq(await r.set(P + 'nx', 'b', { NX: true }), null, 'SET NX existing');
  eq(await r.get(P + 'nx'), 'a', 'GET after SET NX');
}

async function incr() {
  await r.del([P + 'ctr', P + 'fl']);
  for (let i = 1; i <= 10; i++) eq(await r.incr(P + 'ctr'), i, 'INCR');
  eq(await r.incrBy(P + 'ctr', 90), 100, 'INCRBY');
  eq(await r.decr(P + 'ctr'), 99, 'DECR');
  eq(await r.get(P + 'ctr'), '99', 'GET counter');
  eq(await r.incrByFloat(P + 'fl', 1.5), '1.5', 'INCRBYFLOAT');
  await r.set(P + 'notnum', 'abc');
  let err = null;
  try { await r.incr(P + 'notnum'); } catch (e) { err = e; }
  ok(err && /not an integer/.test(err.message), `INCR on non-integer: got ${err && err.message}`);
}

async function pipeline() {
  // node-redis pipelines commands issued in the same tick automatically...
  const sets = Array.from({ length: 50 }, (_, i) => r.set(`${P}pipe:${i}`, `v${i}`));
  const gets = Array.from({ length: 50 }, (_, i) => r.get(`${P}pipe:${i}`));
  const res = await Promise.all([...sets, ...gets]);
  eq(res.length, 100, 'pipeline reply count');
  eq(res.slice(0, 50), Array(50).fill('OK'), 'auto-pipeline SET replies');
  eq(res.slice(50), Array.from({ length: 50 }, (_, i) => `v${i}`), 'auto-pipeline GET replies');
  // ...and has an explicit pipeline without MULTI.
  await r.del(`${P}pipe:n`);
  const m = r.multi();
  for (let i = 0; i < 50; i++) m.incr(`${P}pipe:n`);
  for (let i = 0; i < 50; i++) m.get(`${P}pipe:${i}`);
  const res2 = await m.execAsPipeline();
  eq(res2.length, 100, 'execAsPipeline reply count');
  eq(res2.slice(0, 50), Array.from({ length: 50 }, (_, i) => i + 1), 'execAsPipeline INCR replies');
  eq(res2.slice(50), Array.from({ length: 50 }, (_, i) => `v${i}`), 'execAsPipeline GET replies');
}

async function listQueue() {
  const q = P + 'queue';
  await r.del(q);
  eq(await r.rPush(q, Array.from({ length: 10 }, (_, i) => `job${i}`)), 10, 'RPUSH');
  eq(await r.lLen(q), 10, 'LLEN');
  const got = [];
  for (let i = 0; i < 10; i++) got.push(await r.lPop(q));
  eq(got, Array.from({ length: 10 }, (_, i) => `job${i}`), 'LPOP order');
  eq(await r.lPop(q), null, 'LPOP empty');
  eq(await r.exists(q), 0, 'queue key gone when empty');
  await r.rPush(q, ['a', 'b', 'c']);
  eq(await r.lRange(q, 0, -1), ['a', 'b', 'c'], 'LRANGE');
}

async function blpop() {
  const q = P + 'bq';
  await r.del(q);
  const waiter = await connected(r.duplicate());
  let settled = false;
  const t0 = Date.now();
  const popped = waiter.blPop(q, 10).finally(() => { settled = true; });
  await sleep(300);
  eq(settled, false, 'BLPOP returned before RPUSH');
  await r.rPush(q, 'wake\0up');
  eq({ ...(await within(5000, popped, 'BLPOP wake-up')) }, { key: q, element: 'wake\0up' }, 'BLPOP reply');
  ok(Date.now() - t0 < 5000, 'BLPOP took too long to wake');
  eq(await r.exists(q), 0, 'list gone after BLPOP');
  eq(await waiter.blPop(q, 0.2), null, 'BLPOP timeout');
  waiter.destroy();
}

async function scan() {
  const want = new Set();
  const writes = [];
  for (let i = 0; i < 1000; i++) {
    want.add(`${P}scan:${i}`);
    writes.push(r.set(`${P}scan:${i}`, String(i)));
  }
  await Promise.all(writes);
  const seen = new Set();
  for await (const keys of r.scanIterator({ MATCH: `${P}scan:*`, COUNT: 100 })) {
    for (const k of keys) seen.add(k);
  }
  const missing = [...want].filter((k) => !seen.has(k));
  const extra = [...seen].filter((k) => !want.has(k));
  ok(missing.length === 0 && extra.length === 0,
    `SCAN: ${missing.length} keys missing (e.g. ${missing.slice(0, 3)}), ${extra.length} unexpected (e.g. ${extra.slice(0, 3)})`);
  // Manual cursor loop with the default COUNT.
  let cursor = '0';
  const seen2 = new Set();
  do {
    const reply = await r.scan(cursor, { MATCH: `${P}scan:*` });
    reply.keys.forEach((k) => seen2.add(k));
    cursor = String(reply.cursor);
  } while (cursor !== '0');
  eq(seen2.size, 1000, 'SCAN manual loop key count');
}

async function expire() {
  const k = P + 'ttl';
  await r.set(k, 'v');
  eq(await r.ttl(k), -1, 'TTL without expiry');
  eq(await r.expire(k, 100), 1, 'EXPIRE');
  const ttl = await r.ttl(k);
  ok(ttl >= 95 && ttl <= 100, `TTL after EXPIRE 100: got ${ttl}`);
  const pttl = await r.pTTL(k);
  ok(pttl >= 95000 && pttl <= 100000, `PTTL after EXPIRE 100: got ${pttl}`);
  eq(await r.persist(k), 1, 'PERSIST');
  eq(await r.ttl(k), -1, 'TTL after PERSIST');
  eq(await r.ttl(P + 'nokey'), -2, 'TTL missing key');
  eq(await r.expire(P + 'nokey', 10), 0, 'EXPIRE missing key');
  await r.set(k, 'v', { PX: 150 });
  eq(await r.get(k), 'v', 'GET before expiry');
  await sleep(400);
  eq(await r.get(k), null, 'GET after PX expiry');
  eq(await r.exists(k), 0, 'EXISTS after expiry');
}

async function hash() {
  const h = P + 'hash';
  await r.del(h);
  eq(await r.hSet(h, { name: 'geomys', kind: 'gopher\0', n: 3 }), 3, 'HSET object');
  eq(await r.hSet(h, 'n', 4), 0, 'HSET existing field');
  eq({ ...(await r.hGetAll(h)) }, { name: 'geomys', kind: 'gopher\0', n: '4' }, 'HGETALL');
  eq(await r.hGet(h, 'name'), 'geomys', 'HGET');
  eq(await r.hIncrBy(h, 'n', 6), 10, 'HINCRBY');
  eq(await r.hDel(h, 'kind'), 1, 'HDEL');
  eq((await r.hKeys(h)).sort(), ['n', 'name'], 'HKEYS');
  eq({ ...(await r.hGetAll(P + 'nohash')) }, {}, 'HGETALL missing');
}

async function set() {
  const s = P + 'set';
  await r.del(s);
  eq(await r.sAdd(s, ['a', 'b', 'c', 'a']), 3, 'SADD');
  eq((await r.sMembers(s)).sort(), ['a', 'b', 'c'], 'SMEMBERS');
  eq(await r.sIsMember(s, 'b'), 1, 'SISMEMBER');
  eq(await r.sRem(s, 'b'), 1, 'SREM');
  eq(await r.sCard(s), 2, 'SCARD');
  await r.sAdd(s, Array.from({ length: 100 }, (_, i) => String(i)));
  eq((await r.sMembers(s)).length, 102, 'SMEMBERS after 100 more');
  eq(await r.sMembers(P + 'noset'), [], 'SMEMBERS missing');
}

async function zset() {
  const z = P + 'zset';
  await r.del(z);
  eq(await r.zAdd(z, [
    { score: 1, value: 'one' }, { score: 2, value: 'two' },
    { score: 0.5, value: 'half' }, { score: -1.25, value: 'neg' },
  ]), 4, 'ZADD');
  eq((await r.zRangeWithScores(z, 0, -1)).map((e) => ({ ...e })), [
    { value: 'neg', score: -1.25 }, { value: 'half', score: 0.5 },
    { value: 'one', score: 1 }, { value: 'two', score: 2 },
  ], 'ZRANGE WITHSCORES');
  eq(await r.zRange(z, 0, 1), ['neg', 'half'], 'ZRANGE');
  eq(await r.zScore(z, 'half'), 0.5, 'ZSCORE');
  eq(await r.zIncrBy(z, 2.5, 'one'), 3.5, 'ZINCRBY');
  eq(await r.zRange(z, 0, 2, { BY: 'SCORE' }), ['half', 'two'], 'ZRANGE BYSCORE');
  eq(await r.zRank(z, 'two'), 2, 'ZRANK');
  eq(await r.zCard(z), 4, 'ZCARD');
}

async function multi() {
  const k = P + 'tx';
  await r.del(k);
  const res = await r.multi().set(k, '1').incr(k).incrBy(k, 10).get(k).exec();
  eq(res, ['OK', 2, 12, '12'], 'MULTI/EXEC replies');
  // A runtime error fails only its own command; the others still apply.
  // node-redis rejects with a MultiErrorReply that carries all the replies.
  let multiErr = null;
  try { await r.multi().set(k, 'str').incr(k).append(k, '!').exec(); } catch (e) { multiErr = e; }
  ok(multiErr && Array.isArray(multiErr.replies), `EXEC with a failed command: want MultiErrorReply, got ${multiErr}`);
  eq(multiErr.errorIndexes, [1], 'MULTI/EXEC error indexes');
  const res2 = multiErr.replies;
  eq(res2[0], 'OK', 'MULTI/EXEC SET reply');
  ok(res2[1] instanceof Error && /not an integer/.test(res2[1].message), `MULTI/EXEC INCR on a string: got ${res2[1]}`);
  eq(res2[2], 4, 'MULTI/EXEC APPEND reply');
  eq(await r.get(k), 'str!', 'value after EXEC with a failed command');
  // WATCH on a dedicated connection; a conflicting write aborts EXEC with WatchError.
  const w = await connected(r.duplicate());
  eq(await w.watch(k), 'OK', 'WATCH');
  await r.set(k, 'changed');
  let err = null;
  try { await w.multi().set(k, 'mine').exec(); } catch (e) { err = e; }
  ok(err instanceof WatchError, `EXEC after a watched key changed: want WatchError, got ${err}`);
  eq(await r.get(k), 'changed', 'value after aborted transaction');
  w.destroy();
}

async function pubsub() {
  const ch = P + 'chan';
  const sub = await connected(r.duplicate());
  let resolveMsg;
  const got = new Promise((resolve) => { resolveMsg = resolve; });
  await sub.subscribe(ch, (message, channel) => resolveMsg([channel.toString(), message]), true);
  eq(await r.publish(ch, Buffer.from('hello\0world')), 1, 'PUBLISH receivers');
  eq(await within(5000, got, 'subscriber message'), [ch, Buffer.from('hello\0world')], 'published message');
  await sub.unsubscribe(ch);
  eq(await r.publish(ch, 'nobody'), 0, 'PUBLISH receivers after UNSUBSCRIBE');
  sub.destroy();
}

let success = false;
try {
  console.log(`node-redis (redis ${VERSION}, @redis/client ${CLIENT_VERSION}) on node ${process.version}, server ${HOST}:${PORT}`);
  await connect();
  const hasMulti = await serverKnows('multi');
  const hasSub = await serverKnows('subscribe');
  success = await runScenarios('node-redis', [
    ['connect', async () => {}],
    ['binary-safe SET/GET', binary],
    ['INCR counters', incr],
    ['pipeline of 100', pipeline],
    ['list queue RPUSH/LPOP', listQueue],
    ['BLPOP woken by RPUSH', blpop],
    ['SCAN 1000 keys', scan],
    ['EXPIRE/TTL', expire],
    ['hashes', hash],
    ['sets', set],
    ['sorted sets', zset],
    ['MULTI/EXEC', multi, hasMulti ? null : 'MULTI'],
    ['pub/sub', pubsub, hasSub ? null : 'SUBSCRIBE'],
  ]);
} catch (err) {
  console.log('FAIL: connect');
  console.log(err && err.stack ? err.stack : String(err));
}
for (const c of clients) { try { c.destroy(); } catch { /* already closed */ } }
process.exit(success ? 0 : 1);
