#include "scan/finding.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace promote::scan {

std::optional<Severity> ParseSeverity(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "unknown") return Severity::kUnknown;
  if (lower == "negligible" || lower == "low") return Severity::kLow;
  if (lower == "medium") return Severity::kMedium;
  if (lower == "high") return Severity::kHigh;
  if (lower == "critical") return Severity::kCritical;
  return std::nullopt;
}

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kUnknown:
      return "UNKNOWN";
    case Severity::kLow:
      return "LOW";
    case Severity::kMedium:
      return "MEDIUM";
    case Severity::kHigh:
      return "HIGH";
    case Severity::kCritical:
      return "CRITICAL";
  }
  return "UNKNOWN";
}

}  // namespace promote::scan
