// Reads a Grype JSON report (grype <source> -o json) into a ScanReport.
// Grype's document has no schema version, so the parser checks its shape instead.
#pragma once

#include <string_view>

#include "scan/finding.h"
#include "util/status.h"

namespace promote::scan {

// Contract:
// - The top level must be an object with at least one of "matches", "descriptor", "source";
//   otherwise the bytes are not a Grype report (InvalidArgument).
// - Each matches[i] becomes one Finding: vulnerability.id, artifact.name/version/type, the first
//   artifact.locations[].path as target; fix.versions joined with ", " as fixed_version.
// - fixed is fix.state == "fixed"; "not-fixed", "wont-fix", "unknown" and "" are not fixed.
// - Severity is title case in Grype (Negligible → LOW); an unknown spelling is InvalidArgument.
// - ignoredMatches (what Grype's own ignore rules dropped) are not findings.
// - Absent keys are empty; wrong types, malformed JSON and inputs over kMaxReportBytes are
//   InvalidArgument naming the JSON path. `raw` holds `bytes`.
// - Memory: the report is read in one pass; only the findings and a few fields of descriptor and
//   source are kept, never the whole document.
Result<ScanReport> ParseGrypeJson(std::string_view bytes);

// ParseGrypeJson without the copy of `bytes`: `raw` is left empty for a caller that owns the
// bytes and moves them in (ParseOwnedReport).
Result<ScanReport> ReadGrypeJson(std::string_view bytes);

}  // namespace promote::scan
