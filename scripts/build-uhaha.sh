#!/usr/bin/env bash
# Builds the same-stack peer for scripts/bench.sh: uhaha's examples/kvdb
# (github.com/tidwall/uhaha: redcon + hashicorp/raft + a Raft log store,
# SET/GET only), from source through the Go module proxy, in a scratch module
# outside this repository, so Geomys' go.mod never sees it.
#
#   scripts/build-uhaha.sh           # -> ~/.cache/geomys-bench/uhaha-kvdb
#   UHAHA_VERSION=v0.9.0 UHAHA_BIN=/tmp/kvdb scripts/build-uhaha.sh
#
# Prints the binary's path on success. Exits non-zero, saying why in one line,
# when the module cannot be fetched (for instance a proxy that serves the
# version's go.mod but refuses its source zip); bench.sh then skips uhaha.
set -euo pipefail

# v0.9.0 (2022): hashicorp/raft v1.3.9, raft-boltdb/v2, redcon v1.4.5.
version=${UHAHA_VERSION:-v0.9.0}
out=${UHAHA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/geomys-bench/uhaha-kvdb}
pkg=github.com/tidwall/uhaha/examples/kvdb

if [ -x "$out" ] && [ -f "$out.version" ] && [ "$(cat "$out.version")" = "$version" ]; then
  echo "$out"
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$(dirname "$out")"
log="$scratch/build.log"
(
  cd "$scratch"
  # GOFLAGS from the caller (e.g. -mod=vendor) must not leak into the scratch module.
  export GOFLAGS=-mod=mod GOWORK=off
  go mod init geomys-bench/uhaha >/dev/null 2>&1
  go get "github.com/tidwall/uhaha@$version" && go build -trimpath -o "$out.tmp" "$pkg"
) >"$log" 2>&1 || {
  why=$(grep -m1 -E 'Forbidden|not available|not found|cannot find|no required module|error' "$log" || tail -n1 "$log")
  echo "build-uhaha: could not build $pkg@$version: $why" >&2
  rm -f "$out.tmp"
  exit 1
}
mv "$out.tmp" "$out"
echo "$version" >"$out.version"
echo "$out"
