#!/bin/sh
# Stub scanner that prints without end; the output bound must stop it.
exec yes "promote stub scanner flooding stdout"
