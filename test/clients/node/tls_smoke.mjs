// ioredis and node-redis over TLS with a client certificate, and refused
// without one. Usage: node tls_smoke.mjs HOST PORT, with GEOMYS_TLS_DIR
// holding ca.crt, client.crt and client.key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { HOST, PORT, eq } from './common.mjs';

const dir = process.env.GEOMYS_TLS_DIR;
const ca = readFileSync(join(dir, 'ca.crt'));
const cert = readFileSync(join(dir, 'client.crt'));
const key = readFileSync(join(dir, 'client.key'));

try {
  const io = new Redis({ host: HOST, port: PORT, tls: { ca, cert, key }, retryStrategy: () => null });
  eq(await io.set('io:tls', 'v'), 'OK', 'ioredis SET');
  eq(await io.get('io:tls'), 'v', 'ioredis GET');
  await io.quit();
  console.log('ok: ioredis over TLS');

  const nr = createClient({ socket: { host: HOST, port: PORT, tls: true, ca, cert, key, reconnectStrategy: false } });
  nr.on('error', () => {});
  await nr.connect();
  eq(await nr.set('nr:tls', 'w'), 'OK', 'node-redis SET');
  eq(await nr.get('io:tls'), 'v', 'node-redis GET');
  await nr.quit();
  console.log('ok: node-redis over TLS');

  const bare = createClient({ socket: { host: HOST, port: PORT, tls: true, ca, reconnectStrategy: false } });
  bare.on('error', () => {});
  let refused = false;
  try {
    await bare.connect();
    await bare.ping();
  } catch (e) {
    refused = true;
    console.log(`ok: without a certificate refused: ${e.message}`);
  }
  if (!refused) throw new Error('a client without a certificate was served');
  process.exit(0);
} catch (e) {
  console.log(`FAIL: ${e.stack}`);
  process.exit(1);
}
