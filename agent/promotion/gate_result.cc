#include "promotion/gate_result.h"

namespace promote::promotion {

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPassed:
      return "passed";
    case Verdict::kRefused:
      return "refused";
    case Verdict::kWarned:
      return "warned";
    case Verdict::kSkipped:
      return "skipped";
    case Verdict::kOverridden:
      return "overridden";
  }
  return "unknown";
}

nlohmann::json GateResult::ToJson() const {
  nlohmann::json j = {{"name", name}, {"verdict", std::string(VerdictName(verdict))}, {"detail", detail}};
  if (!data.is_null()) j["data"] = data;
  return j;
}

}  // namespace promote::promotion
