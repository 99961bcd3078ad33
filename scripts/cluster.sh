#!/usr/bin/env bash
# Runs a local Geomys cluster for trying things out:
#   scripts/cluster.sh start [N]   N nodes (default 3) on 127.0.0.1:6379.. (Raft on port+10000), data under ./cluster-data
#   scripts/cluster.sh status      each node's role, term and leader
#   scripts/cluster.sh stop        SIGTERM every node and wait for a clean exit
# Starting again after stop restarts the same nodes on their data (no re-join).
# Environment: BASE_PORT (6379), DATA_DIR (./cluster-data), GEOMYS (bin/geomys),
# GEOMYS_ARGS (extra flags for every node, e.g. "--appendfsync always").
set -euo pipefail

BASE_PORT=${BASE_PORT:-6379}
DATA_DIR=${DATA_DIR:-./cluster-data}
GEOMYS=${GEOMYS:-bin/geomys}
cmd=${1:-}

ping_reply() { # port -> the node's reply to PING (empty when it does not answer)
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'PING\r\n' >&3
  local reply=""
  read -r -t 2 reply <&3 || true
  exec 3>&-
  echo "$reply"
}

ping_node() { # port -> 0 when the node answers PING: it can serve
  [[ $(ping_reply "$1") == +PONG* ]]
}

node_up() { # port -> 0 when the node answers at all: -LOADING until it knows a leader
  [[ $(ping_reply "$1") == [+-]* ]]
}

info_field() { # port field -> value from RAFT.INFO
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'RAFT.INFO\r\n' >&3
  local line out=""
  while read -r -t 2 line <&3; do
    line=${line%$'\r'}
    [[ $line == "$2:"* ]] && out=${line#*:}
    [[ -z $line ]] && break
  done
  exec 3>&-
  echo "$out"
}

start() {
  local n=${1:-3}
  [[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || { echo "usage: $0 start [N]" >&2; exit 2; }
  [[ -x $GEOMYS ]] || make build >/dev/null
  mkdir -p "$DATA_DIR"
  for ((i = 0; i < n; i++)); do
    local port=$((BASE_PORT + i)) dir="$DATA_DIR/node-$i"
    mkdir -p "$dir"
    if [[ -f $dir/pid ]] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "node-$i already running (pid $(cat "$dir/pid"))"
      continue
    fi
    local join=()
    ((i > 0)) && join=(--join "127.0.0.1:$BASE_PORT")
    # shellcheck disable=SC2086
    nohup "$GEOMYS" --port "$port" --dir "$dir" --node-id "node-$i" "${join[@]}" ${GEOMYS_ARGS:-} \
      >"$dir/geomys.log" 2>&1 &
    echo $! >"$dir/pid"
    # A restarted member answers -LOADING until a quorum elected a leader,
    # which needs the nodes started after it: wait only for it to answer.
    for _ in $(seq 1 100); do node_up "$port" && break; sleep 0.1; done
    node_up "$port" || { echo "node-$i did not start; see $dir/geomys.log" >&2; exit 1; }
    echo "node-$i on 127.0.0.1:$port (raft $((port + 10000))), data in $dir, pid $(cat "$dir/pid")"
  done
  # Wait until every node knows the leader and serves.
  for _ in $(seq 1 100); do
    local ready=1
    for ((i = 0; i < n; i++)); do
      ping_node $((BASE_PORT + i)) && [[ -n $(info_field $((BASE_PORT + i)) leader_id) ]] || ready=0
    done
    ((ready)) && break
    sleep 0.1
  done
  status
}

status() {
  for dir in "$DATA_DIR"/node-*; do
    [[ -d $dir ]] || continue
    local i=${dir##*node-} port
    port=$((BASE_PORT + i))
    if ping_node "$port"; then
      echo "node-$i 127.0.0.1:$port role=$(info_field "$port" role) term=$(info_field "$port" term) leader=$(info_field "$port" leader_id) voters=$(info_field "$port" num_voters)"
    else
      echo "node-$i 127.0.0.1:$port down"
    fi
  done
}

stop() {
  for dir in "$DATA_DIR"/node-*; do
    [[ -f $dir/pid ]] || continue
    local pid
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      echo "stopped ${dir##*/} (pid $pid)"
    fi
    rm -f "$dir/pid"
  done
}

case $cmd in
  start) start "${2:-3}" ;;
  status) status ;;
  stop) stop ;;
  *) echo "usage: $0 start [N] | status | stop" >&2; exit 2 ;;
esac
