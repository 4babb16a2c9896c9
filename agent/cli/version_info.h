// What `promote --version` prints: the release version, the git commit the binary was built from
// ("unknown" outside a git tree) and the build date (SOURCE_DATE_EPOCH in reproducible builds).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace promote::cli {

struct BuildInfo {
  std::string version;     // project(VERSION) of CMakeLists.txt, e.g. "0.1.0"
  std::string commit;      // full commit id, or "unknown"
  std::string build_date;  // UTC, "2026-11-20T10:00:00Z"
};

BuildInfo CurrentBuild();

// "promote 0.1.0 (commit f29f4a67f9d4, built 2026-11-20T10:00:00Z)\n"
std::string VersionText(const BuildInfo& build);

// The JSON result of `promote --version -o json`: the usual envelope (schema, command "version",
// ok, error) with version, commit and build_date.
nlohmann::json VersionJson(const BuildInfo& build);

}  // namespace promote::cli
