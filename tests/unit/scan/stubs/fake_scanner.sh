#!/bin/sh
# Stub scanner: records its argv (one argument per line) in $STUB_RECORD_DIR/argv when set,
# then copies $STUB_FIXTURE to the report path. The report path is the value of --output
# (trivy) or --file (grype), else the first argument; with STUB_TO_STDOUT=1 it prints instead.
set -eu
if [ -n "${STUB_RECORD_DIR:-}" ]; then
  : > "$STUB_RECORD_DIR/argv"
  for arg in "$@"; do printf '%s\n' "$arg" >> "$STUB_RECORD_DIR/argv"; done
fi
report="${1:-}"
prev=""
for arg in "$@"; do
  case "$prev" in --output|--file) report="$arg" ;; esac
  prev="$arg"
done
echo "stub scanner: scanning" >&2
if [ "${STUB_TO_STDOUT:-0}" = 1 ]; then
  cat "$STUB_FIXTURE"
else
  cp "$STUB_FIXTURE" "$report"
fi
