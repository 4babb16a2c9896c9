// The target's tags: the commit's immutable tags, then the environment's mutable ones. Planned
// before anything is written, so a conflict refuses the promotion with nothing changed; written
// after the image and its signature, so a tag never names an incomplete or unsigned image.
#pragma once

#include "promotion/promotion_plan.h"
#include "util/status.h"

namespace promote::promotion {

// Sets plan->tags and plan->planned_tags. kConflict when an immutable tag at the target names
// another image (result->tags_refused lists them), saying what a run can do about it.
Status PlanTargetTags(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

// Writes plan->tags for the target image (copy/tag_writer.h) and reports what each did.
Status WriteTargetTags(const PromotionContext& ctx, PromotionPlan* plan, RunResult* result);

}  // namespace promote::promotion
