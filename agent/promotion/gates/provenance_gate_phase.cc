// The provenance gate as a phase: the environment's `gates.provenance`, its key as the request
// carries it, judged on the source digest (promotion/provenance_gate.h). What it accepted and the
// build level go into the plan for the verification summary.
#include "promotion/gates/gates.h"
#include "promotion/provenance_gate.h"

namespace promote::promotion {

GateOutcome ProvenanceGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  if (!env.provenance) return NotApplicable();
  const std::string what = ctx.config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name +
                           "' provenance gate key";
  PROMOTE_ASSIGN_OR_RETURN(std::string key_pem, ctx.AttachedFile(env.provenance->public_key, what));
  const copy::BlobEndpoint& source = plan->ends.source;
  PROMOTE_ASSIGN_OR_RETURN(
      ProvenanceGateOutcome outcome,
      RunProvenanceGate(*plan->ends.source_client, plan->target.source->repository, plan->source_digest,
                        *env.provenance, key_pem, plan->target.sha, source.scopes, ctx.request.cancel));
  plan->read_attestations.insert(plan->read_attestations.end(), outcome.inputs.begin(), outcome.inputs.end());
  plan->build_level = outcome.build_level;
  return Judged(std::move(outcome.gate));
}

}  // namespace promote::promotion
