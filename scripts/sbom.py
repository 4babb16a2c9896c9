#!/usr/bin/env python3
"""Writes a CycloneDX 1.5 JSON SBOM for one promote release artifact, from what this machine's
dpkg knows: the Debian packages (name, version, source package) that provide the shared libraries
the binary loads, and the header-only libraries compiled into it. Nothing is downloaded.

  sbom.py --artifact FILE --version V --commit C --elf BUILD/agent/cli/promote \
          [--bundled DIR] [--header-only PKG]... [--timestamp EPOCH] > FILE.cdx.json

--elf: the binary as built here (ldd resolves its libraries to Debian's files, so to packages).
--bundled DIR: the libraries a portable tree carries (DIR/lib): listed with their SHA-256, each
under the package whose file it is a copy of; libraries the tree leaves to the host (glibc, the
C++ runtime) are listed with linkage "host".
The output is deterministic for the same inputs (serial number derived from them, timestamp from
--timestamp or SOURCE_DATE_EPOCH), so release builds are reproducible."""
import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ldd(path):
    """{soname: resolved path} of everything the loader maps for `path`."""
    out = subprocess.run(["ldd", path], check=True, capture_output=True, text=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (\S+) \(", line) or re.match(r"\s*(/\S+) \(", line)
        if not m:
            continue
        name, resolved = (m.group(1), m.group(2)) if m.lastindex == 2 else (os.path.basename(m.group(1)), m.group(1))
        if "not found" in line:
            sys.exit(f"sbom.py: {path}: {name} not found")
        libs[name] = resolved
    return libs


_OWNERS = None


def owning_package(path):
    """The Debian package (without :arch) that installed `path` (or the file a symlink names),
    from dpkg's file lists (read once: one dpkg-query -S per library is slow on a busy machine)."""
    global _OWNERS
    if _OWNERS is None:
        _OWNERS = {}
        info = "/var/lib/dpkg/info"
        for name in sorted(os.listdir(info)):
            if name.endswith(".list"):
                pkg = name[:-len(".list")].split(":")[0]
                with open(os.path.join(info, name), errors="replace") as f:
                    for line in f:
                        _OWNERS.setdefault(line.rstrip("\n"), pkg)
    for candidate in (path, os.path.realpath(path)):
        # merged /usr: dpkg may know the file under /lib rather than /usr/lib, or the reverse
        alt = candidate[4:] if candidate.startswith("/usr/") else "/usr" + candidate
        for p in (candidate, alt):
            if p in _OWNERS:
                return _OWNERS[p]
    sys.exit(f"sbom.py: no Debian package owns {path}")


def package_info(pkg):
    fmt = "${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${Homepage}\n"
    r = subprocess.run(["dpkg-query", "-W", "-f", fmt, pkg], check=True, capture_output=True, text=True)
    name, version, arch, src, src_version, homepage = r.stdout.splitlines()[0].split("\t")
    return {"name": name, "version": version, "arch": arch, "source": src, "source_version": src_version,
            "homepage": homepage}


def distro():
    fields = {}
    with open("/etc/os-release") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            fields[k] = v.strip('"')
    return f"{fields.get('ID', 'debian')}-{fields.get('VERSION_ID', 'unknown')}"


HOST_ONLY = re.compile(r"^(linux-vdso|ld-linux|lib(c|m|dl|rt|pthread|resolv|util|anl|mvec)\.so|libstdc\+\+\.so|libgcc_s\.so)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--artifact", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--bundled")
    ap.add_argument("--header-only", action="append", default=[])
    ap.add_argument("--timestamp", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or None)
    a = ap.parse_args()

    dist = distro()
    libs = ldd(a.elf)
    bundled = {}
    if a.bundled:
        libdir = os.path.join(a.bundled, "lib")
        for name in sorted(os.listdir(libdir)):
            path = os.path.join(libdir, name)
            if os.path.isfile(path) and not os.path.islink(path):
                bundled[name] = path

    components = {}  # package name -> component

    def component(pkg, linkage):
        if pkg not in components:
            info = package_info(pkg)
            purl = f"pkg:deb/debian/{info['name']}@{info['version']}?arch={info['arch']}&distro={dist}"
            props = [{"name": "promote:linkage", "value": linkage},
                     {"name": "debian:source", "value": f"{info['source'] or info['name']}@{info['source_version'] or info['version']}"}]
            c = {"type": "library", "bom-ref": purl, "name": info["name"], "version": info["version"], "purl": purl,
                 "properties": props}
            if info["homepage"]:
                c["externalReferences"] = [{"type": "website", "url": info["homepage"]}]
            components[pkg] = c
        return components[pkg]

    for soname, path in sorted(libs.items()):
        if soname.startswith("linux-vdso"):
            continue
        pkg = owning_package(path)
        if not a.bundled:
            linkage = "shared"
        elif HOST_ONLY.match(soname):
            linkage = "host"
        else:
            linkage = "bundled"
        c = component(pkg, linkage)
        if linkage == "bundled":
            real = os.path.basename(os.path.realpath(path))
            if real not in bundled:
                sys.exit(f"sbom.py: {soname} ({real}) is not in {a.bundled}/lib")
            c.setdefault("hashes", [])
            c["properties"].append({"name": "promote:file",
                                    "value": f"lib/{real} sha256:{sha256(bundled.pop(real))}"})
    if bundled:
        sys.exit(f"sbom.py: bundled files no package accounts for: {', '.join(sorted(bundled))}")
    for pkg in a.header_only:
        component(pkg, "header-only (compiled in)")
    for c in components.values():
        if not c.get("hashes"):
            c.pop("hashes", None)

    artifact_hash = sha256(a.artifact)
    name = os.path.basename(a.artifact)
    serial = uuid.uuid5(uuid.NAMESPACE_URL, f"promote/{a.version}/{a.commit}/{name}/{artifact_hash}")
    ts = a.timestamp or 0
    stamp = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    refs = [c["bom-ref"] for c in sorted(components.values(), key=lambda c: c["name"])]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "timestamp": stamp,
            "tools": {"components": [{"type": "application", "name": "promote scripts/sbom.py", "version": a.version}]},
            "component": {
                "type": "application", "bom-ref": "promote", "name": "promote", "version": a.version,
                "purl": f"pkg:generic/promote@{a.version}",
                "hashes": [{"alg": "SHA-256", "content": artifact_hash}],
                "properties": [{"name": "promote:artifact", "value": name},
                               {"name": "promote:commit", "value": a.commit},
                               {"name": "promote:built-on", "value": dist}],
            },
        },
        "components": sorted(components.values(), key=lambda c: c["name"]),
        "dependencies": [{"ref": "promote", "dependsOn": refs}] + [{"ref": r, "dependsOn": []} for r in refs],
    }
    json.dump(bom, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
