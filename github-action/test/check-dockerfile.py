#!/usr/bin/env python3
"""Static checks of the root Dockerfile, in place of a build (no Docker here) and of hadolint (not
in Debian): multi-stage; every base image pinned to a tag that is not `latest` (or a digest), also
when FROM names a global build argument (ARG before the first FROM: its default is checked); the
builder installs the build packages scripts/lib.sh lists; the final stage runs as a non-root user,
copies promote from an earlier stage, installs no compiler, -dev package or build tool, and has
ENTRYPOINT ["promote"].
usage: check-dockerfile.py DOCKERFILE"""
import json
import os
import re
import sys

BUILD_TOOLS = {"build-essential", "cmake", "ninja-build", "gcc", "g++", "clang", "make", "pkg-config",
               "git", "doctest-dev"}


def instructions(text):
    """(KEYWORD, arguments) pairs, continuation lines joined, comments and blank lines dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        kw, _, args = buf.partition(" ")
        out.append((kw.upper(), args.strip()))
        buf = ""
    if buf:
        kw, _, args = buf.partition(" ")
        out.append((kw.upper(), args.strip()))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    with open(path) as f:
        ins = instructions(f.read())
    errors = []
    stages = []  # [{"name":..., "image":..., "ins": [...]}]
    global_args = {}  # ARG NAME=default before the first FROM
    for kw, args in ins:
        if kw == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append({"name": name, "image": parts[0], "ins": []})
        elif stages:
            stages[-1]["ins"].append((kw, args))
        elif kw == "ARG":
            name, _, default = args.partition("=")
            global_args[name.strip()] = default.strip().strip('"')
        else:
            errors.append(f"{kw} before the first FROM")
    if len(stages) < 2:
        errors.append(f"not multi-stage: {len(stages)} FROM")
    names = {s["name"] for s in stages if s["name"]}
    for s in stages:
        image = shown = s["image"]
        if image in names:
            continue
        if "$" in image:
            m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", image)
            if not m or not global_args.get(m.group(1)):
                errors.append(f"FROM {image}: a build argument needs a default pinned image (ARG before the first FROM)")
                continue
            image = global_args[m.group(1)]
            shown = f"{s['image']} (default {image})"
            if "$" in image:
                errors.append(f"FROM {shown}: the default is not a literal image")
                continue
        if "@sha256:" in image:
            continue
        repo, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        if not tag:
            errors.append(f"FROM {shown}: not pinned (no tag or digest)")
        elif tag == "latest" or not re.search(r"\d", tag):
            errors.append(f"FROM {shown}: '{tag}' is a moving tag; pin a dated or versioned tag or a digest")

    if stages:
        builder_text = " ".join(a for s in stages[:-1] for kw, a in s["ins"] if kw in ("RUN", "COPY"))
        lib = os.path.join(os.path.dirname(os.path.abspath(path)), "scripts", "lib.sh")
        if "PROMOTE_BUILD_PACKAGES" not in builder_text and os.path.exists(lib):
            with open(lib) as f:
                m = re.search(r"PROMOTE_BUILD_PACKAGES=\(([^)]*)\)", f.read())
            for pkg in (m.group(1).split() if m else []):
                if not re.search(r"(^|\s)" + re.escape(pkg) + r"(\s|$)", builder_text):
                    errors.append(f"the builder does not install {pkg} (scripts/lib.sh PROMOTE_BUILD_PACKAGES)")

        final = stages[-1]
        users = [a for kw, a in final["ins"] if kw == "USER"]
        if not users:
            errors.append("the final stage has no USER (it would run as root)")
        elif users[-1].split(":")[0] in ("root", "0"):
            errors.append(f"the final stage runs as {users[-1]}")
        for kw, args in final["ins"]:
            if kw != "RUN":
                continue
            for word in re.split(r"[\s;&|]+", args):
                if word in BUILD_TOOLS or re.fullmatch(r"[a-z0-9.+-]+-dev", word):
                    errors.append(f"the final stage installs build tooling: {word}")
            if "PROMOTE_BUILD_PACKAGES" in args:
                errors.append("the final stage installs the build packages")
        if not any(kw == "COPY" and "--from=" in a and "promote" in a for kw, a in final["ins"]):
            errors.append("the final stage does not copy promote from the builder stage")
        entry = [a for kw, a in final["ins"] if kw == "ENTRYPOINT"]
        try:
            ok = bool(entry) and json.loads(entry[-1])[0].endswith("promote")
        except (ValueError, IndexError, AttributeError):
            ok = False
        if not ok:
            errors.append('the final stage needs ENTRYPOINT ["promote"] (exec form)')

    for e in errors:
        print(f"check-dockerfile: {path}: {e}", file=sys.stderr)
    print(f"check-dockerfile: {len(stages)} stages, {len(errors)} problems", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
