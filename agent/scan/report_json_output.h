// JSON renderings of findings and scan reports for results, logs and the promotion record.
// Field names are snake_case and stable.
#pragma once

#include <nlohmann/json.hpp>

#include "scan/finding.h"

namespace promote::scan {

// {"id", "package", "installed_version", "fixed_version", "fixed", "severity", "target",
//  "package_type"}.
nlohmann::json ToJson(const Finding& finding);

// {"scanner", "scanner_version", "artifact", "platform", "counts": {"CRITICAL": n, …},
//  "findings": [...]}. The raw bytes are left out (they are evidence to store, not to print).
nlohmann::json ToJson(const ScanReport& report);

}  // namespace promote::scan
