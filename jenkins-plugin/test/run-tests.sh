#!/usr/bin/env bash
# Tests of the promoteImage Jenkins step, in one Groovy process: unit cases against a fake pipeline
# and a fake CLI, then end-to-end cases against the real CLI and three registries on loopback
# (dev, stage, and prod with htpasswd auth), promoting develop -> dev, release/* -> stage, main -> prod.
#   jenkins-plugin/test/run-tests.sh [PROMOTE_BINARY]     (default: build/agent/cli/promote)
# Needs: groovy, a JRE, docker-registry, skopeo, htpasswd, curl, python3 (for a free port).
set -euo pipefail
plugin=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$plugin/.." && pwd)
export PROMOTE_ROOT=$root
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$root/scripts/lib.sh"
log() { printf '[jenkins-step-test] %s\n' "$*" >&2; }

promote_bin=$(realpath "${1:-$root/build/agent/cli/promote}")
if [ ! -x "$promote_bin" ]; then
  log "promote binary $promote_bin not found; build it (cmake --build build --target promote)"
  exit 1
fi
for tool in groovy docker-registry skopeo htpasswd curl python3 sha256sum; do
  command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done
# Debian's groovy launcher wants /usr/lib/jvm/default-java; fall back to any installed JDK/JRE.
if [ -z "${JAVA_HOME:-}" ] && [ ! -e /usr/lib/jvm/default-java ]; then
  for candidate in /usr/lib/jvm/java-*-openjdk-*; do
    if [ -x "$candidate/bin/java" ]; then
      export JAVA_HOME=$candidate
      break
    fi
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/promote-jenkins-test.XXXXXX")
cleanup() {
  stop_registries
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# put_blob LAYOUT FILE: moves FILE into the OCI layout's blob store; prints "sha256:<hex> <size>".
put_blob() {
  local layout=$1 file=$2 hex size
  hex=$(sha256sum "$file" | cut -d' ' -f1)
  size=$(stat -c %s "$file")
  mv "$file" "$layout/blobs/sha256/$hex"
  printf 'sha256:%s %s\n' "$hex" "$size"
}

# push_image HOST/REPO TAG: builds a one-layer image as an OCI layout and pushes it with skopeo;
# sets IMAGE_DIGEST.
push_image() {
  local ref=$1 tag=$2 layout=$work/layout src=$work/layer-src layer_digest layer_size config_digest config_size manifest_size
  mkdir -p "$layout/blobs/sha256" "$src"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  head -c 4096 /dev/urandom >"$src/payload.bin"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" -C "$src" payload.bin
  read -r layer_digest layer_size < <(put_blob "$layout" "$work/layer.tar")
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$layer_digest" >"$work/config.json"
  read -r config_digest config_size < <(put_blob "$layout" "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
  read -r IMAGE_DIGEST manifest_size < <(put_blob "$layout" "$work/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$IMAGE_DIGEST" "$manifest_size" "$tag" >"$layout/index.json"
  printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/policy.json"
  : >"$work/registries.conf"
  HOME=$work/skopeo-home skopeo --policy "$work/policy.json" --registries-conf "$work/registries.conf" \
    copy --quiet --preserve-digests --dest-tls-verify=false "oci:$layout:$tag" "docker://$ref:$tag"
  log "pushed $ref:$tag ($IMAGE_DIGEST)"
}

sha=2b2e927$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-33)
prod_user=ci-bot
prod_password=prod-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
key_password=key-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$prod_password" | htpasswd -n -i -B -C 4 "$prod_user" >"$work/htpasswd"

start_registry dev "$work"
dev=$REGISTRY_HOST
start_registry stage "$work"
stage=$REGISTRY_HOST
start_registry prod "$work" "$work/htpasswd"
prod=$REGISTRY_HOST

PROMOTE_KEY_PASSWORD=$key_password "$promote_bin" -o json keygen \
  --output-key "$work/cosign.key" --output-pub "$work/cosign.pub" >/dev/null
push_image "$dev/shop/payment-svc" "sha-${sha:0:7}"

cat >"$work/promote.yaml" <<YAML
version: 1
image: payment-svc
signing:
  key: env:PROMOTE_SIGNING_KEY
  password: env:PROMOTE_KEY_PASSWORD
environments:
  - name: dev
    registry: $dev
    repository: shop/payment-svc
    mutable-tags: [latest]
  - name: stage
    registry: $stage
    repository: shop/payment-svc
    mutable-tags: [stage]
  - name: prod
    registry: $prod
    repository: shop/payment-svc
    mutable-tags: [prod]
    sign: true
    # No credentials block: promote reads PROMOTE_PROD_USERNAME/_PASSWORD (the step binds them) itself.
YAML

log "running the step's tests (groovy $(groovy --version 2>/dev/null | sed -n 's/^Groovy Version: \([^ ]*\).*/\1/p'))"
cd "$plugin"
PROMOTE_E2E_BINARY=$promote_bin \
  PROMOTE_E2E_CONFIG=$work/promote.yaml \
  PROMOTE_E2E_DIGEST=$IMAGE_DIGEST \
  PROMOTE_E2E_SHA=$sha \
  PROMOTE_E2E_KEY=$work/cosign.key \
  PROMOTE_E2E_PUB=$work/cosign.pub \
  PROMOTE_E2E_KEY_PASSWORD=$key_password \
  PROMOTE_E2E_PROD_USERNAME=$prod_user \
  PROMOTE_E2E_PROD_PASSWORD=$prod_password \
  PROMOTE_E2E_PROD_REPOSITORY=$prod/shop/payment-svc \
  groovy -cp "$plugin/src:$plugin/test/stubs:$plugin/test" "$plugin/test/StepTest.groovy" "$plugin" "$work/groovy"
