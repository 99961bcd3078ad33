// Shared bits of the application tests: where the server is, assertions, a
// key prefix unique to the run, and the runner whose output the Go test reads.
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual, inspect } from 'node:util';
import { randomBytes } from 'node:crypto';

// Bull waits on its connections' events once per pending call; dozens at once
// are normal here, not a leak worth a warning in the output.
EventEmitter.defaultMaxListeners = 100;

// Usage of every program: node PROG.mjs [HOST PORT | HOST:PORT]
// (or GEOMYS_HOST / GEOMYS_PORT).
function where() {
  let [host, port] = process.argv.slice(2);
  if (host && port === undefined && host.includes(':')) [host, port] = host.split(':');
  return [host ?? process.env.GEOMYS_HOST ?? '127.0.0.1', Number(port ?? process.env.GEOMYS_PORT ?? 6379)];
}
export const [HOST, PORT] = where();

// Keys of one run never meet keys left by an earlier run.
export const RUN = randomBytes(4).toString('hex');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function eq(got, want, what) {
  if (!isDeepStrictEqual(got, want)) {
    throw new Error(`${what}: got ${inspect(got, { depth: 5 })}, want ${inspect(want, { depth: 5 })}`);
  }
}

export function ok(cond, what) {
  if (!cond) throw new Error(what);
}

// Rejects when p has not settled within ms.
export function within(ms, p, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Resolves once check() (which may be async) is true, polling; rejects
// with what after ms.
export async function until(check, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

// Runs the checks in order, each bounded in time, then the cleanup, and exits:
// 0 when every check passed, 1 at the first failure (printing why). The
// explicit exit keeps a stuck socket or timer of a library from hanging the run.
export async function run(label, checks, cleanup) {
  const started = Date.now();
  let failed = false;
  for (const [name, fn, ms = 15000] of checks) {
    try {
      await within(ms, fn(), name);
      console.log(`ok: ${name}`);
    } catch (err) {
      console.log(`FAIL: ${name}`);
      console.log(err && err.stack ? err.stack : String(err));
      failed = true;
      break;
    }
  }
  try {
    await within(5000, cleanup(), 'cleanup');
  } catch (err) {
    console.log(`cleanup: ${err && err.message ? err.message : err}`);
  }
  if (!failed) console.log(`${label}: ${checks.length} checks passed in ${Date.now() - started} ms`);
  process.exit(failed ? 1 : 0);
}

// Libraries log connection errors as events; show them, as they explain a failure.
export function logErrors(emitter, what) {
  emitter.on('error', (err) => console.log(`${what} error event: ${err && err.message ? err.message : err}`));
  return emitter;
}

// closeWebApp ends an Express program: its HTTP server, the keys it left
// under prefix, and its node-redis client.
export async function closeWebApp(server, client, prefix) {
  server.close();
  server.closeAllConnections();
  const keys = [];
  for await (const batch of client.scanIterator({ MATCH: prefix + '*', COUNT: 500 })) keys.push(...batch);
  if (keys.length) await client.del(keys);
  await client.quit().catch(() => client.disconnect());
}
