// JSON renderings of findings and scan reports for results, logs and the promotion record.
// Field names are snake_case and stable.
#pragma once

#include <nlohmann/json.hpp>

#include "scan/finding.h"

namespace promote::scan {

// {"id", "package", "installed_version", "fixed_version", "fixed", "severity", "target",
//  "package_type"}.
nlohmann::json ToJson(const Finding& finding);

// {"scanner", "format", "scanner_version", "artifact", "platform", "counts": {"CRITICAL": n, …},
//  "findings": [...]}; "scanner" is the hook's name (the parser's when there is none), "format"
// the report format ("trivy-json", …). The raw bytes are left out (they are evidence to store, not to print).
nlohmann::json ToJson(const ScanReport& report);

// ToJson(report) without "findings": what was scanned, by what, and the counts.
nlohmann::json SummaryJson(const ScanReport& report);

}  // namespace promote::scan
