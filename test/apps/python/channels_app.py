"""Django Channels' Redis channel layers (Debian's python3-channels-redis,
on redis-py's asyncio client) on one server, as the processes of a Channels
site use them: each "process" here is a layer instance of its own, with its
own connections. RedisChannelLayer keeps a channel's messages in a sorted
set (ZADD, EXPIRE), receives with BZPOPMIN after a Lua script that restores
a backup set (EVAL with numkeys 0, its keys in ARGV), sends to a group with
a Lua script over the members' channels, and flushes with a script calling
KEYS; RedisPubSubChannelLayer rides on PUBLISH and SUBSCRIBE.

Checks: messages on a channel arrive once each and in order; a channel
shared by two receivers gives each message to one of them; a process's
specific channels get the messages meant for them; group_send reaches every
member, and not one that left; a full channel refuses with ChannelFull; an
unread message expires; group membership expires; flush empties the layer;
the pub/sub layer delivers to channels and groups.

Usage: python3 channels_app.py [HOST PORT | HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
Prints the library versions first, "ok: <check>" lines, and exits 1 at the
first failed check.
"""
import asyncio
import os
import sys
import time
import traceback
import uuid

import channels
import channels_redis
import redis
from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer
from apputil import check, eq, where


HOST, PORT = where()
RUN = uuid.uuid4().hex[:8]
PREFIX = f"gapp:chan:{RUN}"
VERSIONS = f"channels_redis {channels_redis.__version__}, channels {channels.__version__}, redis-py {redis.__version__}"
print(f"{VERSIONS} against {HOST}:{PORT}", flush=True)
layers = []


def layer(cls=RedisChannelLayer, **kw):
    """One process's channel layer (its own connection pool)."""
    lay = cls(hosts=[{"address": f"redis://{HOST}:{PORT}"}], prefix=kw.pop("prefix", PREFIX), **kw)
    layers.append(lay)
    return lay


async def nothing(lay, channel, seconds, what):
    """Checks that nothing arrives on channel within seconds."""
    try:
        msg = await asyncio.wait_for(lay.receive(channel), seconds)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"{what}: received {msg!r}")


async def in_order():
    a, b = layer(), layer()
    for i in range(20):
        await a.send("orders", {"type": "order", "n": i})
    got = [(await b.receive("orders"))["n"] for _ in range(20)]
    eq(got, list(range(20)), "messages in order")
    await nothing(b, "orders", 0.5, "a 21st message")


async def shared_channel():
    # Two receivers in one process, as a worker's consumers are: the layer's
    # per-channel lock orders their pops and backups. (Receivers of one
    # normal channel in two processes share its "$inflight" backup set, and
    # one's restore script can requeue a message the other popped but has not
    # yet cleared from the backup: a duplicate on Redis too, only likelier
    # the slower each write is, as Geomys's replicated ones are.)
    sender, r1 = layer(), layer()
    r2 = r1
    got = []

    async def worker(lay, who):
        while True:
            msg = await lay.receive("work")
            got.append((who, msg["n"]))
            if len(got) == 30:
                return

    tasks = [asyncio.ensure_future(worker(r1, "r1")), asyncio.ensure_future(worker(r2, "r2"))]
    await asyncio.sleep(0.2)  # both wait in BZPOPMIN
    for i in range(30):
        await sender.send("work", {"type": "job", "n": i})
    done, pending = await asyncio.wait(tasks, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    eq(sorted(n for _, n in got), list(range(30)), "messages taken by the two receivers (each once)")


async def specific_channels():
    server1, server2 = layer(), layer()
    ch1 = await server1.new_channel()
    ch2 = await server2.new_channel()
    ch1b = await server1.new_channel()
    await server2.send(ch1, {"type": "hello", "to": "ch1"})
    await server1.send(ch2, {"type": "hello", "to": "ch2"})
    await server2.send(ch1b, {"type": "hello", "to": "ch1b"})
    eq((await asyncio.wait_for(server1.receive(ch1b), 5))["to"], "ch1b", "ch1b (buffered behind ch1)")
    eq((await asyncio.wait_for(server1.receive(ch1), 5))["to"], "ch1", "ch1")
    eq((await asyncio.wait_for(server2.receive(ch2), 5))["to"], "ch2", "ch2")


async def groups():
    procs = [layer() for _ in range(3)]
    chans = [await p.new_channel() for p in procs]
    for p, c in zip(procs, chans):
        await p.group_add("chat", c)
    sender = layer()
    await sender.group_send("chat", {"type": "chat.message", "text": "hi all"})
    for p, c in zip(procs, chans):
        eq((await asyncio.wait_for(p.receive(c), 5))["text"], "hi all", f"group message on {c}")
    await procs[1].group_discard("chat", chans[1])
    await sender.group_send("chat", {"type": "chat.message", "text": "without 1"})
    eq((await asyncio.wait_for(procs[0].receive(chans[0]), 5))["text"], "without 1", "member 0 after 1 left")
    eq((await asyncio.wait_for(procs[2].receive(chans[2]), 5))["text"], "without 1", "member 2 after 1 left")
    await nothing(procs[1], chans[1], 0.5, "a member that left")


async def capacity():
    small = layer(capacity=3, channel_capacity={"tiny*": 2})
    for i in range(3):
        await small.send("full", {"type": "m", "n": i})
    try:
        await small.send("full", {"type": "m", "n": 3})
        raise AssertionError("a 4th message on a channel of capacity 3 was accepted")
    except ChannelFull:
        pass
    for i in range(2):
        await small.send("tiny.x", {"type": "m", "n": i})
    try:
        await small.send("tiny.x", {"type": "m", "n": 2})
        raise AssertionError("a 3rd message on a channel of capacity 2 was accepted")
    except ChannelFull:
        pass
    eq([(await small.receive("full"))["n"] for _ in range(3)], [0, 1, 2], "the messages of the full channel")
    await small.send("full", {"type": "m", "n": 4})
    eq((await small.receive("full"))["n"], 4, "a message after the channel was drained")
    # group_send skips members over capacity (its script counts with ZCOUNT).
    ch = await small.new_channel()
    await small.group_add("busy", ch)
    for i in range(5):
        await small.group_send("busy", {"type": "m", "n": i})
    eq([(await asyncio.wait_for(small.receive(ch), 5))["n"] for _ in range(3)], [0, 1, 2], "group messages within capacity")
    await nothing(small, ch, 0.5, "group messages over capacity")


async def expiry():
    short = layer(expiry=1, group_expiry=1)
    await short.send("stale", {"type": "m"})
    await asyncio.sleep(2.2)
    await nothing(short, "stale", 0.5, "a message past its expiry")
    ch = await short.new_channel()
    await short.group_add("brief", ch)
    await asyncio.sleep(2.2)
    await short.group_send("brief", {"type": "m"})
    await nothing(short, ch, 0.5, "a group message to a membership past its expiry")


async def flush():
    lay = layer(prefix=f"{PREFIX}:flush")
    for i in range(5):
        await lay.send(f"left{i}", {"type": "m"})
    await lay.group_add("g", "left0")
    admin = redis.Redis(host=HOST, port=PORT)
    try:
        check(admin.keys(f"{PREFIX}:flush*"), "no keys before flush")
        await lay.flush()
        eq(admin.keys(f"{PREFIX}:flush*"), [], "keys after flush")
    finally:
        admin.close()


async def pubsub():
    a, b = layer(RedisPubSubChannelLayer), layer(RedisPubSubChannelLayer)
    ch = await b.new_channel()
    receiving = asyncio.ensure_future(b.receive(ch))
    await asyncio.sleep(0.3)  # subscribed
    await a.send(ch, {"type": "ping", "n": 1})
    eq((await asyncio.wait_for(receiving, 5))["n"], 1, "pub/sub message")
    members = [await b.new_channel() for _ in range(2)]
    for m in members:
        await b.group_add("room", m)
    await asyncio.sleep(0.3)
    await a.group_send("room", {"type": "room.message", "text": "to the room"})
    for m in members:
        eq((await asyncio.wait_for(b.receive(m), 5))["text"], "to the room", f"pub/sub group message on {m}")


CHECKS = [
    ("20 messages on a channel arrive once each, in order", in_order),
    ("a channel with two receivers gives each message to one", shared_channel),
    ("process-specific channels", specific_channels),
    ("group_send reaches the members, not one that left", groups),
    ("a full channel refuses with ChannelFull; group_send skips it", capacity),
    ("unread messages and group memberships expire", expiry),
    ("flush deletes the layer's keys", flush),
    ("the pub/sub layer delivers to channels and groups", pubsub),
]


async def cleanup():
    for lay in layers:
        try:
            if isinstance(lay, RedisPubSubChannelLayer):
                await lay.flush()
            else:
                await lay.close_pools()
        except Exception as err:  # cleanup is best effort
            print(f"cleanup: {err}", flush=True)
    admin = redis.Redis(host=HOST, port=PORT)
    keys = admin.keys(PREFIX + "*")
    if keys:
        admin.delete(*keys)
    admin.close()


async def main():
    started = time.time()
    passed = True
    for name, fn in CHECKS:
        try:
            await asyncio.wait_for(fn(), 20)
        except Exception:  # any failure ends the run with its trace
            print(f"FAIL: {name}", flush=True)
            traceback.print_exc(file=sys.stdout)
            passed = False
            break
        print(f"ok: {name}", flush=True)
    try:
        await asyncio.wait_for(cleanup(), 10)
    except Exception as err:
        print(f"cleanup: {err!r}", flush=True)
    if passed:
        print(f"{VERSIONS}: {len(CHECKS)} checks passed in {time.time() - started:.1f} s", flush=True)
    return passed


if __name__ == "__main__":
    ok = asyncio.run(main())
    sys.stdout.flush()
    # Connections of the layers may still be closing; their state is not ours to wait for.
    os._exit(0 if ok else 1)
