// Reads a Trivy JSON report (trivy image --format json, SchemaVersion 2) into a ScanReport.
// Only vulnerabilities are read; secrets, misconfigurations and licenses are not part of the gate.
#pragma once

#include <string_view>

#include "scan/finding.h"
#include "util/status.h"

namespace promote::scan {

// Contract:
// - SchemaVersion must be 2; any other value (or none) is InvalidArgument.
// - Absent keys are empty: no Results, or a Result with no Vulnerabilities, is zero findings.
// - A finding is fixed when Status is "fixed", or when there is no Status and FixedVersion is set
//   (reports from before Trivy wrote Status).
// - Severity must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL (any case) or empty (→ UNKNOWN).
// - platform comes from Metadata.ImageConfig (os/architecture[/variant]) when present.
// - Inputs over kMaxReportBytes, malformed JSON and wrong types are InvalidArgument naming the
//   JSON path. `raw` in the result holds `bytes`.
// - Memory: the report is read in one pass; only the findings and a few top-level fields are
//   kept, never the whole document.
Result<ScanReport> ParseTrivyJson(std::string_view bytes);

// ParseTrivyJson without the copy of `bytes`: `raw` is left empty for a caller that owns the
// bytes and moves them in (ParseOwnedReport).
Result<ScanReport> ReadTrivyJson(std::string_view bytes);

}  // namespace promote::scan
