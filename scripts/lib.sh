# Shared helpers for scripts/*: sourced, not run.
# shellcheck shell=bash

# Debian packages needed to build promote and run its whole test suite.
# shellcheck disable=SC2034  # used by the scripts that source this file
PROMOTE_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libssl-dev libcurl4-openssl-dev libsodium-dev libspdlog-dev libfmt-dev doctest-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc prometheus-cpp-dev
)
# clang and its sanitizer and libFuzzer runtimes: the ASan/UBSan pass of scripts/test and scripts/fuzz.
# shellcheck disable=SC2034
PROMOTE_CLANG_PACKAGES=(clang libclang-rt-dev lld)
# shellcheck disable=SC2034
PROMOTE_TEST_PACKAGES=(
  docker-registry skopeo apache2-utils python3 python3-cryptography shellcheck groovy default-jre-headless yamllint jq
  systemd python3-yaml prometheus tzdata universal-ctags
)

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# install_packages PKG...: apt-get install whatever is not installed yet (needs root then).
install_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#} packages present"
    return 0
  fi
  log "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "not root: cannot install ${missing[*]}; install them and re-run"
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_promote BUILD_DIR [extra cmake args...]: configure and build everything.
build_promote() {
  local build_dir=$1
  shift
  cmake -S "$PROMOTE_ROOT" -B "$build_dir" -G Ninja "$@" >/dev/null
  cmake --build "$build_dir" -j "$(nproc)"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME WORKDIR [HTPASSWD_FILE]: starts docker-registry on a free loopback port with
# its own config and storage under WORKDIR/registry-NAME (htpasswd Basic auth when a file is given),
# waits until GET /v2/ answers 200 or 401 (15 s deadline), and sets REGISTRY_HOST to its host:port.
# stop_registries kills every registry started so far.
PROMOTE_REGISTRY_PIDS=()
start_registry() {
  local name=$1 dir=$2/registry-$1 htpasswd_file=${3:-} port attempt deadline pid code
  mkdir -p "$dir/storage"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    {
      printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
      printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/storage"
      printf '  cache:\n    blobdescriptor: inmemory\n  maintenance:\n    uploadpurging:\n      enabled: false\n'
      printf 'http:\n  addr: 127.0.0.1:%s\n  secret: %s\n' "$port" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
      printf 'health:\n  storagedriver:\n    enabled: false\n'
      if [ -n "$htpasswd_file" ]; then
        printf 'auth:\n  htpasswd:\n    realm: promote\n    path: %s\n' "$htpasswd_file"
      fi
    } >"$dir/config.yml"
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + 15))
    while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
      if [ "$code" = 200 ] || [ "$code" = 401 ]; then
        PROMOTE_REGISTRY_PIDS+=("$pid")
        REGISTRY_HOST=127.0.0.1:$port
        log "registry $name: $REGISTRY_HOST (pid $pid, storage $dir/storage)"
        return 0
      fi
      sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    log "registry $name on port $port did not come up (attempt $attempt):"
    cat "$dir/registry.log" >&2
  done
  log "could not start registry $name"
  return 1
}

# push_sample_image REF WORKDIR [oci_layout.py options…]: builds a synthetic image (default: two
# platforms, two small layers) and pushes it to REF (host:port/repo:tag) with skopeo, digests
# preserved; sets IMAGE_DIGEST. The target must accept anonymous pushes (a test's dev registry).
push_sample_image() {
  local ref=$1 work=$2 tag=${1##*:} layout
  shift 2
  layout=$(mktemp -d "$work/layout.XXXXXX")
  IMAGE_DIGEST=$(python3 "$PROMOTE_ROOT/scripts/oci_layout.py" "$layout" "$tag" "$@")
  printf '{"default":[{"type":"insecureAcceptAnything"}]}' >"$work/skopeo-policy.json"
  # A private HOME: skopeo's blob-info cache and auth files must not leak between runs.
  HOME=$work/skopeo-home skopeo --policy "$work/skopeo-policy.json" copy --quiet --all --preserve-digests \
    --dest-tls-verify=false "oci:$layout:$tag" "docker://$ref"
  log "pushed $ref ($IMAGE_DIGEST)"
}

stop_registries() {
  local pid
  for pid in "${PROMOTE_REGISTRY_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PROMOTE_REGISTRY_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  PROMOTE_REGISTRY_PIDS=()
}
