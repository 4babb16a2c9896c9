// The records the environment before the target holds for the source digest, read once per
// promotion for the gates that judge them (stage order, soak, the approval gate's author).
#include "promotion/gates/gates.h"
#include "promotion/promotion_record.h"

namespace promote::promotion {

Result<const std::vector<CheckedRecord>*> PreviousRecords(const PromotionContext& ctx, PromotionPlan* plan) {
  if (plan->previous_records) return &*plan->previous_records;
  const policy::Environment* previous = ctx.config.SourceOf(*plan->target.env);
  if (previous == nullptr || !ctx.signing.public_key) return &plan->previous_records.emplace();
  std::shared_ptr<registry::RegistryClient> client = plan->ends.source_client;
  if (previous != plan->target.source) {
    PROMOTE_ASSIGN_OR_RETURN(client, ctx.registries->Get(previous->registry, previous->repository));
  }
  registry::Scopes scopes = {registry::RepositoryScope(previous->repository, "pull")};
  PROMOTE_ASSIGN_OR_RETURN(auto records, ReadRecords(*client, previous->repository, plan->source_digest,
                                                     *ctx.signing.public_key, scopes, ctx.request.cancel));
  // A record an older version wrote before a promotion that then failed at its tags does not
  // count: its tags must be in place.
  PROMOTE_RETURN_IF_ERROR(MarkIncompleteRecords(*client, previous->repository, plan->source_digest, previous->name,
                                                previous->mutable_tags, scopes, &records));
  return &plan->previous_records.emplace(std::move(records));
}

}  // namespace promote::promotion
