// GateResult: one gate's verdict in a promotion (branch, stage-order, signature, scan), as it
// appears in the JSON result and the promotion record.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace promote::promotion {

struct GateResult {
  std::string name;     // "branch", "stage-order", "signature", "scan"
  std::string verdict;  // "passed", "refused", "warned", "skipped"
  std::string detail;   // one line for people
  nlohmann::json data = nullptr;  // gate-specific evidence (scan counts, findings)

  bool refused() const { return verdict == "refused"; }
  nlohmann::json ToJson() const;
};

}  // namespace promote::promotion
