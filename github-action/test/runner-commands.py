#!/usr/bin/env python3
"""Reads a step's log (stdout) the way the GitHub runner does and prints the workflow commands it
would act on, one per line as NAME<TAB>PROPERTIES<TAB>DATA. Follows actions/runner's
ActionCommandManager: `::name props::data` at the start of a line (after spaces), else the legacy
`##[name props]data` anywhere in the line; after `::stop-commands::TOKEN` nothing is acted on until
a line `::TOKEN::`. Used to check that untrusted text cannot forge or hide annotations.
  runner-commands.py < stdout
"""
import sys

REGISTERED = {
    "error", "warning", "notice", "debug", "add-mask", "group", "endgroup", "stop-commands",
    "set-output", "set-env", "add-path", "save-state", "echo", "add-matcher", "remove-matcher",
}


def parse_v2(line):
    text = line.lstrip(" ")
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info, data = text[2:end], text[end + 2:]
    name, _, props = info.partition(" ")
    return (name, props, data) if name in REGISTERED else None


def parse_legacy(line):
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start + 3)
    if end < 0:
        return None
    info, data = line[start + 3:end], line[end + 1:]
    name, _, props = info.partition(" ")
    return (name, props, data) if name in REGISTERED else None


def main():
    stop_token = None
    for raw in sys.stdin.read().split("\n"):
        line = raw.rstrip("\r")
        if stop_token is not None:
            if line.strip(" ") == "::" + stop_token + "::":
                stop_token = None
            continue
        command = parse_v2(line) or parse_legacy(line)
        if command is None:
            continue
        name, props, data = command
        if name == "stop-commands":
            stop_token = data
        print("\t".join((name, props, data)))


if __name__ == "__main__":
    main()
