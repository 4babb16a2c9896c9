#include "promotion/source_resolution.h"

#include "promotion/target_resolution.h"

namespace promote::promotion {
namespace {

using registry::RepositoryScope;

oci::Reference RepositoryOf(const policy::Environment& env) { return {env.registry, env.repository, "", std::nullopt}; }

// Why the commit's tag is missing at the source. A commit that is elsewhere in the pipeline but
// not in the environment this one comes from is a stage-order refusal, said plainly; one that is
// nowhere was never built.
Status MissingAtSource(const PromotionContext& ctx, const PromotionPlan& plan, RunResult* result) {
  const policy::Environment& source = *plan.target.source;
  const std::string& tag = plan.commit_tag();
  std::vector<std::string> holding;
  for (const auto& e : ctx.config.environments) {
    if (&e == &source) continue;
    auto client = ctx.registries->Get(e.registry, e.repository);
    if (!client.ok()) continue;
    auto head = (*client)->HeadManifest(e.repository, tag, {RepositoryScope(e.repository, "pull")}, ctx.request.cancel);
    if (head.ok() && head->has_value()) holding.push_back(e.name);
  }
  const std::string& sha = plan.target.sha;
  if (!holding.empty() && &source != plan.target.env) {
    std::string detail = sha.substr(0, 7) + " is in " + JoinNames(holding) + " but not in '" + source.name + "' (" +
                         source.Name() + "); promote it to '" + source.name + "' first";
    result->gates.push_back({"stage-order", Verdict::kRefused, detail});
    return GateRefused("stage-order gate refused '" + plan.target.env->name + "': " + detail);
  }
  return NotFound("no image tagged " + tag + " in environment '" + source.name + "' (" + source.Name() +
                  "); was commit " + sha + " built and pushed there?");
}

// An environment that takes only some platforms gets a subset index (copy/image_walker.h): a
// new digest, which its tags, signature and record name, and which the next environment's
// stage-order gate then finds recorded here.
Status SelectEnvironmentPlatforms(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  const policy::Environment& env = *plan->target.env;
  if (env.platforms.empty()) return OkStatus();
  const std::string where = ctx.config.origin + ":" + std::to_string(env.line);
  if (plan->target.source == &env) {
    return InvalidArgument("environment '" + env.name + "' takes only some platforms (" + where +
                           "), which needs a copy from another environment; it cannot be promoted from itself");
  }
  auto subset = copy::SelectPlatforms(std::move(plan->graph), env.platforms);
  if (!subset.ok()) return subset.status().WithContext("environment '" + env.name + "' platforms (" + where + ")");
  plan->graph = std::move(*subset);
  if (plan->graph.subset_of) result->subset_of = plan->graph.subset_of->str();
  return OkStatus();
}

}  // namespace

Status ResolveSource(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result) {
  const policy::Environment& source = *plan->target.source;
  const policy::Environment& env = *plan->target.env;
  PROMOTE_ASSIGN_OR_RETURN(plan->ends, copy::OpenEndpoints(*ctx.registries, RepositoryOf(source), RepositoryOf(env)));
  result->from_reference = source.Name() + ":" + plan->commit_tag();
  auto graph = copy::WalkImage(*plan->ends.source_client, source.repository, plan->commit_tag(),
                               plan->ends.source.scopes, ctx.request.cancel);
  if (!graph.ok()) {
    if (graph.status().code() == Code::kNotFound) return MissingAtSource(ctx, *plan, result);
    return graph.status();
  }
  plan->graph = std::move(*graph);
  // The digest the source holds: its gates (stage order, signatures, scan) are about this one.
  plan->source_digest = plan->graph.root.digest;
  result->source_digest = plan->source_digest.str();
  PROMOTE_RETURN_IF_ERROR(SelectEnvironmentPlatforms(ctx, plan, result));
  const copy::ImageGraph& g = plan->graph;
  plan->digest = g.root.digest;
  result->digest = plan->digest.str();
  result->platforms = g.platforms;
  result->to_reference = env.Name() + "@" + plan->digest.str();
  plan->subject = {g.root.media_type, plan->digest, static_cast<int64_t>(g.root.bytes.size()), {}, {}};
  return OkStatus();
}

}  // namespace promote::promotion
