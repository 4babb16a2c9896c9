#!/bin/sh
# Stub scanner that writes a valid report and then exits 2 (grype --fail-on style): the exit
# status alone must make it a scanner failure.
cp "$STUB_FIXTURE" "$1"
echo "stub scanner: failing with status 2" >&2
exit 2
