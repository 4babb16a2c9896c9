// Reads SARIF 2.1.0 as written by trivy --format sarif and grype -o sarif into a ScanReport.
// SARIF has no structured package or fix fields, so some come from the text both tools write;
// the mapping below is the contract.
#pragma once

#include <string_view>

#include "scan/finding.h"
#include "util/status.h"

namespace promote::scan {

// Every result of every run is one Finding, except results whose kind is "pass" or
// "notApplicable". SARIF suppressions are not honoured: the gate's allowlist decides.
//
// Severity, from the first source that gives one:
//   1. a tag on the rule (properties.tags) that is a severity name — Trivy tags rules "HIGH" etc.;
//   2. a "Severity: X" line in the rule's help.text — Grype and Trivy both write it;
//   3. the rule's properties."security-severity" (string or number) read as a CVSS score:
//      9.0+ CRITICAL, 7.0+ HIGH, 4.0+ MEDIUM, 0.1+ LOW, else UNKNOWN. It comes after the named
//      severity because Grype writes the highest CVSS score there, which can disagree with the
//      vendor's rating the other scanners gate on;
//   4. the result's level, else the rule's defaultConfiguration.level: error → HIGH,
//      warning → MEDIUM, note → LOW, none → UNKNOWN ("error" is HIGH or CRITICAL in Trivy; the
//      lower bound is used);
//   5. otherwise UNKNOWN (not rated; the gate treats it as its policy says).
// id: the "Vulnerability <ID>" line of the rule's help.text (Grype's ruleId is "<ID>-<package>"),
//   else ruleId.
// package / installed_version / fixed_version: "Package:", "Installed Version:", "Fixed Version:"
//   lines of the result message (Trivy), else "Package:", "Version:", "Fix Version:" lines of the
//   rule's help.text (Grype). package_type: the "Type:" help line (Grype).
// fixed: fixed_version is non-empty when a fixed-version line exists; when the SARIF does not say,
//   fixed is true, so that an ignore-unfixed policy cannot silently drop a finding whose fix status
//   is unknown.
// target: locations[0].physicalLocation.artifactLocation.uri.
// scanner is "sarif"; scanner_version is "<driver name> <driver version>"; artifact is
// run.properties.imageName when present (Trivy).
// The top-level "version" must be "2.1.0". Bad input is InvalidArgument naming the JSON path.
// Memory: the log is read in one pass, keeping per run what its rules and results say about
// findings, never the whole document.
Result<ScanReport> ParseSarif(std::string_view bytes);

// ParseSarif without the copy of `bytes`: `raw` is left empty for a caller that owns the bytes
// and moves them in (ParseOwnedReport).
Result<ScanReport> ReadSarif(std::string_view bytes);

}  // namespace promote::scan
