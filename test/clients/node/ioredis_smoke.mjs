// Smoke test of Geomys with ioredis (latest, pinned in package-lock.json) on
// its default options: RESP3 via HELLO 3, CLIENT SETINFO, and the INFO ready
// check at connect.
// Usage: node ioredis_smoke.mjs [HOST PORT]  (or GEOMYS_HOST / GEOMYS_PORT)
import { createRequire } from 'node:module';
import Redis from 'ioredis';
import { HOST, PORT, eq, ok, sleep, within, BINARY, runScenarios } from './common.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('ioredis/package.json').version;
const P = 'ioredis:'; // every key of this script starts with it

// Default options; only where the server is, and no endless reconnecting if it dies.
const newClient = () => new Redis({ host: HOST, port: PORT, retryStrategy: () => null });
const clients = [];
function client() {
  const c = newClient();
  c.on('error', (err) => console.log(`ioredis error event: ${err.message}`));
  clients.push(c);
  return c;
}

const r = client();

async function serverKnows(cmd) {
  const info = await r.call('COMMAND', 'INFO', cmd);
  return Array.isArray(info) && info.length > 0 && info[0] !== null;
}

async function connect() {
  // enableReadyCheck (default) sends INFO and waits for loading:0 before 'ready'.
  await within(5000, new Promise((resolve, reject) => {
    if (r.status === 'ready') return resolve();
    r.once('ready', resolve);
    r.once('end', () => reject(new Error(`connection ended (status ${r.status})`)));
  }), 'ready event');
  eq(r.status, 'ready', 'status');
  eq(await r.ping(), 'PONG', 'PING');
  eq(await r.echo('hi'), 'hi', 'ECHO');
  // The handshake's HELLO 3 and CLIENT SETINFO show in CLIENT INFO (lib-name
  // and lib-ver only on servers that keep them: Redis 7.2+, Geomys).
  const ci = Object.fromEntries(String(await r.call('CLIENT', 'INFO')).trim().split(' ').map((f) => f.split('=')));
  eq(ci.resp, '3', 'CLIENT INFO resp');
  if ('lib-name' in ci) eq([ci['lib-name'], ci['lib-ver']], ['ioredis', VERSION], 'CLIENT INFO lib-name, lib-ver');
  const info = await r.info('server');
  ok(/redis_version:/.test(info), `INFO server lacks redis_version: ${info.slice(0, 200)}`);
}

async function binary() {
  eq(await r.set(P + 'bin', BINARY), 'OK', 'SET binary');
  eq(await r.getBuffer(P + 'bin'), BINARY, 'GET binary');
  const k = Buffer.concat([Buffer.from(P + 'bin'), Buffer.from([0, 0x0d, 0x0a, 0xff])]);
  eq(await r.set(k, Buffer.from([0])), 'OK', 'SET binary key');
  eq(await r.getBuffer(k), Buffer.from([0]), 'GET binary key');
  eq(await r.set(P + 'empty', ''), 'OK', 'SET empty');
  eq(await r.get(P + 'empty'), '', 'GET empty');
  eq(await r.get(P + 'missing'), null, 'GET missing');
  const u = 'héllo wörld ✓ 日本';
  await r.set(P + 'utf8', u);
  eq(await r.get(P + 'utf8'), u, 'GET utf-8');
  await r.del(P + 'nx');
  eq(await r.set(P + 'nx', 'a', 'NX'), 'OK', 'SET NX new');
  eq(await r.set(P + 'nx', 'b', 'NX'), null, 'SET NX existing');
  eq(await r.get(P + 'nx'), 'a', 'GET after SET NX');
}

async function incr() {
  await r.del(P + 'ctr', P + 'fl');
  for (let i = 1; i <= 10; i++) eq(await r.incr(P + 'ctr'), i, 'INCR');
  eq(await r.incrby(P + 'ctr', 90), 100, 'INCRBY');
  eq(await r.decr(P + 'ctr'), 99, 'DECR');
  eq(await r.get(P + 'ctr'), '99', 'GET counter');
  eq(await r.incrbyfloat(P + 'fl', 1.5), '1.5', 'INCRBYFLOAT');
  await r.set(P + 'notnum', 'abc');
  let err = null;
  try { await r.incr(P + 'notnum'); } catch (e) { err = e; }
  ok(err && /not an integer/.test(err.message), `INCR on non-integer: got ${err && err.message}`);
}

async function pipeline() {
  const p = r.pipeline();
  for (let i = 0; i < 50; i++) p.set(`${P}pipe:${i}`, `v${i}`);
  for (let i = 0; i < 50; i++) p.get(`${P}pipe:${i}`);
  const res = await p.exec();
  eq(res.length, 100, 'pipeline reply count');
  const errs = res.filter(([e]) => e);
  eq(errs.length, 0, 'pipeline errors');
  eq(res.slice(0, 50).map(([, v]) => v), Array(50).fill('OK'), 'pipeline SET replies');
  eq(res.slice(50).map(([, v]) => v), Array.from({ length: 50 }, (_, i) => `v${i}`), 'pipeline GET replies');
}

async function listQueue() {
  const q = P + 'queue';
  await r.del(q);
  eq(await r.rpush(q, ...Array.from({ length: 10 }, (_, i) => `job${i}`)), 10, 'RPUSH');
  eq(await r.llen(q), 10, 'LLEN');
  const got = [];
  for (let i = 0; i < 10; i++) got.push(await r.lpop(q));
  eq(got, Array.from({ length: 10 }, (_, i) => `job${i}`), 'LPOP order');
  eq(await r.lpop(q), null, 'LPOP empty');
  eq(await r.exists(q), 0, 'queue key gone when empty');
  await r.rpush(q, 'a', 'b', 'c');
  eq(await r.lrange(q, 0, -1), ['a', 'b', 'c'], 'LRANGE');
}

async function blpop() {
  const q = P + 'bq';
  await r.del(q);
  const waiter = client();
  let settled = false;
  const t0 = Date.now();
  const popped = waiter.blpop(q, 10).finally(() => { settled = true; });
  await sleep(300);
  eq(settled, false, 'BLPOP returned before RPUSH');
  await r.rpush(q, 'wake\0up');
  eq(await within(5000, popped, 'BLPOP wake-up'), [q, 'wake\0up'], 'BLPOP reply');
  ok(Date.now() - t0 < 5000, 'BLPOP took too long to wake');
  eq(await r.exists(q), 0, 'list gone after BLPOP');
  eq(await waiter.blpop(q, 0.2), null, 'BLPOP timeout');
  waiter.disconnect();
}

async function scan() {
  const p = r.pipeline();
  const want = new Set();
  for (let i = 0; i < 1000; i++) {
    want.add(`${P}scan:${i}`);
    p.set(`${P}scan:${i}`, i);
  }
  await p.exec();
  const seen = new Set();
  await new Promise((resolve, reject) => {
    r.scanStream({ match: `${P}scan:*`, count: 100 })
      .on('data', (keys) => keys.forEach((k) => seen.add(k)))
      .on('end', resolve)
      .on('error', reject);
  });
  const missing = [...want].filter((k) => !seen.has(k));
  const extra = [...seen].filter((k) => !want.has(k));
  ok(missing.length === 0 && extra.length === 0,
    `SCAN: ${missing.length} keys missing (e.g. ${missing.slice(0, 3)}), ${extra.length} unexpected (e.g. ${extra.slice(0, 3)})`);
  // Manual cursor loop with the default COUNT.
  let cursor = '0';
  const seen2 = new Set();
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${P}scan:*`);
    keys.forEach((k) => seen2.add(k));
    cursor = next;
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
  const pttl = await r.pttl(k);
  ok(pttl >= 95000 && pttl <= 100000, `PTTL after EXPIRE 100: got ${pttl}`);
  eq(await r.persist(k), 1, 'PERSIST');
  eq(await r.ttl(k), -1, 'TTL after PERSIST');
  eq(await r.ttl(P + 'nokey'), -2, 'TTL missing key');
  eq(await r.expire(P + 'nokey', 10), 0, 'EXPIRE missing key');
  await r.set(k, 'v', 'PX', 150);
  eq(await r.get(k), 'v', 'GET before expiry');
  await sleep(400);
  eq(await r.get(k), null, 'GET after PX expiry');
  eq(await r.exists(k), 0, 'EXISTS after expiry');
}

async function hash() {
  const h = P + 'hash';
  await r.del(h);
  eq(await r.hset(h, { name: 'geomys', kind: 'gopher\0', n: 3 }), 3, 'HSET object');
  eq(await r.hset(h, 'n', 4), 0, 'HSET existing field');
  eq({ ...(await r.hgetall(h)) }, { name: 'geomys', kind: 'gopher\0', n: '4' }, 'HGETALL');
  eq(await r.hget(h, 'name'), 'geomys', 'HGET');
  eq(await r.hincrby(h, 'n', 6), 10, 'HINCRBY');
  eq(await r.hdel(h, 'kind'), 1, 'HDEL');
  eq((await r.hkeys(h)).sort(), ['n', 'name'], 'HKEYS');
  eq({ ...(await r.hgetall(P + 'nohash')) }, {}, 'HGETALL missing');
}

async function set() {
  const s = P + 'set';
  await r.del(s);
  eq(await r.sadd(s, 'a', 'b', 'c', 'a'), 3, 'SADD');
  eq((await r.smembers(s)).sort(), ['a', 'b', 'c'], 'SMEMBERS');
  eq(await r.sismember(s, 'b'), 1, 'SISMEMBER');
  eq(await r.srem(s, 'b'), 1, 'SREM');
  eq(await r.scard(s), 2, 'SCARD');
  await r.sadd(s, ...Array.from({ length: 100 }, (_, i) => i));
  eq((await r.smembers(s)).length, 102, 'SMEMBERS after 100 more');
  eq(await r.smembers(P + 'noset'), [], 'SMEMBERS missing');
}

async function zset() {
  const z = P + 'zset';
  await r.del(z);
  eq(await r.zadd(z, 1, 'one', 2, 'two', 0.5, 'half', -1.25, 'neg'), 4, 'ZADD');
  eq(await r.zrange(z, 0, -1, 'WITHSCORES'),
    ['neg', '-1.25', 'half', '0.5', 'one', '1', 'two', '2'], 'ZRANGE WITHSCORES');
  eq(await r.zrange(z, 0, 1), ['neg', 'half'], 'ZRANGE');
  eq(await r.zscore(z, 'half'), '0.5', 'ZSCORE');
  eq(await r.zincrby(z, 2.5, 'one'), '3.5', 'ZINCRBY');
  eq(await r.zrevrange(z, 0, 0, 'WITHSCORES'), ['one', '3.5'], 'ZREVRANGE WITHSCORES');
  eq(await r.zrangebyscore(z, 0, 2), ['half', 'two'], 'ZRANGEBYSCORE');
  eq(await r.zrank(z, 'two'), 2, 'ZRANK');
  eq(await r.zcard(z), 4, 'ZCARD');
}

async function multi() {
  const k = P + 'tx';
  await r.del(k);
  const res = await r.multi().set(k, 1).incr(k).incrby(k, 10).get(k).exec();
  eq(res, [[null, 'OK'], [null, 2], [null, 12], [null, '12']], 'MULTI/EXEC replies');
  // A runtime error fails only its own command; the others still apply.
  const res2 = await r.multi().set(k, 'str').incr(k).append(k, '!').exec();
  eq(res2[0], [null, 'OK'], 'MULTI/EXEC SET reply');
  ok(res2[1][0] && /not an integer/.test(res2[1][0].message), `MULTI/EXEC INCR on a string: got ${res2[1]}`);
  eq(res2[2], [null, 4], 'MULTI/EXEC APPEND reply');
  eq(await r.get(k), 'str!', 'value after EXEC with a failed command');
  // WATCH on a dedicated connection; a conflicting write makes EXEC return null.
  const w = client();
  eq(await w.watch(k), 'OK', 'WATCH');
  await r.set(k, 'changed');
  eq(await w.multi().set(k, 'mine').exec(), null, 'EXEC after a watched key changed');
  eq(await r.get(k), 'changed', 'value after aborted transaction');
  w.disconnect();
}

async function pubsub() {
  const ch = P + 'chan';
  const sub = client();
  const got = new Promise((resolve) => sub.on('messageBuffer', (c, m) => resolve([c.toString(), m])));
  eq(await sub.subscribe(ch), 1, 'SUBSCRIBE count');
  eq(await r.publish(ch, Buffer.from('hello\0world')), 1, 'PUBLISH receivers');
  eq(await within(5000, got, 'subscriber message'), [ch, Buffer.from('hello\0world')], 'published message');
  eq(await sub.unsubscribe(ch), 0, 'UNSUBSCRIBE count');
  eq(await r.publish(ch, 'nobody'), 0, 'PUBLISH receivers after UNSUBSCRIBE');
  sub.disconnect();
}

let success = false;
try {
  console.log(`ioredis ${VERSION} on node ${process.version}, server ${HOST}:${PORT}`);
  await connect();
  const hasMulti = await serverKnows('multi');
  const hasSub = await serverKnows('subscribe');
  success = await runScenarios(`ioredis`, [
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
for (const c of clients) c.disconnect();
process.exit(success ? 0 : 1);
