#!/usr/bin/env bash
# The agent.yaml files the project ships start a real agent: deploy/kubernetes's ConfigMap, the
# .deb's /etc/promote/agent.yaml and packaging/examples/agent.yaml. Each is started with its
# paths moved into a temp dir that holds what they name (a TLS certificate, tokens, a docker
# config, a cosign key and passphrase, registry passwords), TCP on a free loopback port and
# socket-group root; `promote health` over its unix socket must answer SERVING.
#   tests/deploy/agent_config_test.sh /path/to/promote
set -euo pipefail
promote=$(realpath "${1:?usage: agent_config_test.sh /path/to/promote}")
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/promote-agent-config-test.XXXXXX")
agent_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { printf '[agent_config_test] %s\n' "$*" >&2; }
passed=0 failed=0

# What the configs name, under $work/files.
f=$work/files
mkdir -p "$f"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$f/tls.key" -out "$f/tls.crt" \
  -subj /CN=promote-agent -days 1 2>/dev/null
cp "$f/tls.crt" "$f/agent.crt"
cp "$f/tls.key" "$f/promote_agent.key"
echo "ci: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$f/tokens"
cp "$f/tokens" "$f/promote_tokens"
echo '{"auths":{}}' >"$f/config.json"
PROMOTE_KEY_PASSWORD=test-passphrase "$promote" keygen --output-key "$f/cosign.key" --output-pub "$f/cosign.pub" >/dev/null
printf test-passphrase >"$f/cosign.password"
cp "$f/cosign.key" "$f/promote_cosign.key"
cp "$f/cosign.password" "$f/promote_cosign.password"
printf 'registry-password' >"$f/promote_stage-registry.password"
printf 'registry-password' >"$f/promote_prod-registry.password"

start_agent() {  # start_agent NAME YAML_TEXT
  local name=$1 yaml=$2 cfg=$work/$1.yaml sock=$work/$1.sock deadline
  # Every directory the shipped configs use for secrets and sockets, moved into $work.
  yaml=$(sed -e "s|/run/secrets/promote/[a-z]*/|$f/|g" -e "s|/run/credentials/promote-agent.service/|$f/|g" \
    -e "s|/etc/promote/tls/|$f/|g" -e "s|unix:///run/promote/agent.sock|unix://$sock|" \
    -e "s|tcp://0.0.0.0:[0-9]*|tcp://127.0.0.1:0|" -e "s|listen: \"0.0.0.0:[0-9]*\"|listen: \"127.0.0.1:0\"|" -e "s|socket-group: promote|socket-group: root|" <<<"$yaml")
  printf '%s\n' "$yaml" >"$cfg"
  "$promote" agent -c "$cfg" >"$work/$name.out" 2>"$work/$name.err" &
  agent_pid=$!
  deadline=$((SECONDS + 20))
  until [ -s "$work/$name.out" ] || ! kill -0 "$agent_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; do
    sleep 0.1  # polling for the agent's "listening" line, with a deadline
  done
  if "$promote" --agent "unix://$sock" health | grep -q SERVING; then
    passed=$((passed + 1))
    log "ok: $name: $(cat "$work/$name.out")"
  else
    failed=$((failed + 1))
    log "FAIL: $name did not serve:"
    cat "$work/$name.err" >&2
  fi
  kill "$agent_pid" 2>/dev/null || true
  wait "$agent_pid" 2>/dev/null || true
  agent_pid=
}

start_agent configmap "$(/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["agent.yaml"])' \
  "$src/deploy/kubernetes/configmap.yaml")"
start_agent deb-default "$(cat "$src/packaging/etc/agent.yaml")"
start_agent example "$(cat "$src/packaging/examples/agent.yaml")"
# A planted fault is seen: a config naming a file that is not there does not serve.
start_agent broken "$(sed 's|cosign.key|missing.key|' "$src/packaging/examples/agent.yaml")" 2>/dev/null || true
if [ "$failed" -eq 1 ]; then
  passed=$((passed + 1)) failed=0
  log "ok: broken: refused"
else
  log "FAIL: the broken config served, or another failed"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
