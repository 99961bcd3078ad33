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
#   RAFT_LOG=1 ROUNDS=3 scripts/bench.sh  # --raft-log wal vs bolt (below)
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
#
# RAFT_LOG=1 compares the Raft log stores instead: one node and a 3-node
# cluster (benchmarked on its leader) with --raft-log wal and with --raft-log
# bolt, and redis-server appendfsync always, on TESTS (default set,incr) at
# PIPELINES with CLIENTS, then one client alone (-c 1 -t set: p50 latency in
# ms and requests/s). Rounds interleave all servers; ratios are per round.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
raft_log_tests=${TESTS:-set,incr} # RAFT_LOG=1 default
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
start_geomys() { # [name [flags...]]
  local name=${1:-geomys}
  shift || true
  port=$(free_port)
  mkdir -p "$work/$name"
  ./bin/geomys --port "$port" --raft-addr "127.0.0.1:$(free_port)" --dir "$work/$name" --loglevel warning "$@" \
    </dev/null >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  for _ in $(seq 1 100); do # leadership: a write succeeds
    [ "$(redis-cli -p "$port" set __bench_ready 1 2>/dev/null)" = "OK" ] && break
    sleep 0.1
  done
}

start_cluster() { # name [flags...]: three nodes; $port is the leader's (the first)
  local name=$1 leader i
  shift
  start_geomys "$name-0" --node-id "$name-0" "$@"
  leader=$port
  for i in 1 2; do
    local p
    p=$(free_port)
    mkdir -p "$work/$name-$i"
    ./bin/geomys --port "$p" --raft-addr "127.0.0.1:$(free_port)" --dir "$work/$name-$i" --node-id "$name-$i" \
      --join "127.0.0.1:$leader" --loglevel warning "$@" </dev/null >"$work/$name-$i.log" 2>&1 &
    pids+=($!)
    wait_port "$p"
  done
  for _ in $(seq 1 100); do
    redis-cli -p "$leader" raft.info 2>/dev/null | grep -q '^num_voters:3' && break
    sleep 0.1
  done
  port=$leader
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) }'; }

raft_log_bench() {
  TESTS=$raft_log_tests
  start_geomys wal1 --raft-log wal; local wal1=$port
  start_geomys bolt1 --raft-log bolt; local bolt1=$port
  start_cluster wal3 --raft-log wal; local wal3=$port
  start_cluster bolt3 --raft-log bolt; local bolt3=$port
  start_redis always --appendonly yes --appendfsync always; local always=$port
  local names=(wal1 bolt1 wal3 bolt3 always) ports=("$wal1" "$bolt1" "$wal3" "$bolt3" "$always")
  echo "requests/s, median of $ROUNDS interleaved rounds (-c $CLIENTS -n $N); ratios are medians of per-round ratios"
  printf '%-6s %3s %10s %10s %10s %10s %10s %9s %9s %9s %9s\n' test P wal-1 bolt-1 wal-3 bolt-3 redis-alw "w1/b1" "w3/b3" "w1/redis" "b1/redis"
  IFS=',' read -ra tests <<<"$TESTS"
  for p in $PIPELINES; do
    for t in "${tests[@]}"; do
      local rows=""
      for _ in $(seq 1 "$ROUNDS"); do
        local row="" i
        for i in "${!ports[@]}"; do row+="$(rps "${ports[$i]}" "$t" "$p") "; done
        rows+="$row"$'\n'
      done
      printf '%s' "$rows" | awk -v t="$t" -v p="$p" '
        function median(a, n,   i, j, x) {
          for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
          return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
        NF == 5 { n++; for (k = 1; k <= 5; k++) v[k, n] = $k
          r1[n] = $1/$2; r3[n] = $3/$4; rw[n] = $1/$5; rb[n] = $2/$5 }
        END { for (k = 1; k <= 5; k++) { for (i = 1; i <= n; i++) c[i] = v[k, i]; m[k] = median(c, n) }
          printf "%-6s %3s %10.0f %10.0f %10.0f %10.0f %10.0f %9.2f %9.2f %9.2f %9.2f\n", t, p,
            m[1], m[2], m[3], m[4], m[5], median(r1, n), median(r3, n), median(rw, n), median(rb, n) }'
    done
  done
  echo
  echo "one client (-c 1 -t set -n $((N / 10))): p50 ms / requests/s, median of $ROUNDS rounds"
  local lat
  lat=$(mktemp)
  for _ in $(seq 1 "$ROUNDS"); do
    for i in "${!ports[@]}"; do
      redis-benchmark -p "${ports[$i]}" -c 1 -n $((N / 10)) -r 100000 -t set --csv 2>/dev/null |
        awk -F, -v name="${names[$i]}" 'NR > 1 { gsub(/"/, ""); print name, $5, $2 }' >>"$lat"
    done
  done
  for i in "${names[@]}"; do
    printf '%-7s p50 %6.3f ms  %8.0f req/s\n' "$i" "$(awk -v n="$i" '$1 == n { print $2 }' "$lat" | median)" \
      "$(awk -v n="$i" '$1 == n { print $3 }' "$lat" | median)"
  done
  rm -f "$lat"
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

rps() { # port test pipeline -> requests per second (defined again below with scripts)
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -P "$3" -r 100000 --csv -t "$2" 2>/dev/null \
    | awk -F, 'NR > 1 { gsub(/"/, "", $2); v = $2 } END { print v }'
}
if [ -n "${RAFT_LOG:-}" ]; then
  raft_log_bench
  exit 0
fi

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
