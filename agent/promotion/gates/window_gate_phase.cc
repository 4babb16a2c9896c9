// The window gate as a phase: the environment's weekly windows and freezes at the promotion's
// clock, with the request's break-glass reason, which the record then keeps. The judgement is
// promotion/window_gate.h; whether --break-glass may be used at all was checked before any gate.
#include "promotion/gates/gates.h"
#include "promotion/window_gate.h"

namespace promote::promotion {

GateOutcome WindowGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  if (!env.window) return NotApplicable();
  GateResult g = JudgeWindow(*env.window, ctx.now, ctx.request.break_glass);
  if (g.verdict == Verdict::kOverridden) plan->break_glass = ctx.request.break_glass;
  return Judged(std::move(g));
}

}  // namespace promote::promotion
