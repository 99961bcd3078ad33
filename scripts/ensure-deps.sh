#!/usr/bin/env bash
# Makes sure the tools the test suite talks to are installed: redis-cli,
# redis-benchmark and redis-check-aof (redis-tools) and redis-server, which the
# tests run side by side with Geomys. Installs them from Debian's packages when
# it can; otherwise says in one line what to install.
set -euo pipefail
need=()
for tool in redis-server redis-cli redis-benchmark redis-check-aof; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ ${#need[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$sudo" ] || command -v sudo >/dev/null 2>&1; then
    echo "installing redis-tools and redis-server (missing: ${need[*]})" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq redis-tools redis-server >/dev/null
    # The package may start a system redis-server on 6379; the tests use their own ports.
    exit 0
  fi
fi
echo "missing ${need[*]}: install redis-tools and redis-server (Redis 7) and re-run" >&2
exit 1
