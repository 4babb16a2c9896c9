// The JSON spellings of gate verdicts and run outcomes: part of the result and record formats
// (docs/result-json.md), so each enum value maps to exactly the word the wrappers read.
#include <doctest/doctest.h>

#include "promotion/gate_result.h"
#include "promotion/promotion_runner.h"

using namespace promote::promotion;

TEST_CASE("verdicts and outcomes serialise to the result's words") {
  CHECK(VerdictName(Verdict::kPassed) == "passed");
  CHECK(VerdictName(Verdict::kRefused) == "refused");
  CHECK(VerdictName(Verdict::kWarned) == "warned");
  CHECK(VerdictName(Verdict::kSkipped) == "skipped");
  CHECK(VerdictName(Verdict::kOverridden) == "overridden");
  CHECK(OutcomeName(Outcome::kPromoted) == "promoted");
  CHECK(OutcomeName(Outcome::kUnchanged) == "unchanged");
  CHECK(OutcomeName(Outcome::kPlanned) == "planned");
  CHECK(OutcomeName(Outcome::kRefused) == "refused");
  CHECK(OutcomeName(Outcome::kFailed) == "failed");

  GateResult gate{"scan", Verdict::kWarned, "trivy failed", {{"counts", 1}}};
  CHECK(gate.ToJson() == nlohmann::json{{"name", "scan"}, {"verdict", "warned"}, {"detail", "trivy failed"},
                                        {"data", {{"counts", 1}}}});
  CHECK_FALSE(gate.refused());
  CHECK(GateResult{"branch", Verdict::kRefused, "no"}.refused());
  CHECK_FALSE(GateResult{"window", Verdict::kOverridden, "break-glass"}.refused());

  RunResult result;
  result.outcome = Outcome::kUnchanged;
  CHECK(result.BodyJson()["status"] == "unchanged");
  CHECK(result.BodyJson()["break_glass"].is_null());
  result.break_glass = "INC-42";
  CHECK(result.BodyJson()["break_glass"] == nlohmann::json{{"reason", "INC-42"}});
}
