#!/usr/bin/env bash
# Makes sure the tools the test suite talks to are installed:
#  - redis-cli, redis-benchmark and redis-check-aof (redis-tools) and
#    redis-server, which the tests run side by side with Geomys;
#  - openssl, with which the TLS tests make their certificates;
#  - python3-redis (redis-py), for test/clients/redis_py_smoke.py;
#  - python3-celery (with kombu), for test/apps/python/celery_app.py;
#  - python3-rq, for test/apps/python/rq_app.py;
#  - python3-channels-redis (with Django Channels), for
#    test/apps/python/channels_app.py;
#  - ruby-sidekiq (with ruby and ruby-redis), for test/apps/ruby/sidekiq_app.rb;
#  - ruby-rack-attack (with ruby-rack), for test/apps/ruby/rack_attack_app.rb;
#  - the Node.js clients (ioredis, node-redis) pinned in
#    test/clients/node/package-lock.json and the applications (Bull, BullMQ,
#    bee-queue, redlock, rate-limiter-flexible, express-session with
#    connect-redis, express-rate-limit with rate-limit-redis) pinned in
#    test/apps/node/package-lock.json,
#    installed with `npm ci` when a node_modules is missing or older than its
#    lock file;
#  - Redis 7.0.15's own Tcl test suite (Debian's source tarball, checked
#    against its SHA-256) and tclsh, for test/redis_suite_test.go.
# Installs what it can from Debian's packages and the npm registry; otherwise
# says in one line what to install.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
can_apt() {
  command -v apt-get >/dev/null 2>&1 && { [ -z "$sudo" ] || command -v sudo >/dev/null 2>&1; }
}
apt_updated=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq >/dev/null
    apt_updated=1
  fi
  $sudo apt-get install -y -qq "$@" >/dev/null
}
# need_deb WHY PKG...: installs the Debian packages PKG (for WHY), or stops
# naming them where apt cannot be used.
need_deb() {
  local why=$1
  shift
  if can_apt; then
    echo "installing $* for $why" >&2
    apt_install "$@"
  else
    echo "missing $*: install Debian's $* and re-run" >&2
    exit 1
  fi
}

# redis-tools and redis-server.
need=()
for tool in redis-server redis-cli redis-benchmark redis-check-aof; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  if can_apt; then
    echo "installing redis-tools and redis-server (missing: ${need[*]})" >&2
    apt_install redis-tools redis-server
    # The package may start a system redis-server on 6379; the tests use their own ports.
  else
    echo "missing ${need[*]}: install redis-tools and redis-server (Redis 7) and re-run" >&2
    exit 1
  fi
fi

# openssl, for the certificates of test/tls_*_test.go.
if ! command -v openssl >/dev/null 2>&1; then
  need_deb "the TLS tests" openssl
fi

# redis-py from Debian, for Debian's python3 (/usr/bin/python3).
if ! /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; then
  need_deb "the client smoke tests" python3 python3-redis
fi

# Celery and kombu from Debian, for the same python3.
if ! /usr/bin/python3 -c 'import celery, kombu' >/dev/null 2>&1; then
  need_deb "the application tests" python3-celery
fi

# rq from Debian, for the same python3.
if ! /usr/bin/python3 -c 'import rq' >/dev/null 2>&1; then
  need_deb "the application tests" python3-rq
fi

# Django Channels' Redis layer from Debian, for the same python3.
if ! /usr/bin/python3 -c 'import channels_redis, channels' >/dev/null 2>&1; then
  need_deb "the application tests" python3-channels-redis
fi

# Sidekiq from Debian (it brings ruby, ruby-redis and ruby-connection-pool).
if ! ruby -e 'require "sidekiq"; require "sidekiq/api"' >/dev/null 2>&1; then
  need_deb "the application tests" ruby-sidekiq
fi

# Rack::Attack from Debian (it brings ruby-rack; ruby-redis came with Sidekiq).
if ! ruby -e 'require "rack"; require "rack/attack"; require "redis"' >/dev/null 2>&1; then
  need_deb "the application tests" ruby-rack-attack ruby-redis
fi

# npm ci in $1 (relative to the repository) when its node_modules is missing
# or older than its package-lock.json.
npm_ci() {
  local dir="$root/$1"
  [ -f "$dir/package-lock.json" ] || return 0
  [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ] || return 0
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    if can_apt; then
      echo "installing nodejs and npm for the Node.js tests" >&2
      apt_install nodejs npm
    else
      echo "missing node/npm: install Node.js 20+ with npm and re-run" >&2
      exit 1
    fi
  fi
  echo "installing the Node.js libraries (npm ci in $1)" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
    echo "npm ci in $1 failed; re-run it there to see why" >&2
    exit 1
  }
}
# ioredis and node-redis; Bull, BullMQ, bee-queue, redlock,
# rate-limiter-flexible, express-session, express-rate-limit and their stores.
npm_ci test/clients/node
npm_ci test/apps/node

# Redis's own test suite, from the source Debian builds redis-server from.
redis_src_version=7.0.15
redis_src_sha256=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
redis_src_dir="$root/test/.redis-src"
if ! command -v tclsh >/dev/null 2>&1; then
  need_deb "Redis's own test suite" tcl
fi
if [ ! -f "$redis_src_dir/redis-$redis_src_version/tests/test_helper.tcl" ]; then
  echo "fetching Redis $redis_src_version's test suite (Debian source tarball)" >&2
  tarball="$(mktemp)"
  url="http://deb.debian.org/debian/pool/main/r/redis/redis_$redis_src_version.orig.tar.gz"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 120 -o "$tarball" "$url"
  else
    /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" "$tarball"
  fi
  echo "$redis_src_sha256  $tarball" | sha256sum -c --quiet - || {
    echo "$url: checksum mismatch" >&2
    rm -f "$tarball"
    exit 1
  }
  mkdir -p "$redis_src_dir"
  tar -xzf "$tarball" -C "$redis_src_dir" "redis-$redis_src_version/runtest" "redis-$redis_src_version/tests"
  rm -f "$tarball"
fi
exit 0
