// ResolveSource: the promotion's image. Finds the commit's tag at the source environment, walks
// the image there, cuts it to the target environment's platforms, and fills in the plan's
// endpoints, graph, digests and subject, and the result's references and digests.
#pragma once

#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// Needs plan->target and plan->immutable_tags. A commit missing at the source is kGateRefused
// (stage order) when another environment holds it, else kNotFound asking whether it was built.
Status ResolveSource(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

}  // namespace promote::promotion
