# Shared helpers for scripts/*: sourced, not run.
# shellcheck shell=bash

# Debian packages needed to build promote and run its whole test suite.
# shellcheck disable=SC2034  # used by the scripts that source this file
PROMOTE_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libssl-dev libcurl4-openssl-dev libsodium-dev libspdlog-dev libfmt-dev doctest-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
)
# shellcheck disable=SC2034
PROMOTE_TEST_PACKAGES=(
  docker-registry skopeo apache2-utils python3 python3-cryptography shellcheck groovy default-jre-headless yamllint jq
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

# start_registry NAME WORKDIR: starts docker-registry on a free loopback port with its own config
# and storage under WORKDIR/registry-NAME, waits until GET /v2/ answers (15 s deadline), and sets
# REGISTRY_HOST to its host:port. stop_registries kills every registry started so far.
PROMOTE_REGISTRY_PIDS=()
start_registry() {
  local name=$1 dir=$2/registry-$1 port attempt deadline pid
  mkdir -p "$dir/storage"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
health:
  storagedriver:
    enabled: false
EOF
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + 15))
    while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
      if curl -sf -o /dev/null "http://127.0.0.1:$port/v2/"; then
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
