# Shared helpers for scripts/*: sourced, not run.
# shellcheck shell=bash

# Debian packages needed to build promote and run its whole test suite.
PROMOTE_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libssl-dev libcurl4-openssl-dev libsodium-dev libspdlog-dev libfmt-dev doctest-dev
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
)
PROMOTE_TEST_PACKAGES=(
  docker-registry skopeo apache2-utils python3 python3-cryptography shellcheck
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
