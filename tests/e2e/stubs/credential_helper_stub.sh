#!/bin/sh
# Stub docker credential helper, linked into a test's directory as docker-credential-<name> (its
# environment is scrubbed, so it finds its files next to the link, not through variables).
# `get` appends the server it was asked about to record/servers, keeps the environment it was
# given as the kernel saw it (record/environ.<pid>) and prints credentials.json from there.
set -eu
here=$(dirname "$0")
[ "${1:-}" = get ] || exit 1
server=$(cat)
mkdir -p "$here/record"
printf '%s\n' "$server" >> "$here/record/servers"
tr '\0' '\n' < /proc/$$/environ > "$here/record/environ.$$"
cat "$here/credentials.json"
