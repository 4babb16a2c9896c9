#!/bin/sh
# Stub scanner that records what it was given into $STUB_RECORD_DIR (env, argv, cwd, the docker
# config and its mode) and checks the rules itself: no inherited secret or scanner variables,
# DOCKER_CONFIG a 0600 file naming only $STUB_EXPECT_REGISTRY. (The password is not given to the
# stub, so the test itself searches the recorded argv and env for it.) It exits 3 on the first
# violated rule (the test reads why from $STUB_RECORD_DIR/violation), else copies $STUB_FIXTURE
# to the report path (first argument).
set -eu
rec="$STUB_RECORD_DIR"
env > "$rec/env"
pwd > "$rec/cwd"
: > "$rec/argv"
for arg in "$@"; do printf '%s\n' "$arg" >> "$rec/argv"; done

fail() {
  printf '%s\n' "$1" > "$rec/violation"
  exit 3
}

if env | grep -E '^(TRIVY_|GRYPE_|PROMOTE_TEST_SECRET|AWS_SECRET|REGISTRY_PASSWORD)' >/dev/null; then
  fail "inherited variable: $(env | grep -E '^(TRIVY_|GRYPE_|PROMOTE_TEST_SECRET|AWS_SECRET|REGISTRY_PASSWORD)' | cut -d= -f1 | tr '\n' ' ')"
fi
[ -n "${DOCKER_CONFIG:-}" ] || fail "DOCKER_CONFIG is not set"
config="$DOCKER_CONFIG/config.json"
[ -f "$config" ] || fail "no $config"
printf '%s\n' "$DOCKER_CONFIG" > "$rec/docker_config_dir"
stat -c '%a' "$config" > "$rec/config_mode"
cp "$config" "$rec/config.json"
[ "$(cat "$rec/config_mode")" = 600 ] || fail "config.json mode is $(cat "$rec/config_mode")"
grep -F "\"$STUB_EXPECT_REGISTRY\"" "$config" >/dev/null || fail "config.json does not name $STUB_EXPECT_REGISTRY"
[ "$(grep -c '"auth"' "$config")" = 1 ] || fail "config.json holds more than one credential"
cp "$STUB_FIXTURE" "$1"
