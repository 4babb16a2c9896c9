#!/bin/sh
# Stub scanner that exits 0 but writes something that is not a report, to its report path
# (first argument) if given, else to stdout.
if [ -n "${1:-}" ]; then
  printf 'FATAL: db download failed\n{"SchemaVersion": 2, "Res' > "$1"
else
  printf 'Usage: scanner [flags]\n'
fi
