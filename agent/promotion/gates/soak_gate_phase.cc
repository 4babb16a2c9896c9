// The soak gate as a phase: the previous environment's records of the source digest (how long the
// commit has been there, whether it was rolled back out of it) at the promotion's clock. The
// judgement is promotion/soak_gate.h.
#include "promotion/gates/gates.h"
#include "promotion/soak_gate.h"

namespace promote::promotion {

GateOutcome SoakGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  const policy::Environment* previous = ctx.config.SourceOf(env);
  if (!env.soak || previous == nullptr) return NotApplicable();  // promote.yaml refuses soak: on the first
  if (!ctx.signing.public_key) {
    return Judged({"soak", Verdict::kRefused,
                   "the soak gate reads promotion records and needs the signing key (signing: in " +
                       ctx.config.origin + ")"});
  }
  PROMOTE_ASSIGN_OR_RETURN(const std::vector<CheckedRecord>* records, PreviousRecords(ctx, plan));
  return Judged(JudgeSoak(*env.soak, SoakEvidenceFrom(*records, previous->name, plan->target.sha), ctx.now));
}

}  // namespace promote::promotion
