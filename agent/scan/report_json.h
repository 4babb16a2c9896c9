// Internal to the report parsers: parse untrusted report bytes into JSON with a size bound, and
// read optional, typed members so that every error names the report and the JSON path that failed.
// Absent and null members read as empty, because Go's encoder omits or nulls empty fields.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/status.h"

namespace promote::scan {

// Reports larger than this are refused before parsing: a real vulnerability report with
// --list-all-pkgs=false is well under a few MiB, and the bound keeps a hostile file from
// exhausting memory.
inline constexpr size_t kMaxReportBytes = 64u << 20;

class ReportJson {
 public:
  // `source` names the input in errors ("trivy-json report"); `hint` says what to do ("write it
  // with trivy --format json").
  ReportJson(std::string source, std::string hint) : source_(std::move(source)), hint_(std::move(hint)) {}

  // Parses `bytes` (at most kMaxReportBytes, nesting at most kMaxJsonNesting levels) whose top
  // level must be an object.
  Result<nlohmann::json> Parse(std::string_view bytes) const;

  // Members of `object` (already known to be an object) at `path` ("Results[0]").
  // Absent or null → empty; a value of another type is an InvalidArgument naming path.key.
  Result<std::string> String(const nlohmann::json& object, std::string_view path, const char* key) const;
  Result<const nlohmann::json*> Array(const nlohmann::json& object, std::string_view path,
                                      const char* key) const;  // nullptr when absent
  Result<const nlohmann::json*> Object(const nlohmann::json& object, std::string_view path,
                                       const char* key) const;  // nullptr when absent

  // An element of an array that must be an object.
  Status ExpectObject(const nlohmann::json& value, std::string_view path) const;

  Status Error(std::string_view path, std::string_view problem) const;

 private:
  std::string source_;
  std::string hint_;
};

// "Results" + 3 → "Results[3]"; "Results[3]" + "Vulnerabilities" → "Results[3].Vulnerabilities".
std::string JsonPath(std::string_view parent, std::string_view key);
std::string JsonPath(std::string_view parent, size_t index);

}  // namespace promote::scan
