#!/usr/bin/env python3
"""Large synthetic Trivy JSON reports (SchemaVersion 2), shaped like the real ones in
tests/fixtures/scanners: the fixtures' vulnerability objects are the templates, repeated with new
IDs, packages, versions and fingerprints until the report reaches the requested size. Written the
way Trivy writes it (two-space indent). Used by scripts/bench-scan.

As a command: trivy_report.py OUT --size BYTES [--artifact REPO@DIGEST] [--seed N]
prints {"bytes", "vulnerabilities", "counts": {severity: n}} of the report written.
"""

import argparse
import copy
import glob
import hashlib
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "scanners")

# Share of findings per severity and per status, roughly those of a large, old distro image.
SEVERITIES = [("CRITICAL", 3), ("HIGH", 17), ("MEDIUM", 40), ("LOW", 30), ("UNKNOWN", 10)]
STATUSES = [("fixed", 40), ("affected", 50), ("will_not_fix", 7), ("fix_deferred", 3)]
# Results of a big image: the distro's packages, then language packages found in it.
RESULTS = [
    ("os-pkgs", "debian", 70),
    ("lang-pkgs", "gemspec", 10),
    ("lang-pkgs", "jar", 10),
    ("lang-pkgs", "gobinary", 10),
]


def load_templates():
    skeleton = None
    vulns = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "trivy-*.json"))):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for result in doc.get("Results") or []:
            vulns.extend(result.get("Vulnerabilities") or [])
        if os.path.basename(path) == "trivy-debian-buster-unfixed.json":
            skeleton = doc
    if skeleton is None or not vulns:
        sys.exit(f"trivy_report.py: no Trivy fixtures with vulnerabilities under {FIXTURES}")
    return skeleton, vulns


def pick(rng, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def vulnerability(rng, template, n, result_type):
    v = copy.deepcopy(template)
    year = 2015 + n % 10
    cve = f"CVE-{year}-{10000 + n}"
    pkg = f"lib{result_type}-{n % 4000:04d}"
    installed = f"{1 + n % 7}.{n % 23}.{n % 11}-{1 + n % 5}"
    status = pick(rng, STATUSES)
    v["VulnerabilityID"] = cve
    v["PkgName"] = pkg
    v["PkgID"] = f"{pkg}@{installed}"
    v["PkgIdentifier"] = {"PURL": f"pkg:{result_type}/{pkg}@{installed}", "UID": f"{n:016x}"}
    v["InstalledVersion"] = installed
    v["Status"] = status
    if status == "fixed":
        v["FixedVersion"] = f"{installed}+deb{n % 3}u1"
    else:
        v.pop("FixedVersion", None)
    v["Severity"] = pick(rng, SEVERITIES)
    v["PrimaryURL"] = f"https://avd.aquasec.com/nvd/{cve.lower()}"
    v["Fingerprint"] = "sha256:" + hashlib.sha256(f"{cve}/{pkg}/{n}".encode()).hexdigest()
    refs = v.get("References") or []
    v["References"] = [r.replace(template["VulnerabilityID"], cve) for r in refs]
    return v


def build(skeleton, templates, count, artifact, seed):
    rng = random.Random(seed)
    doc = copy.deepcopy(skeleton)
    if artifact:
        doc["ArtifactName"] = artifact
        repo = artifact.split("@", 1)[0]
        doc["Metadata"]["RepoTags"] = [repo + ":bench"]
        doc["Metadata"]["RepoDigests"] = [artifact]
    target = doc["Results"][0]["Target"]
    results = []
    n = 0
    for cls, rtype, share in RESULTS:
        k = count * share // 100
        vulns = [vulnerability(rng, templates[(n + i) % len(templates)], n + i, rtype) for i in range(k)]
        n += k
        results.append({"Target": target if cls == "os-pkgs" else f"usr/local/lib/{rtype}",
                        "Class": cls, "Type": rtype, "Vulnerabilities": vulns})
    doc["Results"] = results
    return doc, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("out")
    ap.add_argument("--size", type=int, required=True, help="approximate report size in bytes")
    ap.add_argument("--artifact", default="", help="ArtifactName and RepoDigests entry, repo@sha256:…")
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()

    skeleton, templates = load_templates()
    # Measure a sample, scale to the size asked for, then write the real thing.
    sample, sample_count = build(skeleton, templates, 1000, args.artifact, args.seed)
    per_vuln = len(json.dumps(sample, indent=2, ensure_ascii=False)) / sample_count
    count = max(100, int(args.size / per_vuln))
    doc, written = build(skeleton, templates, count, args.artifact, args.seed)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    counts = {}
    for result in doc["Results"]:
        for v in result["Vulnerabilities"]:
            counts[v["Severity"]] = counts.get(v["Severity"], 0) + 1
    print(json.dumps({"bytes": len(text.encode()), "vulnerabilities": written, "counts": counts}))


if __name__ == "__main__":
    main()
