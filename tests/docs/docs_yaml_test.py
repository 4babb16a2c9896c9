#!/usr/bin/python3
"""docs/provenance.md: every ```yaml block parses; the Kyverno ClusterPolicy and the sigstore
policy-controller ClusterImagePolicy require the VSA predicate type with a public key and check
verificationResult and resourceUri; they name the verifier id promote writes
(agent/promotion/verification_summary.h); and their resourceUri checks, applied to the summary
shown in the same page, admit a prod reference and refuse a stage one.
  tests/docs/docs_yaml_test.py [REPO_ROOT]"""
import fnmatch
import json
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import Checks, repo_root  # noqa: E402

ROOT = repo_root(__file__)
DOC = os.path.join(ROOT, "docs", "provenance.md")
HEADER = os.path.join(ROOT, "agent", "promotion", "verification_summary.h")
VSA = "https://slsa.dev/verification_summary/v1"
check = Checks()


def blocks(text, lang):
    return re.findall(r"```" + lang + r"\n(.*?)```", text, re.S)


text = open(DOC, encoding="utf-8").read()
verifier_id = re.search(r'kPromoteVerifierId = "([^"]+)"', open(HEADER, encoding="utf-8").read()).group(1)

docs = []
for i, block in enumerate(blocks(text, "yaml")):
    try:
        docs.append(yaml.safe_load(block))
        check(True, "")
    except yaml.YAMLError as e:
        check(False, "yaml block %d does not parse: %s" % (i, e))
by_kind = {d.get("kind"): d for d in docs if isinstance(d, dict) and "kind" in d}
check("ClusterPolicy" in by_kind, "no Kyverno ClusterPolicy")
check("ClusterImagePolicy" in by_kind, "no policy-controller ClusterImagePolicy")

# The summary the page shows, as a prod and as a stage promotion would write it.
example = json.loads(blocks(text, "json")[0])
check(example["verifier"]["id"] == verifier_id, "the example summary's verifier id is not promote's")
prod_vsa = dict(example, resourceUri="prod.registry:5000/shop/payment-svc@sha256:" + "a" * 64)
stage_vsa = dict(example, resourceUri="stage.registry:5000/shop/payment-svc@sha256:" + "a" * 64)


def jmes(predicate, key):  # the "{{ a.b }}" keys used by the Kyverno example
    value = predicate
    for part in key.strip("{} ").split("."):
        value = value[part]
    return value


def kyverno_admits(rule, predicate):
    for cond in rule["conditions"][0]["all"]:
        value = jmes(predicate, cond["key"])
        if cond["operator"] == "Equals" and not fnmatch.fnmatchcase(str(value), str(cond["value"])):
            return False
        if cond["operator"] == "AnyIn" and not set(value) & set(cond["value"]):
            return False
    return True


policy = by_kind.get("ClusterPolicy", {})
for rule in policy.get("spec", {}).get("rules", []):
    for verify in rule.get("verifyImages", []):
        att = verify["attestations"][0]
        check(att["type"] == VSA, "Kyverno: attestation type is not the VSA")
        keys = att["attestors"][0]["entries"][0]["keys"]
        check("BEGIN PUBLIC KEY" in keys["publicKeys"], "Kyverno: no public key")
        check(keys["rekor"]["ignoreTlog"] is True, "Kyverno: a key-signed VSA has no tlog entry")
        names = {c["key"] for c in att["conditions"][0]["all"]}
        check({"{{ verificationResult }}", "{{ resourceUri }}", "{{ verifier.id }}"} <= names,
              "Kyverno: conditions miss verificationResult, resourceUri or verifier.id")
        check(kyverno_admits(att, prod_vsa), "Kyverno: the prod summary is refused")
        check(not kyverno_admits(att, stage_vsa), "Kyverno: a stage summary is admitted into prod")
        check(not kyverno_admits(att, dict(prod_vsa, verificationResult="FAILED")), "Kyverno: FAILED admitted")
        check(not kyverno_admits(att, dict(prod_vsa, verifier={"id": "https://other"})), "Kyverno: other verifier")

cip = by_kind.get("ClusterImagePolicy", {})
for authority in cip.get("spec", {}).get("authorities", []):
    check("BEGIN PUBLIC KEY" in authority["key"]["data"], "policy-controller: no public key")
    check("ctlog" not in authority, "policy-controller: ctlog would require a transparency log entry")
    att = authority["attestations"][0]
    check(att["predicateType"] == VSA, "policy-controller: predicateType is not the VSA")
    cue = att["policy"]["data"]
    check(att["policy"]["type"] == "cue", "policy-controller: not a CUE policy")
    check('"%s"' % verifier_id in cue, "policy-controller: CUE does not pin promote's verifier id")
    check('verificationResult: "PASSED"' in cue, "policy-controller: CUE does not check verificationResult")
    pattern = re.search(r'resourceUri: =~"(.*)"', cue).group(1).replace("\\\\", "\\")
    check(re.search(pattern, prod_vsa["resourceUri"]) is not None, "policy-controller: the prod summary is refused")
    check(re.search(pattern, stage_vsa["resourceUri"]) is None, "policy-controller: a stage summary is admitted")

sys.exit(check.finish())
