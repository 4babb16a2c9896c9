// The stage-order gate: the digest must have been promoted into the environment before this one
// in promote.yaml, whatever --from says (copying from elsewhere cannot skip a stage). The proof
// is a valid promotion record there, signed with the promotion key, for this commit.
#include "promotion/gates/gates.h"
#include "promotion/image_revision.h"
#include "promotion/promotion_record.h"

namespace promote::promotion {
namespace {

// The verdict on the records found at the previous environment; the record accepted is one the
// verification summary lists as read.
GateResult JudgeRecords(const std::vector<CheckedRecord>& records, const policy::Environment& previous,
                        PromotionPlan* plan) {
  GateResult g{"stage-order", Verdict::kPassed, ""};
  const std::string& sha = plan->target.sha;
  std::string problems;
  for (const auto& r : records) {
    if (r.valid && r.record.to_env == previous.name && r.record.kind != "rolled-back") {
      if (!SameCommit(r.record.git_sha, sha)) {
        // The same image recorded for another commit: the SHA tag's prefix is shared.
        problems += (problems.empty() ? "" : "; ") + std::string("it was recorded in '") + previous.name +
                    "' for commit " + r.record.git_sha + ", not " + sha;
        continue;
      }
      plan->read_attestations.push_back({r.reference, r.envelope_digest.hex()});
      g.detail = "promoted to '" + previous.name + "' at " + r.record.time +
                 (r.record.ci.run_id.empty() ? "" : " by run " + r.record.ci.run_id);
      return g;
    }
    if (!r.valid) problems += (problems.empty() ? "" : "; ") + r.problem;
  }
  g.verdict = Verdict::kRefused;
  g.detail = plan->source_digest.str() + " has no valid promotion record for '" + previous.name + "'; promote it through '" +
             previous.name + "' first" + (problems.empty() ? "" : " (records refused: " + problems + ")");
  return g;
}

}  // namespace

GateOutcome StageOrderGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  const policy::Environment* previous = ctx.config.SourceOf(env);
  if (!env.stage_order || previous == nullptr) return NotApplicable();
  if (!ctx.signing.public_key) {
    return Judged({"stage-order", Verdict::kRefused,
                      "the stage-order gate verifies promotion records and needs the signing key (signing: in " +
                          ctx.config.origin + "), or stage-order: false"});
  }
  // Incomplete records (their tags not in place) are marked invalid by PreviousRecords.
  PROMOTE_ASSIGN_OR_RETURN(const std::vector<CheckedRecord>* records, PreviousRecords(ctx, plan));
  return Judged(JudgeRecords(*records, *previous, plan));
}

}  // namespace promote::promotion
