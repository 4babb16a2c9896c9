#include "promotion/target_tags.h"

#include <algorithm>

namespace promote::promotion {
namespace {

// What a run can do about an immutable tag at the target that names another image: run has no
// way to move it (and should not), so the way out is another commit or another version.
Status TagConflict(const Status& conflict, const std::vector<std::string>& refused, const std::string& commit_tag) {
  const bool commit = std::find(refused.begin(), refused.end(), commit_tag) != refused.end();
  return Status(Code::kConflict,
                conflict.message() + (commit ? " (a run never moves it: the target holds another image for this "
                                               "commit; build and promote a new commit)"
                                             : " (a run never moves it: release this image under another version, "
                                               "from a release branch of its own)"));
}

copy::TagPolicy TagPolicyOf(const policy::Environment& env) { return {false, env.mutable_tags}; }

}  // namespace

Status PlanTargetTags(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  const policy::Environment& env = *plan->target.env;
  plan->tags = plan->immutable_tags;
  for (const auto& t : env.mutable_tags) {
    if (std::find(plan->tags.begin(), plan->tags.end(), t) == plan->tags.end()) plan->tags.push_back(t);
  }
  const copy::BlobEndpoint& target = plan->ends.target;
  PROMOTE_ASSIGN_OR_RETURN(plan->planned_tags, copy::PlanTags(*target.client, target.repository, plan->digest, plan->tags,
                                                              TagPolicyOf(env), target.scopes, ctx.request.cancel));
  if (!plan->planned_tags.refused.empty()) {
    result->tags_refused = plan->planned_tags.refused;
    return TagConflict(Status(Code::kConflict, plan->planned_tags.first_conflict), plan->planned_tags.refused,
                       plan->commit_tag());
  }
  return OkStatus();
}

Status WriteTargetTags(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  const copy::BlobEndpoint& target = plan->ends.target;
  copy::TagOutcome tags;
  Status status = copy::WriteTags(*target.client, target.repository, plan->graph.root, plan->tags,
                                  TagPolicyOf(*plan->target.env), target.scopes, ctx.request.cancel, &tags);
  result->tags_written = tags.written;
  result->tags_moved = tags.moved;
  result->tags_unchanged = tags.unchanged;
  result->tags_refused = tags.refused;
  plan->written_tags = tags;
  if (status.code() == Code::kConflict && !tags.refused.empty()) {
    return TagConflict(status, tags.refused, plan->commit_tag());
  }
  plan->wrote_tags = !tags.written.empty() || !tags.moved.empty();
  return status;
}

}  // namespace promote::promotion
