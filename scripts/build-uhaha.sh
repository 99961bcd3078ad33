#!/usr/bin/env bash
# Builds the same-stack peer for scripts/bench.sh: uhaha's examples/kvdb
# (github.com/tidwall/uhaha: redcon + hashicorp/raft + a Raft log store,
# SET/GET only), from source through the Go module proxy, in a scratch module
# outside this repository, so Geomys' go.mod never sees it.
#
#   scripts/build-uhaha.sh           # -> ~/.cache/geomys-bench/uhaha-kvdb
#   UHAHA_VERSION=v0.9.0 UHAHA_BIN=/tmp/kvdb scripts/build-uhaha.sh
#   UHAHA_SRC=/tmp/uhaha-src scripts/build-uhaha.sh   # from a local source tree
#
# UHAHA_SRC names a directory holding uhaha's module root (go.mod, uhaha.go,
# ...) and examples/kvdb/main.go, for a proxy that serves uhaha's go.mod but
# not its source zip: kvdb is built in a scratch module that replaces
# github.com/tidwall/uhaha with that directory, its dependencies still come
# through the module proxy at the versions of the directory's go.mod. Nothing
# of it is copied into this repository.
#
# Prints the binary's path on success. Exits non-zero, saying why in one line,
# when the module cannot be fetched (for instance a proxy that serves the
# version's go.mod but refuses its source zip); bench.sh then skips uhaha.
set -euo pipefail

# v0.9.0 (2022): hashicorp/raft v1.3.9, raft-boltdb/v2, redcon v1.4.5.
version=${UHAHA_VERSION:-v0.9.0}
out=${UHAHA_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/geomys-bench/uhaha-kvdb}
pkg=github.com/tidwall/uhaha/examples/kvdb

if [ -n "${UHAHA_SRC:-}" ]; then
  version="src:$(cd "$UHAHA_SRC" && pwd)"
fi

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
  if [ -n "${UHAHA_SRC:-}" ]; then
    # kvdb imports sds, btree, match and redcon itself: without uhaha's
    # go.mod versions, tidy would ask the proxy for their latest versions.
    cp "$UHAHA_SRC/examples/kvdb/main.go" .
    go mod edit -replace "github.com/tidwall/uhaha=${version#src:}" -require github.com/tidwall/uhaha@v0.0.0
    sed -n '/^require (/,/^)/{/^\t/p}' "$UHAHA_SRC/go.mod" | grep -v indirect |
      while read -r mod ver _; do go mod edit -require "$mod@$ver"; done
    go mod tidy && go build -trimpath -o "$out.tmp" .
  else
    go get "github.com/tidwall/uhaha@$version" && go build -trimpath -o "$out.tmp" "$pkg"
  fi
) >"$log" 2>&1 || {
  why=$(grep -m1 -E 'Forbidden|not available|not found|cannot find|no required module|error' "$log" || tail -n1 "$log")
  echo "build-uhaha: could not build $pkg@$version: $why (UHAHA_SRC=dir builds from a local source tree)" >&2
  rm -f "$out.tmp"
  exit 1
}
mv "$out.tmp" "$out"
echo "$version" >"$out.version"
echo "$out"
