#include "promotion/gates/gates.h"

namespace promote::promotion {

Status RunSourceGates(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  for (Gate gate : kSourceGates) {
    PROMOTE_ASSIGN_OR_RETURN(std::optional<GateResult> verdict, gate(ctx, plan));
    result->sha = plan->target.sha;  // the revision gate may have lengthened it
    if (verdict) result->gates.push_back(std::move(*verdict));
  }
  result->break_glass = plan->break_glass;  // said loudly, also when a later gate refuses
  for (const auto& g : result->gates) {
    if (!g.refused()) continue;
    // A scanner that could not scan is an infrastructure failure (exit 4), not a verdict.
    Code code = g.name == "scan" && plan->scanner_failed ? Code::kUnavailable : Code::kGateRefused;
    return Status(code, g.name + " gate refused '" + plan->target.env->name + "': " + g.detail);
  }
  return OkStatus();
}

}  // namespace promote::promotion
