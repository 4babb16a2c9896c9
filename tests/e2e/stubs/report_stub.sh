#!/bin/sh
# Stub scanner for the end-to-end scan tests, configured as a `command` scanner with args
# ["{platform}", "{image}"]. It appends "<platform> <image>" to $STUB_RECORD_DIR/scans, keeps its
# own command line and environment as the kernel sees them (/proc/$$/cmdline, /proc/$$/environ)
# and the docker config it was given, then prints the report $STUB_FIXTURE on stdout.
set -eu
rec="${STUB_RECORD_DIR:?}"
printf '%s %s\n' "$1" "$2" >> "$rec/scans"
tr '\0' '\n' < /proc/$$/cmdline >> "$rec/cmdline"
tr '\0' '\n' < /proc/$$/environ >> "$rec/environ"
if [ -n "${DOCKER_CONFIG:-}" ] && [ -f "$DOCKER_CONFIG/config.json" ]; then
  cp "$DOCKER_CONFIG/config.json" "$rec/docker_config.json"
fi
cat "${STUB_FIXTURE:?}"
