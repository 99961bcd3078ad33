// socket.io with @socket.io/redis-adapter (on node-redis): two socket.io
// servers sharing one Redis, clients on each. The classic adapter sends
// broadcasts by PUBLISH to per-room channels that every server reads with
// one PSUBSCRIBE, and its requests (fetchSockets, serverSideEmit, remote
// joins and disconnects) and their responses on SUBSCRIBEd channels,
// counting the servers that must answer with PUBSUB NUMSUB. The sharded
// adapter (Redis 7) does the same with SPUBLISH and SSUBSCRIBE, subscribing
// and unsubscribing a channel per room as rooms come and go (SUNSUBSCRIBE),
// and counts servers with PUBSUB SHARDNUMSUB.
// Checks: the cross-server checks of socket_io.mjs (broadcasts, rooms,
// fetchSockets, serverSideEmit, acks, disconnectSockets) with the classic
// adapter, the sharded one with a channel per public room (dynamic) and
// with a channel per room, a socket's own included (dynamic-private); then
// that a closed server's subscriptions are gone (PUBSUB CHANNELS,
// SHARDCHANNELS) and the remaining server counts itself alone.
// Usage: node socketio_redis.mjs [HOST PORT | HOST:PORT]
import { createRequire } from 'node:module';
import { createClient } from 'redis';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { HOST, PORT, RUN, eq, run, logErrors, until } from './common.mjs';
import { SOCKET_IO_VERSION, CLIENT_VERSION, startPair, crossServerChecks } from './socket_io.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('@socket.io/redis-adapter/package.json').version;
const REDIS = require('redis/package.json').version;
console.log(`@socket.io/redis-adapter ${VERSION} (socket.io ${SOCKET_IO_VERSION}, socket.io-client ${CLIENT_VERSION}, redis ${REDIS}) against ${HOST}:${PORT}`);

const PREFIX = `gapp:sio:${RUN}`;
const clients = []; // every node-redis client, to close
const pairs = {};
const admin = logErrors(createClient({ socket: { host: HOST, port: PORT, reconnectStrategy: false } }), 'admin');
await admin.connect();

// A pair of servers, each with a publishing and a subscribed node-redis
// client of its own, as the adapter's README sets them up.
function pair(variant, make) {
  return async () => {
    const adapters = [];
    for (const name of ['A', 'B']) {
      const pub = logErrors(createClient({ socket: { host: HOST, port: PORT } }), `redis ${variant} ${name} pub`);
      const sub = logErrors(pub.duplicate(), `redis ${variant} ${name} sub`);
      await Promise.all([pub.connect(), sub.connect()]);
      clients.push(pub, sub);
      adapters.push(make(pub, sub, `${PREFIX}:${variant}`));
    }
    pairs[variant] = await startPair(adapters);
    return pairs[variant];
  };
}

const pubsub = (...args) => admin.sendCommand(['PUBSUB', ...args]);

// Closing B unsubscribes it: what is left subscribed under prefix is A's.
async function closeB(variant) {
  const p = pairs[variant];
  const [A, B] = p.servers;
  const prefix = `${PREFIX}:${variant}`;
  const before = variant === 'plain'
    ? (await pubsub('CHANNELS', `${prefix}*`)).length
    : (await pubsub('SHARDCHANNELS', `${prefix}*`)).length;
  for (const c of p.clients) c.disconnect();
  await p.closeServer(B);
  await until(async () => (await A.io.of('/').adapter.serverCount()) === 1, `${variant}: A counts itself alone after B closed`);
  if (variant === 'plain') {
    // B's own response channel goes; the request and response channels stay
    // subscribed by A (that NUMSUB counts one server shows B left them).
    // (PUBSUB NUMPAT is not checked: with node-redis 5 B's PSUBSCRIBE
    // outlives the adapter's pUnsubscribe, on redis-server too.)
    eq((await pubsub('CHANNELS', `${prefix}*`)).length, before - 1, 'channels left after B closed');
  } else {
    // B's own two channels go; a room channel stays while A has the room.
    const left = await pubsub('SHARDCHANNELS', `${prefix}*`);
    eq(left.length < before, true, `shard channels before (${before}) and after B closed: ${left}`);
    eq(left.includes(`${prefix}#/#`), true, `A's public shard channel left: ${left}`);
  }
}

const plain = (pub, sub, key) => createAdapter(pub, sub, { key, requestsTimeout: 3000 });
const sharded = (subscriptionMode) => (pub, sub, channelPrefix) => createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode });

await run(`@socket.io/redis-adapter ${VERSION}`, [
  ...crossServerChecks('classic', pair('plain', plain)),
  ['classic: a closed server unsubscribes; the other counts one server', () => closeB('plain')],
  ...crossServerChecks('sharded dynamic', pair('dynamic', sharded('dynamic'))),
  ['sharded dynamic: a closed server unsubscribes; the other counts one server', () => closeB('dynamic')],
  ...crossServerChecks('sharded dynamic-private', pair('private', sharded('dynamic-private'))),
  ['sharded dynamic-private: a closed server unsubscribes; the other counts one server', () => closeB('private')],
], async () => {
  await Promise.all(Object.values(pairs).map((p) => p.close()));
  for (const c of [...clients, admin]) await c.quit().catch(() => c.disconnect());
});
