// The revision gate: the commit is checked, not trusted. An image that says which commit it was
// built from must say this one (a short SHA tag can be shared by two commits); an environment with
// require-revision: true also refuses an image that says none.
#include "policy/branch_rules.h"
#include "promotion/gates/gates.h"
#include "promotion/image_revision.h"
#include "promotion/target_resolution.h"

namespace promote::promotion {

GateOutcome RevisionGate(const PromotionContext& ctx, PromotionPlan* plan) {
  const policy::Environment& env = *plan->target.env;
  const policy::Environment& source = *plan->target.source;
  PROMOTE_ASSIGN_OR_RETURN(auto revisions, ImageRevisions(*plan->ends.source_client, source.repository, plan->graph,
                                                          plan->ends.source.scopes, ctx.request.cancel));
  if (revisions.empty() && !env.require_revision) return NotApplicable();
  std::string& sha = plan->target.sha;
  GateResult g{"revision", Verdict::kPassed, ""};
  std::string stated = revisions.empty() ? "" : *revisions.begin();
  if (auto normal = policy::NormaliseSha(stated); normal.ok()) stated = *normal;
  if (revisions.empty()) {
    g.verdict = Verdict::kRefused;
    g.detail = "the image states no commit (" + std::string(kRevisionKey) + " label or annotation) and '" + env.name +
               "' requires one (require-revision: true, " + ctx.config.origin + ":" + std::to_string(env.line) + ")";
  } else if (revisions.size() > 1) {
    g.verdict = Verdict::kRefused;
    g.detail = "the image states several commits (" + JoinNames({revisions.begin(), revisions.end()}) + ")";
  } else if (!SameCommit(stated, sha) || (sha.size() == 40 && stated.size() == 40 && stated != sha)) {
    g.verdict = Verdict::kRefused;
    g.detail = "the image was built from commit " + stated + " (" + std::string(kRevisionKey) + "), not " + sha;
  } else {
    // A short --sha becomes the full commit the image states, for the gates and the record.
    if (stated.size() == 40) sha = stated;
    g.detail = "built from commit " + stated;
  }
  return Judged(std::move(g));
}

}  // namespace promote::promotion
