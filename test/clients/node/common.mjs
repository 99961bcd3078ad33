// Shared bits of the Node.js client smoke tests: where the server is, an
// assertion helper, and the scenario runner whose output the Go test reads.
import { isDeepStrictEqual, inspect } from 'node:util';

export const HOST = process.argv[2] ?? process.env.GEOMYS_HOST ?? '127.0.0.1';
export const PORT = Number(process.argv[3] ?? process.env.GEOMYS_PORT ?? 6379);

export function eq(got, want, what) {
  if (!isDeepStrictEqual(got, want)) {
    throw new Error(`${what}: got ${inspect(got, { depth: 5 })}, want ${inspect(want, { depth: 5 })}`);
  }
}

export function ok(cond, what) {
  if (!cond) throw new Error(what);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Rejects when p has not settled within ms.
export function within(ms, p, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// A binary value that exercises every byte, CR/LF and NUL.
export const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from('\r\n\0tail\r\n', 'latin1'),
]);

// Runs the scenarios in order; each is [name, fn] or [name, fn, lacksCmd]
// where lacksCmd (a string) means: print SKIPPED and go on. Exits 1 at the
// first failure, printing the error.
export async function runScenarios(label, scenarios) {
  let passed = 0;
  let skipped = 0;
  for (const [name, fn, lacks] of scenarios) {
    if (lacks) {
      console.log(`SKIPPED: ${name} (server lacks ${lacks})`);
      skipped++;
      continue;
    }
    try {
      await within(15000, fn(), name);
    } catch (err) {
      console.log(`FAIL: ${name}`);
      console.log(err && err.stack ? err.stack : String(err));
      return false;
    }
    console.log(`ok: ${name}`);
    passed++;
  }
  console.log(`${label}: ${passed} scenarios passed, ${skipped} skipped`);
  return true;
}
