// GateResult: one gate's verdict in a promotion (branch, revision, stage-order, window, soak,
// approval, signature, scan, sign), as it appears in the JSON result and the promotion record.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace promote::promotion {

// What a gate decided. Its JSON spelling (VerdictName) is part of the result and record formats.
enum class Verdict {
  kPassed,   // "passed"
  kRefused,  // "refused": the promotion stops (kGateRefused, or kUnavailable for a failed scanner)
  kWarned,   // "warned": passed with a problem the caller should see (a scanner failed, on-error: warn)
  kSkipped,  // "skipped": not evaluated (a dry run's signing step)
  kOverridden,  // "overridden": refused but for --break-glass, whose reason the result and record keep
};
std::string_view VerdictName(Verdict verdict);

struct GateResult {
  std::string name;  // "branch", "revision", "stage-order", "window", "soak", "approval", "signature", "scan", "sign"
  Verdict verdict = Verdict::kPassed;
  std::string detail;             // one line for people
  nlohmann::json data = nullptr;  // gate-specific evidence (scan counts, findings)

  bool refused() const { return verdict == Verdict::kRefused; }
  nlohmann::json ToJson() const;
};

}  // namespace promote::promotion
