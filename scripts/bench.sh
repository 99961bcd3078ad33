#!/usr/bin/env bash
# Geomys vs redis-server, side by side in one run, interleaved per test.
#
#   scripts/bench.sh                 # -c 50, -n 200000, -P 1 and -P 16
#   N=50000 TESTS=set,get scripts/bench.sh
#   ROUNDS=5 scripts/bench.sh        # median of 5 interleaved rounds
#   TESTS=evalsha,evalsha_ro scripts/bench.sh
#   TESTS=geoadd scripts/bench.sh
#   TESTS=xadd scripts/bench.sh      # XADD stream:<rand> * f v (compare with redis-always)
#   TESTS=setbit,pfadd scripts/bench.sh
#
# evalsha runs a small write script (INCR then PEXPIRE of one key) by its
# sha; evalsha_ro a read-only one (GET) with EVALSHA_RO. Compare evalsha with
# redis-always and evalsha_ro with redis-none. geoadd adds random members
# to one GEO key; setbit (SETBIT bits:<rand> 7 1) and pfadd (PFADD hll <rand>:
# one HyperLogLog, soon dense) are writes too (compare with redis-always).
#
# Servers: geomys (default flags: every write fsynced in the Raft log before
# the reply), redis-server with appendfsync always (the fair comparison for
# writes), with appendfsync everysec, and without persistence (for reads).
# Prints requests/s per test and the ratios Geomys/Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get,incr,lpush,rpush,lpop,rpop,lrange_100,mset}
# On a shared VM one run of the same test moves by ±30%, Redis' included;
# with ROUNDS > 1 every figure is the median over rounds, and each ratio the
# median of the per-round ratios (the servers of one round ran side by side).
ROUNDS=${ROUNDS:-1}

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

wait_port() {
  for _ in $(seq 1 300); do
    redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not come up" >&2; exit 1
}

# Each start_* sets $port and records the pid (no command substitution: a
# server started inside $(...) would keep its pipe open).
start_geomys() {
  port=$(free_port)
  mkdir -p "$work/geomys"
  ./bin/geomys --port "$port" --raft-addr "127.0.0.1:$(free_port)" --dir "$work/geomys" --loglevel warning \
    </dev/null >"$work/geomys.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  for _ in $(seq 1 100); do # leadership: a write succeeds
    [ "$(redis-cli -p "$port" set __bench_ready 1 2>/dev/null)" = "OK" ] && break
    sleep 0.1
  done
}

start_redis() { # $1 = name, rest = extra args
  local name=$1; shift
  port=$(free_port)
  mkdir -p "$work/$name"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/$name" --save '' --daemonize no \
    --logfile "$work/$name.log" "$@" </dev/null >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
}

start_geomys; geomys=$port
start_redis always --appendonly yes --appendfsync always; always=$port
start_redis everysec --appendonly yes --appendfsync everysec; everysec=$port
start_redis none --appendonly no; none=$port

write_script="redis.call('INCR', KEYS[1]); return redis.call('PEXPIRE', KEYS[1], ARGV[1])"
read_script="return redis.call('GET', KEYS[1])"
for port in "$geomys" "$always" "$everysec" "$none"; do
  write_sha=$(redis-cli -p "$port" script load "$write_script")
  read_sha=$(redis-cli -p "$port" script load "$read_script")
done

rps() { # port test pipeline -> requests per second
  local what=(-t "$2")
  case "$2" in
  evalsha) what=(EVALSHA "$write_sha" 1 "counter:__rand_int__" 60000) ;; # not key:*, which -t set fills with strings INCR refuses
  evalsha_ro) what=(EVALSHA_RO "$read_sha" 1 "key:__rand_int__") ;;
  geoadd) what=(GEOADD geo 13.361389 38.115556 "m:__rand_int__") ;;
  xadd) what=(XADD "stream:__rand_int__" '*' f v) ;;
  setbit) what=(SETBIT "bits:__rand_int__" 7 1) ;;
  pfadd) what=(PFADD hll "__rand_int__") ;;
  esac
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -P "$3" -r 100000 --csv "${what[@]}" 2>/dev/null \
    | awk -F, 'NR > 1 { gsub(/"/, "", $2); v = $2 } END { print v }' # last row: lrange runs an LPUSH first
}

printf '%-11s %3s %12s %12s %12s %12s %9s %9s\n' test P geomys redis-always redis-evsec redis-none "g/always" "g/none"
IFS=',' read -ra tests <<<"$TESTS"
for p in $PIPELINES; do
  for t in "${tests[@]}"; do
    rows=""
    for _ in $(seq 1 "$ROUNDS"); do
      rows+="$(rps "$geomys" "$t" "$p") $(rps "$always" "$t" "$p") $(rps "$everysec" "$t" "$p") $(rps "$none" "$t" "$p")"$'\n'
    done
    printf '%s' "$rows" | awk -v t="$t" -v p="$p" '
      function median(a, n,   i, j, x) { # insertion sort, then the middle
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
        return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
      NF == 4 { n++; g[n] = $1; a[n] = $2; e[n] = $3; z[n] = $4
        ra[n] = ($2 > 0 ? $1/$2 : 0); rz[n] = ($4 > 0 ? $1/$4 : 0) }
      END { printf "%-11s %3s %12.0f %12.0f %12.0f %12.0f %9.2f %9.2f\n", t, p,
        median(g, n), median(a, n), median(e, n), median(z, n), median(ra, n), median(rz, n) }'
  done
done
