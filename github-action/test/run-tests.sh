#!/usr/bin/env bash
# Tests of the promote GitHub Action, without GitHub and without Docker:
#   1. static checks: yamllint on action.yml and the example workflows, check-action.py (inputs
#      read = inputs declared, outputs declared = outputs written, no ${{ }} in run:), shellcheck;
#   2. the action's entry script run as the runner runs it (INPUT_* variables from the composite's
#      env: mapping, temp GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, GITHUB_* context) against the
#      real promote CLI and three docker-registry instances on 127.0.0.1: develop -> dev,
#      release -> stage, main -> prod; refusals, failures, injection attempts, invalid inputs.
#   github-action/test/run-tests.sh /path/to/promote
# Exit status 0 when every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action_dir=$(dirname "$here")
root=$(dirname "$action_dir")

export PROMOTE_ROOT=$root
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
source "$root/scripts/lib.sh"
log() { printf '[run-tests] %s\n' "$*" >&2; }

if [ $# -ne 1 ] || ! [ -x "$1" ]; then
  log "usage: $0 /path/to/promote"
  exit 2
fi
promote_cli=$(realpath "$1")
for tool in jq curl docker-registry htpasswd yamllint shellcheck python3 sha256sum; do
  command -v "$tool" >/dev/null || { log "missing tool: $tool"; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/promote-action-test.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [ -z "${agent_pid:-}" ] || kill "$agent_pid" 2>/dev/null || true
  stop_registries
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n' "$*" >&2
}
expect_eq() { # DESC ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}
expect_contains() { # DESC HAYSTACK NEEDLE
  if [[ $2 == *"$3"* ]]; then pass; else fail "$1: '$3' not found in: ${2:0:600}"; fi
}
expect_not_contains() { # DESC HAYSTACK NEEDLE
  if [[ $2 != *"$3"* ]]; then pass; else fail "$1: '$3' must not appear"; fi
}
expect_match() { # DESC VALUE REGEX
  if [[ $2 =~ $3 ]]; then pass; else fail "$1: '$2' does not match $3"; fi
}

# ---------------------------------------------------------------------------------------------
log "static checks"

if yamllint -s -c "$action_dir/.yamllint" "$action_dir/action.yml" "$action_dir"/examples/*.yml; then pass; else
  fail "yamllint"
fi
if python3 "$here/check-action.py" "$action_dir" "$work/run-blocks"; then pass; else fail "check-action.py"; fi
if shellcheck -x "$action_dir/promote-action.sh" "$here"/*.sh "$work"/run-blocks/*.sh; then pass; else
  fail "shellcheck"
fi
if python3 "$here/check-dockerfile.py" "$root/Dockerfile"; then pass; else fail "check-dockerfile.py"; fi
# The version input's default is pinned to the project's own version (CMakeLists.txt), not "latest".
action_version=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["inputs"]["version"]["default"])' "$action_dir/action.yml")
project_version=$(sed -nE 's/^project\(promote VERSION ([0-9.]+) .*/\1/p' "$root/CMakeLists.txt")
expect_eq "action.yml: version default pinned to the project version" "$action_version" "$project_version"
# The checkers themselves must be able to fail.
mkdir -p "$work/bad-action"
sed 's/INPUT_VERSION: \${{ inputs.version }}/INPUT_VERZION: ${{ inputs.version }}/' \
  "$action_dir/action.yml" >"$work/bad-action/action.yml"
cp "$action_dir/promote-action.sh" "$work/bad-action/"
mkdir -p "$work/bad-action/examples"
if python3 "$here/check-action.py" "$work/bad-action" "$work/bad-run-blocks" 2>/dev/null; then
  fail "check-action.py accepted an action whose env: mapping does not match the script"
else pass; fi
printf 'FROM debian:latest\nRUN apt-get install -y build-essential\nENTRYPOINT ["promote"]\n' >"$work/Dockerfile.bad"
if python3 "$here/check-dockerfile.py" "$work/Dockerfile.bad" 2>/dev/null; then
  fail "check-dockerfile.py accepted a single-stage, unpinned, root image"
else pass; fi
# A base image given as a build argument is checked through its default.
sed -E 's/^ARG DEBIAN_IMAGE=.*/ARG DEBIAN_IMAGE=debian:latest/' "$root/Dockerfile" >"$work/Dockerfile.moving"
if python3 "$here/check-dockerfile.py" "$work/Dockerfile.moving" 2>/dev/null; then
  fail "check-dockerfile.py accepted FROM \${DEBIAN_IMAGE} defaulting to debian:latest"
else pass; fi
sed -E 's/^ARG DEBIAN_IMAGE=.*/ARG DEBIAN_IMAGE/' "$root/Dockerfile" >"$work/Dockerfile.nodefault"
if python3 "$here/check-dockerfile.py" "$work/Dockerfile.nodefault" 2>/dev/null; then
  fail "check-dockerfile.py accepted FROM \${DEBIAN_IMAGE} without a default"
else pass; fi

# ---------------------------------------------------------------------------------------------
log "starting three registries (dev; stage and prod with htpasswd auth)"

# htpasswd_for USER PASSWORD FILE: a bcrypt htpasswd entry (password on stdin, not in argv).
htpasswd_for() {
  printf '%s' "$2" | htpasswd -n -i -B -C 4 "$1" | head -n1 >"$3"
}

stage_user="stage-bot"
stage_password="st%ge-\$(pw);$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
prod_user="prod-bot"
prod_password="pr0d'%0A\"$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
htpasswd_for "$stage_user" "$stage_password" "$work/stage.htpasswd"
htpasswd_for "$prod_user" "$prod_password" "$work/prod.htpasswd"
start_registry dev "$work"
dev=$REGISTRY_HOST
start_registry stage "$work" "$work/stage.htpasswd"
stage=$REGISTRY_HOST
start_registry prod "$work" "$work/prod.htpasswd"
prod=$REGISTRY_HOST

# upload_blob HOST REPO FILE DIGEST: POST to open an upload session, PUT the bytes to close it.
upload_blob() {
  local location
  location=$(curl -fsS -o /dev/null -w '%header{location}' -X POST "http://$1/v2/$2/blobs/uploads/")
  case $location in /*) location=http://$1$location ;; esac
  if [[ $location == *\?* ]]; then location+="&"; else location+="?"; fi
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$3" \
    "${location}digest=$4"
}

# push_image HOST REPO TAG: a one-layer OCI image, pushed with monolithic uploads; prints its digest.
push_image() {
  local host=$1 repo=$2 tag=$3 dir layer config manifest ld cd md
  dir=$(mktemp -d "$work/image.XXXXXX")
  head -c 4096 /dev/urandom >"$dir/payload"
  tar -C "$dir" -cf "$dir/layer.tar" payload
  layer=$dir/layer.tar
  ld=sha256:$(sha256sum "$layer" | cut -d' ' -f1)
  config=$dir/config.json
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}' "$ld" >"$config"
  cd=sha256:$(sha256sum "$config" | cut -d' ' -f1)
  manifest=$dir/manifest.json
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
    "$cd" "$(stat -c %s "$config")" "$ld" "$(stat -c %s "$layer")" >"$manifest"
  md=sha256:$(sha256sum "$manifest" | cut -d' ' -f1)
  upload_blob "$host" "$repo" "$layer" "$ld"
  upload_blob "$host" "$repo" "$config" "$cd"
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$manifest" "http://$host/v2/$repo/manifests/$tag"
  printf '%s' "$md"
}

# tag_digest HOST REPO TAG [USER PASSWORD]: the digest TAG names, or "" when it does not exist.
tag_digest() {
  local auth=()
  if [ $# -ge 5 ]; then auth=(-u "$4:$5"); fi
  curl -s -I "${auth[@]}" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$1/v2/$2/manifests/$3" | awk 'tolower($1) == "docker-content-digest:" { print $2 }' | tr -d '\r'
}

# ---------------------------------------------------------------------------------------------
log "workspace: signing key, promote.yaml, an image built on develop"

workspace=$work/workspace
runner_temp=$work/runner-temp
mkdir -p "$workspace" "$runner_temp"
key_password="key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
(cd "$work" && PROMOTE_KEY_PASSWORD=$key_password "$promote_cli" -o json keygen >/dev/null)
signing_key=$(cat "$work/cosign.key")
cat >"$workspace/promote.yaml" <<EOF
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
    # No credentials block: promote reads PROMOTE_STAGE_USERNAME/_PASSWORD itself (its convention).
  - name: prod
    registry: $prod
    repository: shop/payment-svc
    mutable-tags: [prod]
    sign: true
    credentials:
      username: env:PROMOTE_PROD_USERNAME
      password: env:PROMOTE_PROD_PASSWORD
EOF
sha=2b2e927abcdef0123456789abcdef01234567890
image_digest=$(push_image "$dev" shop/payment-svc sha-2b2e927)
expect_eq "pushed image" "$(tag_digest "$dev" shop/payment-svc sha-2b2e927)" "$image_digest"

# ---------------------------------------------------------------------------------------------
# run_action [VAR=VALUE...]: runs the entry script as the composite step does, in the workspace,
# with the runner's context variables; every INPUT_* the composite maps is present (empty when the
# workflow leaves it out and it has no default). Sets RUN_CODE, RUN_OUT, RUN_ERR, OUTPUTS (file),
# SUMMARY (file).
run_count=0
run_action() {
  run_count=$((run_count + 1))
  local dir=$work/runs/$run_count
  mkdir -p "$dir"
  OUTPUTS=$dir/github_output
  SUMMARY=$dir/step_summary
  : >"$OUTPUTS"
  : >"$SUMMARY"
  local base=(
    PATH="${TEST_PATH:-/usr/local/bin:/usr/bin:/bin}" HOME="$work/home" LANG=C.UTF-8
    GITHUB_ACTIONS=true GITHUB_OUTPUT="$OUTPUTS" GITHUB_STEP_SUMMARY="$SUMMARY"
    GITHUB_ACTION_PATH="$action_dir" GITHUB_WORKSPACE="$workspace" RUNNER_TEMP="$runner_temp"
    GITHUB_SERVER_URL=https://github.example GITHUB_REPOSITORY=shop/payment-svc
    GITHUB_RUN_ID=4242 GITHUB_RUN_ATTEMPT=1 GITHUB_ACTOR=octocat GITHUB_EVENT_NAME=push
    GITHUB_SHA="$sha" GITHUB_REF=refs/heads/develop GITHUB_REF_NAME=develop
    PROMOTE_ACTION_REPOSITORY=shop/promote
    INPUT_TO= INPUT_FROM= INPUT_SHA="$sha" INPUT_BRANCH=develop INPUT_CONFIG=promote.yaml
    INPUT_DRY_RUN=false INPUT_BREAK_GLASS= INPUT_AUTHOR= INPUT_AGENT= INPUT_REGISTRY_USERNAME= INPUT_REGISTRY_PASSWORD=
    INPUT_SOURCE_USERNAME= INPUT_SOURCE_PASSWORD= INPUT_AUTHFILE=
    INPUT_PROMOTE_PATH="$promote_cli" INPUT_VERSION=
    # promote signs every promotion record, so every run needs the key.
    INPUT_SIGNING_KEY="$signing_key" INPUT_SIGNING_PASSWORD="$key_password"
  )
  mkdir -p "$work/home"
  set +e
  (cd "$workspace" && env -i "${base[@]}" "$@" "$action_dir/promote-action.sh") >"$dir/stdout" 2>"$dir/stderr"
  RUN_CODE=$?
  set -e
  RUN_OUT=$(cat "$dir/stdout")
  RUN_ERR=$(cat "$dir/stderr")
}

# output NAME: the value of step output NAME in $OUTPUTS (NAME=VALUE or the heredoc form).
output() {
  local want=$1 line name delim="" value="" found="" collecting=""
  while IFS= read -r line; do
    if [ -n "$collecting" ]; then
      if [ "$line" = "$delim" ]; then
        [ "$collecting" = "$want" ] && found=$value
        collecting=""
        value=""
      else
        value+=${value:+$'\n'}$line
      fi
    elif [[ $line =~ ^([A-Za-z0-9_-]+)\<\<(.+)$ ]]; then
      collecting=${BASH_REMATCH[1]}
      delim=${BASH_REMATCH[2]}
      value=""
    elif [[ $line =~ ^([A-Za-z0-9_-]+)=(.*)$ ]]; then
      name=${BASH_REMATCH[1]}
      [ "$name" = "$want" ] && found=${BASH_REMATCH[2]}
    fi
  done <"$OUTPUTS"
  printf '%s' "$found"
}
# output_names: the names in $OUTPUTS, sorted, space-separated.
output_names() {
  { grep -oE '^[A-Za-z0-9_-]+(=|<<)' "$OUTPUTS" || true; } | sed -E 's/(=|<<)$//' | sort | tr '\n' ' ' | sed 's/ $//'
}
all_outputs="digest images result signature-ref status tags target-ref"

# expect_clean_log DESC: every workflow command the script printed is one it may print, and no
# line of promote's stderr could be read as one.
expect_clean_log() {
  local line bad=""
  while IFS= read -r line; do
    case $line in
      ::* )
        if ! [[ $line =~ ^::(add-mask::|group::|endgroup::$|error\ title=|stop-commands::[0-9a-f]{32}$|[0-9a-f]{32}::$) ]]; then
          bad+="$line"$'\n'
        fi ;;
    esac
  done <<<"$RUN_OUT"
  if [ -z "$bad" ]; then pass; else fail "$1: unexpected workflow commands: $bad"; fi
  if grep -q '^::' <<<"$RUN_ERR"; then fail "$1: workflow command on stderr: $RUN_ERR"; else pass; fi
  # What the runner acts on (legacy ##[cmd] anywhere in a line included): masks, groups, regions
  # and the action's own error annotations, nothing else.
  local acted
  acted=$(runner_commands | grep -vE '^(add-mask|group|endgroup|stop-commands)'$'\t''|^error'$'\t''title=promote' || true)
  if [ -z "$acted" ]; then pass; else fail "$1: the runner would act on: $acted"; fi
}
# runner_commands: the workflow commands the runner would act on in $RUN_OUT (NAME\tPROPS\tDATA).
runner_commands() { python3 "$here/runner-commands.py" <<<"$RUN_OUT"; }
# expect_one_error DESC TITLE: the runner shows exactly one error annotation, the action's TITLE
# (none when TITLE is empty).
expect_one_error() {
  local errors
  errors=$(runner_commands | awk -F'\t' '$1 == "error" { print $2 }')
  expect_eq "$1: the runner's error annotations" "$errors" "${2:+title=$2}"
}

# expect_secret_hidden DESC SECRET: SECRET appears in the log only inside ::add-mask:: lines.
expect_secret_hidden() {
  local line
  [ -n "$2" ] || return 0
  while IFS= read -r line; do
    [[ $line == ::add-mask::* ]] && continue
    if [[ $line == *"$2"* ]]; then fail "$1: secret printed: $line"; return; fi
  done <<<"$RUN_OUT"$'\n'"$RUN_ERR"
  pass
}

show_run() { printf -- '--- stdout\n%s\n--- stderr\n%s\n' "$RUN_OUT" "$RUN_ERR" >&2; }

# ---------------------------------------------------------------------------------------------
log "develop -> dev"
run_action INPUT_BRANCH=develop
[ "$RUN_CODE" = 0 ] || show_run
expect_eq "develop: exit" "$RUN_CODE" 0
expect_eq "develop: outputs" "$(output_names)" "$all_outputs"
expect_eq "develop: digest" "$(output digest)" "$image_digest"
expect_eq "develop: target-ref" "$(output target-ref)" "$dev/shop/payment-svc@$image_digest"
expect_eq "develop: tags" "$(output tags)" "latest,sha-2b2e927"
expect_eq "develop: signature-ref" "$(output signature-ref)" ""
expect_eq "develop: status" "$(output status)" "promoted"
expect_eq "develop: result status" "$(output result | jq -r .status)" "promoted"
expect_eq "develop: result env" "$(output result | jq -r .to.env)" "dev"
expect_eq "develop: latest tag" "$(tag_digest "$dev" shop/payment-svc latest)" "$image_digest"
summary=$(cat "$SUMMARY")
expect_contains "develop: summary table" "$summary" "| Environment | Reference | Digest | Gates | Signature |"
expect_contains "develop: summary row" "$summary" "| dev | \`$dev/shop/payment-svc@$image_digest\` | \`$image_digest\` | branch: passed"
expect_contains "develop: summary heading" "$summary" "### promote: promoted to dev"
expect_contains "develop: log group" "$RUN_OUT" $'::group::promote run\n::stop-commands::'
expect_contains "develop: command line" "$RUN_OUT" "--branch develop"
expect_clean_log "develop"

log "release -> stage: a dry run, then the promotion with the stage credentials"
stage_creds=(INPUT_REGISTRY_USERNAME="$stage_user" INPUT_REGISTRY_PASSWORD="$stage_password")
run_action INPUT_BRANCH=release/v1.2.0-sha-2b2e927 INPUT_SHA= INPUT_TO=stage INPUT_DRY_RUN=true "${stage_creds[@]}"
[ "$RUN_CODE" = 0 ] || show_run
expect_eq "stage dry run: exit" "$RUN_CODE" 0
expect_eq "stage dry run: status" "$(output status)" planned
expect_eq "stage dry run: tags" "$(output tags)" "sha-2b2e927,v1.2.0,stage"
expect_contains "stage dry run: summary" "$(cat "$SUMMARY")" "dry run, nothing written"
expect_eq "stage dry run: nothing written" "$(tag_digest "$stage" shop/payment-svc stage "$stage_user" "$stage_password")" ""
expect_contains "stage dry run: password masked" "$RUN_OUT" "::add-mask::${stage_password//%/%25}"
expect_secret_hidden "stage dry run" "$stage_password"

run_action INPUT_BRANCH=release/v1.2.0-sha-2b2e927 INPUT_SHA= INPUT_TO=stage "${stage_creds[@]}"
[ "$RUN_CODE" = 0 ] || show_run
expect_eq "stage: exit" "$RUN_CODE" 0
expect_eq "stage: status" "$(output status)" promoted
expect_eq "stage: digest" "$(output digest)" "$image_digest"
expect_eq "stage: target-ref" "$(output target-ref)" "$stage/shop/payment-svc@$image_digest"
expect_eq "stage: v1.2.0" "$(tag_digest "$stage" shop/payment-svc v1.2.0 "$stage_user" "$stage_password")" "$image_digest"
expect_eq "stage: the source tag promote resolved" "$(output result | jq -r .from.tag)" sha-2b2e927
expect_contains "stage: summary gates" "$(cat "$SUMMARY")" "stage-order: passed"
expect_contains "stage: summary source row" "$(cat "$SUMMARY")" "| dev (from) | \`$dev/shop/payment-svc:sha-2b2e927\`"
expect_secret_hidden "stage" "$stage_password"
expect_clean_log "stage"

run_action INPUT_BRANCH=release/v1.2.0-sha-2b2e927 INPUT_SHA= INPUT_TO=stage "${stage_creds[@]}"
expect_eq "stage again: exit" "$RUN_CODE" 0
expect_eq "stage again: status" "$(output status)" unchanged

# The action passes break-glass and author on; promote decides: stage has no window gate that
# allows break-glass, so promote refuses it as bad input and writes nothing.
stage_before=$(tag_digest "$stage" shop/payment-svc stage "$stage_user" "$stage_password")
run_action INPUT_BRANCH=release/v1.2.0-sha-2b2e927 INPUT_SHA= INPUT_TO=stage "${stage_creds[@]}" \
  INPUT_BREAK_GLASS="INC-4711: payments down" INPUT_AUTHOR=octocat
expect_eq "break-glass where not allowed: exit" "$RUN_CODE" 2
expect_contains "break-glass where not allowed: promote's reason" "$RUN_OUT" \
  "--break-glass is not allowed for environment 'stage'"
expect_contains "break-glass where not allowed: passed on" "$RUN_OUT" "--break-glass INC-4711:\\ payments\\ down --author octocat"
expect_eq "break-glass where not allowed: status" "$(output status)" failed
expect_eq "break-glass where not allowed: nothing written" \
  "$(tag_digest "$stage" shop/payment-svc stage "$stage_user" "$stage_password")" "$stage_before"
expect_clean_log "break-glass where not allowed"

log "main -> prod: signed, source and target credentials"
prod_inputs=(
  INPUT_BRANCH=main INPUT_SHA=2b2e927 INPUT_TO=prod INPUT_FROM=stage
  INPUT_REGISTRY_USERNAME="$prod_user" INPUT_REGISTRY_PASSWORD="$prod_password"
  INPUT_SOURCE_USERNAME="$stage_user" INPUT_SOURCE_PASSWORD="$stage_password"
  INPUT_SIGNING_KEY="$signing_key" INPUT_SIGNING_PASSWORD="$key_password"
)
run_action "${prod_inputs[@]}"
[ "$RUN_CODE" = 0 ] || show_run
expect_eq "prod: exit" "$RUN_CODE" 0
expect_eq "prod: status" "$(output status)" promoted
expect_eq "prod: digest" "$(output digest)" "$image_digest"
expect_eq "prod: target-ref" "$(output target-ref)" "$prod/shop/payment-svc@$image_digest"
expect_match "prod: signature-ref" "$(output signature-ref)" "^$prod/shop/payment-svc:sha256-[0-9a-f]{64}\\.sig$"
expect_contains "prod: tags" "$(output tags)" "prod"
expect_eq "prod: prod tag" "$(tag_digest "$prod" shop/payment-svc prod "$prod_user" "$prod_password")" "$image_digest"
expect_contains "prod: summary signature" "$(cat "$SUMMARY")" "| \`$(output signature-ref)\` |"
for secret in "$prod_password" "$stage_password" "$key_password"; do expect_secret_hidden "prod" "$secret"; done
while IFS= read -r key_line; do
  [ -n "$key_line" ] && expect_secret_hidden "prod key line" "$key_line"
done <<<"$signing_key"
expect_clean_log "prod"
leftovers=$(find "$runner_temp" -mindepth 1 | head -n1)
expect_eq "prod: signing key removed from RUNNER_TEMP" "$leftovers" ""
if PROMOTE_SRC_PASSWORD=$prod_password "$promote_cli" -o json verify "$prod/shop/payment-svc:prod" \
  --key "$work/cosign.pub" --src-username "$prod_user" >"$work/verify.json" 2>&1; then
  pass
else
  fail "prod: the signature does not verify: $(cat "$work/verify.json")"
fi

# ---------------------------------------------------------------------------------------------
log "refusals and failures are told apart"

# The branch input reaches the log in the command line and the result JSON.
run_action INPUT_BRANCH='feature/x##[error]forged' INPUT_TO=stage "${stage_creds[@]}"
expect_eq "forged annotation in the branch input: exit" "$RUN_CODE" 2
expect_one_error "forged annotation in the branch input" "promote%3A bad_input (invalid_argument)"
expect_clean_log "forged annotation in the branch input"
run_action INPUT_BRANCH='feature/x##[stop-commands]hidden' INPUT_TO=stage "${stage_creds[@]}"
expect_eq "stop-commands in the branch input: exit" "$RUN_CODE" 2
expect_one_error "stop-commands in the branch input" "promote%3A bad_input (invalid_argument)"

run_action INPUT_BRANCH=feature/login INPUT_TO=stage "${stage_creds[@]}"
expect_eq "feature branch: exit" "$RUN_CODE" 3
expect_contains "feature branch: annotation" "$RUN_OUT" "::error title=promote%3A gate_refused (gate_refused)::"
expect_eq "feature branch: status" "$(output status)" refused
expect_eq "feature branch: result gate" "$(output result | jq -r '.gates[0].verdict')" refused
expect_contains "feature branch: summary" "$(cat "$SUMMARY")" "### promote: refused"
expect_clean_log "feature branch"

second=9f8e7d6c5b4a39281706f5e4d3c2b1a098765432
push_image "$dev" shop/payment-svc sha-9f8e7d6 >/dev/null
run_action INPUT_BRANCH=develop INPUT_SHA="$second"
expect_eq "second image to dev" "$RUN_CODE" 0
run_action INPUT_BRANCH=release/v1.2.0 INPUT_SHA="$second" INPUT_TO=stage "${stage_creds[@]}"
expect_eq "tag conflict: exit" "$RUN_CODE" 3
expect_contains "tag conflict: annotation" "$RUN_OUT" "::error title=promote%3A gate_refused (conflict)::"

run_action INPUT_BRANCH=release/v1.3.0 INPUT_SHA="$second" INPUT_TO=stage \
  INPUT_REGISTRY_USERNAME="$stage_user" INPUT_REGISTRY_PASSWORD=wrong-password
expect_eq "wrong password: exit" "$RUN_CODE" 4
expect_contains "wrong password: annotation" "$RUN_OUT" "::error title=promote%3A auth (unauthenticated)::"
expect_eq "wrong password: status" "$(output status)" failed
expect_secret_hidden "wrong password" wrong-password

run_action INPUT_BRANCH=release/v1.3.0 INPUT_SHA="$second" INPUT_TO=qa
expect_eq "unknown environment: exit" "$RUN_CODE" 2
expect_contains "unknown environment: annotation" "$RUN_OUT" "::error title=promote%3A bad_input (invalid_argument)::"

# ---------------------------------------------------------------------------------------------
log "injection attempts in every string input"

marker=$work/pwned
payloads=(
  "\$(touch $marker)"
  "\`touch $marker\`"
  "x; touch $marker"
  $'x\n::set-output name=digest::evil\n'"touch $marker"
  "::set-output name=digest::evil"
  "a'\"|&>$marker"
)
string_inputs=(
  INPUT_TO INPUT_FROM INPUT_SHA INPUT_BRANCH INPUT_CONFIG INPUT_DRY_RUN INPUT_AGENT
  INPUT_REGISTRY_USERNAME INPUT_REGISTRY_PASSWORD INPUT_SOURCE_USERNAME INPUT_SOURCE_PASSWORD
  INPUT_AUTHFILE INPUT_SIGNING_KEY INPUT_SIGNING_PASSWORD INPUT_PROMOTE_PATH INPUT_VERSION
)
prod_before=$(tag_digest "$prod" shop/payment-svc prod "$prod_user" "$prod_password")
for input in "${string_inputs[@]}"; do
  for payload in "${payloads[@]}"; do
    # A dry run to prod with valid inputs, then one of them replaced by the payload.
    args=("${prod_inputs[@]}" INPUT_DRY_RUN=true "$input=$payload")
    run_action "${args[@]}"
    desc="injection in $input (${payload:0:12}…)"
    if [ "$RUN_CODE" = 0 ] || [ "$RUN_CODE" -ge 5 ]; then
      fail "$desc: exit $RUN_CODE, expected a clean failure (2-4)"
      show_run
    else
      pass
    fi
    expect_eq "$desc: one error annotation" "$(grep -c '^::error ' <<<"$RUN_OUT")" 1
    [ -e "$marker" ] && { fail "$desc: the payload ran"; rm -f "$marker"; }
    names=$(output_names)
    if [ -n "$names" ] && [ "$names" != "$all_outputs" ]; then fail "$desc: outputs $names"; else pass; fi
    expect_not_contains "$desc: digest output" "$(output digest)" evil
    expect_clean_log "$desc"
    case $input in
      *PASSWORD | INPUT_SIGNING_KEY) expect_secret_hidden "$desc" "$payload" ;;
    esac
  done
done
[ -e "$marker" ] && fail "an injection payload ran"
expect_eq "injection: prod unchanged" "$(tag_digest "$prod" shop/payment-svc prod "$prod_user" "$prod_password")" "$prod_before"

# ---------------------------------------------------------------------------------------------
log "missing and invalid inputs"

# Inputs only the action checks: refused before promote runs, no outputs.
# expected exit | annotation text | input overrides...
invalid_cases=(
  "2|dry-run must be true or false|INPUT_DRY_RUN=yes"
  "2|break-glass must be a single line|INPUT_BREAK_GLASS=INC-1"$'\r'"::error::forged"
  "2|author must be a single line|INPUT_AUTHOR=alice"$'\t'"bob"
  "2|need 'to'|INPUT_REGISTRY_USERNAME=u|INPUT_REGISTRY_PASSWORD=p"
  "2|need 'from'|INPUT_SOURCE_USERNAME=u|INPUT_SOURCE_PASSWORD=p"
  "2|signing-password is set but signing-key is empty|INPUT_SIGNING_KEY=|INPUT_SIGNING_PASSWORD=pw"
  "2|is not an executable file|INPUT_PROMOTE_PATH=$workspace/promote.yaml"
  "2|version must be a release version|INPUT_PROMOTE_PATH=|INPUT_VERSION=latest"
  "2|promote is not on PATH|INPUT_PROMOTE_PATH="
  "2|GITHUB_OUTPUT is not set|GITHUB_OUTPUT="
)
for case_line in "${invalid_cases[@]}"; do
  IFS='|' read -r -a fields <<<"$case_line"
  want_code=${fields[0]}
  want_text=${fields[1]}
  overrides=("${fields[@]:2}")
  run_action INPUT_BRANCH=develop "${overrides[@]}"
  expect_eq "invalid (${overrides[*]}): exit" "$RUN_CODE" "$want_code"
  expect_contains "invalid (${overrides[*]}): annotation" "$RUN_OUT" "$want_text"
  expect_eq "invalid (${overrides[*]}): no outputs" "$(output_names)" ""
  expect_clean_log "invalid (${overrides[*]})"
done

# Inputs promote checks (branch, SHA, environment names, credentials, files): the action passes
# them on and renders promote's refusal, error.category and error.message, with its outputs.
cat >"$workspace/conventions.yaml" <<EOF
version: 1
image: payment-svc
environments:
  - {name: dev, registry: "$dev", repository: shop/payment-svc}
  - {name: key, registry: "$stage", repository: shop/payment-svc}
  - {name: qa-eu, registry: "$stage", repository: shop/payment-svc}
  - {name: qa_eu, registry: "$stage", repository: shop/payment-svc}
EOF
# promote's message | input overrides...
refused_cases=(
  "SHA 'xyz1234' is not hexadecimal|INPUT_SHA=xyz1234"
  "2b2e92|INPUT_SHA=2b2e92"
  "${sha}0|INPUT_SHA=${sha}0"
  "unknown environment 'Prod'|INPUT_TO=Prod"
  "unknown environment '-prod'|INPUT_TO=-prod"
  "unknown environment '../prod'|INPUT_TO=../prod"
  "unknown environment 'st age' given as --from|INPUT_FROM=st age"
  "release/ v1|INPUT_BRANCH=release/ v1"
  "missing.yaml|INPUT_CONFIG=missing.yaml"
  "/nonexistent/config.json|INPUT_AUTHFILE=/nonexistent/config.json"
  "PROMOTE_DEV_USERNAME is not set; set both or neither|INPUT_TO=dev|INPUT_REGISTRY_PASSWORD=p"
  "the username must not contain ':'|INPUT_TO=dev|INPUT_REGISTRY_USERNAME=a:b|INPUT_REGISTRY_PASSWORD=p"
  "PROMOTE_KEY_PASSWORD is read by promote for something else|INPUT_CONFIG=conventions.yaml|INPUT_TO=key|INPUT_REGISTRY_USERNAME=u|INPUT_REGISTRY_PASSWORD=p"
  "has the same variables|INPUT_CONFIG=conventions.yaml|INPUT_TO=qa-eu|INPUT_REGISTRY_USERNAME=u|INPUT_REGISTRY_PASSWORD=p"
)
for case_line in "${refused_cases[@]}"; do
  IFS='|' read -r -a fields <<<"$case_line"
  want_text=${fields[0]}
  overrides=("${fields[@]:1}")
  run_action INPUT_BRANCH=develop "${overrides[@]}"
  desc="refused by promote (${overrides[*]})"
  expect_eq "$desc: exit" "$RUN_CODE" 2
  expect_one_error "$desc" "promote%3A bad_input (invalid_argument)"
  expect_contains "$desc: promote's message" "$RUN_OUT" "$want_text"
  expect_eq "$desc: outputs" "$(output_names)" "$all_outputs"
  expect_eq "$desc: status" "$(output status)" failed
  expect_eq "$desc: category" "$(output result | jq -r .error.category)" bad_input
  expect_contains "$desc: summary" "$(cat "$SUMMARY")" "**Error** (bad_input, invalid_argument)"
  expect_clean_log "$desc"
done

# ---------------------------------------------------------------------------------------------
log "how promote is found: PATH, then a released binary"

mkdir -p "$work/bin"
ln -s "$promote_cli" "$work/bin/promote"
TEST_PATH=$work/bin:/usr/local/bin:/usr/bin:/bin run_action INPUT_PROMOTE_PATH= INPUT_BRANCH=develop INPUT_DRY_RUN=true
expect_eq "promote on PATH: exit" "$RUN_CODE" 0
expect_contains "promote on PATH: used" "$RUN_OUT" "promote: $work/bin/promote"

mirror=$work/mirror/v0.1.0
mkdir -p "$mirror"
# The layout scripts/release gives the portable tarball: promote-<v>-linux-<arch>/{bin,lib}.
tree=promote-0.1.0-linux-amd64
case $(uname -m) in aarch64 | arm64) tree=promote-0.1.0-linux-arm64 ;; esac
asset=$tree.tar.gz
mkdir -p "$work/release/$tree/bin" "$work/release/$tree/lib"
cp "$promote_cli" "$work/release/$tree/bin/promote"
tar -C "$work/release" -czf "$mirror/$asset" "$tree"
(cd "$mirror" && sha256sum "$asset" >"$asset.sha256")
PROMOTE_URL=file://$work/mirror
run_action INPUT_PROMOTE_PATH= INPUT_VERSION=0.1.0 INPUT_BRANCH=develop INPUT_DRY_RUN=true PROMOTE_RELEASE_BASE_URL="$PROMOTE_URL"
[ "$RUN_CODE" = 0 ] || show_run
expect_eq "release download: exit" "$RUN_CODE" 0
expect_contains "release download: url" "$RUN_OUT" "downloading $PROMOTE_URL/v0.1.0/$asset"
expect_eq "release download: status" "$(output status)" planned
expect_contains "release download: the tree's binary" "$RUN_OUT" "$tree/bin/promote (promote 0.1.0"
echo "0000000000000000000000000000000000000000000000000000000000000000  $asset" >"$mirror/$asset.sha256"
run_action INPUT_PROMOTE_PATH= INPUT_VERSION=v0.1.0 INPUT_BRANCH=develop PROMOTE_RELEASE_BASE_URL="$PROMOTE_URL"
expect_eq "release checksum mismatch: exit" "$RUN_CODE" 4
expect_contains "release checksum mismatch: annotation" "$RUN_OUT" "checksum mismatch"
run_action INPUT_PROMOTE_PATH= INPUT_VERSION=0.1.0 INPUT_BRANCH=develop PROMOTE_RELEASE_BASE_URL=http://127.0.0.1:9/x
expect_eq "release over plain http: exit" "$RUN_CODE" 2

# ---------------------------------------------------------------------------------------------
log "the environment handed to promote (a stub CLI records it)"

stub=$work/stub-promote
cat >"$stub" <<EOF
#!/usr/bin/env bash
if [ "\${1:-}" = --version ]; then echo "stub"; exit 0; fi
{
  printf 'ARGS:'; printf ' [%s]' "\$@"; printf '\n'
  env | grep -E '^PROMOTE_' | sort
  printf 'KEYMODE=%s\n' "\$(stat -c %a "\$PROMOTE_SIGNING_KEY" 2>/dev/null)"
  printf 'KEY=%s\n' "\$(base64 -w0 "\$PROMOTE_SIGNING_KEY" 2>/dev/null)"
} >"$work/stub.log"
case \${STUB_MODE:-ok} in
  glass) echo '{"schema":1,"command":"run","ok":true,"error":null,"status":"promoted","digest":"sha256:00","to":{"env":"prod","reference":"r@sha256:00"},"tags":{"written":["a"]},"gates":[{"name":"window","verdict":"overridden","detail":"BREAK-GLASS: frozen"}],"break_glass":{"reason":"INC-4711 <b>payments</b> | down"},"signature":null}' ;;
  ok) echo '{"schema":1,"command":"run","ok":true,"error":null,"status":"planned","digest":"sha256:00","to":{"env":"qa-eu","reference":"r@sha256:00"},"tags":{"written":["a"],"moved":["b"],"unchanged":["c"]},"gates":[],"signature":null}' ;;
  conflict) echo '{"schema":1,"command":"run","ok":false,"status":"refused","error":{"code":"conflict","category":"gate_refused","exit_code":3,"message":"tag v1 names another digest\n::set-output name=x::y"},"gates":[]}'; exit 3 ;;
  forged)
    # A registry's error body, copied into error.message, trying to forge and to hide annotations.
    echo '##[error title=x]forged by the registry' >&2
    echo '{"schema":1,"command":"run","ok":false,"status":"failed","error":{"code":"registry_error","category":"registry","exit_code":4,"message":"denied ##[error title=x]forged by the registry"},"gates":[]}'
    exit 4 ;;
  hide)
    echo '{"schema":1,"command":"run","ok":false,"status":"failed","error":{"code":"registry_error","category":"registry","exit_code":4,"message":"denied ##[stop-commands]hidden"},"gates":[]}'
    exit 4 ;;
  set) echo '{"schema":1,"command":"run","ok":true,"error":null,"status":"promoted","digest":null,"to":{"env":"stage","reference":""},"tags":{"written":[],"moved":[],"unchanged":[]},"gates":[{"name":"branch","verdict":"passed"}],"signature":null,"images":[{"name":"api","digest":"sha256:a1","to":{"env":"stage","reference":"s/shop/api@sha256:a1"},"tags":{"written":["v1"],"moved":["stage"],"unchanged":[],"refused":[],"restored":[],"left":[]},"record":{"reference":"s/shop/api:sha256-a1.att"}},{"name":"web|<b>","digest":"sha256:b2","to":{"env":"stage","reference":"w/edge/web@sha256:b2"},"tags":{"written":["v1"],"moved":[],"unchanged":[],"refused":[],"restored":[],"left":[]},"record":{"reference":"w/edge/web:sha256-b2.att"}}]}' ;;
  setfail) echo '{"schema":1,"command":"run","ok":false,"status":"failed","error":{"code":"registry_error","exit_code":4,"message":"image '"'"'web'"'"': PUT manifest refused"},"digest":null,"to":{"env":"stage","reference":""},"gates":[],"images":[{"name":"api","digest":"sha256:a1","to":{"env":"stage","reference":"s/shop/api@sha256:a1"},"tags":{"written":["v1"],"moved":["stage"],"restored":["stage"],"left":["v1"]},"record":null},{"name":"web","digest":"sha256:b2","to":{"env":"stage","reference":"w/edge/web@sha256:b2"},"tags":{"written":[],"moved":[],"restored":[],"left":[]},"record":null}]}'; exit 4 ;;
  nojson) echo 'Segmentation fault' >&2; exit 139 ;;
  empty) exit 0 ;;
esac
EOF
chmod +x "$stub"
run_action INPUT_PROMOTE_PATH="$stub" INPUT_TO=qa-eu INPUT_FROM=stage INPUT_BRANCH=release/v2 INPUT_SHA=abcdef1 \
  INPUT_DRY_RUN=TRUE INPUT_AGENT=unix:///run/promote.sock INPUT_AUTHFILE="$workspace/promote.yaml" \
  INPUT_BREAK_GLASS="INC-4711: \$(touch pwned) \"quoted\"" INPUT_AUTHOR='Jane Doe' \
  INPUT_REGISTRY_USERNAME=qa-bot INPUT_REGISTRY_PASSWORD=qa-pass \
  INPUT_SOURCE_USERNAME=st-bot INPUT_SOURCE_PASSWORD=st-pass \
  INPUT_SIGNING_KEY="$signing_key" INPUT_SIGNING_PASSWORD=kp
stub_log=$(cat "$work/stub.log")
expect_eq "stub: exit" "$RUN_CODE" 0
expect_contains "stub: argv" "$stub_log" "ARGS: [-o] [json] [--progress-interval] [10] [run] [--config] [promote.yaml] [--to] [qa-eu] [--from] [stage] [--sha] [abcdef1] [--branch] [release/v2] [--dry-run] [--break-glass] [INC-4711: \$(touch pwned) \"quoted\"] [--author] [Jane Doe] [--authfile] [$workspace/promote.yaml]"
expect_eq "stub: the break-glass reason ran nothing" "$(find "$workspace" -name pwned)" ""
expect_contains "stub: target credentials" "$stub_log" $'PROMOTE_QA_EU_PASSWORD=qa-pass\nPROMOTE_QA_EU_USERNAME=qa-bot'
expect_contains "stub: source credentials" "$stub_log" $'PROMOTE_STAGE_PASSWORD=st-pass\nPROMOTE_STAGE_USERNAME=st-bot'
expect_contains "stub: agent" "$stub_log" "PROMOTE_AGENT=unix:///run/promote.sock"
expect_contains "stub: key password" "$stub_log" "PROMOTE_KEY_PASSWORD=kp"
expect_contains "stub: key file mode" "$stub_log" "KEYMODE=600"
expect_contains "stub: key file content" "$stub_log" "KEY=$(printf '%s\n' "$signing_key" | base64 -w0)"
expect_match "stub: key under RUNNER_TEMP" "$stub_log" "PROMOTE_SIGNING_KEY=$runner_temp/promote-action\\.[A-Za-z0-9]+/cosign\\.key"
expect_eq "stub: tags output" "$(output tags)" "a,b,c"
expect_eq "stub: no signature" "$(output signature-ref)" ""
expect_eq "stub: key removed" "$(find "$runner_temp" -mindepth 1 | head -n1)" ""

run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=conflict
expect_eq "stub conflict: exit" "$RUN_CODE" 3
expect_contains "stub conflict: one-line annotation" "$RUN_OUT" "::error title=promote%3A gate_refused (conflict)::tag v1 names another digest%0A::set-output name=x::y"
expect_clean_log "stub conflict"
expect_contains "stub conflict: summary escapes" "$(cat "$SUMMARY")" "tag v1 names another digest ::set-output"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=glass
expect_eq "stub break-glass: exit" "$RUN_CODE" 0
expect_contains "stub break-glass: said in the summary" "$(cat "$SUMMARY")" \
  "**BREAK-GLASS**: INC-4711 &lt;b&gt;payments&lt;/b&gt; \| down"
expect_contains "stub break-glass: the gate's verdict" "$(cat "$SUMMARY")" "window: overridden"
expect_clean_log "stub break-glass"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=ok
expect_not_contains "stub without break-glass: summary" "$(cat "$SUMMARY")" "BREAK-GLASS"
expect_eq "stub single image: images output" "$(output images)" "[]"
expect_not_contains "stub single image: no image lines" "$(cat "$SUMMARY")" "- image "
# A release set (promote.yaml images:): the images output has one entry per image, the summary
# a line each, names escaped like every other value.
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=set
expect_eq "stub release set: exit" "$RUN_CODE" 0
expect_eq "stub release set: images output" "$(output images | jq -c '[.[] | [.name, .digest, .reference, .record]]')" \
  '[["api","sha256:a1","s/shop/api@sha256:a1","s/shop/api:sha256-a1.att"],["web|<b>","sha256:b2","w/edge/web@sha256:b2","w/edge/web:sha256-b2.att"]]'
expect_eq "stub release set: images output tags" "$(output images | jq -c '.[0].tags.moved')" '["stage"]'
expect_contains "stub release set: summary line per image" "$(cat "$SUMMARY")" \
  "- image api: \`sha256:a1\` → \`s/shop/api@sha256:a1\`"
expect_contains "stub release set: summary escapes names" "$(cat "$SUMMARY")" "- image web\|&lt;b&gt;:"
expect_clean_log "stub release set"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=setfail
expect_eq "stub release set, tag write failed: exit" "$RUN_CODE" 4
expect_contains "stub release set, tag write failed: tags put back" "$(cat "$SUMMARY")" \
  "- image api: \`sha256:a1\` → \`s/shop/api@sha256:a1\` (tags put back: stage)"
expect_eq "stub release set, tag write failed: images output" "$(output images | jq -c '[.[].tags.restored]')" '[["stage"],[]]'
# Every example workflow's call of the action, with the inputs it passes as shipped (evaluated as
# the runner would on a push; secrets as placeholders) and the stub as promote: the inputs must pass
# the action's checks and hand promote a signing key, or an agent that holds one.
example_calls=$(python3 "$here/example-inputs.py" "$action_dir" "$work/example-inputs" "$sha")
expect_eq "example workflows: calls of the action" "$example_calls" 8
for inputs_file in "$work"/example-inputs/*.inputs; do
  where=$(head -n1 "$inputs_file")
  mapfile -t example_inputs < <(tail -n +2 "$inputs_file")
  rm -f "$work/stub.log"
  run_action "${example_inputs[@]}" INPUT_PROMOTE_PATH="$stub" STUB_MODE=ok
  [ "$RUN_CODE" = 0 ] || show_run
  expect_eq "$where: exit" "$RUN_CODE" 0
  if grep -qE '^PROMOTE_(SIGNING_KEY|AGENT)=' "$work/stub.log"; then pass; else
    fail "$where: neither a signing key nor an agent handed to promote"
  fi
  expect_clean_log "$where"
done

run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=forged
expect_eq "forged annotation in error.message: exit" "$RUN_CODE" 4
expect_one_error "forged annotation in error.message" "promote%3A registry (registry_error)"
expect_clean_log "forged annotation in error.message"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=hide
expect_eq "stop-commands in error.message: exit" "$RUN_CODE" 4
expect_one_error "stop-commands in error.message" "promote%3A registry (registry_error)"
expect_clean_log "stop-commands in error.message"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=ok INPUT_BRANCH='develop##[error]forged'
expect_eq "forged annotation in the branch input (stub): exit" "$RUN_CODE" 0
expect_one_error "forged annotation in the branch input (stub)" ""
expect_clean_log "forged annotation in the branch input (stub)"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=nojson
expect_eq "stub crash: exit" "$RUN_CODE" 139
expect_contains "stub crash: annotation" "$RUN_OUT" "::error title=promote%3A internal error::promote exited with 139 and printed no JSON"
run_action INPUT_PROMOTE_PATH="$stub" STUB_MODE=empty
expect_eq "stub silent success: exit" "$RUN_CODE" 5

# ---------------------------------------------------------------------------------------------
# Through a real promote agent (the `agent` input): the agent holds the stage and prod credentials
# and the signing key; the workflow passes none of them. develop -> dev, release -> stage,
# main -> prod, each a promotion the agent performs.
cat >"$work/agent.yaml" <<EOF
listen: [unix://$work/agent.sock]
registries:
  - {host: "$stage", username: $stage_user, password: env:AGENT_STAGE_PASSWORD}
  - {host: "$prod", username: $prod_user, password: env:AGENT_PROD_PASSWORD}
signing: {key: file:$work/cosign.key, password: env:AGENT_KEY_PASSWORD}
log: {format: json}
EOF
AGENT_STAGE_PASSWORD=$stage_password AGENT_PROD_PASSWORD=$prod_password AGENT_KEY_PASSWORD=$key_password \
  "$promote_cli" agent -c "$work/agent.yaml" >"$work/agent.out" 2>"$work/agent.err" &
agent_pid=$!
# The agent prints one line once it serves.
deadline=$((SECONDS + 20))
until grep -q '"listening"' "$work/agent.out" 2>/dev/null; do
  if ! kill -0 "$agent_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    log "the agent did not start:"
    cat "$work/agent.err" >&2
    exit 1
  fi
  sleep 0.05
done
third=5a5b5c5d5e5f5a5b5c5d5e5f5a5b5c5d5e5f5a5b
third_digest=$(push_image "$dev" shop/payment-svc sha-5a5b5c5)
# The application's promote.yaml for an agent names no credentials and no key: the agent refuses
# a request that brings either (its own decide); the first check shows it says so.
sed -e '/^signing:/,/^  password:/d' -e '/^    credentials:/,/^      password:/d' \
  "$workspace/promote.yaml" >"$workspace/promote-agent.yaml"
expect_not_contains "agent config: no key" "$(cat "$workspace/promote-agent.yaml")" "signing:"
expect_not_contains "agent config: no credentials" "$(cat "$workspace/promote-agent.yaml")" "credentials:"
run_action INPUT_AGENT="unix://$work/agent.sock" INPUT_SIGNING_KEY= INPUT_SIGNING_PASSWORD= INPUT_BRANCH=develop \
  INPUT_SHA="$third"
expect_eq "agent: promote.yaml with signing: refused" "$RUN_CODE" 2
expect_contains "agent: says why" "$RUN_OUT" "allow-request-credentials"
agent_input=(INPUT_AGENT="unix://$work/agent.sock" INPUT_SIGNING_KEY= INPUT_SIGNING_PASSWORD=
  INPUT_CONFIG=promote-agent.yaml)
run_action "${agent_input[@]}" INPUT_BRANCH=develop INPUT_SHA="$third"
expect_eq "agent: dev exit" "$RUN_CODE" 0
expect_contains "agent: announced" "$RUN_OUT" "agent: unix://$work/agent.sock"
run_action "${agent_input[@]}" INPUT_BRANCH=release/v3.0.0 INPUT_SHA="$third" INPUT_TO=stage
expect_eq "agent: stage exit" "$RUN_CODE" 0
expect_eq "agent: stage status" "$(output status)" promoted
run_action "${agent_input[@]}" INPUT_BRANCH=main INPUT_SHA="$third" INPUT_TO=prod
expect_eq "agent: prod exit" "$RUN_CODE" 0
expect_eq "agent: prod status" "$(output status)" promoted
expect_eq "agent: prod digest" "$(output digest)" "$third_digest"
expect_match "agent: prod signature" "$(output signature-ref)" 'sha256-[0-9a-f]{64}\.sig$'
expect_eq "agent: prod tag" "$(tag_digest "$prod" shop/payment-svc prod "$prod_user" "$prod_password")" "$third_digest"
expect_clean_log "agent"
expect_contains "agent: calls logged" "$(cat "$work/agent.err")" '"method":"Run"'
expect_not_contains "agent: no password in its log" "$(cat "$work/agent.err")" "$prod_password"
kill -TERM "$agent_pid"
wait "$agent_pid" && agent_code=0 || agent_code=$?
expect_eq "agent: clean shutdown" "$agent_code" 0
agent_pid=

# ---------------------------------------------------------------------------------------------
total=$((passed + failed))
log "$run_count action runs, $total checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
