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
#   READS=1 ROUNDS=5 scripts/bench.sh     # GET on the leader of three (below)
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
#
# READS=1 compares linearizable reads on a 3-node cluster: its leader with
# the default confirmation rounds and another 3-node cluster's leader with
# --read-lease yes, beside one Geomys node and redis-server without
# persistence, on TESTS (default get) at PIPELINES with CLIENTS; ratios are
# to redis-server. It ends with each leader's confirmation rounds, the reads
# they answered and the reads the lease served (RAFT.INFO), and says if a
# leader lost leadership during the run (its figures are then a follower's).
#
# The same-stack peer: uhaha (github.com/tidwall/uhaha's examples/kvdb:
# redcon + hashicorp/raft + a Raft log store, SET/GET only), built from
# source by scripts/build-uhaha.sh into ~/.cache/geomys-bench/uhaha-kvdb (or
# UHAHA_BIN=/path/to/kvdb). When TESTS has set and the binary is there or can
# be built, the same rounds also run SET against uhaha on one node and on the
# leader of three, and against a Geomys 3-node cluster, and print
# geomys/uhaha-1 and geomys-3/uhaha-3 beside the Redis ratios. Otherwise (or
# with UHAHA=0) the script says uhaha was skipped and runs without it.
# UHAHA_SRC=dir builds it from a local source tree (see build-uhaha.sh).
# uhaha's current kvdb keeps its Raft log in tidwall/wal segment files, one
# fsync per append (as Geomys' default --raft-log wal); UHAHA_FLAGS="--backend
# bolt" puts it on raft-boltdb/v2 (two fdatasyncs per append, as Geomys'
# --raft-log bolt).
# kvdb's SET gives a random expiry to half of the key:* / "xxx" writes that
# redis-benchmark sends (a demo quirk of the example); it keeps the key.
#
# BASE_BIN=/path/to/geomys adds that binary (say, the main branch's) as one
# more single node in the same interleaved rounds, with the ratio g/base:
# an A/B of two builds on a shared machine.
#
# With set in TESTS, one client alone follows (-c 1 -t set -n ONE_CLIENT_N,
# default N/10 up to 10000): p50 latency and requests/s of Geomys,
# redis-server appendfsync always, and the uhaha and 3-node servers if any.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
raft_log_tests=${TESTS:-set,incr} # RAFT_LOG=1 default
reads_tests=${TESTS:-get}         # READS=1 default
TESTS=${TESTS:-set,get,incr,lpush,rpush,lpop,rpop,lrange_100,mset}
# On a shared VM one run of the same test moves by ±30%, Redis' included;
# with ROUNDS > 1 every figure is the median over rounds, and each ratio the
# median of the per-round ratios (the servers of one round ran side by side).
ROUNDS=${ROUNDS:-1}
ONE_CLIENT_N=${ONE_CLIENT_N:-$((N / 10 < 10000 ? N / 10 : 10000))}

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
start_geomys() { # [name [flags...]]; GEOMYS_BIN picks the binary (./bin/geomys)
  local name=${1:-geomys}
  shift || true
  port=$(free_port)
  mkdir -p "$work/$name"
  "${GEOMYS_BIN:-./bin/geomys}" --port "$port" --raft-addr "127.0.0.1:$(free_port)" --dir "$work/$name" --loglevel warning "$@" \
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

# uhaha (kvdb) serves clients and Raft on one address; --localtime keeps its
# machine clock off the network time it would otherwise fetch.
start_uhaha() { # name [leader port]: sets $port; a node with a leader joins it
  local name=$1 join=()
  [ -n "${2:-}" ] && join=(-j "127.0.0.1:$2")
  port=$(free_port)
  mkdir -p "$work/$name"
  # shellcheck disable=SC2086 # UHAHA_FLAGS is a list of flags
  "$uhaha_bin" -n "$name" -a "127.0.0.1:$port" -d "$work/$name" -l warn --localtime "${join[@]}" ${UHAHA_FLAGS:-} \
    </dev/null >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  [ -n "${2:-}" ] && return 0
  for _ in $(seq 1 100); do # leadership: a write succeeds
    [ "$(redis-cli -p "$port" set __bench_ready 1 2>/dev/null)" = "OK" ] && return 0
    sleep 0.1
  done
  echo "uhaha $name: no leader after 10 s (log: $work/$name.log)" >&2; exit 1
}

start_uhaha_cluster() { # name: three nodes; $port is the leader's (the first)
  local name=$1 leader i joined=()
  start_uhaha "$name-1"
  leader=$port
  for i in 2 3; do
    start_uhaha "$name-$i" "$leader"
    joined+=("$port")
  done
  for _ in $(seq 1 100); do # both joined: the leader lists their addresses
    local list
    list=$(redis-cli -p "$leader" raft server list 2>/dev/null || true)
    grep -q ":${joined[0]}" <<<"$list" && grep -q ":${joined[1]}" <<<"$list" && break
    sleep 0.1
  done
  grep -q ":${joined[1]}" <<<"$list" || echo "uhaha $name: the leader does not list both followers yet" >&2
  port=$leader
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) }'; }

# one_client NAMES PORTS (names of two arrays): one client alone, -c 1 -t set
# -n $ONE_CLIENT_N, on each server in turn, ROUNDS times; prints each server's
# median p50 latency and requests/s.
one_client() {
  local -n oc_names=$1 oc_ports=$2
  local lat i
  echo "one client (-c 1 -t set -n $ONE_CLIENT_N): p50 ms / requests/s, median of $ROUNDS rounds"
  lat=$(mktemp)
  for _ in $(seq 1 "$ROUNDS"); do
    for i in "${!oc_ports[@]}"; do
      redis-benchmark -p "${oc_ports[$i]}" -c 1 -n "$ONE_CLIENT_N" -r 100000 -t set --csv 2>/dev/null |
        awk -F, -v name="${oc_names[$i]}" 'NR > 1 { gsub(/"/, ""); print name, $5, $2 }' >>"$lat"
    done
  done
  for i in "${oc_names[@]}"; do
    printf '%-12s p50 %6.3f ms  %8.0f req/s\n' "$i" "$(awk -v n="$i" '$1 == n { print $2 }' "$lat" | median)" \
      "$(awk -v n="$i" '$1 == n { print $3 }' "$lat" | median)"
  done
  rm -f "$lat"
}

# awk_median is awk's median(a, n) of a[1..n]: insertion sort, then the middle.
awk_median='
  function median(a, n,   i, j, x) {
    for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }'

# round_rows test pipeline port...: ROUNDS lines, each the requests/s of
# every port in turn (one interleaved round).
round_rows() {
  local t=$1 p=$2 _ port row
  shift 2
  for _ in $(seq 1 "$ROUNDS"); do
    row=""
    for port in "$@"; do row+="$(rps "$port" "$t" "$p") "; done
    echo "$row"
  done
}

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
      round_rows "$t" "$p" "${ports[@]}" | awk -v t="$t" -v p="$p" "$awk_median"'
        NF == 5 { n++; for (k = 1; k <= 5; k++) v[k, n] = $k
          r1[n] = $1/$2; r3[n] = $3/$4; rw[n] = $1/$5; rb[n] = $2/$5 }
        END { for (k = 1; k <= 5; k++) { for (i = 1; i <= n; i++) c[i] = v[k, i]; m[k] = median(c, n) }
          printf "%-6s %3s %10.0f %10.0f %10.0f %10.0f %10.0f %9.2f %9.2f %9.2f %9.2f\n", t, p,
            m[1], m[2], m[3], m[4], m[5], median(r1, n), median(r3, n), median(rw, n), median(rb, n) }'
    done
  done
  echo
  one_client names ports
}

reads_bench() {
  TESTS=$reads_tests
  start_geomys one; local one=$port
  start_cluster rounds3; local rounds3=$port
  start_cluster lease3 --read-lease yes; local lease3=$port
  start_redis none --appendonly no; local none=$port
  local ports=("$one" "$rounds3" "$lease3" "$none")
  echo "requests/s, median of $ROUNDS interleaved rounds (-c $CLIENTS -n $N); ratios are medians of per-round ratios"
  printf '%-6s %3s %10s %10s %10s %10s %9s %9s %9s\n' test P geomys-1 rounds-3 lease-3 redis-none "1/redis" "r3/redis" "l3/redis"
  IFS=',' read -ra tests <<<"$TESTS"
  for p in $PIPELINES; do
    for t in "${tests[@]}"; do
      round_rows "$t" "$p" "${ports[@]}" | awk -v t="$t" -v p="$p" "$awk_median"'
        NF == 4 { n++; for (k = 1; k <= 4; k++) v[k, n] = $k
          r1[n] = $1/$4; r3[n] = $2/$4; rl[n] = $3/$4 }
        END { for (k = 1; k <= 4; k++) { for (i = 1; i <= n; i++) c[i] = v[k, i]; m[k] = median(c, n) }
          printf "%-6s %3s %10.0f %10.0f %10.0f %10.0f %9.2f %9.2f %9.2f\n", t, p,
            m[1], m[2], m[3], m[4], median(r1, n), median(r3, n), median(rl, n) }'
    done
  done
  local name
  for name in rounds3 lease3; do
    local info
    info=$(redis-cli -p "${!name}" raft.info | tr -d '\r')
    printf '%-8s %s\n' "$name" "$(grep -E '^(role|read_confirmations|read_confirmed_reads|read_lease_hits):' <<<"$info" | tr '\n' ' ')"
    grep -q '^role:leader' <<<"$info" || echo "$name: the benchmarked node lost leadership during the run (an overloaded machine misses heartbeats); its figures are partly a follower's"
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

rps() { # port test pipeline -> requests per second (defined again below with scripts)
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -P "$3" -r 100000 --csv -t "$2" 2>/dev/null \
    | awk -F, 'NR > 1 { gsub(/"/, "", $2); v = $2 } END { print v }'
}
if [ -n "${RAFT_LOG:-}" ]; then
  raft_log_bench
  exit 0
fi
if [ -n "${READS:-}" ]; then
  reads_bench
  exit 0
fi

start_geomys; geomys=$port
start_redis always --appendonly yes --appendfsync always; always=$port
start_redis everysec --appendonly yes --appendfsync everysec; everysec=$port
start_redis none --appendonly no; none=$port
base=""
if [ -n "${BASE_BIN:-}" ]; then
  GEOMYS_BIN=$BASE_BIN start_geomys base; base=$port
fi

# The same-stack peer, only for SET (kvdb has SET and GET, and GET would
# compare reads of keys it never got).
peer=""
case ",$TESTS," in
*,set,*)
  if [ "${UHAHA:-1}" = 0 ]; then
    echo "uhaha skipped (UHAHA=0)"
  elif [ -n "${UHAHA_BIN:-}" ] && [ -x "$UHAHA_BIN" ]; then
    uhaha_bin=$UHAHA_BIN peer=1
  elif uhaha_bin=$(scripts/build-uhaha.sh 2>&1); then
    peer=1
  else
    echo "uhaha skipped: $uhaha_bin"
  fi
  ;;
esac
if [ -n "$peer" ]; then
  start_uhaha uhaha1; uhaha1=$port
  start_uhaha_cluster uhaha3; uhaha3=$port
  start_cluster geomys3; geomys3=$port
fi

write_script="redis.call('INCR', KEYS[1]); return redis.call('PEXPIRE', KEYS[1], ARGV[1])"
read_script="return redis.call('GET', KEYS[1])"
for port in "$geomys" "$always" "$everysec" "$none" $base; do
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

base_head="" peer_head="" o=0
[ -n "$base" ] && base_head=$(printf ' %12s %9s' base "g/base") o=1
[ -n "$peer" ] && peer_head=$(printf ' %12s %12s %12s %9s %9s' geomys-3 uhaha-1 uhaha-3 "g/uhaha1" "g3/uhaha3")
printf '%-11s %3s %12s %12s %12s %12s %9s %9s%s%s\n' test P geomys redis-always redis-evsec redis-none "g/always" "g/none" "$base_head" "$peer_head"
IFS=',' read -ra tests <<<"$TESTS"
for p in $PIPELINES; do
  for t in "${tests[@]}"; do
    servers=("$geomys" "$always" "$everysec" "$none" $base)
    if [ -n "$peer" ] && [ "$t" = set ]; then servers+=("$geomys3" "$uhaha1" "$uhaha3"); fi
    round_rows "$t" "$p" "${servers[@]}" | awk -v t="$t" -v p="$p" -v o="$o" "$awk_median"'
      function ratio(x, y) { return y > 0 ? x/y : 0 }
      NF >= 4 { n++; g[n] = $1; a[n] = $2; e[n] = $3; z[n] = $4
        ra[n] = ratio($1, $2); rz[n] = ratio($1, $4) }
      o && NF >= 5 { b[n] = $5; rb[n] = ratio($1, $5) }
      NF == 7 + o { peer = 1; g3[n] = $(5+o); u1[n] = $(6+o); u3[n] = $(7+o)
        ru1[n] = ratio($1, $(6+o)); ru3[n] = ratio($(5+o), $(7+o)) }
      END { printf "%-11s %3s %12.0f %12.0f %12.0f %12.0f %9.2f %9.2f", t, p,
          median(g, n), median(a, n), median(e, n), median(z, n), median(ra, n), median(rz, n)
        if (o) printf " %12.0f %9.2f", median(b, n), median(rb, n)
        if (peer) printf " %12.0f %12.0f %12.0f %9.2f %9.2f", median(g3, n), median(u1, n), median(u3, n), median(ru1, n), median(ru3, n)
        printf "\n" }'
  done
done

case ",$TESTS," in
*,set,*)
  echo
  solo_names=(geomys redis-always) solo_ports=("$geomys" "$always")
  if [ -n "$peer" ]; then
    solo_names+=(uhaha-1 geomys-3 uhaha-3) solo_ports+=("$uhaha1" "$geomys3" "$uhaha3")
  fi
  one_client solo_names solo_ports
  ;;
esac
