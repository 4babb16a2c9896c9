// Ties a scanner's report to the image promote asked it to scan: a report that names an image by
// digest must name the scanned digest (or one of its platform manifests), so that a hook printing
// a stale or mixed-up report cannot pass the gate for another image.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/finding.h"
#include "util/status.h"

namespace promote::scan {

// The digest in an image reference ("reg/repo@sha256:…" → "sha256:…"); empty when the reference
// names none (a tag, a tarball path, free text).
std::string DigestOfReference(std::string_view reference);

// Adds the digest `reference` names, if any and not yet listed, to `digests`.
void AddNamedDigest(std::string_view reference, std::vector<std::string>* digests);

// OK when every digest in report.named_digests is one of `scanned` (the digest promote scanned
// first, then the platform manifests of an index), or when the report names none: many real
// reports name no digest (a scan of an archive, Trivy's test goldens, Grype's userInput tag), and
// refusing them would refuse working scanners. Otherwise Unavailable — the report is a scanner
// failure, not a verdict: "the report is for another image: it names sha256:…, promote scanned
// sha256:…".
Status CheckReportSubject(const ScanReport& report, const std::vector<std::string>& scanned);

}  // namespace promote::scan
