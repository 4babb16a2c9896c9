#!/usr/bin/env bash
# Entry point of the promote GitHub Action (action.yml maps every input to an INPUT_* variable).
# Checks what only the action knows (booleans, control characters, the runner's files), turns
# credentials and the signing key into the environment variables promote reads
# (PROMOTE_<ENV>_USERNAME/_PASSWORD, PROMOTE_SIGNING_KEY, PROMOTE_KEY_PASSWORD), runs
# `promote -o json run` once, and turns its JSON result into step outputs, a job summary and
# annotations. Branch, SHA, environment and credential checks are promote's: its refusal is shown
# from the JSON (error.category, error.message). No environment or gate logic lives here.
# Exit status: the CLI's (0 ok, 2 usage/config, 3 refused, 4 registry/network, 5 internal);
# 2 for invalid action inputs or when no promote binary can be found.
set -euo pipefail
umask 077

# --- workflow commands -------------------------------------------------------------------------

# Workflow-command data escaping (what the runner unescapes): keeps a value on one line.
escape_data() {
  local s=$1
  s=${s//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  s=${s//$'\n'/'%0A'}
  printf '%s' "$s"
}
escape_property() {
  local s
  s=$(escape_data "$1")
  s=${s//':'/'%3A'}
  s=${s//','/'%2C'}
  printf '%s' "$s"
}

# mask VALUE: hides VALUE, and each of its lines, in every later log line.
mask() {
  local value=$1 line
  [ -n "$value" ] || return 0
  printf '::add-mask::%s\n' "$(escape_data "$value")"
  if [[ $value == *$'\n'* || $value == *$'\r'* ]]; then
    while IFS= read -r line; do
      line=${line%$'\r'}
      if [ -n "$line" ]; then printf '::add-mask::%s\n' "$(escape_data "$line")"; fi
    done <<<"$value"
  fi
}

# Text the action does not control (inputs, promote's stderr and JSON, registry error bodies) is
# printed only between commands_off and commands_on: the runner reads `::cmd::` at the start of a
# line and the legacy `##[cmd]` anywhere in one, so such text could forge annotations, masks or a
# `##[stop-commands]` that hides the action's own error. While stopped, the runner ends the region
# only at `::TOKEN::`, and TOKEN is random for each region.
commands_off() {
  region_token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "::stop-commands::$region_token"
}
commands_on() {
  echo "::$region_token::"
}

annotate_error() {
  printf '::error title=%s::%s\n' "$(escape_property "$1")" "$(escape_data "$2")"
}

# fail_input MESSAGE: an invalid input; nothing has run yet.
fail_input() {
  annotate_error "promote: invalid input" "$1"
  exit 2
}

# --- inputs --------------------------------------------------------------------------------------

in_to=${INPUT_TO:-}
in_from=${INPUT_FROM:-}
in_sha=${INPUT_SHA:-}
in_branch=${INPUT_BRANCH:-}
in_config=${INPUT_CONFIG:-promote.yaml}
in_dry_run=${INPUT_DRY_RUN:-false}
in_break_glass=${INPUT_BREAK_GLASS:-}
in_author=${INPUT_AUTHOR:-}
in_agent=${INPUT_AGENT:-}
in_registry_username=${INPUT_REGISTRY_USERNAME:-}
in_registry_password=${INPUT_REGISTRY_PASSWORD:-}
in_source_username=${INPUT_SOURCE_USERNAME:-}
in_source_password=${INPUT_SOURCE_PASSWORD:-}
in_authfile=${INPUT_AUTHFILE:-}
in_signing_key=${INPUT_SIGNING_KEY:-}
in_signing_password=${INPUT_SIGNING_PASSWORD:-}
in_promote_path=${INPUT_PROMOTE_PATH:-}
in_version=${INPUT_VERSION:-}

# Secrets are masked before anything else can print them.
mask "$in_registry_password"
mask "$in_source_password"
mask "$in_signing_key"
mask "$in_signing_password"

for required in GITHUB_OUTPUT GITHUB_STEP_SUMMARY; do
  if [ -z "${!required:-}" ]; then
    fail_input "$required is not set: run this script as a GitHub Actions step"
  fi
done

# single_line NAME VALUE: refuses control characters (newlines included) in an input.
single_line() {
  if [[ $2 == *[[:cntrl:]]* ]]; then
    fail_input "$1 must be a single line without control characters"
  fi
}
# no_space NAME VALUE: refuses whitespace and control characters.
no_space() {
  single_line "$1" "$2"
  if [[ $2 == *[[:space:]]* ]]; then
    fail_input "$1 must not contain whitespace"
  fi
}

case ${in_dry_run,,} in
  true) dry_run=true ;;
  false | '') dry_run=false ;;
  *) fail_input "dry-run must be true or false" ;;
esac
# Whether break-glass is allowed, and what a valid reason or author is, promote decides.
single_line break-glass "$in_break_glass"
single_line author "$in_author"
no_space agent "$in_agent"
agent_re='^[][A-Za-z0-9._~:/@%+=,-]+$'
if [ -n "$in_agent" ] && ! [[ $in_agent =~ $agent_re ]]; then
  fail_input "agent must be an address such as unix:///run/promote.sock or promote-agent.ci:8443"
fi
single_line config "$in_config"
single_line authfile "$in_authfile"
single_line promote-path "$in_promote_path"
if [ -n "$in_version" ] && ! [[ $in_version =~ ^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
  fail_input "version must be a release version such as 0.1.0"
fi

# The credentials inputs name no environment themselves: they are `to`'s and `from`'s.
if [ -n "$in_registry_username$in_registry_password" ] && [ -z "$in_to" ]; then
  fail_input "registry-username/registry-password need 'to': they are the target environment's credentials"
fi
if [ -n "$in_source_username$in_source_password" ] && [ -z "$in_from" ]; then
  fail_input "source-username/source-password need 'from': they are the source environment's credentials"
fi
if [ -n "$in_signing_password" ] && [ -z "$in_signing_key" ]; then
  fail_input "signing-password is set but signing-key is empty"
fi

# --- the promote binary --------------------------------------------------------------------------

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/promote-action.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# download_promote VERSION: fetches the released binary and checks its published SHA-256.
# Release assets (scripts/release): <base>/v<version>/promote-<version>-linux-<arch>.tar.gz (+ .sha256), where
# <base> is $GITHUB_SERVER_URL/<action repository>/releases/download unless
# PROMOTE_RELEASE_BASE_URL names a mirror.
download_promote() {
  local version=${1#v} arch base asset dir
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) annotate_error "promote: no release binary" "no promote release for $(uname -m); set promote-path"; exit 2 ;;
  esac
  base=${PROMOTE_RELEASE_BASE_URL:-}
  if [ -z "$base" ]; then
    if [ -z "${PROMOTE_ACTION_REPOSITORY:-}" ]; then
      annotate_error "promote: no release binary" "cannot tell where promote is released from; set promote-path"
      exit 2
    fi
    base=${GITHUB_SERVER_URL:-https://github.com}/$PROMOTE_ACTION_REPOSITORY/releases/download
  fi
  if ! [[ $base =~ ^(https|file):// ]]; then
    annotate_error "promote: no release binary" "PROMOTE_RELEASE_BASE_URL must be an https:// (or file://) URL"
    exit 2
  fi
  asset=promote-$version-linux-$arch.tar.gz
  dir=$work/promote-$version
  mkdir -p "$dir"
  echo "downloading $base/v$version/$asset"
  if ! curl -fsSL --proto '=https,file' --retry 3 -o "$dir/$asset" "$base/v$version/$asset" ||
    ! curl -fsSL --proto '=https,file' --retry 3 -o "$dir/$asset.sha256" "$base/v$version/$asset.sha256"; then
    annotate_error "promote: download failed" "could not download promote $version ($asset) from $base"
    exit 4
  fi
  local expected actual
  expected=$(cut -d' ' -f1 <"$dir/$asset.sha256")
  actual=$(sha256sum "$dir/$asset" | cut -d' ' -f1)
  if [ "$expected" != "$actual" ]; then
    annotate_error "promote: download failed" "checksum mismatch for $asset: expected $expected, got $actual"
    exit 4
  fi
  # The portable tree (scripts/release): promote-<version>-linux-<arch>/bin/promote and lib/.
  tar -xzf "$dir/$asset" -C "$dir"
  promote_bin=$dir/promote-$version-linux-$arch/bin/promote
  if ! [ -x "$promote_bin" ]; then
    annotate_error "promote: download failed" "$asset has no promote-$version-linux-$arch/bin/promote"
    exit 4
  fi
}

echo "::group::promote: setup"
if [ -n "$in_promote_path" ]; then
  if ! [ -f "$in_promote_path" ] || ! [ -x "$in_promote_path" ]; then
    fail_input "promote-path: '$in_promote_path' is not an executable file"
  fi
  promote_bin=$in_promote_path
elif promote_bin=$(command -v promote); then
  :
elif [ -n "$in_version" ]; then
  download_promote "$in_version"
else
  annotate_error "promote: not found" \
    "promote is not on PATH: set promote-path, install promote in an earlier step, or set version to download a release"
  exit 2
fi
promote_version=$("$promote_bin" --version 2>/dev/null || echo 'version unknown')
commands_off
echo "promote: $promote_bin ($promote_version)"
commands_on

# --- environment for promote.yaml's references ---------------------------------------------------

# promote's convention (its README, "Registries, TLS and credentials"): PROMOTE_<ENV>_USERNAME and
# _PASSWORD, ENV upper-cased with anything but letters and digits turned into '_'. promote checks them.
export_credentials() { # ENV USERNAME PASSWORD
  local name=${1^^}
  name=PROMOTE_${name//[^A-Z0-9]/_}
  export "${name}_USERNAME=$2" "${name}_PASSWORD=$3"
  echo "credentials: ${name}_USERNAME, ${name}_PASSWORD"
}
if [ -n "$in_registry_username$in_registry_password" ]; then
  export_credentials "$in_to" "$in_registry_username" "$in_registry_password"
fi
if [ -n "$in_source_username$in_source_password" ]; then
  export_credentials "$in_from" "$in_source_username" "$in_source_password"
fi
if [ -n "$in_signing_key" ]; then
  printf '%s\n' "$in_signing_key" >"$work/cosign.key"
  chmod 0600 "$work/cosign.key"
  export PROMOTE_SIGNING_KEY="$work/cosign.key"
  echo "signing key: PROMOTE_SIGNING_KEY (a 0600 file under ${RUNNER_TEMP:-the temp directory})"
fi
if [ -n "$in_signing_password" ]; then
  export PROMOTE_KEY_PASSWORD="$in_signing_password"
  echo "signing key passphrase: PROMOTE_KEY_PASSWORD"
fi
if [ -n "$in_agent" ]; then
  export PROMOTE_AGENT="$in_agent"
  echo "agent: $in_agent (PROMOTE_AGENT)"
fi

args=(-o json --progress-interval 10 run --config "$in_config")
if [ -n "$in_to" ]; then args+=(--to "$in_to"); fi
if [ -n "$in_from" ]; then args+=(--from "$in_from"); fi
if [ -n "$in_sha" ]; then args+=(--sha "$in_sha"); fi
if [ -n "$in_branch" ]; then args+=(--branch "$in_branch"); fi
if [ "$dry_run" = true ]; then args+=(--dry-run); fi
if [ -n "$in_break_glass" ]; then args+=(--break-glass "$in_break_glass"); fi
if [ -n "$in_author" ]; then args+=(--author "$in_author"); fi
if [ -n "$in_authfile" ]; then args+=(--authfile "$in_authfile"); fi
echo "::endgroup::"

# --- run -----------------------------------------------------------------------------------------

echo "::group::promote run"
# The command line carries the branch and config inputs, promote's stderr registry-provided text.
commands_off
printf 'promote'
printf ' %q' "${args[@]}"
printf '\n'
set +e
"$promote_bin" "${args[@]}" >"$work/result.json"
code=$?
set -e
commands_on
echo "::endgroup::"

result=$(cat "$work/result.json")
valid=$(jq -rs 'if length == 1 and (.[0] | type == "object" and .schema == 1) then "yes" else "no" end' \
  2>/dev/null <<<"$result" || true)
if [ "$valid" != yes ]; then
  annotate_error "promote: internal error" \
    "promote exited with $code and printed no JSON result (see the log above)"
  if [ "$code" -eq 0 ]; then code=5; fi
  exit "$code"
fi

field() { jq -r "$1 // \"\"" <<<"$result"; }
status=$(field .status)
digest=$(field .digest)
target_ref=$(field .to.reference)
source_ref=$(field .from.reference)
to_env=$(field .to.env)
from_env=$(field .from.env)
tags=$(jq -r '[.tags.written[]?, .tags.moved[]?, .tags.unchanged[]?] | join(",")' <<<"$result")
signature_ref=$(field .signature.reference)
error_code=$(field .error.code)
error_category=$(field .error.category)
error_message=$(field .error.message)
break_glass=$(field .break_glass.reason)

# --- outputs -------------------------------------------------------------------------------------

# set_output NAME VALUE: a one-line value as NAME=VALUE, anything else as a heredoc.
set_output() {
  local name=$1 value=$2 delim
  if [[ $value == *[[:cntrl:]]* ]]; then
    delim=ghadelimiter_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    [[ $value != *"$delim"* ]] || { annotate_error "promote: internal error" "output delimiter collision"; exit 5; }
    printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
  fi
}
set_output digest "$digest"
set_output target-ref "$target_ref"
set_output tags "$tags"
set_output signature-ref "$signature_ref"
set_output status "$status"
set_output result "$(jq . <<<"$result")"
# A release set (promote.yaml images:): one entry per image; "[]" for a single image.
set_output images "$(jq -c '[.images[]? | {name, digest, reference: .to.reference, tags, record: .record.reference}]' <<<"$result")"

# --- job summary ---------------------------------------------------------------------------------

# cell TEXT: safe inside a Markdown table cell.
cell() {
  local s=$1
  s=${s//$'\r'/ }
  s=${s//$'\n'/ }
  s=${s//'&'/'&amp;'}
  s=${s//'<'/'&lt;'}
  s=${s//'>'/'&gt;'}
  s=${s//'|'/'\|'}
  s=${s//'`'/"'"}
  printf '%s' "$s"
}
code_cell() {
  local tick='`'
  if [ -n "$1" ]; then printf '%s%s%s' "$tick" "$(cell "$1")" "$tick"; else printf '—'; fi
}

gates=$(jq -r '[.gates[]? | "\(.name): \(.verdict)"] | join(", ")' <<<"$result")
{
  case $status in
    promoted) echo "### promote: promoted to ${to_env:-?}" ;;
    unchanged) echo "### promote: ${to_env:-?} already up to date" ;;
    planned) echo "### promote: plan for ${to_env:-?} (dry run, nothing written)" ;;
    refused) echo "### promote: refused" ;;
    *) echo "### promote: failed" ;;
  esac
  echo
  echo "| Environment | Reference | Digest | Gates | Signature |"
  echo "|---|---|---|---|---|"
  if [ -n "$from_env$source_ref" ]; then
    printf '| %s (from) | %s | %s | | |\n' "$(cell "$from_env")" "$(code_cell "$source_ref")" "$(code_cell "$digest")"
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$(cell "${to_env:-${in_to:-?}}")" "$(code_cell "$target_ref")" \
    "$(code_cell "$digest")" "$(cell "${gates:-—}")" "$(code_cell "$signature_ref")"
  echo
  if [ -n "$tags" ]; then echo "Tags: $(code_cell "$tags")"; echo; fi
  # A release set: one line per image (its digest, where it went, and any tags put back).
  # Fields split on US (0x1f), not a tab: IFS whitespace would merge an empty field into the next.
  while IFS=$'\x1f' read -r name image_digest image_ref restored; do
    echo "- image $(cell "$name"): $(code_cell "$image_digest") → $(code_cell "$image_ref")${restored:+ (tags put back: $(cell "$restored"))}"
  done < <(jq -r '.images[]? | [.name // "", .digest // "", .to.reference // "", ((.tags.restored // []) | join(","))] | map(gsub("[[:cntrl:]]"; " ")) | join("\u001f")' <<<"$result")
  if jq -e '(.images // []) | length > 0' <<<"$result" >/dev/null; then echo; fi
  if [ -n "$break_glass" ]; then echo "**BREAK-GLASS**: $(cell "$break_glass")"; echo; fi
  if [ -n "$error_message" ]; then
    echo "**Error** ($(cell "$error_category"), $(cell "$error_code")): $(cell "$error_message")"
    echo
  fi
} >>"$GITHUB_STEP_SUMMARY"

echo "::group::promote result"
commands_off
jq . <<<"$result"
commands_on
echo "::endgroup::"

# --- annotations ---------------------------------------------------------------------------------

if [ "$code" -eq 0 ]; then
  commands_off
  echo "promote: $status${to_env:+ $to_env}${digest:+ $digest}"
  commands_on
else
  # What kind of failure it was is promote's to say (docs/result-json.md, error.category).
  annotate_error "promote: ${error_category:-internal} (${error_code:-exit $code})" \
    "${error_message:-promote exited with $code}"
fi
exit "$code"
