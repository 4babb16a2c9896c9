#!/bin/sh
# Stub scanner that never finishes (a stuck DB download); the hook's timeout must stop it.
exec sleep 600
