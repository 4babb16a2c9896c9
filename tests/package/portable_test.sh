#!/usr/bin/env bash
# The portable tree (cmake --install --component portable): scripts/check-portable's ldd, symbol
# version and minimal-root checks, and in that root (only glibc, the C++ runtime and the tree) a
# real `promote copy` of a two-platform image between two docker-registry instances on loopback,
# checked from outside by digest.
#   tests/package/portable_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: portable_test.sh BUILD_DIR}" && pwd)
PROMOTE_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PROMOTE_ROOT
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$PROMOTE_ROOT/scripts/lib.sh"
log() { printf '[portable_test] %s\n' "$*" >&2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/promote-portable-test.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  stop_registries
  rm -rf "$work"
}
trap cleanup EXIT

tree=$work/promote
cmake --install "$build" --component portable --prefix "$tree" >"$work/install.log"
log "portable tree: $(find "$tree/lib" -type f | wc -l) libraries, $(du -sh "$tree" | cut -f1)"
# shellcheck disable=SC2016  # a literal $ORIGIN
readelf -d "$tree/bin/promote" | grep -q 'Library rpath: \[\$ORIGIN/../lib\]' ||
  { log "FAIL: bin/promote has no DT_RPATH \$ORIGIN/../lib"; exit 1; }
if find "$tree/lib" -name 'libc.so*' -o -name 'libstdc++*' | grep -q .; then
  log "FAIL: glibc or libstdc++ bundled"
  exit 1
fi

start_registry src "$work"
src=$REGISTRY_HOST
start_registry dst "$work"
dst=$REGISTRY_HOST
push_sample_image "$src/shop/app:sha-2b2e927" "$work"
want=$IMAGE_DIGEST

"$PROMOTE_ROOT/scripts/check-portable" "$tree" -- -o json copy "$src/shop/app:sha-2b2e927" "$dst/shop/app" \
  >"$work/copy.json"
got=$(jq -r '.images[0].digest // .digest' "$work/copy.json")
at_target=$("$build/agent/cli/promote" -o json resolve "$dst/shop/app:sha-2b2e927" | jq -r .digest)
log "source $want, copy reported $got, target $at_target"
if [ "$want" = "$got" ] && [ "$want" = "$at_target" ]; then
  echo "1 passed, 0 failed"
else
  log "FAIL: digests differ"
  cat "$work/copy.json" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
