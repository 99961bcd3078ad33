// socket.io with @socket.io/redis-streams-adapter (on node-redis): two
// socket.io servers sharing one Redis, clients on each. The adapter appends
// broadcasts to a stream (XADD with MAXLEN ~) that every server reads with
// XREAD BLOCK from its own connection, sends the ephemeral requests
// (serverSideEmit, fetchSockets, acks) by PUBLISH or SPUBLISH, counts
// servers with PUBSUB NUMSUB or SHARDNUMSUB, and for connection state
// recovery keeps a disconnected client's session in a key (SET PX) that the
// server it comes back to takes (GET and DEL in a MULTI) before replaying
// the packets it missed from the stream (XRANGE).
// Checks, with plain and with sharded pub/sub: the cross-server checks of
// socket_io.mjs (broadcasts, rooms, fetchSockets, serverSideEmit, acks,
// disconnectSockets); then, with recovery on: a client cut off while a
// broadcast and two room broadcasts went out comes back with its id, its
// rooms and exactly the packets meant for it; cut off again, it comes back
// on the other server; its session, taken, cannot be taken twice.
// Usage: node socketio_streams.mjs [HOST PORT | HOST:PORT]
import { createRequire } from 'node:module';
import { createClient } from 'redis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { HOST, PORT, RUN, eq, ok, run, logErrors, until } from './common.mjs';
import { SOCKET_IO_VERSION, CLIENT_VERSION, startPair, crossServerChecks, received, receives } from './socket_io.mjs';

const require = createRequire(import.meta.url);
const VERSION = require('@socket.io/redis-streams-adapter/package.json').version;
const REDIS = require('redis/package.json').version;
console.log(`@socket.io/redis-streams-adapter ${VERSION} (socket.io ${SOCKET_IO_VERSION}, socket.io-client ${CLIENT_VERSION}, redis ${REDIS}) against ${HOST}:${PORT}`);

const PREFIX = `gapp:sio:${RUN}`;
const clients = []; // every node-redis client, to close
const pairs = [];
const admin = logErrors(createClient({ socket: { host: HOST, port: PORT, reconnectStrategy: false } }), 'admin');
await admin.connect();

// A pair of servers, each with a node-redis client of its own that the
// adapter duplicates for its XREAD BLOCK and its subscriptions.
function pair(variant, adapterOpts, serverOpts) {
  return async () => {
    const adapters = [];
    for (const name of ['A', 'B']) {
      const c = logErrors(createClient({ socket: { host: HOST, port: PORT } }), `redis ${variant} ${name}`);
      await c.connect();
      clients.push(c);
      adapters.push(createAdapter(c, {
        streamName: `${PREFIX}:${variant}:stream`,
        channelPrefix: `${PREFIX}:${variant}`,
        sessionKeyPrefix: `${PREFIX}:${variant}:session:`,
        blockTimeInMs: 2000,
        ...adapterOpts,
      }));
    }
    const p = await startPair(adapters, serverOpts);
    pairs.push(p);
    return p;
  };
}

let recoveryPair;
const recoveryChecks = [
  ['recovery: a client cut off gets the packets it missed, and only those', async () => {
    const p = pairs[0];
    recoveryPair = p;
    const [A, B] = p.servers;
    // r is cut off and recovers; w, in every room, sees each packet live.
    const r = await p.connect(B, 'r', { reconnection: false });
    const w = await p.connect(B, 'w');
    await new Promise((done) => r.emit('join', 'in', done));
    for (const room of ['in', 'out']) await new Promise((done) => w.emit('join', room, done));
    // A client has an offset to recover from once a broadcast reached it.
    A.io.emit('before', 1);
    await receives(r, 'before', 1, 'broadcast before the cut');
    ok(typeof r._lastOffset === 'string', `offset of r: ${r._lastOffset}`);
    const id = r.id;
    r.io.engine.close();
    await until(() => !B.io.of('/').sockets.has(id), 'B lost r');
    A.io.emit('missed', 'all');
    A.io.to('out').emit('missed', 'other room');
    A.io.to('in').emit('missed', 'its room');
    await receives(w, 'missed', 'its room', 'broadcast while r was away');
    eq(received(r, 'missed'), [], 'packets r got while cut off');
    r.connect();
    await new Promise((resolve, reject) => {
      r.once('connect', resolve);
      r.once('connect_error', reject);
    });
    eq([r.recovered, r.id], [true, id], 'recovered flag and id of r');
    await receives(r, 'missed', 'its room', 'missed packet after recovery');
    eq(received(r, 'missed'), ['all', 'its room'], 'packets r got on recovery');
    ok(B.io.of('/').adapter.rooms.get('in')?.has(id), 'r back in its room on B');
    const [again] = await A.io.in(id).fetchSockets();
    eq(again?.data.user, 'r', 'data of the recovered socket, fetched from A');
  }],
  ['recovery: a client cut off from B recovers on A; its session cannot be taken twice', async () => {
    const p = recoveryPair;
    const [A, B] = p.servers;
    const r = p.clients.find((c) => c.auth.user === 'r');
    const w = p.clients.find((c) => c.auth.user === 'w');
    const id = r.id;
    r.io.engine.close();
    await until(() => !B.io.of('/').sockets.has(id), 'B lost r');
    A.io.to('in').emit('missed', 'while moving');
    await receives(w, 'missed', 'while moving', 'broadcast while r moved');
    // What socket.io-client sends when reconnecting, sent to the other server.
    const auth = { user: 'r2', pid: r._pid, offset: r._lastOffset };
    const moved = await p.connect(A, 'r2', { auth, reconnection: false });
    eq(moved.id, id, 'id of r on A');
    await receives(moved, 'missed', 'while moving', 'packet missed while moving');
    eq(received(moved, 'missed'), ['while moving'], 'packets replayed on A');
    eq(A.io.of('/').sockets.get(id)?.recovered, true, 'recovered flag on A');
    eq(A.io.of('/').sockets.get(id)?.data.user, 'r', 'data kept by the session');
    const twice = await p.connect(B, 'r3', { auth: { ...auth, user: 'r3' }, reconnection: false });
    ok(twice.id !== id, 'a session was restored twice');
    eq(B.io.of('/').sockets.get(twice.id)?.recovered, false, 'recovered flag of the second taker');
  }],
];

await run(`@socket.io/redis-streams-adapter ${VERSION}`, [
  ...crossServerChecks('pub/sub', pair('plain', {}, { connectionStateRecovery: { maxDisconnectionDuration: 10000 } })),
  ...recoveryChecks,
  ...crossServerChecks('sharded pub/sub', pair('sharded', { useShardedPubSub: true })),
], async () => {
  await Promise.all(pairs.map((p) => p.close()));
  const keys = [];
  for await (const batch of admin.scanIterator({ MATCH: `${PREFIX}:*`, COUNT: 500 })) keys.push(...batch);
  if (keys.length) await admin.del(keys);
  for (const c of [...clients, admin]) await c.quit().catch(() => c.disconnect());
});
