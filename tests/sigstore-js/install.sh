#!/usr/bin/env bash
# Installs the pinned sigstore-js packages (package-lock.json) into DEST/node_modules, for the
# tests that check promote's bundles with an independent verifier. Run by ctest as the
# sigstore_js fixture, never at build time; needs node and npm and the npm registry.
#
#   tests/sigstore-js/install.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: install.sh DEST}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "install.sh: node and npm are needed" >&2
  exit 1
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 17) ? 0 : 1)' ||
  { echo "install.sh: @sigstore/verify 3.1 needs node >= 20.17, this is $(node --version)" >&2; exit 1; }
mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$here/verify-bundle.js" "$dest/"
cd "$dest"
echo "installing sigstore-js into $dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node -e "require('@sigstore/verify'); require('@sigstore/bundle')"
echo "sigstore-js ready: $(node -p "require('@sigstore/verify/package.json').version")"
