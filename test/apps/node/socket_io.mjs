// Shared bits of the socket.io programs (socketio_streams.mjs,
// socketio_redis.mjs): two socket.io servers in one process, each on a port
// of its own and with Redis clients of its own, as two processes behind a
// load balancer would be, with socket.io-client clients on each, and the
// checks every Redis adapter must pass across the two servers.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Server } from 'socket.io';
import { io as ioc } from 'socket.io-client';
import { eq, ok, until } from './common.mjs';

const require = createRequire(import.meta.url);
export const SOCKET_IO_VERSION = require('socket.io/package.json').version;
export const CLIENT_VERSION = require('socket.io-client/package.json').version;

// Two servers, A and B, each with its own adapter (adapters[i] is what
// new Server takes as its adapter option). Every socket answers 'join' with
// a room change, every client answers 'question' with its user, and every
// server answers the server-side event 'hello' with its name and counts 'note's.
export async function startPair(adapters, serverOpts = {}) {
  const servers = [];
  for (const [i, adapter] of adapters.entries()) {
    const name = 'AB'[i];
    const http = createServer();
    const io = new Server(http, { adapter, ...serverOpts });
    const srv = { name, io, http, notes: [], url: '' };
    io.on('connection', (socket) => {
      socket.data.user ??= socket.handshake.auth.user;
      socket.on('join', (room, cb) => {
        socket.join(room);
        cb();
      });
    });
    io.on('hello', (arg, cb) => cb(`${name}:${arg}`));
    io.on('note', (arg) => srv.notes.push(arg));
    await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
    srv.url = `http://127.0.0.1:${http.address().port}`;
    servers.push(srv);
  }
  const clients = [];
  // connect opens a client on srv as user; got lists the events it received
  // as [event, first argument] (a recovering server appends the packet's
  // offset as a last argument, which is not the application's).
  async function connect(srv, user, opts = {}) {
    const c = ioc(srv.url, { transports: ['websocket'], forceNew: true, auth: { user }, ...opts });
    c.got = [];
    c.onAny((event, arg) => c.got.push([event, arg]));
    c.on('question', (n, cb) => cb(`${user}:${n}`));
    clients.push(c);
    await new Promise((resolve, reject) => {
      c.once('connect', resolve);
      c.once('connect_error', reject);
    });
    return c;
  }
  async function closeServer(s) {
    if (s.closed) return;
    s.closed = true;
    await s.io.close();
    s.http.closeAllConnections();
  }
  async function close() {
    for (const c of clients) c.disconnect();
    for (const s of servers) await closeServer(s);
  }
  return { servers, clients, connect, closeServer, close };
}

export const received = (c, event) => c.got.filter(([e]) => e === event).map(([, arg]) => arg);

// Waits until client c has received event with arg.
export function receives(c, event, arg, what) {
  return until(() => received(c, event).includes(arg), `${what}: ${c.auth.user} did not receive ${event} ${arg}`);
}

// The checks of a socket.io adapter across the two servers of pair: both
// servers count each other (PUBSUB NUMSUB or SHARDNUMSUB), broadcasts,
// rooms and except, remote socketsJoin, fetchSockets and a remote socket's
// emit, server-side events with acks, broadcasts with client acks, and
// disconnectSockets of a socket on the other server. label names the variant.
export function crossServerChecks(label, pairPromise) {
  let pair, A, B, a1, a2, b1, b2;
  let seq = 0;
  // A broadcast of each server every client awaits: as one publisher's
  // messages reach one subscriber in order, a client that has both has every
  // earlier packet of A and of B.
  async function sync() {
    const n = `sync-${++seq}`;
    A.io.emit('sync', `${n}A`);
    B.io.emit('sync', `${n}B`);
    const clients = [a1, a2, b1, b2].filter((c) => c.connected);
    await Promise.all(clients.flatMap((c) => [
      receives(c, 'sync', `${n}A`, 'sync broadcast of A'),
      receives(c, 'sync', `${n}B`, 'sync broadcast of B'),
    ]));
  }
  return [
    [`${label}: two servers, four clients; each server counts two servers`, async () => {
      pair = await pairPromise();
      [A, B] = pair.servers;
      a1 = await pair.connect(A, 'a1');
      a2 = await pair.connect(A, 'a2');
      b1 = await pair.connect(B, 'b1');
      b2 = await pair.connect(B, 'b2');
      // serverCount is what fetchSockets and acks wait for: a server that
      // counted one would answer before hearing from the other.
      await until(async () => (await A.io.of('/').adapter.serverCount()) === 2, 'server count of A is 2');
      eq(await B.io.of('/').adapter.serverCount(), 2, 'server count of B');
    }],
    [`${label}: a broadcast of A reaches the clients of B`, async () => {
      A.io.emit('news', 'from A');
      B.io.emit('news', 'from B');
      await Promise.all([a1, a2, b1, b2].flatMap((c) => [
        receives(c, 'news', 'from A', 'broadcast of A'),
        receives(c, 'news', 'from B', 'broadcast of B'),
      ]));
      await sync();
      for (const c of [a1, a2, b1, b2]) eq(received(c, 'news').sort(), ['from A', 'from B'], `news of ${c.auth.user}`);
    }],
    [`${label}: rooms across servers: to(room), except, remote socketsJoin`, async () => {
      await new Promise((r) => a1.emit('join', 'blue', r));
      await new Promise((r) => b1.emit('join', 'blue', r));
      await new Promise((r) => b2.emit('join', 'red', r));
      A.io.to('blue').emit('room', 'blue 1');
      A.io.to('blue').except(b1.id).emit('room', 'blue but b1');
      B.io.to(['red', 'blue']).except('blue').emit('room', 'red not blue');
      await sync();
      eq(received(a1, 'room'), ['blue 1', 'blue but b1'], 'room events of a1');
      eq(received(b1, 'room'), ['blue 1'], 'room events of b1');
      eq(received(a2, 'room'), [], 'room events of a2');
      eq(received(b2, 'room'), ['red not blue'], 'room events of b2');
      // A has b2 (a socket of B) join a room, then B broadcasts to it.
      A.io.in(b2.id).socketsJoin('green');
      await until(() => B.io.of('/').adapter.rooms.get('green')?.has(b2.id), 'b2 in room green on B');
      A.io.to('green').emit('room', 'green');
      await receives(b2, 'room', 'green', 'broadcast to a room joined remotely');
      await sync();
      eq(received(b1, 'room'), ['blue 1'], 'room events of b1 after green');
    }],
    [`${label}: fetchSockets across servers; a remote socket's emit`, async () => {
      const all = await A.io.fetchSockets();
      eq(all.map((s) => s.data.user).sort(), ['a1', 'a2', 'b1', 'b2'], 'users of fetchSockets on A');
      const blue = await B.io.in('blue').fetchSockets();
      eq(blue.map((s) => s.id).sort(), [a1.id, b1.id].sort(), 'ids of the blue room fetched from B');
      const remoteB2 = (await A.io.in('green').fetchSockets())[0];
      eq(remoteB2?.id, b2.id, 'socket of the green room fetched from A');
      ok(remoteB2.rooms.has('red') && remoteB2.rooms.has('green'), `rooms of b2 seen from A: ${[...remoteB2.rooms]}`);
      remoteB2.emit('direct', 'to b2 from A');
      await receives(b2, 'direct', 'to b2 from A', 'emit of a socket fetched from the other server');
    }],
    [`${label}: serverSideEmit with and without acks`, async () => {
      eq(await A.io.serverSideEmitWithAck('hello', 'x'), ['B:x'], 'acks of serverSideEmit from A');
      eq(await B.io.serverSideEmitWithAck('hello', 'y'), ['A:y'], 'acks of serverSideEmit from B');
      A.io.serverSideEmit('note', 1);
      B.io.serverSideEmit('note', 2);
      await until(() => A.notes.length === 1 && B.notes.length === 1, 'notes between the servers');
      eq([A.notes, B.notes], [[2], [1]], 'notes received by A and B');
    }],
    [`${label}: a broadcast with acks collects every client's answer`, async () => {
      const answers = await A.io.timeout(3000).emitWithAck('question', 7);
      eq(answers.sort(), ['a1:7', 'a2:7', 'b1:7', 'b2:7'], 'answers to a broadcast from A');
      const blue = await B.io.to('blue').timeout(3000).emitWithAck('question', 8);
      eq(blue.sort(), ['a1:8', 'b1:8'], 'answers of the blue room to B');
    }],
    [`${label}: disconnectSockets of a socket on the other server`, async () => {
      const reason = new Promise((resolve) => b2.once('disconnect', resolve));
      A.io.in('red').disconnectSockets(true);
      eq(await reason, 'io server disconnect', 'disconnect reason of b2');
      await until(() => !B.io.of('/').sockets.has(b2.id), 'b2 gone from B');
      eq((await A.io.fetchSockets()).map((s) => s.data.user).sort(), ['a1', 'a2', 'b1'], 'users left');
    }],
  ];
}
