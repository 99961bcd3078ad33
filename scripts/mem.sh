#!/usr/bin/env bash
# Memory per key and the write stall during a snapshot, Geomys vs redis-server.
#
#   scripts/mem.sh                 # 1,000,000 string keys
#   KEYS=200000 scripts/mem.sh
#   KIND=hash scripts/mem.sh       # 1,000,000 small hashes (hkey:<n> f1 v1 f2 v2)
#   KIND=zset scripts/mem.sh       # 1,000,000 members of one sorted set
#   KIND=stream scripts/mem.sh     # 1,000,000 small entries of one stream (XADD s <n>-1 f v<k>)
#
# Loads KEYS small string keys (key:<n> -> "xxx") into each server with
# redis-cli --pipe, then reports RSS growth per key. Then, on each server,
# (RSS is read SETTLE=15 s after the load, the same wait for both servers.)
# measures SET latency (1 client) while a snapshot runs (Geomys: BGSAVE, which
# is also the AOF rewrite; Redis: BGREWRITEAOF) next to the latency without one.
set -euo pipefail
cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000}

scripts/ensure-deps.sh
make -s build
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_write() {
  for _ in $(seq 1 300); do
    [ "$(redis-cli -p "$1" set __mem_ready 1 2>/dev/null)" = "OK" ] && redis-cli -p "$1" del __mem_ready >/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2; exit 1
}
rss() { awk '/VmRSS/ { print $2 * 1024 }' "/proc/$1/status"; }

gport=$(free_port)
mkdir -p "$work/g" "$work/r"
./bin/geomys --port "$gport" --raft-addr "127.0.0.1:$(free_port)" --dir "$work/g" --loglevel warning \
  --auto-aof-rewrite-percentage 0 </dev/null >"$work/g.log" 2>&1 &
gpid=$!; pids+=($gpid)
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --dir "$work/r" --save '' --appendonly yes \
  --appendfsync everysec --auto-aof-rewrite-percentage 0 --logfile "$work/r.log" </dev/null >/dev/null 2>&1 &
rpid=$!; pids+=($rpid)
wait_write "$gport"; wait_write "$rport"

KIND=${KIND:-string}
python3 - "$KEYS" "$KIND" >"$work/load.resp" <<'PY'
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
def cmd(*args):
    out.write("*%d\r\n" % len(args))
    for a in args:
        out.write("$%d\r\n%s\r\n" % (len(a), a))
for i in range(n):
    if kind == "hash":
        cmd("HSET", "hkey:%d" % i, "f1", "v1", "f2", "v2")
    elif kind == "stream":
        cmd("XADD", "stream", "%d-1" % (i + 1), "f", "v%d" % (i % 1000))
    elif kind == "zset":
        cmd("ZADD", "zset", str(i % 100000), "member:%d" % i)
    else:
        cmd("SET", "key:%d" % i, "xxx")
PY

perkey=()
report() { # name pid port: prints a line, appends bytes/key to $perkey
  local before after n
  before=$(rss "$2")
  redis-cli -p "$3" --pipe <"$work/load.resp" >/dev/null
  sleep "${SETTLE:-15}" # steady state: both servers idle, allocators settled
  after=$(rss "$2")
  n=$KEYS
  awk -v name="$1" -v b="$before" -v a="$after" -v n="$n" 'BEGIN {
    printf "%-8s entries=%d rss_before=%.1fMB rss_after=%.1fMB bytes/entry=%.1f\n", name, n, b/1048576, a/1048576, (a-b)/n }'
  perkey+=($(( (after - before) / n )))
}
echo "== memory: $KEYS $KIND entries"
report geomys "$gpid" "$gport"
report redis "$rpid" "$rport"
awk -v g="${perkey[0]}" -v r="${perkey[1]}" 'BEGIN { printf "ratio geomys/redis bytes per entry: %.2f\n", g/r }'
[ "${LATENCY:-1}" = 1 ] || exit 0

lat() { # port -> "p50 p99 max" ms for SET with one client
  redis-benchmark -p "$1" -c 1 -n 20000 -t set -r 1000000 --csv 2>/dev/null |
    awk -F, 'NR==2 { gsub(/"/, ""); print "p50=" $5 "ms p99=" $7 "ms max=" $8 "ms" }'
}
echo "== SET latency, 1 client, without and during a snapshot of $KEYS keys"
for s in "geomys $gport BGSAVE" "redis $rport BGREWRITEAOF"; do
  set -- $s
  echo "$1 idle:            $(lat "$2")"
  redis-cli -p "$2" "$3" >/dev/null
  echo "$1 during snapshot: $(lat "$2")"
done
