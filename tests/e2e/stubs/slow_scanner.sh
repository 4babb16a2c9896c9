#!/bin/sh
# Stub scanner that does not finish (a stuck vulnerability DB download). It records in
# $STUB_RECORD_DIR its environment, HOME and DOCKER_CONFIG, starts a child in its own process
# group (promote makes every scanner a group leader, so $$ is the group), and writes that group
# to "pgid" last, when everything is in place. Then it waits for $STUB_SLEEP seconds (600).
set -eu
rec="${STUB_RECORD_DIR:?}"
tr '\0' '\n' < /proc/$$/environ > "$rec/environ"
printf '%s\n' "$HOME" > "$rec/home"
printf '%s\n' "${DOCKER_CONFIG:-}" > "$rec/docker_config_dir"
sleep "${STUB_SLEEP:-600}" &
printf '%s\n' "$$" > "$rec/pgid.tmp"
mv "$rec/pgid.tmp" "$rec/pgid"
wait
