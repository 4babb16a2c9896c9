#!/bin/sh
# Stub scanner that crashes the way a Go or C program does: killed by SIGSEGV.
echo "stub scanner: about to crash" >&2
kill -SEGV $$
