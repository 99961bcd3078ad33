// express-session with connect-redis's RedisStore on node-redis (the "redis"
// package), as a web application keeps its sessions: a real Express server
// on a loopback port, requests with fetch carrying the session cookie. The
// store writes a session with SET EX, reads it with GET, touches it with
// EXPIRE, deletes it with DEL, and lists sessions with SCAN MATCH and MGET.
// Checks: login stores the session with the cookie's TTL, later requests see
// and change it, an unmodified session is touched (its TTL renewed), an
// expired session is gone, logout destroys it, regenerate replaces the key,
// and length/ids/all/clear see exactly this run's sessions.
// Usage: node express_session.mjs [HOST PORT | HOST:PORT]
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { HOST, PORT, RUN, eq, ok, sleep, run, logErrors, closeWebApp } from './common.mjs';

const version = (pkg) => JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;
const VERSIONS = `express-session ${version('express-session')}, connect-redis ${version('connect-redis')}, redis ${version('redis')}, express ${version('express')}`;
console.log(`${VERSIONS} against ${HOST}:${PORT}`);

const PREFIX = `gapp:sess:${RUN}:`;
const client = logErrors(createClient({ socket: { host: HOST, port: PORT, reconnectStrategy: false } }), 'node-redis');
await client.connect();
const store = new RedisStore({ client, prefix: PREFIX });
const asPromise = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

const MAX_AGE = 20000; // the cookie's, so the key's TTL: 20 s
const app = express();
app.use(session({
  store,
  secret: `secret-${RUN}`,
  resave: false,
  saveUninitialized: false,
  cookie: { maxAge: MAX_AGE },
}));
app.post('/login/:user', (req, res, next) => {
  // Regenerate on login, as applications do against session fixation.
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.user = req.params.user;
    req.session.views = 0;
    if (req.query.short) req.session.cookie.maxAge = 1500;
    res.json({ id: req.sessionID });
  });
});
app.post('/view', (req, res) => {
  if (!req.session.user) return res.status(401).json({});
  req.session.views++;
  res.json({ user: req.session.user, views: req.session.views });
});
app.get('/whoami', (req, res) => {
  res.json({ user: req.session.user ?? null, views: req.session.views ?? null, id: req.sessionID });
});
app.post('/logout', (req, res, next) => {
  req.session.destroy((err) => (err ? next(err) : res.json({})));
});
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${server.address().port}`;

// A browser: keeps the session cookie between requests.
class Browser {
  cookie = null;
  async req(method, path) {
    const res = await fetch(base + path, { method, headers: this.cookie ? { cookie: this.cookie } : {} });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    const text = await res.text();
    ok(res.status === 200 || res.status === 401, `${method} ${path}: HTTP ${res.status}: ${text}`);
    return { status: res.status, body: JSON.parse(text) };
  }
}
const key = (id) => PREFIX + id;

async function loginStores() {
  const b = new Browser();
  const { body } = await b.req('POST', '/login/ada');
  const raw = await client.get(key(body.id));
  ok(raw, `no ${key(body.id)} after login`);
  const sess = JSON.parse(raw);
  eq([sess.user, sess.views], ['ada', 0], 'stored session');
  const ttl = await client.ttl(key(body.id));
  ok(ttl >= MAX_AGE / 1000 - 2 && ttl <= MAX_AGE / 1000, `TTL of a new session with a ${MAX_AGE} ms cookie: ${ttl}`);
  for (let i = 1; i <= 5; i++) eq((await b.req('POST', '/view')).body, { user: 'ada', views: i }, `view ${i}`);
  eq(JSON.parse(await client.get(key(body.id))).views, 5, 'views in the stored session');
  eq((await new Browser().req('POST', '/view')).status, 401, 'a request without the cookie');
}

async function touchRenews() {
  const b = new Browser();
  const { body } = await b.req('POST', '/login/grace');
  await sleep(2200);
  const before = await client.pTTL(key(body.id));
  ok(before > 0 && before <= MAX_AGE - 2000, `PTTL 2.2 s after login: ${before}`);
  // Unmodified: express-session calls store.touch, an EXPIRE.
  eq((await b.req('GET', '/whoami')).body.user, 'grace', 'session seen on read');
  const after = await client.pTTL(key(body.id));
  ok(after > before + 1500, `PTTL after touch ${after}, before ${before}: not renewed`);
}

async function expires() {
  const b = new Browser();
  const { body } = await b.req('POST', '/login/short?short=1');
  const ttl = await client.pTTL(key(body.id));
  ok(ttl > 0 && ttl <= 2000, `PTTL of a session with a 1500 ms cookie: ${ttl}`);
  await sleep(2200);
  eq(await client.exists(key(body.id)), 0, 'an expired session key');
  // The browser still sends the cookie; the store finds nothing.
  eq((await b.req('GET', '/whoami')).body.user, null, 'user of an expired session');
}

async function logoutDestroys() {
  const b = new Browser();
  const { body } = await b.req('POST', '/login/linus');
  const cookie = b.cookie;
  await b.req('POST', '/logout');
  eq(await client.exists(key(body.id)), 0, 'session key after logout');
  b.cookie = cookie; // a stolen cookie replayed after logout
  eq((await b.req('POST', '/view')).status, 401, 'the old cookie after logout');
}

async function regenerate() {
  const b = new Browser();
  const first = (await b.req('POST', '/login/ken')).body.id;
  await b.req('POST', '/view');
  const second = (await b.req('POST', '/login/dennis')).body.id;
  ok(first !== second, 'regenerate kept the session id');
  eq(await client.exists(key(first)), 0, 'the replaced session key');
  eq(JSON.parse(await client.get(key(second))).user, 'dennis', 'the new session');
  eq((await b.req('GET', '/whoami')).body.user, 'dennis', 'user after the second login');
}

async function listAndClear() {
  await asPromise((cb) => store.clear(cb));
  eq(await asPromise((cb) => store.length(cb)), 0, 'length after clear');
  // More sessions than the store's SCAN COUNT (100), so SCAN takes several calls.
  const n = 250;
  const ids = [];
  for (let i = 0; i < n; i += 25) {
    await Promise.all(Array.from({ length: 25 }, async (_, j) => {
      const id = `bulk-${i + j}`;
      ids.push(id);
      const cookie = { originalMaxAge: MAX_AGE, expires: new Date(Date.now() + MAX_AGE).toISOString() };
      await asPromise((cb) => store.set(id, { cookie, n: i + j }, cb));
    }));
  }
  // A key of another prefix that SCAN MATCH must leave out.
  await client.set(`gapp:sess:other:${RUN}`, 'x', { EX: 30 });
  eq(await asPromise((cb) => store.length(cb)), n, 'length');
  eq((await asPromise((cb) => store.ids(cb))).sort(), ids.sort(), 'ids');
  const all = await asPromise((cb) => store.all(cb));
  eq(all.map((s) => s.n).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), 'all(): the sessions');
  ok(all.every((s) => s.id === `bulk-${s.n}`), 'all(): ids match sessions');
  await asPromise((cb) => store.clear(cb));
  eq(await asPromise((cb) => store.length(cb)), 0, 'length after clear');
  eq(await client.exists(`gapp:sess:other:${RUN}`), 1, 'a key of another prefix after clear');
  await client.del(`gapp:sess:other:${RUN}`);
}

await run(VERSIONS, [
  ['login stores the session with the cookie TTL; views update it', loginStores],
  ['an unmodified session is touched (TTL renewed)', touchRenews],
  ['a session expires with its cookie', expires],
  ['logout destroys the session', logoutDestroys],
  ['login regenerates: old key gone, new one stored', regenerate],
  ['length, ids, all and clear over 250 sessions (SCAN MATCH, MGET)', listAndClear],
], () => closeWebApp(server, client, PREFIX));
